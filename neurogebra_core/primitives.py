"""Primitive functions: SymPy functions with their own derivative rules and
numerically stable kernels.

A formula such as ``log(1 + exp(x))`` is readable but overflows at
``x = 1000``; ``softplus(x)`` reads as well, differentiates to
``sigmoid(x)`` and is computed by a kernel that is finite for every float64.
A :class:`Primitive` bundles the four things such a function needs:

* ``explicit``: its elementary formula (``expr.rewrite("explicit")``);
* ``derivatives``: one rule per argument, written the way a textbook does;
* ``numpy`` / ``scalar``: stable kernels for arrays and for Python floats;
* ``extra_kernels``: kernels for other backends (``"jax"``, ``"torch"``), as
  callables or dotted names; without one, the elementary formula is used;
* ``latex``: how it typesets.

The core defines a few universal primitives below; packs add more through
the ``neurogebra_primitives`` hook. Registration is process-wide because
SymPy objects must map a function name to one meaning.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy

from .errors import RegistrationError

__all__ = ["Primitive", "register_primitive", "get_primitive", "primitive_functions",
           "sigmoid", "softplus", "log_sigmoid", "relu"]


@dataclass(frozen=True)
class Primitive:
    """Everything neurogebra needs to know about one primitive function."""

    name: str
    explicit: Callable[..., sympy.Expr]
    derivatives: tuple[Callable[..., sympy.Expr], ...]
    numpy: Callable
    scalar: Callable | None = None
    latex: str | None = None
    description: str = ""
    extra_kernels: dict = field(default_factory=dict, compare=False)

    @property
    def nargs(self) -> int:
        return len(self.derivatives)


class PrimitiveFunction(sympy.Function):
    """Base SymPy class of every registered primitive."""

    _primitive: Primitive

    @classmethod
    def eval(cls, *args):
        if all(a.is_Number for a in args):
            return cls._primitive.explicit(*args)
        return None

    @classmethod
    def class_key(cls):
        # Sort like an atom so products print as `sigmoid(x)*(1 - sigmoid(x))`.
        return 2, 0, cls.__name__

    def fdiff(self, argindex=1):
        rules = self._primitive.derivatives
        if not 1 <= argindex <= len(rules):
            raise sympy.ArgumentIndexError(self, argindex)
        return rules[argindex - 1](*self.args)

    def _eval_is_extended_real(self):
        return all(a.is_extended_real for a in self.args) or None

    def _eval_rewrite_as_explicit(self, *args, **hints):
        return self._primitive.explicit(*args)

    def _latex(self, printer, exp=None):
        spec = self._primitive
        args = [printer._print(a) for a in self.args]
        body = spec.latex.format(*args) if spec.latex else \
            rf"\operatorname{{{spec.name}}}\left({', '.join(args)}\right)"
        return f"{body}^{{{exp}}}" if exp else body

    def __reduce__(self):
        return _rebuild, (type(self).__name__, self.args)


def _rebuild(name, args):
    """Unpickling: a primitive from a pack needs that pack's primitives loaded."""
    if name not in _REGISTRY:
        from .forge import MathForge
        MathForge()   # registers the primitives of every installed pack
    if name not in _REGISTRY:
        raise RegistrationError(f"cannot unpickle: no primitive named {name!r} is registered; "
                                "install or load the pack that defines it")
    return _REGISTRY[name][1](*args)


_REGISTRY: dict[str, tuple[Primitive, type]] = {}
_LOCK = threading.Lock()


def register_primitive(spec: Primitive) -> type:
    """Register ``spec`` process-wide and return its SymPy function class.

    Registering the same spec twice is a no-op; another spec under a taken
    name (or a built-in function's name) raises :class:`RegistrationError`.
    """
    from .parsing import FUNCTIONS

    if not (isinstance(spec.name, str) and spec.name.isidentifier()
            and not spec.name.startswith("_")):
        raise RegistrationError(f"primitive name {spec.name!r} must be a plain identifier")
    if spec.name in FUNCTIONS or spec.name == "pi":
        raise RegistrationError(
            f"primitive {spec.name!r} would shadow the built-in function of that name")
    if spec.nargs < 1:
        raise RegistrationError(f"primitive {spec.name!r} needs one derivative rule per argument")
    with _LOCK:
        known = _REGISTRY.get(spec.name)
        if known is not None:
            if known[0] == spec:
                return known[1]
            raise RegistrationError(
                f"a different primitive named {spec.name!r} is already registered")
        cls = type(spec.name, (PrimitiveFunction,),
                   {"_primitive": spec, "nargs": spec.nargs, "__module__": __name__})
        _REGISTRY[spec.name] = (spec, cls)
        return cls


def get_primitive(name: str) -> tuple[Primitive, type]:
    """The ``(spec, sympy class)`` registered under ``name`` (KeyError if none)."""
    return _REGISTRY[name]


def primitive_functions() -> dict[str, tuple[Callable, int, int]]:
    """Registered primitives in the parser's ``name -> (builder, min, max)`` form."""
    return {name: (cls, spec.nargs, spec.nargs) for name, (spec, cls) in _REGISTRY.items()}


# --------------------------------------------------------------------------
# The core primitives
# --------------------------------------------------------------------------

def _sigmoid_np(x):
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


def _sigmoid_scalar(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus_np(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_scalar(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _log_sigmoid_np(x):
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid_scalar(x):
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


def _softplus_torch(x):
    import torch
    # torch's softplus switches to x above its threshold (20); logaddexp is exact
    return torch.logaddexp(x, torch.zeros_like(x))


def _relu_scalar(x):
    return 0.0 if x <= 0 else x


sigmoid = register_primitive(Primitive(
    name="sigmoid",
    explicit=lambda x: 1 / (1 + sympy.exp(-x)),
    derivatives=(lambda x: sigmoid(x) * (1 - sigmoid(x)),),
    numpy=_sigmoid_np, scalar=_sigmoid_scalar,
    latex=r"\sigma\left({0}\right)",
    description="logistic function 1/(1 + exp(-x))",
    extra_kernels={"jax": "jax.nn.sigmoid", "torch": "torch.sigmoid"},
))

softplus = register_primitive(Primitive(
    name="softplus",
    explicit=lambda x: sympy.log(1 + sympy.exp(x)),
    derivatives=(lambda x: sigmoid(x),),
    numpy=_softplus_np, scalar=_softplus_scalar,
    latex=r"\operatorname{{softplus}}\left({0}\right)",
    description="log(1 + exp(x)), finite for every float",
    extra_kernels={"jax": "jax.nn.softplus", "torch": _softplus_torch},
))

log_sigmoid = register_primitive(Primitive(
    name="log_sigmoid",
    explicit=lambda x: -sympy.log(1 + sympy.exp(-x)),
    derivatives=(lambda x: 1 - sigmoid(x),),
    numpy=_log_sigmoid_np, scalar=_log_sigmoid_scalar,
    latex=r"\log\sigma\left({0}\right)",
    description="log(sigmoid(x)), finite for every float",
    extra_kernels={"jax": "jax.nn.log_sigmoid", "torch": "torch.nn.functional.logsigmoid"},
))

relu = register_primitive(Primitive(
    name="relu",
    explicit=lambda x: sympy.Max(x, 0),
    derivatives=(lambda x: sympy.Heaviside(x, 0),),
    numpy=lambda x: np.maximum(x, 0.0), scalar=_relu_scalar,
    latex=r"\operatorname{{ReLU}}\left({0}\right)",
    description="max(x, 0); its derivative at 0 is 0, as in PyTorch",
    extra_kernels={"jax": "jax.nn.relu", "torch": "torch.relu"},
))
