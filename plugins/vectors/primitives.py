"""Primitive functions the vector pack contributes (see ``neurogebra_primitives``)."""

import math

import sympy

from neurogebra import Primitive


def _xlogy_scalar(x, y):
    if x == 0 and y == y:          # 0*log(0) is 0 (y may be 0); a NaN y stays NaN
        return 0.0
    return x * math.log(y)


XLOGY = Primitive(
    name="xlogy",
    explicit=lambda x, y: sympy.Piecewise((0, sympy.Eq(x, 0)), (x * sympy.log(y), True)),
    derivatives=(lambda x, y: sympy.log(y), lambda x, y: x / y),
    numpy="scipy.special.xlogy", scalar=_xlogy_scalar,
    latex=r"{0} \log {1}",
    description="x*log(y), and 0 where x is 0 (entropy, Kullback-Leibler divergence)",
    extra_kernels={"jax": "jax.scipy.special.xlogy", "torch": "torch.special.xlogy"},
)
