"""Starting values of vector and matrix params, as the usual frameworks draw them.

For a weight matrix ``W`` used as ``W @ x`` (shape ``(outputs, inputs)``),
``fan_in`` is its last size and ``fan_out`` its first, as in PyTorch. The
schemes:

=================  ======================================  =====================================
scheme             values                                  used by default in
=================  ======================================  =====================================
``zeros``          0                                       Keras ``Dense`` bias
``ones``           1                                       normalisation scales
``glorot_uniform`` U(-a, a), a = sqrt(6/(fan_in+fan_out))  Keras ``Dense`` kernel (Xavier)
``he_uniform``     U(-a, a), a = sqrt(6/fan_in)            ReLU layers (Kaiming, PyTorch's
                                                           ``kaiming_uniform_`` for ReLU)
``pytorch_linear`` U(-a, a), a = 1/sqrt(fan_in)            PyTorch ``nn.Linear`` weight and bias
=================  ======================================  =====================================

For a bias with ``pytorch_linear``, pass the weight's ``fan_in``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, did_you_mean

__all__ = ["initialize", "INITIALIZERS"]

INITIALIZERS = ("zeros", "ones", "glorot_uniform", "he_uniform", "pytorch_linear")


def initialize(shape, scheme: str = "glorot_uniform", seed=None,
               fan_in: int | None = None) -> np.ndarray:
    """A float64 array of ``shape`` drawn by ``scheme`` (see the module documentation).

    Args:
        shape: The array's shape, e.g. ``(10, 64)`` for ``W`` in ``W @ x``.
        scheme: ``zeros``, ``ones``, ``glorot_uniform``, ``he_uniform`` or
            ``pytorch_linear``.
        seed: A seed or ``numpy.random.Generator``, for repeatable draws.
        fan_in: The number of inputs (default: the last size of ``shape``).

    Raises:
        ArgumentError: an unknown scheme or an invalid shape.
    """
    if scheme not in INITIALIZERS:
        raise ArgumentError(f"unknown initializer {scheme!r}.{did_you_mean(str(scheme), INITIALIZERS)}"
                            f" Available: {', '.join(INITIALIZERS)}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and d >= 1 for d in shape):
        raise ArgumentError(f"shape must be positive integers, got {shape!r}")
    if scheme in ("zeros", "ones"):
        return np.full(shape, 0.0 if scheme == "zeros" else 1.0)
    inputs = fan_in if fan_in is not None else (shape[-1] if shape else 1)
    outputs = shape[-2] if len(shape) > 1 else inputs
    limit = {"glorot_uniform": math.sqrt(6.0 / (inputs + outputs)),
             "he_uniform": math.sqrt(6.0 / inputs),
             "pytorch_linear": 1.0 / math.sqrt(inputs)}[scheme]
    return np.random.default_rng(seed).uniform(-limit, limit, shape)
