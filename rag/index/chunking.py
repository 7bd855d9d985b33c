"""Cutting an article into passages: whole sentences, within a token budget, overlapping a little.

Sentences are found by rag.text's rules, so every passage starts and ends on a sentence boundary
and keeps its character offsets in the article and the pages or headings it spans. A sentence longer
than the budget alone is cut at word boundaries. Tokens are counted with the embedder's own
tokenizer (a callable), so a passage never exceeds what the embedder reads.

Left out: sentence models (rag.text says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from rag.text import sentence_spans
from rag.types import Article, Chunk, marks_within


@dataclass(frozen=True)
class ChunkParams:
    max_tokens: int = 200
    overlap_sentences: int = 1

    def to_dict(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap_sentences": self.overlap_sentences}


def chunk_article(article: Article, count_tokens: Callable[[str], int],
                  params: ChunkParams = ChunkParams()) -> list[Chunk]:
    """Pack whole sentences into passages of at most params.max_tokens tokens."""
    text = article.text
    sents: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for a, b in sentence_spans(text):
        n = count_tokens(text[a:b])
        if n <= params.max_tokens:
            sents.append((a, b, n))
        else:
            sents.extend(_split_long(text, a, b, count_tokens, params.max_tokens))
    chunks: list[Chunk] = []
    i = 0
    while i < len(sents):
        j, total = i, 0
        while j < len(sents) and (j == i or total + sents[j][2] <= params.max_tokens):
            total += sents[j][2]
            j += 1
        a, b = sents[i][0], sents[j - 1][1]
        # Re-count the joined text: tokenizers are not additive over sentence boundaries.
        while j - 1 > i and count_tokens(text[a:b]) > params.max_tokens:
            j -= 1
            b = sents[j - 1][1]
        chunks.append(Chunk(f"{article.id}#{len(chunks)}", article.id, text[a:b], a, b,
                            marks_within(article.pages, a, b),
                            marks_within(article.headings, a, b)))
        if j >= len(sents):
            break
        i = max(i + 1, j - params.overlap_sentences)
    return chunks


def _split_long(text: str, a: int, b: int, count_tokens: Callable[[str], int], limit: int
                ) -> list[tuple[int, int, int]]:
    """Cut an over-long sentence at word boundaries into pieces that fit."""
    pieces: list[tuple[int, int, int]] = []
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[a:b])]
    k = 0
    while k < len(words):
        lo, hi = k + 1, len(words)
        # Binary search the most words from k that fit the budget.
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(text[a + words[k][0]: a + words[mid - 1][1]]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        s, e = a + words[k][0], a + words[lo - 1][1]
        pieces.append((s, e, count_tokens(text[s:e])))
        k = lo
    return pieces
