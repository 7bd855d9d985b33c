"""Value types shared by every stage: plain frozen dataclasses that import nothing from the project.

`Article` is one document as read, `Chunk` a passage of it with character offsets, `Hit` a chunk
found for a question, `Citation` a hit that the answer cites, `Answer` the whole result. Their
`to_dict` methods give the JSON shapes that the CLI, the HTTP API and the evaluation print.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    date: str | None = None
    url: str | None = None
    source: str | None = None  # the file it came from, for showing and for sync
    root: str | None = None  # the source path it was found under (what `rag index` was given)

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "text": self.text, "date": self.date,
            "url": self.url, "source": self.source, "root": self.root,
        }


@dataclass(frozen=True)
class Chunk:
    id: str  # "article_id#n"
    article_id: str
    text: str
    start: int  # character offsets into Article.text
    end: int


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    title: str = ""
    date: str | None = None
    url: str | None = None
    source: str | None = None
    scores: dict = field(default_factory=dict)  # per-stage scores (dense, bm25, fused...)

    def to_dict(self) -> dict:
        return {
            "chunk_id": self.chunk.id, "article_id": self.chunk.article_id, "title": self.title,
            "date": self.date, "url": self.url, "source": self.source, "text": self.chunk.text,
            "start": self.chunk.start, "end": self.chunk.end, "score": round(float(self.score), 4),
        }


@dataclass(frozen=True)
class Citation:
    n: int  # the passage number used in the prompt and in the answer's [n] markers
    hit: Hit
    support: str | None = None  # the sentence of the passage that best supports the answer

    def to_dict(self) -> dict:
        return {"n": self.n, **self.hit.to_dict(), "support": self.support}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    timings_ms: dict
    search_query: str | None = None  # what was searched, when a follow-up was rewritten
    # What each check found (retrieval strength, the model's own refusal, names or numbers no
    # passage holds, unsupported sentences, the judge's verdict) and `refused_by`: the first check
    # that refused, or None. See rag.pipeline.
    checks: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [dict(h.to_dict(), n=i) for i, h in enumerate(self.passages, 1)],
            "timings_ms": self.timings_ms,
            "search_query": self.search_query or self.question,
            "checks": self.checks,
        }
