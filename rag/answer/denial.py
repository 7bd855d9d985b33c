"""A yes-or-no question a passage answers with "not": "Was the Mona Lisa damaged ...?" over
"... but the painting was not damaged as it is protected by a glass casing."

The 1.5B model replies that the articles don't say to such questions (rag.pipeline: the model's
own refusal), even with the sentence before it. Where a passage sentence (with the one before
it) holds at least half of the question's content words and negates one of them (a "not",
"never", "no", "nor" or "n't" at most three words before it, or the word with "un-" or "non-":
"undisclosed" for "disclosed"; never inside a quotation), the answer is "No" with that
sentence quoted and cited, so that the reader sees what decides it. A question that holds a
negation itself ("Didn't ...?") is left alone.

Left out: a "Yes" this way (a sentence holding the question's words need not say it), and a
"no" said without a negation ("still under wraps" for "not public").
"""

from __future__ import annotations

from rag.answer.refusal import Decision, Draft
from rag.text import QUOTED, STOPWORDS, WORD, normal, stem, whole_sentences
from rag.types import Citation, Hit

NEGATIONS = frozenset({"not", "never", "no", "nor", "neither", "n't", "cannot"})
# the share of the question's content words the negating sentence must hold
MIN_SHARE = 0.5
WINDOW = 3  # words a negation may stand before the word it negates


def _tokens(text: str) -> list[str]:
    """The words as the checks compare them, with "n't" a word of its own ("didn't": "did",
    "n't")."""
    out: list[str] = []
    for m in WORD.finditer(text):
        w = m.group(0).lower().replace("’", "'")
        out += [normal(w[:-3]), "n't"] if w.endswith("n't") else [normal(w)]
    return out


def denied(question: str, hits: list[Hit]) -> tuple[int, str] | None:
    """The passage (1-based) and sentence that say "not" to the question, holding most of its
    words; None where none does."""
    asked = _tokens(question)
    if NEGATIONS & set(asked):
        return None
    wanted = set(stem([w for w in asked if w not in STOPWORDS]))
    if len(wanted) < 2:
        return None
    best: tuple[float, int, str] | None = None
    for n, h in enumerate(hits, 1):
        text = h.chunk.text
        before: set[str] = set()
        for a, b in whole_sentences(text):
            said = _tokens(text[a:b])
            stems = stem(said)
            # the sentence before may name what this one says "not" to ("... soup at the Mona
            # Lisa. The painting was not damaged ...")
            share = len(wanted & (set(stems) | before)) / len(wanted)
            before = set(stems)
            # a quotation's "not" is its speaker's ("I can't bet against ..."), not the passage's
            unquoted = _tokens(QUOTED.sub(" ", text[a:b]))
            if share >= MIN_SHARE and _negates(unquoted, stem(unquoted), wanted) and (
                    best is None or share > best[0]):
                best = (share, n, text[a:b].strip())
    return (best[1], best[2]) if best else None


def _negates(said: list[str], stems: list[str], wanted: set[str]) -> bool:
    """Whether the sentence says "not" to one of the wanted words, and nowhere says it
    without ("No phone was released by Samsung, but Apple released one" says both)."""
    denied, said_so = set(), set()
    for i, s in enumerate(stems):
        if s in wanted:
            before = said[max(0, i - WINDOW):i]
            negated = bool(NEGATIONS & set(before)) and not _not_only(before)
            (denied if negated else said_so).add(s)
        w = said[i]
        for prefix in ("un", "non-", "non"):
            rest = w[len(prefix):]
            # "undisclosed" for "disclosed"; not "unless" for "less"
            if w.startswith(prefix) and len(rest) >= 5 and stem([rest])[0] in wanted:
                denied.add(stem([rest])[0])
    return bool(denied - said_so)


def _not_only(before: list[str]) -> bool:
    """ "not only" (or "not just") says more, not "not"."""
    return any(a == "not" and b in ("only", "just") for a, b in zip(before, before[1:]))


def answer_text(n: int, sentence: str) -> str:
    """The answer: "No", and the sentence that says so, quoted and cited."""
    return f"No: “{sentence}” [{n}]"


def decision(draft: Draft, first: Decision, audit: bool = False) -> Decision | None:
    """Where the model refused the yes-or-no question `first` decided on and a passage says
    "not" to it: "No", with that sentence quoted and cited (kept as `checks["draft"]` when
    audited, for `rag eval --trade-off`). None otherwise."""
    if first.checks.get("refused_by") != "model" or first.checks.get("kind") != "yes-no":
        return None
    found = denied(draft.query, draft.hits)
    if found is None:
        return None
    n, sentence = found
    text = answer_text(n, sentence)
    checks = {**first.checks, "denial": sentence, "failed": [], "refused_by": None,
              "first_refused_by": "model"}
    if audit:
        checks["draft"] = text
    return Decision(text, False, (Citation(n, draft.hits[n - 1], sentence),), checks)
