"""SymPy -> formula text that reads back to the same expression.

SymPy's ``str`` prints floats with 15 significant digits, so ``0.1 + 1e-17``
style constants lose their last bits. :class:`ExactFormulaPrinter` prints
every float as Python's shortest round-trip ``repr``, and everything else as
SymPy does (the formula language reads SymPy's function names), except that a
``Piecewise`` reads as the formula language's nested ``where(...)``. The
printer of vector formulas (``_vector_printing.formula_text``) builds on it.
``E`` prints as ``exp(1)`` and conditions in the formula language's words, so
``Expression(e.formula)`` is the same formula again.
"""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

__all__ = ["ExactFormulaPrinter"]


class ExactFormulaPrinter(StrPrinter):
    """SymPy's printer with exact floats and ``where(...)`` for ``Piecewise``."""

    def _print_Float(self, expr) -> str:
        return repr(float(expr))

    def _print_Exp1(self, expr) -> str:
        return "exp(1)"      # "E" would read back as a variable

    def _print_Not(self, expr) -> str:
        return f"not ({self._print(expr.args[0])})"

    def _print_ITE(self, expr) -> str:
        # a condition chosen by a condition (where() inside a comparison)
        condition, if_true, if_false = (self._print(a) for a in expr.args)
        return f"(({condition}) & ({if_true}) | (not ({condition})) & ({if_false}))"

    def _print_Piecewise(self, expr) -> str:
        *pieces, (last, otherwise) = expr.args
        if otherwise is not sympy.true:   # no default: SymPy's own form, which the parser reads
            pairs = ", ".join(f"({self._print(v)}, {self._print(c)})" for v, c in expr.args)
            return f"Piecewise({pairs})"
        text = self._print(last)
        for value, condition in reversed(pieces):
            text = f"where({self._print(condition)}, {self._print(value)}, {text})"
        return text
