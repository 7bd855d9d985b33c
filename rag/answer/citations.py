"""Reading and checking an answer: its `[n]` markers, refusals, and which passage supports what.

Small models cite loosely and sometimes answer from memory, so nothing is taken on trust:
- `parse_answer` keeps only markers that name a retrieved passage and recognises refusals;
- `verify` checks the answer sentence by sentence: a sentence is supported by a passage when the
  passage holds most of its content words (stemmed); markers pointing at a passage that does not
  support their sentence are moved to one that does, or dropped; sentences that no passage
  supports are removed. An answer left with nothing supported is a refusal. A sentence that
  names someone only inside a quotation supports nothing that person did;
- `novel_terms` finds names and numbers that appear in no passage: the tell-tale of an answer
  from the model's own memory.
The supporting sentence of each cited passage is kept, so a citation can highlight it.

Left out: semantic entailment (no NLI model can be installed here); support is lexical, which
also means a faithful paraphrase with new words can be judged unsupported (a refusal, the safe side).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from rag.text import (MARKER, QUOTED, STOPWORDS, TERM, content_words, marker_numbers, normal,
                      sentence_spans, stem, terms, whole_sentences, words)
from rag.types import Citation, Hit

_REFUSALS = re.compile(
    r"articles? (?:do(?:es)?n[’']t|do(?:es)? not) (?:say|answer|mention|contain|specify|provide)"
    r"|passages? (?:do(?:es)?n[’']t|do(?:es)? not) (?:say|answer|mention|contain|specify|provide)"
    r"|\b(?:i|we) (?:don[’']t|do not) know\b|not (?:mentioned|specified|stated|provided|given) in"
    r"|no information (?:about|on|in)|(?:cannot|can[’']t|unable to) (?:answer|find|determine)"
    r"|there is no (?:mention|information)",
    re.IGNORECASE)


@dataclass(frozen=True)
class ParsedAnswer:
    text: str  # with invalid markers removed
    cited: list[int]  # passage numbers, in order of first mention
    refused: bool


def parse_answer(text: str, n_passages: int) -> ParsedAnswer:
    cited: list[int] = []

    def keep(m: re.Match) -> str:
        nums = [int(x) for x in marker_numbers(m)]
        good = [n for n in nums if 1 <= n <= n_passages]
        for n in good:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in good)

    clean = MARKER.sub(keep, text)
    clean = re.sub(r"[ \t]+([.,;:!?])", r"\1", clean).strip()
    return ParsedAnswer(clean, cited, is_refusal(clean))


def is_refusal(text: str) -> bool:
    """A refusal says the articles don't answer, and claims nothing cited besides."""
    if not text.strip():
        return True
    first = sentence_spans(text)
    head = text[first[0][0]:first[0][1]] if first else text
    return bool(_REFUSALS.search(head)) or (bool(_REFUSALS.search(text))
                                            and not MARKER.search(text))


def best_sentence(claim: str, passage: str, loose: bool = False) -> tuple[str, float]:
    """The passage sentence sharing most of the claim's content words, and the share of the
    claim's words held by that sentence or by it and a neighbour (a claim may join two adjacent
    sentences, never facts from far apart in the passage). `loose`: see `held`."""
    words_ = content_words(claim)
    spans = sentence_spans(passage)
    if not words_ or not spans:
        return (passage[spans[0][0]:spans[0][1]] if spans else ""), 0.0
    forms = {w: stem([w])[0] for w in words(claim) if w not in STOPWORDS} if loose else None
    sets = [held(words_, passage[a:b], forms) for a, b in spans]
    i = max(range(len(sets)), key=lambda j: len(sets[j]))
    best = max([len(s) for s in sets] + [len(x | y) for x, y in zip(sets, sets[1:])])
    return passage[spans[i][0]:spans[i][1]], best / len(words_)


