"""Is a formula defined? Undefined, infinite, interval and complex constants.

SymPy computes in the extended reals and absorbs such values into what is
around them (``1/(1/0)`` is 0, ``tanh(oo)`` is 1, ``Max(x, -oo)`` is x), so a
formula holding one silently means something else. They are looked for
wherever a formula is built: each part as the parser builds it, and the
results of arithmetic, substitution and SymPy input.
"""

from __future__ import annotations

import sympy
from sympy.calculus.accumulationbounds import AccumBounds

__all__ = ["undefined_reason"]

_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def undefined_reason(expr: sympy.Basic) -> str | None:
    """Why ``expr`` is not a usable real formula, or None when it is."""
    if expr.has(*_UNDEFINED) or expr.has(AccumBounds):
        return "is undefined or infinite (a division by zero, or log(0)?)"
    if expr.has(sympy.I) or (isinstance(expr, sympy.Expr) and expr.is_number
                             and expr.is_extended_real is False):
        return "is not a real number"
    return None
