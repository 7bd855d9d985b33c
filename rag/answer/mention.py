"""Whether the articles mention something: "Does the article mention Tesla?".

Such a question asks about the articles' words, not about the world, and the words can be
looked up: where a passage writes the thing asked about, the answer is "Yes" with that sentence
quoted and cited, no generation needed. The 1.5B model replied that the articles don't say to
"Does the article mention Tesla?" over the very sentence that names Tesla.

What counts as written: the asked words in a row in one sentence, compared as the checks compare
words (`rag.text.words`, stemmed, so "electric vehicle" finds "electric vehicles"), leading
"the", "a", "any" left out. Words that are all there but apart ("the CEO of Nvidia" in "Michael
Dell, CEO of Dell Technologies, ... with Nvidia") are no mention.

Where the topic is a name ("Google", "Jensen Huang": every word written with a capital or a
digit) and no passage of the index holds any of its words (BM25 finds none), the answer is "No"
with that finding: "No: the articles don't mention Google." A name is not written in other words,
and an index that holds none of them mentions it nowhere. The same holds for whether a name is
quoted, cited or interviewed ("Is Jensen Huang quoted in the article?"), which a name the articles
hold may or may not be: that question goes on to the model.

Left out: a "No" to any other topic. Words that no passage writes may still be there in other
words ("electric cars" for "electric vehicles"), so such a question goes on to be answered as any
other.
"""

from __future__ import annotations

import re
from typing import Callable

from rag.text import STOPWORDS, WORD, stem, whole_sentences, words
from rag.types import Answer, Citation, Hit

_DOCUMENT = (r"(?:the |this |that |these |any |your |my )?"
             r"(?:article|passage|text|story|piece|document|source|news)s?")
_MENTIONS = (r"(?:mention|name|discuss|cover|reference|refer to|talk about|say anything about|"
             r"say something about|include|contain)s?")
# Whether someone's words are in the articles: more than a mention, so a passage that names them
# does not answer it.
_SAID = r"quoted|cited|interviewed"
_ASKED = [
    # "Does the article mention Tesla?", "Do any of the articles talk about SpaceX?"
    re.compile(rf"(?:does|do|did) (?:any of )?{_DOCUMENT} (?:ever |also |even )?{_MENTIONS} "
               r"(?P<topic>.+)", re.IGNORECASE),
    # "Is Tesla mentioned in the article?", "Are GPUs mentioned?"; "named" or "discussed" only
    # with the articles said ("Was the CEO named?" asks whether someone was appointed)
    re.compile(rf"(?:is|are|was|were) (?P<topic>.+?) (?:ever |also |even )?(?:mentioned|"
               rf"referred to)(?: (?:in|by|anywhere in) {_DOCUMENT})?", re.IGNORECASE),
    re.compile(rf"(?:is|are|was|were) (?P<topic>.+?) (?:ever |also |even )?(?:named|discussed|"
               rf"talked about) (?:in|by|anywhere in) {_DOCUMENT}", re.IGNORECASE),
    # "Is Jensen Huang quoted in the article?": only a name in no article is answered (`_SAID`);
    # "cited" or "interviewed" only with the articles said ("Was he cited for speeding?")
    re.compile(rf"(?:is|are|was|were) (?P<topic>.+?) (?:ever |also |even )?quoted"
               rf"(?: (?:in|by|anywhere in) {_DOCUMENT})?", re.IGNORECASE),
    re.compile(rf"(?:is|are|was|were) (?P<topic>.+?) (?:ever |also |even )?(?:{_SAID}) "
               rf"(?:in|by|anywhere in) {_DOCUMENT}", re.IGNORECASE),
    # "Is there any mention of Tesla in the articles?"
    re.compile(rf"(?:is|are) there (?:any |a )?mentions? of (?P<topic>.+?)(?: in {_DOCUMENT})?",
               re.IGNORECASE),
]
_LEADING = {"the", "a", "an", "any"}
_CLAUSE = re.compile(r"(?:who|whom|whose|what|when|where|why|how|which|whether|if|that)\b",
                     re.IGNORECASE)
_TRAILING = re.compile(r"\s*(?:at all|anywhere|in (?:it|them))$", re.IGNORECASE)
_ANYTHING = re.compile(r"^(?:anything|something) (?:about|on|regarding) ", re.IGNORECASE)


