"""The refusal trade-off replayed from an audited run: shares answered and answered wrongly per
retrieval threshold and set of checks, by hand, and `rag eval --trade-off` end to end (fakes)."""

from __future__ import annotations

import json

import pytest

from rag.evaluate.questions import EvalQuestion
from rag.evaluate.tradeoff import table, trade_off
from tests.test_eval_run import run


def _q(i, answers):
    return EvalQuestion(id=f"q{i}", question=f"question {i}?", answers=tuple(answers))


def _rec(strength, failed, draft):
    checks = {"strength": strength, "failed": failed}
    if draft is not None:
        checks["draft"] = draft
    return {"checks": checks, "error": None}


def test_trade_off_by_hand():
    questions = [_q(1, ["Paris"]), _q(2, ["1984"]), _q(3, []), _q(4, []), _q(5, ["blue"])]
    records = [
        _rec(0.6, [], "It is Paris [1]."),                  # right, passes everything
        _rec(0.3, ["judge"], "It was 1984 [1]."),           # right, but the judge said no
        _rec(0.2, ["novel"], "Made up by Bob [1]."),        # unanswerable, invented name
        _rec(0.1, ["retrieval"], "Something [2]."),         # unanswerable, weak retrieval
        _rec(0.5, ["model"], None),                         # the model refused: no draft
    ]
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 1})
    op = t["operating_point"]
    assert op["checks"] == ["novel", "unsure", "judge"] and op["min_score"] == 0.15
    assert (op["answered"], op["wrong"], op["right"]) == (0.2, 0.0, 0.2)  # only q1
    steps = dict(zip((0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
                     t["steps"]["model + support"]))
    # No optional check: q1, q2, q3, q4 answered at 0; q3 and q4 are wrong.
    assert steps[0.0]["answered"] == pytest.approx(0.8) and steps[0.0]["wrong"] == pytest.approx(0.4)
    assert steps[0.15]["answered"] == pytest.approx(0.6) and steps[0.15]["wrong"] == pytest.approx(0.2)
    assert steps[0.25]["answered"] == pytest.approx(0.4) and steps[0.25]["wrong"] == 0.0
    assert steps[0.5]["answered"] == pytest.approx(0.2)
    novel = dict(zip((0.0, 0.1), t["steps"]["+ names/numbers"]))
    assert novel[0.0]["answered"] == pytest.approx(0.6) and novel[0.0]["wrong"] == pytest.approx(0.2)
    curve = t["curves"]["all checks"]
    assert [p["answered"] for p in curve] == sorted((p["answered"] for p in curve), reverse=True)
    assert "chosen: min_score 0.15" in table(t)


def test_eval_trade_off_end_to_end(tmp_path, capsys):
    out = tmp_path / "audit"
    assert run(out, "--trade-off") == 0
    printed = capsys.readouterr().out
    assert "refusal trade-off" in printed and "chosen: min_score" in printed
    m = json.loads((out / "metrics.json").read_text())
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert all("failed" in r["checks"] and "strength" in r["checks"] for r in rows)
    t = m["trade_off"]
    assert t["n"] == 24 and set(t["curves"]) == {"model + support", "+ names/numbers", "+ judge",
                                                   "+ confidence", "all checks"}
    # The chosen point replays the run itself: its answered share is the run's.
    answered = sum(not r["refused"] for r in rows) / 24
    assert t["operating_point"]["answered"] == pytest.approx(answered)
    page = (out / "report.html").read_text()
    assert "Refusal trade-off" in page and page.count("data:image/png;base64,") == 4

    plain = tmp_path / "plain"
    assert run(plain) == 0
    assert "trade_off" not in json.loads((plain / "metrics.json").read_text())
    plain_rows = [json.loads(x) for x in (plain / "results.jsonl").read_text().splitlines()]
    assert [r["answer"] for r in plain_rows] == [r["answer"] for r in rows]


def test_the_judge_threshold_is_replayed_from_its_probability():
    questions = [_q(1, ["Paris"]), _q(2, ["1984"]), _q(3, [])]
    records = [_rec(0.6, [], "It is Paris [1]."), _rec(0.6, ["judge"], "It was 1984 [1]."),
               _rec(0.6, [], "Bob did [1].")]
    for rec, p in zip(records, (0.9, 0.3, 0.6)):
        rec["checks"]["judge_p_yes"] = p
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 1, "min_judge": 0.5})
    by = {p["min_judge"]: p for p in t["judge_steps"]}
    # 0.5 is the run itself: q1 right and q3 wrong answered, q2 refused by the judge.
    assert by[0.5]["answered"] == pytest.approx(2 / 3) and by[0.5]["wrong"] == pytest.approx(1 / 3)
    assert t["operating_point"]["answered"] == by[0.5]["answered"]
    assert by[0.2]["answered"] == 1.0 and by[0.2]["right"] == pytest.approx(2 / 3)  # q2 back
    assert by[0.7]["answered"] == pytest.approx(1 / 3) and by[0.7]["wrong"] == 0.0  # q3 out
    assert "min_judge" in table(t)
    # q1 (right) scores above q3 (wrong) and q2 (right) below it: half the pairs in order.
    assert t["judge_auc"] == 0.5


