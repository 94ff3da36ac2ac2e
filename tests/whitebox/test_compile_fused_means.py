"""White-box tests of one internal module: neurogebra.compile._fused_means.

A training step's means (loss and gradients over a batch) become one compiled
loop of the step's scalar code once NumPy's calls have taken
$NEUROGEBRA_JIT_AFTER seconds. The means must stay those of the NumPy code to
the last few bits; a batch with a result that is not finite, or arguments the
loop does not take, must go to the NumPy code (its values, warnings and
errors); a slower loop is dropped; with NEUROGEBRA_JIT=off nothing changes.
"""

import math
import time

import numpy as np
import pytest

from neurogebra import SGD, Expression, MathForge, Trainer
from neurogebra.compile import _fused_means, _jit

pytest.importorskip("numba")
FORGE = MathForge(plugins="builtin")
RNG = np.random.default_rng(11)
X = RNG.uniform(-3, 3, 1024)
LABELS = (X + RNG.normal(0, 1, X.size) > 0).astype(float)

# model, its params, loss, targets: the step's arguments are (x, y_true, *params)
CASES = {
    "line, mse": ("m*x + b", {"m": 0.7, "b": -0.2}, "mse", 3 * X + 1),
    "logistic, bce_with_logits": ("w*x + b", {"w": 1.3, "b": 0.1}, "bce_with_logits", LABELS),
    "tanh unit, huber": ("v*tanh(w*x + c)", {"v": 0.5, "w": 1.1, "c": 0.2}, "huber", np.sin(X)),
    "exp decay, mae": ("a*exp(-k*x**2)", {"a": 1.5, "k": 0.3}, "mae", np.cos(X)),
}


@pytest.fixture
def jit(monkeypatch, no_compile_running):
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")


def _means(case: str) -> tuple[_fused_means.FusedMeans, list]:
    formula, params, loss, targets = CASES[case]
    model = Expression("model", formula, params=params, trainable_params=list(params))
    means = Trainer(model, loss, SGD(), forge=FORGE).compile().means
    return means, [X, targets, *params.values()]


def _built(means: _fused_means.FusedMeans, arguments: list) -> _fused_means.FusedMeans:
    """``means`` called until its loop is built (or taken from an earlier step of
    the same code) and its first calls are being timed."""
    deadline = time.monotonic() + 120
    while means.status in ("counting", "compiling") and time.monotonic() < deadline:
        means(*arguments)
        time.sleep(0.005)
    assert means.status == "judging", means
    return means


def _ready(means: _fused_means.FusedMeans, arguments: list) -> _fused_means.FusedMeans:
    """``means`` with its loop built and kept (judged against a slow NumPy)."""
    _built(means, arguments)
    means.numpy_rate = math.inf
    for _ in range(_jit._TRIALS):
        means(*arguments)
    assert means.status == "ready"
    return means


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_loop_gives_the_means_of_the_numpy_code(jit, case):
    means, arguments = _means(case)
    _ready(means, arguments)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        batch = [rng.permutation(a) if isinstance(a, np.ndarray) else a * (1 + seed / 3)
                 for a in arguments]
        got, want = means(*batch), means.numpy_means(*batch)
        assert means._looped(means.loop, batch) == got   # from the loop, not NumPy
        assert np.allclose(got, want, rtol=1e-12, atol=1e-15), (got, want)


def test_a_large_batch_is_summed_in_parts(jit):
    means, arguments = _means("logistic, bce_with_logits")
    _ready(means, arguments)
    size = 2 * _fused_means.ROWS + 5
    x = np.random.default_rng(3).uniform(-4, 4, size)
    batch = [x, (x > 0.3).astype(float), 0.9, -0.1]
    assert np.allclose(means(*batch), means.numpy_means(*batch), rtol=1e-12, atol=1e-15)


def test_a_batch_with_a_result_not_finite_gets_numpys_values_and_warning(jit):
    means, arguments = _means("line, mse")
    _ready(means, arguments)
    x = X.copy()
    x[7] = 1e300                         # (m x)^2 overflows
    with pytest.warns(RuntimeWarning, match="overflow"):
        got = means(x, arguments[1], 0.7, -0.2)
    with pytest.warns(RuntimeWarning, match="overflow"):
        want = means.numpy_means(x, arguments[1], 0.7, -0.2)
    assert got[0] == math.inf and got == want


