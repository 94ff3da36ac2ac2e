"""Numeric kernels the function table names by reference.

The symbolic layer declares functions and names their kernels as dotted
strings (``"neurogebra.compile._kernels.sigmoid_numpy"``); the kernels that
are not a library function live here: the core primitives' stable kernels,
the scalar helpers whose NaN and zero handling the ``math`` module lacks, the
fused kernels of the stable rewrites, and PyTorch adapters that accept a
Python number beside a tensor.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

# -- core primitives ----------------------------------------------------------


def sigmoid_numpy(x):
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


def sigmoid_math(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus_numpy(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def softplus_math(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_torch(x):
    import torch
    # torch's softplus switches to x above its threshold (20); logaddexp is exact
    return torch.logaddexp(x, torch.zeros_like(x))


def log_sigmoid_numpy(x):
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid_math(x):
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


def relu_numpy(x):
    return np.maximum(x, 0.0)


def relu_math(x):
    return 0.0 if x <= 0 else x


# -- scalar helpers -----------------------------------------------------------


def scalar_sign(x):
    if x != x:        # nan, as NumPy gives
        return x
    return math.copysign(1.0, x) if x else 0.0


def scalar_pow(base, exponent):
    """``base**exponent`` on floats as NumPy computes it: nan where Python
    would give a complex number, and an exponent of 0.5 is a square root."""
    if exponent == 0.5:
        return math.sqrt(base)    # ValueError below 0: the caller falls back to NumPy
    result = base ** exponent
    return math.nan if type(result) is complex else result


def scalar_heaviside(x, h0):
    if x > 0:
        return 1.0
    if x < 0:
        return 0.0
    return h0 if x == 0 else x


def scalar_max(a, b):
    return math.nan if a != a or b != b else max(a, b)


def scalar_min(a, b):
    return math.nan if a != a or b != b else min(a, b)


# -- the derivative of a step (DiracDelta) is 0, as autograd takes it ----------

def zeros_math(x):
    return 0.0


def zeros_numpy(x):
    return np.zeros(np.shape(x))


def zeros_jax(x):
    import jax.numpy as jnp
    return jnp.zeros_like(x)


def zeros_torch(x):
    import torch
    return torch.zeros_like(x)


# -- fused kernels of the stable rewrites ----------------------------------------

def _sech2(xp_exp, xp_abs, u):
    e = xp_exp(-2.0 * xp_abs(u))
    return 4.0 * e / (1.0 + e) ** 2


def _dsigmoid(xp_exp, xp_abs, u):
    e = xp_exp(-xp_abs(u))
    return e / (1.0 + e) ** 2


def _on(formula, module: str):
    """``formula`` computed with the exp and abs of an array module, imported on first use."""
    def kernel(u):
        xp = importlib.import_module(module)
        return formula(xp.exp, xp.abs, u)
    return kernel


def sech2_math(u):
    return _sech2(math.exp, abs, u)


def dsigmoid_math(u):
    return _dsigmoid(math.exp, abs, u)


sech2_numpy, sech2_jax, sech2_torch = (_on(_sech2, m) for m in ("numpy", "jax.numpy", "torch"))
dsigmoid_numpy, dsigmoid_jax, dsigmoid_torch = (
    _on(_dsigmoid, m) for m in ("numpy", "jax.numpy", "torch"))


# -- JAX and PyTorch: kinks differentiated as neurogebra does ----------------------
# Their autodiff gives maximum/minimum 1/2 per argument at a tie and abs'(0) = 1
# (JAX); these kernels have the same values and neurogebra's derivatives: at a
# tie each argument gets its full derivative (a + b - stop_gradient(a) equals
# the tied value and differentiates to 1 by each), and abs'(0) = sign(0) = 0.
# A NaN argument falls through both comparisons to that sum, so it propagates.

def _tie_kernel(xp, stop_gradient, larger):
    def kernel(a, b):
        a, b = _tensors(xp, a, b)
        tie = a + b - stop_gradient(a)
        return xp.where(larger(a, b), a, xp.where(larger(b, a), b, tie))
    return kernel


def _jax_tie(larger):
    jax = _module("jax")
    return _tie_kernel(jax.numpy, jax.lax.stop_gradient, larger)


def _torch_tie(larger):
    return _tie_kernel(_module("torch"), lambda t: t.detach(), larger)


def _tensors(xp, a, b):
    if xp.__name__ != "torch":
        return a, b
    if not isinstance(a, xp.Tensor):
        a = xp.as_tensor(a, dtype=b.dtype, device=b.device)
    if not isinstance(b, xp.Tensor):
        b = xp.as_tensor(b, dtype=a.dtype, device=a.device)
    return a, b


def _module(name):
    return importlib.import_module(name)


def maximum_jax(a, b):
    return _jax_tie(lambda a, b: a > b)(a, b)


def minimum_jax(a, b):
    return _jax_tie(lambda a, b: a < b)(a, b)


def torch_maximum(a, b):
    return _torch_tie(lambda a, b: a > b)(a, b)


def torch_minimum(a, b):
    return _torch_tie(lambda a, b: a < b)(a, b)


def abs_jax(x):
    jnp = _module("jax.numpy")
    return x * jnp.sign(x)


# -- PyTorch: binary functions that also take a Python number --------------------

def _torch_pair(name):
    def apply(a, b):
        torch = _module("torch")
        a, b = _tensors(torch, a, b)
        return getattr(torch, name)(a, b)
    apply.__name__ = f"torch_{name}"
    return apply


torch_hypot = _torch_pair("hypot")
torch_heaviside = _torch_pair("heaviside")
