"""A fake generator whose answers wait for the test's word, so a test can keep the one answer slot
busy exactly as long as it needs, then let the answers through one by one or all at once.

Importing this module (`RAG_PLUGINS=tests.fakes,tests.fake_hold`) registers "fake-held": the
extractive fake of tests/fakes.py whose n-th answer (counted from 1 in the server process) starts
only once the file named by RAG_FAKE_HOLD holds a number of at least n; with no such file, or
after `LIMIT` seconds (so a test that forgets to release it cannot hang the server), it answers
at once. Left out: holding the judge's questions and follow-up rewrites (they do not stream
answers); the tests that use it ask first questions only.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path

from rag import registry
from tests.fakes import FakeGenerator

LIMIT = 120.0


def released(path: str | None) -> float:
    """How many answers the file lets start; no file: all of them."""
    if not path:
        return float("inf")
    try:
        return int(Path(path).read_text().strip() or 0)
    except FileNotFoundError:
        return float("inf")
    except ValueError:  # caught while the test rewrites it: not yet
        return 0


class HeldGenerator(FakeGenerator):
    name = "fake-held"

    def __init__(self):
        super().__init__()
        self._tickets = itertools.count(1)

    def stream(self, messages, max_new_tokens=200, stop: threading.Event | None = None,
               confidence=None):
        ticket = next(self._tickets)
        hold = os.environ.get("RAG_FAKE_HOLD")
        deadline = time.monotonic() + LIMIT
        while released(hold) < ticket and time.monotonic() < deadline:
            if stop is not None and stop.is_set():
                return
            time.sleep(0.02)  # polling the file, which the test rewrites to let answers through
        yield from super().stream(messages, max_new_tokens, stop, confidence)


registry.register_generator("fake-held", HeldGenerator)
