"""Progress on stderr with an estimate of the time left, from the pace of the questions asked in
this session (questions reused from an earlier, interrupted run cost nothing and are not counted).

On a terminal one line is redrawn; otherwise (a log file, CI) a line is printed every 10 questions
and at the end. Left out: a tqdm bar (the estimate must ignore reused questions).
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, reused: int, stream=None):
        self.total, self.done, self.asked = total, reused, 0
        self.errors = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        if reused:
            print(f"resuming: {reused} of {total} questions already answered", file=self.stream)

    def step(self, error: bool = False) -> None:
        self.done += 1
        self.asked += 1
        self.errors += error
        if self.tty or self.asked % 10 == 0 or self.done == self.total:
            end = "" if self.tty and self.done < self.total else "\n"
            print(("\r" if self.tty else "") + self.line(), end=end, file=self.stream, flush=True)

    def line(self) -> str:
        spent = time.perf_counter() - self.t0
        each = spent / self.asked if self.asked else 0.0
        left = each * (self.total - self.done)
        err = f", {self.errors} failed" if self.errors else ""
        return (f"[{self.done}/{self.total}] {each:.1f} s/question, about {_clock(left)} left"
                f"{err}   ")


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"
