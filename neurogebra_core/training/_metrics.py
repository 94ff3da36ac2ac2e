"""Metrics and validation: how well a model does on data, without training it.

A metric is anything a loss can be (a catalog name such as ``"mae"``, a
formula over catalog names, ``y_pred`` and ``y_true`` such as
``"abs(y_pred - y_true)/abs(y_true)"``, or an Expression in ``y_pred`` and
``y_true``), averaged over the samples. The model is evaluated once per data
set and every metric reads its predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..errors import ArgumentError
from ..expression import Expression
from ._losses import loss_expression

__all__ = ["Metric", "make_metrics", "evaluate_metrics"]


@dataclass(frozen=True)
class Metric:
    """One named per-sample function of ``y_pred``, ``y_true`` (and model params).

    Attributes:
        name: The key in ``History.metrics`` and progress output.
        expression: The per-sample function.
    """

    name: str
    expression: Expression

    def mean(self, predictions: np.ndarray, targets: np.ndarray, model: Expression) -> float:
        """The mean of this metric over the samples."""
        penalties = {v: model.params[v] for v in self.expression.variables if v in model.params}
        with np.errstate(all="ignore"):   # a non-finite mean is reported as it is
            values = self.expression.eval(y_pred=predictions, y_true=targets, **penalties)
        return float(np.mean(values))


def make_metrics(metrics: Iterable, model: Expression, forge) -> list[Metric]:
    """The Metrics for ``fit(metrics=...)``: names, formulas or Expressions.

    Raises:
        ArgumentError: ``metrics`` is a single text instead of a list, or two
            metrics share a name (or one is called ``loss``).
        UnknownFunctionError: a name is not a catalog function.
    """
    if isinstance(metrics, (str, Expression)):
        raise ArgumentError(f"metrics is a list, e.g. metrics=[{metrics!r}]")
    found: list[Metric] = []
    for metric in metrics:
        name = metric.name if isinstance(metric, Expression) else metric
        if not isinstance(name, str):
            raise ArgumentError(f"a metric is a catalog name, a formula or an Expression, "
                                f"got {type(metric).__name__}")
        if name == "loss" or name in (m.name for m in found):
            raise ArgumentError(f"two metrics are named {name!r}; metric names must differ "
                                "from each other and from 'loss'")
        found.append(Metric(name, loss_expression(metric, model, forge)))
    return found


def evaluate_metrics(model: Expression, predictions: np.ndarray, targets: np.ndarray,
                     metrics: Iterable[Metric], prefix: str = "") -> dict[str, float]:
    """``{prefix + name: mean}`` of each metric on these predictions."""
    return {prefix + m.name: m.mean(predictions, targets, model) for m in metrics}
