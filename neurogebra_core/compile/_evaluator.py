"""Turning keyword arguments into numbers: the hot path of ``Expression.eval``.

An :class:`Evaluator` belongs to one expression. It compiles the expression
lazily (once per backend) and generates a *fast path*: a function
``(values, params) -> result`` for the common call, which the owner keeps
(the one cache of it). On every call names are resolved and checked, and the
call is dispatched:

* all inputs plain Python numbers -> the ``math`` backend, returning ``float``
  (it falls back to NumPy when ``math`` raises, e.g. ``exp(1000)``, so the
  result is the same ``inf``/``nan`` an array would give);
* anything else (lists, arrays, NumPy scalars) -> the ``numpy`` backend in
  float64, broadcast to the inputs' common shape.

Names are checked strictly: a missing variable or an unknown keyword raises
:class:`VariableError` listing the valid names; nothing defaults to 0.
"""

from __future__ import annotations

import functools
import hashlib
import math
import numbers
import time
import warnings
from typing import Mapping, Sequence

import numpy as np
import sympy

from ..errors import EvaluationError, ShapeError, VariableError, did_you_mean
from ..symbolic import symbol
from ._blocks import MIN_SIZE, blockable, filled, fusable, run_fused, run_in_blocks
from ._codegen import compile_function
from ._float_errors import PYTHON_FLOAT_FAILURES, run_recording
from ._jit import FUSED_OPERATIONS, fused_loop, judge, record
from ._jit import available as jit_available
from ._memory import LARGE, keep_freed_memory

__all__ = ["Evaluator"]

_PARAM_FAILURES = (OverflowError, ZeroDivisionError)   # float params in NumPy's code
_F64 = np.dtype(np.float64)
_SMALL = min(LARGE, MIN_SIZE)   # below: one NumPy call (no blocks, loop or malloc settings)


