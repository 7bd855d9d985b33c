"""A second look by the generator itself: does the cited text state this answer to the question?

The lexical checks in rag.citations catch invented names and figures, but not an answer built
from words that are all in the passages yet answer something else ("The CEO of Nvidia is Elon
Musk", from a passage naming Michael Dell as Dell's CEO beside Nvidia and Elon Musk). Asked
plainly, the same small model rejects such answers. On the shipped question set it rejected all
four answers the model had made up and kept six of eight right ones; the wording matters: "Is the
answer supported by the text?" got "yes" every time, "Does the text itself state this answer to
the question?" did not. It costs one short extra generation (a few tokens).

Two forms (`judge` in the configuration): 1 asks in a fresh conversation holding only the cited
text; 2 asks as a follow-up in the answer's own conversation, whose prompt llama.cpp still holds
in its cache, so the passages are not read a second time (measured in the README).
"""

from __future__ import annotations

import re

JUDGE_SYSTEM = "You check answers against a text. Reply with one word: yes or no."


def judge_messages(question: str, answer: str, passages: list[str]) -> list[dict]:
    text = "\n".join(passages)
    plain = _unmarked(answer)
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Text:\n{text}\n\nQuestion: {question}\n"
                                        f"Proposed answer: {plain}\n\n"
                                        "Does the text itself state this answer to the question?"}]


def says_no(reply: str) -> bool:
    """Only a clear "no" rejects: an unclear reply keeps the answer the other checks passed."""
    return bool(re.match(r"\s*no\b", reply, re.IGNORECASE))


def followup_messages(answer_messages: list[dict], raw: str, answer: str) -> list[dict]:
    """The answer's conversation, its draft, and the same question about the checked answer."""
    plain = _unmarked(answer)
    return answer_messages + [
        {"role": "assistant", "content": raw},
        {"role": "user", "content": f"Proposed answer: {plain}\n\nDo the passages themselves "
                                    "state this answer to the question? Reply with one word: "
                                    "yes or no."}]


def _unmarked(answer: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", answer)
