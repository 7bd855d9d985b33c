"""The API's waiting line: each question is told its place, and past a limit it is told to retry.

The generator answers one question at a time (its FIFO lock, rag.pipeline), so N clients at once
wait about N answer times. Rather than hold every connection open without a word, `Gate.enter`
gives a request its place (1: answered now), or raises `Full` with a Retry-After in seconds
estimated from the recent answer times, when `limit` questions are already in. Left out: the
order of service (the generator's lock keeps arrival order) and the chat, whose Gradio events
show their own progress.
"""

from __future__ import annotations

import math
import threading
from collections import deque


class Full(Exception):
    def __init__(self, waiting: int, retry_after: int):
        super().__init__(f"{waiting} questions are already waiting or being answered (the "
                         f"limit); retry in about {retry_after} s")
        self.retry_after = retry_after


class Gate:
    def __init__(self, limit: int):
        self.limit = limit
        self.inside = 0
        self._lock = threading.Lock()
        self._times: deque[float] = deque(maxlen=20)  # recent seconds per answer

    def enter(self) -> int:
        """This request's place (1: being answered), or Full."""
        with self._lock:
            if self.inside >= self.limit:
                raise Full(self.inside, self.retry_after())
            self.inside += 1
            return self.inside

    def leave(self, seconds: float | None = None, place: int = 1) -> None:
        """`seconds` from entering to the answer, for a request that entered at `place`: about
        `place` answer times, so one answer took about seconds / place."""
        with self._lock:
            self.inside = max(0, self.inside - 1)
            if seconds is not None:
                self._times.append(seconds / max(1, place))

    def retry_after(self) -> int:
        """Seconds until a place is likely free: about one answer time (the first in line's)."""
        each = sum(self._times) / len(self._times) if self._times else 10.0
        return max(1, math.ceil(each))
