"""White-box tests of one internal module: neurogebra.training._trainer, with _units.

A model written as a sum of repeated units (a one-hidden-layer network of
scalar params) trains as one layer of vector params: the same numbers as the
formula taken term by term (the Trainer's unit_objective switched off), and
as a hand-written NumPy loop."""

import numpy as np
import pytest

from neurogebra import SGD, Expression, MathForge, Trainer, TrainingError
import neurogebra.training._trainer as _trainer

FORGE = MathForge(plugins="builtin")
WIDTH = 6


def network(units=WIDTH, fixed=(), order=None, formula=None):
    rng = np.random.default_rng(3)
    params = {**{f"w{i}": float(rng.normal()) for i in range(units)},
              **{f"c{i}": float(rng.normal() * 0.1) for i in range(units)},
              **{f"v{i}": float(rng.normal() * 0.5) for i in range(units)}, "d": 0.1}
    text = formula or " + ".join(f"v{i}*tanh(w{i}*x + c{i})" for i in range(units)) + " + d"
    trainable = [p for p in (order or params) if p not in fixed]
    return Expression("net", text, params=params, trainable_params=trainable)


def data(count=500):
    x = np.random.default_rng(0).uniform(-2, 2, count)
    return x, np.sin(2 * x)


def hand_loop(model, x, y, batch, epochs, rate):
    """SGD on mse for the network above, written out in NumPy."""
    p = model.params
    w = np.array([p[f"w{i}"] for i in range(WIDTH)])
    c = np.array([p[f"c{i}"] for i in range(WIDTH)])
    v = np.array([p[f"v{i}"] for i in range(WIDTH)])
    d, rng = p["d"], np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for first in range(0, len(x), batch):
            index = order[first:first + batch]
            xb, yb = x[index], y[index]
            h = np.tanh(np.outer(xb, w) + c)
            r2 = (h @ v + d - yb) * (2.0 / len(index))
            dh = np.outer(r2, v) * (1.0 - h * h)
            w, c, v, d = w - rate * (xb @ dh), c - rate * dh.sum(0), v - rate * (h.T @ r2), \
                d - rate * r2.sum()
    return {**{f"w{i}": w[i] for i in range(WIDTH)}, **{f"c{i}": c[i] for i in range(WIDTH)},
            **{f"v{i}": v[i] for i in range(WIDTH)}, "d": d}


def term_by_term(monkeypatch):
    """Make the Trainer take every model term by term (no layers)."""
    monkeypatch.setattr(_trainer, "unit_objective", lambda model, loss: None)


def fitted(model, loss="mse", inputs=None, targets=None, **settings):
    x, y = data() if inputs is None else (inputs, targets)
    trainer = Trainer(model, loss, SGD(learning_rate=0.05), forge=FORGE)
    history = trainer.fit(x, y, epochs=4, batch_size=64, seed=0, verbose=False, **settings)
    return trainer, history


def test_a_sum_of_units_trains_as_a_layer_with_the_numbers_of_a_hand_loop():
    model = network()
    expected = hand_loop(model, *data(), batch=64, epochs=4, rate=0.05)
    trainer, history = fitted(model)
    assert type(trainer._vector).__name__ == "UnitObjective"
    assert trainer._vector.layered.formula == "d + sum(v0_units*tanh(w0_units*x + c0_units))"
    for name, value in expected.items():
        assert model.params[name] == pytest.approx(value, rel=1e-12, abs=1e-14), name
    assert history.params[-1] == dict(model.params)


@pytest.mark.parametrize("fixed, order", [
    ((), None),
    (("c0", "c1", "c2", "c3", "c4", "c5"), None),                 # one place of the units fixed
    ((), ["d"] + [f"{k}{i}" for i in range(WIDTH) for k in "vcw"]),  # another order of values
])
def test_the_layer_gives_the_numbers_of_the_formula_term_by_term(monkeypatch, fixed, order):
    layered = network(fixed=fixed, order=order)
    trainer, history = fitted(layered)
    assert type(trainer._vector).__name__ == "UnitObjective"
    term_by_term(monkeypatch)
    plain = network(fixed=fixed, order=order)
    _, plain_history = fitted(plain)
    assert history.loss == pytest.approx(plain_history.loss, rel=1e-12)
    for name, value in plain.params.items():
        assert layered.params[name] == pytest.approx(value, rel=1e-11, abs=1e-14), name
    for name in fixed:
        assert layered.params[name] == network().params[name]


def test_units_inside_a_function_and_of_two_forms_and_two_inputs(monkeypatch):
    units = " + ".join(f"v{i}*tanh(w{i}*x + c{i}*z)" for i in range(4))
    others = " + ".join(f"u{i}*exp(-(x - k{i})**2)" for i in range(5))
    params = {**{f"{k}{i}": 0.3 + 0.1 * i for k in "wcv" for i in range(4)},
              **{f"{k}{i}": 0.2 * i - 0.4 for k in "uk" for i in range(5)}, "d": 0.0}

    def model():
        return Expression("classifier", f"sigmoid({units} + {others} + d)", params=params,
                          trainable_params=list(params))
    x, z = data(300)
    targets = (x * z > 0).astype(float)
    layered = model()
    trainer, history = fitted(layered, "bce", {"x": x, "z": np.cos(x)}, targets)
    assert trainer._vector.layered.formula.count("sum(") == 2
    term_by_term(monkeypatch)
    plain = model()
    _, plain_history = fitted(plain, "bce", {"x": x, "z": np.cos(x)}, targets)
    assert history.loss == pytest.approx(plain_history.loss, rel=1e-12)
    for name, value in plain.params.items():
        assert layered.params[name] == pytest.approx(value, rel=1e-11, abs=1e-14), name


@pytest.mark.parametrize("model, loss", [
    (network(units=3), "mse"),                                    # too few units to pay
    (network(), "mse + 0.01*l2"),                                 # a penalty names each param
    (network(formula=" + ".join(f"v{i}*tanh(w{i}*x + c0)" for i in range(WIDTH)) + " + d"),
     "mse"),                                                      # units share c0
    (network(fixed=("w0",)), "mse"),                              # w0 fixed, w1.. trainable
])
def test_models_that_are_not_layers_train_term_by_term(model, loss):
    trainer, history = fitted(model, loss)
    assert trainer._vector is None
    assert history.loss[-1] < history.loss[0]


def test_a_non_finite_loss_of_a_layer_still_names_the_sample():
    model = network(formula=" + ".join(f"v{i}*log(w{i}*x + c{i})" for i in range(WIDTH)) +
                    " + d")
    with pytest.raises(TrainingError, match=r"cannot start training: the loss is nan at the "
                                            r"sample x="):
        fitted(model)


def test_an_interrupted_layer_keeps_the_params_of_the_last_finished_epoch():
    model = network()
    trainer = Trainer(model, "mse", SGD(learning_rate=0.05), forge=FORGE)
    x, y = data()
    trainer.fit(x, y, epochs=1, batch_size=64, seed=0, verbose=False)
    kept = dict(model.params)

    def stop(epoch, history):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(x, y, epochs=3, batch_size=64, seed=0, verbose=False, callbacks=[stop])
    assert dict(model.params) != kept     # the first epoch finished, and was kept
    assert dict(model.params) == trainer.history.params[-1]
