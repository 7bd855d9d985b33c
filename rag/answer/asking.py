"""What kind of answer a question asks for, read from its wording alone.

- "choice": the question lists options to pick from ("(Options: Sudan; Israel; Egypt)"); the
  answer is one of them, as the user wrote it (`pick_option`).
- "yes-no": it opens with a verb ("Is", "Did", "Has" ...) and offers no "or": the answer is yes
  or no with the fact that decides it.
- "explain": why, how (not how many, how much ...), explain, describe, what caused: one to three
  sentences.
- "list": "which companies", "name three", "list": every item the passages give.
- "fact": everything else (who, when, where, how many, what): a name, date, number or a few words.

The rule looks at the question's last sentence, the one that asks: a quiz question often opens
with a sentence of context ("A temple opened this week. Where is it?"). Left out: questions in
other languages than English (they are "fact", the short answer, which still cites).
"""

from __future__ import annotations

import re

from rag.text import words

KINDS = ("fact", "choice", "yes-no", "list", "explain")

_AUX = ("is are was were am do does did has have had can could will would should shall may might "
        "must isn't aren't wasn't weren't don't doesn't didn't hasn't haven't hadn't can't "
        "couldn't won't wouldn't shouldn't").split()
_HOW_MUCH = "many much long old far big large often tall high fast deep soon wide heavy".split()
_EXPLAIN = re.compile(r"^(?:why|explain|describe|in what ways?|what (?:caused|causes|led to|leads "
                      r"to|drove|prompted|is the reason|was the reason|are the reasons|were the "
                      r"reasons|impact|effects?|happened))\b")
_LIST = re.compile(r"^(?:list|name (?:all|the|some|two|three|four|five|six)|(?:which|what) (?:two|"
                   r"three|four|five|six|seven|several)\b|what are (?:the |some )?(?:\w+ ){0,2}\w+s\b)")
# "(Options: a; b; c)", "Options: a, b, c", "Choices - a / b / c": a label, then a list.
_OPTIONS = re.compile(r"\b(?:options?|choices?)\s*[:\-]\s*([^()]+)", re.IGNORECASE)


def offered_options(question: str) -> list[str]:
    """The options a question lists for the answer to pick from (empty when it lists none)."""
    m = _OPTIONS.search(question)
    if not m:
        return []
    items = [o.strip(" .?\"“”") for o in re.split(r"[;/|]|,\s*", m.group(1))]
    items = [o for o in items if o]
    return items if len(items) >= 2 else []


def asking_part(question: str) -> str:
    """The sentence that asks: the last one with a question mark, options left out."""
    q = _OPTIONS.sub("", question).strip(" ()")
    parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+", q) if p.strip()]
    asks = [p for p in parts if p.endswith("?")]
    return (asks[-1] if asks else parts[-1] if parts else q).strip()


def kind_of(question: str) -> str:
    """One of KINDS (see the module docstring)."""
    if offered_options(question):
        return "choice"
    q = asking_part(question).lower().replace("’", "'").rstrip("?")
    # "According to X, why ...", "In Ford's report, were ...": the question starts after a
    # leading phrase.
    starts = [q] + [q.split(",", 1)[1].strip()] if "," in q else [q]
    for part in starts:
        words = part.split()
        if words and words[0] in _AUX:
            return "fact" if re.search(r"\bor\b", part) else "yes-no"
    words = re.findall(r"[a-z0-9'-]+", q)
    wh = next((i for i, w in enumerate(words) if w in _WH), None)
    if wh is None:
        return "list" if _LIST.search(q) else "fact"
    rest = " ".join(words[wh:])
    if _EXPLAIN.search(rest):
        return "explain"
    if words[wh] == "how" and (wh + 1 >= len(words) or words[wh + 1] not in _HOW_MUCH):
        return "explain"
    if _LIST.search(rest) or (words[wh] in ("which", "what") and _plural_head(words[wh + 1:])):
        return "list"
    return "fact"


_WH = frozenset("why how what which who whom whose when where".split())
_STOP_HEAD = frozenset("of in for to on at by with from about as than that whose".split())


def _plural_head(words: list[str]) -> bool:
    """Whether the noun phrase after "which"/"what" holds a plural noun ("which major US
    airlines fly ...", "which six places"): its first three words, up to a preposition or a
    verb."""
    for w in words[:3]:
        if w in _STOP_HEAD or w in _AUX or w.endswith("ed"):
            return False
        if _plural(w):
            return True
    return False


def _plural(word: str) -> bool:
    w = word.strip(",.?")
    return (len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "'s"))
            and w not in ("news", "does", "was", "has", "this", "its", "series", "species"))


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
