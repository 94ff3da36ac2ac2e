"""Symbolic derivatives in the form a textbook prints them.

``sympy.diff`` gives correct but sometimes awkward results (``2*x - 6``
where a reader expects ``2*(x - 3)``, ``u**g/u`` for ``u**(g - 1)``); the
helpers here differentiate and then tidy, refusing results that are not
closed formulas.
"""

from __future__ import annotations

import sympy

from ..errors import ArgumentError
from ._autodiff import subexpressions
from ._parsing import symbol

__all__ = ["derivative", "readable"]


def derivative(expr: sympy.Expr, name: str, order: int = 1) -> sympy.Expr:
    """The ``order``-th derivative of ``expr`` with respect to the symbol ``name``, readable."""
    return readable(sympy.diff(expr, symbol(name), order))


def readable(expr: sympy.Expr) -> sympy.Expr:
    """Textbook form of a derivative: ``2*(x - 3)`` rather than ``2*x - 6``.

    Raises:
        ArgumentError: SymPy left an unevaluated ``Derivative`` or ``Subs``.
    """
    if expr.has(sympy.Derivative, sympy.Subs):
        raise ArgumentError(f"cannot differentiate symbolically; SymPy left {expr}")
    if any(node.is_Pow and not node.exp.is_Number for node in subexpressions(expr)):
        # u**g/u -> u**(g - 1): reads better and stays finite when u underflows to 0
        expr = sympy.powsimp(expr, combine="exp", deep=True)
    if expr.is_Add:
        content, primitive = expr.primitive()
        if content.is_Integer and content > 1 and primitive.is_Add:
            return sympy.Mul(content, primitive, evaluate=False)
    return expr
