"""Evaluating large arrays in cache-sized blocks, on every core.

A compiled NumPy function applied to a whole array of a million elements
writes every intermediate result as another array of a million elements: the
data goes to main memory and back once per operation, and one core works.
Applied block by block instead, the intermediates of a block stay in the
core's cache, main memory sees each input and the output once, and the
blocks are shared between threads (NumPy releases the GIL inside its loops).
The values are the same, operation for operation: the formulas evaluated
this way are elementwise.

Blocks are used when every input either has the result's shape (laid out
contiguously) or is a single number; other broadcasting shapes run as one
call. ``NEUROGEBRA_THREADS`` caps the threads (default: the cores this
process may use).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

from ._float_errors import run_recording

__all__ = ["blockable", "run_in_blocks", "thread_count", "BLOCK", "MIN_SIZE", "MIN_OPERATIONS",
           "ENV_THREADS"]

BLOCK = 131_072          # elements (1 MB): a block's temporaries stay in a core's cache
MIN_SIZE = 4 * BLOCK     # below this, one call is as fast (measured: benchmarks/bench_builtins.py)
_PER_THREAD = BLOCK      # elements a thread should have to be worth waking
MIN_OPERATIONS = 3       # on one thread, fewer run as one call (measured: tanh, x*y + x)
ENV_THREADS = "NEUROGEBRA_THREADS"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def thread_count() -> int:
    """The threads large evaluations use: ``$NEUROGEBRA_THREADS`` or the usable cores."""
    value = os.environ.get(ENV_THREADS, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def blockable(arrays: Sequence, shape: tuple, operations: int = MIN_OPERATIONS) -> bool:
    """Whether a function of ``operations`` array operations pays for being
    evaluated block by block on ``arrays``, cut along their flattened result ``shape``.

    On one thread a block's result is copied into the output, which costs more
    than the cache saves for a formula of one or two operations (``tanh(x)``).
    """
    if math.prod(shape) < MIN_SIZE:   # (math.prod: np.prod costs microseconds on a tuple)
        return False
    if operations < MIN_OPERATIONS and thread_count() == 1:
        return False
    return all(not isinstance(a, np.ndarray) or a.size == 1
               or (a.shape == shape and a.flags.c_contiguous) for a in arrays)


def run_in_blocks(function: Callable, arrays: Sequence, shape: tuple) -> tuple:
    """``(function(*arrays), error kinds)`` computed block by block into a new
    float64 array, the floating-point error kinds of every thread together."""
    flat = [a.reshape(-1) if isinstance(a, np.ndarray) and a.size > 1 else
            (a.reshape(()) if isinstance(a, np.ndarray) else a) for a in arrays]
    out = np.empty(shape, dtype=np.float64)
    target = out.reshape(-1)
    size = target.size
    threads = max(1, min(thread_count(), size // _PER_THREAD))
    bounds = [size * i // threads for i in range(threads + 1)]

    def work(start: int, stop: int) -> set:
        kinds: set = set()
        for first in range(start, stop, BLOCK):
            part = slice(first, min(first + BLOCK, stop))
            values, raised = run_recording(
                function, [a[part] if getattr(a, "ndim", 0) else a for a in flat])
            target[part] = values
            kinds.update(raised)
        return kinds

    if threads == 1:
        return out, work(0, size)
    futures = [_executor().submit(work, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    kinds = work(bounds[0], bounds[1])
    for future in futures:
        kinds |= future.result()
    return out, kinds


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, thread_count() - 1),
                                       thread_name_prefix="neurogebra")
        return _pool
