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
call. Work that keeps nothing in the cache between operations (a formula of
one operation, a compiled loop) is cut into a few larger blocks per thread
instead (see :func:`run_in_blocks`). ``NEUROGEBRA_THREADS`` caps the threads
(default: the cores this process may use).
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

from ._float_errors import run_recording

__all__ = ["blockable", "filled", "fusable", "run_fused", "splittable", "run_in_blocks",
           "thread_count", "BLOCK", "MIN_SIZE", "MIN_OPERATIONS", "MEMORY_BOUND",
           "PER_THREAD_SPLIT", "LOOP_PARTS", "ENV_THREADS"]

BLOCK = 131_072          # elements (1 MB): a block's temporaries stay in a core's cache
MIN_SIZE = 4 * BLOCK     # below this, one call is as fast (measured: benchmarks/bench_builtins.py)
_PER_THREAD = BLOCK      # elements a thread should have to be worth waking
_FILL_PER_THREAD = 750_000   # the same, to write one number (see filled)
MIN_OPERATIONS = 3       # fewer run as one call (see blockable)
# Functions whose one NumPy pass costs about as much as moving the data through
# memory: a second thread does not make them faster, and the blocks' copy makes
# them slower (measured on 1e6 elements: exp 0.73 ms in one call against 0.81 in
# blocks on two threads, abs 0.57 against 0.72; tanh 1.63 against 1.21, erf 12.8
# against 6.8). A call of any other function makes a formula heavy.
MEMORY_BOUND = frozenset({"abs", "sign", "max", "min", "heaviside", "relu", "_clip", "_shrink",
                          "_indicator", "_fmin", "_fmax", "exp", "log", "cosh", "sinh",
                          "sqrt"})
