"""Whether a short answer is the kind of thing its question asks for, where its words alone tell.

- `names_itself`: the answer is a name the question writes, in its full form ("Dell Technologies"
  for "What is Dell's expertise?"): it names what was asked about, not what was asked (the
  refusal policy's echo check).
- `no_place`: a where-question answered with an organisation's full name ("Dell Technologies" for
  "Where will the AI factory be built?") that no passage writes after "in", "at" or the like: a
  company is a place only where it is written as one ("she works at Dell Technologies").
- `without_heading`: a draft that opens with a section heading its passage holds ("Nvidia's
  Crucial Role [1] Nvidia, a leader in ...") loses the heading: a heading is no claim.
- `is_heading`: a draft that is nothing but such a heading ("The Future of AI [1]" for "What
  could these developments mean for industries?") names a topic, not an answer: where every
  other check passes it, the refusal policy counts it as an echo, whose second look asks for
  sentences.

Left out: a type for every question word (a person for "who", a date for "when", a place for
every "where"). The model's answers mostly have the right type already, and a place framed by a
preposition in its passage holds for too few of SQuAD's own where-answers to refuse on
(docs/eval.md).
"""

from __future__ import annotations

import re

from rag.answer.asking import asking_part
from rag.answer.mention import names
from rag.text import MARKER, content_words

# The words that end a company's or an institution's full name ("Dell Technologies", "Nvidia
# Corporation"), stemmed: what such an answer adds to the name as a question writes it.
FULL_NAME = content_words("Technologies Technology Inc Incorporated Corp Corporation Company Co "
                          "Group Holdings Ltd Limited LLC PLC AG SA GmbH Industries Systems Labs "
                          "Laboratories Enterprises")
_WHERE = re.compile(r"\W*where\b", re.IGNORECASE)
_AT = r"(?:in|at|inside|outside|near|into|within|from|to|on)"


def names_itself(answer: str, question: str) -> bool:
    """Whether the answer is a name the question writes, in its full form: "Dell Technologies"
    for "What is Dell's expertise?". Only the name as the question writes it, whole, and only
    a company's ending after it: "Dell Technologies" answers "Which company is Michael Dell the
    CEO of?", whose name is "Michael Dell"."""
    said = _bare(answer)
    for name in names(question):
        if said.lower().startswith(name.lower() + " "):
            added = content_words(said[len(name):])
            if added and added <= FULL_NAME:
                return True
    return False


def no_place(answer: str, question: str, passages: list[str]) -> bool:
    """Whether a where-question's answer is an organisation's full name (it ends with a
    company's ending, `FULL_NAME`) that no passage writes as a place: after "in", "at", "near"
    and the like, with or without "the"."""
    if not _WHERE.match(asking_part(question)):
        return False
    said = _bare(answer)
    last = content_words(said.split()[-1]) if said.split() else set()
    if not last or not last <= FULL_NAME:
        return False
    placed = re.compile(rf"\b{_AT}\s+(?:the\s+)?{re.escape(said)}", re.IGNORECASE)
    return not any(placed.search(p) for p in passages)


def _bare(answer: str) -> str:
    """The answer without a leading article or a closing stop."""
    return re.sub(r"^(?:the|a|an)\s+", "", answer.strip(), flags=re.IGNORECASE).rstrip(" .")


def without_heading(text: str, passages: list[str]) -> str:
    """The draft without a section heading it opens with, where more follows: a line of a
    passage that is short (at most eight words) and ends with no stop, written again at the
    draft's start, with or without its markers."""
    m = re.match(r"\s*([^\n\[]+?)[\s.:]*(?:\[[\d,\s]+\]\s*)*(?:\n+|(?<=\])\s+)(?=\S)", text)
    if not m:
        return text
    head = _plain(m.group(1))
    if any(_plain(line) == head for line in _short_lines(passages)):
        rest = text[m.end():]
        return rest if MARKER.sub("", rest).strip() else text
    return text


def is_heading(answer: str, passages: list[str]) -> bool:
    """Whether the answer (without its markers) is a section heading of a passage and nothing
    more: a short line, as `without_heading` reads one, of at least two words, that a longer
    paragraph follows. A line of a list ("Taylor Swift" among other names, each on its own line)
    is followed by another short line, and is no heading."""
    said = _plain(MARKER.sub("", answer).rstrip(" .:"))
    if len(said.split()) < 2:
        return False
    for passage in passages:
        lines = [line.strip() for line in passage.splitlines() if line.strip()]
        for line, after in zip(lines, lines[1:]):
            if _short(line) and _plain(line) == said and len(after.split()) > 8:
                return True
    return False


def _short_lines(passages: list[str]):
    for passage in passages:
        for line in passage.splitlines():
            if _short(line.strip()):
                yield line.strip()


def _short(line: str) -> bool:
    """A line short enough to be a heading: at most eight words, with no stop at its end."""
    return bool(line) and len(line.split()) <= 8 and line[-1] not in ".!?"


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("‘", "'")).strip().lower()
