"""The index on disk: FAISS vectors, the chunk store and a manifest, written atomically.

Layout of an index directory:
    CURRENT              name of the live version folder (replaced atomically)
    v-000007/            one complete version:
        manifest.json    format, embedder (name, dim, weights hash), chunking, per-article
                         content hashes, counts, library versions, file checksums
        vectors.faiss    the FAISS vectors by chunk id (rag.index.vectors; absent when they live
                         in Milvus)
        bm25/            the BM25 index of the same chunks (rag.index.lexical), rows mapped to
                         FAISS ids
        chunks.jsonl     one chunk a line: vector id, chunk id, article id, offsets, text, and
                         the pages (PDF) or headings (Word) it spans
        articles.jsonl   one article a line: id, title, date, url, source, text; for PDF and
                         Word files also where each page or heading starts and the file's digest
    .lock                held while writing, so two writers never interleave
    feedback.jsonl, uploads/   written by the web chat, not part of a version

Every write builds a new version folder beside the live one and then swaps `CURRENT`, so a build
that is killed half-way leaves the previous version loading as before; stale folders are removed
on the next write. Reading checks the format, the file sizes and checksums, and says what to do
when something is off.

With a Milvus URI the folder keeps only MILVUS.json, which names the index held wholly in Milvus
(rag.index.milvus_store); `Index.open` and the other entry points dispatch to it.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import IndexCorrupt, IndexMissing
from rag.files import atomic_write, sha256_file
from rag.index import milvus_collections, vectors as vector_stores
from rag.index.lexical import Bm25, describe as describe_bm25
from rag.index.manifest import Described, article_hash, vectors_desc
from rag.index.milvus_store import MilvusIndex
from rag.index.versions import current, fsync, next_seq, now, remove_stale, write_lock
from rag.types import Article, Chunk

FORMAT_VERSION = 1
_FILES = ("chunks.jsonl", "articles.jsonl")


@dataclass
class Index(Described):
    """One loaded version of an index: vectors, chunks and articles, searchable."""

    path: Path
    manifest: dict
    vectors: vector_stores.VectorStore
    chunks: dict[int, Chunk] = field(default_factory=dict)  # vector id -> chunk
    articles: dict[str, Article] = field(default_factory=dict)
    bm25: Bm25 | None = None  # None while changed in memory; rebuilt when saved
    _fid_of: dict[str, int] | None = field(default=None, repr=False)  # chunk id -> vector id
    # article id -> its vector ids, made on first use and kept up to date by add and remove:
    # scanning every chunk per article made adding N articles take N times the index's size.
    _fids_of: dict[str, list[int]] | None = field(default=None, repr=False)

    # ---- reading -------------------------------------------------------------------------
    @classmethod
    def exists(cls, path: str | Path) -> bool:
        root = Path(path)
        return (root / "CURRENT").is_file() or (root / milvus_collections.POINTER).is_file()

    @staticmethod
    def live_version(path: str | Path) -> str | None:
        """The name of the version `CURRENT` points at now (None if there is none): a cheap way
        for a reader to notice that a writer has switched it."""
        if milvus_collections.pointer(Path(path)) is not None:
            return milvus_collections.live_version(Path(path))
        return current(Path(path))

    @classmethod
    def open(cls, path: str | Path, writable: bool = False) -> "Index":
        """Load the live version; `writable` when it is to be changed and saved (not mapped)."""
        root = Path(path)
        if milvus_collections.pointer(root) is not None:
            return MilvusIndex.open(root, writable)
        cur = root / "CURRENT"
        if not cur.is_file():
            raise IndexMissing(f"no index at {root}: build one with `rag index PATH --index {root}`")
        vdir = root / cur.read_text().strip()
        mpath = vdir / "manifest.json"
        try:
            manifest = json.loads(mpath.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise IndexCorrupt(f"index {root}: cannot read {mpath.name} ({e}); rebuild it with "
                               f"`rag index PATH --index {root} --rebuild`") from None
        if manifest.get("embedder", {}).get("dtype") == "remote":
            from rag.index import remote_embedder
            remote_embedder.expect(manifest["embedder"])  # its endpoint is checked against it
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexCorrupt(f"index {root} has format {manifest.get('format')}, this version "
                               f"reads {FORMAT_VERSION}: rebuild it with `rag index PATH --rebuild`")
        for name in set(_FILES) | set(manifest.get("files", {})):
            _verify(vdir / name, manifest["files"].get(name), root)
        try:
            # An index written before BM25 existed gets it built in memory when first searched.
            bm25 = Bm25.load(vdir / "bm25") if "bm25/fids.npy" in manifest["files"] else None
            vecs = vector_stores.load(vectors_desc(manifest), vdir, root, writable)
            chunks = {}
            with open(vdir / "chunks.jsonl", encoding="utf-8") as f:
                for line in f:
                    d = json.loads(line)
                    chunks[d["fid"]] = Chunk.from_dict(d)
            articles = {}
            with open(vdir / "articles.jsonl", encoding="utf-8") as f:
                for line in f:
                    d = json.loads(line)
                    articles[d["id"]] = Article.from_dict(d)
        except (RuntimeError, OSError, KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
            raise IndexCorrupt(f"index {root} is damaged ({e}); rebuild it with "
                               f"`rag index PATH --index {root} --rebuild`") from None
        # Milvus may hold more (an interrupted write's), never fewer.
        n = vecs.ntotal
        extra_ok = vectors_desc(manifest)["engine"] == "milvus"
        if n < len(chunks) or (n > len(chunks) and not extra_ok) \
                or vecs.dim != manifest["embedder"]["dim"]:
            raise IndexCorrupt(f"index {root} is inconsistent ({n} vectors of dimension "
                               f"{vecs.dim}, {len(chunks)} chunks): rebuild it with `rag index --rebuild`")
        if bm25 is not None and len(bm25.fids) != len(chunks):
            raise IndexCorrupt(f"index {root}: the BM25 part has {len(bm25.fids)} rows for "
                               f"{len(chunks)} chunks; rebuild it with `rag index --rebuild`")
        return cls(root, manifest, vecs, chunks, articles, bm25)

    @classmethod
    def empty(cls, path: str | Path, embedder_info: dict, chunking: dict,
              vectors: str = "faiss") -> "Index":
        """A new index; `vectors` is "faiss", or a Milvus URI, where the whole index then lives
        (rag.index.milvus_store)."""
        if milvus_collections.is_milvus(vectors):
            return MilvusIndex.empty(Path(path), embedder_info, chunking, vectors)
        dim = int(embedder_info["dim"])
        store = vector_stores.create(vectors, dim, Path(path))
        manifest = {
            "format": FORMAT_VERSION, "embedder": embedder_info, "chunking": chunking,
            "vectors": store.describe(), "bm25": describe_bm25(),
            "articles": {}, "next_id": 0, "files": {}, "counts": {"articles": 0, "chunks": 0},
        }
        return cls(Path(path), manifest, store, bm25=None)

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        if not self.chunks or k <= 0:
            return []
        hits = self.vectors.search(np.asarray(qvec, dtype=np.float32), k)
        return [(self.chunks[i], s) for i, s in hits if i in self.chunks][:k]

    def search_bm25(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        if self.bm25 is None:
            self.bm25 = _build_bm25(self.chunks)
        return [(self.chunks[fid], s) for fid, s in self.bm25.search(query, k)]

    def dense_scores(self, qvec: np.ndarray, chunk_ids: list[str]) -> list[float]:
        """Cosine of the query with given chunks (for those found by BM25 alone)."""
        if self._fid_of is None:
            self._fid_of = {c.id: fid for fid, c in self.chunks.items()}
        q = np.asarray(qvec, dtype=np.float32).reshape(-1)
        return [float(s) for s in self.vectors.vectors([self._fid_of[c] for c in chunk_ids]) @ q]

    def article_ids(self) -> list[str]:
        return sorted(self.articles)

    def article_chunks(self, article_id: str) -> list[int]:
        if self._fids_of is None:
            self._fids_of = {}
            for fid, c in self.chunks.items():
                self._fids_of.setdefault(c.article_id, []).append(fid)
        return list(self._fids_of.get(article_id, ()))

    # ---- changing (in memory; `save` makes it durable) -------------------------------------
    def remove_article(self, article_id: str) -> int:
        fids = self.article_chunks(article_id)
        if fids:
            self.vectors.remove(np.array(fids, dtype=np.int64))
            self.bm25 = self._fid_of = None
        for fid in fids:
            del self.chunks[fid]
        self._fids_of.pop(article_id, None)  # made by article_chunks above
        self.articles.pop(article_id, None)
        self.manifest["articles"].pop(article_id, None)
        return len(fids)

    def add_article(self, article: Article, chunks: list[Chunk], vectors: np.ndarray) -> None:
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        self.remove_article(article.id)
        start = self.manifest["next_id"]
        fids = np.arange(start, start + len(chunks), dtype=np.int64)
        if len(chunks):
            self.vectors.add(fids, vectors)
        for fid, c in zip(fids, chunks):
            self.chunks[int(fid)] = c
            self._fids_of.setdefault(c.article_id, []).append(int(fid))  # made by remove_article
        self.bm25 = self._fid_of = None
        self.manifest["next_id"] = start + len(chunks)
        self.articles[article.id] = article
        self.manifest["articles"][article.id] = {
            "sha256": article_hash(article), "chunks": len(chunks), "root": article.root}

    # ---- writing -------------------------------------------------------------------------
    def save(self, locked: bool = False) -> Path:
        """Write this state as a new version and switch to it atomically.

        `locked=True` when the caller already holds `write_lock` (a read-modify-write).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        if locked:
            return self._save()
        with write_lock(self.path):
            return self._save()

    def _save(self) -> Path:
        seq = next_seq(self.path)
        tmp = self.path / f".v-{seq:06d}.tmp{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        vector_files = self.vectors.save(tmp)
        ordered = sorted(self.chunks.items())
        _write_jsonl(tmp / "chunks.jsonl", (
            {"fid": fid, "id": c.id, "article_id": c.article_id, "start": c.start,
             "end": c.end, "text": c.text, **c.marks_dict()} for fid, c in ordered))
        _write_jsonl(tmp / "articles.jsonl",
                     (self.articles[a].to_dict() for a in sorted(self.articles)))
        if self.bm25 is None:
            self.bm25 = _build_bm25(self.chunks)
        names = vector_files + list(_FILES) + [f"bm25/{p.name}" for p in self.bm25.save(tmp / "bm25")]
        m = self.manifest
        m["vectors"] = self.vectors.describe()
        m["counts"] = {"articles": len(self.articles), "chunks": len(self.chunks)}
        m["bm25"] = describe_bm25()
        m["files"] = {n: {"bytes": (tmp / n).stat().st_size, "sha256": sha256_file(tmp / n)}
                      for n in names}
        m["versions"] = _versions()
        m.setdefault("created", now())
        m["updated"] = now()
        (tmp / "manifest.json").write_text(json.dumps(m, indent=1, ensure_ascii=False))
        for n in (*names, "manifest.json"):
            fsync(tmp / n)
        final = self.path / f"v-{seq:06d}"
        os.replace(tmp, final)
        atomic_write(self.path / "CURRENT", final.name + "\n")
        (self.path / milvus_collections.POINTER).unlink(missing_ok=True)  # moved here from Milvus
        self.vectors.commit()
        remove_stale(self.path, keep=final.name)
        return final


def _verify(path: Path, expect: dict | None, root: Path) -> None:
    fix = f"rebuild it with `rag index PATH --index {root} --rebuild`"
    if expect is None or not path.is_file():
        raise IndexCorrupt(f"index {root}: {path.name} is missing; {fix}")
    size = path.stat().st_size
    if size != expect["bytes"]:
        raise IndexCorrupt(f"index {root}: {path.name} has {size} bytes, the manifest says "
                           f"{expect['bytes']} (damaged or half-written); {fix}")
    # Checksums of large files would cost seconds per load; their size check above stays.
    if size < 256 * 1024 * 1024 and sha256_file(path) != expect["sha256"]:
        raise IndexCorrupt(f"index {root}: {path.name} does not match its checksum (damaged); {fix}")


def _build_bm25(chunks: dict[int, Chunk]) -> Bm25:
    ordered = sorted(chunks.items())
    return Bm25.build([fid for fid, _ in ordered], [c.text for _, c in ordered])


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def _versions() -> dict:
    import platform

    import faiss

    from rag import __version__
    return {"rag": __version__, "faiss": faiss.__version__, "python": platform.python_version()}
