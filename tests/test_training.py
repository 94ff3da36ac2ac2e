"""Trainer: fitting params on symbolic gradients, and its errors."""

import math

import numpy as np
import pytest
import sympy

from neurogebra import (Expression, MathForge, ParameterError, Trainer, TrainingError,
                        UnknownFunctionError, VariableError)
from neurogebra.symbolic import reverse_gradients, symbol

FORGE = MathForge(plugins="builtin")


def line():
    return Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, 3 * x + 2


def test_fit_recovers_a_line_and_updates_params_in_place():
    model = line()
    x, y = data()
    history = Trainer(model, "mse", "adam", learning_rate=0.1, forge=FORGE).fit(
        x, y, epochs=300, verbose=False)
    assert model.params["m"] == pytest.approx(3, abs=1e-3)
    assert model.params["b"] == pytest.approx(2, abs=1e-3)
    assert history.epochs == 300 and history.loss[-1] < history.loss[0]
    assert history.params[-1] == model.params


def test_first_step_matches_the_hand_computed_gradient():
    model = line()
    x, y = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    Trainer(model, "mse", "sgd", learning_rate=0.1, forge=FORGE).fit(x, y, epochs=1,
                                                                       verbose=False)
    # d/dm mean((m x + b - y)^2) at 0 = mean(-2 x y) = -7 ; d/db = mean(-2 y) = -4
    assert model.params == pytest.approx({"m": 0.7, "b": 0.4}, rel=1e-15)


def test_several_named_inputs_and_minibatches():
    model = Expression("plane", "a*u + c*v", params={"a": 0.0, "c": 0.0},
                       trainable_params=["a", "c"])
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=500), rng.normal(size=500)
    history = Trainer(model, "mse", "momentum", learning_rate=0.05, forge=FORGE).fit(
        {"u": u, "v": v}, 2 * u - v, epochs=30, batch_size=50, seed=3, verbose=False)
    assert model.params["a"] == pytest.approx(2, abs=1e-3)
    assert model.params["c"] == pytest.approx(-1, abs=1e-3)
    again = Expression("plane", "a*u + c*v", params={"a": 0.0, "c": 0.0},
                       trainable_params=["a", "c"])
    repeat = Trainer(again, "mse", "momentum", learning_rate=0.05, forge=FORGE).fit(
        {"u": u, "v": v}, 2 * u - v, epochs=30, batch_size=50, seed=3, verbose=False)
    assert repeat.loss == history.loss   # same seed, same shuffles


def test_regularised_loss_formula_and_fixed_params():
    model = Expression("scaled", "k*w*x", params={"w": 0.0, "k": 2.0}, trainable_params=["w"])
    x = np.array([1.0])
    trainer = Trainer(model, "mse + 0.5*l2", "sgd", learning_rate=0.01, forge=FORGE)
    trainer.fit(x, np.array([2.0]), epochs=2000, verbose=False)
    # minimise (2w - 2)^2 + 0.5 w^2  ->  8(w - 1) + w = 0  ->  w = 8/9
    assert model.params["w"] == pytest.approx(8 / 9, abs=1e-6)
    assert model.params["k"] == 2.0
    assert "l2" not in trainer.loss.formula and "w**2" in trainer.loss.formula


def test_loss_may_be_an_expression_or_a_composition():
    model = line()
    x, y = data()
    huber = FORGE.get("huber", params={"delta": 0.5})
    Trainer(model, huber, "adam", learning_rate=0.1, forge=FORGE).fit(x, y, epochs=400,
                                                                      verbose=False)
    assert model.params["m"] == pytest.approx(3, abs=1e-2)
    Trainer(line(), "mse + 0.1*mae", forge=FORGE)


def test_early_stopping_and_callbacks():
    model = line()
    x, y = data()
    history = Trainer(model, "mse", "adam", learning_rate=0.1, forge=FORGE).fit(
        x, y, epochs=5000, tolerance=1e-12, patience=3, verbose=False)
    assert history.stopped_early and history.epochs < 5000
    assert "improved by less than 1e-12 for 3 epochs" in history.reason
    seen = []
    history = Trainer(line(), "mse", forge=FORGE).fit(
        x, y, epochs=50, verbose=False,
        callbacks=[lambda epoch, h: seen.append(epoch) or epoch == 4])
    assert seen == [0, 1, 2, 3, 4] and history.epochs == 5
    assert history.reason == "a callback asked to stop"


