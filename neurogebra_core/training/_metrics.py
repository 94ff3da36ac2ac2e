"""Metrics and validation: how well a model does on data, without training it.

A metric is anything a loss can be (a catalog name such as ``"mae"``, a
formula over catalog names, ``y_pred`` and ``y_true`` such as
``"abs(y_pred - y_true)/abs(y_true)"``, or an Expression in ``y_pred`` and
``y_true``), averaged over the samples, or one of the whole-data metrics of
:data:`METRICS` (``"accuracy"``). The model is evaluated once per data set and
every metric reads its predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ..errors import ArgumentError, UnknownFunctionError, did_you_mean
from ..expression import Expression
from ._losses import REGULARIZERS, loss_expression

__all__ = ["Metric", "make_metrics", "evaluate_metrics", "accuracy", "METRICS"]


def accuracy(predictions, targets) -> float:
    """The share of samples whose predicted class is the target class.

    Predictions with a class axis (scores, logits or probabilities, the class
    axis last) predict their arg-max; the targets are class indices, or
    one-hot or probability vectors (their arg-max). Predictions of one number
    per sample are binary: a prediction of at least 0.5 means class 1.

    Args:
        predictions: The model's outputs, one row per sample.
        targets: The true classes, one per sample.

    Raises:
        ArgumentError: the two do not describe the same samples.
    """
    predictions, targets = np.asarray(predictions, float), np.asarray(targets, float)
    if predictions.ndim == 0 or len(predictions) != len(targets):
        raise ArgumentError(f"accuracy needs one prediction per target; got predictions of "
                            f"shape {predictions.shape} and targets of shape {targets.shape}")
    if predictions.ndim == targets.ndim + 1:            # scores against class indices
        chosen, true = predictions.argmax(-1), targets
    elif predictions.ndim == targets.ndim and predictions.ndim > 1:   # against one-hot rows
        chosen, true = predictions.argmax(-1), targets.argmax(-1)
    elif predictions.ndim == targets.ndim:              # binary: one number per sample
        chosen, true = predictions >= 0.5, targets >= 0.5
    else:
        raise ArgumentError(f"cannot compare predictions of shape {predictions.shape} with "
                            f"targets of shape {targets.shape}")
    return float(np.mean(chosen == true))


# Metrics of whole predictions (not means of a per-sample formula), by name.
METRICS: dict[str, Callable] = {"accuracy": accuracy}


@dataclass(frozen=True)
class Metric:
    """One named metric: the mean of a per-sample function of ``y_pred``,
    ``y_true`` (and model params), or a function of whole predictions.

    Attributes:
        name: The key in ``History.metrics`` and progress output.
        expression: The per-sample function (None for a whole-data metric).
        function: ``function(predictions, targets) -> float`` (None for a per-sample one).
    """

    name: str
    expression: Expression | None = None
    function: Callable | None = None

    def mean(self, predictions: np.ndarray, targets: np.ndarray, model: Expression) -> float:
        """This metric over the samples."""
        if self.function is not None:
            return self.function(predictions, targets)
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
        if isinstance(metric, str) and metric in METRICS:
            found.append(Metric(name, function=METRICS[metric]))
        elif isinstance(metric, str) and metric.isidentifier() and metric not in forge \
                and metric not in REGULARIZERS and metric not in model.params:
            raise UnknownFunctionError(
                f"unknown metric {metric!r}.{did_you_mean(metric, [*METRICS, *forge.list_all()])}"
                f" Metrics: {', '.join(METRICS)}, or a catalog name or formula")
        else:
            found.append(Metric(name, loss_expression(metric, model, forge)))
    return found


def evaluate_metrics(model: Expression, predictions: np.ndarray, targets: np.ndarray,
                     metrics: Iterable[Metric], prefix: str = "") -> dict[str, float]:
    """``{prefix + name: mean}`` of each metric on these predictions."""
    return {prefix + m.name: m.mean(predictions, targets, model) for m in metrics}
