"""Expressions as plain functions for NumPy, JAX or PyTorch.

``to_function`` prints the same formula (stable primitives included) through
another backend's table. The result takes the variables positionally or by
name, in ``expression.variables`` order, then, with ``bind_params=False``,
the params in ``expression.params`` order; with ``bind_params=True`` (the
default) the params' current values are baked in. JAX functions compose with
``jax.jit``, ``jax.grad`` and ``jax.vmap``; PyTorch functions are
differentiable by autograd and run on the device of their input tensors.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import sympy

from ..errors import EvaluationError, ShapeError
from ..symbolic import is_shaped, symbol
from ._backends import get_backend, require_module
from ._codegen import compile_function
from ._vector_codegen import compile_vector_function

__all__ = ["to_function", "to_torch_module"]


def to_function(expression, backend: str = "numpy", bind_params: bool = True) -> Callable:
    """A plain function of the variables (and params, unless bound).

    Args:
        expression: Anything with ``name``, ``symbolic_expr``, ``variables``
            and ``params``, as an Expression has (and, for vectors and
            matrices, ``shapes`` and ``symbol(name)``).
        backend: ``numpy``, ``jax`` or ``torch``.
        bind_params: Bake the params' current values in (else they follow the
            variables as arguments).
    """
    get_backend(backend)   # an unknown name is an error before any work
    formula = expression.symbolic_expr
    if getattr(expression, "shapes", None) or is_shaped(formula):
        return _shaped_function(expression, backend, bind_params)
    args = [symbol(v) for v in expression.variables]
    if bind_params:
        formula = formula.xreplace({symbol(p): sympy.Float(v)
                                    for p, v in expression.params.items()})
    else:
        args += [symbol(p) for p in expression.params]
    function = compile_function(formula, args, backend, f"{expression.name} ({backend})",
                                readable_names=True)
    function.__name__ = function.__qualname__ = _identifier(expression.name)
    function.__doc__ = f"{expression} (neurogebra export, {backend} backend)"
    return function


def _shaped_function(expression, backend: str, bind_params: bool) -> Callable:
    """``to_function`` of a formula over vectors and matrices: array params are
    bound as constant arrays of the backend, scalar ones as numbers."""
    formula = expression.symbolic_expr
    args = [expression.symbol(v) for v in expression.variables]
    constants = {}
    if bind_params:
        numbers = {expression.symbol(p): sympy.Float(v) for p, v in expression.params.items()
                   if np.ndim(v) == 0}
        try:
            formula = formula.xreplace(numbers)
        except ShapeError as exc:
            raise EvaluationError(f"{expression.name}: give every vector and matrix param an "
                                  f"array value before exporting ({exc.reason})") from None
        constants = {p: _constant(v, backend) for p, v in expression.params.items()
                     if np.ndim(v)}
    args += [expression.symbol(p) for p in expression.params
             if not bind_params or p in constants]
    compiled = compile_vector_function(formula, args, backend,
                                       f"{expression.name} ({backend})", readable_names=True)
    function = _with_constants(compiled, constants) if constants else compiled
    function.__name__ = function.__qualname__ = _identifier(expression.name)
    function.__doc__ = f"{expression} (neurogebra export, {backend} backend)"
    function.source = compiled.source
    return function


def _with_constants(compiled: Callable, constants: dict) -> Callable:
    def bound(*args, **named):
        return compiled(*args, **named, **constants)
    return bound


def _constant(value, backend: str):
    if backend == "jax":
        return require_module("jax.numpy", "jax").asarray(value)
    if backend == "torch":
        torch = require_module("torch", "torch")
        return torch.as_tensor(np.array(value), dtype=torch.float64)
    return np.array(value)


def _identifier(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned if cleaned.isidentifier() else f"f_{cleaned}"


def to_torch_module(expression):
    """A ``torch.nn.Module`` computing ``expression``.

    Trainable params become ``torch.nn.Parameter`` (float64 scalars, vectors or
    matrices), the other params buffers; ``forward`` takes the variables
    positionally or by name.
    """
    torch = require_module("torch", "torch")
    function = to_function(expression, "torch", bind_params=False)
    variables, params = expression.variables, tuple(expression.params)
    trainable = set(expression.trainable_params)

    class ExpressionModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for name, value in expression.params.items():
                tensor = torch.tensor(value, dtype=torch.float64)
                if name in trainable:
                    self.register_parameter(name, torch.nn.Parameter(tensor))
                else:
                    self.register_buffer(name, tensor)

        def forward(self, *inputs, **named):
            values = dict(zip(variables, inputs))
            values.update(named)
            missing = [v for v in variables if v not in values]
            if missing or len(values) != len(variables):
                raise TypeError(f"{expression.name} takes the inputs {', '.join(variables)}; "
                                f"got {', '.join(values) or 'none'}")
            return function(*(values[v] for v in variables),
                            *(getattr(self, p) for p in params))

        def extra_repr(self) -> str:
            return str(expression)

    ExpressionModule.__name__ = ExpressionModule.__qualname__ = \
        f"{_identifier(expression.name)}_module"
    return ExpressionModule()
