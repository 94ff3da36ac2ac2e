"""Fitting an Expression's trainable params to data, on symbolic gradients.

The loss (a catalog name, an Expression in ``y_pred``/``y_true``, or a
formula such as ``"mse + 0.01*l2"``) is composed with the model, differentiated
with respect to every trainable param in one reverse-mode pass, and compiled
once into a NumPy function that returns the per-sample loss and gradients for
a whole batch. Each step averages them over the batch and hands the mean
gradient to the optimiser. No finite differences, no per-sample loop.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np
import sympy

from .autodiff import reverse_gradients
from .errors import ArgumentError, NeurogebraError, ParameterError, UnknownFunctionError, \
    VariableError, did_you_mean
from .expression import Expression, substitute
from .numeric import compile_function
from .optimizers import make_optimizer
from .parsing import parse_formula, symbol
from .primitives import primitive_functions

__all__ = ["Trainer", "History", "TrainingError", "REGULARIZERS"]

REGULARIZERS = {
    "l2": "sum of squares of the trainable params",
    "l1_penalty": "sum of absolute values of the trainable params",
}


class TrainingError(NeurogebraError, RuntimeError):
    """Training cannot go on (bad data, a diverging loss...).

    ``history`` holds what was recorded before the problem, when any.
    """

    def __init__(self, message: str, history: "History | None" = None):
        self.history = history
        super().__init__(message)


@dataclass
class History:
    """What ``fit`` recorded: the mean loss and the params after each epoch."""

    loss: list[float] = field(default_factory=list)
    params: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    reason: str = ""
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __str__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        final = ", ".join(f"{k}={v:.6g}" for k, v in self.params[-1].items())
        text = (f"{self.epochs} epochs in {self.seconds:.3f} s; loss {self.loss[0]:.6g} -> "
                f"{self.loss[-1]:.6g}; {final}")
        return text + (f"; stopped early: {self.reason}" if self.stopped_early else "")


class Trainer:
    """Fits ``model``'s trainable params by gradient descent on ``loss``.

    ``optimizer`` is a name (``sgd``, ``momentum``, ``rmsprop``, ``adagrad``,
    ``adam``, ``adamw`` or one a pack adds) or an Optimizer; further keyword
    arguments are its settings (``momentum=0.9, nesterov=True``...).
    """

    def __init__(self, model: Expression, loss="mse", optimizer="adam",
                 learning_rate: float | None = None, forge=None, **optimizer_settings):
        if not isinstance(model, Expression):
            raise ArgumentError(f"Trainer needs an Expression as model, got {type(model).__name__}")
        if not model.trainable_params:
            raise ParameterError(
                f"model {model.name!r} has no trainable params; create it with "
                f"trainable_params=[...] (its params: {', '.join(model.params) or 'none'})")
        from .forge import MathForge
        self.forge = forge if forge is not None else MathForge()
        self.model = model
        self.loss = _loss_expression(loss, model, self.forge)
        self.optimizer = make_optimizer(optimizer, learning_rate, self.forge.optimizers,
                                        **optimizer_settings)
        self._trainable = model.trainable_params
        self._fixed = tuple(p for p in model.params if p not in self._trainable)
        self._compiled = None

    # -- the compiled objective ------------------------------------------------
    def _objective(self) -> Callable:
        """``f(inputs..., y_true, trainable..., fixed...) -> (loss, *gradients)``."""
        if self._compiled is None:
            constants = {symbol(p): sympy.Float(v) for p, v in self.loss.params.items()}
            constants[symbol("y_pred")] = self.model.symbolic_expr
            per_sample = self.loss.symbolic_expr.xreplace(constants)
            wanted = [symbol(p) for p in self._trainable]
            gradients = reverse_gradients(per_sample, wanted)
            args = [symbol(v) for v in self.model.variables] + [symbol("y_true")]
            args += wanted + [symbol(p) for p in self._fixed]
            self._compiled = compile_function([per_sample, *gradients], args, "numpy",
                                              f"loss of {self.model.name}")
        return self._compiled

    # -- fitting -------------------------------------------------------------------
    def fit(self, inputs, targets, epochs: int = 100, batch_size: int | None = None,
            shuffle: bool = True, seed: int | None = None,
            callbacks: Iterable[Callable[[int, History], object]] = (),
            tolerance: float | None = None, patience: int = 5,
            verbose: bool = True) -> History:
        """Train for ``epochs`` passes over the data; update ``model.params``.

        ``inputs``: an array (models of one variable) or a dict from variable
        name to array; ``targets``: the ``y_true`` array. With ``tolerance``,
        training stops once the loss has improved by less than ``tolerance``
        for ``patience`` epochs. A callback ``f(epoch, history)`` returning
        True stops training.
        """
        columns, y = self._data(inputs, targets)
        epochs = _positive_int("epochs", epochs)
        count = len(y)
        size = count if batch_size is None else _positive_int("batch_size", batch_size)
        objective = self._objective()
        fixed = [self.model.params[p] for p in self._fixed]
        values = np.array([self.model.params[p] for p in self._trainable])
        rng = np.random.default_rng(seed)
        history, best, waited = History(), math.inf, 0
        bar = _ProgressBar(epochs, enabled=verbose)
        start = time.perf_counter()
        for epoch in range(epochs):
            order = rng.permutation(count) if shuffle and size < count else None
            total = 0.0
            for first in range(0, count, size):
                index = slice(first, first + size) if order is None else order[first:first + size]
                batch = [c[index] for c in columns]
                with np.errstate(all="ignore"):   # non-finite losses are caught below
                    outputs = objective(*batch, y[index], *values, *fixed)
                loss = float(np.mean(outputs[0]))
                gradient = np.array([np.mean(g) for g in outputs[1:]])
                if not (math.isfinite(loss) and np.isfinite(gradient).all()):
                    raise _diverged(history, epoch, f"the loss became {loss}")
                total += loss * len(y[index])
                values = self.optimizer.step(values, gradient)
                if not np.isfinite(values).all():
                    raise _diverged(history, epoch, "a param became non-finite")
            self._store(values)
            history.loss.append(total / count)
            history.params.append(dict(self.model.params))
            bar.update(epoch + 1, history.loss[-1])
            if tolerance is not None:
                improved = best - history.loss[-1] > tolerance
                best, waited = min(best, history.loss[-1]), 0 if improved else waited + 1
                if waited >= patience:
                    history.stopped_early = True
                    history.reason = (f"loss improved by less than {tolerance:g} for "
                                      f"{patience} epochs")
                    break
            if any(callback(epoch, history) is True for callback in callbacks):
                history.stopped_early, history.reason = True, "a callback asked to stop"
                break
        bar.close()
        history.seconds = time.perf_counter() - start
        self.history = history
        return history

    def _store(self, values: np.ndarray) -> None:
        for name, value in zip(self._trainable, values):
            dict.__setitem__(self.model.params, name, float(value))

    def _data(self, inputs, targets) -> tuple[list[np.ndarray], np.ndarray]:
        variables = self.model.variables
        if not variables:
            raise VariableError(f"model {self.model.name!r} has no input variables; declare "
                                "the input it ignores with variables=['x']")
        if not isinstance(inputs, Mapping):
            if len(variables) != 1:
                raise VariableError(
                    f"model {self.model.name!r} has variables {', '.join(variables)}; pass "
                    "inputs as a dict {name: array}")
            inputs = {variables[0]: inputs}
        for name in inputs:
            if name not in variables:
                raise VariableError(f"inputs has {name!r}, which is not a variable of "
                                    f"{self.model.name!r}.{did_you_mean(name, variables)} "
                                    f"Variables: {', '.join(variables)}")
        missing = [v for v in variables if v not in inputs]
        if missing:
            raise VariableError(f"no data for variable(s) {', '.join(missing)} of "
                                f"{self.model.name!r}")
        columns = [_column(inputs[v], v) for v in variables]
        y = _column(targets, "targets")
        lengths = {name: len(c) for name, c in zip(variables, columns)}
        lengths["targets"] = len(y)
        if len(set(lengths.values())) != 1:
            raise TrainingError("data arrays have different lengths: " +
                                ", ".join(f"{k}={n}" for k, n in lengths.items()))
        if len(y) == 0:
            raise TrainingError("no training data (empty arrays)")
        return columns, y

    # -- reporting -------------------------------------------------------------------
    def summary(self) -> str:
        """A readable account of the model, loss, optimiser and last fit."""
        lines = [f"model      {self.model}",
                 f"loss       {self.loss.formula}  (mean over the batch)",
                 f"optimizer  {self.optimizer!r}",
                 "params     " + ", ".join(
                     f"{k}={v:.6g}{' (trainable)' if k in self._trainable else ''}"
                     for k, v in self.model.params.items())]
        history = getattr(self, "history", None)
        if history is not None:
            lines.append(f"last fit   {history}")
        return "\n".join(lines)


def _diverged(history: History, epoch: int, what: str) -> TrainingError:
    # model.params are written only after a finished epoch, so they still hold
    # the last finite values
    return TrainingError(f"{what} during epoch {epoch + 1}: training diverged. The params "
                         "keep their values from the last finished epoch; try a smaller "
                         "learning_rate.", history)


def _column(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"data for {name!r} is not numeric: {exc}") from None
    if array.ndim == 0:
        raise TrainingError(f"data for {name!r} must be an array of samples, got a scalar")
    return array


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    return value


def _loss_expression(loss, model: Expression, forge) -> Expression:
    """The per-sample loss over y_pred, y_true and (for penalties) the params."""
    if isinstance(loss, Expression):
        unknown = set(loss.variables) - {"y_pred", "y_true"}
        if unknown:
            raise VariableError(f"a loss takes the variables y_pred and y_true; "
                                f"{loss.name!r} also has {', '.join(sorted(unknown))}")
        _check_no_clash(loss, model)
        return loss
    if not isinstance(loss, str):
        raise ArgumentError(f"loss must be a catalog name, a formula or an Expression, "
                            f"got {type(loss).__name__}")
    template = parse_formula(loss, primitive_functions(), bare_function_names=True)
    trainable = [symbol(p) for p in model.trainable_params]
    penalties = {"l2": sum(s ** 2 for s in trainable), "l1_penalty": sum(abs(s) for s in trainable)}
    parts, replacements = {}, {}
    for sym in template.free_symbols:
        if sym.name in penalties:
            replacements[sym] = penalties[sym.name]
        elif sym.name in model.params or sym.name in ("y_pred", "y_true"):
            continue
        else:
            try:
                parts[sym] = forge.get(sym.name)
            except UnknownFunctionError:
                known = forge.list_all(category="loss") + list(penalties) + list(model.params)
                raise UnknownFunctionError(
                    f"loss {loss!r}: {sym.name!r} is neither a catalog loss, a penalty "
                    f"({', '.join(REGULARIZERS)}) nor a param of the model."
                    f"{did_you_mean(sym.name, known)}") from None
    template = template.xreplace(replacements)
    if not parts:
        return Expression._make(loss, template, {}, (), {}, ("y_pred", "y_true"))
    result = substitute(loss, template, parts)
    extra = set(result.variables) - {"y_pred", "y_true"} - set(model.params)
    if extra:
        raise VariableError(f"loss {loss!r} needs variables {', '.join(sorted(extra))}; a loss "
                            "may use y_pred, y_true and the model's params")
    _check_no_clash(result, model)
    return Expression._make(result.name, result.symbolic_expr, result.params, (),
                            result.metadata, ("y_pred", "y_true"))


def _check_no_clash(loss: Expression, model: Expression) -> None:
    clash = set(loss.params) & set(model.params)
    if clash:
        raise ParameterError(f"the loss and the model both have params named "
                             f"{', '.join(sorted(clash))}; rename one")


class _ProgressBar:
    """A one-line progress bar on stderr, only on a terminal and for long fits."""

    def __init__(self, total: int, enabled: bool, width: int = 30):
        self.total, self.width = total, width
        self.enabled = enabled and total >= 20 and sys.stderr.isatty()
        self.shown = -1

    def update(self, done: int, loss: float) -> None:
        if not self.enabled:
            return
        filled = self.width * done // self.total
        if filled == self.shown and done != self.total:
            return
        self.shown = filled
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] epoch {done}/{self.total}  loss {loss:.6g}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
