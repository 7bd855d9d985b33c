"""The index on disk: manifest, checksums, atomic versions, clear errors for damage."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag import registry
from rag.errors import IndexCorrupt, IndexMismatch, IndexMissing
from rag.index.chunking import ChunkParams
from rag.index.indexing import sync
from rag.index.store import FORMAT_VERSION, Index
from rag.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent


def _current(index_dir) -> Path:
    return Path(index_dir) / (Path(index_dir) / "CURRENT").read_text().strip()


def test_manifest_describes_the_index(fake_index):
    m = json.loads((_current(fake_index) / "manifest.json").read_text())
    assert m["format"] == FORMAT_VERSION
    assert m["embedder"] == registry.embedder("fake-hash").info()
    assert m["chunking"] == {"max_tokens": 60, "overlap_sentences": 1}
    art = m["articles"]["000_d2bc7125750b2eac.txt"]
    assert len(art["sha256"]) == 64 and art["chunks"] == m["counts"]["chunks"] > 1
    assert m["counts"]["articles"] == 1
    assert {"vectors.faiss", "chunks.jsonl", "articles.jsonl", "bm25/fids.npy"} <= set(m["files"])
    assert all((_current(fake_index) / name).stat().st_size == f["bytes"]
               for name, f in m["files"].items())
    assert m["bm25"]["library"] == "bm25s"
    assert {"rag", "faiss", "python"} <= set(m["versions"])


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexMissing, match="rag index"):
        Index.open(tmp_path / "none")


def test_damaged_files_are_detected(fake_index):
    vdir = _current(fake_index)
    chunks = vdir / "chunks.jsonl"
    data = chunks.read_bytes()
    chunks.write_bytes(data.replace(b"Dell", b"Dull", 1))  # same size, other content
    with pytest.raises(IndexCorrupt, match="checksum.*rebuild"):
        Index.open(fake_index)
    chunks.write_bytes(data[:-10])
    with pytest.raises(IndexCorrupt, match="bytes.*half-written"):
        Index.open(fake_index)
    (vdir / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="manifest.json"):
        Index.open(fake_index)


def test_other_format_is_refused(fake_index):
    mpath = _current(fake_index) / "manifest.json"
    m = json.loads(mpath.read_text())
    m["format"] = 99
    mpath.write_text(json.dumps(m))
    with pytest.raises(IndexCorrupt, match="format 99"):
        Index.open(fake_index)


def test_query_embedder_must_match_the_manifest(fake_config, fake_index):
    idx = Index.open(fake_index)

    class Other:
        def info(self):
            return {"name": "fake-hash", "dim": 256, "weights_sha256": "different"}

    with pytest.raises(IndexMismatch, match="weights_sha256"):
        Pipeline(idx, Other(), fake_config)


def test_failed_write_keeps_the_previous_version(fake_index, monkeypatch, tmp_path):
    before = Index.open(fake_index)
    new = tmp_path / "new.txt"
    new.write_text("Quantum widgets are sold by Acme. They are blue.")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("rag.index.store.atomic_write", boom)
    with pytest.raises(OSError):
        sync([new], fake_index, registry.embedder("fake-hash"), ChunkParams(60, 1))
    after = Index.open(fake_index)
    assert set(after.articles) == set(before.articles)
    assert after.vectors.ntotal == before.vectors.ntotal


def test_killed_build_leaves_the_previous_version_loading(fake_index, tmp_path):
    """A real process is killed with SIGKILL in the middle of writing a new version."""
    before = Index.open(fake_index)
    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(20):
        (extra / f"a{i}.txt").write_text(f"Article {i} about gadgets. Gadget {i} is green.")
    marker = tmp_path / "marker"
    env = dict(os.environ, RAG_PLUGINS="tests.fakes,tests.crash_plugin",
               RAG_TEST_MARKER=str(marker), PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-m", "rag", "index", str(extra), "--index", fake_index,
         "--embedder", "fake-hash"], env=env, cwd=ROOT)
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert child.poll() is None, "the build ended before it could be interrupted"
            assert time.time() < deadline
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    after = Index.open(fake_index)
    assert set(after.articles) == set(before.articles)
    assert after.vectors.ntotal == before.vectors.ntotal
    # The next build cleans the half-written folder up and succeeds.
    report = sync([extra], fake_index, registry.embedder("fake-hash"), ChunkParams(60, 1))
    assert report.added == 20
    assert len([p for p in Path(fake_index).iterdir() if p.name.startswith((".v-", "v-"))]) == 1


def test_search_returns_nearest_chunks(fake_index):
    idx = Index.open(fake_index)
    emb = registry.embedder("fake-hash")
    some = next(iter(idx.chunks.values()))
    (best, score), *_ = idx.search(emb.embed([some.text])[0], 3)
    assert best == some and score == pytest.approx(1.0, abs=1e-5)
    assert idx.search(np.zeros(256, dtype=np.float32), 0) == []


def test_an_article_s_chunks_follow_its_additions_and_removals(tmp_path):
    """Replacing an article leaves only its new chunks; removing it leaves none; the others keep
    theirs (the article -> chunks map is kept up to date, not rebuilt from every chunk)."""
    from rag.types import Article, Chunk

    emb = registry.embedder("fake-hash")
    idx = Index.empty(tmp_path / "ix", emb.info(), {"max_tokens": 60, "overlap_sentences": 1},
                      "faiss")

    def add(aid, texts):
        chunks = [Chunk(f"{aid}#{i}", aid, t, 0, len(t)) for i, t in enumerate(texts)]
        idx.add_article(Article(aid, aid, " ".join(texts)), chunks, emb.embed(texts))

    add("a", ["one", "two"])
    add("b", ["three"])
    assert [idx.chunks[f].text for f in idx.article_chunks("a")] == ["one", "two"]
    add("a", ["four", "five", "six"])
    assert [idx.chunks[f].text for f in idx.article_chunks("a")] == ["four", "five", "six"]
    assert idx.remove_article("a") == 3 and idx.article_chunks("a") == []
    assert [idx.chunks[f].text for f in idx.article_chunks("b")] == ["three"]
    assert sorted(c.text for c in idx.chunks.values()) == ["three"]
