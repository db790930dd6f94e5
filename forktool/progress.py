"""Terse progress lines in the manner of pip: a step, then what it is doing."""

from __future__ import annotations

import sys


def step(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bar:
    """A counter that redraws one line on a terminal and is quiet elsewhere."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.tty = sys.stderr.isatty()

    def advance(self, detail: str = "") -> None:
        self.done += 1
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "━" * filled + " " * (width - filled)
            line = f"  {self.label} {bar} {self.done}/{self.total} {detail}"
            sys.stderr.write("\r\033[K" + line[:120])
            sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        step(f"  {self.label}: {self.done}/{self.total} done")
