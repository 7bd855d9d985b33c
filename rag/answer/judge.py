"""A second look by the generator itself: does the cited text state this answer to the question?

The lexical checks in rag.answer.citations catch invented names and figures, but not an answer
built from words that are all in the passages yet answer something else ("The CEO of Nvidia is
Elon Musk", from a passage naming Michael Dell as Dell's CEO beside Nvidia and Elon Musk). Asked
plainly, the same small model rejects such answers. The wording matters: "Is the answer
supported by the text?" got "yes" every time; of the wordings measured on the drafts of the
development samples, "Is the proposed answer correct according to the text?" separated right
from wrong answers best (docs/eval.md has the figures). It costs one forward pass over the cited
text, no generation.
A second question, asked when the first passes, leaves the proposed answer out: "Does the text
answer this question?" (`answers_messages`); the verdict is the lower of the two. It reads only
the question again, the cited text coming from llama.cpp's prompt cache.

The verdict is graded: the probability the generator gives "yes" against "no" as its first word
(`yes_probability`), weighed with the model's certainty and the retrieval strength
(rag.answer.verdict; or, with `decision = "thresholds"`, against `min_judge` alone). A threshold
can then be tuned on a development sample (`rag eval --trade-off` replays it) instead of taking the
model's coin-flip on a near-tie. A generator that cannot give probabilities is read by its
written reply (1 or 0).

Three forms (`judge` in the configuration): 1 asks in a fresh conversation holding only the cited
text; 2 asks as a follow-up in the answer's own conversation, after its draft; 3 asks in the
answer's own prompt, its draft given as a proposed answer after the question. With 2 and 3 the
passages are not read a second time: llama.cpp's prompt cache still holds them, so 3 reads a few
lines where 1 reads the cited passages again. Asked about all three passages, 3 separates right
from wrong answers a little worse by itself than 1, about as well once weighed with the model's
certainty and the retrieval strength, and got two more of the shipped set's questions wrong, so
1 stays the default (docs/eval.md).
"""

from __future__ import annotations

import re

from rag.answer.prompt import pieced
from rag.text import unmarked
from rag.types import Hit

JUDGE_SYSTEM = "You check answers against a text. Reply with one word: yes or no."


def judge_messages(question: str, answer: str, passages: list[str]) -> list[dict]:
    text = "\n".join(passages)
    plain = unmarked(answer)
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": pieced(f"Text:\n{text}\n\nQuestion: {question}\n"
                                               f"Proposed answer: {plain}\n\n"
                                               "Is the proposed answer correct according to the "
                                               "text?")}]


def answers_messages(question: str, passages: list[str]) -> list[dict]:
    """The judge's second question, without the proposed answer: does the cited text answer the
    question at all? SQuAD 2.0's unanswerable questions carry a plausible answer in the very
    paragraph they were written against; asked about the proposed answer, the model often says it
    is correct, asked whether the text answers the question, it says no more often (docs/eval.md).
    It shares its head, the cited text, with the first question's prompt, so llama.cpp's prompt
    cache reads only the question again."""
    text = "\n".join(passages)
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": pieced(f"Text:\n{text}\n\nQuestion: {question}\n\n"
                                               "Does the text answer this question?")}]


def yes_probability(generator, messages: list[dict]) -> float:
    """P(yes) / (P(yes) + P(no)) for the reply's first word; from the reply itself (1.0 unless it
    is a clear "no") where the generator does not give probabilities."""
    probabilities = getattr(generator, "word_probabilities", None)
    if probabilities is not None:
        p = probabilities(messages, ["yes", "no"])
        total = p["yes"] + p["no"]
        if total > 0:
            return p["yes"] / total
    return 0.0 if says_no("".join(generator.stream(messages, 3))) else 1.0


def lean(generator, messages: list[dict]) -> str | None:
    """The likelier of "Yes" and "No" as the first word of the model's reply to `messages` (read
    off its next-token distribution, from the prompt cache, not generated); None where the
    generator cannot give probabilities."""
    probabilities = getattr(generator, "word_probabilities", None)
    if probabilities is None:
        return None
    p = probabilities(messages, ["Yes", "No"])
    return "Yes" if p.get("Yes", 0.0) >= p.get("No", 0.0) else "No"


VERDICT_SYSTEM = ("You decide yes-or-no questions from a stated fact. Reply with one word: Yes "
                  "or No.")


def fact_messages(question: str, fact: str) -> list[dict]:
    """A yes-or-no question asked of the fact a draft gave for it, without the passages: does
    the fact itself answer it yes or no?"""
    return [{"role": "system", "content": VERDICT_SYSTEM},
            {"role": "user", "content": f"Fact: {unmarked(fact)}\n\nQuestion: {question}\n\n"
                                        "Given only this fact, is the answer to the question yes "
                                        "or no?"}]


def says_no(reply: str) -> bool:
    """Only a clear "no" rejects: an unclear reply keeps the answer the other checks passed."""
    return bool(re.match(r"\s*no\b", reply, re.IGNORECASE))


def in_prompt_messages(answer_messages: list[dict], answer: str) -> list[dict]:
    """The judge's first question asked in the answer's own prompt (`judge = 3`): its rules, its
    passages and its question, then the proposed answer and the question about it. Everything
    before the proposed answer is the answer's prompt word for word, which llama.cpp's prompt
    cache still holds, so only the last few lines are read."""
    return _in_prompt(answer_messages, f"Proposed answer: {unmarked(answer)}\n\nIs the proposed "
                      "answer correct according to the passages? Reply with one word: yes or no.")


def in_prompt_answers_messages(answer_messages: list[dict]) -> list[dict]:
    """The judge's second question in the answer's own prompt: do the passages answer it?"""
    return _in_prompt(answer_messages, "Do the passages answer this question? Reply with one "
                      "word: yes or no.")


def _in_prompt(answer_messages: list[dict], asked: str) -> list[dict]:
    *head, user = answer_messages
    return head + [{"role": "user", "content": pieced(f"{user['content']}\n\n{asked}")}]


def followup_messages(answer_messages: list[dict], raw: str, answer: str) -> list[dict]:
    """The answer's conversation, its draft, and the same question about the checked answer."""
    plain = unmarked(answer)
    return answer_messages + [
        {"role": "assistant", "content": raw},
        {"role": "user", "content": f"Proposed answer: {plain}\n\nDo the passages themselves "
                                    "state this answer to the question? Reply with one word: "
                                    "yes or no."}]


def dated(hit: Hit) -> str:
    """A passage for the judge: its text, then its article's date, which an answer may use
    ("published on June 20, 2024"). The date goes after the text: put first, or with the title,
    it changed the judge's verdict on other answers of the seed set; after, it changed none.
    The whole passage, not the supporting sentence and its neighbours: with those alone the
    judge ran faster but separated right from wrong drafts worse, since a question's false
    premise often lies in another sentence (docs/eval.md)."""
    return hit.chunk.text + (f"\n(Published {hit.date}.)" if hit.date else "")
