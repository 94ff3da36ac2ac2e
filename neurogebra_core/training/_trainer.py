"""Fitting an Expression's trainable params to data, on symbolic gradients.

The loss (a catalog name, an Expression in ``y_pred``/``y_true``, or a
formula such as ``"mse + 0.01*l2"``) is composed with the model, differentiated
with respect to every trainable param in one reverse-mode pass, and compiled
once into a NumPy function that returns the per-sample loss and gradients for
a whole batch. Each step averages them over the batch and hands the mean
gradient to the optimiser. No finite differences, no per-sample loop.
Models with vector and matrix params train the same way through
``_vector_objective``, on batches of arrays with the vector axis last.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from typing import Callable, Iterable, Mapping

import numpy as np
import sympy

from ..catalog import MathForge
from ..compile import compile_function
from ..errors import ArgumentError, DataError, ParameterError, TrainingError, VariableError, \
    did_you_mean
from ..expression import Expression
from ..optim import BUILTIN_OPTIMIZERS, make_optimizer
from ..symbolic import derivative, reverse_gradients, symbol
from ._batches import BatchSource, IterableSource, Step, as_column, check_lengths, make_source
from ._checks import asks_to_stop, check_callbacks, check_patience, check_seed, \
    check_tolerance, samples_of_scalars
from ._history import History, shown
from ._losses import loss_expression
from ._metrics import Metric, evaluate_metrics, make_metrics
from ._progress import Progress
from ._schedules import Schedule
from ._units import unit_objective
from ._vector_objective import VectorObjective

__all__ = ["Trainer"]


class Trainer:
    """Fits a model's trainable params by gradient descent on a loss.

    Args:
        model: An Expression with trainable params; its variables are the inputs.
        loss: A catalog loss name, a formula over catalog losses, the penalties
            ``l2`` and ``l1_penalty`` and the model's params
            (``"mse + 0.01*l2"``), or an Expression in ``y_pred`` and ``y_true``.
        optimizer: A name (``sgd``, ``momentum``, ``rmsprop``, ``adagrad``,
            ``adam``, ``adamw`` or one a pack adds) or an Optimizer.
        learning_rate: The optimiser's step size (default: its own).
        forge: The catalog that resolves loss names (default: a new MathForge).
        **optimizer_settings: The optimiser's other settings
            (``momentum=0.9, nesterov=True``...).
    """

    def __init__(self, model: Expression, loss="mse", optimizer="adam",
                 learning_rate: float | None = None, forge=None, **optimizer_settings):
        if not isinstance(model, Expression):
            raise ArgumentError(f"Trainer needs an Expression as model, got {type(model).__name__}")
        if not model.trainable_params:
            raise ParameterError(
                f"model {model.name!r} has no trainable params (its params: "
                f"{', '.join(model.params) or 'none'}); make some trainable with "
                "Expression(..., trainable_params=[...]), forge.get(name, trainable=True) "
                "or `trainable: [...]` in its YAML definition")
        if forge is not None and not isinstance(forge, MathForge):
            raise ArgumentError(f"forge must be a MathForge, got {type(forge).__name__}")
        self.forge = forge if forge is not None else MathForge()
        self.model = model
        self.loss = loss_expression(loss, model, self.forge)
        self.optimizer = make_optimizer(optimizer, learning_rate, self.forge.optimizers,
                                        **optimizer_settings)
        self._trainable = model.trainable_params
        self._fixed = tuple(p for p in model.params if p not in self._trainable)
        self._compiled = None
        self._scalar_function = None
        self._vector = None   # the objective of a model with vector params or repeated units

    # -- the compiled objective ------------------------------------------------
    def compile(self) -> Callable:
        """Differentiate and compile the loss now (``fit`` does it on first use).

        Returns:
            ``f(inputs..., y_true, trainable..., fixed...) -> (loss, *gradients)``,
            per sample, for whole arrays. For vector and matrix params, and for
            a model with repeated units (trained as vector params, see
            ``_units``), the loss and gradients are summed over the batch,
            whose size the keyword ``_n`` gives.
        """
        if self._compiled is None:
            if self.model.shapes or self.loss.shapes:
                self._vector = VectorObjective(self.model, self.loss)
            else:
                self._vector = unit_objective(self.model, self.loss)
            self._compiled = self._per_sample() if self._vector is None else \
                self._vector.function
        return self._compiled

    def _per_sample(self) -> Callable:
        """The per-sample loss and gradients of a scalar model, compiled once.

        By the chain rule through the prediction p: d loss/d param = (d loss/dp)
        times (d model/d param), plus the loss's own dependence on the param (a
        penalty). The loss and its slope are written in p, as the catalog
        differentiates them (so BCE with logits' slope is one kernel, not two
        sigmoids), the slope is computed once for every param, and the model
        once for the loss and the slope (``compile_function``'s bindings)."""
        if self._scalar_function is None:
            # the prediction and the targets get symbols of their own: a model may
            # name an input y_pred or y_true
            prediction = sympy.Dummy("y_pred", real=True)
            target = sympy.Dummy("y_true", real=True)
            constants = {symbol(p): sympy.Float(v) for p, v in self.loss.params.items()}
            constants[symbol("y_true")] = target
            loss = self.loss.symbolic_expr.xreplace(constants)
            slope = derivative(loss, "y_pred").xreplace({symbol("y_pred"): prediction})
            loss = loss.xreplace({symbol("y_pred"): prediction})
            wanted = [symbol(p) for p in self._trainable]
            model_slopes = reverse_gradients(self.model.symbolic_expr, wanted)
            own = reverse_gradients(loss, wanted)
            gradients = [_times(slope, m) + o for m, o in zip(model_slopes, own)]
            args = [symbol(v) for v in self.model.variables] + [target]
            args += wanted + [symbol(p) for p in self._fixed]
            self._scalar_function = compile_function(
                [loss, *gradients], args, "numpy", f"loss of {self.model.name}",
                with_means=True, bindings=[(prediction, self.model.symbolic_expr)])
        return self._scalar_function

    # -- fitting -------------------------------------------------------------------
    def fit(self, inputs, targets=None, epochs: int = 100, batch_size: int | None = None,
            shuffle: bool = True, seed: int | None = None,
            callbacks: Iterable[Callable[[int, History], object]] = (),
            tolerance: float | None = None, patience: int = 5,
            verbose: bool = True, validation: tuple | None = None, metrics: Iterable = (),
            schedule=None, schedule_unit: str = "epoch") -> History:
        """Train for ``epochs`` passes over the data; update ``model.params``.

        Args:
            inputs: An array (models of one variable) or a dict from variable
                name to array, one row per sample. Arrays may be NumPy
                memmaps or dask arrays, read a few chunks at a time (see the
                guide "From a laptop to a cluster"). Without ``targets``: the
                batches, an iterable of ``(inputs, targets)`` pairs or a
                function returning a new one each epoch.
            targets: The ``y_true`` array, one per sample (None: ``inputs``
                are batches).
            epochs: Passes over the data.
            batch_size: Samples per step (default: all of them; over memmaps
                and dask arrays, averaged chunk by chunk, over dask arrays in
                a dask task per chunk, on a cluster's workers when a
                ``distributed.Client`` is active).
                Batches from an iterable keep their own size.
            shuffle: Shuffle the samples at each epoch (memmaps and dask
                arrays: the order of their chunks, and the rows within a few
                chunks read together; batches from an iterable come in their
                own order).
            seed: Seed of the shuffling.
            callbacks: Functions ``f(epoch, history)``; one returning True stops training.
            tolerance: Stop once the loss has improved by less than this for
                ``patience`` epochs.
            patience: See ``tolerance``.
            verbose: Report progress: a tqdm bar on a terminal or in a
                notebook, plain lines every tenth of the fit in a log file.
            validation: ``(inputs, targets)`` (or a function returning
                batches) evaluated after every epoch: ``val_loss`` and
                ``val_<metric>`` in ``History.metrics``.
            metrics: Catalog names (``"mae"``), formulas in ``y_pred`` and
                ``y_true`` or Expressions, averaged over the samples with the
                params at the end of each epoch.
            schedule: A learning-rate schedule: a catalog name
                (``"cosine_decay"``), a formula in ``t`` or an Expression of
                one variable; its value at ``t`` = 0, 1, 2... is the learning
                rate (after the fit the optimiser keeps the last one, as in PyTorch).
            schedule_unit: What ``t`` counts: ``"epoch"`` or optimiser ``"step"``.

        Returns:
            The History of the fit (also kept as ``trainer.history``).

        Raises:
            TrainingError: the loss diverges, or cannot start (the sample and
                params are named); the params keep the values of the last
                finished epoch.
            DataError: the data are unusable (a TrainingError too).
            ArgumentError: a setting is not what it should be.

        Whatever stops a fit early (Ctrl-C, an exception from a callback)
        leaves the params, the optimiser's state and ``trainer.history`` as
        they were at the end of the last finished epoch.
        """
        epochs = _positive_int("epochs", epochs)
        tolerance, patience = check_tolerance(tolerance), check_patience(patience)
        seed, callbacks = check_seed(seed), check_callbacks(callbacks)
        source = self._source(inputs, targets, epochs)
        measured = make_metrics(metrics, self.model, self.forge)
        held_out = None if validation is None else self._validation(validation)
        rate = None if schedule is None else Schedule(schedule, schedule_unit, self.forge)
        size = None if batch_size is None else _positive_int("batch_size", batch_size)
        objective, values = self._objective(*source.sample())
        rng = np.random.default_rng(seed)
        history, best, waited, steps = History(), math.inf, 0, 0
        progress = Progress(epochs, enabled=verbose)
        start = time.perf_counter()
        self.history = history
        finished = self._checkpoint(values, history)
        try:
            for epoch in range(epochs):
                values, steps, loss = self._epoch(
                    objective, source, values, epoch, size, shuffle, rng, rate, steps)
                self._store(values)
                history.loss.append(loss)
                history.params.append(dict(self.model.params))
                self._record(history, source, measured, held_out, rate)
                finished = self._checkpoint(values, history)
                if progress.mode != "off":
                    progress.update(epoch + 1, history.last())
                if tolerance is not None:
                    improved = best - history.loss[-1] > tolerance
                    best, waited = min(best, history.loss[-1]), 0 if improved else waited + 1
                    if waited >= patience:
                        history.stopped_early = True
                        history.reason = (f"loss improved by less than {tolerance:g} for "
                                          f"{patience} epochs")
                        break
                if any(asks_to_stop(callback(epoch, history)) for callback in callbacks):
                    history.stopped_early, history.reason = True, "a callback asked to stop"
                    break
        except BaseException as exc:   # Ctrl-C too: params, optimizer and history agree
            self._restore(finished, history)
            if isinstance(exc, TrainingError) and exc.history is None:
                exc.history = history
            history.stopped_early = True
            history.reason = history.reason or _interruption(exc)
            raise
        finally:
            progress.close(history.epochs, history.last(), history.reason)
            history.seconds = time.perf_counter() - start
        return history

    def _epoch(self, objective, source, values, epoch, size, shuffle, rng, rate, steps):
        """One pass over the data: ``(new values, steps taken so far, mean loss)``."""
        total, count = 0.0, 0
        if rate is not None and rate.unit == "epoch":
            self.optimizer.learning_rate = rate(epoch)
        per_step = rate is not None and rate.unit == "step"
        # a built-in optimiser turns a non-finite gradient into non-finite params,
        # so its gradient is looked at only when they are (one check per step)
        carried = type(self.optimizer) in _BUILT_IN
        with np.errstate(all="ignore"):   # non-finite losses and params are caught here
            for step in source.steps(size, shuffle, rng):
                if per_step:
                    self.optimizer.learning_rate = rate(steps)
                loss, gradient, samples = step.mean(objective, values)
                if not (math.isfinite(loss) and (carried or _all_finite(gradient))):
                    raise self._non_finite(step, values, epoch, started=steps > 0)
                total, count = total + loss * samples, count + samples
                moved = self._step(values, gradient)
                if not _all_finite(moved):
                    if not _all_finite(gradient):
                        raise self._non_finite(step, values, epoch, started=steps > 0)
                    raise TrainingError(
                        f"a param became non-finite during epoch {epoch + 1}: training "
                        f"diverged. {_KEPT}; try a smaller learning_rate.")
                values, steps = moved, steps + 1
        return values, steps, total / count

    def _step(self, values: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """The optimiser's update, checked: one finite-or-not number per param."""
        new = self.optimizer.step(values, gradient)
        try:
            new = None if new is None else np.asarray(new, dtype=np.float64)
        except (TypeError, ValueError):
            new = None
        if new is None or new.shape != values.shape:
            raise TrainingError(f"optimizer {type(self.optimizer).__name__}.step() must return "
                                f"an array of {values.size} param values, like the values it "
                                f"got; it returned {_described(new)}")
        return new

    def _checkpoint(self, values: np.ndarray, history: History) -> tuple:
        """What a fit returns to when it is interrupted: the params of the last
        finished epoch, the optimiser's state and the number of epochs recorded."""
        state = vars(self.optimizer)
        if type(self.optimizer) in _BUILT_IN:   # their steps replace arrays, never change them
            state = dict(state)
        else:
            state = {k: _snapshot(v) for k, v in state.items()}
        return values.copy(), state, history.epochs

    def _restore(self, checkpoint: tuple, history: History) -> None:
        values, state, epochs = checkpoint
        self._store(values)
        vars(self.optimizer).clear()
        vars(self.optimizer).update(state)
        history.truncate(epochs)

    def _non_finite(self, step, values, epoch, started: bool) -> TrainingError:
        """Why the loss or its gradient is not finite, with the sample named.

        Before the first update the learning rate cannot be the cause: the
        data, the model, its derivative or its initial params are."""
        cause = "the loss or its gradient is not finite"
        parts = step.parts if isinstance(step, Step) and isinstance(step.parts, list) else ()
        for columns, targets in parts:   # in memory, so it can be looked at again
            cause = self._first_non_finite(columns, targets, values) or cause
        if cause.startswith("the data"):
            return DataError(f"{cause} (epoch {epoch + 1}): training stopped. {_KEPT}; remove "
                             "or fill the non-finite values.")
        if not started:
            return TrainingError(f"cannot start training: {cause}. {_START_HINT}")
        return TrainingError(f"{cause} during epoch {epoch + 1}: training diverged. {_KEPT}; "
                             "try a smaller learning_rate.")

    def _first_non_finite(self, batch, targets, values) -> str | None:
        for name, data in [*zip(self.model.variables, batch), ("targets", targets)]:
            bad = np.argwhere(~np.isfinite(data))   # data read lazily were not checked before
            if bad.size:
                return f"the data for {name!r} hold {data[tuple(bad[0])]} in this batch"
        if not self._scalar_samples():
            return None
        fixed = [self.model.params[p] for p in self._fixed]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = [np.broadcast_to(o, np.shape(targets))
                       for o in self._per_sample()(*batch, targets, *values, *fixed)]
            predictions = np.broadcast_to(self.model(*batch), np.shape(targets)) \
                if self.model.variables else None
        names = ["the loss"] + [f"the gradient by {p!r}" for p in self._trainable]
        for name, output in zip(names, outputs):
            bad = np.flatnonzero(~np.isfinite(output))
            if bad.size:
                i = int(bad[0])
                sample = ", ".join(f"{v}={shown(c[i])}"
                                   for v, c in zip(self.model.variables, batch))
                params = ", ".join(f"{p}={shown(v)}" for p, v in zip(self._trainable, values))
                where = f"{name} is {output[i]} at the sample {sample}, y_true={shown(targets[i])}"
                if predictions is not None and not np.isfinite(predictions[i]):
                    where += f" (the model itself gives {predictions[i]} there)"
                return f"{where}, with params {params}"
        return None

    def _objective(self, columns, y) -> tuple[Callable, np.ndarray]:
        """``(batch, targets, values) -> (mean loss, mean gradient)``, and the
        trainable params' current values as one vector."""
        compiled = self.compile()
        if self._vector is not None:
            return self._vector.start(columns, y)
        fixed = [self.model.params[p] for p in self._fixed]
        means = compiled.means

        def objective(batch, targets, values):
            loss, *gradient = means(*batch, targets, *values.tolist(), *fixed)
            return loss, np.array(gradient)
        return objective, np.array([self.model.params[p] for p in self._trainable])

    def _store(self, values: np.ndarray) -> None:
        if self._vector is not None:
            self._vector.store(values)
            return
        # finite float64 values of existing names, as Params would check them
        dict.update(self.model.params, zip(self._trainable, values.tolist()))

    def _record(self, history: History, source: BatchSource, measured, held_out, rate) -> None:
        """Append the epoch's metrics, validation results and learning rate."""
        results = {}
        if measured:
            results.update(source.mean(lambda columns, y: evaluate_metrics(
                self.model, self._predict(columns), y, measured)))
        if held_out is not None:
            results.update(self._evaluate(held_out, measured, prefix="val_"))
        for name, value in results.items():
            history.metrics.setdefault(name, []).append(value)
        if rate is not None:
            history.learning_rate.append(self.optimizer.learning_rate)

    # -- using the model -------------------------------------------------------------
    def predict(self, inputs) -> np.ndarray:
        """The model's outputs for ``inputs``, with the current params.

        Args:
            inputs: As for :meth:`fit`: an array, or a dict from variable name
                to array; memmaps and dask arrays are read a few chunks at a time.

        Returns:
            One output per sample, as a float64 array.
        """
        source = make_source(self._columns(inputs), None, self.model.variables)
        outputs = [self._predict(columns) for columns, _ in source.pieces()]
        return np.array(outputs[0]) if len(outputs) == 1 else np.concatenate(outputs)

    def evaluate(self, inputs, targets=None, metrics: Iterable = ()) -> dict[str, float]:
        """The mean loss (and metrics) of the model on data, without training.

        Args:
            inputs: As for :meth:`fit`.
            targets: The ``y_true`` array (None: ``inputs`` are batches).
            metrics: As for :meth:`fit`.

        Returns:
            ``{"loss": ..., "<metric>": ...}``, means over all samples (over
            chunks or batches: their means weighted by their sizes).
        """
        return self._evaluate(self._source(inputs, targets),
                              make_metrics(metrics, self.model, self.forge))

    def score(self, inputs, targets=None, metric: str = "accuracy") -> float:
        """One metric of the model on data: by default, a classifier's accuracy.

        Args:
            inputs: As for :meth:`fit`.
            targets: The true outputs (class indices or one-hot rows for
                accuracy; None: ``inputs`` are batches).
            metric: A metric as in :meth:`fit` (``"accuracy"``, a catalog name, a formula).

        Raises:
            ArgumentError: an unknown metric, or data that do not fit it.
        """
        source = self._source(inputs, targets)
        [measured] = make_metrics([metric], self.model, self.forge)
        return source.mean(lambda columns, y: {
            "score": measured.mean(self._predict(columns), y, self.model)})["score"]

    def _evaluate(self, source: BatchSource, measured, prefix: str = "") -> dict[str, float]:
        every = [Metric("loss", self.loss), *measured]
        return source.mean(lambda columns, y: evaluate_metrics(
            self.model, self._predict(columns), y, every, prefix))

    def _predict(self, columns: list[np.ndarray]) -> np.ndarray:
        outputs = self.model(*columns)
        if self.model.shapes:   # a vector output keeps its own last axis
            return np.asarray(outputs)
        return np.broadcast_to(outputs, np.broadcast_shapes(*(c.shape for c in columns)))

    def _validation(self, validation) -> BatchSource:
        if callable(validation):
            return self._source(validation)
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ArgumentError("validation is a pair (inputs, targets), like fit's data, or "
                                "a function returning batches")
        return self._source(*validation)

    def _columns(self, inputs) -> list[np.ndarray]:
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
        columns = [as_column(inputs[v], v) for v in variables]
        if self._scalar_samples():
            columns = [samples_of_scalars(c, v, self.model.name)
                       for c, v in zip(columns, variables)]
        return columns

    def _scalar_samples(self) -> bool:
        """Does every sample hold one number per input and one target?"""
        return not (self.model.shapes or self.loss.shapes)

    def _data(self, inputs, targets) -> tuple[list, object]:
        """The checked columns and targets (memmaps and dask arrays stay lazy)."""
        columns = self._columns(inputs)
        y = as_column(targets, "targets")
        if self._scalar_samples():
            y = samples_of_scalars(y, "targets", self.model.name)
        check_lengths([*columns, y], [*self.model.variables, "targets"])
        return columns, y

    def _source(self, inputs, targets=None, epochs: int = 1) -> BatchSource:
        """Where the batches come from: arrays, chunked arrays or the user's batches."""
        if targets is None:
            return IterableSource(inputs, self._data, epochs)
        columns, y = self._data(inputs, targets)
        return make_source(columns, y, [*self.model.variables, "targets"])

    # -- reporting -------------------------------------------------------------------
    def summary(self) -> str:
        """A readable account of the model, loss, optimiser and last fit."""
        lines = [f"model      {self.model}",
                 f"loss       {self.loss.formula}  (mean over the batch)",
                 f"optimizer  {self.optimizer!r}",
                 "params     " + ", ".join(
                     f"{k}={shown(v)}{' (trainable)' if k in self._trainable else ''}"
                     for k, v in self.model.params.items())]
        history = getattr(self, "history", None)
        if history is not None:
            lines.append(f"last fit   {history}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        fitted = getattr(self, "history", None)
        state = f", fitted {fitted.epochs} epochs" if fitted is not None else ""
        return (f"Trainer({self.model.name!r}: {len(self._trainable)} trainable of "
                f"{len(self.model.params)} params, loss {self.loss.name!r}, "
                f"{type(self.optimizer).__name__}(learning_rate={self.optimizer.learning_rate:g})"
                f"{state})")


_PLAIN = frozenset({int, float, str, bool, type(None)})
# The built-in optimisers: their steps replace arrays, never change them in place,
# and carry a non-finite gradient into the params (tests/test_optimizers.py).
_BUILT_IN = frozenset(BUILTIN_OPTIMIZERS.values())


def _times(slope: sympy.Expr, factor: sympy.Expr) -> sympy.Expr:
    """``slope*factor`` with a number common to the slope's terms kept outside the
    sum: mse's slope 2*(p - y), not 2*p - 2*y (one pass fewer, and p - y is
    shared with the loss)."""
    content, rest = slope.as_content_primitive()
    if content == 1 or not rest.is_Add:
        return slope * factor
    return sympy.Mul(content, rest, *([] if factor == 1 else [factor]), evaluate=False)


def _snapshot(value):
    """A copy of one piece of optimiser state that later steps cannot change."""
    if type(value) in _PLAIN:      # most of it: settings and the step count
        return value
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (int, float, str, bool)):   # np.float64 and other subclasses
        return value
    return copy.deepcopy(value)


def _all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite: a finite sum says so in one call (inf and
    nan propagate through it); an overflowing sum asks each value. (The caller
    silences NumPy's overflow warning.) A few values are summed as Python
    floats, which costs less than NumPy's call up to about 64 of them."""
    total = sum(values.tolist()) if values.ndim == 1 and values.size <= _FEW else \
        np.add.reduce(values, axis=None)
    return math.isfinite(total) or bool(np.isfinite(values).all())


_FEW = 48


_KEPT = "The params keep their values from the last finished epoch"
_START_HINT = ("The model or its derivative is not defined there: check the data against "
               "the formula's domain and the params' starting values")


def _interruption(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"stopped by {type(exc).__name__}: {exc}"


def _described(value) -> str:
    if value is None:
        return "something that is not an array of numbers"
    return f"an array of shape {value.shape}"


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    return value


