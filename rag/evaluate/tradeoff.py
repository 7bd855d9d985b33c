"""The refusal trade-off: how many questions a setting of the checks answers, and how many wrongly.

An audited run (`rag eval --trade-off`, `Pipeline.ask(audit=True)`) generates an answer for every
question and runs every check on it, recording in `checks` the retrieval strength, which checks
failed and the checked draft. From that one run this module replays, without the model, what the
pipeline would have answered under other settings:
- the retrieval threshold `min_score`, swept over every strength seen (the first check, so a
  replay is exact: above it the same draft is generated and checked; a question one of whose
  words a passage holds is asked whatever its strength, rag.answer.refusal.weak);
- the optional checks switched on or off: the names/numbers check ("novel"), the model's
  certainty of its answer's words ("unsure") and the judge;
- the judge's threshold `min_judge` (its recorded P(yes) against each threshold), and the
  certainty threshold `min_confidence` (the lowest probability the model gave a word of its
  answer), each at the configured `min_score` and the other's configured threshold, all checks
  on;
- the weighed decision's threshold `min_right` (rag.answer.verdict), its recorded P(right) against
  each;
- `judge_below`: answers the model was at least this sure of are not judged, so their judge's
  verdict (recorded all the same in an audited run) does not count.
The model's own refusal, the support check, the echo check (an answer made only of the
question's words) and the place check (rag.answer.fits) always apply: without them an answer
carries no checked citation, or is no answer; so do a multiple-choice answer's checks, that the
written answer names an offered option and the letters' bar `min_option` (rag.answer.options),
which stands in for the model's refusal and the judge there.

For each setting: `answered` is the share of all questions answered, `wrong` the share answered
wrongly (an unanswerable question answered, or an answerable one whose answer holds no accepted
answer, the `contains` test), `right` the share answered rightly. Left out: sweeping
`min_support`, which changes the text of the answer and so needs the model again.
"""

from __future__ import annotations

from rag.evaluate.metrics import is_right

# name -> the optional checks in force
POLICIES = {
    "model + support": (),
    "+ names/numbers": ("novel",),
    "+ judge": ("judge",),
    "+ confidence": ("unsure",),
    "all checks": ("novel", "unsure", "judge"),
}
ALWAYS = ("model", "support", "echo", "place", "option", "choice")


def replay(questions: list, records: list[dict], judge_below: float = 1.0) -> list[dict]:
    """Per question: strength, the checks that failed (retrieval aside), whether a draft exists
    and whether it is right, and whether the model was sure enough (`judge_below`) for the
    judge's verdict not to count."""
    out = []
    for q, r in zip(questions, records):
        c = r.get("checks") or {}
        draft = c.get("draft")
        p_yes, sure, p_right = c.get("judge_p_yes"), c.get("confidence"), c.get("p_right")
        out.append({"strength": float(c.get("strength", 0.0)),
                    # a passage holds a question's word: asked whatever the strength
                    "lexical": bool(c.get("lexical", False)),
                    "failed": set(c.get("failed") or []) - {"retrieval"},
                    "p_yes": None if p_yes is None else float(p_yes),
                    "p_right": None if p_right is None else float(p_right),
                    "confidence": None if sure is None else float(sure),
                    "sure": sure is not None and judge_below < 1.0 and float(sure) >= judge_below,
                    # a "No" about another name: not the judge's to decide (rag.answer.refusal)
                    "unjudged": bool(c.get("unjudged")),
                    # a section heading for the whole answer: an echo wherever nothing else
                    # refuses it (rag.answer.refusal._heading_echo)
                    "heading": bool(c.get("heading")),
                    "draft": draft is not None,
                    "right": bool(draft) and q.answerable and is_right(draft, q),
                    "error": bool(r.get("error"))})
    return out


def curve(rows: list[dict], optional: tuple[str, ...], thresholds: list[float],
          min_judge: float | None = None, min_confidence: float | None = None,
          min_right: float | None = None) -> list[dict]:
    """Answered / wrong / right shares for each `min_score` threshold; `min_judge` replaces the
    judge's recorded verdict by its P(yes) against that threshold, `min_confidence` the
    certainty check's by the recorded confidence against that one, `min_right` the weighed
    decision's (rag.answer.verdict) by its recorded P(right) against that one."""
    active = set(ALWAYS) | set(optional)
    n = len(rows) or 1
    points = []
    for t in thresholds:
        answered = [r for r in rows if not r["error"] and r["draft"]
                    and (r["strength"] >= t or r["lexical"])
                    and not (_failed(r, min_judge, min_confidence, min_right) & active)]
        right = sum(r["right"] for r in answered)
        points.append({"min_score": round(t, 4), "answered": len(answered) / n,
                       "wrong": (len(answered) - right) / n, "right": right / n})
    return points


def _failed(row: dict, min_judge: float | None, min_confidence: float | None = None,
            min_right: float | None = None) -> set[str]:
    failed = row["failed"]
    for check, key, threshold in (("judge", "p_yes", min_judge),
                                  ("unsure", "confidence", min_confidence),
                                  ("judge", "p_right", min_right)):
        if threshold is not None and row[key] is not None:
            failed = (failed - {check}) | ({check} if row[key] < threshold else set())
    if row.get("sure") or row.get("unjudged"):
        failed = failed - {"judge"}
    return failed | {"echo"} if row.get("heading") and not failed else failed


