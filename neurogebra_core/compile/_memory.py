"""Reusing freed memory between evaluations of large arrays (glibc's malloc).

A value with its partials on 1e5 points keeps some fifty arrays of 800 kB
alive at once. When they are freed, glibc gives the top of its heap back to
the system once more than twice its mmap threshold is free there (its
default is a few hundred kB for arrays of this size), so the next call gets
fresh pages, and the system zeroes every one on first touch: about ten
thousand page faults per call, measured as two thirds of its time (15.8 ms
against 4.9 ms; ``benchmarks/bench_gradients.py``). JAX and PyTorch keep
their own pools; NumPy asks malloc each time.

So, on the first evaluation of a large array, neurogebra sets glibc's
thresholds to what glibc itself moves them to after freeing one array of
32 MB: arrays below 32 MB come from the heap, and up to 64 MB of freed heap
is kept for reuse instead of given back. Larger arrays are still mapped and
unmapped on their own. Nothing is changed:

* when ``NEUROGEBRA_MALLOC=system``;
* when the process was started with glibc's own settings
  (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TOP_PAD_``;
  a dask worker's nanny sets the first to give memory back promptly);
* where the C library has no ``mallopt`` (not glibc).
"""

from __future__ import annotations

import ctypes
import math
import os
import threading

__all__ = ["keep_freed_memory", "LARGE", "ENV_MALLOC"]

ENV_MALLOC = "NEUROGEBRA_MALLOC"
LARGE = 65_536                       # elements (512 kB): where malloc maps instead of reusing
MMAP_THRESHOLD = 32 * 1024 * 1024    # glibc's largest dynamic mmap threshold (64-bit)
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc pairs with it
_GLIBC_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # mallopt's parameter numbers (malloc.h)

_decided: bool | None = None          # None: not decided yet; then whether they were set
_lock = threading.Lock()


def keep_freed_memory(shape: tuple) -> bool | None:
    """Before evaluating a result of ``shape``: from ``LARGE`` elements on, set
    glibc's thresholds once (see the module's docstring). Whether they are set
    (None: not decided yet, the arrays so far were small)."""
    global _decided
    if _decided is None and math.prod(shape) >= LARGE:
        with _lock:
            if _decided is None:
                _decided = _apply()
    return _decided


def _apply() -> bool:
    if os.environ.get(ENV_MALLOC, "").strip().lower() == "system" or \
            any(name in os.environ for name in _GLIBC_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):   # not glibc: macOS, Windows, musl
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
