"""Finding the passages for a query: dense (FAISS), lexical (BM25), or both fused.

Modes (`Config.retrieval`):
- "dense": cosine similarity of MiniLM embeddings only;
- "bm25": BM25 only;
- "rrf": reciprocal-rank fusion, sum of 1 / (60 + rank) over both lists (rank-based, so it needs
  no score calibration);
- "convex": `dense_weight` x min-max-normalised cosine + (1 - dense_weight) x max-normalised BM25.
Each list is `candidates` deep. Every hit carries its cosine (computed for chunks that BM25 alone
found) so that refusal thresholds mean the same thing in every mode.

"convex" at `dense_weight` 0.5 is the default because it ranked best of the four on SciFact
(bench/fusion.py: the train queries chose it, the test queries confirmed it), and weights around
0.5 rank almost alike, so the choice is not fragile; the figures are in docs/eval.md.

A query that says when its event happened ("... in January 2024", "in 1996") counts a passage of
an article dated before that time at half its score (`period_asked`): such an article cannot
report the event, and one about an earlier election outranked the one that named the winner.
Undated passages are left as they are. Left out: learned fusion and re-ranking models.
"""

from __future__ import annotations

import re

import numpy as np

from rag.config import RETRIEVAL_MODES as MODES
from rag.index.store import Index
from rag.types import Hit

RRF_K = 60


class Hits(list):
    """The hits, best first, and `strength`: the best cosine of the query with any candidate
    chunk, fused away or not (what the pipeline's early refusal looks at)."""

    strength: float = 0.0


def search(index: Index, qvec: np.ndarray, query: str, k: int, mode: str = "dense",
           candidates: int = 50, dense_weight: float = 0.5) -> Hits:
    if mode not in MODES:
        raise ValueError(f"retrieval mode {mode!r} is not one of {', '.join(MODES)}")
    depth = max(k, candidates)
    dense = {c.id: (c, s) for c, s in index.search(qvec, depth)} if mode != "bm25" else {}
    sparse = {c.id: (c, s) for c, s in index.search_bm25(query, depth)} if mode != "dense" else {}
    chunks = {cid: c for cid, (c, _) in (dense | sparse).items()}
    cos = {cid: s for cid, (_, s) in dense.items()}
    missing = [cid for cid in chunks if cid not in cos]
    for cid, s in zip(missing, index.dense_scores(qvec, missing)):
        cos[cid] = s
    bm = {cid: s for cid, (_, s) in sparse.items()}

    if mode == "dense":
        fused = dict(cos)
    elif mode == "bm25":
        fused = dict(bm)
    elif mode == "rrf":
        fused = {cid: 0.0 for cid in chunks}
        for ranked in (_ranked(dense), _ranked(sparse)):
            for r, cid in enumerate(ranked):
                fused[cid] += 1.0 / (RRF_K + r + 1)
    else:
        dvals = [s for _, s in dense.values()] or [0.0]
        lo, hi = min(dvals), max(dvals)
        bmax = max(bm.values(), default=0.0) or 1.0
        fused = {cid: dense_weight * ((cos[cid] - lo) / (hi - lo) if hi > lo else 1.0)
                 + (1 - dense_weight) * (bm.get(cid, 0.0) / bmax) for cid in chunks}
    since = period_asked(query)
    if since and fused:
        # Only a chunk within PREDATES of the k-th best can end in the top k either way, so only
        # those articles are read (a Milvus-held index fetches each).
        kth = sorted(fused.values(), reverse=True)[:k][-1]
        for cid in [cid for cid in chunks if fused[cid] >= _lowered(kth)]:
            date = (getattr(index.articles.get(chunks[cid].article_id), "date", None) or "")[:10]
            if _ISO_DATE.match(date) and date < since[:len(date)]:
                fused[cid] = _lowered(fused[cid])
    top = sorted(chunks, key=lambda cid: (-fused[cid], cid))[:k]
    hits = Hits()
    hits.strength = max(cos.values(), default=0.0)
    for cid in top:
        c = chunks[cid]
        art = index.articles.get(c.article_id)
        scores = {"dense": round(cos[cid], 4)}
        if cid in bm:
            scores["bm25"] = round(bm[cid], 4)
        hits.append(Hit(c, fused[cid], art.title if art else "", art.date if art else None,
                        art.url if art else None, art.source if art else None, scores))
    return hits


# What a passage of an article dated before the time a query names counts for.
PREDATES = 0.5
_MONTHS = ("january february march april may june july august september october november "
           "december").split()
# "in January 2024", "on March 5, 2024", "during 1996", "since early 2023": a preposition, then
# the time; "the 2024 election" names no time of the event, nor "in 2000 homes" any time.
_WHEN = re.compile(r"\b(?:in|on|during|since)\s+(?:(?:early|late|mid-?)\s*)?"
                   rf"(?:({'|'.join(_MONTHS)})\s+(?:\d{{1,2}},?\s+)?)?((?:1[6-9]|20)\d\d)\b"
                   r"(?!\s+(?!(?:in|on|at|and|or|to|for|the|when|after|before|as|by|with|from|"
                   r"during|was|were|is|are|did|had|has|have|of)\b)[a-z])", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d\d")  # "2024-01-13", or "2024-01"


def _lowered(score: float) -> float:
    """A score counted at PREDATES of itself: halved, or for a negative cosine (dense mode)
    made as much lower."""
    return score - (1 - PREDATES) * abs(score)


def period_asked(query: str) -> str | None:
    """The first day of the time a query says its event happened in, as "YYYY-MM-DD", or None:
    "in January 2024" gives "2024-01-01", "in 1996" "1996-01-01"."""
    m = _WHEN.search(query)
    if not m:
        return None
    month = _MONTHS.index(m.group(1).lower()) + 1 if m.group(1) else 1
    return f"{m.group(2)}-{month:02d}-01"


def openings(index: Index, k: int) -> Hits:
    """The opening passages of the index's articles, `k` in all, taken in turn (the first of
    each, then the second ...), each article's in its order: what a question about the article
    as a whole ("What is this article about?") is answered from, where no search can find it.
    Their strength is a perfect match's, 1.0: the question named the articles, nothing was
    guessed."""
    queues = [sorted((index.chunks[fid] for fid in index.article_chunks(aid)),
                     key=lambda c: c.start) for aid in index.article_ids()]
    picked = [q[i] for i in range(k) for q in queues if i < len(q)][:k]
    hits = Hits()
    for c in picked:
        art = index.articles[c.article_id]
        hits.append(Hit(c, 1.0, art.title, art.date, art.url, art.source, {"opening": 1.0}))
    hits.strength = 1.0 if hits else 0.0
    return hits


def _ranked(found: dict) -> list[str]:
    return [cid for cid, _ in sorted(found.items(), key=lambda kv: -kv[1][1])]
