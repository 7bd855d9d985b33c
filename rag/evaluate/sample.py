"""A fixed random sample of a question set: the same `--limit`/`--seed` always draws the same
questions, in the set's own order, so runs can be resumed and compared.

`balanced` draws half the sample from answerable and half from unanswerable questions (in SQuAD
2.0 they are about as many; a balanced sample makes "always refuse" score exactly 0.5 on it). Left out:
stratifying by anything else (article, question type). A larger `--limit` with the same seed
draws a superset of the smaller sample, so a run can be extended without asking anything twice.
"""

from __future__ import annotations

import random

from rag.errors import QuestionError


def draw(questions: list, limit: int | None, seed: int = 0, balanced: bool = False,
         skip: int = 0) -> list:
    """`skip` passes over the first `skip` questions of the same draw, so `--skip 400 --limit 100`
    is a development sample that shares no question with `--limit 400` (the test sample)."""
    if limit is not None and limit < 1:
        raise QuestionError(f"--limit must be at least 1, not {limit}")
    if skip < 0:
        raise QuestionError(f"--skip must be 0 or more, not {skip}")
    rng = random.Random(seed)
    pos = {id(q): i for i, q in enumerate(questions)}
    if balanced:
        yes = _shuffled([q for q in questions if q.answerable], rng)
        no = _shuffled([q for q in questions if not q.answerable], rng)
        if not yes or not no:
            raise QuestionError("--balanced needs both answerable and unanswerable questions")
        yes, no = yes[skip // 2:], no[skip - skip // 2:]
        want = limit if limit is not None else 2 * min(len(yes), len(no))
        half = want // 2
        if half > len(yes) or want - half > len(no) or want < 1:
            raise QuestionError(f"cannot draw {want} balanced questions from {len(yes)} "
                                f"answerable and {len(no)} unanswerable ones (after --skip {skip})")
        picked = yes[:half] + no[:want - half]
    elif not skip and (limit is None or limit >= len(questions)):
        return list(questions)
    else:
        rest = _shuffled(list(questions), rng)[skip:]
        if not rest:
            raise QuestionError(f"--skip {skip} leaves no question of {len(questions)}")
        picked = rest[:limit]
    return sorted(picked, key=lambda q: pos[id(q)])


def _shuffled(items: list, rng: random.Random) -> list:
    # A prefix of one shuffle: a larger --limit with the same seed keeps the smaller sample's
    # questions, so their answers in the output folder are reused.
    rng.shuffle(items)
    return items
