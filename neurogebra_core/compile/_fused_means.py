"""A training step's means (its loss and gradients over a batch) in one compiled pass.

The NumPy code of a step calls NumPy once per operation: for a logistic
curve on a batch of 1,024 samples, some twenty calls (exp, log1p, the sigmoid's
residual, the products), 50-90 us on the AMD EPYC of the benchmarks, where
the arithmetic itself takes a few. The Trainer's steps are many and small, so
that is all of a fit's time. A :class:`FusedMeans` stands for the NumPy means
(``compile_function(..., with_means=True)``) and follows ``_jit``'s policy:
it counts NumPy's time; once that reaches ``$NEUROGEBRA_JIT_AFTER`` seconds
(default 1), from its second call and when no other loop is compiling, it
compiles in a background thread a loop of the step's *scalar* code (the math
backend's, with ``_loop_math``'s exp, log1p...) that writes every output of
every sample into one array, which NumPy then sums per output (its pairwise
sum, as the NumPy means take it). Before use, the loop must give the values of
that scalar code run by Python on a sweep of the float range and on a sample
of the batch that started the compile; its first calls are timed, and it is
dropped unless it took at most ``_jit._GAIN`` of NumPy's best time per sample.
A loop is compiled once per step code and argument kinds in a process: a new
Trainer of the same model and loss takes it (after its own trials).

A batch with a result that is not finite, arrays that are not the loop's
(another layout, lengths that differ) or numbers that are not floats are
left to the NumPy means, whose values, warnings and errors the Trainer
reports. Without numba, or with ``NEUROGEBRA_JIT=off`` when the step is
compiled, the step has the NumPy means themselves (:func:`means_of`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

import numpy as np

from . import _jit

__all__ = ["FusedMeans", "means_of", "ROWS"]

_F64 = np.dtype(np.float64)
ROWS = 65_536   # samples whose outputs one call of the loop writes (k rows of 512 kB)
_KEPT = 64      # loops kept for new Trainers (least recently used dropped)
_loops: OrderedDict = OrderedDict()   # (step source, kinds) -> checked loop, or None: failed


def means_of(numpy_means: Callable, source: str, scalar: Callable[[], Callable],
             outputs: int) -> Callable:
    """The means a compiled step calls: a :class:`FusedMeans` where loops may be
    compiled, else ``numpy_means`` itself (no counting at each call)."""
    if not _jit.available():
        return numpy_means
    return FusedMeans(numpy_means, source, scalar, outputs)


class FusedMeans(_jit.BackgroundLoop):
    """``means(*arguments)`` -> the mean of each output over the batch, by
    NumPy's code or, once it is faster, by a compiled loop.

    Args:
        numpy_means: The generated NumPy means (a tuple of floats).
        source: Their code (with the arguments' kinds, what a loop is kept by).
        scalar: Builds the scalar code of the same outputs (Python floats in,
            a tuple out); called in the compiling thread.
        outputs: How many outputs there are.
    """

    def __init__(self, numpy_means: Callable, source: str, scalar: Callable[[], Callable],
                 outputs: int):
        super().__init__()
        self.numpy_means = numpy_means
        self.source = source
        self._build_scalar = scalar
        self.outputs = outputs
        self.after = _jit._after()   # (read once: $NEUROGEBRA_JIT_AFTER costs 1 us a read)
        self.kinds: tuple | None = None   # which arguments are arrays (a call's it takes)

    def __call__(self, *arguments):
        loop = self.loop
        if loop is not None and not self._numpy_turn():
            means = self._looped(loop, arguments)
            if means is not None:
                return means
        if self.status not in ("counting", "judging"):
            return self.numpy_means(*arguments)
        start = time.perf_counter()
        means = self.numpy_means(*arguments)
        self._count(time.perf_counter() - start, arguments)
        return means

    def _looped(self, loop, arguments) -> tuple | None:
        """The means by the loop, or None: not its arguments, or a result not
        finite. A large batch goes through in parts of ``ROWS`` samples (their
        rows stay in the cache; each part's sums are added)."""
        start = time.perf_counter()
        kinds = self.kinds
        size = _batch_size(arguments, kinds)
        if size is None:
            return None
        sums = None
        for first in range(0, size, ROWS):
            count = min(ROWS, size - first)
            part = arguments if count == size else \
                [a[first:first + count] if array else a for a, array in zip(arguments, kinds)]
            rows = np.empty((self.outputs, count))
            try:
                if loop(*part, rows):
                    return None
            except TypeError:   # a type the loop was not compiled for (defensive: checked above)
                return None
            part_sums = np.add.reduce(rows, axis=1)
            sums = part_sums if sums is None else sums + part_sums
        means = tuple((sums / size).tolist())
        self._timed(time.perf_counter() - start, size)
        return means

    def _count(self, seconds: float, arguments) -> None:
        """Count NumPy's time (while the loop is judged, pair it with the loop's);
        once it reaches the threshold, take the loop another step of the same code
        compiled (:meth:`_reused`), or compile it."""
        kinds = self.kinds or _kinds(arguments)
        size = _batch_size(arguments, kinds)
        if size is None:   # arguments no loop would take
            return
        self.kinds = kinds
        if not self._numpy_timed(seconds, size, self.after):
            return
        step = max(1, size // _jit._SAMPLE)   # spread over the batch, as _jit.record's
        self._start([a[::step][:_jit._SAMPLE].copy() if array else a
                     for a, array in zip(arguments, kinds)])

    def _reused(self) -> bool:
        key = (self.source, self.kinds)
        if key not in _loops:
            return False
        _loops.move_to_end(key)
        self.loop = _loops[key]
        self.status = "judging" if self.loop is not None else "failed"
        return True

    def _built(self, sample: list):
        """The loop, compiled and checked (or None), kept for the same step's code."""
        loop = self._checked_loop(sample)
        with _jit._lock:
            _loops[(self.source, self.kinds)] = loop
            while len(_loops) > _KEPT:
                _loops.popitem(last=False)
        return loop

    def _checked_loop(self, sample: list):
        try:
            scalar = self._build_scalar()
            loop = _jit._loop(_jit._jitted(scalar), self.kinds, outputs=self.outputs)
            _jit._one_signature(loop, self.kinds, self.outputs)
            sweep = [_jit._sweep(i) if array else 0.5 + i for i, array in enumerate(self.kinds)]
            agrees = _jit._agrees(loop, scalar, self.kinds, sweep, sample, self.outputs)
        except Exception:   # numba cannot build it here: NumPy's means stay
            return None
        return loop if agrees else None

    def __reduce__(self):   # (sent to a dask worker: the NumPy means, as the code it holds)
        return _numpy_means, (self.numpy_means,)

    def __repr__(self):
        return f"FusedMeans({self.outputs} outputs, {self.status})"


def _numpy_means(means: Callable) -> Callable:
    return means


def _kinds(arguments) -> tuple:
    """Which arguments are arrays (True) and which numbers (False)."""
    return tuple(type(a) is np.ndarray for a in arguments)


def _batch_size(arguments, kinds: tuple) -> int | None:
    """The batch's length where every argument is what a loop takes (1-D float64
    arrays laid out contiguously, of one length, where ``kinds`` says arrays;
    floats elsewhere), else None."""
    size = None
    for a, array in zip(arguments, kinds):
        if array:
            if type(a) is not np.ndarray or a.dtype != _F64 or a.ndim != 1 or \
                    not a.flags.c_contiguous or (size is not None and a.shape[0] != size):
                return None
            size = a.shape[0]
        elif not isinstance(a, float):   # (np.float64 is one)
            return None
    return size if size else None
