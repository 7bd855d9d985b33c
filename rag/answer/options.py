"""Multiple-choice questions answered by scoring their options, not by mapping a written answer.

A question that lists its options ("... this week? (Options: Sudan; Israel; Egypt; Iran)") is
asked over the same passages with the options lettered, A to D, and one more, "None of these: the
passages do not say"; the model's next-token probabilities of the letters say how likely it finds
each option. The same is asked with the options in reverse order and the two are averaged, since
a small model leans towards the letters it reads first. The answer is the likeliest option, as
the user wrote it; its probability among the offered options (the last letter's share left out)
is what the refusal policy weighs (rag.answer.refusal.decide_choice), with the written draft
only as a veto (it names none of the options). No judge is asked: two forward passes after the
draft, each reading only the question and the options after the passages the draft left in the
prompt cache.

Why not the written answer mapped to its option: on the quiz's development part the letters
picked the right option as often or more, and their probability told right answers from wrong
ones and from questions the articles do not cover better than the written answer's checks
(docs/eval.md, "Multiple choice by the options' letters").

Left out: more than MAX_OPTIONS options, and generators that give no probabilities (a plugin's
own; the `openai` runtime reads them from the server's `top_logprobs`): those questions get a
written answer, mapped to its option (rag.answer.asking).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.answer.asking import without_options
from rag.answer.prompt import pieced

LETTERS = "ABCDEFGHI"
MAX_OPTIONS = len(LETTERS) - 1  # one letter is kept for NONE_OF_THESE
NONE_OF_THESE = "None of these: the passages do not say"
ASK = "Reply with the letter of the option the passages support."


@dataclass(frozen=True)
class Scored:
    option: str  # the likeliest offered option, as the user wrote it
    p: float  # its probability among the offered options, averaged over both orders
    probabilities: dict[str, float]  # every offered option's, the same way
    none: float  # the probability of NONE_OF_THESE itself, averaged (recorded, not weighed)


def lettered(messages: list[dict], question: str, options: list[str]) -> list[dict]:
    """The answer's chat asking for an option's letter instead: the same system turn and
    passages (so the prompt cache holds them), then the question without its options, the
    options lettered and NONE_OF_THESE last."""
    head = str(messages[-1]["content"]).rsplit("\n\nQuestion:", 1)[0]
    lines = [f"{letter}. {option}" for letter, option in zip(LETTERS, [*options, NONE_OF_THESE])]
    text = (f"{head}\n\nQuestion: {without_options(question)}\nOptions:\n" + "\n".join(lines)
            + f"\n\n{ASK}")
    return [*messages[:-1], {"role": "user", "content": pieced(text)}]


def score(generator, messages: list[dict], question: str, options: list[str]) -> Scored | None:
    """The offered options scored over the answer's chat `messages`; None where there are too
    few or too many options, or the generator gives no probabilities for the letters."""
    probabilities = getattr(generator, "word_probabilities", None)
    options = list(dict.fromkeys(options))  # an option listed twice is one option
    if probabilities is None or not 2 <= len(options) <= MAX_OPTIONS:
        return None
    total = dict.fromkeys(options, 0.0)
    none = 0.0
    for order in (options, options[::-1]):
        letters = list(LETTERS[:len(order) + 1])
        p = probabilities(lettered(messages, question, list(order)), letters)
        mass = sum(p.get(letter, 0.0) for letter in letters[:-1])
        if mass <= 0.0:
            return None
        for letter, option in zip(letters, order):
            total[option] += p.get(letter, 0.0) / mass / 2
        none += p.get(letters[-1], 0.0) / 2
    best = max(options, key=lambda o: total[o])  # a tie goes to the option listed first
    return Scored(best, total[best], total, none)
