"""Evaluating formulas over vectors and matrices, shapes checked first.

A :class:`VectorEvaluator` serves an Expression with declared vector, matrix
or class-index names. Before any computation every input is checked against
its declaration, and a mismatch is a :class:`~neurogebra.ShapeError` naming
both shapes:

1. the *core* axes (the last ones): fixed sizes must match, and a named size
   must be the same in every input (``W`` of shape (10, 64) and ``x`` of
   shape (5, 63): size d is 64 in W and 63 in x);
2. the leading *batch* axes must broadcast.

Core axes are checked first, so a wrong number of features is never reported
as a batch problem. Targets declared as distributions (``simplex``) must sum
to 1 and class indices must be whole numbers in range, since the readable
derivatives rely on it. A shaped param whose value is a number is that
number in every entry (``weight: 1.0`` is a vector of ones of the size the
inputs give).

On dask arrays evaluation stays lazy: shapes are checked at once, from the
arrays' shapes, and values (distributions, class indices) block by block when
computed; each input's vector and matrix axes are kept whole in every block.
"""

from __future__ import annotations

import string
from typing import Mapping, Sequence

import numpy as np
import sympy

from ..errors import EvaluationError, ShapeError
from ..symbolic import IndexSymbol, ShapedSymbol, Size, format_shape, shape_of
from ._evaluator import _F64, Evaluator, _as_array, _is_dask
from ._float_errors import run_recording
from ._vector_codegen import compile_vector_function

__all__ = ["VectorEvaluator", "SIMPLEX_TOLERANCE"]

SIMPLEX_TOLERANCE = 1e-6


class VectorEvaluator(Evaluator):
    """Compiled, cached, shape-checked evaluation of one shaped SymPy expression."""

    __slots__ = ("symbols",)

    def __init__(self, expr: sympy.Expr, symbols: Mapping[str, sympy.Symbol],
                 var_names: Sequence[str], param_names: Sequence[str], label: str):
        super().__init__(expr, var_names, param_names, label)
        self.symbols = dict(symbols)

    def _compile(self, backend: str):
        args = [self.symbols[n] for n in self.var_names + self.param_names]
        return compile_vector_function(self.expr, args, backend, self.label)

    def fast_path(self):
        """Shaped inputs are always checked: the fast paths are :meth:`evaluate`
        and :meth:`evaluate_positional`."""
        return self.evaluate, self.evaluate_positional

    def call(self, args: list):
        """Evaluate on resolved argument values (variables, then params)."""
        if any(_is_dask(a) for a in args):
            return self._call_dask(args)
        arrays, batch, sizes = self.bind(args)
        function = self._array
        if function is None:
            function = self._array = self._compile("numpy")
        result, trouble = run_recording(function, arrays)
        result = np.asarray(result, dtype=np.float64)
        if trouble:
            self._warn_non_finite(result, arrays, trouble)
        shape = batch + resolve_shape(shape_of(self.expr), sizes)
        if result.shape != shape:
            result = np.broadcast_to(result, shape).copy()
        return float(result) if not shape else result

    def _call_dask(self, args: list):
        """A lazy dask array: one checked NumPy call per block of the batch axes.

        Inputs with batch axes become dask arrays whose core axes are one
        chunk; params without batch axes go whole to every block.
        """
        import dask.array as da
        names = self.var_names + self.param_names
        symbols = [self.symbols[n] for n in names]
        arrays = [a if _is_dask(a) else _as_array(a, n, self.label) for a, n in zip(args, names)]
        sizes = _core_sizes(names, symbols, arrays, set(self.param_names))
        batch = _batch_shape(names, symbols, arrays)
        output = resolve_shape(shape_of(self.expr), sizes)
        letters = iter(string.ascii_letters)
        batch_index = [next(letters) for _ in batch]
        pairs = []
        for a, s, n in zip(arrays, symbols, names):
            core = len(_core(s))
            lead = a.ndim - core if a.ndim else 0
            if not lead:   # no batch axes: the same (small) value in every block
                pairs += [np.asarray(a) if _is_dask(a) else _filled(a, s, sizes, n), None]
                continue
            lazy = da.asarray(a).astype(np.float64)
            lazy = lazy.rechunk({axis: -1 for axis in range(lead, a.ndim)})
            index = batch_index[len(batch) - lead:] + [next(letters) for _ in range(core)]
            pairs += [lazy, "".join(index)]
        out = [next(letters) for _ in output]
        return da.blockwise(self._blocks, "".join(batch_index + out), *pairs,
                            new_axes=dict(zip(out, output)), concatenate=True,
                            dtype=_F64, token="neurogebra",
                            meta=np.empty((0,) * (len(batch) + len(output)), np.float64))

    def _blocks(self, *blocks):
        return np.asarray(self.call(list(blocks)), dtype=np.float64)

    def bind(self, args: list) -> tuple[list[np.ndarray], tuple, dict]:
        """The inputs as float64 arrays, their common batch shape and the named sizes.

        Raises:
            ShapeError: shapes do not fit the declarations or each other.
            EvaluationError: a value is not numeric, a distribution does not
                sum to 1, or a class index is not a whole number in range.
        """
        names = self.var_names + self.param_names
        symbols = [self.symbols[n] for n in names]
        arrays = [_as_array(a, n, self.label) for a, n in zip(args, names)]
        sizes = _core_sizes(names, symbols, arrays, set(self.param_names))
        arrays = [_filled(a, s, sizes, n) for a, s, n in zip(arrays, symbols, names)]
        batch = _batch_shape(names, symbols, arrays)
        for name, s, a in zip(names, symbols, arrays):
            if isinstance(s, ShapedSymbol) and s.simplex:
                _check_simplex(name, a, self.label)
            elif isinstance(s, IndexSymbol):
                _check_index(name, a, s, sizes, self.label)
        return arrays, batch, sizes


