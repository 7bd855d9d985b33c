"""Small deterministic models that implement the same protocols as the real ones.

`FakeEmbedder` hashes words and word pairs into a unit vector (texts sharing words come out close),
`FakeGenerator` answers extractively: it quotes the passage sentence that shares most words with
the question and cites it, or refuses when none shares enough, and scores a multiple-choice
question's lettered options by the share of their words its passages hold. Importing this module registers them
as "fake-hash" and "fake-extractive", so `RAG_PLUGINS=tests.fakes` makes them available to any
process (the web server in the UI tests, the CLI in a subprocess). `Scripted` says what a test
tells it to, to test the checks that come after generation (rag.answer.refusal).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import Iterator

import numpy as np

from rag import registry
from rag.answer.judge import JUDGE_SYSTEM
from rag.answer.options import ASK as LETTER_ASK
from rag.answer.prompt import REFUSAL
from rag.text import content_words, sentence_spans

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    name = "fake-hash"
    dim = 256
    max_tokens = 256

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            words = [w for w in _WORD.findall(t.lower()) if len(w) > 2]
            for feat in words + [a + " " + b for a, b in zip(words, words[1:])]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if h & 1 << 40 else -1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def info(self) -> dict:
        return {"name": self.name, "dim": self.dim, "max_tokens": self.max_tokens,
                "weights_sha256": "fake", "dtype": "float32"}


class FakeGenerator:
    """Extractive and deterministic; `delay` slows each piece down to test streaming and stop."""

    name = "fake-extractive"

    def __init__(self, delay: float = 0.0, min_overlap: int = 2):
        self.delay = delay
        self.min_overlap = min_overlap
        self.calls = 0

    def stream(self, messages: list[dict], max_new_tokens: int = 200,
               stop: threading.Event | None = None,
               confidence: list | None = None) -> Iterator[str]:
        self.calls += 1
        text = self._answer(messages)
        marked = False
        for piece in re.findall(r"\S+\s*", text)[:max_new_tokens]:
            if stop is not None and stop.is_set():
                return
            if self.delay:
                time.sleep(self.delay)
            marked = marked or piece.startswith("[")
            if confidence is not None and not marked:
                confidence.append(1.0)  # sure of every word it copies
            yield piece

    def word_probabilities(self, messages: list[dict], words: list[str]) -> dict[str, float]:
        """For the judge: graded by the share of the proposed answer's words found in the text,
        at least 0.5 only when all of them are (the written verdict's rule). For lettered
        options (rag.answer.options): each option's letter by the share of its words the
        passages hold, the last ("none of these") a fixed 0.2, and the first letter favoured,
        as a small model's is."""
        user = str(messages[-1]["content"])
        if user.endswith(LETTER_ASK):
            return self._letters(user, words)
        share = self._support(messages)
        share = 1.0 if share == 1.0 else share / 2
        return {w: {"yes": share, "no": 1.0 - share}.get(w, 0.0) for w in words}

    @staticmethod
    def _letters(user: str, words: list[str]) -> dict[str, float]:
        passages = content_words(user.split("\n\nQuestion:")[0])
        listed = re.findall(r"^([A-Z])\. (.*)$", user.split("\nOptions:\n", 1)[1], re.M)
        weight = {}
        for i, (letter, option) in enumerate(listed):
            want = content_words(option)
            share = len(want & passages) / len(want) if want else 0.0
            weight[letter] = 0.2 if i == len(listed) - 1 else 0.05 + share + (0.3 if i == 0 else 0)
        total = sum(weight.values())
        return {w: weight.get(w, 0.0) / total for w in words}

    @staticmethod
    def _answers(user: str) -> float:
        """Does the text answer the question (the judge's second question)? Yes when it holds at
        least half of the question's content words, else graded by the share it holds."""
        text, question = user.split("\n\nQuestion:")
        asked = content_words(question.split("\n\n")[0])
        share = len(asked & content_words(text)) / len(asked) if asked else 1.0
        return 1.0 if share >= 0.5 else share

    def _support(self, messages: list[dict]) -> float:
        user = messages[-1]["content"]
        if "Proposed answer:" not in user:
            return self._answers(user)
        text = (user if messages[0]["content"] == JUDGE_SYSTEM else messages[1]["content"]
                ).split("\n\nQuestion:")[0]
        claim = content_words(user.split("Proposed answer:")[1].split("\n")[0])
        return len(claim & content_words(text)) / len(claim) if claim else 0.0

    def _answer(self, messages: list[dict]) -> str:
        user = messages[-1]["content"]
        if messages[0]["content"] == JUDGE_SYSTEM or user.startswith("Proposed answer:"):
            # the answer check (either form): are the answer's words in the text?
            return "yes" if self._support(messages) == 1.0 else "no"
        if "Last question:" in user:  # a follow-up rewrite: name what "it" refers to
            last = user.rsplit("Last question:", 1)[1].strip()
            names = re.findall(r"\b[A-Z][a-zA-Z]+\b", user.split("Last question:")[0])
            names = [n for n in names if n.lower() not in ("user", "assistant", "conversation")]
            return re.sub(r"\b(its|it|their|they)\b", (names[-1] + "'s") if names else r"\1",
                          last, count=1) if names else last
        if "Question:" not in user:  # a chat of another shape (the detail question's): no answer
            return user
        question = user.rsplit("Question:", 1)[1].split("\n")[0]
        passages = re.findall(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion:)", user, re.S | re.M)
        qwords = content_words(question)
        best = (0, "", 0)
        for n, body in passages:
            for a, b in sentence_spans(body):
                sent = body[a:b]
                overlap = len(qwords & content_words(sent))
                if overlap > best[0]:
                    best = (overlap, sent, int(n))
        if best[0] < self.min_overlap:
            return REFUSAL
        return f"{best[1].rstrip('.')} [{best[2]}]."

    def info(self) -> dict:
        return {"name": self.name, "runtime": "fake"}


class Scripted:
    """A generator that says what it is told to, to test the checks after generation."""

    def __init__(self, text, verdict="yes"):
        self.text = text
        self.verdict = verdict
        self.judged = []

    def stream(self, messages, max_new_tokens=200, stop=None, confidence=None):
        if messages[0]["content"] == JUDGE_SYSTEM or messages[-1]["content"].startswith(
                "Proposed answer:") or messages[-1]["content"].endswith("yes or no."):
            self.judged.append(messages)
            yield self.verdict
            return
        yield from (w + " " for w in self.text.split(" "))

    def info(self):
        return {"name": "scripted"}


registry.register_embedder("fake-hash", FakeEmbedder)
registry.register_generator("fake-extractive", FakeGenerator)
registry.register_generator("fake-slow", lambda: FakeGenerator(delay=0.05))
