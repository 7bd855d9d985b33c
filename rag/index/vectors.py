"""Vector stores: where chunk vectors live and how the nearest ones are found.

One small interface (`VectorStore`), two engines behind it, chosen by configuration
(`vectors = "faiss"`, the default, or a Milvus URI):

- `FaissVectors`: FAISS files inside each index version. Exact inner-product search up to
  `EXACT_LIMIT` vectors; above it an IVF index (trained on the vectors themselves, searched with
  `nprobe` lists) whose recall against exact search is measured by `bench/speed.py`. Both keep
  arbitrary ids, so chunks keep their ids across changes. Read-only opens memory-map the file
  where FAISS allows it, so several processes share one copy in the page cache.
- `MilvusVectors`: (indexes written before rag.index.milvus_store, which now holds the whole index
  when `vectors` is a Milvus URI) a Milvus collection, either Milvus Lite (a local `.db` file, embedded, no
  server) or a Milvus server/cluster (`http://host:19530`). The collection holds vectors by chunk
  id only; chunk texts, BM25 and the manifest stay in the index version folder. Because a
  collection is not versioned, new vectors are written before a version is switched on and old
  ones deleted after, and searches drop ids the live version does not hold: an interrupted write
  leaves extra vectors that are never returned, never missing ones.

Vectors are unit length, so inner product is cosine. Milvus Lite lets one process open its file
at a time (a second gets a clear error); a Milvus server has no such limit. Left out: product
quantisation (it loses recall that fp32 vectors at this scale do not need to lose), GPU FAISS.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

import numpy as np

EXACT_LIMIT = 50_000  # below this many vectors search is exact (see bench/speed.py)
FAISS_FILE = "vectors.faiss"


class VectorStore(Protocol):
    dim: int

    @property
    def ntotal(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def vectors(self, ids: list[int]) -> np.ndarray: ...

    def save(self, folder: Path) -> list[str]:
        """Make the state durable for a version written in `folder`; returns files written there."""

    def commit(self) -> None:
        """Called after the version is live: finish what had to wait for it (deletes)."""

    def describe(self) -> dict: ...


def create(spec: str, dim: int, index_root: Path) -> VectorStore:
    """A new, empty store for an index at `index_root`; `spec` is "faiss" or a Milvus URI."""
    if spec == "faiss":
        return FaissVectors.empty(dim)
    return MilvusVectors.create(spec, dim, index_root)


def load(desc: dict, folder: Path, index_root: Path, writable: bool) -> VectorStore:
    """The store a version's manifest describes (`desc` is its "vectors" entry)."""
    if desc.get("engine", "faiss") == "faiss":
        return FaissVectors.load(folder / FAISS_FILE, desc, writable)
    return MilvusVectors.open(desc, index_root)