def test_divergence_stops_with_a_clear_error_and_last_finite_params():
    model = Expression("cube", "w*x**3", params={"w": 1.0}, trainable_params=["w"])
    x = np.linspace(-10, 10, 50)
    trainer = Trainer(model, "mse", "sgd", learning_rate=10.0, forge=FORGE)
    with pytest.raises(TrainingError, match="training diverged") as info:
        trainer.fit(x, 2 * x ** 3, epochs=100, verbose=False)
    history = info.value.history
    assert history.epochs >= 1 and all(math.isfinite(v) for v in history.loss)
    assert model.params["w"] == history.params[-1]["w"]


@pytest.mark.parametrize("inputs, targets, error, message", [
    ({"x": [1.0, 2.0]}, [1.0], TrainingError, "different lengths: x=2, targets=1"),
    ({"z": [1.0]}, [1.0], VariableError, "'z', which is not a variable"),
    ({}, [1.0], VariableError, "no data for variable(s) x"),
    ({"x": ["a"]}, [1.0], TrainingError, "data for 'x' must be numbers, got text"),
    ({"x": []}, [], TrainingError, "no training data"),
])
def test_bad_data_is_refused(inputs, targets, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        Trainer(line(), forge=FORGE).fit(inputs, targets, epochs=1, verbose=False)


def test_bad_setup_is_refused():
    with pytest.raises(ParameterError, match="has no trainable params"):
        Trainer(Expression("f", "a*x", params={"a": 1.0}), forge=FORGE)
    with pytest.raises(ParameterError, match="trainable param 'q' of 'f' is not a param"):
        Expression("f", "a*x", params={"a": 1.0}, trainable_params=["q"])
    with pytest.raises(UnknownFunctionError, match="'msee' is neither a catalog loss"):
        Trainer(line(), "msee", forge=FORGE)
    two = Expression("two", "a*x + y", params={"a": 1.0}, trainable_params=["a"])
    with pytest.raises(VariableError, match="pass inputs as a dict"):
        Trainer(two, forge=FORGE).fit([1.0], [1.0], verbose=False)


def test_summary_is_readable():
    model = line()
    trainer = Trainer(model, "mse", "adam", learning_rate=0.1, forge=FORGE)
    trainer.fit(*data(), epochs=3, verbose=False)
    text = trainer.summary()
    assert "model      line(x) = b + m*x" in text
    assert "loss       (y_pred - y_true)**2  (mean over the batch)" in text
    assert "optimizer  Adam(learning_rate=0.1" in text
    assert "last fit   3 epochs" in text


def network(layers=10):
    text, params = "h", []
    for i in range(layers):
        names = [f"w{3 * i + k}" for k in range(3)]
        params += names
        text = f"{names[2]}*tanh({names[0]}*({text}) + {names[1]})"
    return Expression("net", text, params={p: 0.1 * (j + 1) for j, p in enumerate(params)},
                      trainable_params=params), params


def test_reverse_mode_gradients_equal_sympy_diff():
    model, params = network(4)
    expr = model.symbolic_expr
    values = {symbol(p): v for p, v in model.params.items()} | {symbol("h"): 0.7}
    fast = reverse_gradients(expr, [symbol(p) for p in params])
    for name, derivative in zip(params, fast):
        slow = sympy.diff(expr, symbol(name))
        assert float(derivative.xreplace(values).doit()) == pytest.approx(
            float(slow.xreplace(values)), rel=1e-12)


def test_gradients_of_a_deep_expression_use_reverse_mode_and_evaluate():
    model, params = network(10)
    grads = model.gradients(params)
    assert len(grads) == 30
    h = np.array([0.3, -0.2])
    for name in ("w0", "w29"):
        numeric = (model.eval(h=h, **{name: model.params[name] + 1e-6})
                   - model.eval(h=h, **{name: model.params[name] - 1e-6})) / 2e-6
        assert grads[name].eval(h=h) == pytest.approx(numeric, rel=1e-5)


def test_a_small_network_learns_xor():
    model = Expression(
        "xor_net", "v1*tanh(a1*x1 + b1*x2 + c1) + v2*tanh(a2*x1 + b2*x2 + c2) + d",
        params={"a1": 1.0, "b1": -1.0, "c1": 0.5, "a2": -1.0, "b2": 1.0, "c2": 0.5,
                "v1": 0.5, "v2": 0.5, "d": 0.0},
        trainable_params=["a1", "b1", "c1", "a2", "b2", "c2", "v1", "v2", "d"])
    x1, x2 = np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0, 1.0])
    target = np.array([0.0, 1.0, 1.0, 0.0])
    Trainer(model, "mse", "adam", learning_rate=0.05, forge=FORGE).fit(
        {"x1": x1, "x2": x2}, target, epochs=1500, verbose=False)
    assert np.abs(model.eval(x1=x1, x2=x2) - target).max() < 0.05
