"""`rag eval` end to end with the fake models: the output folder, resume after an interrupt,
failed questions, --limit/--seed, --fail-under, --compare, and the SQuAD and BEIR formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import registry
from rag.answer.prompt import REFUSAL
from rag.cli import main
from rag.evaluate.compare import compare_runs
from rag.evaluate.runner import article_ranking
from rag.pipeline import Pipeline
from tests.conftest import SEEDS
from tests.test_eval_questions import beir_fixture, squad_fixture

QUESTIONS = SEEDS / "questions.jsonl"
FAKES = ["--embedder", "fake-hash", "--generator", "fake-extractive"]


class Refuser:
    """Refuses everything: a run whose outcomes differ from the extractive fake's."""

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
        yield REFUSAL


registry.register_generator("fake-refuser", Refuser)


def run(out: Path, *extra: str, questions=QUESTIONS) -> int:
    args = ["eval", str(questions), "--out", str(out), *extra]
    if "--index" not in extra and "--articles" not in extra and questions == QUESTIONS:
        args += ["--articles", str(SEEDS)]
    if "--embedder" not in extra:
        args += FAKES
    return main(args)


def lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def figures(out: Path) -> dict:
    m = json.loads((out / "metrics.json").read_text())
    return {g: m[g] for g in ("n", "retrieval", "answer", "refusal", "citation")}


@pytest.fixture
def count_asks(monkeypatch):
    """Counts Pipeline.ask calls; `fail_on` makes chosen questions raise."""
    asked: list[str] = []
    real = Pipeline.ask
    plan = {"fail_on": {}, "interrupt_after": None}

    def ask(self, question, *a, **kw):
        if plan["interrupt_after"] is not None and len(asked) >= plan["interrupt_after"]:
            raise KeyboardInterrupt
        asked.append(question)
        if question in plan["fail_on"]:
            raise plan["fail_on"][question]
        return real(self, question, *a, **kw)

    monkeypatch.setattr(Pipeline, "ask", ask)
    return asked, plan


def test_output_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(out) == 0
    rows = lines(out)
    gold = [json.loads(x) for x in QUESTIONS.read_text().splitlines()]
    assert [r["id"] for r in rows] == [g["id"] for g in gold]
    for r in rows:
        assert set(r) == {"id", "question", "answers", "answer", "refused", "citations",
                          "retrieved", "metrics", "timings_ms", "checks", "error"}
        assert r["error"] is None and r["retrieved"][0]["article_id"] == "000_d2bc7125750b2eac.txt"
        assert all({"chunk_id", "article_id", "text", "n"} <= set(c) for c in r["citations"])
        assert r["refused"] or r["citations"]  # an answer always cites something
    m = json.loads((out / "metrics.json").read_text())
    assert (m["n"], m["n_answerable"], m["n_unanswerable"]) == (24, 17, 7)
    for group in ("retrieval", "answer", "refusal", "citation"):
        assert all(v is None or 0 <= v <= 1 for v in m[group].values())
    assert m["answer"]["contains"] == pytest.approx(
        sum(r["metrics"].get("contains", False) for r in rows) / 17)
    assert m["config"]["embedder"] == "fake-hash" and m["config"]["index"]["articles"] == 1
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "<table>" in page
    assert "ndcg@10" in capsys.readouterr().out


def test_resume_after_interrupt_asks_only_the_rest(tmp_path, count_asks):
    asked, plan = count_asks
    plan["interrupt_after"] = 5
    out = tmp_path / "run"
    assert run(out) == 130  # interrupted: the CLI's usual exit
    assert len(lines(out)) == 5 and not (out / "metrics.json").exists()
    plan["interrupt_after"] = None
    asked.clear()
    assert run(out) == 0
    assert len(asked) == 24 - 5 and len(lines(out)) == 24
    asked.clear()
    assert run(out) == 0 and asked == []  # all answered: nothing asked again
    assert run(tmp_path / "whole") == 0
    assert figures(out) == figures(tmp_path / "whole")


def test_a_failing_question_is_recorded_and_asked_again(tmp_path, count_asks):
    asked, plan = count_asks
    first = json.loads(QUESTIONS.read_text().splitlines()[0])
    plan["fail_on"] = {first["question"]: RuntimeError("generator fell over")}
    out = tmp_path / "run"
    assert run(out) == 0
    row = lines(out)[0]
    assert row["error"] == "RuntimeError: generator fell over" and row["answer"] is None
    assert json.loads((out / "metrics.json").read_text())["n_errors"] == 1
    plan["fail_on"] = {}
    asked.clear()
    assert run(out) == 0
    assert asked == [first["question"]] and lines(out)[0]["error"] is None


