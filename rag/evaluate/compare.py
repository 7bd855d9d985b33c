"""`rag eval --compare RUN_A RUN_B`: two output folders side by side.

Prints every figure of both `metrics.json` files with the difference B - A, then the questions
(matched by id) whose outcome changed: for answering runs `correct` / `wrong answer` /
`wrongly refused` / `rightly refused` / `answered, should refuse`; for retrieval-only runs where
the first relevant article ranked (`top 1`, `top 10`, `miss@10`); `error` for a failed question.
Left out: significance tests (a paired bootstrap would be the next step).
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import QuestionError

GROUPS = ("retrieval", "answer", "refusal", "citation", "latency_ms")


def load_run(folder: str | Path) -> tuple[dict, dict[str, dict]]:
    root = Path(folder)
    try:
        metrics = json.loads((root / "metrics.json").read_text())
        records = {}
        for line in (root / "results.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                records[rec["id"]] = rec
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise QuestionError(f"{root} is not a finished evaluation run (metrics.json and "
                            f"results.jsonl): {e}") from None
    return metrics, records


def outcome(rec: dict) -> str:
    if rec.get("error"):
        return "error"
    m = rec.get("metrics") or {}
    if "refusal_right" in m:
        if rec.get("answers"):
            if rec.get("refused"):
                return "wrongly refused"
            return "correct" if m.get("contains") else "wrong answer"
        return "rightly refused" if rec.get("refused") else "answered, should refuse"
    if "hit@10" in m:
        rank = m.get("first_relevant_rank")
        return "top 1" if rank == 1 else "top 10" if rank and rank <= 10 else "miss@10"
    return "-"


def compare_runs(a: str | Path, b: str | Path) -> tuple[list[tuple], list[tuple]]:
    """(figures, changed): figures as (name, A, B, B - A); changed as (id, outcome A, outcome B,
    question)."""
    (ma, ra), (mb, rb) = load_run(a), load_run(b)
    figures = [("n", ma.get("n"), mb.get("n"), _diff(ma.get("n"), mb.get("n")))]
    for group in GROUPS:
        ga, gb = ma.get(group) or {}, mb.get(group) or {}
        for name in list(dict.fromkeys([*ga, *gb])):
            va, vb = ga.get(name), gb.get(name)
            figures.append((f"{group}.{name}", va, vb, _diff(va, vb)))
    changed = [(qid, outcome(ra[qid]), outcome(rb[qid]), ra[qid].get("question", ""))
               for qid in ra if qid in rb and outcome(ra[qid]) != outcome(rb[qid])]
    return figures, changed


def format_comparison(a: str, b: str) -> str:
    figures, changed = compare_runs(a, b)
    _, ra = load_run(a)
    _, rb = load_run(b)
    lines = [f"A = {a}", f"B = {b}", "", f"{'metric':<28}{'A':>10}{'B':>10}{'B - A':>10}"]
    for name, va, vb, d in figures:
        lines.append(f"{name:<28}{_fmt(va):>10}{_fmt(vb):>10}{_fmt(d, sign=True):>10}")
    only_a, only_b = len(set(ra) - set(rb)), len(set(rb) - set(ra))
    lines += ["", f"{len(changed)} question(s) changed outcome"
              + (f" ({only_a} only in A, {only_b} only in B)" if only_a or only_b else "")]
    for qid, oa, ob, question in changed:
        lines.append(f"  {qid}: {oa} -> {ob}  {question[:80]}")
    return "\n".join(lines)


def _diff(a, b):
    return None if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) else b - a


def _fmt(v, sign: bool = False) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) or (isinstance(v, float) and abs(v) >= 10):
        return f"{v:+.0f}" if sign else f"{v:.0f}"
    return f"{v:+.3f}" if sign else f"{v:.3f}"
