"""The current param values of one Expression: a dict that refuses typos."""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping

from ..errors import ParameterError, did_you_mean

__all__ = ["Params"]


class Params(dict):
    """Current param values of one Expression.

    Values may be changed (``expr.params["alpha"] = 0.2``) and ``eval`` uses
    them at once; names cannot be added or removed, and values must be real
    numbers, so a typo is an error instead of a silently ignored entry.
    """

    def __init__(self, values: Mapping[str, Any] = (), owner: str = "expression"):
        super().__init__()
        self._owner = owner
        for name, value in dict(values).items():
            super().__setitem__(name, _param_value(name, value, owner))

    def __setitem__(self, name, value):
        if name not in self:
            raise ParameterError(
                f"{self._owner} has no param named {name!r}.{did_you_mean(name, self)} "
                f"Params: {', '.join(self) or '(none)'}")
        super().__setitem__(name, _param_value(name, value, self._owner))

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def _refuse(self, *args, **kwargs):
        raise ParameterError(f"the params of {self._owner} cannot be added or removed; "
                             "build a new Expression instead")

    __delitem__ = pop = popitem = clear = setdefault = _refuse

    def __reduce__(self):
        return Params, (dict(self), self._owner)

    def __deepcopy__(self, memo):
        return Params(dict(self), self._owner)


def _param_value(name: str, value, owner: str) -> float:
    if type(value) is float and value - value == 0.0:   # the common case, finite
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(
            f"param {name!r} of {owner} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"param {name!r} of {owner} must be finite, got {value}")
    return value
