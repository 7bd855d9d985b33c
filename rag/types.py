"""Value types shared by every stage: plain frozen dataclasses that import nothing from the project.

`Article` is one document as read (`Document` what a PDF or Word file gave), `Chunk` a passage of
it with character offsets, `Hit` a chunk found for a question, `Citation` a hit that the answer
cites, `Answer` the whole result. Their `to_dict` methods give the JSON shapes that the CLI, the
HTTP API and the evaluation print.

Where a document has pages (PDF) or headings (Word, and PDF lines set larger than the body), the
article keeps "marks": the offset in its text where each page or heading's section starts. A chunk keeps the marks that fall within it (and
the one it starts under), so a citation can name the page of the very sentence it cites.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

Marks = tuple[tuple[int, object], ...]  # (offset in the article's text, page number or heading)


def mark_at(marks: Marks, offset: int):
    """The page or heading in force at `offset`: the last mark at or before it; None if none."""
    i = bisect_right([o for o, _ in marks], offset)
    return marks[i - 1][1] if i else None


def marks_within(marks: Marks, start: int, end: int) -> Marks:
    """The marks of the span [start, end): the one in force at start (moved to start), then those
    inside."""
    first = mark_at(marks, start)
    inside = tuple((o, v) for o, v in marks if start < o < end)
    return (((start, first),) if first is not None else ()) + inside


def _marks(rows) -> Marks:
    # JSON gives lists; frozen dataclasses compare tuples, so they are turned back on loading.
    return tuple((int(o), v) for o, v in rows or ())


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    date: str | None = None
    url: str | None = None
    source: str | None = None  # the file it came from, for showing and for sync
    root: str | None = None  # the source path it was found under (what `rag index` was given)
    pages: Marks = ()  # (offset, page number) where each PDF page starts
    headings: Marks = ()  # (offset, heading) where each heading's section starts
    digest: str | None = None  # of the file's bytes (PDF, Word): an unchanged file is not re-read
    author: str | None = None

    def to_dict(self) -> dict:
        d = {
            "id": self.id, "title": self.title, "text": self.text, "date": self.date,
            "url": self.url, "source": self.source, "root": self.root,
        }
        # Only documents that have them carry these, so older indexes' lines read the same.
        if self.pages:
            d["pages"] = [list(m) for m in self.pages]
        if self.headings:
            d["headings"] = [list(m) for m in self.headings]
        if self.digest:
            d["digest"] = self.digest
        if self.author:
            d["author"] = self.author
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Article":
        return cls(**{**d, "pages": _marks(d.get("pages")), "headings": _marks(d.get("headings"))})


@dataclass(frozen=True)
class Document:
    """What a PDF or Word file holds, before it becomes an Article (which adds id and source)."""

    text: str
    title: str | None
    date: str | None = None
    pages: Marks = ()
    headings: Marks = ()
    author: str | None = None


@dataclass(frozen=True)
class Chunk:
    id: str  # "article_id#n"
    article_id: str
    text: str
    start: int  # character offsets into Article.text
    end: int
    pages: Marks = ()  # the article's marks within [start, end) (see marks_within)
    headings: Marks = ()

    @property
    def page(self) -> int | None:
        """The page it starts on (PDF), else None."""
        return mark_at(self.pages, self.start)

    @property
    def heading(self) -> str | None:
        """The heading it starts under, else None."""
        return mark_at(self.headings, self.start)

    def where(self, sentence: str | None) -> tuple[int | None, str | None]:
        """The page and heading of a sentence of this chunk (of its start, if not found in it)."""
        i = self.text.find(sentence) if sentence else -1
        at = self.start + max(i, 0)
        return mark_at(self.pages, at), mark_at(self.headings, at)

    def marks_dict(self) -> dict:
        d = {}
        if self.pages:
            d["pages"] = [list(m) for m in self.pages]
        if self.headings:
            d["headings"] = [list(m) for m in self.headings]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        return cls(d["id"], d["article_id"], d["text"], d["start"], d["end"],
                   _marks(d.get("pages")), _marks(d.get("headings")))


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
            "page": self.chunk.page, "heading": self.chunk.heading,
        }


@dataclass(frozen=True)
class Citation:
    n: int  # the passage number used in the prompt and in the answer's [n] markers
    hit: Hit
    support: str | None = None  # the sentence of the passage that best supports the answer

    def where(self) -> tuple[int | None, str | None]:
        """The page and heading of the supporting sentence: the page a claim came from, even when
        the passage began on the page before."""
        return self.hit.chunk.where(self.support)

    def to_dict(self) -> dict:
        page, heading = self.where()
        return {"n": self.n, **self.hit.to_dict(), "support": self.support, "page": page,
                "heading": heading}


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