def held(want: set[str], sentence: str, forms: dict[str, str] | None = None) -> set[str]:
    """The content words `want` (stemmed) that the sentence holds. With `forms`, the claim's
    words as written and their stems (`loose`, for an offered option, whose words a passage may
    write in another form), a word also counts where the sentence writes it with another ending
    ("Mexico" in "the Mexican government": the same first letters, at least five, all but one of
    the shorter word's and all but three of the longer's) or as two ("nightclub" in "a night
    club")."""
    found = want & content_words(sentence)
    if not forms or found == want:
        return found
    have = [w for w in words(sentence) if w not in STOPWORDS]
    joined = {a + b for a, b in zip(have, have[1:])}
    return found | {s for w, s in forms.items() if s not in found
                    and (w in joined or any(_same_root(w, h) for h in have))}


def _same_root(a: str, b: str) -> bool:
    """Two words of one root: "mexico" and "mexican", "ukraine" and "ukrainian"; not "intel"
    and "intelligence", nor "skater" and "skateboarding"."""
    n = len(os.path.commonprefix([a, b]))
    return n >= 5 and n >= min(len(a), len(b)) - 1 and max(len(a), len(b)) - n <= 3


def support(answer: str, hits: list[Hit], loose: bool = False) -> list[tuple[int, str, float]]:
    """For each passage (1-based), its best supporting sentence for the answer and the share."""
    claim = MARKER.sub("", answer)
    return [(i, *best_sentence(claim, f"{_heading(h)} {h.chunk.text}", loose))
            for i, h in enumerate(hits, 1)]


def _heading(h: Hit) -> str:
    """The passage's title and date as a sentence of their own, so "published on June 20, 2024"
    can be supported by the article's date."""
    date = f" Published {h.date} ({' '.join(sorted(_date_words(h.date)))})." if h.date else ""
    return f"{h.title}.{date}"


@dataclass(frozen=True)
class Verified:
    text: str  # the answer as it will be shown: supported sentences, corrected markers
    cited: list[int]
    support: dict[int, str]  # passage number -> its sentence that supports the answer
    dropped: list[str]  # sentences removed for lack of support
    moved: int  # markers moved to the passage that really supports their sentence


def verify(text: str, hits: list[Hit], min_support: float, question: str = "",
           loose: bool = False) -> Verified:
    """`question`: among passages that support a claim equally, the one whose supporting sentence
    shares most words with the question is the citation. A short answer ("xAI") is held by many
    passages; the one that says it answers the question ("Grok ... developed by xAI") is its
    support, and a marker on another passage is moved there. `loose`: see `held`."""
    kept, cited, sup, dropped, moved = [], [], {}, [], 0
    asked = content_words(question)
    for claim, marks in claims(text):
        speaker = _subject(claim)
        scored = {n: (sent, 0.0 if speaker and _quoted_only(speaker, sent) else share)
                  for n, sent, share in support(claim, hits, loose)}
        rank = {n: (share, len(asked & content_words(sent))) for n, (sent, share) in scored.items()}
        top = max(rank.values())
        good = [n for n in marks if scored[n][1] >= min_support and rank[n] == top]
        if not good:
            best = max(scored, key=lambda n: rank[n])
            if scored[best][1] < min_support:
                dropped.append(claim)
                continue
            good = [best]
            moved += 1 if marks else 0
        for n in good:
            if n not in cited:
                cited.append(n)
            sup.setdefault(n, scored[n][0])
        body, end = claim.rstrip(), ""
        if body and body[-1] in ".!?":
            body, end = body[:-1].rstrip(), body[-1]
        # a list's separator left before its marker: "A, B, C, [1]" reads "A, B, C [1]"
        body = body.rstrip(" ,;:")
        kept.append(body + " " + "".join(f"[{n}]" for n in good) + end)
    return Verified(" ".join(kept), cited, sup, dropped, moved)


# A claim that opens with a name and goes on with a verb: "Elon Musk tweeted that ...".
_SUBJECT = re.compile(r"\W*((?:[A-Z][\w&.'’\-]*)(?:\s+[A-Z][\w&.'’\-]*)*)\s+([a-z]+)")
# Words that open a sentence without being a name ("The AI factory will ..."), and words after
# a name that show it is no subject ("Bricks for Warsaw").
_NOT_NAMES = frozenset("the a an it its this that these those there they he she we in on at by "
                       "as according".split())
_NOT_VERBS = frozenset("for of in on at by with from to and or as than".split())


