"""Reverse-mode differentiation on the SymPy expression graph.

``sympy.diff`` differentiates once per variable and walks the whole tree each
time, so all partial derivatives of a deep expression cost O(params x size),
and the results share nothing. Here the graph of distinct subexpressions is
walked once backwards (as backpropagation does), accumulating each node's
adjoint from its parents with the local derivative rules of Add, Mul, Pow
and functions (``fdiff``). The derivatives of all parameters come out of one
pass and are built from shared subexpressions, which compilation (CSE) then
turns into shared intermediate values.
"""

from __future__ import annotations

from typing import Sequence

import sympy
from sympy.core.function import ArgumentIndexError

from ._functions import hyperbolic_slope, max_min_partial
from ._rewriting import post_order

__all__ = ["reverse_gradients", "dag_size", "subexpressions"]


def _post_order(root: sympy.Basic) -> list[sympy.Basic]:
    """Distinct subexpressions, children before parents."""
    return post_order([root], _children)


def subexpressions(expr: sympy.Basic) -> list[sympy.Basic]:
    """The distinct subexpressions of ``expr`` (each shared one once), children first."""
    return _post_order(expr)


def dag_size(expr: sympy.Basic) -> int:
    """The number of distinct subexpressions of ``expr``."""
    return len(_post_order(expr))


def _children(node) -> tuple:
    if isinstance(node, sympy.Piecewise):
        return tuple(pair.expr for pair in node.args)
    if node.is_Atom or not isinstance(node, sympy.Expr):
        return ()
    return tuple(a for a in node.args if isinstance(a, sympy.Expr))


def _times(*factors) -> sympy.Expr:
    """A product built without SymPy's canonical sorting (the costly part);
    compilation does not need canonical forms.

    A factor that is a ``where`` mask (a Piecewise with a piece that is 0)
    takes the other factors inside its pieces: ``where(c, w, 0)*f`` becomes
    ``where(c, w*f, 0)``, so a factor that is infinite or NaN where the mask
    is 0 (the derivative of ``sqrt(x)`` in the branch not taken) never
    reaches the result as ``0*nan``.
    """
    factors = [f for f in factors if f != 1]
    if not factors:
        return sympy.S.One
    for i, factor in enumerate(factors):
        others = factors[:i] + factors[i + 1:]
        if others and _is_mask(factor):
            return sympy.Piecewise(*[(value if value == 0 else _times(value, *others), cond)
                                     for value, cond in factor.args])
        if others and factor.is_Add and all(_is_mask(t) for t in factor.args):
            return sympy.Add(*[_times(t, *others) for t in factor.args], evaluate=False)
    return factors[0] if len(factors) == 1 else sympy.Mul(*factors, evaluate=False)


def _is_mask(e) -> bool:
    return isinstance(e, sympy.Piecewise) and any(pair.expr == 0 for pair in e.args)


def _product_partials(args: tuple) -> list[sympy.Expr]:
    """d(a1*...*an)/d ai for every i, from the products of a binary tree over
    the factors: each partial multiplies the log2(n) siblings on its leaf's
    path, so the n partials take O(n log n) nodes and stay O(log n) deep,
    where writing each out takes n*n."""
    if len(args) <= 4:
        return [_times(*(args[:i] + args[i + 1:])) for i in range(len(args))]
    levels = [list(args)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([_times(*below[j:j + 2]) for j in range(0, len(below), 2)])
    partials = []
    for i in range(len(args)):
        siblings, index = [], i
        for level in levels[:-1]:
            if index ^ 1 < len(level):
                siblings.append(level[index ^ 1])
            index //= 2
        partials.append(_times(*siblings))
    return partials


def _local_partials(node) -> list[tuple[sympy.Expr, sympy.Expr]] | None:
    """``(child, d node / d child)`` pairs, or None for an opaque node."""
    if node.is_Add:
        return [(arg, sympy.S.One) for arg in node.args]
    if node.is_Mul:
        return list(zip(node.args, _product_partials(node.args)))
    if node.is_Pow:
        base, exponent = node.args
        pairs = [(base, _times(exponent, sympy.Pow(base, exponent - 1)))]
        if not exponent.is_Number:
            pairs.append((exponent, _times(node, sympy.log(base))))
        return pairs
    if isinstance(node, (sympy.Max, sympy.Min)):
        return [(arg, max_min_partial(node, i + 1)) for i, arg in enumerate(node.args)]
    if isinstance(node, sympy.Piecewise):
        conditions = [pair.cond for pair in node.args]
        return [(pair.expr, sympy.Piecewise(*[(int(j == k), c) for j, c in enumerate(conditions)]))
                for k, pair in enumerate(node.args)]
    slope = hyperbolic_slope(node)
    if slope is not None:
        return [(node.args[0], slope)]
    if isinstance(node, sympy.Function) and not isinstance(node, sympy.Derivative):
        try:
            pairs = [(arg, node.fdiff(i + 1)) for i, arg in enumerate(node.args)
                     if isinstance(arg, sympy.Expr)]
        except (ArgumentIndexError, TypeError, NotImplementedError):
            return None
        # no rule of its own (sign): SymPy's diff of the whole node knows more
        return None if any(p.has(sympy.Derivative) for _, p in pairs) else pairs
    return None


def reverse_gradients(expr: sympy.Expr, wrt: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    """d expr / d s for every symbol ``s`` of ``wrt``, in one backward pass."""
    targets = set(wrt)
    order = _post_order(expr)
    depends: dict = {}
    for node in order:   # children first: does the node depend on any target?
        depends[node] = node in targets or any(depends.get(c, False) for c in _children(node))
    adjoint: dict = {expr: [sympy.S.One]}   # node -> the terms of its adjoint
    for node in reversed(order):   # parents first
        if node not in adjoint or node in targets or not depends[node]:
            continue
        weight = _sum(adjoint[node])
        partials = _local_partials(node)
        if partials is None:   # unknown head: differentiate it as a whole
            for symbol in targets:
                _accumulate(adjoint, symbol, _times(weight, sympy.diff(node, symbol)))
            continue
        for child, local in partials:
            if depends.get(child, False):
                _accumulate(adjoint, child, _times(weight, local))
    return [_sum(adjoint.get(s, ())) for s in wrt]


def _accumulate(adjoint: dict, node, contribution) -> None:
    if contribution != 0:
        adjoint.setdefault(node, []).append(contribution)


def _sum(terms) -> sympy.Expr:
    """One flat sum (a chain of two-term sums would nest as deep as it is long)."""
    if not terms:
        return sympy.S.Zero
    return terms[0] if len(terms) == 1 else sympy.Add(*terms, evaluate=False)
