"""A yes-or-no question the model would not answer, asked again for the detail it checks.

"Is Grok being developed by OpenAI?" names a detail, OpenAI, that the passages give otherwise
("... being developed by Elon Musk's xAI startup"). The 1.5B model replies that the articles
don't say to such questions, even with that reply barred (rag.pipeline, the second look). So the
question is turned into the one that asks for its detail ("Who is developing Grok?", written by
the generator, `detail_messages`), that question is answered over the same passages and checked
as any short answer, and where the answer names something else while the passages do name the
question's detail, the answer is "No", with that fact ("No. Who is developing Grok? Elon Musk
[1]"). The detail must be a name (capitalised in the question) and named in the passages: a
question about a name the articles never mention ("Did Google join the collaboration?") stays
refused, as the articles say nothing of it.

The generator's rewrite keeps the name as often as not ("Is Tesla developing Grok?" comes back
as "Who is Tesla developing Grok?"), so where it leaves out no name, a question that opens with
its name is turned by rule (`subject_question`): "Who is developing Grok?".

Where the answer names the question's detail itself ("Is Michael Dell the head of Dell
Technologies?", "Who is the head of Dell Technologies?", "Michael Dell [1]"), the answer is "Yes"
with it (`confirms`): the detail question no longer holds the name, so the passages gave it.

Left out: details that are no name ("Is Dell a software company?").
"""

from __future__ import annotations

import re

from rag.answer.asking import asked_subject
from rag.text import content_words, unmarked

DETAIL_SYSTEM = (
    "Turn the yes-or-no question into the question that asks for the one detail it checks: "
    "replace that detail with who, what, where, when or which, and keep every other word. "
    "Reply with the new question only.\n\n"
    "Example: Was the bridge opened in 1998? -> When was the bridge opened?\n"
    "Example: Did Anna Smith write the report? -> Who wrote the report?\n"
    "Example: Is Lyon the capital of France? -> What is the capital of France?")
_WH_START = re.compile(r"(?:who|whom|what|where|when|which)\b", re.IGNORECASE)
# A capitalised word that does not open the question: part of a name.
_CAPITALISED = re.compile(r"(?<=\s)[A-Z][\w&'’.-]*")


def detail_messages(question: str) -> list[dict]:
    """The chat that asks the generator for the question's detail question."""
    return [{"role": "system", "content": DETAIL_SYSTEM},
            {"role": "user", "content": question.strip()}]


def detail_question(reply: str) -> str | None:
    """The detail question in the generator's reply: its first line, after an "->" it may
    copy from the examples; None unless it opens with who, what, where, when or which and
    ends with "?"."""
    lines = [ln for ln in reply.strip().splitlines() if ln.strip()]
    asked = lines[0].split("->")[-1].strip() if lines else ""
    return asked if _WH_START.match(asked) and asked.endswith("?") else None


def subject_question(question: str) -> str | None:
    """The detail question of a yes-or-no question that opens with its name, by rule: the name
    replaced with "who" ("Is Tesla developing Grok?" -> "Who is developing Grok?", "Did Sam
    Altman confirm it?" -> "Who did confirm it?"). None for any other question, one asked in
    the negative ("Isn't Tesla ...?"), one whose name runs on ("Is Elon Musk's xAI ...?"), and
    one that says who acts after "by" ("Is Grok being developed by OpenAI?"), whose name is
    not the one that acts."""
    asked = asked_subject(question)
    if asked is None:
        return None
    verb, _, rest = asked
    if ("'" in verb or not rest.rstrip().endswith("?") or re.match(r"['’]|[A-Z]", rest)
            or re.search(r"\bby\b", rest, re.IGNORECASE)):
        return None
    return f"Who {verb.lower()} {rest.strip()}"


def acted_on(question: str, name: set[str]) -> bool:
    """Whether the tested name is the subject of a passive question ("Has Grok been fully
    described in public?"): "who" in its place asks who was described, and an answer naming
    anyone says nothing of the name ("No. Who has been fully described in public? Michael
    Dell"). A name that acts ("Is Tesla developing Grok?"), or one after "by" ("Is Grok being
    developed by OpenAI?"), is no such subject."""
    asked = asked_subject(question)
    return (asked is not None and content_words(asked[1]) == name
            and re.match(r"(?:been|being)\b|\w+(?:ed|en)\b", asked[2]) is not None)


def tested_name(question: str, asked: str) -> set[str]:
    """The content words (stemmed) of the name the yes-or-no question checks: its words that
    the detail question left out, where each is written with a capital. Empty where any left-out
    word is no name ("public", "software"), or none was left out."""
    left_out = content_words(question) - content_words(asked)
    named = content_words(" ".join(_CAPITALISED.findall(" " + question)))
    return left_out if left_out and left_out <= named else set()


def contradicts(name: set[str], answer: str, passages: list[str]) -> bool:
    """Whether `answer` (to the detail question) says "No" to the name: it names none of the
    name's words, while the passages do name them all (elsewhere, in another role). An answer
    of several ("Dell Technologies, Nvidia", "Dell and Nvidia") says none: a question about one
    partner of several would get a wrong "No"."""
    if re.search(r",|\band\b", unmarked(answer)):
        return False
    held = set().union(*(content_words(p) for p in passages)) if passages else set()
    return bool(name) and not (name & content_words(answer)) and name <= held


def confirms(name: set[str], answer: str) -> bool:
    """Whether `answer` (to the detail question) names every word of the tested name: the
    passages, asked without it, gave it back."""
    return bool(name) and name <= content_words(unmarked(answer))
