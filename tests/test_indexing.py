"""Incremental indexing: nothing re-embedded twice, changes and removals for real, rebuilds."""

from pathlib import Path

import pytest

from rag import registry
from rag.index.chunking import ChunkParams
from rag.index.indexing import remove, sync
from rag.index.store import Index
from tests.fakes import FakeEmbedder

P = ChunkParams(40, 1)


class CountingEmbedder(FakeEmbedder):
    def __init__(self, name="fake-hash"):
        self.name = name
        self.embedded = 0

    def embed(self, texts, batch_size=32, progress=False):
        self.embedded += len(texts)
        return super().embed(texts, batch_size, progress)


@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text("Alpha article. It is about apples and orchards.")
    (d / "b.txt").write_text("Beta article. It is about bicycles and bells.")
    (d / "c.md").write_text("# Gamma\n\nGamma is about cameras. Lenses too.")
    return d


def test_rerun_embeds_nothing(corpus, tmp_path):
    emb = CountingEmbedder()
    first = sync([corpus], tmp_path / "ix", emb, P)
    assert (first.added, first.unchanged) == (3, 0) and emb.embedded == first.embedded > 0
    emb.embedded = 0
    again = sync([corpus], tmp_path / "ix", emb, P)
    assert (again.added, again.changed, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert emb.embedded == 0


def test_changed_article_replaces_its_chunks(corpus, tmp_path):
    emb = CountingEmbedder()
    sync([corpus], tmp_path / "ix", emb, P)
    before = Index.open(tmp_path / "ix")
    (corpus / "a.txt").write_text("Alpha article, rewritten. Now it is about aircraft.")
    emb.embedded = 0
    r = sync([corpus], tmp_path / "ix", emb, P)
    assert (r.changed, r.unchanged) == (1, 2)
    idx = Index.open(tmp_path / "ix")
    texts = [c.text for c in idx.chunks.values() if c.article_id == "a.txt"]
    assert emb.embedded == len(texts)
    assert all("apples" not in t for t in texts) and any("aircraft" in t for t in texts)
    assert idx.vectors.ntotal == len(idx.chunks)
    # The old vectors are gone from FAISS, not only from the chunk store.
    old_ids = set(before.article_chunks("a.txt"))
    assert not old_ids & set(idx.chunks)


def test_vanished_article_is_removed_and_other_sources_stay(corpus, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Delta stands alone. Dolphins dive.")
    emb = CountingEmbedder()
    sync([corpus], tmp_path / "ix", emb, P)
    sync([other], tmp_path / "ix", emb, P)
    (corpus / "b.txt").unlink()
    r = sync([corpus], tmp_path / "ix", emb, P)
    assert r.removed == 1
    idx = Index.open(tmp_path / "ix")
    assert set(idx.articles) == {"a.txt", "c.md", "other.txt"}
    assert all(c.article_id != "b.txt" for c in idx.chunks.values())
    assert idx.vectors.ntotal == len(idx.chunks)


def test_remove_by_id(corpus, tmp_path):
    sync([corpus], tmp_path / "ix", CountingEmbedder(), P)
    assert remove(tmp_path / "ix", ["c.md", "nope"]) == ["nope"]
    idx = Index.open(tmp_path / "ix")
    assert set(idx.articles) == {"a.txt", "b.txt"}
    assert idx.vectors.ntotal == len(idx.chunks)


def test_a_file_gone_bad_keeps_its_previous_version(corpus, tmp_path):
    sync([corpus], tmp_path / "ix", CountingEmbedder(), P)
    (corpus / "a.txt").write_bytes(b"\xff\xfe broken")
    r = sync([corpus], tmp_path / "ix", CountingEmbedder(), P)
    assert [Path(s.source).name for s in r.skipped] == ["a.txt"]
    assert r.removed == 0
    assert "a.txt" in Index.open(tmp_path / "ix").articles


def test_other_model_or_chunking_rebuilds_everything(corpus, tmp_path):
    other = tmp_path / "o.txt"
    other.write_text("Omega from elsewhere. Owls at night.")
    sync([corpus], tmp_path / "ix", CountingEmbedder(), P)
    sync([other], tmp_path / "ix", CountingEmbedder(), P)
    emb = CountingEmbedder()
    r = sync([corpus], tmp_path / "ix", emb, ChunkParams(20, 0))
    assert r.rebuilt and "chunking" in r.rebuilt
    idx = Index.open(tmp_path / "ix")
    assert set(idx.articles) == {"a.txt", "b.txt", "c.md", "o.txt"}  # nothing lost
    assert emb.embedded == len(idx.chunks)
    registry.register_embedder("fake-hash-2", lambda: CountingEmbedder("fake-hash-2"))
    r = sync([corpus], tmp_path / "ix", registry.embedder("fake-hash-2"), ChunkParams(20, 0))
    assert r.rebuilt and "name" in r.rebuilt
    assert Index.open(tmp_path / "ix").embedder_info["name"] == "fake-hash-2"
