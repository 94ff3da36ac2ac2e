"""Progress of a fit on the terminal."""

from __future__ import annotations

import sys

__all__ = ["ProgressBar"]


class ProgressBar:
    """A one-line progress bar on stderr, only on a terminal and for long fits."""

    def __init__(self, total: int, enabled: bool, width: int = 30):
        self.total, self.width = total, width
        self.enabled = enabled and total >= 20 and sys.stderr.isatty()
        self.shown = -1

    def update(self, done: int, loss: float) -> None:
        if not self.enabled:
            return
        filled = self.width * done // self.total
        if filled == self.shown and done != self.total:
            return
        self.shown = filled
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] epoch {done}/{self.total}  loss {loss:.6g}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
