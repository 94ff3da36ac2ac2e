"""Primitive functions the schedule pack contributes (see ``neurogebra_primitives``)."""

import math

import numpy as np
import sympy

from neurogebra import Primitive

# Step schedules count whole periods. The derivative of floor is 0 wherever it
# exists and PyTorch's autograd gives 0 at the jumps too.
FLOOR = Primitive(
    name="floor",
    explicit=lambda x: sympy.floor(x),
    derivatives=(lambda x: sympy.Integer(0),),
    numpy=np.floor, scalar=lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    latex=r"\left\lfloor {0} \right\rfloor",
    description="the largest integer not above x (derivative 0, as in PyTorch)",
    extra_kernels={"jax": "jax.numpy.floor", "torch": "torch.floor"},
)
