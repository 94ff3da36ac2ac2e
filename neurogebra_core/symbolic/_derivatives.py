"""Symbolic derivatives in the form a textbook prints them, with the
library's convention at kinks.

``sympy.diff`` gives correct but sometimes awkward results (``2*x - 6``
where a reader expects ``2*(x - 3)``, ``u**g/u`` for ``u**(g - 1)``); the
helpers here differentiate and then tidy, refusing results that are not
closed formulas.

At kinks the derivative is the one autograd gives (see docs/conventions.md):
``abs``, ``sign``, ``heaviside`` and ``where`` already differentiate that way
in SymPy (``sign(0) = 0``; the derivative of a step is 0; a ``where`` takes
the derivative of the branch its condition selects), but ``Max``/``Min``
would give 1/2 at a tie, so they are differentiated by
:func:`~._functions.max_min_partial` instead.
"""

from __future__ import annotations

import sympy

from ..errors import ArgumentError, FormulaError
from ._autodiff import dag_size, reverse_gradients, subexpressions
from ._bounds import MAX_DERIVATIVE_NODES, MAX_ORDER, MAX_READABLE_NODES, derivative_nodes, \
    measure
from ._functions import max_min_partial
from ._parsing import symbol

__all__ = ["derivative", "readable"]


class _Lattice(sympy.Function):
    """Stands in for Max/Min during differentiation, with the tie rule."""

    head: type

    def fdiff(self, argindex=1):
        return max_min_partial(self.head(*self.args, evaluate=False), argindex)


class _MaxProxy(_Lattice):
    head = sympy.Max


class _MinProxy(_Lattice):
    head = sympy.Min


_PROXIES = {sympy.Max: _MaxProxy, sympy.Min: _MinProxy}


def derivative(expr: sympy.Expr, name: str, order: int = 1) -> sympy.Expr:
    """The ``order``-th derivative of ``expr`` with respect to the symbol ``name``, readable.

    A derivative that SymPy would write with more than
    :data:`~._bounds.MAX_DERIVATIVE_NODES` nodes (a product of hundreds of
    factors that all depend on the variable) is taken in reverse mode
    instead: the same function, written with shared subexpressions, built
    for computing rather than reading.

    Raises:
        ArgumentError: ``order`` is above :data:`~._bounds.MAX_ORDER`.
        FormulaError: even the shared form would be too large.
    """
    if order > MAX_ORDER:
        raise ArgumentError(f"order must be at most {MAX_ORDER}, got {order}")
    variable = symbol(name)
    for _ in range(order):
        # SymPy differentiates the formula written out: a formula that shares
        # its parts (a high derivative of a product, a power tower) is
        # differentiated in reverse mode, which keeps them shared
        if measure(expr)[2] <= MAX_READABLE_NODES \
                and derivative_nodes(expr, variable) <= MAX_DERIVATIVE_NODES:
            expr = readable(_diff(expr, variable))
            continue
        [expr] = reverse_gradients(expr, [variable])
        if dag_size(expr) > MAX_DERIVATIVE_NODES:
            raise FormulaError(
                f"the derivative with respect to {name} would have more than "
                f"{MAX_DERIVATIVE_NODES} distinct parts; differentiate a smaller formula")
    return expr


def _diff(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    if not expr.has(sympy.Max, sympy.Min):
        return _first_derivative(expr, variable)
    proxied = expr.replace(lambda e: type(e) in _PROXIES, lambda e: _PROXIES[type(e)](*e.args))
    result = _first_derivative(proxied, variable)
    return result.replace(lambda e: isinstance(e, _Lattice), lambda e: e.head(*e.args))


def _first_derivative(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """``sympy.diff(expr, variable)``, the same expression, without the question
    ``is_zero`` that SymPy's ``Derivative`` asks of the whole result before
    returning it: its assumptions search took three quarters of a first
    ``sigmoid'`` (4 ms of 5.5; ``1 - sigmoid(x)`` cannot be decided). The
    derivative is taken as ``Derivative`` takes it (``_eval_derivative_n_times``:
    a product's own rule, which keeps ``2*(a*b' + a'*b)`` together); the parts'
    derivatives still go through ``sympy.diff``, and a formula that SymPy would
    leave unevaluated is handed to it."""
    if variable not in expr.free_symbols:
        return sympy.S.Zero
    result = expr._eval_derivative_n_times(variable, 1) \
        if hasattr(expr, "_eval_derivative_n_times") else None
    if result is None or result.has(sympy.Derivative):
        return sympy.diff(expr, variable)
    return result


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
