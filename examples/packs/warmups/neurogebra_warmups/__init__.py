"""Warm-up learning-rate schedules as expressions of the step ``t``.

Shows both Python hooks: a primitive (``log1mexp``, with its own derivative
rule and stable kernels) and expressions generated in code. (neurogebra's
built-in ``schedules`` pack has the common decays; these add to it.)
"""
import math

import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1

from neurogebra import Expression, Primitive, hookimpl


def _log1mexp_np(x):
    # log(1 - exp(-x)) for x > 0, accurate on both sides of log(2) (Maechler 2012)
    x = np.asarray(x, dtype=float)
    small = x <= math.log(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(small, np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


def _log1mexp_scalar(x):
    if x <= math.log(2):
        return math.log(-math.expm1(-x))
    return math.log1p(-math.exp(-x))


LOG1MEXP = Primitive(
    name="log1mexp",
    explicit=lambda x: sympy.log(1 - sympy.exp(-x)),
    derivatives=(lambda x: 1 / expm1(x),),
    numpy=_log1mexp_np,
    scalar=_log1mexp_scalar,
    latex=r"\log\left(1 - e^{{-{0}}}\right)",
    description="log(1 - exp(-x)) for x > 0, without cancellation",
)


@hookimpl
def neurogebra_primitives():
    return [LOG1MEXP]


def _schedule(name, formula, params, description):
    return Expression(name, formula, params=params, variables=["t"],
                      metadata={"category": "schedule", "description": description})


@hookimpl
def neurogebra_expressions():
    return [
        _schedule("inverse_sqrt", "lr*min(1, sqrt(warmup/t))",
                  {"lr": 0.001, "warmup": 4000.0},
                  "Constant during warm-up, then decaying like 1/sqrt(t) (Transformer)."),
        _schedule("soft_warmup", "lr*exp(log1mexp(t/warmup))",
                  {"lr": 0.001, "warmup": 100.0},
                  "Smooth warm-up lr*(1 - exp(-t/warmup)), written with log1mexp."),
    ]
