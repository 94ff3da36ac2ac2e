"""The current param values of one Expression: a dict that refuses typos (and
wrong shapes)."""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping

import numpy as np

from ..errors import ParameterError, did_you_mean

__all__ = ["Params", "shaped_value"]


class Params(dict):
    """Current param values of one Expression.

    Values may be changed (``expr.params["alpha"] = 0.2``) and ``eval`` uses
    them at once; names cannot be added or removed, and values must be real
    numbers, so a typo is an error instead of a silently ignored entry. A
    vector or matrix param (one of ``shapes``) holds a read-only float64 array
    of its declared shape, or a number that fills it.
    """

    def __init__(self, values: Mapping[str, Any] = (), owner: str = "expression",
                 shapes: Mapping[str, tuple] | None = None):
        super().__init__()
        self._owner = owner
        self._shapes = dict(shapes or {})
        for name, value in _as_mapping(values, owner).items():
            super().__setitem__(name, self._checked(name, value))

    def __setitem__(self, name, value):
        if name not in self:
            raise ParameterError(
                f"{self._owner} has no param named {name!r}.{did_you_mean(name, self)} "
                f"Params: {', '.join(self) or '(none)'}")
        super().__setitem__(name, self._checked(name, value))

    def _checked(self, name, value):
        if name in self._shapes:
            return shaped_value(name, value, self._owner, self._shapes[name])
        return _param_value(name, value, self._owner)

    def update(self, values: Mapping[str, Any] = (), /, **more):
        """Set several params at once; every name must exist already."""
        for name, value in {**_as_mapping(values, self._owner), **more}.items():
            self[name] = value

    def _refuse(self, *args, **kwargs):
        raise ParameterError(f"the params of {self._owner} cannot be added or removed; "
                             "build a new Expression instead")

    __delitem__ = pop = popitem = clear = setdefault = _refuse

    def __reduce__(self):
        return Params, (dict(self), self._owner, self._shapes)

    def __deepcopy__(self, memo):
        return Params(dict(self), self._owner, self._shapes)


def shaped_value(name: str, value, owner: str, shape: tuple):
    """A vector or matrix param's value: a finite number, or a read-only float64
    array whose shape fits ``shape`` (integers fixed, named sizes any)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _param_value(name, value, owner)
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"param {name!r} of {owner} must be a number or an array of "
                             f"shape {_text(shape)}, got {type(value).__name__}") from None
    fits = array.ndim == len(shape) and all(
        not isinstance(d, int) or d == n for d, n in zip(shape, array.shape))
    if not fits:
        raise ParameterError(f"param {name!r} of {owner} is declared with shape {_text(shape)}, "
                             f"got an array of shape {array.shape}")
    if not np.isfinite(array).all():
        raise ParameterError(f"param {name!r} of {owner} must be finite everywhere")
    array.flags.writeable = False
    return array


def _as_mapping(values, owner: str) -> dict:
    if isinstance(values, Mapping):
        return dict(values)
    try:   # pairs, as dict() takes them
        return dict(values)
    except (TypeError, ValueError):
        raise ParameterError(f"the params of {owner} must be a mapping of names to values, "
                             f"got {type(values).__name__}") from None


def _text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _param_value(name: str, value, owner: str) -> float:
    if type(value) is float and value - value == 0.0:   # the common case, finite
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(
            f"param {name!r} of {owner} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:
        raise ParameterError(f"param {name!r} of {owner} is beyond the float64 range "
                             "(about 1.8e308)") from None
    if not math.isfinite(value):
        raise ParameterError(f"param {name!r} of {owner} must be finite, got {value}")
    return value
