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
kept at ``_jit._GAIN`` of NumPy's best time per sample or less.

A batch with a result that is not finite, arrays that are not the loop's
(another layout, lengths that differ) or numbers that are not floats are
left to the NumPy means, whose values, warnings and errors the Trainer
reports. Without numba, or with ``NEUROGEBRA_JIT=off``, the NumPy means are
called and nothing else happens.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np

from . import _jit
from ._compiler_warnings import confined
from ._float_errors import PYTHON_FLOAT_FAILURES

__all__ = ["FusedMeans"]

_F64 = np.dtype(np.float64)
ROWS = 65_536   # samples whose outputs one call of the loop writes (k rows of 512 kB)


class FusedMeans:
    """``means(*arguments)`` -> the mean of each output over the batch, by
    NumPy's code or, once it is faster, by a compiled loop.

    Args:
        numpy_means: The generated NumPy means (a tuple of floats).
        scalar: Builds the scalar code of the same outputs (Python floats in,
            a tuple out); called in the compiling thread.
        outputs: How many outputs there are.
    """

    def __init__(self, numpy_means: Callable, scalar: Callable[[], Callable], outputs: int):
        self.numpy_means = numpy_means
        self._build_scalar = scalar
        self.outputs = outputs
        self.status = "counting"   # -> "compiling" -> "judging" -> "ready" | "failed" | "slower"
        self.loop = None
        self.kinds: tuple | None = None   # which arguments are arrays (the first call's)
        self.spent = 0.0
        self.calls = 0
        self.numpy_rate = float("inf")    # NumPy's best seconds per sample
        self.loop_rates: list[float] = []
        self.done = threading.Event()

    def __call__(self, *arguments):
        loop = self.loop
        if loop is not None:
            means = self._looped(loop, arguments)
            if means is not None:
                return means
        if self.status != "counting":
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
        if self.status == "judging" and not _jit.compiling():
            self._judge(time.perf_counter() - start, size)
        return means

    def _count(self, seconds: float, arguments) -> None:
        """Count NumPy's time; compile once it reaches the threshold."""
        kinds = self.kinds
        if kinds is None:
            kinds = self.kinds = _kinds(arguments)
        size = _batch_size(arguments, kinds)
        if size is None:   # arguments no loop would take: never compiled
            return
        self.spent += seconds
        self.calls += 1
        self.numpy_rate = min(self.numpy_rate, seconds / size)
        if self.spent < _jit._after() or self.calls < 2 or not _jit.available():
            return
        with _jit._lock:
            if self.status != "counting" or not _jit.claim():
                return
            self.status = "compiling"
        sample = [a[:_jit._SAMPLE].copy() if array else a for a, array in zip(arguments, kinds)]
        threading.Thread(target=self._compile, args=(sample,), daemon=True,
                         name=_jit._THREAD).start()

    def _compile(self, sample: list) -> None:
        try:
            with confined():    # numba's warning handling stays in this thread
                loop = self._built(sample)
            with _jit._lock:
                self.loop = loop
                self.status = "judging" if loop is not None else "failed"
        finally:
            _jit.release(self.done)

    def _built(self, sample: list):
        """The loop, compiled and checked, or None."""
        try:
            scalar = self._build_scalar()
            from numba import types
            element = _jit._jitted(scalar)
            loop = _rows_loop(element, self.kinds, self.outputs)
            array = types.Array(types.float64, 1, "C", readonly=True)
            loop.compile(tuple(array if kind else types.float64 for kind in self.kinds)
                         + (types.float64[:, ::1],))
            loop.disable_compile()
            reference = _jit._with_loop_math(scalar, {})
            sweep = [_jit._sweep(i) if array else 0.5 + i for i, array in enumerate(self.kinds)]
            same = _same_rows(loop, reference, self.kinds, self.outputs, sweep)
            if same < _jit._COMPARED or _same_rows(loop, reference, self.kinds, self.outputs,
                                                   sample) < 0:
                return None
        except Exception:   # numba cannot build it here: NumPy's means stay
            return None
        return loop

    def _judge(self, seconds: float, size: int) -> None:
        with _jit._lock:
            if self.status == "judging" and _jit.tried(self, seconds, size) and \
                    self.loop is not None:
                self.status = "ready"

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
            if type(a) is not np.ndarray or a.dtype is not _F64 or a.ndim != 1 or \
                    not a.flags.c_contiguous or (size is not None and a.shape[0] != size):
                return None
            size = a.shape[0]
        elif not isinstance(a, float):   # (np.float64 is one)
            return None
    return size if size else None


def _rows_loop(element, kinds: tuple, outputs: int):
    """``loop(*arguments, rows) -> count of samples with an output not finite``:
    row k of ``rows`` gets output k of every sample."""
    names = [f"a{i}" for i in range(len(kinds))]
    values = [f"v{k}" for k in range(outputs)]
    reads = [f"{n}[i]" if array else n for n, array in zip(names, kinds)]
    source = "\n".join([
        f"def loop({', '.join(names)}, rows):",
        "    bad = 0",
        "    for i in range(rows.shape[1]):",
        f"        {', '.join(values)}, = element({', '.join(reads)})",
        *(f"        rows[{k}, i] = {v}" for k, v in enumerate(values)),
        f"        if {' + '.join(f'({v} - {v})' for v in values)} != 0.0:",   # inf or nan
        "            bad += 1",
        "    return bad"])
    namespace = {"element": element}
    exec(compile(source, "<neurogebra jit means>", "exec"), namespace)
    return _jit._imported().njit(namespace["loop"], nogil=True, error_model="numpy")


def _same_rows(loop, scalar, kinds: tuple, outputs: int, columns: list) -> int:
    """How many samples' outputs ``loop`` and the scalar code (run by Python with
    the loop's math functions) both give as finite floats on ``columns``, or -1
    if one differs (a zero's sign aside). Samples with an output not finite are
    the NumPy means' (the loop hands the batch back)."""
    size = columns[kinds.index(True)].shape[0]
    rows = np.empty((outputs, size))
    loop(*columns, rows)
    got_rows = rows.T.tolist()
    compared = 0
    for i, got in enumerate(got_rows):
        sample = [float(c[i]) if array else c for c, array in zip(columns, kinds)]
        try:
            want = [float(v) for v in scalar(*sample)]
        except PYTHON_FLOAT_FAILURES:
            continue
        if all(v - v == 0.0 for v in want + got):
            compared += 1
            if want != got:
                return -1
    return compared
