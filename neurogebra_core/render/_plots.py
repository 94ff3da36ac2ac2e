"""Pictures of functions and their derivatives (needs matplotlib).

``expr.plot()`` draws one Expression and, on request, its first and second
derivatives; ``plot_many`` overlays several (the vanishing-gradient picture
of sigmoid' against relu' is ``plot_many([sigmoid, relu], derivatives=1,
only_derivatives=True)``). Figures come from ``_figures.new_figure``: they
display in a fresh notebook, join pyplot in scripts that use it, and stay
free of global state elsewhere.
"""

from __future__ import annotations

import reprlib
from typing import Iterable, Sequence

import numpy as np

from ..errors import ArgumentError, VariableError
from ._figures import new_figure

__all__ = ["plot", "plot_many"]

_PRIMES = {0: "", 1: "'", 2: "''"}
MAX_POINTS = 1_000_000   # far beyond what a screen shows; bounds the memory a plot takes


def _variable(expression, variable, fixed) -> str:
    if variable is None:
        free = [v for v in expression.variables if v not in fixed]
        if len(free) != 1:
            raise VariableError(
                f"{expression.name!r} has variables {', '.join(expression.variables)}; choose "
                "the one to plot with variable=... and fix the others by keyword")
        return free[0]
    if variable not in expression.variables:
        raise VariableError(f"{expression.name!r} has no variable {variable!r}; its variables: "
                            f"{', '.join(expression.variables)}")
    return variable


def _orders(derivatives: int, only_derivatives: bool) -> list[int]:
    if derivatives not in (0, 1, 2):
        raise ArgumentError(f"derivatives must be 0, 1 or 2, got {derivatives!r}")
    if only_derivatives and derivatives == 0:
        raise ArgumentError("only_derivatives=True needs derivatives=1 or 2")
    return list(range(1 if only_derivatives else 0, derivatives + 1))


def _curves(expression, variable, orders, xs, fixed):
    for order in orders:
        function = expression if order == 0 else expression.gradient(variable, order=order)
        label = f"{expression.name}{_PRIMES[order]}({variable})"
        yield label, function.eval(**{**fixed, variable: xs})


def plot_many(expressions: Sequence, x_range: tuple[float, float] = (-5.0, 5.0),
              derivatives: int = 0, variable: str | None = None, points: int = 400,
              only_derivatives: bool = False, title: str | None = None, **fixed):
    """Overlay several Expressions (and their derivatives) on one set of axes.

    Args:
        expressions: The functions to draw.
        x_range: ``(low, high)`` of the plotted variable.
        derivatives: Also draw the first (1) or first and second (2) derivatives.
        variable: The variable on the horizontal axis (default: each one's only free one).
        points: The number of sample points.
        only_derivatives: Draw the derivatives without the functions.
        title: The title (default: the names).
        **fixed: Values of the other variables and params (``alpha=0.1``).

    Returns:
        The matplotlib Figure.
    """
    if isinstance(expressions, (str, bytes)) or not isinstance(expressions, Iterable):
        raise ArgumentError(f"plot_many() needs a list of Expressions, got "
                            f"{type(expressions).__name__}")
    expressions = list(expressions)
    if not expressions:
        raise ArgumentError("plot_many() needs at least one Expression")
    for expression in expressions:
        if not (hasattr(expression, "variables") and hasattr(expression, "gradient")):
            raise ArgumentError(f"plot_many() draws Expressions, got {expression!r}")
    low, high = _check_range(x_range)
    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise ArgumentError(f"points must be an integer from 2 to {MAX_POINTS}, got {points!r}")
    orders = _orders(derivatives, only_derivatives)
    xs = np.linspace(low, high, points)
    figure = new_figure()
    axes = figure.subplots()
    names = set()
    for expression in expressions:
        name = _variable(expression, variable, fixed)
        names.add(name)
        own = {k: v for k, v in fixed.items()
               if k in expression.variables or k in expression.params}
        for label, ys in _curves(expression, name, orders, xs, own):
            axes.plot(xs, ys, label=label)
    axes.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    axes.axvline(0, color="0.8", linewidth=0.8, zorder=0)
    axes.set_xlabel(", ".join(sorted(names)))
    axes.set_title(title or ", ".join(e.name for e in expressions))
    axes.legend()
    axes.grid(True, alpha=0.3)
    return figure


def plot(expression, x_range: tuple[float, float] = (-5.0, 5.0), derivatives: int = 0,
         variable: str | None = None, points: int = 400, **fixed):
    """Draw ``expression`` and, with ``derivatives=1`` or ``2``, its derivatives."""
    return plot_many([expression], x_range, derivatives, variable, points, **fixed)


def _check_range(x_range: Iterable[float]) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in x_range)
    except (TypeError, ValueError, OverflowError):
        raise ArgumentError(f"x_range must be two numbers (low, high), got {reprlib.repr(x_range)}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ArgumentError(f"x_range must satisfy low < high with finite ends, got {x_range!r}")
    return low, high