class Evaluator:
    """Compiled, cached evaluation of one SymPy expression."""

    __slots__ = ("expr", "var_names", "param_names", "label", "_nvars",
                 "_scalar", "_array", "_unmasked")

    def __init__(self, expr: sympy.Expr, var_names: Sequence[str],
                 param_names: Sequence[str], label: str):
        self.expr = expr
        self.var_names = tuple(var_names)
        self.param_names = tuple(param_names)
        self.label = label
        self._nvars = len(self.var_names)
        self._scalar = None
        self._array = None
        self._unmasked: dict = {}

    # -- compilation ---------------------------------------------------
    def _compile(self, backend: str, masks: bool = True):
        args = [symbol(n) for n in self.var_names + self.param_names]
        return compile_function(self.expr, args, backend, self.label,
                                arrays=args[:len(self.var_names)], masks=masks)

    # -- entry points ----------------------------------------------------
    def evaluate(self, values: Mapping, params: Mapping):
        """Evaluate with keyword ``values``; missing params come from ``params``."""
        return self.call(self._resolve(values, params))

    def fast_path(self):
        """Two new functions generated for this expression, for the caller to
        keep: ``(values, params) -> result`` for keyword values and ``(args,
        values, params) -> result`` for positional ones (``f(x, y)``). The common
        call with floats costs a few look-ups, an array call of one shape goes
        straight to the array path, and anything else takes the checked path
        (a positional call went through it all: 1.6 us on floats, 12 us on
        1-element arrays, against 0.3 and 2 by keyword)."""
        var_args = [f"_a{i}" for i in range(self._nvars)]
        par_args = [f"_p{i}" for i in range(len(self.param_names))]
        every = ", ".join(var_args + par_args)
        by_name = ["def _fast(values, params):",
                   f"    if len(values) != {self._nvars}:",
                   "        return _slow(values, params)"]
        if var_args:
            by_name.append("    try:")
            by_name += [f"        {a} = values[{n!r}]" for a, n in zip(var_args, self.var_names)]
            by_name += ["    except KeyError:", "        return _slow(values, params)"]
        by_position = ["def _fast_positional(args, values, params):",
                       f"    if values or len(args) != {self._nvars}:",
                       "        return _slow_positional(args, values, params)"]
        if var_args:
            by_position.append(f"    {', '.join(var_args)}, = args")
        lines = [f"    {a} = params[{n!r}]" for a, n in zip(par_args, self.param_names)]
        checks = " and ".join(f"type({a}) is float" for a in var_args) or "True"
        lines += [f"    if {checks}:",
                  "        try:",
                  f"            _r = _scalar({every})",
                  "        except _FAILURES:",
                  f"            return _array([{every}], True)",
                  "        if type(_r) is float and (_r == _r or not _masked):",
                  "            return _r",
                  f"        return _general([{every}])"]
        if var_args:   # float64 arrays of one shape, float params: no conversion, no broadcast
            same = " and ".join(
                [f"type({a}) is _ndarray and {a}.dtype is _F64" for a in var_args]
                + [f"{a}.shape == _a0.shape" for a in var_args[1:]]
                + [f"type({p}) is float" for p in par_args])
            lines += [f"    if {same}:",
                      f"        return _same_shape(({every},), _a0.shape)"]
        lines.append(f"    return _general([{every}])")
        scalar = self._compile_scalar()
        namespace = {"_slow": self.evaluate, "_slow_positional": self.evaluate_positional,
                     "_scalar": scalar, "_masked": scalar.masked,
                     "_FAILURES": PYTHON_FLOAT_FAILURES, "_general": self.call,
                     "_array": self._call_array, "_same_shape": self._call_same_shape,
                     "_ndarray": np.ndarray, "_F64": np.dtype(np.float64)}
        source = "\n".join(by_name + lines + by_position + lines)
        exec(compile(source, f"<neurogebra eval {self.label}>", "exec"), namespace)
        return namespace["_fast"], namespace["_fast_positional"]

    def evaluate_positional(self, positional: Sequence, values: Mapping, params: Mapping):
        """``f(1.0, 2.0)``: positional values follow the variable order."""
        if len(positional) > self._nvars:
            raise VariableError(
                f"{self.label} takes {self._nvars} positional value(s) "
                f"({', '.join(self.var_names) or 'none'}), got {len(positional)}")
        merged = dict(zip(self.var_names, positional))
        for name in values:
            if name in merged:
                raise VariableError(
                    f"{self.label} got two values for {name!r} (positional and keyword)")
        merged.update(values)
        return self.evaluate(merged, params)

    def call(self, args: list):
        """Evaluate on resolved argument values (variables, then params)."""
        convert = False
        for a in args:
            kind = type(a)
            if kind is not float:
                if kind is int:
                    convert = True
                else:
                    return self._call_general(args)
        if convert:
            try:
                args = [float(a) for a in args]
            except OverflowError:   # an int beyond float64: the checked path names it
                return self._call_general(args)
        scalar = self._scalar or self._compile_scalar()
        try:
            result = scalar(*args)
        except PYTHON_FLOAT_FAILURES:
            return self._call_array(args, scalar_out=True)
        if type(result) is float:
            if result != result and scalar.masked and all(a == a for a in args):
                return float(self._without_masks(args, result, "math")[0])  # as arrays
            return result
        if isinstance(result, (int, float)):
            return float(result)
        return self._call_array(args, scalar_out=True)

    # -- slow paths --------------------------------------------------------
    def _compile_scalar(self):
        self._scalar = self._compile("math")
        return self._scalar

    def _resolve(self, values: Mapping, params: Mapping) -> list:
        valid = self.var_names + self.param_names
        for name in values:
            if name not in valid:
                raise VariableError(
                    f"{self.label} has no variable or param named {name!r}."
                    f"{did_you_mean(name, valid)} {self._valid_names()}")
        missing = [n for n in self.var_names if n not in values]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise VariableError(
                f"missing value{plural} for variable{plural} "
                f"{', '.join(map(repr, missing))} of {self.label}. {self._valid_names()}")
        return [values[n] if n in values else params[n] for n in valid]

    def _valid_names(self) -> str:
        text = f"Variables: {', '.join(self.var_names) or '(none)'}"
        if self.param_names:
            text += f"; params (optional overrides): {', '.join(self.param_names)}"
        return text + "."

    def _call_general(self, args: list):
        names = self.var_names + self.param_names
        if all(_is_real_scalar(a) for a in args):
            return self.call([_as_float(a, n, self.label) for a, n in zip(args, names)])
        if any(_is_dask(a) for a in args):
            return self._call_dask(args)
        arrays = [_as_array(a, n, self.label) for a, n in zip(args, names)]
        _check_broadcast(arrays, names, self.label)
        return self._call_array(arrays, scalar_out=all(a.ndim == 0 for a in arrays))

    def _call_array(self, args: list, scalar_out: bool):
        arrays = [np.asarray(a, dtype=np.float64) for a in args]
        function = self._array
        if function is None:
            function = self._array = self._compile("numpy")
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        try:
            result, trouble = self._run(function, arrays, shape)
        except MemoryError:
            raise EvaluationError(
                f"evaluating {self.label} on inputs of shapes "
                f"{', '.join(str(a.shape) for a in arrays)} needs arrays of shape {shape}, "
                "which do not fit in memory (NumPy broadcasting pairs every value of an "
                "(N,) input with every value of an (N, 1) one)") from None
        result = np.asarray(result, dtype=np.float64)
        if trouble:
            self._warn_non_finite(result, arrays, trouble)
        if result.shape != shape:
            result = _spread(result, shape)
        return float(result) if scalar_out else result

    def _call_same_shape(self, args: tuple, shape: tuple):
        """The array path for float64 arrays of one shape (and float params):
        what :meth:`_call_array` does, without conversions or broadcasting."""
        function = self._array
        if function is None:
            function = self._array = self._compile("numpy")
        try:
            result, trouble = self._run(function, args, shape)
        except _PARAM_FAILURES:   # a part of params alone, in Python floats (1/c, c = 0):
            return self._call_array(list(args), scalar_out=False)   # as 0-d arrays, NumPy's
        if type(result) is not np.ndarray or result.shape != shape \
                or result.dtype is not _F64 or result is args[0]:
            result = _spread(np.asarray(result, dtype=np.float64), shape)
        if trouble:
            self._warn_non_finite(result, args, trouble)
        return result

    def _run(self, function, arrays, shape: tuple) -> tuple:
        """``(result, error kinds)`` of the NumPy ``function`` on ``arrays``: in
        blocks where that pays, and without masks where they made an invalid value;
        a formula evaluated often on large arrays through its compiled loop (``_jit``)."""
        size = math.prod(shape)
        if size < _SMALL:
            outcome = run_recording(function, arrays)
            return self._checked_masks(function, arrays, outcome) if outcome[1] else outcome
        keep_freed_memory(shape)
        kinds = fusable(arrays, shape) if size >= MIN_SIZE and \
            function.operations + function.comparisons >= FUSED_OPERATIONS else None
        if kinds is None or not jit_available():   # (sizes first: the cheaper question)
            return self._run_numpy(function, arrays, shape)
        scalar = self._scalar or self._compile_scalar()
        loop = fused_loop(scalar, kinds, arrays)
        start = time.perf_counter()
        if loop is not None:
            outcome = run_fused(loop, arrays, shape, functools.partial(self._run_whole, function))
            judge(scalar, kinds, time.perf_counter() - start, size)
            return outcome
        outcome = self._run_numpy(function, arrays, shape)
        record(scalar, kinds, time.perf_counter() - start, size, arrays)
        return outcome

    def _run_numpy(self, function, arrays, shape: tuple) -> tuple:
        if not blockable(arrays, shape, function.operations, function.heavy,
                         function.comparisons, function.into is not None):
            return self._run_whole(function, arrays)
        one_pass = function.into is not None and function.into.one_pass and not function.heavy
        outcome = run_in_blocks(function, arrays, shape,     # no temporaries: one part each
                                parts_per_thread=1 if one_pass else None)
        return self._checked_masks(function, arrays, outcome)

    def _run_whole(self, function, arrays) -> tuple:
        """``(result, error kinds)`` of the NumPy ``function`` in one call on this
        thread (a compiled loop's non-finite elements are computed again so, on
        the pool's threads too)."""
        return self._checked_masks(function, arrays, run_recording(function, arrays))

    def _checked_masks(self, function, arrays, outcome: tuple) -> tuple:
        """``outcome`` (result, error kinds), or, where the masked code made an
        invalid value, the result of the code without masks."""
        result, trouble = outcome
        if "invalid value" in trouble and function.masked:
            return self._without_masks(arrays, result)
        return outcome

    def _without_masks(self, values, masked, backend: str = "numpy") -> tuple:
        """``(result, error kinds)`` with the ``masked`` result's nans that no input
        nan explains taken from code that keeps linear pieces as selects: an
        invalid operation in the masked code may be a mask's 0 times an infinite
        piece not taken (softshrink at inf), where the select is exact. Rare
        (non-finite data), so that code is compiled on first need."""
        if backend not in self._unmasked:
            self._unmasked[backend] = self._compile(backend, masks=False)
        exact, trouble = run_recording(self._unmasked[backend], values)
        if backend != "numpy":
            return exact, trouble
        masked = np.array(masked, dtype=np.float64)
        wrong = np.isnan(masked)
        for value in values:
            wrong &= ~np.isnan(np.broadcast_to(value, masked.shape))
        masked[wrong] = np.broadcast_to(exact, masked.shape)[wrong]
        return masked, trouble

    def _call_dask(self, args: list):
        """Lazy evaluation on dask arrays: one NumPy call per chunk, nothing computed now.

        The chunks are mapped through the bound method :meth:`_blocks`, which
        dask names by :meth:`__dask_tokenize__` (the generated code's hash)
        instead of pickling the evaluator, and which a ``distributed`` worker
        unpickles with the compiled function. Numbers stay plain arguments.
        """
        import dask.array as da
        for a, name in zip(args, self.var_names + self.param_names):
            if _is_dask(a) and a.dtype.kind not in "biuf":
                raise EvaluationError(f"value for {name!r} of {self.label} is a dask array of "
                                      f"{a.dtype}; neurogebra evaluates real numbers only")
        lazy = [i for i, a in enumerate(args) if not _is_real_scalar(a)]
        names = self.var_names + self.param_names
        _check_broadcast([args[i] for i in lazy], [names[i] for i in lazy], self.label)
        arrays = da.broadcast_arrays(*(da.asarray(args[i]).astype(np.float64) for i in lazy))
        blocks = [float(a) if _is_real_scalar(a) else a for a in args]
        for i, array in zip(lazy, arrays):
            blocks[i] = array
        return da.map_blocks(self._blocks, *blocks, dtype=_F64, token="neurogebra",
                             meta=np.empty((0,) * max(a.ndim for a in arrays), np.float64))

    def _blocks(self, *blocks):
        return self._call_array(list(blocks), scalar_out=False)

    def __dask_tokenize__(self):
        """What names this evaluator's dask tasks: its NumPy code, not a pickle of it."""
        function = self._array
        if function is None:
            function = self._array = self._compile("numpy")
        return "neurogebra", self.label, hashlib.sha1(function.source.encode()).hexdigest()

    def _warn_non_finite(self, result, arrays, kinds):
        """Warn when floating-point trouble reached the result.

        Intermediate trouble that does not (an unused branch of a piecewise
        formula, exp(-x**2) underflowing through x**2 = inf) stays silent;
        a non-finite result from finite inputs is reported.
        """
        if np.isfinite(result).all() or not all(np.isfinite(a).all() for a in arrays):
            return
        warnings.warn(f"{self.label}: {' and '.join(sorted(kinds))} encountered; the result "
                      "has non-finite values for finite inputs", RuntimeWarning, stacklevel=4)


