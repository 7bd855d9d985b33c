"""The ablation table (rag.evaluate.ablation): each check turned off, replayed from an audited
run, by hand and through `rag eval --trade-off` (fakes)."""

from __future__ import annotations

import json

from rag.evaluate.ablation import ablation, table
from rag.evaluate.questions import EvalQuestion
from tests.test_eval_run import run


def _rec(failed, draft):
    checks = {"failed": failed}
    if draft is not None:
        checks["draft"] = draft
    return {"checks": checks, "error": None}


def test_ablation_by_hand():
    qs = [EvalQuestion("a", "q?", ("Paris",)), EvalQuestion("b", "q?", ("1984",)),
          EvalQuestion("c", "q?", ()), EvalQuestion("d", "q?", ("blue",)),
          EvalQuestion("e", "q?", ("red",))]
    recs = [_rec([], "Paris [1]"),                       # right, shown
            _rec(["judge"], "1984 [1]"),                 # right, withheld by the judge
            _rec(["support", "judge"], "Bob did [1]"),   # unanswerable, two checks say no
            _rec(["model"], None),                       # the model refused: nothing to show
            _rec(["echo"], "green [1]")]                 # wrong, withheld by the echo check
    rows = {r["setting"]: r for r in ablation(qs, recs)}
    assert set(rows) == {"all checks", "without support", "without echo", "without judge",
                         "only the model's own refusal"}
    assert (rows["all checks"]["right"], rows["all checks"]["wrong"],
            rows["all checks"]["refused"]) == (1, 0, 3)
    assert rows["without judge"]["right"] == 2 and rows["without judge"]["unanswerable_refused"] == 1
    assert rows["without echo"]["wrong"] == 1
    assert rows["without support"]["unanswerable_answered"] == 0  # the judge still refuses it
    last = rows["only the model's own refusal"]
    assert (last["right"], last["wrong"], last["refused"], last["unanswerable_answered"]) == (2, 1, 1, 1)
    assert "without judge" in table(list(rows.values()))


def test_a_multiple_choice_answer_s_own_bar_is_turned_off_like_a_check():
    """An option scored by its letters under `min_option` (rag.answer.options) is shown without
    the "choice" check, and not without the support check alone when both failed."""
    qs = [EvalQuestion("a", "q?", ("Intel",)), EvalQuestion("b", "q?", ()),
          EvalQuestion("c", "q?", ("Arm",))]
    recs = [_rec(["choice"], "Intel [1]"), _rec(["support", "choice"], "AMD"),
            _rec([], "Arm [2]")]
    rows = {r["setting"]: r for r in ablation(qs, recs)}
    assert (rows["all checks"]["right"], rows["all checks"]["refused"]) == (1, 1)
    off = rows["without choice"]
    assert (off["right"], off["refused"], off["unanswerable_refused"]) == (2, 0, 1)
    assert rows["without support"]["unanswerable_answered"] == 0
    assert rows["only the model's own refusal"]["unanswerable_answered"] == 1


def test_the_second_look_is_turned_off_like_a_check():
    """A draft the second look wrote (the model had refused) is not shown without it, nor with
    only the model's own refusal."""
    qs = [EvalQuestion("a", "q?", ("Paris",)), EvalQuestion("b", "q?", ()),
          EvalQuestion("c", "q?", ("1984",))]
    second = _rec([], "Paris [1]")
    second["checks"]["second_look"] = "answered"
    checked = _rec(["judge"], "Bob did [1]")
    checked["checks"]["second_look"] = "checked"
    rows = {r["setting"]: r for r in ablation(qs, [second, checked, _rec([], "1984 [1]")])}
    assert rows["all checks"]["right"] == 2 and rows["all checks"]["unanswerable_refused"] == 1
    off = rows["without the second look"]
    assert (off["right"], off["refused"], off["unanswerable_refused"]) == (1, 1, 1)
    assert rows["without judge"]["unanswerable_answered"] == 1  # the second draft, unjudged
    last = rows["only the model's own refusal"]
    assert (last["right"], last["refused"], last["unanswerable_answered"]) == (1, 1, 0)


def test_eval_reports_the_ablation(tmp_path, capsys):
    out = tmp_path / "audit"
    assert run(out, "--trade-off") == 0
    assert "each check turned off" in capsys.readouterr().out
    m = json.loads((out / "metrics.json").read_text())
    first = m["ablation"][0]
    assert first["setting"] == "all checks"
    n = m["n"]
    assert all(r["right"] + r["wrong"] + r["refused"] + r["unanswerable_refused"]
               + r["unanswerable_answered"] == n for r in m["ablation"])
    # every check on is what the run answered
    assert first["refused"] + first["unanswerable_refused"] == sum(
        json.loads(x)["refused"] for x in (out / "results.jsonl").read_text().splitlines())
    assert "Each check turned off" in (out / "report.html").read_text()
