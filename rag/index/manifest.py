"""What an index says about itself, whatever holds it (a folder, rag.index.store; Milvus,
rag.index.milvus_store): read off its manifest, so that callers ask the index instead of its dict.

`Described` is what both kinds of index share: the embedder it was built with, its chunking, how
many articles and chunks it holds, when it was written, where its vectors live, and a digest of
its contents. `article_hash` is the per-article content hash the manifest keeps, which a sync
compares to find what changed. Left out: reading and writing the manifest (each store its own).
"""

from __future__ import annotations

import hashlib
import json

from rag.index.chunking import ChunkParams
from rag.types import Article

# What `rag info` shows of a manifest, in this order, where present.
SHOWN = ("format", "embedder", "chunking", "counts", "vectors", "created", "updated", "versions")


def article_hash(a: Article) -> str:
    fields = [a.title, a.text, a.date, a.url]
    # Only when present, so that the hashes of articles indexed before these existed still match.
    if a.pages or a.headings:
        fields += [[list(m) for m in a.pages], [list(m) for m in a.headings]]
    if a.author:
        fields.append(a.author)
    blob = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def vectors_desc(manifest: dict) -> dict:
    # Indexes written before rag.index.vectors named their FAISS index under "faiss".
    return manifest.get("vectors") or {"engine": "faiss", "kind": "flat"}


def vector_spec(manifest: dict) -> str:
    """Where an index's vectors live, as the `vectors` setting names it."""
    desc = vectors_desc(manifest)
    if desc["engine"] == "milvus-all":
        return desc["uri"] + ("" if desc["name"] == "rag" else "#" + desc["name"])
    return "faiss" if desc["engine"] == "faiss" else desc["uri"]


class Described:
    """The questions an index answers about itself; `manifest` is the subclass's."""

    manifest: dict
    articles: dict

    @property
    def embedder_info(self) -> dict:
        return self.manifest["embedder"]

    @property
    def chunking(self) -> ChunkParams:
        """How its articles were cut: adding articles with the same never forces a rebuild."""
        c = self.manifest["chunking"]
        return ChunkParams(c["max_tokens"], c["overlap_sentences"])

    @property
    def article_count(self) -> int:
        return self.manifest["counts"]["articles"]

    @property
    def chunk_count(self) -> int:
        return self.manifest["counts"]["chunks"]

    @property
    def updated(self) -> str | None:
        return self.manifest.get("updated")

    @property
    def format(self) -> int | None:
        return self.manifest.get("format")

    @property
    def vector_spec(self) -> str:
        return vector_spec(self.manifest)

    def stored_hash(self, article_id: str) -> str | None:
        """The content hash recorded for an article (None when it is not indexed)."""
        entry = self.manifest["articles"].get(article_id)
        return None if entry is None else entry["sha256"]

    def relocate(self, article: Article) -> None:
        """Record where an unchanged article now comes from (another file or source)."""
        self.articles[article.id] = article
        self.manifest["articles"][article.id]["root"] = article.root

    def contents_digest(self) -> str:
        """A short digest of which articles it holds, in which versions."""
        pairs = sorted((a, v["sha256"]) for a, v in self.manifest["articles"].items())
        return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]

    def describe(self) -> dict:
        """What `rag info` prints: format, embedder, chunking, counts, vectors, dates, versions."""
        return {k: self.manifest[k] for k in SHOWN if k in self.manifest}
