"""Where an index lives: FAISS in the index folder (exact, and IVF past a size), or wholly in
Milvus (Lite here; rag.index.milvus_store).

The same indexing runs (build, change, delete, rebuild) go through `rag.index.indexing.sync` with
each engine, and must give the same search results; an interrupted Milvus write must never surface.
"""

from __future__ import annotations

import numpy as np
import pytest

from rag.index import vectors as vector_stores
from rag.index.chunking import ChunkParams
from rag.index.indexing import remove, sync
from rag.index.store import Index
from tests.fakes import FakeEmbedder

P = ChunkParams(40, 1)
ENGINES = ["faiss", "milvus.db"]
TOPICS = ["apples and orchards", "bicycles and bells", "cameras and lenses", "rivers and boats",
          "violins and bows", "glaciers and ice", "bread and ovens", "comets and tails"]


def write_corpus(d, n=8):
    d.mkdir(exist_ok=True)
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        (d / f"doc{i}.txt").write_text(f"Article {i} is about {topic}. It says {topic} matter. "
                                       f"Number {i} closes it.")
    return d


def same_results(ra, rb) -> bool:
    """Same scores, and the same chunks up to ties at the cut-off."""
    if [s for _, s in ra] != pytest.approx([s for _, s in rb], abs=1e-3):
        return False
    last = ra[-1][1] + 1e-3
    return {c for c, s in ra if s > last} == {c for c, s in rb if s > last}


def stored(index) -> int:
    """Vectors physically held (FAISS), or chunk rows in the collection (Milvus)."""
    if index.manifest["vectors"]["engine"] == "faiss":
        return index.vectors.ntotal
    rows = index._c.query(index.manifest["chunks"], filter="", output_fields=["count(*)"])
    return int(rows[0]["count(*)"])


def top(index: Index, text: str, k=3):
    q = FakeEmbedder().embed([text])[0]
    return [(c.id, round(s, 4)) for c, s in index.search(q, k)]


@pytest.mark.parametrize("engine", ENGINES)
def test_build_change_delete_the_same_on_each_engine(engine, tmp_path):
    docs = write_corpus(tmp_path / "docs")
    emb = FakeEmbedder()
    sync([docs], tmp_path / "ix", emb, P, vectors=engine)
    idx = Index.open(tmp_path / "ix")
    assert idx.manifest["vectors"]["engine"] == ("faiss" if engine == "faiss" else "milvus-all")
    assert stored(idx) == len(idx.chunks)
    assert top(idx, "bicycles and bells")[0][0].startswith("doc1.txt")

    (docs / "doc1.txt").write_text("Article 1 is now about volcanoes and lava.")
    (docs / "doc2.txt").unlink()
    report = sync([docs], tmp_path / "ix", emb, P, vectors=engine)
    assert (report.changed, report.removed) == (1, 1)
    idx = Index.open(tmp_path / "ix")
    assert stored(idx) == len(idx.chunks)  # old vectors really deleted
    assert all(not cid.startswith("doc2.txt") for cid, _ in top(idx, "cameras and lenses", 10))
    assert top(idx, "volcanoes and lava")[0][0].startswith("doc1.txt")
    assert remove(tmp_path / "ix", ["doc3.txt"]) == []
    idx = Index.open(tmp_path / "ix")
    assert "doc3.txt" not in idx.articles and stored(idx) == len(idx.chunks)
    # dense_scores (used to fuse BM25-only hits) reads the stored vectors back
    chunk = idx.search(emb.embed(["rivers and boats"])[0], 1)[0][0]
    q = emb.embed([chunk.text])[0]
    assert idx.dense_scores(q, [chunk.id])[0] == pytest.approx(1.0, abs=1e-5)


def test_faiss_and_milvus_find_the_same(tmp_path):
    docs = write_corpus(tmp_path / "docs")
    for engine in ENGINES:
        sync([docs], tmp_path / engine.replace(".", "-"), FakeEmbedder(), P, vectors=engine)
    a, b = Index.open(tmp_path / "faiss"), Index.open(tmp_path / "milvus-db")
    for question in ["glaciers and ice", "Number 5", "bread ovens", "comets"]:
        assert same_results(top(a, question, 5), top(b, question, 5))


