"""Size bounds that keep SymPy from hanging, checked before the work is done.

SymPy computes exact arithmetic eagerly: ``(1/10**20)**-1000`` becomes a
20,001-digit integer the moment it is built, and a product of 2,200 factors
``10**999`` one of 2.2 million digits; differentiating a product of 800
factors that all depend on ``x`` writes 640,000 factors. None of this can be
interrupted once started, so each operation is estimated first, from the
sizes of its operands, and refused with a clear error when it would exceed a
bound:

- exact constants: at most :data:`MAX_CONSTANT_DIGITS` digits (Python itself
  cannot print integers of more than 4,300 digits);
- derivatives: at most :data:`MAX_DERIVATIVE_NODES` nodes in the printed
  result, and at most :data:`MAX_ORDER` for the order.
"""

from __future__ import annotations

import math

import sympy

from ..errors import FormulaError
from ._autodiff import subexpressions
from ._rewriting import post_order

__all__ = ["MAX_CONSTANT_DIGITS", "MAX_DERIVATIVE_NODES", "MAX_ORDER", "MAX_NODES",
           "MAX_READABLE_NODES",
           "MAX_NESTING", "MAX_PRINTED_NESTING", "MAX_TREE_NODES", "constant_digits",
           "operation_digits",
           "derivative_nodes", "measure", "check_size", "check_composition"]

MAX_CONSTANT_DIGITS = 4_000
MAX_DERIVATIVE_NODES = 200_000
MAX_ORDER = 100
MAX_NODES = 200_000      # distinct subexpressions of one formula
MAX_NESTING = 300        # levels of nesting: SymPy's recursive algorithms need stack
MAX_PRINTED_NESTING = 150  # deeper ones are described: SymPy's printers recurse (~5 frames a level)
MAX_TREE_NODES = 2_000_000   # nodes written out: what SymPy's tree walks visit
MAX_READABLE_NODES = 20_000  # written out: beyond it, derivatives are taken in reverse mode
MAX_PIECEWISE_NESTING = 6    # where() inside where(): SymPy folds them recursively
_LOG10_2 = math.log10(2)


def constant_digits(e: sympy.Basic) -> float:
    """About how many digits the exact numbers that arithmetic with ``e`` combines have.

    A rational's numerator and denominator count together; a product's numeric
    coefficient, and the largest coefficient of a sum's terms (SymPy
    distributes a number over a sum), are what further arithmetic multiplies.
    """
    if e.is_Rational:
        return (abs(e.p).bit_length() + e.q.bit_length()) * _LOG10_2
    if e.is_Mul:
        return constant_digits(e.as_coeff_Mul()[0])
    if e.is_Add:
        return max(constant_digits(term) for term in e.args)
    return 0.0


def operation_digits(operator: str, a: sympy.Basic, b: sympy.Basic) -> float:
    """An upper estimate of the digits of the exact constants ``a <operator> b`` makes."""
    da, db = constant_digits(a), constant_digits(b)
    if operator == "**":
        if not b.is_Rational:
            return da
        return da * abs(b.p) + db   # (p/q)**(m/n): the m-th power, then a root
    return da + db


def measure(expr: sympy.Expr) -> tuple[int, int, int, int]:
    """``(distinct nodes, nesting depth, nodes written out, where() nesting)`` of
    ``expr``, in one pass over its distinct nodes, conditions included (the
    written-out count saturates above its bound)."""
    depth: dict = {}
    tree: dict = {}
    pieces: dict = {}
    nodes = 0
    for nodes, node in enumerate(post_order([expr]), start=1):
        children = node.args
        depth[node] = 1 + max((depth[c] for c in children), default=0)
        tree[node] = min(1 + sum(tree[c] for c in children), MAX_TREE_NODES + 1)
        pieces[node] = max((pieces[c] for c in children), default=0) + \
            isinstance(node, sympy.Piecewise)
    return nodes, depth[expr], tree[expr], pieces[expr]


def check_size(expr: sympy.Expr, what: str, measured: tuple | None = None) -> None:
    """Refuse a formula too large or too deeply nested to work with safely.

    SymPy's algorithms recurse (a deep formula exhausts the stack) and many
    walk the formula written out as a tree (a formula that shares a part
    many times, like a composition of compositions, can be exponentially
    larger written out than stored).

    Raises:
        FormulaError: naming ``what`` and the bound it exceeds.
    """
    nodes, depth, tree, pieces = measured or measure(expr)
    if nodes > MAX_NODES:
        raise FormulaError(f"{what} has more than {MAX_NODES} distinct parts; "
                           "build it from smaller formulas")
    if depth > MAX_NESTING:
        raise FormulaError(f"{what} is nested more than {MAX_NESTING} levels deep")
    if tree > MAX_TREE_NODES:
        raise FormulaError(f"{what} would have more than {MAX_TREE_NODES} parts written out "
                           "(a part repeated many times, as compositions of compositions do)")
    if pieces > MAX_PIECEWISE_NESTING:
        raise FormulaError(f"{what} nests where(...) more than {MAX_PIECEWISE_NESTING} levels "
                           "deep (SymPy simplifies nested conditions in exponential time)")


def check_composition(outer: sympy.Expr, inner: sympy.Expr, what: str) -> None:
    """Refuse substituting ``inner`` into ``outer`` before doing it, when the
    result would be too deep or too large written out (SymPy substitutes
    along every written-out path)."""
    _, outer_depth, outer_tree, outer_pieces = measure(outer)
    _, inner_depth, inner_tree, inner_pieces = measure(inner)
    check_size(outer, what, (0, outer_depth + inner_depth, outer_tree * inner_tree,
                             outer_pieces + inner_pieces))


def derivative_nodes(expr: sympy.Expr, variable: sympy.Symbol) -> int:
    """An upper estimate of the size of ``diff(expr, variable)`` as SymPy writes it.

    The product rule writes one term per factor that depends on the
    variable, each holding every other factor: a product of k such factors
    gives about k*k nodes.
    """
    sizes: dict = {}
    derived: dict = {}
    for node in subexpressions(expr):   # each distinct node once, children first
        children = node.args if isinstance(node, sympy.Expr) else ()
        sizes[node] = 1 + sum(sizes.get(c, 1) for c in children)
        derived[node] = _derived_size(node, children, variable, sizes, derived)
    return derived.get(expr, 0)


def _derived_size(node, children, variable, sizes, derived) -> int:
    if node == variable:
        return 1
    if not node.has(variable):
        return 0
    if node.is_Add:
        return 1 + sum(derived.get(c, 0) for c in children)
    if node.is_Mul:
        total = sum(sizes.get(c, 1) for c in children)
        return 1 + sum(derived[c] + total for c in children if derived.get(c, 0))
    # a function or power: its own derivative (about its size) times the argument's
    return sizes[node] + sum(derived.get(c, 0) + 2 for c in children)
