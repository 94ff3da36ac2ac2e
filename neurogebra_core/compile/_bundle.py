"""Several formulas of the same inputs evaluated together: a value and its
partial derivatives in one compiled function.

Reverse-mode partials share most of their parts with each other and with the
value (the forward pass of a network, the local derivatives); compiled as one
function, each shared part is computed once per call instead of once per
partial.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import sympy

from ..errors import EvaluationError
from ..symbolic import symbol
from ._blocks import PER_THREAD_SPLIT, run_in_blocks, splittable
from ._codegen import compile_function
from ._evaluator import Evaluator, _as_array, _check_broadcast, _is_dask, _is_real_scalar
from ._float_errors import run_recording
from ._memory import keep_freed_memory

__all__ = ["BundleEvaluator"]


class BundleEvaluator(Evaluator):
    """Compiled evaluation of several SymPy expressions of the same names."""

    __slots__ = ("exprs",)

    def __init__(self, exprs: Sequence[sympy.Expr], var_names: Sequence[str],
                 param_names: Sequence[str], label: str):
        super().__init__(sympy.Tuple(*exprs), var_names, param_names, label)
        self.exprs = list(exprs)

    def evaluate(self, values: Mapping, params: Mapping) -> list:
        """Every expression's value at keyword ``values`` (params from ``params``):
        floats for numbers, arrays of the inputs' broadcast shape for arrays."""
        return self.call(self._resolve(values, params))

    def call(self, args: list) -> list:
        names = self.var_names + self.param_names
        if any(_is_dask(a) for a in args):
            raise EvaluationError(f"{self.label}: values and gradients together take NumPy "
                                  "arrays; for dask arrays evaluate each gradient by itself")
        scalar_out = all(_is_real_scalar(a) for a in args)
        arrays = [_as_array(a, n, self.label) for a, n in zip(args, names)]
        _check_broadcast(arrays, names, self.label)
        if self._array is None:
            arguments = [symbol(n) for n in names]
            self._array = compile_function(self.exprs, arguments, "numpy", self.label)
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        keep_freed_memory(shape)
        if splittable(arrays, shape):
            outputs, trouble = run_in_blocks(self._array, arrays, shape, len(self.exprs),
                                             PER_THREAD_SPLIT)
        else:
            outputs, trouble = run_recording(self._array, arrays)
        results = []
        for output in outputs:
            output = np.asarray(output, dtype=np.float64)
            if output.shape != shape:
                output = np.broadcast_to(output, shape).copy()
            results.append(float(output) if scalar_out else output)
        if trouble:
            for output in results:
                self._warn_non_finite(np.asarray(output), arrays, trouble)
        return results
