"""NumPy's exp, expm1, log, log1p, tanh, cosh and sinh, or a compiled loop of
:mod:`._loop_math`'s versions where that is faster on this machine.

Where NumPy has no SIMD version of a function for the CPU (float64 exp, log,
tanh... below AVX-512), its ufunc calls the C library one element at a time:
on the AMD EPYC of the benchmarks np.tanh takes 19 ns per element and np.exp
10, where a loop of ``_loop_math``'s versions, which LLVM vectorises, takes 2
to 4 (2x faster for log, 4.5x for exp, 5.3x for tanh, 6.6x for expm1). Every
NumPy-path formula pays this: a network's forward pass, the ten tanh of a deep
chain's value and gradients, a formula whose compiled loop (``_jit``) is not
used.

The NumPy code generated for a formula calls these functions through a
:class:`FastMath`, which follows ``_jit``'s policy: it calls the ufunc and
counts its time on arrays of ``MIN_ELEMENTS`` or more; once that reaches
``$NEUROGEBRA_JIT_AFTER`` seconds (default 1), from its second call on and
when no other loop is compiling (``_jit.claim``), it compiles its loop in a
background thread, for one signature that read-only arrays take too, checks
it against ``_loop_math``'s function compiled alone on a sweep of the float
range, times its first calls (whole, allocation included) and keeps it only
at ``_GAIN`` of NumPy's best time per element or less (with AVX-512, NumPy's
own SIMD versions may stay). Its values are ``_loop_math``'s (exp within 0.6
ulp, tanh 2.7, the others about 1, where the C library's are within 1). The
elements of a result that are not finite are computed again by NumPy, whose
values, flags and warnings count there (an underflow to 0 raises no flag in
the loop). ``NEUROGEBRA_JIT=off`` (or no numba) leaves the ufuncs in code
generated from then on, and builds no loop (reading the variable costs 1.3 us,
so a loop already in use is not asked again at every call).
"""

from __future__ import annotations

import time

import numpy as np

from . import _jit

__all__ = ["FastMath", "faster", "compiled_math_status", "MIN_ELEMENTS"]

MIN_ELEMENTS = 1024   # below, the loop's call (about 3 us with its checks) is not paid back
_F64 = np.dtype(np.float64)


class FastMath(_jit.BackgroundLoop):
    """``ufunc(x, out=None)`` by NumPy, or by a compiled loop once it is faster."""

    writes_out = True     # (for code generation: it takes ``out=`` as the ufunc does)

    def __init__(self, ufunc: np.ufunc):
        super().__init__()
        self.ufunc = ufunc
        self.__name__ = ufunc.__name__   # (and of its substitute in _loop_math)

    def __call__(self, x, out=None):
        if type(x) is not np.ndarray or x.dtype is not _F64 or x.size < MIN_ELEMENTS:
            return self.ufunc(x) if out is None else self.ufunc(x, out=out)
        loop = self.loop
        if loop is not None and x.flags.c_contiguous and (out is None or (
                type(out) is np.ndarray and out.dtype is _F64 and out.shape == x.shape
                and out.flags.c_contiguous and out.flags.writeable and
                (out is x or not np.may_share_memory(x, out)))) and not self._numpy_turn():
            return self._looped(loop, x, out)
        if self.status not in ("counting", "judging"):
            return self.ufunc(x) if out is None else self.ufunc(x, out=out)
        start = time.perf_counter()
        result = self.ufunc(x) if out is None else self.ufunc(x, out=out)
        # from the second call on: a formula evaluated once so far gets its own loop
        # first (its evaluator asks right after the call that counted here)
        if self._numpy_timed(time.perf_counter() - start, x.size, _jit._after()):
            self._start()
        return result

    def _looped(self, loop, x, out):
        """The loop's values, in ``out`` if given (over ``x`` once they are in);
        the elements that are not finite (an overflow, a nan) NumPy's, with its
        flags and warnings."""
        start = time.perf_counter()
        result = np.empty_like(x) if out is None or out is x else out
        flat = result.reshape(-1)
        if loop(x.reshape(-1), flat):
            redo = np.flatnonzero(~np.isfinite(flat))
            flat[redo] = self.ufunc(x.reshape(-1)[redo])
        if out is x:
            np.copyto(x, result)
            result = x
        self._timed(time.perf_counter() - start, x.size)
        return result

    def _built(self):
        """The loop, compiled for the arrays it takes and checked, or None."""
        try:
            from . import _loop_math    # (imports numba)
            element = _jit._kernel(getattr(_loop_math, self.__name__))
            loop = _jit._loop(element, (True,))
            _jit._one_signature(loop, (True,))
            same = _jit._same_values(loop, element, (True,), [_jit._sweep(1)])
        except Exception:   # numba cannot build it here: NumPy it stays
            return None
        return loop if same >= _jit._COMPARED else None

    def __reduce__(self):   # (a formula's code sent to a dask worker: that process's own)
        return faster, (self.ufunc,)

    def __repr__(self):
        return f"FastMath({self.__name__}, {self.status})"


_FAST = {ufunc: FastMath(ufunc)
         for ufunc in (np.exp, np.expm1, np.log, np.log1p, np.tanh, np.cosh, np.sinh)}


def faster(kernel):
    """The :class:`FastMath` of ``kernel`` where there is one and loops may be
    compiled here, else ``kernel`` itself."""
    fast = _FAST.get(kernel) if isinstance(kernel, np.ufunc) else None
    return fast if fast is not None and _jit.available() else kernel


def compiled_math_status() -> dict[str, str]:
    """Where each function stands, by name: ``"counting"`` (NumPy's, its time
    counted), ``"compiling"``, ``"judging"`` (its first calls timed), ``"ready"``
    (the loop is in use), ``"slower"`` or ``"failed"`` (NumPy's for good)."""
    return {fast.__name__: fast.status for fast in _FAST.values()}