@pytest.mark.parametrize("what, batch", [
    ("a strided array", lambda a: [np.repeat(X, 2)[::2], *a[1:]]),
    ("an int for a number", lambda a: [*a[:2], 1, a[3]]),
    ("an array as a param", lambda a: [*a[:2], np.full(X.size, 0.5), a[3]]),
    ("float32 data", lambda a: [X.astype(np.float32), *a[1:]]),
])
def test_arguments_the_loop_does_not_take_go_to_numpy(jit, what, batch):
    means, arguments = _means("logistic, bce_with_logits")
    _ready(means, arguments)
    given = batch(arguments)
    assert means._looped(means.loop, given) is None, what
    assert means(*given) == means.numpy_means(*given)


def test_arrays_of_different_lengths_get_numpys_error(jit):
    means, arguments = _means("logistic, bce_with_logits")
    _ready(means, arguments)
    with pytest.raises(ValueError, match="broadcast"):
        means(X, LABELS[:-1], 1.3, 0.1)


def test_read_only_arrays_take_the_loop(jit):
    means, arguments = _means("logistic, bce_with_logits")
    _ready(means, arguments)
    frozen = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
    for a in frozen[:2]:
        a.flags.writeable = False
    assert means._looped(means.loop, frozen) == means(*arguments)


def test_a_slower_loop_is_dropped(jit, monkeypatch):
    means, arguments = _means("line, mse")
    _built(means, arguments)
    monkeypatch.setattr(_jit, "_GAIN", 0.0)   # as if NumPy could not be beaten
    for _ in range(2 * _jit._LOOP_TRIALS - 1):  # the loop's calls and NumPy's between
        means(*arguments)
    assert means.status == "slower" and means.loop is None
    assert (len(means.loop_rates), len(means.paired)) == (_jit._LOOP_TRIALS,
                                                          _jit._LOOP_TRIALS - 1)


def test_a_fit_gives_the_params_of_the_numpy_code(jit):
    def fitted(ready: bool) -> dict:
        model = Expression("logit", "w*x + b", params={"w": 0.0, "b": 0.0},
                           trainable_params=["w", "b"])
        trainer = Trainer(model, "bce_with_logits", SGD(learning_rate=0.1), forge=FORGE)
        means = trainer.compile().means
        if ready:
            _ready(means, [X, LABELS, 0.0, 0.0])
        else:
            means.status = "failed"              # NumPy's for good
        trainer.fit(X, LABELS, epochs=5, batch_size=100, verbose=False, seed=0)
        assert (means.loop is not None) == ready
        return model.params

    compiled, numpy = fitted(True), fitted(False)
    for name in numpy:
        assert compiled[name] == pytest.approx(numpy[name], rel=1e-12)


def test_a_new_trainer_of_the_same_step_takes_its_loop(jit):
    """Compiled once per process (a second or more, and memory that stays)."""
    first, arguments = _means("logistic, bce_with_logits")
    _ready(first, arguments)
    second, _ = _means("logistic, bce_with_logits")
    second(*arguments)
    second(*arguments)       # counted twice: the loop is taken, not compiled again
    assert second.status == "judging" and second.loop is first.loop
    assert not second.done.is_set()


def test_without_the_jit_the_step_has_numpys_means(monkeypatch):
    """Decided when the step is compiled: no counting at each call."""
    monkeypatch.setenv(_jit.ENV_JIT, "off")
    formula, params, loss, targets = CASES["line, mse"]
    model = Expression("model", formula, params=params, trainable_params=list(params))
    means = Trainer(model, loss, SGD(), forge=FORGE).compile().means
    assert not isinstance(means, _fused_means.FusedMeans)
    assert means.__name__ == "_means"


def test_sent_to_another_process_the_means_are_numpys(jit):
    cloudpickle = pytest.importorskip("cloudpickle")
    means, arguments = _means("line, mse")
    _ready(means, arguments)
    copy = cloudpickle.loads(cloudpickle.dumps(means))
    assert not isinstance(copy, _fused_means.FusedMeans)
    assert copy(*arguments) == means.numpy_means(*arguments)
