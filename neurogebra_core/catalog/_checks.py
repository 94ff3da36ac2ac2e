"""Checking catalog functions the way their users will meet them.

``neurogebra validate --installed`` and ``neurogebra.testing`` run, on every
function of the installed packs (YAML definitions and functions from Python
hooks alike):

* **examples**: each documented example gives its value (relative tolerance
  1e-9, or the example's own);
* **extremes**: with one input at a time pushed to ``EXTREMES`` (the others
  at a typical value), the result is finite wherever the true value,
  computed by SymPy to 30 digits from the elementary formula, is a finite
  float64, and NumPy's overflow or invalid-value warnings stay silent there;
* **derivatives**: each symbolic first derivative agrees with central
  differences at a few ordinary points.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import sympy

from ..errors import NeurogebraError
from ..expression import Expression, check_gradient
from ..symbolic import symbol
from ._validation import example_mismatch

__all__ = ["Problem", "check_function", "check_forge", "EXTREMES", "DERIVATIVE_POINTS"]

EXTREMES = (-1e300, -1e20, -1000.0, 1000.0, 1e20, 1e300)
DERIVATIVE_POINTS = (-1.3, -0.4, 0.7, 1.6)
_TYPICAL = 0.5
_FLOAT_MAX = 1.7976931348623157e308


@dataclass(frozen=True)
class Problem:
    """One failed check of one function.

    Attributes:
        function: The function's qualified name (``pack.name``).
        check: ``examples``, ``extremes`` or ``derivatives``.
        message: What went wrong, with the inputs.
    """

    function: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.function}: {self.check}: {self.message}"


def check_function(expression: Expression, label: str | None = None) -> list[Problem]:
    """Run the three checks of the module docstring on one Expression.

    Args:
        expression: The function, with its documentation in ``metadata``.
        label: How problems name it (default: its name).
    """
    label = label or expression.name
    found = []
    for check, run in (("examples", _examples), ("extremes", _extremes),
                       ("derivatives", _derivatives)):
        try:
            found += [Problem(label, check, m) for m in run(expression)]
        except NeurogebraError as exc:
            found.append(Problem(label, check, str(exc)))
        except Exception as exc:   # a bug, or a pack's kernel: a problem to report, not a crash
            found.append(Problem(label, check, f"failed: {type(exc).__name__}: {exc}"))
    return found


def check_forge(forge, packs=None) -> tuple[int, list[Problem]]:
    """Check every function of ``forge`` (or of the packs named in ``packs``).

    Args:
        forge: A MathForge.
        packs: Pack names to check, or one pack name (default: all);
            ``local`` and ``user`` name functions loaded from files and
            registered in code.

    Returns:
        The number of functions checked, and the problems (pack loading
        errors included, as check ``loading``).
    """
    if isinstance(packs, str):
        packs = [packs]
    if packs is not None:
        packs = set(packs)
    problems = [Problem(e.pack or "?", "loading", str(e)) for e in forge.plugin_errors
                if packs is None or e.pack in packs]
    count = 0
    for name in forge.list_all():
        qualified = forge.qualified_name(name)
        if packs is not None and qualified.split(".")[0] not in packs:
            continue
        count += 1
        problems += check_function(forge.get(qualified), qualified)
    return count, problems


def _base(expression: Expression) -> dict[str, float]:
    """Typical inputs: those of the first example, else 0.5 for each variable."""
    examples = expression.metadata.get("examples") or ()
    first = examples[0] if examples else {}
    return {v: float(first.get(v, _TYPICAL)) for v in expression.variables}


def _examples(expression: Expression) -> list[str]:
    found = (example_mismatch(expression, e) for e in expression.metadata.get("examples") or ())
    return [message for message in found if message is not None]


def _truth(exact: sympy.Expr, point: dict[str, float]) -> float | None:
    """The value at ``point`` from the elementary formula, or None where it is
    not a finite real float64."""
    values = {symbol(k): sympy.Float(v, 40) for k, v in point.items()}
    try:
        value = exact.xreplace(values).evalf(30, maxn=1200)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (value.is_real and value.is_finite) or abs(value) >= _FLOAT_MAX:
        return None
    return float(value)


def _extremes(expression: Expression) -> list[str]:
    exact = expression.symbolic_expr.rewrite("explicit").xreplace(
        {symbol(p): sympy.Float(v, 40) for p, v in expression.params.items()})
    base = _base(expression)
    problems = []
    for variable in expression.variables:
        for extreme in EXTREMES:
            point = {**base, variable: extreme}
            truth = _truth(exact, point)
            ordinary = _quiet_value(expression, {**base, variable: math.copysign(2.0, extreme)})
            if truth is None or ordinary is None:   # outside the domain on this side
                continue
            got = _quiet_value(expression, point)
            if got is None:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore", RuntimeWarning)
                    value = expression.eval(**point)
                problems.append(f"at {point} gives {value!r} or a NumPy warning; the true "
                                f"value is {truth!r}")
    return problems


def _quiet_value(expression: Expression, point: dict[str, float]) -> float | None:
    """The value at ``point`` on the array path, or None if it is not finite or
    NumPy warned on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            value = float(expression.eval(**{k: np.array([v]) for k, v in point.items()})[0])
    if not math.isfinite(value) or any(issubclass(w.category, RuntimeWarning) for w in caught):
        return None
    return value


def _derivatives(expression: Expression) -> list[str]:
    base = _base(expression)
    problems = []
    for variable in expression.variables:
        for value in DERIVATIVE_POINTS:
            point = {**base, variable: base[variable] + value}
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)   # outside a domain: skipped
                result = check_gradient(expression, variable, point, rtol=1e-4, atol=1e-6)
            if not (math.isfinite(result.symbolic) and math.isfinite(result.numerical)):
                continue
            if not result.passed:
                problems.append(f"d/d{variable} at {point} is {result.symbolic!r} symbolically "
                                f"but {result.numerical!r} by central differences")
    return problems
