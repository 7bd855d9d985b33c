"""Building and syncing an index from sources: only what changed is embedded.

`sync` reads the given files and folders, compares each article's content hash with the manifest,
chunks and embeds new and changed articles in one batched pass, deletes the chunks of changed and
vanished articles for real, and writes a new version atomically. "Vanished" means: indexed from one
of the sources named in this run, and no longer found there. Articles from other sources stay, so
`rag index a/` then `rag index b/` keeps both; `rag remove ID` removes one by hand. A file that is
bad this time (say, half-written) keeps its previously indexed version: bad input loses nothing.

A different embedder or chunking than the index was built with rebuilds it, re-embedding every
stored article (their texts are kept in the index), so nothing is lost there either. An embedding
endpoint (rag.index.remote_embedder) that serves the index's model name but returns other vectors
for its fingerprint texts is refused instead (`EmbedderChanged`).

PDF and Word files are costly to read, so one whose bytes match an indexed article's digest is not
read again (except by `rebuild`, which reads everything anew); reading happens under the write
lock, so what is compared is what the index holds.

With a `namespace` (the chat's uploads), every article's id starts with it, and an article whose
id is indexed already from another file is refused: an upload never replaces or shadows an
article it did not create, whatever id a .jsonl line claims.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from rag.index.chunking import ChunkParams, chunk_article
from rag.index.embedders import Embedder
from rag.index.manifest import article_hash
from rag.index.store import Index
from rag.index.versions import write_lock
from rag.read.ingest import Progress, Skipped, read_sources
from rag.types import Article, Chunk

EMBED_BATCH = 64


@dataclass
class Report:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0  # total in the index afterwards
    embedded: int = 0  # chunks embedded in this run
    seconds: float = 0.0
    rebuilt: str | None = None  # why the index was rebuilt, if it was

    def summary(self) -> str:
        s = (f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged, "
             f"{self.removed} removed, {len(self.skipped)} skipped; {self.chunks} chunks "
             f"({self.embedded} embedded) in {self.seconds:.1f}s")
        return (f"rebuilt ({self.rebuilt}); " + s) if self.rebuilt else s

    def to_dict(self) -> dict:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged,
                "removed": self.removed, "chunks": self.chunks, "embedded": self.embedded,
                "seconds": round(self.seconds, 3), "rebuilt": self.rebuilt,
                "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped]}


def sync(sources: list[str | Path], index_dir: str | Path, embedder: Embedder,
         params: ChunkParams = ChunkParams(), rebuild: bool = False, prune: bool = True,
         progress: Callable[[int, int], None] | None = None, vectors: str | None = None,
         reading: Progress | None = None, namespace: str | None = None) -> Report:
    """Bring the index in line with the given sources; see the module docstring.

    `vectors` is where vectors live ("faiss" or a Milvus URI, rag.index.vectors); None keeps what
    the index has. A different one moves the index there (a rebuild). `progress(done, total)`
    follows the embedding, `reading(file, pages done, pages)` the reading of long PDFs.
    """
    t0 = time.perf_counter()
    root = Path(index_dir)
    with write_lock(root):
        idx, kept, why = _start(root, embedder, params, rebuild, vectors)
        known = {} if rebuild else {a.digest: a for a in (*idx.articles.values(), *kept.values())
                                    if a.digest}
        articles, skipped = read_sources(sources, known=known, progress=reading)
        if namespace is not None:
            articles, refused = _claim(articles, idx, namespace)
            skipped += refused
        report = Report(skipped=list(skipped), rebuilt=why)
        roots = {str(Path(s).resolve()) for s in sources if Path(s).exists()}
        bad_files = {_file_of(s.source) for s in skipped}
        current = {a.id for a in articles}
        todo: list[Article] = []
        moved = False
        for a in articles:
            stored = idx.stored_hash(a.id)
            if stored is not None and stored == article_hash(a):
                report.unchanged += 1
                if idx.articles.get(a.id) != a:
                    # Same text from another file or source: keep where it came from up to date.
                    idx.relocate(a)
                    moved = True
                continue
            todo.append(a)
            if stored is not None or a.id in kept:
                report.changed += 1
            else:
                report.added += 1
        # Articles kept from before a rebuild and not among the given sources are re-embedded too.
        todo += [a for aid, a in kept.items() if aid not in current]
        if prune:
            for aid, a in list(idx.articles.items()):
                if aid in current or a.root not in roots or _file_of(a.source or "") in bad_files \
                        or _under(a.source or "", bad_files):
                    continue
                idx.remove_article(aid)
                report.removed += 1
        report.embedded = _embed_into(idx, todo, embedder, params, progress)
        if report.added or report.changed or report.removed or why or todo or moved \
                or not Index.exists(root):
            idx.save(locked=True)
    report.chunks = len(idx.chunks)
    report.seconds = time.perf_counter() - t0
    return report


def _claim(articles: list[Article], idx: Index, prefix: str
           ) -> tuple[list[Article], list[Skipped]]:
    """The articles with ids in `prefix`'s namespace; those whose id another file holds refused."""
    kept, refused = [], []
    for a in articles:
        if not a.id.startswith(prefix):
            a = replace(a, id=prefix + a.id)
        old = idx.articles.get(a.id)
        if old is not None and _file_of(old.source or "") != _file_of(a.source or ""):
            refused.append(Skipped(a.source or a.id, f"article id {a.id!r} is taken by "
                                   f"{Path(_file_of(old.source or '')).name or 'another article'}: "
                                   "an upload cannot replace an article it did not add; give it "
                                   "another id"))
            continue
        kept.append(a)
    return kept, refused


