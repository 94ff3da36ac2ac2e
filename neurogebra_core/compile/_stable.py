"""Numerically stable rewrites applied before compiling.

The readable symbolic form is kept for people; before code is generated,
patterns that lose precision in float64 are replaced by equal forms that do
not: ``1 - sigmoid(u)`` becomes ``sigmoid(-u)``, ``1 - tanh(u)**2`` a
cancellation-free kernel, and ``sigmoid(u)*sigmoid(-u)`` one fused kernel.
"""

from __future__ import annotations

import itertools

import sympy

from ..symbolic import dsigmoid, sech2, sigmoid

__all__ = ["stabilize"]


def _complement(term_a, term_b):
    """If ``term_a + term_b`` is ``c - c*f(u)`` (c = +-1) with a stable form, return it."""
    if term_a not in (1, -1):
        return None
    sign = term_a
    negated = -term_b * sign
    if isinstance(negated, sigmoid):
        return sign * sigmoid(-negated.args[0])
    if negated.is_Pow and negated.exp == 2 and isinstance(negated.base, sympy.tanh):
        return sign * sech2(negated.base.args[0])
    return None


def _stable_add(add):
    terms = list(add.args)
    for i, j in itertools.permutations(range(len(terms)), 2):
        replacement = _complement(terms[i], terms[j])
        if replacement is not None:
            rest = [t for k, t in enumerate(terms) if k not in (i, j)]
            return sympy.Add(replacement, *rest)
    return add


def _paired_sigmoids(mul):
    """sigmoid(u)*sigmoid(-u)*rest -> dsigmoid(u)*rest."""
    factors = list(mul.args)
    for i, a in enumerate(factors):
        if isinstance(a, sigmoid):
            for j, b in enumerate(factors):
                if j != i and isinstance(b, sigmoid) and b.args[0] == -a.args[0]:
                    rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                    return sympy.Mul(dsigmoid(a.args[0]), *rest)
    return mul


def stabilize(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite ``expr`` into an equal form that is accurate (and fast) in float64."""
    expr = expr.replace(lambda e: e.is_Add and (1 in e.args or -1 in e.args), _stable_add)
    return expr.replace(lambda e: e.is_Mul and len(e.args) > 1, _paired_sigmoids)