def _core(symbol) -> tuple:
    return getattr(symbol, "shape", ())


def _core_sizes(names, symbols, arrays, params) -> dict:
    """Named size -> integer, read from the inputs' core axes, checked for agreement.

    A number given for a vector or matrix param fills it (the others size it).
    """
    sizes: dict = {}
    owners: dict = {}
    for name, s, a in zip(names, symbols, arrays):
        core = _core(s)
        if not core or (a.ndim == 0 and name in params):
            continue
        if a.ndim < len(core):
            raise ShapeError(f"{name} has shape {a.shape} but is declared "
                             f"{format_shape(core)}: it needs at least {len(core)} axes")
        got = a.shape[a.ndim - len(core):]
        for declared, actual in zip(core, got):
            if declared.is_Integer and int(declared) != actual:
                raise ShapeError(f"{name} has shape {a.shape}, but its last axes must be "
                                 f"{format_shape(core)}")
            if isinstance(declared, Size):
                if declared in sizes and sizes[declared] != actual:
                    other, other_shape = owners[declared]
                    raise ShapeError(
                        f"{other} has shape {other_shape} but {name} has shape {a.shape}: "
                        f"size {declared} is {sizes[declared]} in {other} and {actual} in "
                        f"{name}")
                sizes.setdefault(declared, actual)
                owners.setdefault(declared, (name, a.shape))
    return sizes


def resolve_shape(shape, sizes: Mapping) -> tuple:
    """A core shape with its named sizes replaced by integers.

    Raises:
        ShapeError: a size is not given by any input.
    """
    known = {d: sympy.Integer(v) for d, v in sizes.items()}
    out = []
    for d in shape:
        value = sympy.sympify(d).xreplace(known)
        if not value.is_Integer:
            raise ShapeError(f"size {d} is unknown: no input has it")
        out.append(int(value))
    return tuple(out)


def _filled(array, symbol, sizes, name):
    """A number given for a shaped param becomes an array of its shape."""
    core = _core(symbol)
    if not core or array.ndim:
        return array
    try:
        return np.full(resolve_shape(core, sizes), float(array))
    except ShapeError:
        raise ShapeError(f"{name} is declared {format_shape(core)} but only a number is "
                         "given for it, and no input says how large it is") from None


def _batch_shape(names, symbols, arrays) -> tuple:
    batch, owner = (), None
    for name, s, a in zip(names, symbols, arrays):
        leading = a.shape[:a.ndim - len(_core(s))]
        try:
            batch = np.broadcast_shapes(batch, leading)
        except ValueError:
            raise ShapeError(f"batch axes do not broadcast: {owner[0]} has shape {owner[1]} "
                             f"but {name} has shape {a.shape}{_batch_part(leading, a)}"
                             ) from None
        if leading and owner is None:
            owner = (name, f"{a.shape}{_batch_part(leading, a)}")
    return batch


def _batch_part(leading, array) -> str:
    """Where the core axes leave batch axes that differ from the whole shape, name them."""
    return "" if leading == array.shape[:1] or leading == array.shape else \
        f" (batch axes {leading})"


def _check_simplex(name, array, label) -> None:
    totals = np.atleast_1d(array.sum(-1))
    bad = np.abs(totals - 1.0) > SIMPLEX_TOLERANCE
    if np.any(bad):
        where = np.unravel_index(np.argmax(bad), totals.shape)
        sample = f"sample {tuple(map(int, where))}" if array.ndim > 1 else "it"
        raise EvaluationError(
            f"{name} of {label} is declared a distribution (simplex), so it must sum to 1, "
            f"but {sample} sums to {float(totals[where])!r}. Its derivatives use that sum; "
            f"declare {name} without simplex for other targets")


def _check_index(name, array, symbol, sizes, label) -> None:
    classes = symbol.classes.xreplace({d: sympy.Integer(v) for d, v in sizes.items()})
    whole = np.isfinite(array) & (array == np.round(array)) & (array >= 0)
    if classes.is_Integer:
        whole &= array < int(classes)
    if not np.all(whole):
        bad = float(np.ravel(array)[np.argmin(np.ravel(whole))])
        limit = f"0 to {int(classes) - 1}" if classes.is_Integer else "0, 1, 2..."
        raise EvaluationError(f"{name} of {label} holds class indices ({limit}); got {bad!r}")
