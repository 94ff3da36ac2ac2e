"""Running NumPy code while recording floating-point trouble, cheaply.

Generated array code runs with NumPy's error handling set to *call* a
recorder instead of warning: trouble in an intermediate that does not reach
the result (the branch a ``where`` does not take, ``exp(-x**2)`` underflowing)
stays silent, and the evaluator decides from the recorded kinds and the
result whether to warn. ``np.errstate`` builds its settings object on every
entry (about 1 us, most of the cost of a small call), so the settings are
built once and installed directly where NumPy allows it.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["run_recording", "PYTHON_FLOAT_FAILURES"]

# what Python's float code raises where NumPy's gives inf or nan (with a flag):
# the scalar paths hand such a call to the array code
PYTHON_FLOAT_FAILURES = (OverflowError, ValueError, ZeroDivisionError, TypeError)


class _Recorded(threading.local):
    def __init__(self):
        self.kinds: list = []


_RECORDED = _Recorded()


def _record(kind: str, flag: int) -> None:
    _RECORDED.kinds.append(kind)


try:   # NumPy 2: the error settings live in a context variable
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
except ImportError:   # older NumPy: the public context manager
    _extobj_contextvar = None
else:
    _SETTINGS = _make_extobj(all="call", call=_record)
    _install, _uninstall = _extobj_contextvar.set, _extobj_contextvar.reset


def run_recording(function, args) -> tuple:
    """``(function(*args), kinds)``: the result and the set of floating-point
    error kinds ("overflow", "invalid", ...) raised while computing it.

    The settings are installed in this frame (no helper call): on a
    1-element array this wrapper is most of ``Expression.eval``'s own cost."""
    kinds = _RECORDED.kinds
    start = len(kinds)
    if _extobj_contextvar is None:
        with np.errstate(all="call", call=_record):
            result = function(*args)
    else:
        token = _install(_SETTINGS)
        try:
            result = function(*args)
        finally:
            _uninstall(token)
    if len(kinds) == start:
        return result, ()
    raised = set(kinds[start:])
    del kinds[start:]
    return result, raised
