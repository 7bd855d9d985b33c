"""Chunking: sentence boundaries, token budget, overlap, exact offsets."""

from rag.index.chunking import ChunkParams, chunk_article
from rag.text import sentence_spans
from rag.types import Article


def words(text: str) -> int:
    return len(text.split())


def test_sentence_spans_follow_punctuation_and_lines():
    text = "First one. Second “quoted.” Third? Heading\n\nNext para! end. 3 items."
    sents = [text[a:b] for a, b in sentence_spans(text)]
    assert sents == ["First one.", "Second “quoted.”", "Third?", "Heading", "Next para! end.",
                     "3 items."]


def test_chunks_respect_budget_offsets_and_overlap():
    text = " ".join(f"Sentence number {i} has five words." for i in range(30))
    art = Article("a", "t", text)
    chunks = chunk_article(art, words, ChunkParams(max_tokens=20, overlap_sentences=1))
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert words(c.text) <= 20
        assert c.text.startswith("Sentence") and c.text.endswith(".")
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end  # one sentence shared
        assert nxt.start > prev.start
    assert chunks[-1].end == len(text)
    assert [c.id for c in chunks[:2]] == ["a#0", "a#1"]


def test_no_overlap_covers_text_exactly_once():
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    chunks = chunk_article(Article("a", "t", text), words, ChunkParams(7, 0))
    assert [c.text for c in chunks] == ["One two three. Four five six.",
                                        "Seven eight nine. Ten eleven twelve."]


def test_overlong_sentence_is_cut_at_words():
    text = " ".join(f"w{i}" for i in range(50)) + "."
    chunks = chunk_article(Article("a", "t", text), words, ChunkParams(10, 1))
    assert all(words(c.text) <= 10 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()
