"""Means over a batch of samples, as a training step takes them.

Generated code (``compile_function(..., with_means=True)``) calls these on
per-sample outputs. Most gradient outputs are a product of two per-sample
factors (the loss's slope times the model's partial); their mean is one dot
product, which reads both factors once and allocates nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batch_mean", "batch_mean_product"]


def batch_mean(values) -> float:
    """The mean of a per-sample output (a number is the same for every sample)."""
    if isinstance(values, np.ndarray) and values.ndim:
        return float(values.sum()) / values.size   # np.mean's own sum, less overhead
    return float(values)


def batch_mean_product(a, b) -> float:
    """The mean of ``a*b`` over the batch, as a dot product where both are
    per-sample arrays of the same shape."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 1 and a.shape == b.shape:
        return float(np.dot(a, b)) / a.size
    return batch_mean(np.multiply(a, b))
