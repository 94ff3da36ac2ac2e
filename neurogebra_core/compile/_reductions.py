"""Means over a batch of samples, as a training step takes them.

Generated code (``compile_function(..., with_means=True)``) calls these on
per-sample outputs. Most gradient outputs are a product of two per-sample
factors (the loss's slope times the model's partial); on a mini-batch their
mean is one dot product, which reads both factors once and allocates nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batch_mean", "batch_mean_product", "DOT_SIZE"]

# Longer dot products are split between threads by OpenBLAS (from 10,000
# elements), which changes their last bits with the thread count, and they
# round worse than NumPy's pairwise sum: the speed of the dot pays only on the
# small batches of a training step, where the call costs more than the sum.
DOT_SIZE = 8192


def batch_mean(values) -> float:
    """The mean of a per-sample output (a number is the same for every sample)."""
    if isinstance(values, np.ndarray) and values.ndim:
        return float(np.add.reduce(values, axis=None)) / values.size   # np.mean's own sum
    return float(values)


def batch_mean_product(a, b) -> float:
    """The mean of ``a*b`` over the batch: a dot product where both are
    per-sample arrays of the same shape and at most ``DOT_SIZE`` long,
    otherwise the pairwise sum of the product."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 1 \
            and a.shape == b.shape and a.size <= DOT_SIZE:
        return float(np.dot(a, b)) / a.size
    return batch_mean(np.multiply(a, b))
