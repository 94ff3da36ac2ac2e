"""What a fit records, epoch by epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["History", "shown"]


def shown(value) -> str:
    """A param value in a summary: the number, or an array's shape."""
    return f"{value:.6g}" if np.ndim(value) == 0 else f"array of shape {np.shape(value)}"


@dataclass
class History:
    """What ``fit`` recorded: the mean loss and the params after each epoch.

    Attributes:
        loss: The mean loss of each epoch.
        params: The params after each epoch.
        stopped_early: Whether a tolerance or a callback ended the fit.
        reason: Why it stopped early.
        seconds: The duration of the fit.
    """

    loss: list[float] = field(default_factory=list)
    params: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    reason: str = ""
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __str__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        final = ", ".join(f"{k}={shown(v)}" for k, v in self.params[-1].items())
        text = (f"{self.epochs} epochs in {self.seconds:.3f} s; loss {self.loss[0]:.6g} -> "
                f"{self.loss[-1]:.6g}; {final}")
        return text + (f"; stopped early: {self.reason}" if self.stopped_early else "")
