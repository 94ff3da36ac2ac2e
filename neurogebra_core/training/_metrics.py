"""Metrics of a trained model on data: how often a classifier is right.

A metric is a function ``metric(predictions, targets) -> float``;
:data:`METRICS` names them for :meth:`Trainer.score`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ArgumentError, did_you_mean

__all__ = ["accuracy", "METRICS", "metric"]


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


METRICS: dict[str, Callable] = {"accuracy": accuracy}


def metric(name: str) -> Callable:
    """The metric called ``name``.

    Raises:
        ArgumentError: no metric has that name.
    """
    if name not in METRICS:
        raise ArgumentError(f"unknown metric {name!r}.{did_you_mean(str(name), METRICS)} "
                            f"Available: {', '.join(sorted(METRICS))}")
    return METRICS[name]
