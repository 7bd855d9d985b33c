"""A Milvus-held index's records and collections: where the index folder points (`MILVUS.json`),
one connection per Milvus, the manifest record (the live version V and the collections' names),
and the schemas of the chunk and article collections (rag.index.milvus_store says what they
hold and how versions work). Left out: reading and writing rows (rag.index.milvus_store).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from rag.errors import IndexCorrupt, IndexMissing
from rag.files import atomic_write

FORMAT = 2  # of a Milvus-held index (the folder's is rag.index.store.FORMAT_VERSION)
POINTER = "MILVUS.json"
NEVER = 2 ** 62
TEXT_BYTES = 65_535  # Milvus's longest VARCHAR
PIECE_CHARS = 16_000  # an article text piece: 4 bytes a character at worst still fits
BATCH = 1000
CHUNK_FIELDS = ["fid", "cid", "aid", "start", "end", "text", "marks"]



def is_milvus(spec: str | None) -> bool:
    return bool(spec) and spec != "faiss"


def pointer(root: Path) -> dict | None:
    try:
        return json.loads((Path(root) / POINTER).read_text())
    except (OSError, ValueError):
        return None


def attach(root: str | Path, spec: str) -> None:
    """Let an index folder name the Milvus index `spec` (a server on a machine without one)."""
    root = Path(root)
    if pointer(root) is None and not (root / "CURRENT").exists():
        uri, name = split_spec(spec)
        write_pointer(root, uri, name)


def split_spec(spec: str) -> tuple[str, str]:
    uri, _, name = spec.partition("#")
    return uri, name or "rag"


def write_pointer(root: Path, uri: str, name: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    atomic_write(root / POINTER, json.dumps({"uri": uri, "name": name}) + "\n")


_CLIENTS: dict[str, object] = {}


def client(uri: str, root: Path):
    """One connection per Milvus per process (a Lite folder is opened by one process only)."""
    from rag.index.vectors import is_lite, milvus_client

    key = str((Path(root) / uri).resolve()) if is_lite(uri) else uri
    if key not in _CLIENTS:
        _CLIENTS[key] = milvus_client(uri, root)
    return _CLIENTS[key]


def fit_text(value: str) -> str:
    """A string cut to what a Milvus VARCHAR holds."""
    b = value.encode("utf-8")
    return value if len(b) <= TEXT_BYTES else b[:TEXT_BYTES].decode("utf-8", "ignore")


def quote(value: str) -> str:
    return json.dumps(value)  # a double-quoted literal with escapes, as Milvus filters read it


def read_manifest(root: Path, p: dict | None = None) -> dict:
    p = p or pointer(root)
    c = client(p["uri"], Path(root))
    m = get_manifest(c, p["name"]) if c.has_collection(f"{p['name']}_meta") else None
    if m is None:
        raise IndexMissing(f"no index {p['name']!r} in Milvus at {p['uri']}: build one with "
                           f"`rag index PATH --index {root}` and vectors = \"{p['uri']}\"")
    if m.get("format") != FORMAT:
        raise IndexCorrupt(f"index {p['name']!r} in Milvus at {p['uri']} has format "
                           f"{m.get('format')}, this version reads {FORMAT}: rebuild it with "
                           "`rag index PATH --rebuild`")
    m.setdefault("articles", {})
    return m


def live_version(root: Path) -> str | None:
    """The live version's tag: collections and V (what a server compares before a question)."""
    try:
        m = read_manifest(root)
    except (IndexMissing, IndexCorrupt):
        return None
    return f"{m['chunks']}@{m['version']}"


def get_manifest(c, name: str) -> dict | None:
    rows = c.get(f"{name}_meta", ids=["manifest"], output_fields=["value"])
    return dict(rows[0]["value"]) if rows else None


def ensure_meta(c, name: str) -> None:
    from pymilvus import DataType

    col = f"{name}_meta"
    if c.has_collection(col):
        return
    s = c.create_schema(auto_id=False)
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
    s.add_field("value", DataType.JSON)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants one in every collection
    p = c.prepare_index_params()
    p.add_index("vector", index_type="FLAT", metric_type="L2")
    c.create_collection(col, schema=s, index_params=p)


def create_collections(c, m: dict, dim: int, uri: str) -> None:
    from pymilvus import DataType, Function, FunctionType

    from rag.index.vectors import is_lite

    s = c.create_schema(auto_id=False)
    s.add_field("fid", DataType.INT64, is_primary=True)
    s.add_field("cid", DataType.VARCHAR, max_length=TEXT_BYTES)
    s.add_field("aid", DataType.VARCHAR, max_length=TEXT_BYTES)
    s.add_field("born", DataType.INT64)
    s.add_field("died", DataType.INT64)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    s.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    s.add_field("marks", DataType.JSON)
    # Words already stemmed here (rag.index.lexical): Milvus's standard analyser only splits them.
    s.add_field("terms", DataType.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"})
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                            input_field_names=["terms"], output_field_names=["sparse"]))
    p = c.prepare_index_params()
    # Milvus Lite searches exactly (FLAT); a server picks its own index (AUTOINDEX).
    p.add_index("vector", index_type="FLAT" if is_lite(uri) else "AUTOINDEX", metric_type="IP")
    p.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    for f in ("aid", "cid", "born", "died"):
        p.add_index(f, index_type="INVERTED")
    c.create_collection(m["chunks"], schema=s, index_params=p)

    a = c.create_schema(auto_id=False)
    a.add_field("key", DataType.VARCHAR, is_primary=True, max_length=TEXT_BYTES)
    a.add_field("aid", DataType.VARCHAR, max_length=TEXT_BYTES)
    a.add_field("part", DataType.INT64)
    a.add_field("born", DataType.INT64)
    a.add_field("died", DataType.INT64)
    a.add_field("meta", DataType.JSON)
    a.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    a.add_field("vector", DataType.FLOAT_VECTOR, dim=2)
    p = c.prepare_index_params()
    p.add_index("vector", index_type="FLAT", metric_type="L2")
    p.add_index("aid", index_type="INVERTED")
    c.create_collection(m["articles_collection"], schema=a, index_params=p)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
