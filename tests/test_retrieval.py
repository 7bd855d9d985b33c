"""Dense, BM25 and fused retrieval over a real FAISS + BM25 index built with the fake embedder."""

import pytest

from rag import registry
from rag.index.chunking import ChunkParams
from rag.index.indexing import sync
from rag.index.store import Index
from rag.retrieval import period_asked, search


@pytest.fixture
def index(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text("The XR-7731 turbine was installed in Oslo. It spins quietly.")
    (d / "b.txt").write_text("Wind turbines convert the energy of moving air. Many are installed.")
    (d / "c.txt").write_text("Bakers make bread from flour, water and yeast. Ovens are hot.")
    sync([d], tmp_path / "ix", registry.embedder("fake-hash"), ChunkParams(40, 0))
    return Index.open(tmp_path / "ix")


def q(index, text, mode, k=3):
    emb = registry.embedder("fake-hash")
    return search(index, emb.embed([text])[0], text, k, mode, candidates=10)


def test_bm25_finds_rare_terms_and_stems(index):
    hits = q(index, "XR-7731", "bm25")
    assert [h.chunk.article_id for h in hits] == ["a.txt"]
    assert q(index, "baker ovens", "bm25")[0].chunk.article_id == "c.txt"  # stemmed plurals
    assert q(index, "zzzz qqqq", "bm25") == []


@pytest.mark.parametrize("mode", ["dense", "bm25", "rrf", "convex"])
def test_every_mode_ranks_and_carries_cosine(index, mode):
    hits = q(index, "which turbine was installed in Oslo", mode)
    assert hits[0].chunk.article_id == "a.txt"
    assert all(-1.0 <= h.scores["dense"] <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_fusion_keeps_chunks_found_by_either_list(index):
    hits = q(index, "XR-7731 bread", "rrf")
    assert {h.chunk.article_id for h in hits[:2]} == {"a.txt", "c.txt"}


def test_bm25_follows_changes(index, tmp_path):
    (tmp_path / "docs" / "a.txt").write_text("Nothing about machines here. Only poems.")
    sync([tmp_path / "docs"], tmp_path / "ix", registry.embedder("fake-hash"), ChunkParams(40, 0))
    assert q(Index.open(tmp_path / "ix"), "XR-7731", "bm25") == []


def test_unknown_mode_is_an_error(index):
    with pytest.raises(ValueError, match="not one of"):
        q(index, "x", "magic")


@pytest.mark.parametrize("query, since", [
    ("Who won Taiwan's election in January 2024?", "2024-01-01"),
    ("What happened on March 5, 2023?", "2023-03-01"),
    ("Which animal was cloned in 1996?", "1996-01-01"),
    ("Who won during early 2023?", "2023-01-01"),
    ("Who will win the 2024 election?", None),  # names no time of the event
    ("How many people live in 12000 houses?", None),
    ("How many families lived in 2000 homes?", None),  # a number, not a year
    ("What happened in January 2024 in Taiwan?", "2024-01-01"),
])
def test_the_time_a_question_names(query, since):
    assert period_asked(query) == since


@pytest.mark.parametrize("mode", ["dense", "bm25", "rrf", "convex"])
def test_an_article_dated_before_the_time_asked_counts_for_less(tmp_path, mode):
    """"Who won ... in January 2024?": an article of 2022 cannot report it, and ranks below one
    of 2024 that it would otherwise outrank; without a time named, or undated, nothing moves."""
    d = tmp_path / "docs"
    d.mkdir()
    (d / "old.txt").write_text("date 2022-11-27\nWho won the Taiwan election? The ruling party "
                               "won the Taiwan election.")
    (d / "new.txt").write_text("date 2024-01-13\nLai Ching-te won the election in Taiwan.")
    (d / "none.txt").write_text("Bakers make bread from flour, water and yeast.")
    sync([d], tmp_path / "ix", registry.embedder("fake-hash"), ChunkParams(60, 0))
    index = Index.open(tmp_path / "ix")
    plain = [h.chunk.article_id for h in q(index, "Who won the Taiwan election?", mode, 2)]
    timed = q(index, "Who won the Taiwan election in January 2024?", mode, 2)
    assert plain[0] == "old.txt" and timed[0].chunk.article_id == "new.txt"
    assert [h.score for h in timed] == sorted((h.score for h in timed), reverse=True)
    later = q(index, "Who won the Taiwan election in 2021?", mode, 2)
    assert later[0].chunk.article_id == "old.txt"  # both dated after: nothing moves
