"""How likely a checked draft answer is to be right, from the signals the checks record.

No single signal separates right answers from wrong ones well enough: the judge's two P(yes)
(rag.answer.judge), the model's certainty of its answer's words (the lowest probability it gave one
of them) and the retrieval strength (the best passage's cosine) each miss what another catches. A
logistic regression over them (the probabilities as log-odds, and whether the answer is a long one)
is fit with `bench/refusal_signals.py --fit` on the audited drafts of the development parts of
several question sets at once, each set weighing the same: multiple-choice news questions, open
why/how, list and yes-no questions, and SQuAD 2.0 (docs/eval.md, "The refusal decision").
An answer is refused when its probability is under `min_right`.

Left out: signals measured and not kept (names or words of the question missing from the cited
text, the no-answer probability, a restated question; docs/eval.md).
"""

from __future__ import annotations

import math

# log-odds of a right answer = BIAS + sum(weight * feature), in the order of `features`, for each
# form of the judge (`judge` in the configuration) whose P(yes) the decision can weigh: 1 asks
# about the cited passages alone, 3 in the answer's own prompt; their P(yes) differ, so each has
# its own fit.
WEIGHTS = {
    1: {"p_correct": 0.140, "p_answers": 0.576, "certainty": 0.513, "strength": 0.494,
        "long": 0.200, "long_certainty": -0.309},
    3: {"p_correct": 0.763, "p_answers": 0.376, "certainty": 0.624, "strength": 0.549,
        "long": 0.670, "long_certainty": -0.470},
}
BIAS = {1: -1.499, 3: -1.488}
SIGNALS = tuple(WEIGHTS[1])
# Answers of more than a few words (rag.answer.asking: yes or no with its fact, a list, an
# explanation): the model's certainty is the lowest probability among all their words, which falls
# with their length whether they are right or not, so it weighs differently for them.
LONG_KINDS = ("yes-no", "list", "explain")


def features(p_correct: float, p_answers: float, certainty: float, strength: float,
             long: bool = False) -> list[float]:
    """What the regression reads, in the order of SIGNALS: the probabilities as log-odds, the
    strength as it is, whether the answer is a long one and, for a long one, its certainty
    again. The fit (bench/refusal_signals.py --fit) uses this too."""
    c = logit(certainty)
    return [logit(p_correct), logit(p_answers), c, strength, float(long), c if long else 0.0]


def p_right(p_correct: float, p_answers: float, certainty: float, strength: float,
            long: bool = False, judge: int = 1) -> float:
    """P(right) of a draft: the judge's P(yes) for "is the proposed answer correct according to
    the text?" and for "does the text answer this question?" (asked by the judge's form
    `judge`), the model's certainty, the retrieval strength, and whether the question asks for a
    long answer (LONG_KINDS)."""
    x = features(p_correct, p_answers, certainty, strength, long)
    z = BIAS[judge] + sum(w * f for w, f in zip(WEIGHTS[judge].values(), x))
    return 1.0 / (1.0 + math.exp(-z))


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)  # a sure 0 or 1 counts as 1 in 10,000
    return math.log(p / (1 - p))
