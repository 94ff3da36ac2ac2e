"""Printing formulas over vectors and matrices as a textbook writes them.

Three printers, each SymPy's own with two changes:

* sums of vectors and matrices list calls and products first, plain names
  after and negative terms last (``softmax(y_pred) - y_true``,
  ``W @ x + b``); SymPy's canonical order would print
  ``-y_true + softmax(y_pred)``. Scalar sums keep SymPy's order;
* vector operations print themselves: :func:`notation` in matrix notation
  (``W^T @ g``, ``(softmax(z) - y) x^T``), :func:`formula_text` as text the
  parser reads back (``transpose(W) @ g``, ``outer(softmax(z) - y, x)``),
  :func:`latex` in LaTeX.

Scalar formulas never come here: they print exactly as before.
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ._printing import ExactFormulaPrinter
from ._shapes import shape_of
from ._vector_ops import outer, transpose

__all__ = ["notation", "formula_text", "latex"]


def _textbook_order(expr) -> list | None:
    """The terms of a vector sum in reading order, or None for a scalar sum."""
    if not shape_of(expr):
        return None
    positive, negative = [], []
    for term in expr.args:
        (negative if term.as_coeff_Mul()[0].is_negative else positive).append(term)

    def key(term):
        return (term.is_Atom or (-term).is_Atom, sympy.default_sort_key(term))
    return sorted(positive, key=key) + sorted(negative, key=key)


class _Ordered:
    """Mixin: vector sums in textbook order; ``-a b^T`` without parentheses."""

    def _as_ordered_terms(self, expr, order=None):
        return _textbook_order(expr) or super()._as_ordered_terms(expr, order=order)

    def _print_Mul(self, expr):
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient == -1 and getattr(rest, "precedence", None) is not None:
            return "-" + self._print(rest)
        return super()._print_Mul(expr)


class _NotationPrinter(_Ordered, StrPrinter):
    pass


class _FormulaPrinter(_Ordered, ExactFormulaPrinter):
    printmethod = "_formula_text"

    def parenthesize(self, item, level, strict=False):
        if isinstance(item, (outer, transpose)):   # printed as calls here
            return self._print(item)
        return super().parenthesize(item, level, strict)


class _LatexPrinter(_Ordered, LatexPrinter):
    pass


def notation(expr: sympy.Expr) -> str:
    """``expr`` in matrix notation: ``(softmax(W @ x + b) - y_true) x^T``."""
    return _NotationPrinter().doprint(expr)


def formula_text(expr: sympy.Expr) -> str:
    """``expr`` as formula text the parser reads back, floats exactly:
    ``outer(softmax(W @ x + b) - y_true, x)``."""
    return _FormulaPrinter().doprint(expr)


def latex(expr: sympy.Expr) -> str:
    """``expr`` in LaTeX, vector sums in textbook order."""
    return _LatexPrinter().doprint(expr)
