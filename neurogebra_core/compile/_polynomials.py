"""Polynomials by Horner's rule, for kernels: the same code on floats and arrays.

A compiled loop evaluates :func:`horner` with fused multiply-adds instead
(``_loop_math.horner``: one rounding a step where this rounds twice, and half
the operations), so a kernel that sums a series through it is faster there and
no less accurate; the check that admits a loop runs the same substitute.
"""

from __future__ import annotations

__all__ = ["horner"]


def horner(coefficients, z):
    """sum(coefficients[i] * z**i), the highest power first: z a float or a
    NumPy array, ``coefficients`` a tuple of two floats or more."""
    total = coefficients[-1]
    for i in range(len(coefficients) - 2, -1, -1):
        total = total * z + coefficients[i]
    return total