def _is_dask(value) -> bool:
    return type(value).__module__.startswith("dask.") and hasattr(value, "map_blocks")


def _is_real_scalar(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, np.ndarray)


def _as_array(value, name: str, label: str) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise EvaluationError(
            f"value for {name!r} of {label} must be a number or an array, "
            f"got {type(value).__name__}")
    if np.iscomplexobj(value):
        raise EvaluationError(f"value for {name!r} of {label} is complex; "
                              "neurogebra evaluates real numbers only")
    try:
        array = np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise EvaluationError(f"value for {name!r} of {label} has a number beyond the "
                              "float64 range (about 1.8e308)") from None
    except (TypeError, ValueError) as exc:
        raise EvaluationError(
            f"value for {name!r} of {label} cannot be read as float64 numbers: {exc}") from None
    return array


def _as_float(value, name: str, label: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise EvaluationError(f"value for {name!r} of {label} is beyond the float64 range "
                              "(about 1.8e308)") from None


def _check_broadcast(arrays: list, names: Sequence[str], label: str) -> None:
    """Refuse inputs whose shapes NumPy cannot broadcast together, naming them."""
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(f"{n!r} {a.shape}" for a, n in zip(arrays, names) if a.ndim)
        raise ShapeError(f"the inputs of {label} have shapes that do not broadcast together: "
                         f"{shapes}") from None


def _spread(result: np.ndarray, shape: tuple) -> np.ndarray:
    """A new float64 array of ``shape`` holding ``result`` broadcast (a constant
    derivative such as 0 comes back as one number, the identity as its input).
    A +0 fills as np.zeros does: an array beyond malloc's mmap threshold comes
    from memory the system hands out zeroed, without a pass (80 MB: 0.014 ms,
    8 ms written by two threads)."""
    if result.ndim == 0 and result == 0 and not np.signbit(result):
        return np.zeros(shape)
    if result.ndim == 0 or result.shape == shape:
        written = filled(result, shape)       # on every core, where that pays
        if written is not None:
            return written
    if result.ndim == 0:
        return np.full(shape, result)         # (np.broadcast_to costs 2 us more)
    return np.broadcast_to(result, shape).copy()
