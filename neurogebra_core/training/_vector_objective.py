"""The Trainer's objective for models with vector and matrix params.

The per-sample loss is composed with the model (named sizes bound: a loss
declared over ``y_pred: (n,)`` takes a model with 10 outputs), differentiated
by every trainable param in one reverse pass of the vector rules, and
compiled once into a function that returns the loss and each gradient
*summed over the batch*: a weight's gradient ``outer(g, x)`` summed over the
samples is a single matrix product, never an array of per-sample matrices.

A loss that gives a vector per sample (``mse`` of a model with vector
output) is averaged over its entries, as PyTorch's ``reduction="mean"``
averages over every element.

The optimisers work on one flat vector of numbers; here the trainable arrays
are laid end to end in that vector, and each step reads them back as views.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import sympy

from ..compile import BatchSum, VectorEvaluator, compile_vector_function
from ..errors import ShapeError, TrainingError
from ..expression import Expression, compose_shaped
from ..symbolic import ShapedSymbol, format_shape, mean, shape_of, symbol, vector_gradients

__all__ = ["VectorObjective"]


def _table(expression: Expression) -> dict:
    return {n: expression.symbol(n) for n in expression.variables + tuple(expression.params)}


class VectorObjective:
    """The compiled, batch-summed loss and gradients of one shaped model and loss.

    Args:
        model: The model; its trainable params may be vectors or matrices.
        loss: The per-sample loss in ``y_pred`` and ``y_true`` (and penalties
            over the model's params).

    Raises:
        ShapeError: the model's output does not fit the loss's ``y_pred``.
    """

    def __init__(self, model: Expression, loss: Expression):
        self.model = model
        self.trainable = model.trainable_params
        self.fixed = tuple(p for p in model.params if p not in self.trainable)
        loss_table, model_table = _table(loss), _table(model)
        replaced = {loss_table[p]: sympy.Float(v) for p, v in loss.params.items()
                    if np.ndim(v) == 0}
        output = shape_of(model.symbolic_expr)
        if output and loss_table["y_true"] == symbol("y_true"):   # an entrywise loss
            targets = ShapedSymbol("y_true", output)
            replaced[loss_table["y_true"]] = targets
            loss_table["y_true"] = targets
        self.loss_arrays = tuple(p for p in loss.params if np.ndim(loss.params[p]))
        self.loss_values = [loss.params[p] for p in self.loss_arrays]
        try:
            per_sample, loss_table, model_table = compose_shaped(
                loss.symbolic_expr.xreplace(replaced), loss_table, "y_pred",
                model.symbolic_expr, model_table)
        except ShapeError as exc:
            raise ShapeError(f"the loss {loss.name!r} does not fit the output of "
                             f"{model.name!r}: {exc.reason}") from None
        while shape_of(per_sample):   # an entrywise loss of a vector: mean over the entries
            per_sample = mean(per_sample)
        self.per_sample = per_sample
        targets = [model_table[p] for p in self.trainable]
        self.args = ([model_table[v] for v in model.variables] + [loss_table["y_true"]] +
                     targets + [model_table[p] for p in self.fixed] +
                     [loss_table[p] for p in self.loss_arrays])
        gradients = vector_gradients(per_sample, targets)   # 0 for a param not in the loss
        self.function = compile_vector_function(
            [BatchSum(per_sample), *(g if g == 0 else BatchSum(g) for g in gradients)],
            self.args, "numpy", f"loss of {model.name}", stable=False)
        self._shapes: list[tuple] = []

    def start(self, columns: Sequence[np.ndarray], targets: np.ndarray
              ) -> tuple[Callable, np.ndarray]:
        """Check the data once and return ``(step, values)``.

        ``step(batch, targets, values)`` gives the mean loss and the mean
        gradient of a batch; ``values`` are the trainable params laid end to end.

        Raises:
            ShapeError: the data do not fit the model's declared shapes.
            TrainingError: the data have more than one sample axis.
        """
        names = [s.name for s in self.args]
        inputs = len(self.model.variables) + 1
        given = list(columns) + [targets] + \
            [self.model.params[p] for p in self.trainable + self.fixed] + self.loss_values
        checker = VectorEvaluator(self.per_sample, dict(zip(names, self.args)), names[:inputs],
                                  names[inputs:], repr(self.model.name))
        arrays, batch, _ = checker.bind(given)
        if len(batch) != 1:
            raise TrainingError(f"training data need one axis of samples before each input's "
                                f"own shape; the data give batch axes {format_shape(batch)}")
        count = len(self.trainable)
        trained = arrays[inputs:inputs + count]
        fixed = arrays[inputs + count:]
        self._shapes = [a.shape for a in trained]
        bounds = np.cumsum([0] + [a.size for a in trained]).tolist()
        function = self.function

        # each param read from the values: an entry, or a slice (reshaped for a matrix);
        # each gradient written into its span (a number, 0, fills it)
        places = [a if not shape else slice(a, b)
                  for a, b, shape in zip(bounds, bounds[1:], self._shapes)]
        matrices = [(k, shape) for k, shape in enumerate(self._shapes) if len(shape) > 1]
        spans = [(slice(a, b), len(shape) > 1)
                 for a, b, shape in zip(bounds, bounds[1:], self._shapes)]

        def step(batch, y, values):
            n = len(y)
            params = [values[place] for place in places]
            for k, shape in matrices:
                params[k] = params[k].reshape(shape)
            outputs = function(*batch, y, *params, *fixed, _n=n)
            gradient = np.empty(len(values))
            for (span, matrix), output in zip(spans, outputs[1:]):
                gradient[span] = np.reshape(output, -1) if matrix else output
            gradient /= n
            return float(outputs[0]) / n, gradient

        return step, np.concatenate([a.ravel() for a in trained])

    def store(self, values: np.ndarray) -> None:
        """Write the trainable values back into the model's params."""
        start = 0
        for name, shape in zip(self.trainable, self._shapes):
            size = int(np.prod(shape))
            part = values[start:start + size]
            self.model.params[name] = part.reshape(shape) if shape else float(part[0])
            start += size
