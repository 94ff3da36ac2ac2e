"""Numerical checks of symbolic derivatives by central differences.

``check_gradient(f, "x", 2.0)`` compares ``f.gradient("x")`` with
``(f(x + eps) - f(x - eps)) / (2 eps)``: the quickest way to trust (or
catch) a hand-written formula or a new primitive.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import ArgumentError
from ._expression import Expression

__all__ = ["numerical_gradient", "check_gradient", "GradientCheck"]


def _check_expression(expr) -> None:
    if not isinstance(expr, Expression):
        raise ArgumentError(f"the derivative checks take an Expression, got "
                            f"{type(expr).__name__} (build one: Expression('f', 'x**2'))")


def _check_tolerance(name: str, value, positive: bool = False) -> None:
    """A finite number, > 0 (``positive``) or >= 0: an infinite tolerance
    would pass any derivative, a negative one fail every one."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        ok = ok and math.isfinite(value) and (value > 0 if positive else value >= 0)
    except OverflowError:
        ok = False
    if not ok:
        raise ArgumentError(f"{name} must be a {'positive' if positive else 'non-negative'} "
                            f"finite number, got {reprlib.repr(value)}")


def _point_values(expr: Expression, var: str, point) -> dict:
    if isinstance(point, Mapping):
        values = dict(point)
        if var not in values and expr.shapes and var in expr.params:
            values[var] = expr.params[var]     # a vector or matrix param at its value
        if var not in values:
            raise ArgumentError(f"the point must give a value for {var!r}")
        return values
    if isinstance(point, (str, bytes)):
        raise ArgumentError(f"the point must be a number, an array or a dict of values, "
                            f"got {point!r}")
    others = [v for v in expr.variables if v != var]
    if others:
        raise ArgumentError(
            f"{expr.name!r} also has variables {', '.join(others)}; "
            "pass the point as a dict of all variable values")
    return {var: point}


def numerical_gradient(expr: Expression, var: str, point, eps: float = 1e-6):
    """Central-difference estimate of d(expr)/d(var) at a point.

    Args:
        expr: The Expression.
        var: The variable or param differentiated by.
        point: A number (for a single variable) or a dict of values for every
            variable; arrays work elementwise. For vectors and matrices, each
            entry of ``var`` is moved in turn (a vector or matrix param not in
            the point is taken at its current value).
        eps: The half-width of the difference.
    """
    _check_expression(expr)
    _check_tolerance("eps", eps, positive=True)
    values = _point_values(expr, var, point)
    if expr.shapes:
        return _entrywise_differences(expr, var, values, eps)
    centre = values[var]
    plus = expr.eval(**{**values, var: np.add(centre, eps)})
    minus = expr.eval(**{**values, var: np.subtract(centre, eps)})
    result = (plus - minus) / (2 * eps)
    return float(result) if np.ndim(result) == 0 else result


def _entrywise_differences(expr: Expression, var: str, values: dict, eps: float):
    """Central differences by each entry of a vector or matrix ``var`` in turn:
    shape (batch, shape of the formula, shape of ``var``), as ``gradient`` gives."""
    centre = np.asarray(values[var], dtype=np.float64)
    core = centre.shape[centre.ndim - len(expr.shapes.get(var, ())):]
    columns = []
    for entry in np.eye(int(np.prod(core))).reshape((-1,) + core):
        plus = expr.eval(**{**values, var: centre + eps * entry})
        minus = expr.eval(**{**values, var: centre - eps * entry})
        columns.append((np.asarray(plus) - np.asarray(minus)) / (2 * eps))
    result = np.stack(columns, axis=-1)
    result = result.reshape(result.shape[:-1] + core)
    return float(result) if result.ndim == 0 else result


@dataclass(frozen=True)
class GradientCheck:
    """Outcome of :func:`check_gradient`; true when the two agree.

    Attributes:
        symbolic: The symbolic derivative's value.
        numerical: The central-difference estimate.
        difference: The largest absolute difference.
        passed: Whether they agree within the tolerances.
    """

    symbolic: float
    numerical: float
    difference: float
    passed: bool

    def __bool__(self) -> bool:
        return self.passed


def check_gradient(expr: Expression, var: str, point, eps: float = 1e-6,
                   rtol: float = 1e-5, atol: float = 1e-7) -> GradientCheck:
    """Compare the symbolic derivative with central differences at a point.

    Passes when ``|symbolic - numerical| <= atol + rtol * |symbolic|``
    everywhere.

    Args:
        expr: The Expression.
        var: The variable or param differentiated by.
        point: A number or a dict of values (arrays allowed).
        eps: The half-width of the difference.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
    """
    _check_expression(expr)
    _check_tolerance("rtol", rtol)
    _check_tolerance("atol", atol)
    values = _point_values(expr, var, point)
    symbolic = expr.gradient(var).eval(**values)
    numerical = numerical_gradient(expr, var, values, eps)
    difference = np.abs(np.subtract(symbolic, numerical))
    passed = bool(np.all(difference <= atol + rtol * np.abs(symbolic)))
    worst = float(np.max(difference))
    return GradientCheck(symbolic, numerical, worst, passed)