LOOP_PARTS = 4           # blocks per thread for a compiled loop (see run_in_blocks)
PER_THREAD_SPLIT = 16_384   # value and partials together: a thread's share at least
ENV_THREADS = "NEUROGEBRA_THREADS"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def thread_count() -> int:
    """The threads large evaluations use: ``$NEUROGEBRA_THREADS`` or the cores this
    process could use when first asked (asking the system costs 5 us a call)."""
    value = os.environ.get(ENV_THREADS, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return _usable_cores()


@functools.lru_cache(maxsize=1)
def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def splittable(arrays: Sequence, shape: tuple) -> bool:
    """Whether the value and partials of a formula (dozens of operations per
    element) on ``arrays`` are worth sharing between threads: from
    ``2*PER_THREAD_SPLIT`` elements, on more than one core, inputs laid out as
    :func:`blockable` needs them."""
    return math.prod(shape) >= 2 * PER_THREAD_SPLIT and thread_count() > 1 and \
        _contiguous(arrays, shape)


def blockable(arrays: Sequence, shape: tuple, operations: int = MIN_OPERATIONS,
              heavy: bool = False, comparisons: int = 0, into: bool = False) -> bool:
    """Whether a function of ``operations`` float array operations (and
    ``comparisons`` on arrays: comparisons, boolean logic, 0/1 masks) pays for
    being evaluated block by block on ``arrays``, cut along their flattened
    result ``shape``.

    On one thread, a formula of one or two float operations (``relu(x)``,
    ``x*y + x``, ``(y_pred > y_true) - tau``) runs as one call: the cache saves
    less than the blocks cost. On several threads, every formula whose last
    operation writes ``into`` the output (see ``_into``) is shared: nothing is
    copied, and the threads share even a memory-bound pass (measured on 1e6
    elements: ``(y_pred - y_true)**2`` 1.40 ms in one call, 0.99 in blocks; relu's
    slope 0.96 against 0.72). Otherwise each block's result is copied into the
    output, which pays for itself from three operations, or one ``heavy``
    operation (``tanh(x)``); comparisons count as work to share.
    """
    if math.prod(shape) < MIN_SIZE:   # (math.prod: np.prod costs microseconds on a tuple)
        return False
    if not (operations or comparisons or heavy):   # a constant: no work to share
        return False
    if thread_count() == 1:
        if operations < MIN_OPERATIONS:
            return False
    elif operations + comparisons < MIN_OPERATIONS and not heavy and not into:
        return False
    return _contiguous(arrays, shape)


def fusable(arrays: Sequence, shape: tuple) -> tuple | None:
    """The argument kinds (True: an array, False: a number) of a call a compiled
    loop (``_jit``) could make on ``arrays`` (the caller has checked there are
    ``MIN_SIZE`` elements or more), or None: not laid out as :func:`blockable`
    needs them."""
    if not _contiguous(arrays, shape):
        return None
    return tuple(isinstance(a, np.ndarray) and a.size > 1 for a in arrays)


def run_fused(loop: Callable, arrays: Sequence, shape: tuple, redo: Callable) -> tuple:
    """``(result, error kinds)``: ``loop`` (``loop(*arguments, out)``, returning
    how many results are not finite) run block by block on every core into a
    new array, in ``LOOP_PARTS`` blocks per thread (a loop keeps no temporaries
    in the cache). In a block with results that are not finite, those elements
    are computed again by ``redo(arguments of those elements)``, which returns
    ``(values, error kinds)`` and must run on the calling thread (it may be one
    of the pool's: one that waited for the pool would wait for itself).
    Numbers are passed as NumPy floats: NumPy's code then divides a number by 0
    as it divides an array, into inf with a warning."""
    arguments = [a if isinstance(a, np.ndarray) and a.size > 1 else
                 np.float64(a.reshape(-1)[0] if isinstance(a, np.ndarray) else a)
                 for a in arrays]
    redone: set = set()

    def into(*block):
        out = block[-1]
        if loop(*block):
            where = np.flatnonzero(~np.isfinite(out))
            values, kinds = redo([a[where] if isinstance(a, np.ndarray) else a
                                  for a in block[:-1]])
            out[where] = values
            redone.update(kinds)
        return out

    result, _ = run_in_blocks(None, arguments, shape, into=into, parts_per_thread=LOOP_PARTS)
    return result, redone


def filled(value: np.ndarray, shape: tuple) -> np.ndarray | None:
    """A new float64 array of ``shape`` holding ``value`` (one number, or an array
    of that shape laid out contiguously) written on every core, or None where that
    does not pay (a small array, one core). Even a copy, all memory traffic, goes
    faster on two (1e6 elements: 0.40 ms against 0.57 for ``np.copy``).

    Each thread copies one equal part: a copy has no temporaries to keep in the
    cache and raises no floating-point errors, and blocks with their error
    recording cost a third (1e6 elements: 0.26 ms in halves, 0.37 in blocks).
    One number is written by one thread up to ``2*_FILL_PER_THREAD`` elements: a
    fill only writes, as fast as one core's stores go while the memory stays in
    the cache (np.ones on 1e6 elements: 0.145 ms; in halves on two threads 0.17
    to 0.26, the second thread waking late; on 1.5e6, 0.18 against 0.22)."""
    size = math.prod(shape)
    if size < MIN_SIZE or thread_count() == 1 or \
            not (value.ndim == 0 or _contiguous([value], shape)):
        return None
    threads = min(thread_count(), size // (_FILL_PER_THREAD if value.size == 1 else _PER_THREAD))
    if threads < 2:
        return None
    result = np.empty(shape, dtype=np.float64)
    target, source = result.reshape(-1), value.reshape(-1) if value.size > 1 else value.reshape(())
    bounds = [size * i // threads for i in range(threads + 1)]
    parts = [slice(start, end) for start, end in zip(bounds, bounds[1:])]
    futures = [_executor().submit(_copy_part, source, target, part) for part in parts[1:]]
    _copy_part(source, target, parts[0])
    for future in futures:
        future.result()
    return result


def _copy_part(source, target: np.ndarray, part: slice) -> None:
    np.copyto(target[part], source[part] if source.ndim else source)


def _contiguous(arrays: Sequence, shape: tuple) -> bool:
    """Whether every input is one number or laid out contiguously in ``shape``."""
    return all(not isinstance(a, np.ndarray) or a.size == 1
               or (a.shape == shape and a.flags.c_contiguous) for a in arrays)


def run_in_blocks(function: Callable | None, arrays: Sequence, shape: tuple,
                  outputs: int | None = None, per_thread: int = _PER_THREAD,
                  into: Callable | None = None, parts_per_thread: int | None = None) -> tuple:
    """``(function(*arrays), error kinds)`` computed block by block into a new
    float64 array, the floating-point error kinds of every thread together.

    With ``outputs``, ``function`` returns that many values (numbers or arrays
    of the block's shape) and the result is a list of arrays. ``into(*block,
    out)`` (by default the function's ``into``) writes a block's result into
    ``out`` itself, where there is one output. Each thread gets
    at least ``per_thread`` elements. The threads claim the blocks one at a
    time, so one woken late, or slowed, takes fewer.

    ``parts_per_thread``: for a function with no temporaries to keep in the
    cache (one operation written into the output, a compiled loop), the array is
    cut into this many equal blocks per thread instead (fewer where they would be
    under ``BLOCK``): each block costs its Python bookkeeping, and the GIL handed from
    thread to thread. On two cores, ``-y`` on 1e6 elements took 0.25 ms in one
    part per thread against 0.30 in cache-sized blocks (1e7: 7.5 against 8.4
    ms); compiled loops on 1e7 elements 12% to 20% less in four blocks per thread
    (gaussian 10.4 against 11.9 ms, huber 9.2 against 10.1), as fast as in one
    part each, and a thread woken late still takes fewer of them.
    """
    flat = [a.reshape(-1) if isinstance(a, np.ndarray) and a.size > 1 else
            (a.reshape(()) if isinstance(a, np.ndarray) else a) for a in arrays]
    results = [np.empty(shape, dtype=np.float64) for _ in range(outputs or 1)]
    targets = [result.reshape(-1) for result in results]
    size = targets[0].size
    threads = max(1, min(thread_count(), size // per_thread))
    if parts_per_thread is None:
        bounds = [*range(0, size, min(BLOCK, -(-size // threads))), size]
    else:   # equal blocks, none under BLOCK
        count = max(1, min(threads * parts_per_thread, size // BLOCK))
        bounds = [size * i // count for i in range(count + 1)]
    claim = itertools.count()   # next() is atomic

    if into is None and not outputs:
        into = getattr(function, "into", None)

    def work() -> set:
        kinds: set = set()
        while (index := next(claim)) < len(bounds) - 1:
            part = slice(bounds[index], bounds[index + 1])
            block = [a[part] if getattr(a, "ndim", 0) else a for a in flat]
            if into is not None:   # the last operation writes into the output itself
                _, raised = run_recording(into, [*block, targets[0][part]])
                kinds.update(raised)
                continue
            values, raised = run_recording(function, block)
            for target, value in zip(targets, values if outputs else (values,)):
                target[part] = value
            kinds.update(raised)
        return kinds

    futures = [_executor().submit(work) for _ in range(threads - 1)]
    kinds = work()
    for future in futures:
        kinds |= future.result()
    return (results if outputs else results[0]), kinds


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, thread_count() - 1),
                                       thread_name_prefix="neurogebra")
        return _pool
