"""What each refusal check is worth: the answers of an audited run replayed with one check off.

An audited run (`rag eval --trade-off`) generates a draft for every question that retrieved
anything and runs every check on it, recording which failed (`checks["failed"]`) and the draft
(`checks["draft"]`, kept even when the support check fails). Turning a check off then changes
only which drafts are shown, so one run gives, without the model again, the outcome of:
- every check on (the pipeline as configured);
- each check off alone: "retrieval" (the `min_score` gate), "novel" (names or figures no passage
  holds), "support" (sentences no passage supports; off, the draft is shown unverified),
  "echo" (an answer made only of the question's words), "place" (a where-question answered
  with a company no passage gives as a place), "option" (a multiple-choice answer
  naming none of the options), "choice" (a multiple-choice answer by its options' letters whose
  probability is under `min_option`, rag.answer.options), "unsure" (the model's certainty, with
  `decision = "thresholds"`)
  and "judge" (the judge, or with `decision = "score"` the weighed decision of rag.answer.verdict);
- the second look off (rag.pipeline): its drafts are not shown, the model's refusal stands;
- every check off but the model's own refusal (the second look off with them).
For each: answerable questions answered right, answered wrong and refused; unanswerable ones
refused and answered (counts). Left out: the model's own refusal, which leaves no draft to show.
"""

from __future__ import annotations

from rag.evaluate.metrics import is_right

CHECKS = ("retrieval", "novel", "support", "echo", "place", "option", "choice", "unsure", "judge")
SECOND_LOOK = "second look"


def ablation(questions: list, records: list[dict]) -> list[dict]:
    """One row a setting: {"setting", "off", "right", "wrong", "refused",
    "unanswerable_refused", "unanswerable_answered"}."""
    rows = []
    for q, r in zip(questions, records):
        c = r.get("checks") or {}
        rows.append({"answerable": q.answerable, "error": bool(r.get("error")),
                     "failed": set(c.get("failed") or []), "draft": c.get("draft"),
                     "right": bool(c.get("draft")) and q.answerable and is_right(c["draft"], q),
                     "second": c.get("second_look") in ("answered", "checked")})
    seen = set().union(*(row["failed"] for row in rows)) if rows else set()
    settings = [("all checks", set())]
    settings += [(f"without {check}", {check}) for check in CHECKS if check in seen]
    if any(row["second"] for row in rows):
        settings.append(("without the second look", {SECOND_LOOK}))
    settings.append(("only the model's own refusal", set(CHECKS) | {SECOND_LOOK}))
    return [dict(_tally(rows, off), setting=name, off=sorted(off)) for name, off in settings]


def _tally(rows: list[dict], off: set[str]) -> dict:
    t = {"right": 0, "wrong": 0, "refused": 0, "unanswerable_refused": 0,
         "unanswerable_answered": 0}
    for row in rows:
        shown = (not row["error"] and row["draft"] is not None and not (row["failed"] - off)
                 and not (row["second"] and SECOND_LOOK in off))
        if not row["answerable"]:
            t["unanswerable_answered" if shown else "unanswerable_refused"] += 1
        elif not shown:
            t["refused"] += 1
        else:
            t["right" if row["right"] else "wrong"] += 1
    return t


def table(rows: list[dict]) -> str:
    """The ablation as plain text, one setting a line."""
    head = (f"{'setting':<30} {'right':>6} {'wrong':>6} {'refused':>8}   "
            f"{'unans. refused':>14} {'unans. answered':>15}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['setting']:<30} {r['right']:>6} {r['wrong']:>6} {r['refused']:>8}   "
                     f"{r['unanswerable_refused']:>14} {r['unanswerable_answered']:>15}")
    return "\n".join(lines)