# ---- FAISS ------------------------------------------------------------------------------------
class FaissVectors:
    def __init__(self, index, nprobe: int = 0):
        self.index = index
        self.dim = index.d
        self.nprobe = nprobe
        if nprobe:
            self._ivf().nprobe = nprobe

    @classmethod
    def empty(cls, dim: int) -> "FaissVectors":
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def load(cls, path: Path, desc: dict, writable: bool) -> "FaissVectors":
        import faiss

        # An exact index opened for reading is memory-mapped: loading is instant and the pages
        # are shared between processes. (FAISS maps flat codes read-only, so writers read it.)
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY \
            if not writable and desc.get("kind", "flat") == "flat" else 0
        return cls(faiss.read_index(str(path), flags), int(desc.get("nprobe", 0)))

    @property
    def kind(self) -> str:
        return "ivf" if self.nprobe else "flat"

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def _ivf(self):
        import faiss

        return faiss.extract_index_ivf(self.index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.asarray(ids, dtype=np.int64))
        if self.kind == "flat" and self.ntotal > EXACT_LIMIT:
            self._to_ivf()

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self.index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.ntotal == 0 or k <= 0:
            return []
        import faiss

        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        # One question leaves FAISS nothing to share among threads, and its idle OpenMP threads
        # spin a while after a search, taking the CPU from BM25 and fusion that come next, which
        # on a small machine makes the whole search slower. The setting belongs to the calling
        # thread, so index builds elsewhere keep every core.
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(q, min(k, self.ntotal))
        finally:
            faiss.omp_set_num_threads(before)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def vectors(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def save(self, folder: Path) -> list[str]:
        import faiss

        faiss.write_index(self.index, str(folder / FAISS_FILE))
        return [FAISS_FILE]

    def commit(self) -> None:
        pass

    def describe(self) -> dict:
        d = {"engine": "faiss", "kind": self.kind, "metric": "inner_product"}
        if self.kind == "ivf":
            d.update(nlist=int(self._ivf().nlist), nprobe=self.nprobe)
        return d

    def _to_ivf(self) -> None:
        """Past EXACT_LIMIT: train an IVF index on the vectors held and move them into it."""
        ids, vecs = all_vectors(self.index)
        self.index = build_ivf(ids, vecs)
        self.nprobe = self._ivf().nprobe


def ivf_shape(n: int) -> tuple[int, int]:
    """(nlist, nprobe) for n vectors: about 4*sqrt(n) lists, and enough of them probed that the
    results stay close to exact search's on the sizes bench/speed.py measures (docs/scale.md)."""
    nlist = max(64, 1 << round(math.log2(4 * math.sqrt(max(n, 1)))))
    return nlist, max(16, nlist // 32)


def build_ivf(ids: np.ndarray, vecs: np.ndarray):
    import faiss

    nlist, nprobe = ivf_shape(len(ids))
    index = faiss.index_factory(vecs.shape[1], f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vecs[rng.choice(len(vecs), min(len(vecs), nlist * 40), replace=False)]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    ivf = faiss.extract_index_ivf(index)
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
    index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids.astype(np.int64))
    ivf.nprobe = nprobe
    return index


def all_vectors(index) -> tuple[np.ndarray, np.ndarray]:
    """The ids and vectors of an IndexIDMap2 over a flat index."""
    import faiss

    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    return ids, index.index.reconstruct_n(0, index.ntotal)


# ---- Milvus -----------------------------------------------------------------------------------
class MilvusVectors:
    """Vectors in a Milvus collection (Milvus Lite file or Milvus server), keyed by chunk id."""

    def __init__(self, uri: str, collection: str, dim: int, index_root: Path):
        self.uri = uri
        self.collection = collection
        self.dim = dim
        self._client = milvus_client(uri, index_root)
        self._pending_deletes: list[int] = []

    @classmethod
    def create(cls, uri: str, dim: int, index_root: Path) -> "MilvusVectors":
        import uuid

        from pymilvus import DataType

        store = cls(uri, f"rag_{uuid.uuid4().hex[:12]}", dim, index_root)
        c = store._client
        schema = c.create_schema(auto_id=False)
        schema.add_field("fid", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = c.prepare_index_params()
        # Milvus Lite runs exact (FLAT) search; a server picks its own index (AUTOINDEX).
        kind = "FLAT" if is_lite(uri) else "AUTOINDEX"
        params.add_index("vector", index_type=kind, metric_type="IP")
        c.create_collection(store.collection, schema=schema, index_params=params)
        return store

    @classmethod
    def open(cls, desc: dict, index_root: Path) -> "MilvusVectors":
        from rag.errors import IndexCorrupt

        store = cls(desc["uri"], desc["collection"], int(desc["dim"]), index_root)
        if not store._client.has_collection(store.collection):
            raise IndexCorrupt(f"index {index_root}: the Milvus collection {store.collection!r} "
                               f"is missing from {desc['uri']}; rebuild the index with "
                               "`rag index PATH --rebuild`")
        store._client.load_collection(store.collection)
        return store

    @property
    def ntotal(self) -> int:
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        rows = [{"fid": int(i), "vector": v.astype(np.float32).tolist()}
                for i, v in zip(ids, vectors)]
        for s in range(0, len(rows), 1000):
            self._client.upsert(self.collection, rows[s:s + 1000])

    def remove(self, ids: np.ndarray) -> None:
        # Deleted only once the version without them is live (see the module docstring).
        self._pending_deletes.extend(int(i) for i in ids)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        # A few more than k: ids of an unfinished write, which the Index drops, may be among them.
        res = self._client.search(self.collection, data=[query.astype(np.float32).tolist()],
                                  limit=k + 16, output_fields=["fid"])
        return [(int(h["fid"] if "fid" in h else h["id"]), float(h["distance"])) for h in res[0]]

    def vectors(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = {int(r["fid"]): r["vector"] for r in
                self._client.get(self.collection, ids=[int(i) for i in ids],
                                 output_fields=["vector"])}
        return np.asarray([rows[int(i)] for i in ids], dtype=np.float32)

    def save(self, folder: Path) -> list[str]:
        self._client.flush(self.collection)
        return []

    def commit(self) -> None:
        if self._pending_deletes:
            self._client.delete(self.collection, ids=self._pending_deletes)
            self._client.flush(self.collection)
            self._pending_deletes = []

    def describe(self) -> dict:
        return {"engine": "milvus", "uri": self.uri, "collection": self.collection,
                "dim": self.dim, "metric": "inner_product"}


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def milvus_client(uri: str, index_root: Path):
    from rag.errors import ConfigError

    try:
        from pymilvus import MilvusClient
    except ImportError as e:
        raise ConfigError("vectors is a Milvus URI but pymilvus is not installed: "
                          "`.venv/bin/pip install pymilvus milvus-lite`") from e
    if is_lite(uri):
        # A relative Milvus Lite file lives inside the index directory.
        path = Path(uri) if Path(uri).is_absolute() else Path(index_root) / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = str(path)
    try:
        return MilvusClient(uri)
    except Exception as e:  # noqa: BLE001 - pymilvus raises its own hierarchy
        hint = (" Milvus Lite lets one process open its file at a time: stop the other one (a "
                "running `rag serve`?) or use a Milvus server." if is_lite(uri) else "")
        raise ConfigError(f"cannot open the Milvus store {uri}: {e}.{hint}") from e
