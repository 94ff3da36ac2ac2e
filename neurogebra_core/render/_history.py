"""The picture of a fit: loss and metrics per epoch (needs matplotlib).

Duck-typed on what ``History`` records: ``loss`` (a list), ``metrics``
(name -> list, validation series named ``val_<name>``) and
``learning_rate`` (a list, empty without a schedule). One panel for the
loss, one per metric, one for the learning rate; each validation series is
drawn on the panel of its training series.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ._figures import new_figure

__all__ = ["plot_history"]


def _panels(history) -> list[tuple[str, dict[str, list[float]]]]:
    metrics = dict(history.metrics)
    panels = [("loss", {"loss": list(history.loss)})]
    if "val_loss" in metrics:
        panels[0][1]["val_loss"] = metrics.pop("val_loss")
    for name in [n for n in metrics if not n.startswith("val_")]:
        series = {name: metrics.pop(name)}
        if f"val_{name}" in metrics:
            series[f"val_{name}"] = metrics.pop(f"val_{name}")
        panels.append((name, series))
    panels += [(name[4:], {name: values}) for name, values in metrics.items()]
    if history.learning_rate:
        panels.append(("learning rate", {"learning_rate": list(history.learning_rate)}))
    return panels


def plot_history(history, title: str | None = None):
    """Loss (and validation loss), each metric and the learning rate per epoch.

    Args:
        history: What a fit recorded (``loss``, ``metrics``, ``learning_rate``).
        title: The figure's title (default: none).

    Returns:
        The matplotlib Figure, one panel per quantity.

    Raises:
        ArgumentError: the history has no epochs.
    """
    if not history.loss:
        raise ArgumentError("this History has no epochs to plot; fit first")
    panels = _panels(history)
    figure = new_figure((7.0, 2.6 + 1.9 * len(panels)))
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    epochs = list(range(1, len(history.loss) + 1))
    for ax, (label, series) in zip(axes, panels):
        for name, values in series.items():
            ax.plot(epochs[:len(values)], values, label=name,
                    linestyle="--" if name.startswith("val_") else "-")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if len(series) > 1:
            ax.legend()
    axes[-1].set_xlabel("epoch")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
