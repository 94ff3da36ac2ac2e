"""Learning-rate schedules: the built-in pack against PyTorch's schedulers and
optax, and the Trainer stepping the optimiser's rate per epoch or per step."""

import numpy as np
import pytest

from neurogebra import (ArgumentError, Expression, MathForge, Trainer, TrainingError,
                        UnknownFunctionError, VariableError)

FORGE = MathForge(plugins="builtin")


def torch_rates(make, steps, lr=0.01):
    torch = pytest.importorskip("torch", reason="PyTorch's schedulers are the reference")
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=lr)
    scheduler = make(torch.optim.lr_scheduler, optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("name, params, make, steps", [
    ("step_decay", {"step_size": 7.0, "gamma": 0.5},
     lambda s, o: s.StepLR(o, step_size=7, gamma=0.5), 40),
    ("exponential_decay", {"gamma": 0.9}, lambda s, o: s.ExponentialLR(o, gamma=0.9), 40),
    ("cosine_decay", {"total": 30.0, "lr_min": 0.001},
     lambda s, o: s.CosineAnnealingLR(o, T_max=30, eta_min=0.001), 31),
    ("one_cycle", {"total": 50.0}, lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=50), 50),
    ("one_cycle", {"total": 37.0, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0},
     lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=37, pct_start=0.25, div_factor=10.0,
                               final_div_factor=100.0), 37),
])
def test_builtin_schedules_match_pytorchs_schedulers(name, params, make, steps):
    expected = torch_rates(make, steps)
    got = FORGE.get(name, params=params).eval(t=np.arange(steps, dtype=float))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-18)


def test_warmup_cosine_decay_matches_optax():
    optax = pytest.importorskip("optax", reason="optax is the reference")
    import jax
    jax.config.update("jax_enable_x64", True)
    try:
        reference = optax.warmup_cosine_decay_schedule(0.001, 0.01, 10, 60, 0.0005)
        t = np.arange(80)
        expected = np.array([float(reference(np.int64(i))) for i in t])
    finally:
        jax.config.update("jax_enable_x64", False)
    schedule = FORGE.get("warmup_cosine_decay", params={"lr_start": 0.001, "lr": 0.01,
                                                        "warmup": 10.0, "total": 60.0,
                                                        "lr_min": 0.0005})
    np.testing.assert_allclose(schedule.eval(t=t.astype(float)), expected, rtol=1e-12)


def line():
    return Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])


X = np.linspace(-1, 1, 40)
Y = 3 * X + 2


def test_a_schedule_per_epoch_sets_the_rate_of_each_epoch():
    trainer = Trainer(line(), "mse", "sgd", learning_rate=0.5, forge=FORGE)
    history = trainer.fit(X, Y, epochs=10, batch_size=10, schedule="exponential_decay",
                          verbose=False)
    assert history.learning_rate == pytest.approx([0.01 * 0.95 ** e for e in range(10)],
                                                  rel=1e-15)


def test_a_schedule_per_step_counts_optimizer_steps_and_is_exactly_sgds_update():
    model = Expression("c", "c", params={"c": 0.0}, trainable_params=["c"], variables=["x"])
    history = Trainer(model, "mse", "sgd", forge=FORGE).fit(
        np.zeros(4), np.ones(4), epochs=3, batch_size=2, shuffle=False,
        schedule="0.1/(1 + t)", schedule_unit="step", verbose=False)
    c = 0.0
    for t in range(6):                       # 2 steps per epoch, gradient 2(c - 1)
        c -= 0.1 / (1 + t) * 2 * (c - 1)
    assert model.params["c"] == pytest.approx(c, rel=1e-15)
    assert history.learning_rate == pytest.approx([0.1 / 2, 0.1 / 4, 0.1 / 6], rel=1e-15)


def test_a_schedule_may_be_an_expression_with_its_own_params():
    schedule = FORGE.get("cosine_decay", params={"lr": 0.2, "total": 4.0})
    history = Trainer(line(), "mse", "adam", forge=FORGE).fit(X, Y, epochs=6, schedule=schedule,
                                                               verbose=False)
    assert history.learning_rate == pytest.approx([0.2, 0.1707106781186548, 0.1,
                                                   0.029289321881345254, 0.0, 0.0], abs=1e-15)


@pytest.mark.parametrize("schedule, unit, error, message", [
    ("cosine_decayy", "epoch", UnknownFunctionError, "no schedule named 'cosine_decayy'"),
    ("0.1*t*u", "epoch", VariableError, "a schedule is a function of one count t"),
    ("0.1", "epoch", VariableError, "has variables \\(none\\)"),
    ("constant_lr", "batch", ArgumentError, "schedule_unit must be 'epoch' or 'step'"),
    ("0.1 - 0.05*t", "epoch", TrainingError, "gives the learning rate -0.05.* at epoch 3"),
    (3.0, "epoch", ArgumentError, "schedule must be a catalog name, a formula or an Expression"),
])
def test_bad_schedules(schedule, unit, error, message):
    with pytest.raises(error, match=message):
        Trainer(line(), "mse", "sgd", forge=FORGE).fit(X, Y, epochs=5, schedule=schedule,
                                                       schedule_unit=unit, verbose=False)


def test_the_floor_primitive_exports_to_torch_and_jax():
    pytest.importorskip("torch", reason="needs torch")
    pytest.importorskip("jax", reason="needs jax")
    step = FORGE.get("step_decay", params={"step_size": 2.0})
    t = np.array([0.0, 1.0, 2.0, 3.5, 4.0])
    expected = 0.01 * 0.1 ** np.floor(t / 2)
    import torch
    assert np.allclose(step.to_function("torch")(torch.tensor(t)).numpy(), expected, rtol=1e-15)
    with pytest.warns(UserWarning, match="float32"):
        jax_step = step.to_function("jax")
    assert np.allclose(np.asarray(jax_step(t)), expected, rtol=1e-6)
    assert step.gradient("t").formula == "0"
