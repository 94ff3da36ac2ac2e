"""How a fit reports its progress, wherever its output goes.

* In a Jupyter kernel: tqdm's notebook widget (a text bar where ipywidgets
  is missing), as ``tqdm.auto`` chooses.
* On a terminal: tqdm's bar on stderr, with the loss and metrics in it.
* Anywhere else (a log file, a pipe, a captured stream): plain lines on
  stderr, one every ``ceil(epochs / 10)`` epochs plus the first and last,
  so a log of a long fit stays short and readable.

The mode is chosen when the fit starts, from where stderr points then.
"""

from __future__ import annotations

import math
import sys

from .. import render

__all__ = ["Progress", "progress_mode"]


def progress_mode(stream=None) -> str:
    """``"notebook"``, ``"terminal"`` or ``"file"``: how progress shows on ``stream``.

    Args:
        stream: The output (default: ``sys.stderr``).
    """
    stream = sys.stderr if stream is None else stream
    if render.in_notebook():
        return "notebook"
    isatty = getattr(stream, "isatty", None)
    return "terminal" if isatty is not None and isatty() else "file"


def _format(values: dict[str, float]) -> dict[str, str]:
    return {name: f"{value:.4g}" for name, value in values.items()}


def _bar_class(mode: str):
    if mode == "notebook":
        try:
            import ipywidgets  # noqa: F401  (tqdm's widget needs it)
            from tqdm.notebook import tqdm
            return tqdm
        except ImportError:
            pass
    from tqdm.std import tqdm
    return tqdm


class Progress:
    """Reports each finished epoch of a fit.

    Args:
        epochs: The planned number of epochs.
        enabled: Report at all (``fit(verbose=...)``).
        stream: Where bars and lines go (default: ``sys.stderr`` at the start).
    """

    def __init__(self, epochs: int, enabled: bool = True, stream=None):
        self.epochs = epochs
        self.stream = sys.stderr if stream is None else stream
        self.mode = progress_mode(self.stream) if enabled else "off"
        self.every = max(1, math.ceil(epochs / 10))
        self._bar = None
        if self.mode in ("notebook", "terminal"):
            self._bar = _bar_class(self.mode)(total=epochs, unit="epoch", file=self.stream,
                                              dynamic_ncols=True, leave=True)

    def update(self, epoch: int, values: dict[str, float]) -> None:
        """Epoch ``epoch`` (counted from 1) finished with these loss and metric values."""
        if self._bar is not None:
            self._bar.set_postfix(_format(values), refresh=False)
            self._bar.update(1)
        elif self.mode == "file" and (epoch == 1 or epoch % self.every == 0
                                      or epoch == self.epochs):
            self._line(epoch, values)

    def _line(self, epoch: int, values: dict[str, float]) -> None:
        width = len(str(self.epochs))
        text = "  ".join(f"{name} {value}" for name, value in _format(values).items())
        self.stream.write(f"epoch {epoch:>{width}}/{self.epochs}  {text}\n")
        self.stream.flush()

    def close(self, epoch: int, values: dict[str, float], reason: str = "") -> None:
        """The fit ended after ``epoch`` epochs (early, for ``reason``, if given)."""
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "file" and epoch and not (epoch == 1 or epoch % self.every == 0
                                                    or epoch == self.epochs):
            self._line(epoch, values)
        if reason and self.mode != "off":
            self.stream.write(f"stopped early after epoch {epoch}: {reason}\n")
            self.stream.flush()
