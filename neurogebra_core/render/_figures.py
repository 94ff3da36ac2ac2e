"""Figures that show themselves: in a notebook, in a script, in a file.

Every picture neurogebra draws is a :func:`new_figure`, a matplotlib
``Figure`` with a ``_repr_png_``, so a fresh Jupyter kernel displays it as an
image without ``%matplotlib inline``. Where it lives depends on the caller:

* inside a Jupyter kernel it stays outside pyplot, so it is displayed once
  (as the cell's value), never again by the inline backend;
* in a script or console that has imported ``matplotlib.pyplot``, it joins
  pyplot like ``plt.figure()`` does, so ``plt.show()`` shows it and
  ``plt.gcf()`` returns it;
* otherwise (servers, the command line, the docs build) it is a plain Agg
  figure that ``fig.savefig(...)`` writes and no global state keeps alive.
"""

from __future__ import annotations

import io
import sys

from ..errors import MissingDependencyError

__all__ = ["new_figure", "in_notebook"]

_FIGURE_CLASS = None


def in_notebook() -> bool:
    """Whether this code runs inside a Jupyter (IPython) kernel."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _matplotlib():
    """The figure class and the Agg canvas (imported on each call, cached by Python).

    Raises:
        MissingDependencyError: matplotlib is not installed.
    """
    global _FIGURE_CLASS
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            "plotting needs matplotlib; install it with: pip install matplotlib") from None
    if _FIGURE_CLASS is None:
        class NeurogebraFigure(Figure):
            """A matplotlib Figure that notebooks display as a PNG image."""

            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", bbox_inches="tight")
                return buffer.getvalue()

        _FIGURE_CLASS = NeurogebraFigure
    return _FIGURE_CLASS, FigureCanvasAgg


def new_figure(size: tuple[float, float] = (7.0, 4.5), pyplot: bool = True):
    """A new figure of ``size`` inches, placed as the module docstring says.

    Args:
        size: Width and height in inches.
        pyplot: Whether it may join pyplot (False for pictures only saved).

    Raises:
        MissingDependencyError: matplotlib is not installed.
    """
    cls, canvas = _matplotlib()
    manager = sys.modules.get("matplotlib.pyplot") if pyplot else None
    if manager is not None and not in_notebook():
        return manager.figure(figsize=size, FigureClass=cls)
    figure = cls(figsize=size)
    canvas(figure)
    return figure
