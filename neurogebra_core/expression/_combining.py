"""Formulas over named Expressions: ``"mse + 0.1*mae"`` becomes one Expression.

``MathForge.compose`` and the Trainer's loss both read a formula whose names
stand for whole functions. :func:`formula_over_names` parses it once, asks a
``resolve`` callback what each name stands for, substitutes the Expressions
found and merges their params; the caller decides which names may stay free.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import sympy

from ..symbolic import parse_formula
from ._expression import Expression, check_defined, merge_params

__all__ = ["formula_over_names", "substitute"]


def formula_over_names(formula: str, resolve: Callable[[str], Expression | None],
                       name: str | None = None,
                       check_free: Callable[[list[str], Sequence[Expression]], None] | None = None,
                       symbols: Mapping[str, sympy.Symbol] | None = None) -> Expression:
    """The Expression of a formula whose names stand for Expressions.

    Args:
        formula: Formula text; function names may appear without a call
            (``"relu + 0.1*tanh"``).
        resolve: Maps a name to the Expression it stands for, or None to keep
            it as a free name (a variable of the result).
        name: The result's name (default: the formula).
        check_free: Called with the free names and the resolved parts before
            anything is combined; it raises to refuse a free name.
        symbols: Declared free names (vectors, matrices), as ``parse_formula`` takes them.

    Raises:
        FormulaError: the formula cannot be parsed.
        ParameterError: two parts give one param different values.
    """
    template = parse_formula(formula, bare_function_names=True, symbols=symbols)
    parts, free = {}, []
    for sym in sorted(template.free_symbols, key=lambda s: s.name):
        part = resolve(sym.name)
        if part is None:
            free.append(sym.name)
        else:
            parts[sym] = part
    if check_free is not None:
        check_free(free, list(parts.values()))
    return substitute(name or formula, template, parts)


def substitute(name: str, template: sympy.Expr, parts: Mapping[sympy.Symbol, Expression]
               ) -> Expression:
    """Replace symbols of ``template`` by whole Expressions.

    Params merge as in arithmetic; the variables are the parts' variables in
    order, then the template's other free names, sorted.
    """
    expressions = list(parts.values())
    params = merge_params(*expressions)
    expr = template.xreplace({sym: part.symbolic_expr for sym, part in parts.items()})
    check_defined(expr, name)
    variables = []
    for part in expressions:
        variables += [v for v in part.variables if v not in variables]
    variables += sorted(s.name for s in expr.free_symbols
                        if s.name not in variables and s.name not in params)
    trainable = tuple(dict.fromkeys(t for part in expressions for t in part.trainable_params))
    metadata = {"composed_of": [part.name for part in expressions]}
    return Expression(name, expr, params=params, trainable_params=trainable,
                      metadata=metadata, variables=variables)
