"""Derivatives of formulas over vectors and matrices, in matrix-calculus form.

``sympy.diff`` must not see a shaped formula: on a vector ``x`` it silently
takes ``tanh(x)``'s derivative entrywise (a Jacobian's diagonal), and it
cannot differentiate ``W @ x`` at all. Here derivatives are built from the
operations' own rules, never by expanding a vector into its entries:

* :func:`vector_gradients`: reverse mode, the library's backward walk over
  distinct subexpressions (``_autodiff``) with each node's rule a
  vector-Jacobian product; a cotangent flowing into a child of lower rank is
  *un-broadcast* (summed over the axes that child was broadcast along). All
  gradients of a scalar formula come out of one pass, sharing their parts.
* :func:`jvp`: forward mode, the directional derivative along given tangents.
* :func:`jacobian`: a vector formula by a vector, as a matrix expression
  (``diag(s) - s s^T``) built from Jacobian rules.
* :func:`derivative_of`: the derivative of any formula by any name: the
  gradient of a scalar, the Jacobian of a vector, or (for matrices, where no
  matrix notation exists) a :class:`JacobianOf` node that the compile layer
  evaluates exactly, by forward mode along every basis direction at once.

A rank-0 cotangent arriving at a vector means "this scalar in every entry"
and is widened only where a rule needs a real vector, so the gradient of
``sum(x**2)`` reads ``2*x``, not ``2*x*ones(n)``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import sympy

from ..errors import ShapeError
from ._autodiff import _children, _post_order
from ._functions import hyperbolic_slope, max_min_partial
from ._shapes import Identity, Ones, format_shape, shape_of
from ._vector_ops import VecOp, diag, matmul, outer, times, vsum, widen

__all__ = ["vector_gradients", "jvp", "jacobian", "derivative_of", "JacobianOf", "tidy"]


class _NoRule(Exception):
    """A node has no Jacobian rule in matrix form."""


def _unbroadcast(g, child):
    """``g`` summed over the axes ``child`` was broadcast along (a rank-0 child)."""
    if g == 0:
        return g
    for _ in range(len(shape_of(g)) - len(shape_of(child))):
        g = vsum(g)
    return g


def _elementwise_partials(node) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """``(child, local derivative)`` for an elementwise node (the scalar rules)."""
    if node.is_Add:
        return [(a, sympy.S.One) for a in node.args]
    if node.is_Mul:
        args = node.args
        return [(a, sympy.Mul(*(args[:i] + args[i + 1:]))) for i, a in enumerate(args)]
    if node.is_Pow:
        base, exponent = node.args
        pairs = [(base, exponent * base ** (exponent - 1))]
        if not exponent.is_Number:
            pairs.append((exponent, node * sympy.log(base)))
        return pairs
    if isinstance(node, (sympy.Max, sympy.Min)):
        return [(a, max_min_partial(node, i + 1)) for i, a in enumerate(node.args)]
    if isinstance(node, sympy.Piecewise):
        conditions = [pair.cond for pair in node.args]
        return [(pair.expr, sympy.Piecewise(*[(int(j == k), c) for j, c in enumerate(conditions)]))
                for k, pair in enumerate(node.args)]
    if isinstance(node, sympy.Function):
        return [(a, _fdiff(node, i + 1)) for i, a in enumerate(node.args)
                if isinstance(a, sympy.Expr) and not a.is_number]
    raise ShapeError(f"no derivative rule for {type(node).__name__} in a vector formula")


def _fdiff(node, argindex: int) -> sympy.Expr:
    """The partial of a function node by its argument, as its ``fdiff`` gives it
    (sinh, cosh, tanh: built without SymPy's ``is_zero`` question)."""
    slope = hyperbolic_slope(node)
    return node.fdiff(argindex) if slope is None else slope


def _local_vjps(node, g) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """``(child, contribution)`` pairs for the cotangent ``g`` of ``node``."""
    if isinstance(node, VecOp):
        return [(a, node.vjp(i, g)) for i, a in enumerate(node.args)
                if isinstance(a, sympy.Expr) and not a.is_number]
    return [(child, _unbroadcast(times(g, local), child))
            for child, local in _elementwise_partials(node)]


def vector_gradients(expr: sympy.Expr, wrt: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    """d expr / d w for every ``w`` of ``wrt``, in one backward pass.

    Each result has the shape of its ``w``.

    Raises:
        ShapeError: ``expr`` is not a scalar (use :func:`derivative_of`).
    """
    if shape_of(expr) != ():
        raise ShapeError(f"a gradient needs a scalar function; this one has shape "
                         f"{format_shape(shape_of(expr))}")
    targets = set(wrt)
    order = _post_order(expr)
    depends: dict = {}
    for node in order:
        depends[node] = node in targets or any(depends.get(c, False) for c in _children(node))
    adjoint = {expr: sympy.S.One}
    for node in reversed(order):
        g = adjoint.get(node)
        if g is None or node in targets or not depends[node]:
            continue
        for child, contribution in _local_vjps(node, g):
            if depends.get(child, False) and contribution != 0:
                adjoint[child] = adjoint[child] + contribution if child in adjoint \
                    else contribution
    return [tidy(widen(adjoint.get(w, sympy.S.Zero), shape_of(w))) for w in wrt]


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """In a sum of vectors, ``c*ones(n)`` is just ``c`` (it broadcasts):
    ``-ones(n) - log(p)`` reads ``-log(p) - 1``."""
    def strip(add):
        s = shape_of(add)
        if not s or not any(not _has_ones(t) and shape_of(t) == s for t in add.args):
            return add
        return sympy.Add(*(_without_ones(t) if _has_ones(t) else t for t in add.args))
    if not expr.has(Ones):
        return expr
    return expr.replace(lambda e: e.is_Add, strip)


def _has_ones(term) -> bool:
    return isinstance(term, Ones) or (term.is_Mul and any(isinstance(f, Ones) for f in term.args))


def _without_ones(term):
    if isinstance(term, Ones):
        return sympy.S.One
    return sympy.Mul(*(f for f in term.args if not isinstance(f, Ones)))


def jvp(expr: sympy.Expr, tangents: Mapping) -> sympy.Expr:
    """The directional derivative of ``expr`` along ``tangents`` (``{symbol: direction}``)."""
    memo: dict = {}
    for node in _post_order(expr):
        if node in tangents:
            memo[node] = tangents[node]
            continue
        kids = _children(node)
        if not kids or all(memo.get(c, 0) == 0 for c in kids):
            memo[node] = sympy.S.Zero
        elif isinstance(node, VecOp):
            memo[node] = node.jvp([memo.get(a, sympy.S.Zero) for a in node.args])
        elif isinstance(node, sympy.Piecewise):
            memo[node] = sympy.Piecewise(*[(memo.get(p.expr, sympy.S.Zero), p.cond)
                                           for p in node.args])
        else:
            memo[node] = sympy.Add(*(times(memo[child], local)
                                     for child, local in _elementwise_partials(node)
                                     if memo.get(child, 0) != 0))
    return memo[expr]


def jacobian(expr: sympy.Expr, x: sympy.Symbol) -> sympy.Expr:
    """d expr / d x for a vector ``expr`` and a vector ``x``, as a matrix expression.

    Raises:
        _NoRule: a part has no Jacobian rule in matrix form (the caller falls
            back to :class:`JacobianOf`).
    """
    n = shape_of(x)[0]
    memo: dict = {}

    def rows(e):
        """J(e): a matrix for a vector e, ("row", gradient) for a scalar e."""
        if e not in memo:
            memo[e] = _jacobian_rule(e, x, n, rows)
        return memo[e]

    result = rows(expr)
    if isinstance(result, tuple):
        raise _NoRule
    return tidy(result)


def _jacobian_rule(e, x, n, rows):
    if e == x:
        return Identity(n)
    if not e.has(x):
        return sympy.S.Zero
    shape = shape_of(e)
    if not shape:
        return ("row", vector_gradients(e, [x])[0])
    if len(shape) != 1:
        raise _NoRule
    if isinstance(e, VecOp):
        local = e.jacobian()
        if local is not None:
            return _product(local, rows(e.args[0]))
        if isinstance(e, matmul) and not e.args[0].has(x) and len(shape_of(e.args[1])) == 1:
            return _product(e.args[0], rows(e.args[1]))
        raise _NoRule
    if e.is_Add:
        return _sum([_as_matrix(rows(a), shape) for a in e.args])
    if e.is_Mul:
        terms = []
        for i, factor in enumerate(e.args):
            part = rows(factor)
            if part == 0:
                continue
            rest = sympy.Mul(*(e.args[:i] + e.args[i + 1:]))
            if isinstance(part, tuple):          # a scalar factor: rest (its gradient)^T
                terms.append(outer(widen(rest, shape), part[1]))
            elif shape_of(rest):
                terms.append(_product(diag(rest), part))
            else:
                terms.append(rest * part)
        return _sum(terms)
    if e.is_Pow and e.exp.is_Number:
        return _product(diag(e.exp * e.base ** (e.exp - 1)), rows(e.base))
    if isinstance(e, sympy.Function) and len(e.args) == 1 and \
            not isinstance(e, (sympy.Max, sympy.Min)):
        return _product(diag(_fdiff(e, 1)), rows(e.args[0]))
    raise _NoRule


def _as_matrix(part, shape):
    if isinstance(part, tuple):           # a scalar term of a vector sum: ones (gradient)^T
        return outer(Ones(*shape), part[1])
    return part


def _sum(terms):
    terms = [t for t in terms if t != 0]
    return sympy.Add(*terms) if terms else sympy.S.Zero


def _product(a, b):
    if a == 0 or b == 0:
        return sympy.S.Zero
    if isinstance(b, Identity):
        return a
    if isinstance(a, Identity):
        return b
    if isinstance(a, diag) and isinstance(b, diag):
        return diag(a.args[0] * b.args[0])
    return matmul(a, b)


class JacobianOf(VecOp):
    """The derivative of ``f`` by ``x`` where no matrix notation exists (a matrix
    by a matrix...): shape ``shape(f) + shape(x)``, computed exactly by the
    compile layer as a forward-mode derivative along every basis direction."""

    nargs = 2
    label = "jacobian"

    @classmethod
    def shape_rule(cls, f, x):
        return f + x

    def vjp(self, i, g):
        raise ShapeError("a derivative computed along basis directions (jacobian(...)) "
                         "cannot be differentiated again; differentiate a scalar formula")

    def jvp(self, tangents):
        return self.vjp(0, tangents)


def derivative_of(expr: sympy.Expr, x: sympy.Symbol) -> sympy.Expr:
    """d expr / d x: the gradient of a scalar, the Jacobian of a vector (shape
    ``shape(expr) + shape(x)``), or a :class:`JacobianOf` node."""
    if not expr.has(x):
        return sympy.S.Zero
    if not shape_of(expr):
        return vector_gradients(expr, [x])[0]
    if not shape_of(x):
        return tidy(jvp(expr, {x: sympy.S.One}))
    if len(shape_of(expr)) == 1 and len(shape_of(x)) == 1:
        try:
            return jacobian(expr, x)
        except _NoRule:
            pass
    return JacobianOf(expr, x)