def test_an_interrupted_milvus_write_never_surfaces(tmp_path):
    docs = write_corpus(tmp_path / "docs")
    sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors="milvus.db")
    live = Index.open(tmp_path / "ix", writable=True)
    n = len(live.chunks)
    from rag.index.chunking import chunk_article
    from rag.types import Article

    ghost = Article("ghost.txt", "Ghost", "A ghost article about bicycles and bells and bells.")
    chunks = chunk_article(ghost, FakeEmbedder().count_tokens, P)
    live.add_article(ghost, chunks, FakeEmbedder().embed([c.text for c in chunks]))
    live.remove_article("doc1.txt")
    live._flush_rows()
    del live  # killed before save(): rows written and marked, the version never switched
    idx = Index.open(tmp_path / "ix")
    assert len(idx.chunks) == n and stored(idx) > n
    found = [c for c, _ in top(idx, "bicycles and bells bells", 10)]
    assert found[0].startswith("doc1.txt") and not any(c.startswith("ghost") for c in found)
    assert "ghost.txt" not in idx.articles and "doc1.txt" in idx.articles
    # the next write undoes the killed one's rows and marks, then goes on from there
    (docs / "doc0.txt").write_text("Article 0 now covers deserts and dunes.")
    sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors="milvus.db")
    idx = Index.open(tmp_path / "ix")
    assert top(idx, "deserts and dunes")[0][0].startswith("doc0.txt")
    assert top(idx, "bicycles and bells")[0][0].startswith("doc1.txt")
    assert stored(idx) == len(idx.chunks) and "ghost.txt" not in idx.articles


def test_moving_an_index_between_engines_rebuilds_it(tmp_path):
    docs = write_corpus(tmp_path / "docs")
    sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors="faiss")
    before = top(Index.open(tmp_path / "ix"), "violins and bows", 5)
    report = sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors="milvus.db")
    assert report.rebuilt and "vectors moved" in report.rebuilt
    idx = Index.open(tmp_path / "ix")
    assert idx.manifest["vectors"]["engine"] == "milvus-all"
    assert not (tmp_path / "ix" / "CURRENT").exists()  # nothing of it is left in the folder
    assert same_results(top(idx, "violins and bows", 5), before)
    # None keeps where the vectors are
    again = sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    assert again.rebuilt is None and again.embedded == 0


def test_a_missing_milvus_collection_says_rebuild(tmp_path):
    docs = write_corpus(tmp_path / "docs")
    sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors="milvus.db")
    idx = Index.open(tmp_path / "ix")
    idx._c.drop_collection(idx.manifest["chunks"])
    from rag.errors import IndexCorrupt
    with pytest.raises(IndexCorrupt, match="--rebuild"):
        Index.open(tmp_path / "ix")


