"""The evaluation's metric functions against examples worked out by hand."""

from __future__ import annotations

import math

import pytest

from rag.evaluate.metrics import (aggregate, contains, exact_match, latency_figures,
                                  normalize_answer, refusal_figures, retrieval_scores,
                                  score_question, token_f1)
from rag.evaluate.questions import EvalQuestion


def test_squad_normalisation_and_exact_match():
    assert normalize_answer("The  Dell, and NVIDIA!") == "dell and nvidia"
    assert exact_match("Dell and Nvidia [1].", ["Dell and Nvidia"]) == 1.0  # markers are not words
    assert exact_match("Dell [1]", ["Nvidia", "dell"]) == 1.0  # best over the accepted answers
    assert exact_match("Dell and Nvidia built it", ["Dell and Nvidia"]) == 0.0


def test_token_f1_by_hand():
    # pred: dell and nvidia built it (5); gold: dell technologies and nvidia (4); 3 shared.
    p, r = 3 / 5, 3 / 4
    assert token_f1("Dell and Nvidia built it", ["Dell Technologies and Nvidia"]) == \
        pytest.approx(2 * p * r / (p + r))
    assert token_f1("Dell and Nvidia built it", ["xAI", "Dell"]) == pytest.approx(2 * .2 / 1.2)
    assert token_f1("nothing shared", ["Grok"]) == 0.0


def test_contains_needs_whole_words():
    assert contains("It is built by Dell and Nvidia [2].", ["Dell and Nvidia"])
    assert not contains("Dellx builds it", ["Dell"])
    assert not contains("anything", [])


def test_retrieval_scores_by_hand():
    s = retrieval_scores({"a": 1, "b": 1}, ["x", "a", "y", "b"])
    assert (s["hit@1"], s["hit@5"], s["hit@10"]) == (0.0, 1.0, 1.0)
    assert s["mrr@10"] == pytest.approx(0.5)
    assert s["recall@10"] == 1.0
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert s["ndcg@10"] == pytest.approx(dcg / idcg, abs=1e-4)


def test_retrieval_cutoffs_and_grades():
    ranking = [f"d{i}" for i in range(20)]
    s = retrieval_scores({"d10": 1}, ranking)  # first relevant at rank 11
    assert s["mrr@10"] == 0.0 and s["hit@10"] == 0.0 and s["recall@10"] == 0.0
    assert s["recall@100"] == 1.0
    g = retrieval_scores({"a": 2, "b": 1}, ["b", "a"])  # graded: the better one ranked second
    assert g["ndcg@10"] == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)), abs=1e-4)
    assert retrieval_scores({"a": 1}, [])["ndcg@10"] == 0.0


def test_refusal_figures_by_hand():
    refused = [True, True, False, False, True]
    should = [True, False, True, False, False]
    f = refusal_figures(refused, should)  # tp 1, fp 2, fn 1; 3 answerable
    assert f["precision"] == pytest.approx(1 / 3)
    assert f["recall"] == pytest.approx(1 / 2)
    assert f["f1"] == pytest.approx(0.4)
    assert f["false_refusal_rate"] == pytest.approx(2 / 3)
    assert refusal_figures([False], [False])["recall"] is None  # nothing to refuse


def test_latency_percentiles():
    f = latency_figures([{"retrieve": 1, "total": t} for t in (100, 200, 300, 400)])
    assert f["total_p50"] == 250 and f["total_p95"] == pytest.approx(385)
    assert f["first_token_p50"] is None


def _rec(answer, refused, citations=(), retrieved=("A",)):
    return {"answer": answer, "refused": refused, "citations": list(citations),
            "retrieved": [{"article_id": a} for a in retrieved], "timings_ms": {}, "error": None}


def test_per_question_and_run_figures():
    qs = [EvalQuestion("1", "who?", ("Dell",), ("A",)),
          EvalQuestion("2", "what?", ("Grok",), ("A",)),
          EvalQuestion("3", "when?", ("2024",), ("A",)),
          EvalQuestion("4", "why?", (), ())]
    good = {"article_id": "A", "text": "..."}
    by_text = {"article_id": "B", "text": "Grok is a model"}  # holds the answer: right too
    bad = {"article_id": "B", "text": "unrelated"}
    recs = [_rec("Dell [1]", False, [good, bad]),
            _rec("It is Grok [1]", False, [by_text]),
            _rec("The articles don't say.", True, retrieved=("B", "A")),
            _rec("The articles don't say.", True)]
    for q, r in zip(qs, recs):
        r["metrics"] = score_question(q, r, retrieval_only=False)
    assert recs[0]["metrics"]["em"] == 1.0 and recs[1]["metrics"]["contains"] is True
    assert recs[2]["metrics"]["f1"] == 0.0  # a refusal on an answerable question
    assert recs[3]["metrics"]["em_overall"] == 1.0  # a refusal on an unanswerable one
    assert "hit@1" not in recs[3]["metrics"]  # no evidence: no retrieval figures
    m = aggregate(qs, recs, retrieval_only=False, answers_known=True, config={})
    assert (m["n"], m["n_answerable"], m["n_unanswerable"]) == (4, 3, 1)
    assert m["retrieval"]["hit@1"] == pytest.approx(2 / 3)
    assert m["retrieval"]["mrr@10"] == pytest.approx((1 + 1 + .5) / 3)
    assert m["answer"]["em"] == pytest.approx(1 / 3)
    assert m["answer"]["contains"] == pytest.approx(2 / 3)
    assert m["answer"]["em_overall"] == pytest.approx(2 / 4)
    assert m["refusal"] == pytest.approx({"precision": .5, "recall": 1.0, "f1": 2 / 3,
                                          "false_refusal_rate": 1 / 3})
    assert m["citation"]["precision"] == pytest.approx(2 / 3)  # pooled: 2 right of 3 given
    assert m["citation"]["recall"] == pytest.approx(2 / 3)  # question 3 cited nothing


def test_retrieval_only_and_errors():
    q = EvalQuestion("1", "q", (), ("A",), {"A": 1})
    failed = {"answer": None, "refused": None, "citations": [], "retrieved": [],
              "timings_ms": {}, "error": "RuntimeError: boom"}
    failed["metrics"] = score_question(q, failed, retrieval_only=True)
    assert failed["metrics"]["recall@100"] == 0.0  # a failure scores, it is not left out
    m = aggregate([q], [failed], retrieval_only=True, answers_known=False, config={})
    assert m["n_errors"] == 1 and m["retrieval"]["hit@10"] == 0.0
    assert m["answer"]["em"] is None and m["refusal"]["recall"] is None
    assert m["n_answerable"] is None and m["latency_ms"]["total_p50"] is None
