"""Primitive functions the activation pack contributes (see ``neurogebra_primitives``)."""

import math

import numpy as np
import sympy

from neurogebra import Primitive

# Taylor coefficients of x - tanh(x) = x^3/3 - 2x^5/15 + 17x^7/315 - ...
_TANHSHRINK_SERIES = (1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925,
                      -21844 / 6081075, 929569 / 638512875, -6404582 / 10854718875)
_SERIES_LIMIT = 0.25


def _series(x2):
    total = 0.0
    for coefficient in reversed(_TANHSHRINK_SERIES):
        total = total * x2 + coefficient
    return total


def _tanhshrink_np(x):
    small = np.abs(x) < _SERIES_LIMIT
    return np.where(small, x * x * x * _series(x * x), x - np.tanh(x))


def _tanhshrink_scalar(x):
    if abs(x) < _SERIES_LIMIT:
        return x * x * x * _series(x * x)
    return x - math.tanh(x)


TANHSHRINK = Primitive(
    name="tanhshrink",
    explicit=lambda x: x - sympy.tanh(x),
    derivatives=(lambda x: sympy.tanh(x) ** 2,),
    numpy=_tanhshrink_np, scalar=_tanhshrink_scalar,
    latex=r"\operatorname{{tanhshrink}}\left({0}\right)",
    description="x - tanh(x), without cancellation near 0",
)


def _normal_cdf_np(x):
    from scipy.special import ndtr  # imported on first use: scipy is slow to import
    return ndtr(x)


def _normal_cdf_scalar(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


NORMAL_CDF = Primitive(
    name="normal_cdf",
    explicit=lambda x: (1 + sympy.erf(x / sympy.sqrt(2))) / 2,
    derivatives=(lambda x: sympy.exp(-x ** 2 / 2) / sympy.sqrt(2 * sympy.pi),),
    numpy=_normal_cdf_np, scalar=_normal_cdf_scalar,
    latex=r"\Phi\left({0}\right)",
    description="the standard normal distribution function, accurate in both tails",
    extra_kernels={"jax": "jax.scipy.special.ndtr", "torch": "torch.special.ndtr"},
)
