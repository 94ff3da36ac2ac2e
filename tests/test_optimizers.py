"""Each optimiser's first steps against its published update rule, by hand."""

import math

import numpy as np
import pytest

from neurogebra import SGD, Adagrad, Adam, AdamW, ArgumentError, Momentum, RMSprop
from neurogebra.optim import BUILTIN_OPTIMIZERS, make_optimizer

G1, G2 = np.array([0.5, -2.0]), np.array([0.1, 1.0])
P0 = np.array([1.0, 3.0])


def two_steps(optimizer):
    first = optimizer.step(P0, G1)
    return first, optimizer.step(first, G2)


def test_sgd():
    first, second = two_steps(SGD(learning_rate=0.1))
    assert first.tolist() == [1.0 - 0.05, 3.0 + 0.2]
    assert second == pytest.approx([0.95 - 0.01, 3.2 - 0.1])


def test_sgd_weight_decay():
    first = SGD(learning_rate=0.1, weight_decay=0.5).step(P0, G1)
    assert first == pytest.approx(P0 - 0.1 * (G1 + 0.5 * P0))


def test_momentum_and_nesterov():
    first, second = two_steps(Momentum(learning_rate=0.1, momentum=0.9))
    v1 = G1
    v2 = 0.9 * v1 + G2
    assert first == pytest.approx(P0 - 0.1 * v1)
    assert second == pytest.approx(P0 - 0.1 * v1 - 0.1 * v2)
    first, second = two_steps(Momentum(learning_rate=0.1, momentum=0.9, nesterov=True))
    assert first == pytest.approx(P0 - 0.1 * (G1 + 0.9 * v1))
    assert second == pytest.approx(first - 0.1 * (G2 + 0.9 * v2))


def test_rmsprop():
    first, second = two_steps(RMSprop(learning_rate=0.01, alpha=0.9, eps=1e-8))
    s1 = 0.1 * G1 ** 2
    s2 = 0.9 * s1 + 0.1 * G2 ** 2
    assert first == pytest.approx(P0 - 0.01 * G1 / (np.sqrt(s1) + 1e-8))
    assert second == pytest.approx(first - 0.01 * G2 / (np.sqrt(s2) + 1e-8))


def test_adagrad():
    first, second = two_steps(Adagrad(learning_rate=0.1))
    assert first == pytest.approx(P0 - 0.1 * np.sign(G1), rel=1e-9)
    s2 = G1 ** 2 + G2 ** 2
    assert second == pytest.approx(first - 0.1 * G2 / (np.sqrt(s2) + 1e-10))


def test_adam_counts_steps_not_params():
    adam = Adam(learning_rate=0.1)
    first, second = two_steps(adam)
    assert adam.steps == 2
    # step 1: m_hat = g, v_hat = g^2, so each param moves by lr * sign(g)
    assert first == pytest.approx(P0 - 0.1 * np.sign(G1) * (1 - 1e-8 / np.abs(G1)), rel=1e-9)
    m = 0.9 * 0.1 * G1 + 0.1 * G2
    v = 0.999 * 0.001 * G1 ** 2 + 0.001 * G2 ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    assert second == pytest.approx(first - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8))


@pytest.mark.parametrize("count", [2, 16, 17])
def test_adam_gives_the_same_bits_for_few_params_and_many(count):
    """Up to 16 params are updated as Python floats; the same operations in the
    same order as on arrays, so a param's path does not depend on how many
    others train beside it."""
    rng = np.random.default_rng(count)
    alone, together = [Adam(learning_rate=0.1) for _ in range(count)], Adam(learning_rate=0.1)
    values = rng.normal(size=count)
    separate, joint = values.copy(), values.copy()
    for _ in range(30):
        g = rng.normal(size=count) * 10.0 ** rng.uniform(-8, 8, count)
        padded = np.zeros(count + 17)       # with 17 more params: the array path
        padded[:count] = joint
        gradient = np.zeros(count + 17)
        gradient[:count] = g
        joint = together.step(padded, gradient)[:count]
        separate = np.array([o.step(separate[i:i + 1], g[i:i + 1])[0]
                             for i, o in enumerate(alone)])
    assert separate.tolist() == joint.tolist()


def test_adamw_decays_weights_before_the_adam_step():
    first = AdamW(learning_rate=0.1, weight_decay=0.5).step(P0, G1)
    adam_step = 0.1 * G1 / (np.abs(G1) + 1e-8)
    assert first == pytest.approx(P0 * (1 - 0.1 * 0.5) - adam_step)


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -1}, "learning_rate must be a positive number"),
    ({"learning_rate": math.nan}, "learning_rate must be a positive number"),
    ({"beta1": 1.0}, "beta1 must be in [0, 1)"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ArgumentError, match=message.replace("[", r"\[").replace(")", r"\)")):
        Adam(**kwargs)


def test_make_optimizer_by_name():
    assert isinstance(make_optimizer("ADAM", 0.5), Adam)
    assert make_optimizer("momentum", None, nesterov=True).nesterov is True
    with pytest.raises(ArgumentError, match="unknown optimizer 'adma'. Did you mean 'adam'"):
        make_optimizer("adma", 0.1)
    with pytest.raises(ArgumentError, match="optimizer 'sgd' could not be built: TypeError: .*unexpected keyword"):
        make_optimizer("sgd", 0.1, beta1=0.9)


@pytest.mark.parametrize("ours, settings", [
    (Adam, {}), (Adam, {"weight_decay": 0.1}), (AdamW, {"weight_decay": 0.05}),
    (RMSprop, {}), (Adagrad, {}),
])
def test_fifty_steps_agree_with_torch_optim(ours, settings):
    # the reference is torch itself, computed here (its CPU kernels fuse some
    # multiply-adds, so agreement is to rounding, not to the bit)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, gradients = rng.normal(size=5), [rng.normal(size=5) for _ in range(50)]
    optimizer = ours(learning_rate=0.01, **settings)
    tensor = torch.tensor(start.copy(), requires_grad=True)
    reference = getattr(torch.optim, ours.__name__)([tensor], lr=0.01, foreach=False, **settings)
    values = start.copy()
    for gradient in gradients:
        values = optimizer.step(values, gradient)
        tensor.grad = torch.tensor(gradient)
        reference.step()
    np.testing.assert_allclose(values, tensor.detach().numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(BUILTIN_OPTIMIZERS))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("size", [2, 30])   # the few-params float path and the array path
def test_a_non_finite_gradient_makes_non_finite_params(name, bad, size):
    # the Trainer relies on it: with a built-in optimiser it looks at the gradient
    # only when the params it gives are not finite
    for settings in ({}, {"weight_decay": 0.1}, {"nesterov": True}):
        try:
            optimizer = make_optimizer(name, 0.1, **settings)
        except ArgumentError:   # a setting this optimiser does not take
            continue
        values, gradient = np.ones(size), np.full(size, 0.5)
        for _ in range(3):
            values = optimizer.step(values, gradient)
        gradient[1] = bad
        with np.errstate(all="ignore"):
            moved = optimizer.step(values, gradient)
        assert not np.isfinite(moved[1]) and np.isfinite(np.delete(moved, 1)).all()