def asked(question: str) -> str | None:
    """The words whose mention the question asks about ("Tesla"), or None where it asks no such
    thing."""
    text = question.strip().rstrip("?!. ").strip()
    for pattern in _ASKED:
        m = pattern.fullmatch(text)
        if m:
            topic = _ANYTHING.sub("", _TRAILING.sub("", m.group("topic")))
            topic = topic.strip(" \"'“”‘’,")
            # "Does the article mention how much it costs?" asks how much it costs
            clause = _CLAUSE.match(topic)
            return topic if _wanted(topic) and not clause else None
    return None


def _wanted(topic: str) -> list[str]:
    """The topic's words as compared, leading "the", "a", "any" left out; none where they are
    all stop words ("it", "this")."""
    found = words(topic)
    while found and found[0] in _LEADING:
        found = found[1:]
    return stem(found) if any(w not in STOPWORDS for w in found) else []


def find(hits: list[Hit], topic: str) -> tuple[int, str] | None:
    """The first passage (1-based) with a sentence that writes the topic's words in a row, and
    that sentence; None where none does."""
    wanted = _wanted(topic)
    n = len(wanted)
    for i, h in enumerate(hits, 1):
        text = h.chunk.text
        for a, b in whole_sentences(text):
            have = stem(words(text[a:b]))
            if any(have[j:j + n] == wanted for j in range(len(have) - n + 1)):
                return i, text[a:b]
    return None


def answer_text(n: int, sentence: str) -> str:
    """The answer: "Yes", and the sentence that writes it, quoted and cited."""
    return f"Yes: “{sentence.strip()}” [{n}]"


def is_name(question: str, topic: str) -> bool:
    """Whether the topic, as the question writes it, is a name: each of its words after a
    leading "the", "a" or "any" opens with a capital or a digit."""
    at = question.find(topic)
    written = WORD.findall(question[at:at + len(topic)] if at >= 0 else topic)
    while written and written[0].lower() in _LEADING:
        written = written[1:]
    return bool(written) and all(w[0].isupper() or w[0].isdigit() for w in written)


def names(question: str) -> list[str]:
    """The names a question writes: runs of words that open with a capital or a digit, but for
    the word that opens a sentence ("Did Google join ...?" names "Google", not "Did")."""
    found: list[str] = []
    run: list[str] = []
    start = True
    for m in re.finditer(r"\S+", question):
        token = m.group(0)
        word = token.strip("\"'“”‘’(),;:?!.")
        capital = (bool(word) and (word[0].isupper() or word[0].isdigit()) and not start
                   and word != "I")
        if capital:
            run.append(re.sub(r"['’]s$", "", word))
        if run and (not capital or re.search(r"[,;:?!.)\"”]$|['’]s\W*$", token)):
            found.append(" ".join(run))
            run = []
        start = bool(re.search(r"[.?!]\W*$", token))
    if run:
        found.append(" ".join(run))
    return found


def absent_text(topic: str) -> str:
    """The refusal where no passage holds any word of the name a question writes."""
    return f"The articles don't mention {topic}."


def absent_answer(topic: str) -> str:
    """The answer to whether the articles mention a name no passage holds any word of."""
    return f"No: the articles don't mention {topic}."


def looked_up(question: str, query: str, topic: str, hits: tuple[Hit, ...], strength: float,
              unheld: Callable[[str], bool], timings: dict, audit: bool = False) -> Answer | None:
    """The answer to a question whether the articles mention `topic`, from the passages a
    search for it found: "Yes" with the sentence that writes it, cited (not for whether it is
    quoted, `_SAID`); "No" where the topic is a name no passage of the index holds (`unheld`),
    with nothing to cite; None where neither (the question is then answered as any other). Its
    search query is the topic."""
    checks: dict = {"kind": "yes-no", "mention": topic}
    said = re.search(rf"\b(?:{_SAID})\b", query, re.IGNORECASE) is not None
    found = None if said else find(list(hits), topic)
    if found is not None:
        n, sentence = found
        text = answer_text(n, sentence)
        # a passage writes the question's words: as `lexical` as evidence gets
        checks |= {"strength": round(strength, 4), "failed": [], "refused_by": None,
                   "lexical": True}
        if audit:  # what `rag eval --trade-off` replays
            checks["draft"] = text
        return Answer(question, text, False, (Citation(n, hits[n - 1], sentence),), hits,
                      timings, topic, checks)
    if is_name(query, topic) and unheld(topic):
        text = absent_answer(topic)
        checks |= {"strength": round(strength, 4), "absent": topic, "failed": [],
                   "refused_by": None, "lexical": False}
        if audit:
            checks["draft"] = text
        return Answer(question, text, False, (), hits, timings, topic, checks)
    return None
