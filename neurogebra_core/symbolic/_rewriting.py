"""Rewriting formulas node by node, each distinct node once.

SymPy's ``xreplace`` and ``replace`` walk a formula as a tree: a part shared
by many others (a composition of compositions, a reverse-mode gradient) is
walked once per path to it, which can be exponentially more often than it
occurs. These helpers walk the distinct nodes once, children before parents,
without recursion (so no depth limit of the Python stack applies), and
rebuild a node only when one of its arguments changed (a ``Piecewise``
without folding the ones nested in it, which SymPy does recursively).
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import sympy

__all__ = ["substitute_symbols", "rewrite_bottom_up", "post_order"]


def post_order(roots: Iterable[sympy.Basic],
               children: Callable[[sympy.Basic], Iterable] = lambda node: node.args) -> list:
    """The distinct nodes reachable from ``roots`` (through ``children``, every
    argument by default), each once, children before parents, without recursion."""
    order, seen = [], set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((c, False) for c in children(node) if c not in seen)
    return order


def rewrite_bottom_up(expr: sympy.Basic,
                      rewrite: Callable[[sympy.Basic], sympy.Basic] | None = None,
                      leaves: Mapping[sympy.Basic, sympy.Basic] | None = None) -> sympy.Basic:
    """``expr`` with every node ``n`` (children first) replaced by ``rewrite(n)``.

    Args:
        expr: The formula.
        rewrite: Applied to each node after its arguments were rewritten;
            it returns the node itself to keep it.
        leaves: Nodes replaced outright (their insides are not visited).
    """
    leaves = leaves or {}
    done: dict = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in done:
            continue
        if node in leaves:
            done[node] = leaves[node]
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in done)
            continue
        args = tuple(done[a] for a in node.args)
        new = node if all(a is b for a, b in zip(args, node.args)) else _rebuild(node, args)
        done[node] = rewrite(new) if rewrite is not None else new
    return done[expr]


def _rebuild(node: sympy.Basic, args: tuple) -> sympy.Basic:
    # A Piecewise folds the Piecewises inside its values when it is built,
    # recursively: nested ones (a composition of `where`s) cost exponential
    # time. (Conditions are still folded, into ITE(...): SymPy's calculus needs
    # conditions free of Piecewise.)
    if isinstance(node, sympy.Piecewise):
        return sympy.Piecewise(*args, evaluate=False)
    if (node.is_Mul or node.is_Add) and any(type(a) is type(node) for a in node.args):
        # a product of products (reverse mode's adjoints) stays nested: flattened,
        # each of its users would hold a copy of every factor
        return node.func(*args, evaluate=False)
    if isinstance(node, (sympy.Max, sympy.Min)):
        # SymPy compares a Max's arguments when it is built, and refuses those it
        # cannot order, such as a where() rewritten with internal heads
        return node.func(*args, evaluate=False)
    return node.func(*args)


def substitute_symbols(expr: sympy.Basic, mapping: Mapping[sympy.Basic, sympy.Basic]
                       ) -> sympy.Basic:
    """``expr.xreplace(mapping)``, visiting each distinct node once."""
    return rewrite_bottom_up(expr, leaves=mapping)
