"""Expressions as plain functions for NumPy, JAX or PyTorch.

``to_function`` prints the same formula (stable primitives included) through
another backend's table. The result takes the variables positionally or by
name, in ``expression.variables`` order, then, with ``bind_params=False``,
the params in ``expression.params`` order; with ``bind_params=True`` (the
default) the params' current values are baked in. JAX functions compose with
``jax.jit``, ``jax.grad`` and ``jax.vmap``; PyTorch functions are
differentiable by autograd and run on the device of their input tensors.
Like ``Expression.eval``, an exported function returns the inputs' broadcast
shape even where the formula ignores an input (a model constant for the
bound params gives an array of the input's shape, not a scalar).

``to_torch_module`` keeps the params as float32 or float64 tensors, and its
``to_expression()`` brings the values trained in PyTorch back.
"""

from __future__ import annotations

import inspect
import warnings
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
    if backend == "jax":
        _warn_if_jax_is_float32()
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
    ignored = [v for v in expression.variables if symbol(v) not in formula.free_symbols]
    if ignored:
        function = _broadcasting(function, backend, ignored)
    function.__name__ = function.__qualname__ = _identifier(expression.name)
    function.__doc__ = f"{expression} (neurogebra export, {backend} backend)"
    return function


_ZEROS_LIKE = {"numpy": "numpy.zeros_like", "jax": "jax.numpy.zeros_like",
               "torch": "torch.zeros_like"}


def _broadcasting(function: Callable, backend: str, ignored: list[str]) -> Callable:
    """``function``, whose result also takes the shape of the inputs it ignores."""
    module, _, name = _ZEROS_LIKE[backend].rpartition(".")
    zeros_like = getattr(require_module(module, backend), name)
    signature = inspect.signature(function)

    def broadcast(*args, **kwargs):
        result = function(*args, **kwargs)
        values = signature.bind(*args, **kwargs).arguments
        for variable in ignored:
            value = values[variable]
            if backend != "torch" or hasattr(value, "shape"):   # torch: tensors only
                result = result + zeros_like(value)
        return result

    broadcast.__signature__ = signature
    return broadcast


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


def _warn_if_jax_is_float32() -> None:
    """JAX computes in float32 unless told otherwise: its results then differ
    from neurogebra's float64 ones (``exp(100)`` overflows), which should not
    happen silently."""
    jax = require_module("jax", "jax")
    if not jax.config.jax_enable_x64:
        warnings.warn("JAX computes in float32 (jax_enable_x64 is off): results of the "
                      "exported function can differ from neurogebra's float64 ones "
                      "(exp(100) overflows). Call jax.config.update('jax_enable_x64', True) "
                      "first for float64.", UserWarning, stacklevel=3)


def _torch_attributes(params, module_class) -> dict[str, str]:
    """The attribute each param is registered under: its own name, unless torch
    refuses it (a dot, an empty name) or a Module already has that attribute
    (``training``, ``forward``, ``cuda``), then ``param_<i>``."""
    taken = set(dir(module_class())) | {"param_attributes", "to_expression"}
    attributes = {p: p for p in params if p.isidentifier() and p not in taken}
    stand_ins = (f"param_{i}" for i in range(len(params) * 2 + 1))
    for p in params:
        if p not in attributes:
            attributes[p] = next(a for a in stand_ins if a not in params)
    return {p: attributes[p] for p in params}


def _plain(tensor):
    value = tensor.detach().cpu().numpy()
    return float(value) if value.ndim == 0 else value


def _identifier(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned if cleaned.isidentifier() else f"f_{cleaned}"


_TORCH_DTYPES = ("float32", "float64")


def to_torch_module(expression, dtype="float64"):
    """A ``torch.nn.Module`` computing ``expression``.

    Trainable params become ``torch.nn.Parameter`` (scalars, vectors or
    matrices), the other params buffers, each under its own name unless torch
    reserves it (``training``, a name with a dot): ``param_attributes`` maps
    every param to its attribute; ``forward`` takes the variables
    positionally or by name, and ``to_expression()`` returns a copy of
    ``expression`` holding the module's current param values (the way back
    after training in PyTorch).

    Args:
        expression: What to compute (anything with ``name``, ``symbolic_expr``,
            ``variables``, ``params``, ``trainable_params`` and ``clone()``).
        dtype: ``"float32"`` or ``"float64"`` (or the torch dtype) of the params.

    Raises:
        EvaluationError: another dtype.
    """
    torch = require_module("torch", "torch")
    name = str(dtype).replace("torch.", "")
    if name not in _TORCH_DTYPES:
        raise EvaluationError(f"dtype must be float32 or float64, got {dtype!r}")
    dtype = getattr(torch, name)
    function = to_function(expression, "torch", bind_params=False)
    variables, params = expression.variables, tuple(expression.params)
    trainable = set(expression.trainable_params)

    attributes = _torch_attributes(params, torch.nn.Module)

    class ExpressionModule(torch.nn.Module):
        #: The attribute holding each param (its own name, unless torch reserves it).
        param_attributes = dict(attributes)

        def __init__(self):
            super().__init__()
            for name, value in expression.params.items():
                tensor = torch.tensor(value, dtype=dtype)
                if name in trainable:
                    self.register_parameter(attributes[name], torch.nn.Parameter(tensor))
                else:
                    self.register_buffer(attributes[name], tensor)

        def forward(self, *inputs, **named):
            values = dict(zip(variables, inputs))
            values.update(named)
            missing = [v for v in variables if v not in values]
            if missing or len(values) != len(variables):
                raise EvaluationError(f"{expression.name} takes the inputs "
                                      f"{', '.join(variables)}; got {', '.join(values) or 'none'}")
            return function(*(values[v] for v in variables),
                            *(getattr(self, attributes[p]) for p in params))

        def to_expression(self):
            """A copy of the exported Expression with this module's param values."""
            copy = expression.clone()
            copy.params.update({p: _plain(getattr(self, attributes[p])) for p in params})
            return copy

        def extra_repr(self) -> str:
            return str(expression)

    ExpressionModule.__name__ = ExpressionModule.__qualname__ = \
        f"{_identifier(expression.name)}_module"
    return ExpressionModule()
