"""Text helpers shared by reading, chunking, prompting and checking: one home for each rule.

- sentences: `sentence_spans` (character spans, by a small rule set) and `first_sentence`;
- words: `WORD` (a word as the checks see it), `words` (lower-cased, apostrophes made plain,
  possessive "'s" dropped), `STOPWORDS`, and `content_words` (the rest, Snowball-stemmed:
  "chips" and "chip" are one word);
- `TERM`: a name (a capitalised word) or a number, what an answer from memory brings in;
- `MARKER`: a citation marker, `[1]` or `[1, 2]`, and `unmarked` (a text without its `[n]`).

Sentences are found by end punctuation followed by space and a capital, digit or quote, by line
breaks and by blank lines, so spans keep exact offsets. Left out: language-specific sentence
models (pysbd, spaCy): the rules cover news-style English; abbreviations like "Dr. Smith" may
split early, which costs little.
"""

from __future__ import annotations

import re
import unicodedata

# End of sentence: . ! ? (or …) plus closing quotes/brackets, then whitespace, then something that
# starts a sentence. Line breaks always end a sentence (headings, list items, paragraphs).
_SENT_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n+")

# Letters of any alphabet ("Jürgen", "São"): [^\W_] is a letter or a digit. An ampersand inside a
# word keeps it whole ("AT&T", "R&D"), where it would otherwise fall apart into stopwords.
WORD = re.compile(r"[^\W_](?:[^\W_]|['’-]|&(?=[^\W_]))*")
# A capitalised word or a number. Python's re has no "upper-case letter" class: a capital is a
# letter that is not lower case, and `terms` keeps only the words that start with one.
TERM = re.compile(r"\b(?:[^\W\d_](?:[^\W_]|[&.-])*[^\W_]|\d[\d,.]*\d|\d)\b")
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKER_SEP = re.compile(r"\s*[,;]\s*")
STOPWORDS = frozenset("""a an the and or but if of to in on at by for with from as is are was were be
been being it its this that these those he she they them his her their we you i what which who whom
when where why how do does did has have had not no so than then there here also into about over
after before such can could would should will may might must very just only more most some any
all each other own same both few s t according passage passages article articles say says said yes""".split())

_STEMMER = None


# What a sentence does not end with: an initial ("Dwight D. Eisenhower", "Commission v. Edith
# Cresson"), a month ("on Feb. 11"), a title ("Dr. Fields"), initials of several letters ("the
# U.S. Senate", "3 p.m. ET", "Washington, D.C."), a company's ("Apple Inc."). `sentence_spans`
# leaves such breaks in (it also cuts articles into chunks); answers and quoted sentences
# (`whole_sentences`) and questions (rag.answer.asking) undo them.
ABBREVIATION = re.compile(r"(?:^|[\s(])(?:(?:[A-Za-z]\.)*[A-Za-z]|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|"
                          r"Oct|Nov|Dec|Mr|Mrs|Ms|Dr|Prof|St|Gov|Sen|Rep|Gen|Lt|Col|Capt|Sgt|Jr|Sr|"
                          r"Mt|Ft|vs|Inc|Ltd|Co|Corp|etc)\.\s*$")


def whole_sentences(text: str) -> list[tuple[int, int]]:
    """`sentence_spans` with a break after an abbreviation undone (`ABBREVIATION`): "Dwight D.
    Eisenhower" is one name, "Feb. 11" one date and "the U.S. Senate" one body, not the end of a
    sentence. What answers and quotes are cut by; articles are chunked by `sentence_spans`."""
    out: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        if out and ABBREVIATION.search(text[out[-1][0]:out[-1][1]]):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        _add_span(text, pos, m.end(), spans)
        pos = m.end()
    _add_span(text, pos, end, spans)
    return spans


def _add_span(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


def first_sentence(body: str, limit: int = 100) -> str:
    """The first sentence of the first non-empty line, cut at a word to `limit` characters: a
    title for an article that names none."""
    line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    m = re.search(r"(?<=[.!?])[\"'”’)]*\s", line)
    sent = line[: m.start()].strip() if m else line
    if len(sent) > limit:
        sent = sent[:limit].rsplit(" ", 1)[0] + "…"
    return sent


def normal(word: str) -> str:
    """A word as the checks compare it: lower-cased, accents folded ("Jürgen" as "jurgen", which
    is how some articles spell it), ’ as ', without a possessive 's."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def terms(text: str) -> list[re.Match]:
    """The names and numbers of `text`: `TERM` matches that start with a capital or a digit."""
    return [m for m in TERM.finditer(text) if not m.group(0)[0].islower()]


# A quotation in straight or curly double quotes.
QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")


def words(text: str) -> list[str]:
    """The words of `text` (`WORD`), each `normal`."""
    return [normal(w) for w in WORD.findall(text)]


def content_words(text: str) -> set[str]:
    """The stemmed words of `text` that are not `STOPWORDS`."""
    return set(stem([w for w in words(text) if w not in STOPWORDS]))


def stemmer():
    """The English Snowball stemmer (PyStemmer), made once."""
    global _STEMMER
    if _STEMMER is None:
        import Stemmer
        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


def stem(tokens: list[str]) -> list[str]:
    return stemmer().stemWords(tokens)


def marker_numbers(m: re.Match) -> list[str]:
    """The passage numbers a `MARKER` match names, as written ("1, 2" gives "1" and "2")."""
    return _MARKER_SEP.split(m.group(1))


def unmarked(answer: str) -> str:
    """The answer without its `[n]` markers."""
    return re.sub(r"\s*\[\d+\]", "", answer)