def test_other_settings_are_not_mixed_into_a_run(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert run(out, "--limit", "3") == 0
    assert run(out, "--limit", "3", "-k", "2") == 2
    assert "k differ" in capsys.readouterr().err
    monkeypatch.setenv("RAG_RETRIEVAL", "bm25")
    assert run(out, "--limit", "3") == 2
    assert "pipeline differ" in capsys.readouterr().err
    assert run(tmp_path / "bm25", "--limit", "3") == 0
    config = json.loads((tmp_path / "bm25" / "metrics.json").read_text())["config"]
    assert config["pipeline"]["retrieval"] == "bm25"


def test_limit_and_seed(tmp_path, count_asks):
    asked, _ = count_asks
    assert run(tmp_path / "a", "--limit", "6", "--seed", "1") == 0
    ids_a = [r["id"] for r in lines(tmp_path / "a")]
    assert len(ids_a) == 6 and json.loads((tmp_path / "a" / "metrics.json").read_text())["n"] == 6
    assert run(tmp_path / "b", "--limit", "6", "--seed", "1") == 0
    assert [r["id"] for r in lines(tmp_path / "b")] == ids_a
    assert run(tmp_path / "c", "--limit", "6", "--seed", "2") == 0
    assert [r["id"] for r in lines(tmp_path / "c")] != ids_a
    asked.clear()
    assert run(tmp_path / "a", "--limit", "10", "--seed", "1") == 0  # extends, reusing 6
    assert len(asked) == 4 and set(ids_a) <= {r["id"] for r in lines(tmp_path / "a")}
    assert run(tmp_path / "d", "--limit", "8", "--balanced") == 0
    assert sum(not r["answers"] for r in lines(tmp_path / "d")) == 4


def test_fail_under(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(out) == 0
    contains = json.loads((out / "metrics.json").read_text())["answer"]["contains"]
    assert run(out, "--fail-under", f"answer.contains={contains}", "hit@1=0") == 0
    assert run(out, "--fail-under", f"contains={contains + 0.01}") == 1
    assert "answer.contains" in capsys.readouterr().err
    assert run(out, "--retrieval-only", "--out", str(tmp_path / "r"),
               "--fail-under", "answer.em=0") == 1  # cannot be computed: a gate must not pass
    assert run(tmp_path / "x", "--fail-under", "f1=0.5") == 2  # ambiguous: answer or refusal
    assert run(tmp_path / "y", "--fail-under", "answer.nope=0.5") == 2
    assert not (tmp_path / "x").exists()  # checked before anything ran


def test_compare(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(a) == 0
    assert run(b, "--embedder", "fake-hash", "--generator", "fake-refuser") == 0
    capsys.readouterr()
    assert main(["eval", "--compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    figs, changed = compare_runs(a, b)
    table = {name: (va, vb, d) for name, va, vb, d in figs}
    va, vb, d = table["refusal.recall"]
    assert vb == 1.0 and d == pytest.approx(vb - va)
    answered = {r["id"] for r in lines(a) if not r["refused"]}
    assert {qid for qid, *_ in changed} == answered  # exactly the ones that now refuse
    assert all(ob in ("wrongly refused", "rightly refused") for _, _, ob, _ in changed)
    assert "refusal.recall" in text and f"{len(changed)} question(s) changed outcome" in text
    assert main(["eval", "--compare", str(a), str(tmp_path / "none")]) == 2


def test_squad_builds_its_own_index_and_reuses_it(tmp_path, capsys):
    out = tmp_path / "run"
    path = squad_fixture(tmp_path)
    assert run(out, questions=path) == 0
    assert "2 added" in capsys.readouterr().err
    rows = {r["id"]: r for r in lines(out)}
    assert rows["q1"]["retrieved"][0]["article_id"] == "Big_Cats/p000"
    assert rows["q3"]["retrieved"][0]["article_id"] == "Big_Cats/p001"
    assert "hit@1" not in rows["q2"]["metrics"]  # unanswerable: no evidence
    m = json.loads((out / "metrics.json").read_text())
    assert (m["n_answerable"], m["n_unanswerable"]) == (2, 1)
    assert run(out, questions=path) == 0
    assert "0 added, 0 changed, 2 unchanged" in capsys.readouterr().err


def test_beir_is_retrieval_only(tmp_path, count_asks):
    asked, _ = count_asks
    out = tmp_path / "run"
    assert run(out, questions=beir_fixture(tmp_path)) == 0
    assert asked == []  # nothing is generated
    rows = lines(out)
    assert [r["retrieved"][0]["article_id"] for r in rows] == ["d1", "d3"]
    m = json.loads((out / "metrics.json").read_text())
    assert m["retrieval"]["hit@1"] == 1.0 and m["n_answerable"] is None
    assert m["answer"]["f1"] is None and m["latency_ms"]["retrieve_p50"] is not None


def test_article_ranking_dedupes_and_goes_deep(tmp_path, fake_config):
    from dataclasses import replace

    from rag.index.chunking import ChunkParams
    from rag.index.indexing import sync
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):  # several chunks per article
        (docs / f"a{i:02d}.txt").write_text(" ".join(
            f"Sentence {j} of article {i} about topic {i % 3} and cats." for j in range(40)))
    sync([docs], fake_config.index, registry.embedder("fake-hash"), ChunkParams(40, 0))
    pipe = Pipeline.open(replace(fake_config, k=3))
    assert len(pipe.index.chunks) > 3 * 12
    ranked = article_ranking(pipe, "article about cats", depth=10)
    ids = [r["article_id"] for r in ranked]
    assert len(ids) == 10 == len(set(ids))
    scores = [r["score"] for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len(article_ranking(pipe, "cats", depth=100)) == 12  # all there are


def test_bad_k_and_unknown_evidence_are_reported_up_front(tmp_path, capsys):
    assert run(tmp_path / "a", "-k", "99") == 2
    assert "k must be" in capsys.readouterr().err
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"id": "x", "question": "Which startup develops Grok?",
                                 "answers": ["xAI"], "evidence_ids": ["seeds/other.txt"]}) + "\n")
    assert main(["eval", str(qfile), "--articles", str(SEEDS), "--out", str(tmp_path / "b"),
                 *FAKES]) == 0
    assert "1 evidence id(s) are not in the index" in capsys.readouterr().err
    assert lines(tmp_path / "b")[0]["metrics"]["hit@10"] == 0.0
