"""Primitive functions the loss pack contributes (see ``neurogebra_primitives``)."""

import math

import numpy as np
import sympy

from neurogebra import Primitive

LOG_FLOOR = -100.0                 # PyTorch clamps log() at -100 in BCE
_SWITCH = 20.0                     # beyond, log(cosh x) = |x| - log 2 + log1p(exp(-2|x|))


def _log_cosh_np(x):
    a = np.abs(x)
    near = np.log1p(2.0 * np.sinh(np.minimum(a, _SWITCH) / 2.0) ** 2)
    far = a - math.log(2.0) + np.log1p(np.exp(-2.0 * a))
    return np.where(a < _SWITCH, near, far)


def _log_cosh_scalar(x):
    a = abs(x)
    if a < _SWITCH:
        return math.log1p(2.0 * math.sinh(a / 2.0) ** 2)
    return a - math.log(2.0) + math.log1p(math.exp(-2.0 * a))


def _log_cosh_array(xp, softplus):
    def kernel(x):
        a = xp.abs(x)
        return a + softplus(-2.0 * a) - math.log(2.0)
    return kernel


def _log_cosh_jax(x):
    import jax
    import jax.numpy as jnp
    return _log_cosh_array(jnp, jax.nn.softplus)(x)


def _log_cosh_torch(x):
    import torch
    return _log_cosh_array(torch, lambda u: torch.log1p(torch.exp(u)))(x)


LOG_COSH = Primitive(
    name="log_cosh",
    explicit=lambda x: sympy.log(sympy.cosh(x)),
    derivatives=(lambda x: sympy.tanh(x),),
    numpy=_log_cosh_np, scalar=_log_cosh_scalar,
    latex=r"\log\cosh\left({0}\right)",
    description="log(cosh(x)), accurate near 0 and finite for every float",
    extra_kernels={"jax": _log_cosh_jax, "torch": _log_cosh_torch},
)


def _clamped_log_np(p):
    # log(0) = -inf becomes -100 (neurogebra keeps that divide-by-zero quiet,
    # since it does not reach the result); a negative "probability" gives nan.
    return np.maximum(np.log(p), LOG_FLOOR)


def _clamped_log_scalar(p):
    # math.log(0) raises; the caller then takes the array path, which gives -100
    return max(math.log(p), LOG_FLOOR)


def _clamped_log_jax(p):
    import jax.numpy as jnp
    # log(max(p, tiny)): the gradient is 0 below the clamp, never 0 * inf
    return jnp.log(jnp.maximum(p, math.exp(LOG_FLOOR)))


def _clamped_log_torch(p):
    import torch
    return torch.log(torch.clamp(p, min=math.exp(LOG_FLOOR)))


CLAMPED_LOG = Primitive(
    name="clamped_log",
    explicit=lambda p: sympy.log(sympy.Max(p, sympy.exp(LOG_FLOOR))),
    derivatives=(lambda p: sympy.Piecewise((1 / p, p > sympy.exp(LOG_FLOOR)), (0, True)),),
    numpy=_clamped_log_np, scalar=_clamped_log_scalar,
    latex=r"\max\left(\log {0}, -100\right)",
    description="max(log(p), -100), PyTorch's clamped log in binary cross-entropy",
    extra_kernels={"jax": _clamped_log_jax, "torch": _clamped_log_torch},
)


def _clamped_log1m_np(p):
    # log(1 - p) through log1p: exact for tiny p; p = 1 gives the floor, p > 1 nan.
    return np.maximum(np.log1p(-p), LOG_FLOOR)


def _clamped_log1m_scalar(p):
    return max(math.log1p(-p), LOG_FLOOR)


def _clamped_log1m_jax(p):
    import jax.numpy as jnp
    inside = p < 1
    return jnp.where(inside, jnp.log1p(-jnp.where(inside, p, 0.0)), LOG_FLOOR)


def _clamped_log1m_torch(p):
    import torch
    inside = p < 1
    return torch.where(inside, torch.log1p(-torch.where(inside, p, torch.zeros_like(p))),
                       torch.full_like(p, LOG_FLOOR))


CLAMPED_LOG1M = Primitive(
    name="clamped_log1m",
    explicit=lambda p: sympy.log(sympy.Max(1 - p, sympy.exp(LOG_FLOOR))),
    derivatives=(lambda p: sympy.Piecewise((-1 / (1 - p), p < 1), (0, True)),),
    numpy=_clamped_log1m_np, scalar=_clamped_log1m_scalar,
    latex=r"\max\left(\log(1 - {0}), -100\right)",
    description="max(log(1 - p), -100), accurate for p near 0 (the other half of BCE)",
    extra_kernels={"jax": _clamped_log1m_jax, "torch": _clamped_log1m_torch},
)
