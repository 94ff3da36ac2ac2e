"""Checking what a fit is given: data columns and settings.

Data are checked where they enter, so a problem is named at its source (the
sample holding a nan, the complex column) instead of surfacing later as a
diverged loss or as NumPy silently broadcasting an (N, 1) column against an
(N,) one into an N x N matrix.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Iterable

import numpy as np

from ..errors import ArgumentError, TrainingError

__all__ = ["data_column", "samples_of_scalars", "check_tolerance", "check_patience",
           "check_seed", "check_callbacks", "asks_to_stop"]


def data_column(values, name: str) -> np.ndarray:
    """``values`` as a float64 array of samples: real, finite numbers.

    Raises:
        TrainingError: text, complex or non-finite values (the first bad sample
            is named), numbers beyond float64, or a single number.
    """
    kind = np.asarray(values).dtype.kind if not _is_array_like_of_text(values) else "U"
    if kind in "USV":
        raise TrainingError(f"data for {name!r} must be numbers, got text")
    if kind == "c":
        raise TrainingError(f"data for {name!r} are complex numbers; training uses real "
                            "numbers only (take .real or abs() first if that is meant)")
    try:
        array = np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise TrainingError(f"data for {name!r} hold a number beyond the float64 range") from None
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"data for {name!r} are not numeric: {exc}") from None
    if array.ndim == 0:
        raise TrainingError(f"data for {name!r} must be an array of samples, got a scalar")
    finite = np.isfinite(array)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        index = where[0] if len(where) == 1 else where
        raise TrainingError(f"data for {name!r} hold {array[where]} at sample {index}; "
                            "remove or fill the non-finite values before training")
    return array


def _is_array_like_of_text(values) -> bool:
    return isinstance(values, (list, tuple)) and any(isinstance(v, (str, bytes)) for v in values)


def samples_of_scalars(array: np.ndarray, name: str, model: str) -> np.ndarray:
    """A column for a model of scalar inputs: one number per sample. An (N, 1)
    column is read as N samples; any other shape is refused."""
    if array.ndim == 2 and array.shape[1] == 1:
        return array[:, 0]
    if array.ndim != 1:
        raise TrainingError(
            f"data for {name!r} have shape {array.shape}, but {model!r} takes one number "
            "per sample, an array of shape (N,); for several features per sample declare "
            "the input a vector, e.g. Expression(..., shapes={'x': [3]})")
    return array


def check_tolerance(tolerance) -> float | None:
    """None, or a finite non-negative number."""
    if tolerance is None:
        return None
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) \
            or not math.isfinite(tolerance) or tolerance < 0:
        raise ArgumentError(f"tolerance must be a finite number >= 0 (or None), got {tolerance!r}")
    return float(tolerance)


def check_patience(patience) -> int:
    """A positive whole number of epochs."""
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
        raise ArgumentError(f"patience must be a positive integer (epochs), got {patience!r}")
    return int(patience)


def check_seed(seed) -> int | None:
    """None, or a non-negative whole number (what NumPy's generators take)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ArgumentError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def check_callbacks(callbacks) -> tuple[Callable, ...]:
    """None or an iterable of callables, as a tuple."""
    if callbacks is None:
        return ()
    if callable(callbacks):
        callbacks = (callbacks,)
    if not isinstance(callbacks, Iterable):
        raise ArgumentError(f"callbacks must be a list of functions, got "
                            f"{type(callbacks).__name__}")
    callbacks = tuple(callbacks)
    for callback in callbacks:
        if not callable(callback):
            raise ArgumentError(f"callbacks must be functions f(epoch, history), got "
                                f"{callback!r}")
    return callbacks


def asks_to_stop(answer) -> bool:
    """A callback's answer: True (Python's or NumPy's) stops training."""
    return isinstance(answer, (bool, np.bool_)) and bool(answer)
