"""The targets generated code can run on, and how each resolves kernels.

A :class:`Backend` reads kernels from the one function table
(:mod:`neurogebra.symbolic`): every table entry names its kernel per backend,
and the backend imports it on first use, so JAX and PyTorch are imported only
when asked for.

* ``math``: Python floats; scalar kernels (a primitive without one runs its
  NumPy kernel on float64 scalars).
* ``numpy``: float64 arrays.
* ``jax``: ``jax.numpy``; works under ``jit``, ``grad`` and ``vmap``.
* ``torch``: PyTorch tensors on any device, differentiable by autograd.

A function without a kernel for a vectorised backend other than NumPy (a
primitive without a JAX kernel, say) is computed from its elementary
formula, which that library then differentiates itself.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import EvaluationError, MissingDependencyError
from ..symbolic import FormulaFunction
from ._fast_math import faster

__all__ = ["Backend", "BACKENDS", "get_backend", "require_module"]


def require_module(module: str, extra: str):
    """Import ``module`` or explain which extra to install.

    Raises:
        MissingDependencyError: the module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"the {extra} backend needs {module.split('.')[0]}; install it with: "
            f"pip install {module.split('.')[0]}") from None


def _resolve(reference, extra: str) -> Callable:
    """A kernel from a callable or a dotted name (``"jax.numpy.exp"``)."""
    if not isinstance(reference, str):
        return reference
    module, _, attribute = reference.rpartition(".")
    return getattr(require_module(module, extra), attribute)


@dataclass(frozen=True)
class Backend:
    """One target of code generation.

    Attributes:
        name: ``math``, ``numpy``, ``jax`` or ``torch``.
        vectorised: Whether conditions become ``where`` calls (else ``if``).
        where: Dotted name of the elementwise ``where`` of the library.
        extra: The pip extra that installs the library.
    """

    name: str
    vectorised: bool
    where: str | None
    extra: str

    def kernel(self, function: FormulaFunction) -> Callable | None:
        """The kernel of ``function`` here, or None (use its elementary formula).

        Resolved at each compilation (an import is a dictionary look-up once
        loaded), so a library removed or blocked later is reported, not hidden.
        """
        reference = function.kernels.get(self.name)
        if reference is not None:
            kernel = _resolve(reference, self.extra)
            return faster(kernel) if self.name == "numpy" else kernel
        if self.name == "math" and "numpy" in function.kernels:
            return _on_float64(_resolve(function.kernels["numpy"], "numpy"))
        return None

    def namespace(self) -> dict:
        """The fixed names generated code uses besides kernels."""
        names = {"_nan": math.nan}
        if self.where is not None:
            names["_where"] = _resolve(self.where, self.extra)
        return names


def _on_float64(kernel: Callable) -> Callable:
    """A scalar kernel made from a NumPy one."""
    def scalar(*xs):
        return float(kernel(*(np.float64(x) for x in xs)))
    return scalar


BACKENDS: dict[str, Backend] = {
    "numpy": Backend("numpy", True, "numpy.where", "numpy"),
    "math": Backend("math", False, None, "math"),
    "jax": Backend("jax", True, "jax.numpy.where", "jax"),
    "torch": Backend("torch", True, "torch.where", "torch"),
}


def get_backend(name: str) -> Backend:
    """The backend called ``name``.

    Raises:
        EvaluationError: no backend has that name.
    """
    if name not in BACKENDS:
        raise EvaluationError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return BACKENDS[name]
