"""Keeping numba's warning handling inside the thread that compiles.

numba's compiler wraps type inference in ``warnings.catch_warnings(record=True)``
to collect and deduplicate its own warnings. That context swaps the
*process-wide* filters and display hook, so run in the background thread that
compiles a loop (``_jit``) it reaches into the user's threads: a warning raised
there meanwhile (our "divide by zero", say) lands in numba's list instead of the
user's ``pytest.warns`` or ``catch_warnings`` block, and leaving the context
undoes filters those threads set in between (seen: 1 in 3,000 to 1 in 20,000
captured warnings lost while loops compiled).

:func:`confined` marks the current thread as one where numba's
``catch_warnings``, ``simplefilter`` and ``filterwarnings`` change nothing
global: the numba modules that call them get a stand-in for the ``warnings``
module that keeps them local to such a thread and passes every other thread
(and every other name) to the real module. A warning numba itself raises while
compiling then takes the ordinary way, unsorted. A numba whose modules no longer
hold ``warnings`` under that name is left as it is. numba's own import (once per
process, in the first compiling thread) runs code of its modules that may set
filters too, before anything can be installed: that one moment is not covered.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings

__all__ = ["confined", "install"]

_MODULES = ("numba.core.errors", "numba.core.compiler")   # where numba calls catch_warnings
_local = threading.local()


class _ConfinedWarnings:
    """The ``warnings`` module, except in threads marked by :func:`confined`,
    where changing the filters or catching warnings does nothing."""

    def __getattr__(self, name):
        return getattr(warnings, name)

    def catch_warnings(self, *args, record: bool = False, **kwargs):
        if getattr(_local, "confined", False):
            return contextlib.nullcontext([] if record else None)
        return warnings.catch_warnings(*args, record=record, **kwargs)

    def simplefilter(self, *args, **kwargs):
        if not getattr(_local, "confined", False):
            warnings.simplefilter(*args, **kwargs)

    def filterwarnings(self, *args, **kwargs):
        if not getattr(_local, "confined", False):
            warnings.filterwarnings(*args, **kwargs)


_STAND_IN = _ConfinedWarnings()


def install() -> None:
    """Give numba's modules the stand-in (call after importing numba)."""
    for name in _MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "warnings", None) is warnings:
            module.warnings = _STAND_IN


@contextlib.contextmanager
def confined():
    """Within this block, numba's warning handling in this thread stays in it."""
    outer = getattr(_local, "confined", False)
    _local.confined = True
    try:
        yield
    finally:
        _local.confined = outer