def remove(index_dir: str | Path, article_ids: list[str]) -> list[str]:
    """Remove articles by id; returns the ids that were not in the index."""
    root = Path(index_dir)
    with write_lock(root):
        idx = Index.open(root, writable=True)
        missing = [a for a in article_ids if a not in idx.articles]
        for a in article_ids:
            if a in idx.articles:
                idx.remove_article(a)
        if len(missing) < len(article_ids):
            idx.save(locked=True)
    return missing


def _start(root: Path, embedder: Embedder, params: ChunkParams, rebuild: bool,
           vectors: str | None) -> tuple[Index, dict[str, Article], str | None]:
    """Open the index, or start an empty one; on a model/chunking change keep the old articles."""
    def fresh(spec: str | None):
        return Index.empty(root, embedder.info(), params.to_dict(), spec or "faiss")

    if not Index.exists(root):
        return fresh(vectors), {}, None
    if rebuild:
        try:
            old_index = Index.open(root, writable=True)  # every article, to re-embed
            old, spec = old_index.articles, vectors or old_index.vector_spec
        except Exception:  # noqa: BLE001 - a damaged index is exactly what --rebuild is for
            old, spec = {}, vectors
        return fresh(spec), dict(old), "asked for"
    idx = Index.open(root, writable=True)
    old = idx.embedder_info
    if old.get("dtype") == "remote" and old.get("name") == embedder.name \
            and hasattr(embedder, "check"):
        # The same model name through an endpoint: its vectors must still be the index's, or
        # new chunks would land in another vector space than the old ones (refused, not rebuilt:
        # a server swapped by mistake should not cost a re-embedding of everything).
        embedder.check(old, f"index {root}")
    why = _mismatch(idx, embedder.info(), params, vectors)
    if why:
        return fresh(vectors or idx.vector_spec), dict(idx.articles), why
    return idx, {}, None


def _mismatch(idx: Index, info: dict, params: ChunkParams, vectors: str | None) -> str | None:
    old = idx.embedder_info
    for key in ("name", "dim", "weights_sha256", "dtype"):
        if old.get(key) != info.get(key):
            return f"embedder {key} changed from {old.get(key)} to {info.get(key)}"
    if idx.chunking != params:
        return f"chunking changed from {idx.chunking.to_dict()} to {params.to_dict()}"
    if vectors is not None and vectors != idx.vector_spec:
        return f"vectors moved from {idx.vector_spec} to {vectors}"
    return None


def _embed_into(idx: Index, todo: list[Article], embedder: Embedder, params: ChunkParams,
                progress: Callable[[int, int], None] | None) -> int:
    per_article: list[tuple[Article, list[Chunk]]] = [
        (a, chunk_article(a, embedder.count_tokens, params)) for a in todo]
    texts = [c.text for _, cs in per_article for c in cs]
    if progress:
        progress(0, len(texts))
    vectors = []
    step = EMBED_BATCH * 16  # large slices keep encode() efficient and the bar moving
    for i in range(0, len(texts), step):
        vectors.append(embedder.embed(texts[i:i + step], batch_size=EMBED_BATCH))
        if progress:
            progress(min(i + step, len(texts)), len(texts))
    import numpy as np

    allv = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dim), dtype=np.float32)
    pos = 0
    for a, cs in per_article:
        idx.add_article(a, cs, allv[pos:pos + len(cs)])
        pos += len(cs)
    return len(texts)


def _under(source: str, folders: set[str]) -> bool:
    """Whether a file lies in a folder that could not be walked this time (so it is kept)."""
    return any(source.startswith(f.rstrip("/") + "/") for f in folders)


def _file_of(source: str) -> str:
    """The file part of a source; .jsonl lines are named 'file:line'."""
    head, _, tail = source.rpartition(":")
    return head if head and tail.isdigit() else source

