"""The whole index in Milvus: chunks, vectors, BM25 and the manifest, so servers keep nothing.

Used when the `vectors` setting is a Milvus URI: a Milvus server or cluster
(`http://host:19530`), or a Milvus Lite data folder (`milvus.db`, inside the index folder when
relative). A `#name` suffix names the index (default "rag"); the index folder keeps only
`MILVUS.json`, which says where the index is (`rag serve` writes it on a machine that has none),
plus what the web chat writes there (uploads, feedback).

Three collections per index name:
    NAME_meta               one record, "manifest": format, embedder (name, dim, weights hash or
                            remote fingerprint), chunking, BM25 settings, counts, the live
                            version V and the names of the two collections below
    NAME_chunks_<tag>       a row per chunk: id, article id, offsets, text, the PDF pages or
                            Word headings it spans, its dense vector, and `terms`: the chunk's
                            words as rag.index.lexical tokenises them (stemmed, no stop words),
                            which Milvus's own BM25 function turns into the sparse vector it
                            searches
    NAME_articles_<tag>     a row per article piece: title, date, url, source, content hash, and
                            the text (in pieces, since a Milvus string holds 64 KiB), kept so a
                            change of model or chunking can re-embed without the files

Versions: every row carries `born` and `died` (a version number, or never). A search at version V
sees the rows with born <= V < died. A write at V+1 inserts new rows born V+1 (not yet visible)
and marks replaced ones died V+1 (still visible), then switches V in the manifest record, one
upsert: the whole write appears at once, to every server. Rows that died are deleted after. A
write killed half-way leaves V as it was, so searches answer as before; the next write first
deletes what the killed one added and unmarks what it marked, then goes on. A change of model or
chunking fills new collections and switches the manifest to them the same way.

Servers notice a new V through `live_version` (one small read before each question) and reload,
which here means reading the manifest record: nothing else is held in memory, articles are
fetched when a hit needs their title.

BM25 runs inside Milvus, so nothing is rebuilt per write. Milvus scores BM25 with collection
statistics; Milvus Lite keeps them per segment (its documented limitation), so its scores
drift a little from bm25s's; the fusion of dense and BM25 lists stays rag.retrieval's
(measured against Milvus's own hybrid search in docs/scale.md).

Left out: two writers at once on different machines (the index folder's lock serialises writers
on one machine only: run `rag index` from one place), partitions, and Milvus's own
analysers (the tokens are made here, so every Milvus, Lite included, indexes the same words).
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from pathlib import Path

import numpy as np

from rag.errors import IndexCorrupt
from rag.index.lexical import describe as describe_bm25, tokenize
from rag.index.manifest import Described, article_hash
from rag.index.milvus_collections import (BATCH, CHUNK_FIELDS, FORMAT, NEVER, PIECE_CHARS,
                                          client, create_collections, ensure_meta, fit_text,
                                          get_manifest, now, pointer, quote, read_manifest,
                                          split_spec, write_pointer)
from rag.index.versions import drop_folder_versions
from rag.types import Article, Chunk

class MilvusIndex(Described):
    """One version of a Milvus-held index: searchable, and changeable when opened writable."""

    def __init__(self, root: Path, uri: str, name: str, manifest: dict, writable: bool):
        self.path = Path(root)
        self.uri, self.name = uri, name
        self.manifest = manifest
        self.writable = writable
        self._c = client(uri, self.path)
        if manifest["embedder"].get("dtype") == "remote":
            from rag.index import remote_embedder
            remote_embedder.expect(manifest["embedder"])  # its endpoint is checked against it
        self._v = int(manifest["version"])
        self._g = self._v + 1  # what a write here will become
        self._visible = f"born <= {self._v} and died > {self._v}"
        self._fid_of: OrderedDict[str, int] = OrderedDict()
        self._added: set[str] = set()  # articles added by this write
        self._rows: list[dict] = []  # chunk rows waiting to be inserted
        self.vectors = _Dim(int(manifest["embedder"]["dim"]))
        self.chunks = _Chunks(self)
        self.articles: dict | _Articles = _Articles(self)
        if writable:
            self._recover()
            self.articles = self._all_articles()

    # ---- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path, writable: bool = False) -> "MilvusIndex":
        p = pointer(root)
        manifest = read_manifest(root, p)
        c = client(p["uri"], root)
        for col in (manifest["chunks"], manifest["articles_collection"]):
            if not c.has_collection(col):
                raise IndexCorrupt(f"index {root}: the Milvus collection {col!r} is missing from "
                                   f"{p['uri']}; rebuild it with `rag index PATH --index {root} "
                                   "--rebuild`")
        return cls(root, p["uri"], p["name"], manifest, writable)

    @classmethod
    def empty(cls, root: Path, embedder_info: dict, chunking: dict, spec: str) -> "MilvusIndex":
        """New collections for a new (or rebuilt) index; live only once saved."""
        uri, name = split_spec(spec)
        c = client(uri, Path(root))
        ensure_meta(c, name)
        old = get_manifest(c, name)
        tag = uuid.uuid4().hex[:8]
        manifest = {
            "format": FORMAT, "embedder": embedder_info, "chunking": chunking,
            "vectors": {"engine": "milvus-all", "uri": uri, "name": name},
            "bm25": {**describe_bm25(), "engine": "milvus BM25 function"},
            "articles": {}, "next_id": 0, "counts": {"articles": 0, "chunks": 0},
            "version": int(old["version"]) if old else 0,
            "chunks": f"{name}_chunks_{tag}", "articles_collection": f"{name}_articles_{tag}",
            "created": now(),
        }
        create_collections(c, manifest, int(embedder_info["dim"]), uri)
        idx = cls.__new__(cls)
        MilvusIndex.__init__(idx, root, uri, name, manifest, writable=False)
        idx.writable, idx.articles = True, {}
        return idx

    # ---- reading -----------------------------------------------------------------------------
    def search(self, qvec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        if k <= 0:
            return []
        res = self._c.search(self.manifest["chunks"], data=[np.asarray(qvec, np.float32).tolist()],
                             anns_field="vector", limit=k, filter=self._visible,
                             output_fields=CHUNK_FIELDS, search_params={"metric_type": "IP"})
        return [(self._chunk(h["entity"]), float(h["distance"])) for h in res[0]]

    def search_bm25(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        terms = tokenize([query])[0]
        if not terms or k <= 0:
            return []
        res = self._c.search(self.manifest["chunks"], data=[" ".join(terms)], anns_field="sparse",
                             limit=k, filter=self._visible, output_fields=CHUNK_FIELDS,
                             search_params={"metric_type": "BM25"})
        # Milvus Lite reports BM25 as a negated distance, a server as a score; both mean |x|.
        return [(self._chunk(h["entity"]), abs(float(h["distance"]))) for h in res[0]
                if h["distance"]]

    def dense_scores(self, qvec: np.ndarray, chunk_ids: list[str]) -> list[float]:
        if not chunk_ids:
            return []
        rows = self._c.query(self.manifest["chunks"], output_fields=["cid", "vector"],
                             filter=f"cid in {json.dumps(chunk_ids)} and {self._visible}")
        vec = {r["cid"]: np.asarray(r["vector"], np.float32) for r in rows}
        q = np.asarray(qvec, dtype=np.float32).reshape(-1)
        return [float(vec[c] @ q) if c in vec else 0.0 for c in chunk_ids]

    def article(self, aid: str) -> Article | None:
        rows = self._c.query(self.manifest["articles_collection"],
                             filter=f"aid == {quote(aid)} and {self._visible}",
                             output_fields=["part", "meta", "text"])
        return _assemble(rows)

    def _chunk(self, e: dict) -> Chunk:
        return Chunk.from_dict({"id": e["cid"], "article_id": e["aid"], "text": e["text"],
                                "start": e["start"], "end": e["end"], **(e.get("marks") or {})})

    def article_ids(self) -> list[str]:
        """Every article's id (one row each: its first part)."""
        rows = self._c.query(self.manifest["articles_collection"], output_fields=["aid"],
                             filter=f"part == 0 and {self._visible}")
        return sorted(r["aid"] for r in rows)

    def article_chunks(self, article_id: str) -> list[int]:
        rows = self._c.query(self.manifest["chunks"], output_fields=["fid"],
                             filter=f"aid == {quote(article_id)} and {self._visible}")
        return [int(r["fid"]) for r in rows]

    # ---- changing ----------------------------------------------------------------------------
    def remove_article(self, article_id: str) -> int:
        n = 0
        if article_id in self._added:  # added earlier in this write: not visible anywhere yet
            self._flush_rows()
            for col in (self.manifest["chunks"], self.manifest["articles_collection"]):
                self._c.delete(col, filter=f"aid == {quote(article_id)} and born == {self._g}")
            n = self.manifest["articles"].get(article_id, {}).get("chunks", 0)
            self._added.discard(article_id)
        elif article_id in self.manifest["articles"]:
            n = self._mark_dead(self.manifest["chunks"], f"aid == {quote(article_id)}")
            self._mark_dead(self.manifest["articles_collection"], f"aid == {quote(article_id)}")
        if article_id in self.manifest["articles"]:
            self.manifest["counts"]["chunks"] -= self.manifest["articles"][article_id]["chunks"]
        self.articles.pop(article_id, None)
        self.manifest["articles"].pop(article_id, None)
        return n

    def add_article(self, article: Article, chunks: list[Chunk], vectors: np.ndarray) -> None:
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        self.remove_article(article.id)
        start = self.manifest["next_id"]
        for i, (c, v) in enumerate(zip(chunks, vectors)):
            self._rows.append({"fid": start + i, "cid": fit_text(c.id), "aid": fit_text(article.id),
                               "born": self._g, "died": NEVER, "start": c.start, "end": c.end,
                               "text": fit_text(c.text), "marks": c.marks_dict(),
                               "vector": np.asarray(v, np.float32).tolist()})
        if len(self._rows) >= BATCH:
            self._flush_rows()
        entry = {"sha256": article_hash(article), "chunks": len(chunks), "root": article.root}
        self._insert_article(article, entry)
        self._added.add(article.id)
        self.manifest["next_id"] = start + len(chunks)
        self.manifest["counts"]["chunks"] += len(chunks)
        self.articles[article.id] = article
        self.manifest["articles"][article.id] = entry

    def save(self, locked: bool = False) -> Path:
        """Switch every server to this write at once: one upsert of the manifest record."""
        self._flush_rows()
        m = dict(self.manifest, version=self._g, updated=now())
        m["counts"] = {"articles": len(self.articles), "chunks": m["counts"]["chunks"]}
        for col in (m["chunks"], m["articles_collection"]):
            self._c.flush(col)
        stored = {k: v for k, v in m.items() if k != "articles"}
        self._c.upsert(f"{self.name}_meta", [{"key": "manifest", "value": stored,
                                               "vector": [0.0, 0.0]}])
        self._c.flush(f"{self.name}_meta")
        write_pointer(self.path, self.uri, self.name)
        drop_folder_versions(self.path)  # an index moved here from FAISS leaves its folders
        self.manifest, self._v = m, self._g
        self._visible = f"born <= {self._v} and died > {self._v}"
        self._g += 1
        self._sweep()
        return self.path

    # ---- inside ------------------------------------------------------------------------------
    def _flush_rows(self) -> None:
        if not self._rows:
            return
        terms = tokenize([r["text"] for r in self._rows])
        for r, t in zip(self._rows, terms):
            r["terms"] = fit_text(" ".join(t))
        for s in range(0, len(self._rows), BATCH):
            self._c.insert(self.manifest["chunks"], self._rows[s:s + BATCH])
        self._rows = []

    def _insert_article(self, a: Article, entry: dict) -> None:
        d = a.to_dict()
        text = d.pop("text")
        pieces = [text[i:i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
        self._c.insert(self.manifest["articles_collection"], [
            {"key": fit_text(f"{a.id}\t{self._g}\t{n}"), "aid": fit_text(a.id), "part": n,
             "born": self._g, "died": NEVER, "meta": {**d, **entry} if n == 0 else {},
             "text": p, "vector": [0.0, 0.0]} for n, p in enumerate(pieces)])

    def _mark_dead(self, col: str, where: str) -> int:
        """Rows visible now stop being visible from the version this write makes."""
        rows = self._c.query(col, filter=f"{where} and {self._visible}", output_fields=["*"])
        return self._rewrite(col, rows, died=self._g)

    def _rewrite(self, col: str, rows: list[dict], died: int) -> int:
        for r in rows:
            r.pop("sparse", None)  # made by the BM25 function from `terms`
            r["died"] = died
        for s in range(0, len(rows), BATCH):
            self._c.upsert(col, rows[s:s + BATCH])
        return len(rows)

    def _recover(self) -> None:
        """Undo what a killed write left: its rows (born after V) and its marks (died after V)."""
        for col in (self.manifest["chunks"], self.manifest["articles_collection"]):
            self._c.delete(col, filter=f"born > {self._v}")
            marked = self._c.query(col, filter=f"died > {self._v} and died < {NEVER}",
                                   output_fields=["*"])
            self._rewrite(col, marked, died=NEVER)
        self._sweep()

    def _sweep(self) -> None:
        """Delete rows no version at or after V shows, and collections no manifest names."""
        for col in (self.manifest["chunks"], self.manifest["articles_collection"]):
            self._c.delete(col, filter=f"died <= {self._v}")
        live = {self.manifest["chunks"], self.manifest["articles_collection"], f"{self.name}_meta"}
        for col in self._c.list_collections():
            if col.startswith((f"{self.name}_chunks_", f"{self.name}_articles_")) \
                    and col not in live:
                self._c.drop_collection(col)

    def _all_articles(self) -> dict[str, Article]:
        """Every article (for a write: the manifest's per-article hashes, and the texts a
        rebuild re-embeds)."""
        parts: dict[str, list[dict]] = {}
        it = self._c.query_iterator(self.manifest["articles_collection"], batch_size=1000,
                                    filter=self._visible, output_fields=["aid", "part", "meta",
                                                                         "text"])
        while batch := it.next():
            for r in batch:
                parts.setdefault(r["aid"], []).append(r)
        it.close()
        out = {}
        for aid, rows in parts.items():
            a = _assemble(rows)
            meta = next(r["meta"] for r in rows if r["part"] == 0)
            self.manifest["articles"][aid] = {k: meta[k] for k in ("sha256", "chunks", "root")}
            out[aid] = a
        return out


def _assemble(rows: list[dict]) -> Article | None:
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["part"])
    meta = dict(rows[0]["meta"])
    for k in ("sha256", "chunks"):
        meta.pop(k, None)
    return Article.from_dict({**meta, "text": "".join(r["text"] for r in rows)})


class _Dim:
    """What callers read of `index.vectors` (its dimension)."""

    def __init__(self, dim: int):
        self.dim = dim


class _Chunks:
    """`index.chunks` of a Milvus-held index: its count, and chunks fetched by vector id."""

    def __init__(self, index: MilvusIndex):
        self._index = index

    def __len__(self) -> int:
        return int(self._index.manifest["counts"]["chunks"])

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, fid: int) -> Chunk:
        ix = self._index
        rows = ix._c.query(ix.manifest["chunks"], filter=f"fid == {int(fid)} and {ix._visible}",
                           output_fields=CHUNK_FIELDS)
        if not rows:
            raise KeyError(fid)
        return ix._chunk(rows[0])


class _Articles:
    """`index.articles` of a server: fetched from Milvus when a hit needs one, a few cached."""

    def __init__(self, index: MilvusIndex, keep: int = 4096):
        self._index, self._keep = index, keep
        self._cache: OrderedDict[str, Article | None] = OrderedDict()

    def get(self, aid: str, default=None):
        if aid not in self._cache:
            self._cache[aid] = self._index.article(aid)
            if len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        a = self._cache[aid]
        return default if a is None else a

    def __contains__(self, aid) -> bool:
        return self.get(aid) is not None

    def __getitem__(self, aid: str) -> Article:
        a = self.get(aid)
        if a is None:
            raise KeyError(aid)
        return a

    def __len__(self) -> int:
        return int(self._index.manifest["counts"]["articles"])

    def pop(self, aid, default=None):
        return self._cache.pop(aid, default)