def _subject(claim: str) -> str | None:
    """The name a claim opens with, as written, where a verb follows it; None otherwise."""
    m = _SUBJECT.match(re.sub(r"^\W*(?:yes|no)\b[\s,.:;]*", "", claim, flags=re.IGNORECASE))
    if not m or m.group(1).split()[0].lower() in _NOT_NAMES or m.group(2) in _NOT_VERBS:
        return None
    return m.group(1)


def _quoted_only(name: str, sentence: str) -> bool:
    """Whether the sentence names `name` (as written) only inside a quotation: "Michael Dell ...
    stating, “... for xAI Elon Musk.”" does not say what Elon Musk did, so it supports no claim
    that Elon Musk did something."""
    named = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    return bool(named.search(sentence)) and not named.search(QUOTED.sub(" ", sentence))


def claims(text: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences without markers, each with the passage numbers it cites. A marker
    standing alone after a sentence (`... Musk.” [2].`) belongs to that sentence."""
    out: list[tuple[str, list[int]]] = []
    for a, b in whole_sentences(text):
        sentence = text[a:b]
        marks = [int(x) for m in MARKER.finditer(sentence) for x in marker_numbers(m)]
        claim = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", sentence)).strip()
        if not content_words(claim):
            if out:
                out[-1][1].extend(n for n in marks if n not in out[-1][1])
            continue
        out.append((claim, list(dict.fromkeys(marks))))
    return out


def citations_for(v: Verified, hits: list[Hit]) -> list[Citation]:
    return [Citation(n, hits[n - 1], v.support.get(n) or None) for n in v.cited]


def novel_terms(answer: str, sources: list[str]) -> list[str]:
    """Names and numbers in the answer that appear in none of the sources (passages, question).

    A small model that answers from its own memory brings in names and figures the passages do
    not hold; those are the claims that must not pass as cited. Capitalised words that only
    start a sentence are not names and are skipped. A number a passage writes in words ("eight")
    is held by its figure ("8").
    """
    vocab = {w for s in sources for w in words(s)}
    vocab |= {normal(t) for s in sources for t in TERM.findall(s)}
    vocab |= {w for s in sources for w in _date_words(s)}
    vocab |= {str(_NUMBER_WORDS[w]) for w in list(vocab) if w in _NUMBER_WORDS}
    text = MARKER.sub("", answer)
    starts = {a for a, _ in sentence_spans(text)}
    novel = []
    for m in terms(text):
        term = m.group(0).rstrip(".,")
        key = normal(term)
        if m.start() in starts and not term[0].isdigit():
            continue  # "The", "Yes": capitalised only because a sentence starts there
        if key not in vocab and key.replace(",", "") not in vocab and key not in STOPWORDS:
            novel.append(term)
    return novel


# A number a passage writes in words: "eight seats" holds the "8" an answer gives for it. Tens
# and units joined ("twenty-five") are one word to `words`.
_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)}
_NUMBER_WORDS |= {t: 20 + 10 * i for i, t in enumerate(_TENS)}
_NUMBER_WORDS |= {f"{t}-{u}": 20 + 10 * i + j for i, t in enumerate(_TENS)
                 for j, u in enumerate(_UNITS[1:10], 1)}


def number_as_written(answer: str, passages: list[str]) -> str | None:
    """A bare number for an answer ("8") as the passages write it ("eight"), where they hold the
    word and not the figure: the short answer is to be copied from the passage, and a figure its
    passage spells out matches neither the passage nor an answer quoted from it. None otherwise."""
    figure = answer.strip().rstrip(".")
    if not figure.isdigit():
        return None
    said = {w for p in passages for w in words(p)}
    if figure in said:
        return None
    return next((w for w, n in _NUMBER_WORDS.items() if n == int(figure) and w in said), None)


_MONTHS = ("january february march april may june july august september october november "
           "december").split()


def _date_words(text: str) -> set[str]:
    """ISO dates also count as written out: 2024-06-20 holds "june", "20" and "2024"."""
    out = set()
    for y, m, d in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        if 1 <= int(m) <= 12:
            out |= {y, _MONTHS[int(m) - 1], _MONTHS[int(m) - 1][:3], str(int(d)), d}
    return out
