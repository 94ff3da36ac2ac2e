"""Expressions whose variables and params are vectors, matrices or class indices.

An Expression holds its declared names as symbols carrying their shapes
(:class:`~neurogebra.symbolic.ShapedSymbol`, :class:`~neurogebra.symbolic.IndexSymbol`).
This module turns declarations into those symbols, gives every name of a
shaped Expression its symbol, and differentiates and composes shaped
formulas through the symbolic layer's vector rules (never ``sympy.diff``).
Scalar Expressions never come here.

A declaration, in Python (``shapes=``) or YAML, is one of:

* a shape: a list of sizes, each an integer or a name (``["k", "d"]``, ``[10]``);
* a mapping ``{"shape": [...], "simplex": True}`` for a vector whose entries
  sum to 1 (one-hot or probability targets);
* a mapping ``{"index": "n"}`` for a class index among ``n`` classes.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import sympy

from ..errors import ArgumentError, CompositionError, ShapeError
from ..symbolic import (IndexSymbol, ShapedSymbol, Size, bind_sizes, derivative_of, format_shape,
                        rebind, shape_of, shaped_atoms, symbol, vector_canonical,
                        vector_gradients)

__all__ = ["declare", "declared_symbols", "symbols_of", "plain_shape", "name_symbols",
           "shaped_derivative", "shaped_gradients", "compose_shaped", "merge_symbols",
           "same_value", "declaration_of"]

_KEYS = {"shape", "simplex", "index"}


def declare(name: str, spec) -> sympy.Symbol:
    """The symbol a declaration stands for.

    Raises:
        ArgumentError: the declaration is malformed.
        ShapeError: a size is neither a positive integer nor a name.
    """
    if isinstance(spec, (list, tuple)):
        spec = {"shape": spec}
    if not isinstance(spec, Mapping) or not set(spec) <= _KEYS:
        raise ArgumentError(
            f"the declaration of {name!r} must be a shape like [\"n\"] or [10, 64], or a "
            f"mapping with {', '.join(sorted(_KEYS))}; got {spec!r}")
    if "index" in spec:
        if set(spec) != {"index"}:
            raise ArgumentError(f"{name!r}: a class index is declared as {{index: n}} alone")
        return IndexSymbol(name, spec["index"])
    shape = spec.get("shape") or ()
    if not isinstance(shape, (list, tuple)):
        raise ArgumentError(f"the shape of {name!r} must be a list of sizes, got {shape!r}")
    if not shape:
        if spec.get("simplex"):
            raise ShapeError(f"{name!r}: only a vector can be declared a distribution (simplex)")
        return symbol(name)
    return ShapedSymbol(name, shape, bool(spec.get("simplex", False)))


def declared_symbols(shapes: Mapping | None, params: Mapping | None,
                     known: Mapping[str, sympy.Symbol] = ()) -> dict[str, sympy.Symbol]:
    """Name -> symbol for the declared names: those a formula already declares
    (``known``), those ``shapes`` declares, and array-valued params of neither.

    Raises:
        CompositionError: ``shapes`` declares a name differently from ``known``.
    """
    if shapes is not None and not isinstance(shapes, Mapping):
        raise ArgumentError(f"shapes must map names to shapes, got {type(shapes).__name__}")
    symbols = {name: declare(name, spec) for name, spec in dict(shapes or {}).items()}
    for name, value in dict(params or {}).items():
        if name not in symbols and name not in known and _is_array(value):
            shape = np.shape(value)
            if shape:
                symbols[name] = ShapedSymbol(name, shape)
    explicit = {n: s for n, s in symbols.items() if s != symbol(n)}
    return merge_symbols(dict(known), explicit) if known else explicit


def _is_array(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray)) or hasattr(value, "__array__")


def symbols_of(expr: sympy.Expr) -> dict[str, sympy.Symbol]:
    """The declared names appearing in ``expr`` and their symbols."""
    return {a.name: a for a in shaped_atoms(expr) if isinstance(a, sympy.Symbol)}


def merge_symbols(*tables: Mapping[str, sympy.Symbol]) -> dict[str, sympy.Symbol]:
    """One table of declared names from several.

    Raises:
        CompositionError: a name is declared differently in two tables.
    """
    merged: dict[str, sympy.Symbol] = {}
    for table in tables:
        for name, s in table.items():
            if name in merged and merged[name] != s:
                raise CompositionError(f"{name!r} is {_describe(merged[name])} in one part but "
                                       f"{_describe(s)} in the other")
            merged[name] = s
    return merged


def _describe(s) -> str:
    if isinstance(s, ShapedSymbol):
        return f"of shape {format_shape(s.shape)}" + (" (a distribution)" if s.simplex else "")
    if isinstance(s, IndexSymbol):
        return f"a class index among {s.classes}"
    return "a scalar"


def name_symbols(names, declared: Mapping[str, sympy.Symbol]) -> dict[str, sympy.Symbol]:
    """The symbol of every name: declared, or a real scalar."""
    return {n: declared.get(n) or symbol(n) for n in names}


def plain_shape(s) -> tuple:
    """A symbol's core shape as integers and size names (``(10, "d")``); ``()`` for scalars."""
    return tuple(int(d) if d.is_Integer else str(d) for d in getattr(s, "shape", ()))


