"""Repeated units of a scalar model, trained as one layer of vector params.

A one-hidden-layer network written as a formula of scalar params,
``v0*tanh(w0*x + c0) + v1*tanh(w1*x + c1) + ... + d``, is a sum of terms of
one form, each with params of its own. Compiled as written it is a chain of
NumPy calls per unit on arrays of one batch: per step the cost grows with the
number of units, not with the work. Here each such sum becomes
``sum(v*tanh(w*x + c))`` over vectors ``w, c, v`` stacking the units' params,
and the Trainer's vector objective computes it on one ``(batch, units)``
array: the weight gradients of all units come out of one matrix product.

The rewrite is exact, term for term: a term joins a layer only when
putting its params in the places of the layer's first term gives the very
same formula, so nothing is guessed from names. The Trainer still sees the
scalar params in their own order (a step reads and writes them through a
permutation when the stacked order differs); only the order of a few sums
inside the objective changes, by rounding.

Left as they are (the plain per-sample objective is used): models with fewer
than ``MIN_UNITS`` units of one form, units sharing a param, and losses with
a penalty over the params (``l2``), whose terms name the scalar params.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import sympy

from ..expression import Expression
from ..symbolic import ShapedSymbol, symbol, vsum
from ._vector_objective import VectorObjective

__all__ = ["UnitObjective", "unit_objective", "MIN_UNITS"]

MIN_UNITS = 4   # below this, the plain objective's few calls cost less than the layer's set-up


def unit_objective(model: Expression, loss: Expression) -> "UnitObjective | None":
    """The objective of ``model``'s repeated units as layers, or None when it has none."""
    if set(loss.variables) - {"y_pred", "y_true"}:   # a penalty names the scalar params
        return None
    params = {symbol(p): p for p in model.params}
    trainable = set(model.trainable_params)
    expr = model.symbolic_expr
    layers, waiting = [], [expr]
    while waiting:     # outermost sums first; the units of a layer are not searched again
        node = waiting.pop()
        found = _layers(node, expr, params, trainable) \
            if node.is_Add and len(node.args) >= MIN_UNITS else []
        stacked = {symbol(p) for layer in found for unit in layer.members for p in unit}
        waiting += [a for a in node.args if not a.free_symbols & stacked]
        layers += found
    if not layers:
        return None
    return UnitObjective(model, loss, layers)


class _Layer:
    """Terms of one form in a sum: ``members[j][i]`` is unit j's param in place i,
    which the template holds as ``_SLOTS[i]``."""

    def __init__(self, node: sympy.Add, template: sympy.Expr, members: list):
        self.node, self.template, self.members = node, template, members


_SLOTS = [sympy.Dummy(f"slot{i}", real=True) for i in range(64)]


def _layers(node: sympy.Add, expr: sympy.Expr, params: dict, trainable: set) -> list[_Layer]:
    """The layers among the terms of ``node``: terms of one form whose params
    appear nowhere else in ``expr``."""
    outside = expr.xreplace({node: sympy.Dummy()}).free_symbols
    owners: dict = {}
    for term in node.args:
        for s in term.free_symbols & params.keys():
            owners[s] = owners.get(s, 0) + 1
    forms: dict = {}
    for term in node.args:
        own = _params_in_order(term, params)
        if not own or len(own) > len(_SLOTS) or \
                any(owners[s] > 1 or s in outside for s in own):
            continue
        template = term.xreplace(dict(zip(own, _SLOTS)))
        forms.setdefault(template, []).append([params[s] for s in own])
    layers = []
    for template, members in forms.items():
        same_kind = all(len({p in trainable for p in place}) == 1 for place in zip(*members))
        if len(members) >= MIN_UNITS and same_kind:
            layers.append(_Layer(node, template, members))
    return layers


def _params_in_order(term: sympy.Expr, params: dict) -> list:
    """The params of ``term`` in the order a traversal meets them first."""
    seen = []
    for s in sympy.preorder_traversal(term):
        if s in params and s not in seen:
            seen.append(s)
    return seen


class UnitObjective:
    """The Trainer's objective for a scalar model with repeated units: the
    model's layers as vector params, trained through :class:`VectorObjective`.

    It has the interface of :class:`VectorObjective` (``function``, ``start``,
    ``store``), with the values in the scalar model's trainable order.
    """

    def __init__(self, model: Expression, loss: Expression, layers: list[_Layer]):
        self.model = model
        self.trainable = model.trainable_params
        taken = set(model.params) | set(model.variables)
        self._stacks: dict[str, list[str]] = {}   # vector param -> the scalar params it stacks
        sums: dict = {}                           # a sum with layers -> its new terms
        for layer in layers:
            vectors = []
            for place in zip(*layer.members):
                name = _free_name(f"{place[0]}_units", taken)
                taken.add(name)
                self._stacks[name] = list(place)
                vectors.append(ShapedSymbol(name, (len(place),)))
            sums.setdefault(layer.node, []).append(
                vsum(layer.template.xreplace(dict(zip(_SLOTS, vectors)))))
        shapes = {n: [len(m)] for n, m in self._stacks.items()}
        stacked = {symbol(p) for members in self._stacks.values() for p in members}
        replaced = {node: sympy.Add(*[t for t in node.args if not t.free_symbols & stacked],
                                    *unit_sums) for node, unit_sums in sums.items()}
        self._stacks.update({n: [n] for n in model.params if symbol(n) not in stacked})
        position = {p: i for i, p in enumerate(model.params)}
        order = sorted(self._stacks, key=lambda n: position[self._stacks[n][0]])
        chosen = set(self.trainable)
        vector_trainable = [n for n in order if self._stacks[n][0] in chosen]
        self.layered = Expression(
            model.name, model.symbolic_expr.xreplace(replaced), params=self._values(),
            trainable_params=vector_trainable, variables=model.variables, shapes=shapes)
        self.inner = VectorObjective(self.layered, loss)
        self.function = self.inner.function
        where = {p: i for i, p in enumerate(self.trainable)}
        permutation = [where[p] for n in vector_trainable for p in self._stacks[n]]
        self._permutation = None if permutation == sorted(permutation) else \
            np.array(permutation)

    def _values(self) -> dict:
        """The current value of each param of the layered model: a vector
        stacks the units' params, a scalar param is the model's own."""
        params = self.model.params
        return {n: params[n] if n in params else np.array([params[p] for p in members])
                for n, members in self._stacks.items()}

    def start(self, columns: Sequence[np.ndarray], targets: np.ndarray
              ) -> tuple[Callable, np.ndarray]:
        """As :meth:`VectorObjective.start`, with the scalar model's params as
        they are now and values in its trainable order."""
        for name, value in self._values().items():
            self.layered.params[name] = value
        step, _ = self.inner.start(columns, targets)
        values = np.array([self.model.params[p] for p in self.trainable])
        permutation = self._permutation
        if permutation is None:
            return step, values

        def reordered(batch, y, values):
            loss, gradient = step(batch, y, values[permutation])
            result = np.empty_like(gradient)
            result[permutation] = gradient
            return loss, result
        return reordered, values

    def store(self, values: np.ndarray) -> None:
        """Write the values (in the scalar model's trainable order) into its params."""
        dict.update(self.model.params, zip(self.trainable, values.tolist()))


def _free_name(wanted: str, taken: set) -> str:
    name = wanted
    while name in taken:
        name += "_"
    return name
