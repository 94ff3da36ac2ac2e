"""What a fit records, epoch by epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import render

__all__ = ["History", "shown"]


def shown(value) -> str:
    """A param value in a summary: the number, or an array's shape."""
    return f"{value:.6g}" if np.ndim(value) == 0 else f"array of shape {np.shape(value)}"


@dataclass(repr=False)
class History:
    """What ``fit`` recorded: the mean loss, metrics and params after each epoch.

    Attributes:
        loss: The mean training loss of each epoch (over its batches).
        params: The params after each epoch.
        metrics: Each metric per epoch, by name; validation series are named
            ``val_loss`` and ``val_<metric>``.
        learning_rate: The learning rate of each epoch's last step (with a
            schedule; empty otherwise).
        stopped_early: Whether a tolerance, a callback, an error or an
            interruption ended the fit before its last epoch.
        reason: Why it stopped early (``"interrupted"`` after Ctrl-C).
        seconds: The duration of the fit.
    """

    loss: list[float] = field(default_factory=list)
    params: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    learning_rate: list[float] = field(default_factory=list)
    stopped_early: bool = False
    reason: str = ""
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def truncate(self, epochs: int) -> None:
        """Forget what was recorded after the first epochs (an interrupted fit
        keeps only the epochs whose params it kept).

        Args:
            epochs: How many epochs to keep.
        """
        for series in (self.loss, self.params, self.learning_rate, *self.metrics.values()):
            del series[epochs:]

    def last(self) -> dict[str, float]:
        """The loss and every metric of the last epoch, by name."""
        values = {"loss": self.loss[-1]} if self.loss else {}
        values.update({k: v[-1] for k, v in self.metrics.items() if v})
        return values

    def plot(self, title: str | None = None):
        """A matplotlib Figure of the loss and metrics per epoch (needs matplotlib).

        Args:
            title: The figure's title.
        """
        return render.plot_history(self, title)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        series = [("loss", self.loss), ("val_loss", self.metrics.get("val_loss"))]
        trends = ", ".join(f"{name} {values[0]:.4g} -> {values[-1]:.4g}"
                           for name, values in series if values)
        others = [n for n in self.metrics if n != "val_loss" and not n.startswith("val_")]
        named = f"; metrics {', '.join(others)}" if others else ""
        stopped = f"; stopped early: {self.reason}" if self.stopped_early else ""
        return (f"History({self.epochs} epochs in {self.seconds:.3g} s: "
                f"{trends}{named}{stopped})")

    def __str__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        final = ", ".join(f"{k}={shown(v)}" for k, v in self.params[-1].items())
        text = (f"{self.epochs} epochs in {self.seconds:.3f} s; loss {self.loss[0]:.6g} -> "
                f"{self.loss[-1]:.6g}; {final}")
        return text + (f"; stopped early: {self.reason}" if self.stopped_early else "")