def declaration_of(s) -> Any:
    """A symbol's declaration as written in Python or YAML (None for a plain scalar)."""
    if isinstance(s, IndexSymbol):
        return {"index": str(s.classes) if not s.classes.is_Integer else int(s.classes)}
    if isinstance(s, ShapedSymbol):
        shape = list(plain_shape(s))
        return {"shape": shape, "simplex": True} if s.simplex else shape
    return None


def shaped_derivative(expr: sympy.Expr, s: sympy.Symbol, order: int) -> sympy.Expr:
    """The ``order``-th derivative of a shaped formula by ``s``.

    Raises:
        ArgumentError: a second derivative by a vector or matrix (use hessian()).
    """
    if order > 1 and (shape_of(s) or shape_of(expr)):
        raise ArgumentError("a second derivative by (or of) a vector or matrix is a block of "
                            "a Hessian; use hessian()")
    for _ in range(order):
        expr = derivative_of(expr, s)
    return expr


def shaped_gradients(expr: sympy.Expr, targets: list) -> list:
    """All derivatives of a shaped formula: one reverse pass for a scalar formula."""
    if not shape_of(expr):
        return vector_gradients(expr, targets)
    return [derivative_of(expr, t) for t in targets]


def compose_shaped(outer_expr, outer_symbols: Mapping, var: str, inner_expr,
                   inner_symbols: Mapping) -> tuple[sympy.Expr, dict, dict]:
    """``outer`` with variable ``var`` replaced by ``inner``; named sizes bound.

    A vector variable declared ``(n,)`` takes an inner formula of shape
    ``(10,)`` by binding ``n = 10`` everywhere in the outer formula (and a
    named size of the inner formula takes a fixed size of the outer one). A
    scalar variable takes a formula of any shape: scalar formulas act
    entrywise.

    Returns:
        The composed formula and the outer and inner symbol tables, rebound.

    Raises:
        ShapeError: the inner formula's shape does not fit the variable's.
    """
    target = outer_symbols[var]
    wanted, given = shape_of(target), shape_of(inner_expr)
    outer_map, inner_map = {}, {}
    if wanted:
        if len(wanted) != len(given):
            raise ShapeError(f"{var} is declared {format_shape(wanted)} but the formula put in "
                             f"its place has shape {format_shape(given)}")
        for want, got in zip(wanted, given):
            if isinstance(want, Size) and outer_map.get(want, got) == got:
                outer_map[want] = got
            elif isinstance(got, Size) and inner_map.get(got, want) == want:
                inner_map[got] = want
            elif want != got:
                raise ShapeError(f"{var} is declared {format_shape(wanted)} but the formula put "
                                 f"in its place has shape {format_shape(given)}")
    outer_expr = bind_sizes(outer_expr, outer_map)
    inner_expr = bind_sizes(inner_expr, inner_map)
    outer_table = {n: rebind(s, outer_map) for n, s in outer_symbols.items()}
    inner_table = {n: rebind(s, inner_map) for n, s in inner_symbols.items()}
    composed = outer_expr.xreplace({outer_table[var]: inner_expr})
    shape_of(composed)
    return vector_canonical(composed), outer_table, inner_table


def same_value(a, b) -> bool:
    """Whether two param values are equal (numbers or arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))
    return a == b
