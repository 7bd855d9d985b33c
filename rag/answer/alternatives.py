"""Options written into the question itself, with "or": "Was it announced on Twitter or on
Facebook?", "Did Dell or Nvidia confirm it?", "Which company provides the racks: Dell, Nvidia,
xAI or OpenAI?", "Which company makes the GPUs, Dell or Nvidia?".

Such a question offers its options as surely as one that labels them ("(Options: ...)",
rag.answer.options), and is answered the same way, by the options' letters. Two forms are read:

- a list at the end, after ":", "?", a dash or a comma that follows a question
  (`trailing`): its items are the options, and the question before it is the stem;
- two alternatives inside a question that asks which of them (`inside`: one that opens with
  its verb, or "Which is older ...?"): names or figures on either side of "or" ("Dell or
  Nvidia", "2023 or 2024"), or phrases that open with the same small word ("by xAI or by
  OpenAI", "a generative AI model or a search engine"), which is left out of the options.

Left out: alternatives in lower case that open with no shared word ("rise or fall", "formal or
informal"). The passages often say them in other words ("a surge"), and an option no passage
names is refused (the support check), so such a question is better answered as asked. "Or not",
"or more" and the like offer no alternative.
"""

from __future__ import annotations

import re

MAX_WORDS = 6  # an option longer than this is a clause, not an option
MAX_LISTED = 15  # in a list of three or more, an option may be a phrase of its own
_OR = re.compile(r"\s*,?\s+or\s+", re.IGNORECASE)
_NOT_ALTERNATIVE = frozenset(
    "not no none otherwise so more less fewer else later earlier never any anything something "
    "someone anyone somewhere elsewhere".split())
# The words a phrase may open with and its alternative repeat: "by xAI or by OpenAI".
_SHARED = frozenset("by on in at to for from with into about as a an the".split())
_AUX = "is are was were do does did has have had can could will would should".split()
_QUESTION_WORDS = frozenset("who whom whose what which when where why how".split() + _AUX)
# A question that asks which of two: one that opens with its verb ("Did Dell or Nvidia ...?",
# after a leading phrase: "According to the article, is it ...?") or "Which is older, ...?". In
# any other question "or" joins words of what it describes ("What machine does not define BQP
# or QMA?").
_ASKS_WHICH = re.compile(rf"(?:[^,?]*,\s*)?(?:{'|'.join(_AUX)})\b|which (?:is|was|are|were)\b",
                         re.IGNORECASE)
_WH = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", re.IGNORECASE)
_COMMA = re.compile(r",(?!\d{3}\b)")  # a comma that parts items, not the one of "1,000"
# Where a list at the end of the question may start: after ":", "?", a dash or a comma.
_SEP = re.compile(rf"\?|:|\s[-–—]\s|{_COMMA.pattern}")
# A word of a name or a figure: a capital or a digit first ("Dell", "$5", "2024"), or "xAI".
_NAMED = re.compile(r"(?:[A-Z0-9$£€]|x[A-Z])[\w.&'’%$-]*")
_JOINS = frozenset("of de da del la le van von der al".split())  # "Bank of America"
_UNITS = frozenset("million billion trillion thousand hundred percent %".split())


def written_in(question: str) -> tuple[int | None, list[str]]:
    """The options a question writes with "or", and where its stem ends: (the offset where the
    stem ends, the options) for a list at the end, (None, the options) for alternatives inside the
    question, whose stem is the whole question; (None, []) where it writes none."""
    found = trailing(question)
    if found[1]:
        return found
    return None, inside(question)


