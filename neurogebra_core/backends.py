"""The array libraries generated code can target, each as one explicit table.

A :class:`Backend` maps SymPy heads to names in a namespace of functions
(built lazily, so JAX and PyTorch are imported only when used). Generated code
calls a few helpers by fixed names (``_where``, ``_maximum``, ``_heaviside``...)
so that the printer is the same for every vectorised backend.

* ``numpy``: float64 arrays; the primitives' stable NumPy kernels.
* ``math``: Python floats; the primitives' scalar kernels.
* ``jax``: ``jax.numpy``; works under ``jit``, ``grad`` and ``vmap``.
* ``torch``: PyTorch tensors on any device, differentiable by autograd.

For JAX and PyTorch a primitive uses ``extra_kernels["jax"|"torch"]`` (a
callable or a dotted name such as ``"jax.nn.sigmoid"``) and otherwise its
elementary formula, which the library then differentiates itself.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

from .errors import EvaluationError, MissingDependencyError
from .stable import dsigmoid, sech2

__all__ = ["Backend", "BACKENDS", "get_backend", "primitive_kernel", "require_module"]

_COMMON = [
    (sympy.exp, "exp"), (sympy.log, "log"), (expm1, "expm1"), (log1p, "log1p"),
    (sympy.sin, "sin"), (sympy.cos, "cos"), (sympy.tan, "tan"),
    (sympy.sinh, "sinh"), (sympy.cosh, "cosh"), (sympy.tanh, "tanh"),
    (sympy.Abs, "abs"), (sympy.sign, "sign"), (sympy.erf, "erf"), (sympy.erfc, "erfc"),
    (hypot, "hypot"), (sympy.asin, "asin"), (sympy.acos, "acos"), (sympy.atan, "atan"),
    (sympy.asinh, "asinh"), (sympy.acosh, "acosh"), (sympy.atanh, "atanh"),
    (sech2, "sech2"), (dsigmoid, "dsigmoid"),
]
TABLE: dict[type, str] = {head: f"_{name}" for head, name in _COMMON}


@dataclass(frozen=True)
class Backend:
    """One target: whether it is vectorised, and how to build its namespace."""

    name: str
    vectorised: bool
    build: Callable[[], dict]

    def namespace(self) -> dict:
        return self.build()


def _fused(xp):
    """The internal stable kernels, written for an array module ``xp``."""
    def sech2_kernel(u):
        e = xp.exp(-2.0 * xp.abs(u))
        return 4.0 * e / (1.0 + e) ** 2

    def dsigmoid_kernel(u):
        e = xp.exp(-xp.abs(u))
        return e / (1.0 + e) ** 2
    return {"_sech2": sech2_kernel, "_dsigmoid": dsigmoid_kernel}


def _array_names(xp, arc="arc") -> dict:
    names = {f"_{n}": getattr(xp, n) for n in
             ("exp", "log", "expm1", "log1p", "sin", "cos", "tan", "sinh", "cosh", "tanh",
              "abs", "sign", "sqrt", "where", "maximum", "minimum")}
    names.update({f"_a{n}": getattr(xp, f"{arc}{n}") for n in
                  ("sin", "cos", "tan", "sinh", "cosh", "tanh")})
    return names


def _numpy() -> dict:
    def erf(x):
        from scipy.special import erf as scipy_erf   # scipy is slow to import: on first use
        return scipy_erf(x)

    def erfc(x):
        from scipy.special import erfc as scipy_erfc
        return scipy_erfc(x)

    names = _array_names(np)
    names.update(_fused(np))
    names.update({"np": np, "_hypot": np.hypot, "_erf": erf, "_erfc": erfc,
                  "_heaviside": np.heaviside, "_dirac": lambda x: np.zeros(np.shape(x)),
                  "_nan": np.nan})
    return names


def _scalar_sign(x):
    return math.copysign(1.0, x) if x else (x if x != x else 0.0)


def _scalar_heaviside(x, h0):
    if x > 0:
        return 1.0
    if x < 0:
        return 0.0
    return h0 if x == 0 else x


def _scalar_max(a, b):
    return math.nan if a != a or b != b else max(a, b)


def _scalar_min(a, b):
    return math.nan if a != a or b != b else min(a, b)


def _math() -> dict:
    names = {f"_{n}": getattr(math, n) for n in
             ("exp", "log", "expm1", "log1p", "sin", "cos", "tan", "sinh", "cosh", "tanh",
              "asin", "acos", "atan", "asinh", "acosh", "atanh", "erf", "erfc", "sqrt", "hypot")}
    names.update(_fused(_MathModule))
    names.update({"_abs": abs, "_sign": _scalar_sign, "_heaviside": _scalar_heaviside,
                  "_maximum": _scalar_max, "_minimum": _scalar_min, "_dirac": lambda x: 0.0,
                  "_nan": math.nan})
    return names


class _MathModule:
    """The two functions the fused kernels need, for Python floats."""

    exp = staticmethod(math.exp)
    abs = staticmethod(abs)


def require_module(module: str, extra: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"the {extra} backend needs {module.split('.')[0]}; install it with: "
            f"pip install 'neurogebra[{extra}]'") from None


def _jax() -> dict:
    jnp = require_module("jax.numpy", "jax")
    special = require_module("jax.scipy.special", "jax")
    names = _array_names(jnp)
    names.update(_fused(jnp))
    names.update({"jnp": jnp, "_hypot": jnp.hypot, "_erf": special.erf, "_erfc": special.erfc,
                  "_heaviside": jnp.heaviside, "_dirac": jnp.zeros_like, "_nan": jnp.nan})
    return names


def _torch() -> dict:
    torch = require_module("torch", "torch")

    def as_tensor(value, like):
        return value if isinstance(value, torch.Tensor) else \
            torch.as_tensor(value, dtype=like.dtype, device=like.device)

    def pair(function):
        def apply(a, b):
            if not isinstance(a, torch.Tensor):
                a = as_tensor(a, b)
            return function(a, as_tensor(b, a))
        return apply

    names = {f"_{n}": getattr(torch, n) for n in
             ("exp", "log", "expm1", "log1p", "sin", "cos", "tan", "sinh", "cosh", "tanh",
              "abs", "sign", "sqrt", "where", "asin", "acos", "atan", "asinh", "acosh", "atanh")}
    names.update(_fused(torch))
    names.update({"torch": torch, "_erf": torch.special.erf, "_erfc": torch.special.erfc,
                  "_maximum": pair(torch.maximum), "_minimum": pair(torch.minimum),
                  "_hypot": pair(torch.hypot), "_heaviside": pair(torch.heaviside),
                  "_dirac": torch.zeros_like, "_nan": math.nan})
    return names


BACKENDS: dict[str, Backend] = {
    "numpy": Backend("numpy", True, _numpy),
    "math": Backend("math", False, _math),
    "jax": Backend("jax", True, _jax),
    "torch": Backend("torch", True, _torch),
}


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise EvaluationError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return BACKENDS[name]


def primitive_kernel(spec, backend: str):
    """The kernel of primitive ``spec`` for ``backend``, or None (use its formula)."""
    if backend == "numpy":
        return spec.numpy
    if backend == "math":
        if spec.scalar is not None:
            return spec.scalar
        return lambda *xs: float(spec.numpy(*(np.float64(x) for x in xs)))
    kernel = spec.extra_kernels.get(backend)
    if isinstance(kernel, str):
        module, _, attribute = kernel.rpartition(".")
        kernel = getattr(require_module(module, backend), attribute)
    return kernel
