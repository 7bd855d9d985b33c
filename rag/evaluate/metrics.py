"""Scoring: one question (`score_question`) and a whole run (`aggregate`).

Retrieval figures are trec_eval's (through pytrec_eval) at the article level: the ranking is the
retrieved chunks deduplicated to their articles, in order. hit@k is trec_eval's `success_k`,
MRR@10 is `recip_rank` over the top 10, nDCG@10 `ndcg_cut_10`, recall@k `recall_k`.

Answers follow the official SQuAD scoring: lower case, no punctuation, no articles (a/an/the),
single spaces; exact match and token F1 take the best over the accepted answers. The answer's
`[n]` markers are removed first: they are citations, not words of the answer. `contains` is true
when some normalised accepted answer appears as whole words in the normalised answer (the model
answers in sentences, so exact match alone undersells it), or, for a list question, every item
does, and for a yes-or-no one, the answer's first word is the right one (`is_right`). Where a
question has a full `reference` answer, `f1_reference` is the token F1 against it. On answerable questions a refusal
scores 0 everywhere; `em_overall`/`f1_overall` score every question as SQuAD 2.0 does (a refusal on
an unanswerable question scores 1, an answer there 0).

Refusing is the positive class of the refusal figures. Citation precision is pooled over the
citations given on answerable questions (a citation on an unanswerable question already shows up as
a wrong answer); a citation is right when its passage belongs to an evidence article or contains
an accepted answer. A question that failed with an error scores as a failure (nothing retrieved,
not refused, no answer) rather than being left out, so errors cannot flatter a run.
"""

from __future__ import annotations

import re
import string
from collections import Counter

import numpy as np
import pytrec_eval

RETRIEVAL_KEYS = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@10", "recall@100")
DEPTH = 100  # articles ranked per question, for recall@100
_TREC = {"hit@1": "success_1", "hit@5": "success_5", "hit@10": "success_10",
         "ndcg@10": "ndcg_cut_10", "recall@10": "recall_10", "recall@100": "recall_100"}
_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
_PUNCT = set(string.punctuation)