def test_the_confidence_threshold_is_replayed_from_the_recorded_certainty():
    questions = [_q(1, ["Paris"]), _q(2, ["1984"]), _q(3, [])]
    records = [_rec(0.6, [], "It is Paris [1]."), _rec(0.6, ["unsure"], "It was 1984 [1]."),
               _rec(0.6, [], "Bob did [1].")]
    for rec, c in zip(records, (0.9, 0.1, 0.4)):
        rec["checks"]["confidence"] = c
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 0, "min_confidence": 0.3})
    by = {p["min_confidence"]: p for p in t["confidence_steps"]}
    assert by[0.3]["answered"] == pytest.approx(2 / 3) == t["operating_point"]["answered"]
    assert by[0.0]["answered"] == 1.0 and by[0.0]["right"] == pytest.approx(2 / 3)  # q2 back
    assert by[0.5]["answered"] == pytest.approx(1 / 3) and by[0.5]["wrong"] == 0.0  # q3 out
    assert t["confidence_auc"] == 0.5 and "min_confidence" in table(t)


def test_the_weighed_decision_is_replayed_from_its_recorded_chance_of_being_right():
    questions = [_q(1, ["Paris"]), _q(2, ["1984"]), _q(3, [])]
    records = [_rec(0.6, [], "It is Paris [1]."), _rec(0.6, ["judge"], "It was 1984 [1]."),
               _rec(0.6, [], "Bob did [1].")]
    for rec, p in zip(records, (0.8, 0.25, 0.42)):
        rec["checks"]["p_right"] = p
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 1, "min_right": 0.4})
    by = {p["min_right"]: p for p in t["right_steps"]}
    assert by[0.4]["answered"] == pytest.approx(2 / 3) == t["operating_point"]["answered"]
    assert by[0.2]["answered"] == 1.0 and by[0.2]["right"] == pytest.approx(2 / 3)  # q2 back
    assert by[0.45]["answered"] == pytest.approx(1 / 3) and by[0.45]["wrong"] == 0.0  # q3 out
    assert t["right_auc"] == 0.5 and "min_right" in table(t)


def test_judge_below_is_replayed_from_the_recorded_certainty():
    # An audited run at judge_below 0.8: the judge said no to both (P(yes) 0.4), but q1's words
    # were all at least 0.8 likely, so its "no" was recorded and not applied.
    questions = [_q(1, ["Paris"]), _q(2, [])]
    records = [_rec(0.6, [], "It is Paris [1]."), _rec(0.6, ["judge"], "Bob did [1].")]
    for rec, c in zip(records, (0.9, 0.75)):
        rec["checks"].update(confidence=c, judge_p_yes=0.4)
    cfg = {"min_score": 0.15, "judge": 1, "min_judge": 0.7, "min_confidence": 0.3,
           "judge_below": 0.8}
    t = trade_off(questions, records, cfg)
    assert t["operating_point"]["answered"] == 0.5 and t["operating_point"]["right"] == 0.5
    by = {p["judge_below"]: p for p in t["judge_below_steps"]}
    assert by[0.8]["answered"] == 0.5 and by[0.8]["right"] == 0.5  # the run itself
    assert by[0.7]["answered"] == 1.0 and by[0.7]["wrong"] == 0.5  # q2 answered, wrongly
    assert by[1.0]["answered"] == 0.0  # every answer judged: q1's "no" applies again
    assert "judge_below" in table(t)


def test_a_multiple_choice_answer_under_its_own_bar_stays_refused_in_every_policy():
    """`min_option` (rag.answer.options) stands in for the model's refusal and the judge of a
    question answered by its options' letters, and a written answer naming no option refuses
    too: no policy of optional checks shows either."""
    questions = [_q(1, ["Intel"]), _q(2, ["Arm"]), _q(3, ["AMD"])]
    records = [_rec(0.6, ["choice"], "Intel [1]"), _rec(0.6, [], "Arm [1]"),
               _rec(0.6, ["option"], "AMD [1]")]  # the written answer named no option
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 1})
    for name, steps in t["steps"].items():
        assert steps[0]["answered"] == pytest.approx(1 / 3), name


def test_a_no_about_another_name_stays_unjudged_in_the_replay():
    """A "No" whose fact is about another name stands without the judge (rag.answer.refusal):
    replayed at any `min_right`, its low recorded P(right) does not refuse it."""
    questions = [_q(1, ["No"]), _q(2, ["Yes"])]
    records = [_rec(0.6, [], "No, Michael Dell confirmed it [1]."),
               _rec(0.6, ["judge"], "Yes, it did [1].")]
    records[0]["checks"].update(p_right=0.14, unjudged="a fact about another name")
    records[1]["checks"]["p_right"] = 0.2
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 1, "min_right": 0.35})
    by = {p["min_right"]: p for p in t["right_steps"]}
    assert by[0.35]["answered"] == 0.5 == t["operating_point"]["answered"]
    assert by[0.8]["answered"] == 0.5 and by[0.8]["right"] == 0.5  # q1 stands at any bar
    assert by[0.0]["answered"] == 1.0


def test_a_heading_for_the_whole_answer_stays_an_echo_in_the_replay():
    """A draft that is nothing but a section heading is an echo wherever nothing else refuses it
    (rag.answer.refusal): replayed at a lower `min_right` than the one that refused it, it is
    still not shown, while a plain draft refused by the same bar is."""
    questions = [_q(1, ["transform"]), _q(2, ["transform"])]
    records = [_rec(0.6, ["judge"], "The Future of AI [1]"),
               _rec(0.6, ["judge"], "They could transform industries [1].")]
    records[0]["checks"].update(p_right=0.3, heading=True)
    records[1]["checks"]["p_right"] = 0.3
    t = trade_off(questions, records, {"min_score": 0.15, "judge": 1, "min_right": 0.35})
    by = {p["min_right"]: p for p in t["right_steps"]}
    assert by[0.35]["answered"] == 0.0 == t["operating_point"]["answered"]
    assert by[0.0]["answered"] == 0.5 and by[0.0]["right"] == 0.5  # the heading never shown
