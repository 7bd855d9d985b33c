"""The generator interface every runtime implements, and what the local runtimes share.

A generator streams the answer to a chat (a list of {"role", "content"} messages) piece by piece,
and stops early when the caller's `stop` event is set (the chat's stop button). One model serves a
whole process; a FIFO lock (`FifoLock`) lets one answer be generated at a time, in arrival order,
since one answer already keeps a small CPU's cores busy. The local runtimes decode through
`AnswerStart`: no answer opens with a citation marker, and the probability of each word chosen is
reported (`confidence`).

A message's content may be `Pieced`: text that says where a later prompt may share its head (after
each passage). The prompt's writer says so (rag.answer.prompt, rag.answer.judge); a runtime with a
prompt cache keeps its state there, and never reads the prompt's layout itself.

The runtimes, one a module, register by name (rag.registry), as a plugin does. Left out: sampling
(answers are greedy, so the same question gets the same answer).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Iterator, Protocol

import numpy as np


class Generator(Protocol):
    name: str

    # `confidence`, if given, receives the probability of each token the model chose, up to the
    # first citation marker: how sure it was of the answer's words (a local runtime fills it).
    # Optional: `bar_refusal`, the reply may not open like the refusal sentence
    # (`REFUSAL_OPENING`); the pipeline's second look (rag.pipeline) asks for it.
    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None) -> Iterator[str]: ...

    # Optional: the probability that the reply starts with each word (any of its capitalisations),
    # read off the model's next-token distribution without generating. The judge uses it for a
    # graded verdict; a generator without it is judged by its written reply (rag.answer.judge).
    def word_probabilities(self, messages: list[dict], words: list[str]) -> dict[str, float]: ...

    def info(self) -> dict: ...


class Pieced(str):
    """Message content that names its pieces: `piece_ends`, the offsets in it just after each
    piece that later prompts may share (a passage, the cited text). It is a `str` in every other
    way, so a runtime or a plugin that knows nothing of pieces reads it as plain text."""

    piece_ends: tuple[int, ...] = ()

    def __new__(cls, text: str, piece_ends=()):
        obj = super().__new__(cls, text)
        obj.piece_ends = tuple(piece_ends)
        return obj


def marker_tokens(decode, n_vocab: int) -> list[int]:
    """The tokens that start a citation marker ("[", " [", "[[", ...). An answer may not start
    with one: given a passage it cannot quote, a small model sometimes answers with markers
    alone ("[1] [2]"), which says nothing; barred from them it writes the words. Markers after
    the first word are untouched."""
    return [i for i in range(n_vocab) if decode(i).lstrip().startswith("[")]


# How the refusal sentence (rag.answer.prompt.REFUSAL) and the model's variants of it open:
# "The", then one of these words. `refusal_tokens` turns them into token ids for `AnswerStart`.
REFUSAL_OPENING = ("The", (" articles", " article", " passages", " passage", " text",
                           " provided"))


def refusal_tokens(encode) -> tuple[set[int], list[int]]:
    """The first tokens of "The" (any capitalisation) and of each word that may follow it in a
    refusal: what `AnswerStart` bars where the refusal is barred."""
    first, words = REFUSAL_OPENING
    return first_tokens(encode, first), sorted({ids[0] for w in words if (ids := encode(w))})


class AnswerStart:
    """A logits processor for greedy decoding: bars a citation marker as the first token
    (`marker_tokens`), and appends to `confidence` the chosen token's probability until the
    first marker or the end. With `bar` (`refusal_tokens`), a reply that opens with "The" may
    not go on as a refusal does. Works on one row of logits (numpy or torch), in place."""

    def __init__(self, n_prompt: int, markers: list[int], eos: int | None,
                 confidence: list | None, bar: tuple[set[int], list[int]] | None = None):
        self.n_prompt, self.markers, self.confidence = n_prompt, markers, confidence
        self.ends = set(markers) | ({eos} if eos is not None else set())
        self.done = confidence is None
        self.bar = bar

    def __call__(self, input_ids, scores):
        if len(input_ids) == self.n_prompt:
            scores[self.markers] = -float("inf")
        elif (self.bar and len(input_ids) == self.n_prompt + 1
              and int(input_ids[-1]) in self.bar[0]):
            scores[self.bar[1]] = -float("inf")
        if not self.done:
            top = int(scores.argmax())
            if top in self.ends:
                self.done = True
            else:
                self.confidence.append(_probability(scores, top))
        return scores


def _probability(logits, i: int) -> float:
    """Softmax of one row of logits at `i` (a torch tensor or a numpy array)."""
    if hasattr(logits, "softmax"):
        return float(logits.float().softmax(-1)[i])
    s = np.asarray(logits, dtype=np.float64)
    return float(1.0 / np.exp(s - s[i]).sum())


def variants(word: str) -> set[str]:
    """A word's capitalisations: "yes", "Yes", "YES"."""
    return {word.lower(), word.capitalize(), word.upper()}


def first_tokens(encode, word: str) -> set[int]:
    """The ids a reply starting with `word` can start with: the first token of each of its
    capitalisations (a tokenizer may split "Yes" differently from "yes")."""
    return {ids[0] for v in variants(word) if (ids := encode(v))}


class FifoLock:
    """A lock granted in arrival order, so concurrent users are served fairly."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def __enter__(self):
        with self._lock:
            if not self._held and not self._waiters:
                self._held = True
                return self
            me = threading.Event()
            self._waiters.append(me)
        me.wait()
        return self

    def __exit__(self, *exc):
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # hand over directly: stays held
            else:
                self._held = False
