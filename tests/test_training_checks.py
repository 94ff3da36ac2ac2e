"""What a fit refuses, how it explains a loss that is not finite, and what it
leaves behind when it does not finish."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from neurogebra import (SGD, Adam, ArgumentError, DataError, Expression, MathForge, Optimizer,
                        Trainer, TrainingError)

FORGE = MathForge(plugins="builtin")
X = np.linspace(-1.0, 1.0, 32)
Y = 3.0 * X + 1.0


def line(**params):
    return Expression("line", "w*x + b", params={"w": 0.0, "b": 0.0, **params},
                      trainable_params=["w", "b"])


def fit(model=None, inputs=X, targets=Y, optimizer="sgd", **settings):
    rate = 0.3 if isinstance(optimizer, str) else None
    trainer = Trainer(model or line(), optimizer=optimizer, learning_rate=rate, forge=FORGE)
    settings = {"epochs": 200, "verbose": False, **settings}
    return trainer, trainer.fit(inputs, targets, **settings)


@pytest.mark.parametrize("inputs, targets", [
    (X.reshape(-1, 1), Y), (X, Y.reshape(-1, 1)), (X.reshape(-1, 1), Y.reshape(-1, 1))])
def test_a_column_of_shape_n_by_1_is_n_samples(inputs, targets):
    trainer, _ = fit(inputs=inputs, targets=targets)
    assert trainer.model.params["w"] == pytest.approx(3.0, abs=1e-3)


@pytest.mark.parametrize("inputs, targets, message", [
    (np.stack([X, X], 1), Y, r"data for 'x' have shape \(32, 2\), but 'line' takes one number"),
    (np.array([[0.0, 1.0], [1.0, 2.0]]), np.array([1.0, 3.0]), r"shape \(2, 2\)"),
    (X + 1j, Y, "data for 'x' are complex numbers"),
    (X, Y + 5j, "data for 'targets' are complex numbers"),
    ([str(v) for v in X], Y, "data for 'x' must be numbers, got text"),
    ([10 ** 400] * 32, Y, "data for 'x' hold a number beyond the float64 range"),
    (np.where(np.arange(32) == 3, np.nan, X), Y, "data for 'x' hold nan at sample 3"),
    (X, np.where(np.arange(32) == 0, np.inf, Y), "data for 'targets' hold inf at sample 0"),
])
def test_unusable_data_are_named_at_their_source(inputs, targets, message):
    with pytest.raises(TrainingError, match=message):
        fit(inputs=inputs, targets=targets)


@pytest.mark.parametrize("model, message", [
    (Expression("root", "sqrt(w)*x", params={"w": -1.0}, trainable_params=["w"]),
     r"cannot start training: the loss is nan at the sample x=-1, .*\(the model itself "
     r"gives nan there\), with params w=-1"),
    (Expression("power", "a*x**p", params={"a": 1.0, "p": 2.0}, trainable_params=["a", "p"]),
     r"cannot start training: the gradient by 'p' is nan at the sample x=-2, y_true=-16, "
     r"with params a=1, p=2"),
])
def test_a_loss_that_cannot_start_is_not_blamed_on_the_learning_rate(model, message):
    # d(x**p)/dp = x**p*log(x) is nan for x < 0 (at x = 0 it is 0, as in PyTorch)
    grid = np.linspace(-2.0, 2.0, 16) if "p" in model.params else X
    with pytest.raises(TrainingError, match=message) as info:
        fit(model, inputs=grid, targets=2 * grid ** 3 if "p" in model.params else Y)
    assert "learning_rate" not in str(info.value)


@pytest.mark.parametrize("settings, message", [
    ({"tolerance": float("nan")}, "tolerance must be a finite number >= 0"),
    ({"tolerance": -1.0}, "tolerance must be a finite number >= 0"),
    ({"tolerance": "0.1"}, "tolerance must be a finite number >= 0"),
    ({"patience": -3}, "patience must be a positive integer"),
    ({"patience": 0}, "patience must be a positive integer"),
    ({"patience": 2.5}, "patience must be a positive integer"),
    ({"seed": "abc"}, "seed must be a non-negative integer or None"),
    ({"seed": -1}, "seed must be a non-negative integer or None"),
    ({"callbacks": [1]}, "callbacks must be functions"),
    ({"callbacks": 5}, "callbacks must be a list of functions"),
])
def test_settings_are_checked(settings, message):
    with pytest.raises(ArgumentError, match=message):
        fit(**settings)


def test_callbacks_may_be_none_and_numpy_true_stops():
    _, history = fit(callbacks=None, epochs=3)
    assert history.epochs == 3
    _, history = fit(callbacks=[lambda epoch, h: np.bool_(epoch == 1)], epochs=20)
    assert (history.epochs, history.reason) == (2, "a callback asked to stop")


@pytest.mark.parametrize("build, message", [
    (lambda: Trainer(line(), forge="not a forge"), "forge must be a MathForge, got str"),
    (lambda: Trainer(line(), optimizer="sgd", learning_rate=10 ** 400),
     "learning_rate must be a positive number"),
    (lambda: Trainer(Expression("m", "w*x + l2", params={"w": 0.0, "l2": 0.0},
                                trainable_params=["w", "l2"]), loss="mse + l2", forge=FORGE),
     "'l2' is both the penalty l2 and a param of the model"),
])
def test_trainer_arguments_are_checked(build, message):
    with pytest.raises(ArgumentError, match=message):
        build()


@pytest.mark.parametrize("model", [
    Expression("m", "w*y_true", params={"w": 0.0}, trainable_params=["w"]),
    Expression("m", "w*x + y_true", params={"w": 0.0, "y_true": 1.0}, trainable_params=["w"]),
])
def test_a_model_may_use_the_name_y_true(model):
    trainer, _ = fit(model, inputs={v: X for v in model.variables} if model.variables else X,
                     targets=3.0 * X + (1.0 if "y_true" in model.params else 0.0))
    assert model.params["w"] == pytest.approx(3.0, abs=1e-3)


def test_a_param_inside_sign_trains():
    model = Expression("m", "sign(w)*x + b", params={"w": 0.5, "b": 0.0},
                       trainable_params=["w", "b"])
    fit(model, epochs=50)
    assert model.params["b"] == pytest.approx(1.0, abs=1e-3)   # w's gradient is 0, as in torch


class _Returns(Optimizer):
    name = "returns"

    def __init__(self, result, learning_rate=0.1):
        super().__init__(learning_rate)
        self.result = result

    def _update(self, values, gradients):
        return self.result(values)


@pytest.mark.parametrize("result, message", [
    (lambda v: float(v[0]), r"an array of shape \(\)"),
    (lambda v: v[:1], r"an array of shape \(1,\)"),
    (lambda v: None, "something that is not an array of numbers"),
])
def test_an_optimizer_returning_the_wrong_thing_is_named(result, message):
    with pytest.raises(TrainingError, match=r"optimizer _Returns.step\(\) must return an array "
                                            r"of 2 param values.*" + message):
        fit(optimizer=_Returns(result), epochs=2)


def test_an_optimizer_that_cannot_be_built_is_named():
    class Picky(Optimizer):
        name = "picky"

        def __init__(self, learning_rate=0.1):
            raise ValueError("needs a schedule")

    from neurogebra.optim import make_optimizer
    with pytest.raises(ArgumentError, match="optimizer 'picky' could not be built: "
                                            "ValueError: needs a schedule"):
        make_optimizer("picky", None, {"picky": Picky})


class InPlaceMomentum(SGD):
    """An optimiser that changes its state array in place (built-in ones replace it)."""

    def _update(self, values, gradients):
        if not hasattr(self, "_velocity"):
            self._velocity = np.zeros_like(values)
        self._velocity *= 0.9
        self._velocity += gradients
        return values - self.learning_rate * self._velocity


@pytest.mark.parametrize("optimizer, state", [
    (Adam(learning_rate=0.1), ("_m", "_v")), (InPlaceMomentum(learning_rate=0.01), ("_velocity",)),
])
def test_an_interrupted_fit_keeps_params_and_optimizer_state_of_the_last_epoch(optimizer, state):
    """Ctrl-C two steps into the fifth epoch: params, step count and moments are
    those at the end of the fourth, whether the optimiser replaces its state
    arrays or changes them in place."""
    seen, epochs = {}, iter(range(10))

    def batches():
        epoch = next(epochs)
        for i, first in enumerate(range(0, len(X), 8)):
            if epoch == 4 and i == 2:
                raise KeyboardInterrupt
            yield X[first:first + 8], Y[first:first + 8]

    def remember(epoch, history):
        seen[epoch] = (dict(trainer.model.params), trainer.optimizer.steps,
                       [getattr(trainer.optimizer, name).tolist() for name in state])

    trainer = Trainer(line(), optimizer=optimizer, forge=FORGE)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(batches, epochs=10, callbacks=[remember], verbose=False)
    assert (dict(trainer.model.params), trainer.optimizer.steps,
            [getattr(trainer.optimizer, name).tolist() for name in state]) == seen[3]
    assert trainer.history.epochs == 4 and trainer.history.reason == "interrupted"
    assert trainer.history.stopped_early


def test_a_diverged_fit_rolls_the_optimizer_back_with_the_params():
    model = Expression("cube", "w*x**3", params={"w": 1.0}, trainable_params=["w"])
    grid = np.linspace(-10, 10, 50)
    trainer = Trainer(model, "mse", "adam", learning_rate=1e6, forge=FORGE)
    trainer.optimizer = SGD(learning_rate=10.0)
    with pytest.raises(TrainingError, match="training diverged") as info:
        trainer.fit(grid, 2 * grid ** 3, epochs=100, batch_size=10, verbose=False)
    finished = info.value.history.epochs
    assert trainer.optimizer.steps == finished * 5
    assert trainer.history is info.value.history


def test_ctrl_c_in_a_real_process_leaves_a_consistent_model(tmp_path):
    script = textwrap.dedent("""
        import os, signal, sys, time
        import numpy as np
        from neurogebra import Expression, Trainer
        model = Expression("line", "w*x + b", params={"w": 0.0, "b": 0.0},
                           trainable_params=["w", "b"])
        x = np.linspace(-1, 1, 20000); y = 3 * x + 1
        trainer = Trainer(model, optimizer="adam", learning_rate=0.01)
        def slow(epoch, history):
            if epoch == 2:
                print("ready", flush=True)
            time.sleep(0.05)
        try:
            trainer.fit(x, y, epochs=10**6, batch_size=64, callbacks=[slow], verbose=False)
        except KeyboardInterrupt:
            h = trainer.history
            last = h.params[-1]
            steps = trainer.optimizer.steps
            print("kept", dict(model.params) == last, steps == h.epochs * 313, h.reason)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert out.strip() == "kept True True interrupted", err[-2000:]


def test_a_nan_in_lazy_data_is_named_when_its_batch_is_read():
    da = pytest.importorskip("dask.array", reason="dask support needs the [dask] extra")
    inputs = np.where(np.arange(32) == 20, np.nan, X)
    with pytest.raises(DataError, match=r"the data for 'x' hold nan in this batch \(epoch 1\): "
                                        "training stopped"):
        fit(inputs=da.from_array(inputs, chunks=8), batch_size=16, shuffle=False)
