"""Reading an answer: its `[n]` markers, whether it is a refusal, and which sentence supports it.

Small models cite loosely, so markers are not taken on trust: a marker that names no retrieved
passage is dropped, and an answer without any marker is attributed to the passage sentence that
shares most of its content words, or refused when no passage supports it. The supporting sentence
of each cited passage is found the same way, so a citation can highlight it.

Left out: semantic entailment (no NLI model can be installed here); support is lexical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunking import sentence_spans
from rag.types import Citation, Hit

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_REFUSALS = re.compile(
    r"articles? (?:do(?:es)?n[’']t|do(?:es)? not) (?:say|answer|mention|contain|specify|provide)"
    r"|passages? (?:do(?:es)?n[’']t|do(?:es)? not) (?:say|answer|mention|contain|specify|provide)"
    r"|\b(?:i|we) (?:don[’']t|do not) know\b|not (?:mentioned|specified|stated|provided|given) in"
    r"|no information (?:about|on|in)|(?:cannot|can[’']t|unable to) (?:answer|find|determine)"
    r"|there is no (?:mention|information)",
    re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
STOPWORDS = frozenset("""a an the and or but if of to in on at by for with from as is are was were be
been being it its this that these those he she they them his her their we you i what which who whom
when where why how do does did has have had not no so than then there here also into about over
after before such can could would should will may might must very just only more most some any
all each other own same both few s t according passage passages article articles say says said""".split())


@dataclass(frozen=True)
class ParsedAnswer:
    text: str  # with invalid markers removed
    cited: list[int]  # passage numbers, in order of first mention
    refused: bool


def parse_answer(text: str, n_passages: int) -> ParsedAnswer:
    cited: list[int] = []

    def keep(m: re.Match) -> str:
        nums = [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
        good = [n for n in nums if 1 <= n <= n_passages]
        for n in good:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in good)

    clean = _MARKER.sub(keep, text)
    clean = re.sub(r"[ \t]+([.,;:!?])", r"\1", clean).strip()
    return ParsedAnswer(clean, cited, is_refusal(clean))


def is_refusal(text: str) -> bool:
    """A refusal says the articles don't answer, and claims nothing cited besides."""
    if not text.strip():
        return True
    first = sentence_spans(text)
    head = text[first[0][0]:first[0][1]] if first else text
    return bool(_REFUSALS.search(head)) or (bool(_REFUSALS.search(text)) and not _MARKER.search(text))


def content_words(text: str) -> set[str]:
    return {w.lower().strip("'’") for w in _WORD.findall(text)} - STOPWORDS


def best_sentence(claim: str, passage: str) -> tuple[str, float]:
    """The passage sentence sharing most of the claim's content words, and that share."""
    words = content_words(claim)
    best, score = "", 0.0
    for a, b in sentence_spans(passage):
        sent = passage[a:b]
        if not words:
            return sent, 0.0
        share = len(words & content_words(sent)) / len(words)
        if share > score:
            best, score = sent, share
    return best, score


def support(answer: str, hits: list[Hit]) -> list[tuple[int, str, float]]:
    """For each passage (1-based), its best supporting sentence for the answer and the share."""
    claim = _MARKER.sub("", answer)
    return [(i, *best_sentence(claim, h.chunk.text)) for i, h in enumerate(hits, 1)]


def citations_for(answer: str, cited: list[int], hits: list[Hit]) -> list[Citation]:
    sup = {n: s for n, s, _ in support(answer, hits)}
    return [Citation(n, hits[n - 1], sup.get(n) or None) for n in cited]


_TERM = re.compile(r"\b(?:[A-Z][A-Za-z0-9&.-]*[A-Za-z0-9]|\d[\d,.]*\d|\d)\b")


def novel_terms(answer: str, sources: list[str]) -> list[str]:
    """Names and numbers in the answer that appear in none of the sources (passages, question).

    A small model that answers from its own memory brings in names and figures the passages do
    not hold; those are the claims that must not pass as cited. Sentence-initial words are
    skipped unless they are also capitalised inside the sources' vocabulary check fails.
    """
    vocab = {w.lower().replace("’s", "").replace("'s", "") for s in sources for w in _WORD.findall(s)}
    vocab |= {t.lower() for s in sources for t in _TERM.findall(s)}
    text = _MARKER.sub("", answer)
    starts = {a for a, _ in sentence_spans(text)}
    novel = []
    for m in _TERM.finditer(text):
        term = m.group(0).rstrip(".,")
        key = term.lower().replace("’s", "").replace("'s", "")
        if m.start() in starts and not term[0].isdigit():
            continue  # "The", "Yes": capitalised only because a sentence starts there
        if key not in vocab and key.replace(",", "") not in vocab and key not in STOPWORDS:
            novel.append(term)
    return novel