def trailing(question: str) -> tuple[int | None, list[str]]:
    """A list of options at the end of a question ("...: Dell, Nvidia, xAI or OpenAI?"), after a
    stem that asks (a wh-word, or a verb that opens it): (where the stem ends, the items). The
    list is the longest that reads as one: items joined by commas and one "or", none after the
    "or" ("Which company, Dell or Nvidia, makes ...?" has none), short after a comma."""
    text = question.rstrip()
    for m in _SEP.finditer(text):
        stem, listed = text[:m.start()].strip(), text[m.end():].strip().rstrip("?.").strip()
        parts = re.split(r"\s+or\s+", listed)
        if len(parts) < 2 or re.search(r"[?;()]", listed) or _COMMA.search(parts[-1]):
            continue
        first = stem.split()[0].lower() if stem.split() else ""
        if not (_WH.search(stem) or first in _QUESTION_WORDS):
            continue
        items = [_unshared(unquoted(i).split())
                 for i in re.split(rf"\s*{_COMMA.pattern}\s*(?:or\s+)?|\s+or\s+", listed)]
        longest = 4 if m.group() == "," else MAX_WORDS if len(items) < 3 else MAX_LISTED
        if (any(not i or len(i.split()) > longest for i in items)
                or items[-1].lower() in _NOT_ALTERNATIVE
                or listed.split()[0].lower() in _QUESTION_WORDS):
            continue
        return m.start(), items
    return None, []


def unquoted(item: str) -> str:
    """An option without the quotes around it ("“Oppenheimer”" is Oppenheimer), but with those
    inside it ("“Mona Lisa” by Leonardo da Vinci" keeps both of its quotes)."""
    item = item.strip(" .")
    m = re.fullmatch(r"[\"“]([^\"“”]*)[\"”]", item)
    return m.group(1).strip() if m else item


def inside(question: str) -> list[str]:
    """Two alternatives on either side of an "or" inside a question that asks which of them
    (`_ASKS_WHICH`): names or figures ("Dell or Nvidia", "in 2023 or 2024"), or phrases that
    open with the same small word ("by xAI or by OpenAI"); [] where there are none."""
    if not _ASKS_WHICH.match(question.strip()):
        return []
    for m in _OR.finditer(question):
        before = question[:m.start()].split()
        after = re.split(r"[?,;:!]", question[m.end():])[0].split()
        if not before or not after or after[0].lower() in _NOT_ALTERNATIVE:
            continue
        lead = after[0].lower()
        if lead in _SHARED:
            at = max((i for i, w in enumerate(before) if w.lower() == lead), default=None)
            x = before[at:] if at is not None else []
            # "on Twitter or on Facebook last week?": a name ends where its words do
            named = _named_run(after[1:])
            y = [after[0], *named] if named else after[:len(x) + 2]
        elif _NAMED.fullmatch(after[0].strip(".")):
            x, y = _named_run(before[::-1])[::-1], _named_run(after)
        else:
            continue
        x, y = _unshared(x), _unshared(y)
        if x and y and x.lower() != y.lower() and max(len(x.split()), len(y.split())) <= MAX_WORDS:
            return [x, y]
    return []


def _named_run(tokens: list[str]) -> list[str]:
    """The words of a name or figure, from the first of `tokens` on ("Michael Dell", "Bank of
    America", "$5 billion"), never a question word ("Is Dell ..." is the name "Dell")."""
    run: list[str] = []
    for i, token in enumerate(tokens):
        word = token.strip(".")
        if word.lower() in _QUESTION_WORDS and word[:1].isupper():
            break
        figure = i + 1 < len(tokens) and re.match(r"[$£€]?\d", tokens[i + 1])
        if _NAMED.fullmatch(word) or (word.lower() in _UNITS and (run or figure)):
            run.append(word)
        elif run and word in _JOINS and i + 1 < len(tokens) and _NAMED.fullmatch(tokens[i + 1]):
            run.append(word)
        else:
            break
    return run


def _unshared(tokens: list[str]) -> str:
    """An option without the small word it shares with the others ("by xAI" is "xAI") and
    without a leading article; possessive endings and quotes left as written."""
    while tokens and (tokens[0].lower() in _SHARED):
        tokens = tokens[1:]
    return " ".join(tokens).strip(" .?,")