def test_faiss_moves_to_ivf_past_the_exact_limit(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(20, 32)).astype(np.float32)
    vecs = centers[rng.integers(0, 20, 3000)] + 0.3 * rng.normal(size=(3000, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(100, 3100)
    monkeypatch.setattr(vector_stores, "EXACT_LIMIT", 2000)
    store = vector_stores.FaissVectors.empty(32)
    store.add(ids[:1500], vecs[:1500])
    assert store.kind == "flat"
    store.add(ids[1500:], vecs[1500:])
    assert store.kind == "ivf" and store.ntotal == 3000
    exact = vector_stores.FaissVectors.empty(32)
    exact.index.add_with_ids(vecs, ids)
    queries = vecs[rng.integers(0, 3000, 50)] + 0.05 * rng.normal(size=(50, 32)).astype(np.float32)
    recall = np.mean([len({i for i, _ in store.search(q, 10)} & {i for i, _ in exact.search(q, 10)})
                      / 10 for q in queries])
    assert recall >= 0.98
    # ids survive: reconstruct, remove and save/load work by chunk id
    assert np.allclose(store.vectors([150])[0], vecs[50], atol=1e-6)
    store.remove(np.array([150]))
    assert store.ntotal == 2999 and 150 not in {i for i, _ in store.search(vecs[50], 5)}
    store.save(tmp_path)
    back = vector_stores.FaissVectors.load(tmp_path / "vectors.faiss", store.describe(), False)
    assert back.describe() == store.describe() and back.describe()["kind"] == "ivf"
    assert back.search(vecs[7], 3) == store.search(vecs[7], 3)


def test_a_read_only_flat_index_is_memory_mapped(tmp_path):
    docs = write_corpus(tmp_path / "docs")
    sync([docs], tmp_path / "ix", FakeEmbedder(), P)
    idx = Index.open(tmp_path / "ix")
    path = str((tmp_path / "ix" / (tmp_path / "ix" / "CURRENT").read_text().strip()
                / "vectors.faiss").resolve())
    maps = open("/proc/self/maps").read()
    assert path in maps  # the vectors are read from the mapped file, not copied
    assert top(idx, "rivers and boats")[0][0].startswith("doc3.txt")


def test_a_milvus_lite_file_held_by_another_process_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    from rag.errors import ConfigError
    from tests.conftest import ROOT

    docs = write_corpus(tmp_path / "docs")
    # Another process builds the index and keeps its Milvus Lite file open (a running server).
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; from rag.index.chunking import ChunkParams; "
         "from rag.index.indexing import sync; from tests.fakes import FakeEmbedder; "
         f"sync([{str(docs)!r}], {str(tmp_path / 'ix')!r}, FakeEmbedder(), ChunkParams(40, 1), "
         "vectors='milvus.db'); print('open', flush=True); time.sleep(60)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(ConfigError, match="one process open its file at a time"):
            Index.open(tmp_path / "ix")
    finally:
        holder.kill()
        holder.wait(10)


def test_the_milvus_manifest_record_describes_and_guards_the_index(tmp_path):
    from rag.errors import IndexCorrupt
    from rag.index.store import article_hash

    docs = write_corpus(tmp_path / "docs")
    sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors="milvus.db")
    idx = Index.open(tmp_path / "ix", writable=True)
    assert idx.manifest["embedder"] == FakeEmbedder().info() and idx.manifest["chunking"] == \
        P.to_dict()
    assert all(idx.manifest["articles"][a]["sha256"] == article_hash(idx.articles[a])
               for a in idx.articles) and len(idx.articles) == 8
    # A change of chunking rebuilds into new collections and drops the old ones.
    old = idx.manifest["chunks"]
    report = sync([docs], tmp_path / "ix", FakeEmbedder(), ChunkParams(20, 0), vectors="milvus.db")
    assert "chunking changed" in report.rebuilt
    idx = Index.open(tmp_path / "ix")
    assert idx.manifest["chunks"] != old and not idx._c.has_collection(old)
    assert top(idx, "glaciers and ice")[0][0].startswith("doc5.txt")
    # A record of another format is refused, as a folder's manifest is.
    record = dict(idx.manifest, format=99)
    record.pop("articles")
    idx._c.upsert("rag_meta", [{"key": "manifest", "value": record, "vector": [0.0, 0.0]}])
    with pytest.raises(IndexCorrupt, match="format 99"):
        Index.open(tmp_path / "ix")


@pytest.mark.parametrize("engine", ENGINES)
def test_the_openings_read_the_same_on_each_engine(engine, tmp_path):
    """`retrieval.openings` (a question about the articles as a whole): each article's first
    passage, then the second ..., `k` in all, on either engine."""
    from rag.retrieval import openings

    docs = write_corpus(tmp_path / "docs", n=2)
    (docs / "doc0.txt").write_text(" ".join(f"Sentence {i} of a long first article about apples "
                                            f"and orchards." for i in range(30)))
    sync([docs], tmp_path / "ix", FakeEmbedder(), P, vectors=engine)
    idx = Index.open(tmp_path / "ix")
    hits = openings(idx, 3)
    assert [h.chunk.article_id for h in hits] == ["doc0.txt", "doc1.txt", "doc0.txt"]
    assert hits[0].chunk.start == 0 and hits[2].chunk.start > 0 and hits.strength == 1.0
    assert hits[1].title and all(h.score == 1.0 for h in hits)
