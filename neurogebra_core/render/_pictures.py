"""Small pictures of catalog functions and their first derivatives (docs pages).

Like PyTorch's activation pages, each catalog entry of the documentation
shows its function and derivative. The plotted variable is the first one;
the others are held at their values in the function's first example (so a
loss is drawn against ``y_pred`` at that example's ``y_true``); the range
spans the examples' values of the plotted variable, padded by a quarter but
not below 0 (nor above 1) when the examples stay there (``-5..5`` around the
value when the examples do not vary it); the vertical range leaves out the
top and bottom 2% of values, so a pole does not flatten the rest.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from ._figures import new_figure

__all__ = ["picture_png", "has_picture", "PICTURE_SIZE"]

PICTURE_SIZE = (4.2, 2.6)   # inches; at 72 dpi a PNG of a few tens of kilobytes


def _view(expression) -> tuple[str, tuple[float, float], dict[str, float]]:
    """The plotted variable, its range, and the values of the other variables."""
    variable = expression.variables[0]
    examples = expression.metadata.get("examples") or ()
    first = examples[0] if examples else {}
    fixed = {v: float(first.get(v, 0.5)) for v in expression.variables[1:]}
    seen = [float(e[variable]) for e in examples if variable in e]
    low, high = (min(seen), max(seen)) if seen else (0.0, 0.0)
    if high - low < 1e-9:
        return variable, (low - 5.0, low + 5.0), fixed
    pad = (high - low) / 4
    start = max(low - pad, 0.0) if low >= 0 else low - pad   # counts, probabilities
    end = min(high + pad, 1.0) if low >= 0 and high <= 1 else high + pad
    return variable, (start, end), fixed


def _limits(*curves: np.ndarray) -> tuple[float, float] | None:
    """Vertical limits that keep a spike (a derivative near a pole) from
    flattening everything else: the 2nd to 98th percentiles, padded."""
    finite = np.concatenate([c[np.isfinite(c)] for c in curves])
    if finite.size == 0:
        return None
    low, high = np.percentile(finite, [2, 98])
    pad = 0.1 * (high - low) or 0.5
    return float(low - pad), float(high + pad)


def has_picture(expression) -> bool:
    """Whether :func:`picture_png` can draw ``expression``: a function of numbers
    (a function of vectors has no curve to draw)."""
    return bool(expression.variables) and not getattr(expression, "shapes", None)


def picture_png(expression, dpi: int = 72) -> bytes:
    """A small PNG of ``expression`` and its first derivative.

    Drawn directly on one Agg figure with fixed margins and few ticks: the
    docs build draws one per catalog entry, so each must take milliseconds.

    Args:
        expression: The function (an Expression with at least one variable).
        dpi: The resolution.
    """
    variable, (low, high), fixed = _view(expression)
    xs = np.linspace(low, high, 200)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)   # outside a domain: gaps
        values = expression.eval(**fixed, **{variable: xs})
        slopes = expression.gradient(variable).eval(**fixed, **{variable: xs})
    figure = new_figure(PICTURE_SIZE, pyplot=False)
    figure.subplots_adjust(left=0.14, right=0.97, bottom=0.17, top=0.95)
    axes = figure.add_subplot()
    axes.axhline(0, color="0.85", linewidth=0.8)
    axes.plot(xs, np.broadcast_to(values, xs.shape), label=f"{expression.name}({variable})")
    axes.plot(xs, np.broadcast_to(slopes, xs.shape), label=f"{expression.name}'({variable})",
              linestyle="--")
    limits = _limits(np.broadcast_to(values, xs.shape), np.broadcast_to(slopes, xs.shape))
    if limits is not None:
        axes.set_ylim(*limits)
    axes.locator_params(nbins=4)
    axes.tick_params(labelsize="small")
    axes.set_xlabel(variable, fontsize="small", labelpad=1)
    axes.legend(fontsize="x-small", frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