STEPS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
JUDGE_STEPS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
CONFIDENCE_STEPS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
RIGHT_STEPS = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)
JUDGE_BELOW_STEPS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # 1: every answer judged


def trade_off(questions: list, records: list[dict], config: dict) -> dict:
    """metrics.json's `trade_off` for an audited run; `config` is the run's pipeline settings."""
    below = config.get("judge_below")
    rows = replay(questions, records, 1.0 if below is None else float(below))
    strengths = sorted({round(r["strength"], 4) for r in rows})
    thresholds = [0.0] + [s for s in strengths if s > 0] + [1.01]
    checks = ["novel", "unsure"] + (["judge"] if config.get("judge") else [])
    min_score = float(config.get("min_score") or 0.0)
    out = {"n": len(rows),
           "curves": {name: curve(rows, opt, thresholds) for name, opt in POLICIES.items()},
           "steps": {name: curve(rows, opt, list(STEPS)) for name, opt in POLICIES.items()},
           "operating_point": dict(curve(rows, tuple(checks), [min_score])[0], checks=checks,
                                   min_judge=config.get("min_judge"),
                                   min_confidence=config.get("min_confidence"),
                                   judge_below=below)}
    if "judge" in checks and any(r["p_yes"] is not None for r in rows):
        out["judge_steps"] = [dict(curve(rows, tuple(checks), [min_score], j)[0], min_judge=j)
                              for j in JUDGE_STEPS]
        out["judge_auc"] = auc(rows)
    if any(r["p_right"] is not None for r in rows):
        # the weighed decision (rag.answer.verdict): its recorded P(right) against each min_right
        out["right_steps"] = [dict(curve(rows, tuple(checks), [min_score], None, None, t)[0],
                                   min_right=t) for t in RIGHT_STEPS]
        out["right_auc"] = auc(rows, "p_right")
    if any(r["confidence"] is not None for r in rows):
        out["confidence_steps"] = [
            dict(curve(rows, tuple(checks), [min_score], None, c)[0], min_confidence=c)
            for c in CONFIDENCE_STEPS]
        out["confidence_auc"] = auc(rows, "confidence")
        # the judge's verdict re-read from its P(yes): a run that skipped it for sure answers
        # recorded no failure there, which a larger judge_below must bring back
        min_judge = config.get("min_judge")
        out["judge_below_steps"] = [
            dict(curve(replay(questions, records, b), tuple(checks), [min_score],
                       None if min_judge is None else float(min_judge))[0],
                 judge_below=b) for b in JUDGE_BELOW_STEPS]
    return out


def auc(rows: list[dict], key: str = "p_yes") -> float | None:
    """How well the judge's P(yes) (or another recorded score, `key`) separates right drafts
    from wrong ones: the chance that a right draft scores above a wrong one (ties count half);
    None without both kinds."""
    right = [r[key] for r in rows if r[key] is not None and r["right"]]
    wrong = [r[key] for r in rows if r[key] is not None and r["draft"] and not r["right"]]
    if not right or not wrong:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in right for b in wrong)
    return round(wins / (len(right) * len(wrong)), 4)


def table(result: dict) -> str:
    """A plain-text table: each policy at a few thresholds (answered / wrong shares)."""
    names = list(result["steps"])
    lines = ["min_score  " + "  ".join(f"{name:>17}" for name in names),
             " " * 11 + "  ".join(f"{'answered  wrong':>17}" for _ in names)]
    for i, t in enumerate(STEPS):
        cells = [f"{result['steps'][n][i]['answered']:>8.3f} {result['steps'][n][i]['wrong']:>8.3f}"
                 for n in names]
        lines.append(f"{t:>9.2f}  " + "  ".join(f"{c:>17}" for c in cells))
    if result.get("judge_steps"):
        lines.append(f"min_judge (at the chosen min_score, all checks; the judge's AUC between "
                     f"right and wrong drafts {result.get('judge_auc')}): answered / wrong / right")
        lines += [f"{p['min_judge']:>9.2f}  {p['answered']:.3f} / {p['wrong']:.3f} / {p['right']:.3f}"
                  for p in result["judge_steps"]]
    if result.get("right_steps"):
        lines.append(f"min_right (the weighed decision, at the chosen min_score, all checks; AUC "
                     f"{result.get('right_auc')}): answered / wrong / right")
        lines += [f"{p['min_right']:>9.2f}  {p['answered']:.3f} / {p['wrong']:.3f} / "
                  f"{p['right']:.3f}" for p in result["right_steps"]]
    if result.get("confidence_steps"):
        lines.append(f"min_confidence (at the chosen min_score and min_judge, all checks; AUC "
                     f"{result.get('confidence_auc')}): answered / wrong / right")
        lines += [f"{p['min_confidence']:>9.2f}  {p['answered']:.3f} / {p['wrong']:.3f} / "
                  f"{p['right']:.3f}" for p in result["confidence_steps"]]
    if result.get("judge_below_steps"):
        lines.append("judge_below (answers at least this sure are not judged; all checks at "
                     "the chosen thresholds): answered / wrong / right")
        lines += [f"{p['judge_below']:>9.2f}  {p['answered']:.3f} / {p['wrong']:.3f} / "
                  f"{p['right']:.3f}" for p in result["judge_below_steps"]]
    op = result["operating_point"]
    lines.append(f"chosen: min_score {op['min_score']}, checks {', '.join(op['checks'])}: "
                 f"answered {op['answered']:.3f}, wrong {op['wrong']:.3f}, right {op['right']:.3f}")
    return "\n".join(lines)