# ---- answers ---------------------------------------------------------------------------------
def normalize_answer(text: str) -> str:
    """The official SQuAD normalisation."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def exact_match(prediction: str, golds: list[str] | tuple[str, ...]) -> float:
    pred = normalize_answer(strip_markers(prediction))
    return max((float(pred == normalize_answer(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: list[str] | tuple[str, ...]) -> float:
    pred = normalize_answer(strip_markers(prediction)).split()
    best = 0.0
    for g in golds:
        gold = normalize_answer(g).split()
        if not pred or not gold:
            best = max(best, float(pred == gold))
            continue
        same = sum((Counter(pred) & Counter(gold)).values())
        if same:
            p, r = same / len(pred), same / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains(text: str, golds: list[str] | tuple[str, ...]) -> bool:
    hay = f" {normalize_answer(strip_markers(text))} "
    return any(g and f" {g} " in hay for g in (normalize_answer(x) for x in golds))


def is_right(text: str, q) -> bool:
    """Whether an answer to question `q` is right: it names every item of a list question; a
    yes-or-no (or true-or-false) question's answer starts with the right word ("No, ..." holds
    "no" and may hold "yes" further on); otherwise it contains an accepted answer (`contains`)."""
    if getattr(q, "items", ()):
        return all(contains(text, [item]) for item in q.items)
    golds = {normalize_answer(g) for g in q.answers}
    if golds and (golds <= {"yes", "no"} or golds <= {"true", "false"}):
        words = normalize_answer(strip_markers(text)).split()
        return bool(words) and words[0] in golds
    return contains(text, q.answers)


# ---- retrieval -------------------------------------------------------------------------------
def retrieval_scores(qrels: dict[str, int], ranking: list[str]) -> dict[str, float]:
    """trec_eval's measures for one question: `qrels` article id -> relevance, `ranking` the
    retrieved article ids, best first (deduplicated)."""
    if not ranking:
        return {k: 0.0 for k in RETRIEVAL_KEYS}
    # Scores that fall with rank, so trec_eval ranks exactly as retrieved (it sorts by score).
    run = {"q": {doc: float(len(ranking) - i) for i, doc in enumerate(ranking)}}
    rel = {"q": {doc: int(r) for doc, r in qrels.items()}}
    full = pytrec_eval.RelevanceEvaluator(
        rel, {"success.1,5,10", "ndcg_cut.10", "recall.10,100"}).evaluate(run)["q"]
    top10 = {"q": dict(list(run["q"].items())[:10])}
    rr = pytrec_eval.RelevanceEvaluator(rel, {"recip_rank"}).evaluate(top10)["q"]["recip_rank"]
    out = {key: float(full[trec]) for key, trec in _TREC.items()}
    out["mrr@10"] = float(rr)
    return {k: out[k] for k in RETRIEVAL_KEYS}


def first_relevant_rank(qrels: dict[str, int], ranking: list[str]) -> int | None:
    return next((i for i, doc in enumerate(ranking, 1) if qrels.get(doc, 0) > 0), None)


# ---- one question ----------------------------------------------------------------------------
def citation_ok(citation: dict, evidence_ids, golds) -> bool:
    if citation.get("article_id") in set(evidence_ids):
        return True
    return contains(citation.get("text", ""), golds)


def score_question(q, record: dict, retrieval_only: bool) -> dict:
    """Per-question figures for one result line (see the module docstring)."""
    m: dict = {}
    if q.qrels():
        ranking = [r["article_id"] for r in record.get("retrieved") or []]
        m.update(retrieval_scores(q.qrels(), ranking))
        m["first_relevant_rank"] = first_relevant_rank(q.qrels(), ranking)
    if retrieval_only:
        return m
    refused = bool(record.get("refused"))
    answer = record.get("answer") or ""
    if q.answerable:
        m["em"] = 0.0 if refused else exact_match(answer, q.answers)
        m["f1"] = 0.0 if refused else token_f1(answer, q.answers)
        m["contains"] = False if refused else is_right(answer, q)
        if q.items:
            m["item_recall"] = 0.0 if refused else (
                sum(contains(answer, [i]) for i in q.items) / len(q.items))
        if q.reference:
            m["f1_reference"] = 0.0 if refused else token_f1(answer, [q.reference])
        oks = [citation_ok(c, q.evidence_ids, q.answers) for c in record.get("citations") or []]
        m["citations"], m["citations_ok"] = len(oks), sum(oks)
        m["em_overall"], m["f1_overall"] = m["em"], m["f1"]
    else:
        m["em_overall"] = m["f1_overall"] = 1.0 if refused else 0.0
    m["refusal_right"] = refused != q.answerable
    draft = (record.get("checks") or {}).get("draft")
    if draft is not None:  # an audited run's checked draft: was it right, whatever was shown?
        m["draft_right"] = q.answerable and is_right(draft, q)
    return m


# ---- a run -----------------------------------------------------------------------------------
def aggregate(questions: list, records: list[dict], retrieval_only: bool, answers_known: bool,
              config: dict) -> dict:
    """metrics.json for a run: `questions` and `records` in the same order."""
    per = [r.get("metrics") or {} for r in records]
    n = len(records)
    ans = [m for q, m in zip(questions, per) if q.answerable]
    refused = [bool(r.get("refused")) for r in records]
    unans = [not q.answerable for q in questions]
    out: dict = {"n": n,
                 "n_answerable": len(ans) if answers_known else None,
                 "n_unanswerable": n - len(ans) if answers_known else None,
                 "n_errors": sum(1 for r in records if r.get("error"))}
    out["retrieval"] = {k: _mean([m[k] for m in per if k in m]) for k in RETRIEVAL_KEYS}
    if retrieval_only or not answers_known:
        out["answer"] = dict.fromkeys(("em", "f1", "contains", "em_overall", "f1_overall"))
        out["refusal"] = dict.fromkeys(("precision", "recall", "f1", "false_refusal_rate"))
        out["citation"] = dict.fromkeys(("precision", "recall"))
    else:
        out["answer"] = {
            "em": _mean([m["em"] for m in ans]), "f1": _mean([m["f1"] for m in ans]),
            "contains": _mean([float(m["contains"]) for m in ans]),
            "em_overall": _mean([m["em_overall"] for m in per]),
            "f1_overall": _mean([m["f1_overall"] for m in per])}
        out["refusal"] = refusal_figures(refused, unans)
        given = sum(m["citations"] for m in ans)
        out["citation"] = {
            "precision": _ratio(sum(m["citations_ok"] for m in ans), given),
            "recall": _mean([float(m["citations_ok"] > 0) for m in ans])}
        out["baseline"] = {"always_refuse_em_overall": _ratio(sum(unans), n)}
        out["outcomes"] = outcomes(questions, records)
        refs = [m["f1_reference"] for m in per if "f1_reference" in m]
        if refs:
            out["answer"]["f1_reference"] = _mean(refs)
    out["latency_ms"] = latency_figures([r.get("timings_ms") or {} for r in records
                                         if not r.get("error")])
    out["config"] = config
    return out


def outcomes(questions: list, records: list[dict]) -> dict:
    """Counts of what happened, overall and by kind of question (the set's own `kind`, else the
    one the pipeline read from the question, rag.answer.asking): answerable questions answered
    right, answered wrong or refused; unanswerable ones refused or answered."""
    from rag.answer.asking import kind_of

    def tally(pairs) -> dict:
        t = {"right": 0, "wrong": 0, "refused": 0, "unanswerable_refused": 0,
             "unanswerable_answered": 0}
        for q, r in pairs:
            refused = bool(r.get("refused"))
            if not q.answerable:
                t["unanswerable_refused" if refused else "unanswerable_answered"] += 1
            elif refused:
                t["refused"] += 1
            else:
                t["right" if (r.get("metrics") or {}).get("contains") else "wrong"] += 1
        return t

    pairs = list(zip(questions, records))
    kinds: dict[str, list] = {}
    for q, r in pairs:
        kinds.setdefault(q.kind or kind_of(q.question), []).append((q, r))
    return {"all": tally(pairs), "by_kind": {k: tally(v) for k, v in sorted(kinds.items())}}


def refusal_figures(refused: list[bool], should_refuse: list[bool]) -> dict:
    tp = sum(r and s for r, s in zip(refused, should_refuse))
    fp = sum(r and not s for r, s in zip(refused, should_refuse))
    fn = sum(s and not r for r, s in zip(refused, should_refuse))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1,
            "false_refusal_rate": _ratio(fp, sum(not s for s in should_refuse))}


def latency_figures(timings: list[dict]) -> dict:
    def pct(key: str, q: float) -> float | None:
        vals = [t[key] for t in timings if isinstance(t.get(key), (int, float))]
        return round(float(np.percentile(vals, q)), 1) if vals else None
    return {"retrieve_p50": pct("retrieve", 50), "first_token_p50": pct("first_token", 50),
            "total_p50": pct("total", 50), "total_p95": pct("total", 95)}


def _mean(values: list) -> float | None:
    return float(np.mean(values)) if values else None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None
