"""Multiple-choice questions: the options a question offers (`offered_options`), and the answer
picked by scoring them, not by mapping a written answer.

A question that lists its options ("... this week? (Options: Sudan; Israel; Egypt; Iran)", or
after letters of its own, "A) Sudan B) Israel ...") is asked over the same passages with the
options lettered, A to D, and one more, "None of these: the passages do not say"; the model's
next-token probabilities of the letters say how likely it finds each option. The same is asked
with the options in reverse order and the two are averaged, since a small model leans towards
the letters it reads first. The answer is the likeliest option, as the user wrote it; its
probability among the offered options (the last letter's share left out) is what the refusal
policy weighs (rag.answer.refusal.decide_choice), with the written draft only as a veto (it
names none of the options). No judge is asked: two forward passes after the draft, each reading
only the question and the options after the passages the draft left in the prompt cache.

Why not the written answer mapped to its option: on the quiz's development part the letters
picked the right option as often or more, and their probability told right answers from wrong
ones and from questions the articles do not cover better than the written answer's checks
(docs/eval.md, "Multiple choice by the options' letters").

Left out: more than MAX_OPTIONS options, and generators that give no probabilities (a plugin's
own; the `openai` runtime reads them from the server's `top_logprobs`): those questions get a
written answer, mapped to its option (`pick_option`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer import alternatives
from rag.answer.prompt import pieced
from rag.text import words

# "(Options: a; b; c)", "Options: a, b, c", "Choices - a / b / c": a label, then a list.
_OPTIONS = re.compile(r"\b(?:options?|choices?)\s*[:\-]\s*([^()]+)", re.IGNORECASE)
# "A) Sudan B) Israel C) Egypt", "(a) Sudan (b) Israel", "A. Sudan" on lines of their own: a
# letter that opens an option, after a space or a line's start.
_LETTER = re.compile(r"(?:^|(?<=\s))\(?([A-Ha-h])[).:]\s+")
_AFTER_QUESTION = re.compile(r"(?:[?:]\s*|\n\s*)$")


def _lettered(question: str) -> tuple[int, list[str]]:
    """Options given after letters, A (or a) first and the next letters in order, at least two:
    where the first letter stands, and the options; (-1, []) where there are none. The first
    letter must follow the question ("?", ":" or a new line), so that initials ("J. A. Hobson
    and B. Smith") and parts named by letters ("parts A. and B. of the law") are none."""
    marks = list(_LETTER.finditer(question))
    for i, first in enumerate(marks):
        if first.group(1) not in "Aa" or not _AFTER_QUESTION.search(question[:first.start()]):
            continue
        run, want = [first], chr(ord(first.group(1)) + 1)
        for m in marks[i + 1:]:
            if m.group(1) == want:
                run.append(m)
                want = chr(ord(want) + 1)
        if len(run) >= 2:
            ends = [m.start() for m in run[1:]] + [len(question)]
            items = [question[m.end():end].strip(" \n,;.?)") for m, end in zip(run, ends)]
            if all(items):
                return run[0].start(), items
    return -1, []


def offered_options(question: str) -> list[str]:
    """The options a question lists for the answer to pick from (empty when it lists none):
    after a label ("(Options: Sudan; Israel)"), after letters ("A) Sudan B) Israel"), or
    written with "or" (rag.answer.alternatives: "on Twitter or on Facebook?")."""
    m = _OPTIONS.search(question)
    if not m:
        return _lettered(question)[1] or alternatives.written_in(question)[1]
    listed = m.group(1)
    # The strongest separator the list uses splits it, so an option may hold a weaker one:
    # "Meghan, Duchess of Sussex; Harry, Duke of Sussex", "6,000; 6 million".
    sep = next((re.escape(s) for s in ";|/" if s in listed), r",\s*(?!\d{3}\b)")
    items = [alternatives.unquoted(o.strip(" .?")) for o in re.split(sep, listed)]
    items = [o for o in items if o]
    return items if len(items) >= 2 else []


def without_options(question: str) -> str:
    """The question with the list of options it offers taken out: "Which country ...?". Options
    written inside it ("Did Dell or Nvidia confirm it?") stay: they are part of its words."""
    if not _OPTIONS.search(question):
        at = _lettered(question)[0]
        if at > 0:
            return question[:at].strip()
        end, listed = alternatives.trailing(question)
        return question[:end].strip() + "?" if listed and end is not None else question.strip()
    return re.sub(r"\(\s*\)", "", _OPTIONS.sub("", question)).strip()


def pick_option(answer: str, options: list[str]) -> str | None:
    """The offered option the answer names, as the user wrote it: the option whose words the
    answer holds most completely (ties go to the longer option: "Luke Humphries" over "Luke");
    None when the answer holds no option's words at all, or under half of the best one's."""
    have = _words(answer)
    best, best_share = None, 0.0
    for option in options:
        want = _words(option)
        if not want:
            continue
        share = len(want & have) / len(want)
        if share > best_share or (share == best_share and best is not None
                                  and len(want) > len(_words(best))):
            best, best_share = option, share
    return best if best_share >= 0.5 else None


def _words(text: str) -> set[str]:
    return set(words(text)) - {"the", "a", "an", "of"}


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
