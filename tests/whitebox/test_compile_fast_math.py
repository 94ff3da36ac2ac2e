"""White-box tests of one internal module: neurogebra.compile._fast_math.

NumPy's exp, log, tanh... in generated NumPy code become compiled loops of
_loop_math's versions once NumPy's calls have taken $NEUROGEBRA_JIT_AFTER
seconds, if the loop is faster here. Its values must be _loop_math's to the
bit; an element that is not finite must come from NumPy (with its warning);
arrays the loop cannot take (small, strided, not float64) go to NumPy; a
slower loop is dropped; and with NEUROGEBRA_JIT=off nothing changes.
"""

import math
import pickle
import time
import warnings

import numpy as np
import pytest

from neurogebra import Expression
from neurogebra.compile import _fast_math, _jit, _loop_math
from neurogebra.compile import compiled_math_status, get_backend
from neurogebra.symbolic import formula_function
from tests.accuracy_reference import FORGE, checks, compared_points, wrong_points

pytest.importorskip("numba")
ACCURACY_CASES = [pytest.param(name, wrt, id=f"{name}-{wrt}")
                  for name in FORGE.list_all() for wrt in checks(name)]

RNG = np.random.default_rng(5)
X = RNG.standard_normal(20_000) * 4


@pytest.fixture
def jit(monkeypatch):
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")


def _start(fast, sample=X):
    """``fast`` called until its compile has started (from its second call, once
    no other compile runs)."""
    for _ in range(2000):
        fast(sample)
        if fast.status != "counting":
            return fast
        time.sleep(0.01)
    raise AssertionError(f"{fast} did not start compiling")


def _ready(ufunc=np.tanh, sample=X) -> _fast_math.FastMath:
    """A FastMath of its own whose loop is built and kept (judged against a slow NumPy)."""
    fast = _start(_fast_math.FastMath(ufunc), sample)
    assert fast.done.wait(120) and fast.status == "judging"
    fast.numpy_rate = math.inf               # as if NumPy were slower here
    for _ in range(_jit._TRIALS):
        fast(sample)
    assert fast.status == "ready"
    return fast


def test_the_loop_gives_the_bits_of_loop_math(jit):
    fast = _ready()
    element = _jit._kernel(_loop_math.tanh)
    got = fast(X)
    assert got.tolist() == [element(v) for v in X.tolist()]
    assert np.max(np.abs(got - np.tanh(X)) / np.abs(np.tanh(X))) < 4e-16   # within 2 ulps


def test_in_place_calls_write_over_the_input(jit):
    """``out=x`` (the generated code's in-place calls, whose callers may read ``x``
    afterwards): the values are in ``x``."""
    fast = _ready(np.exp)
    x = X.copy()
    assert fast(x, out=x) is x
    assert x.tolist() == fast(X).tolist() != X.tolist()


def test_a_non_finite_element_is_numpys_with_its_warning(jit):
    fast = _ready(np.exp)
    x = X.copy()
    x[7] = 1000.0
    with pytest.warns(RuntimeWarning, match="overflow"):
        result = fast(x, out=x)
    want = fast(X)
    want[7] = math.inf
    assert result is x and result.tolist() == want.tolist()
    out = np.empty_like(X)                   # into another array
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert fast(np.where(np.arange(X.size) == 3, 800.0, X), out=out) is out
    want = fast(X)
    want[3] = math.inf
    assert out.tolist() == want.tolist()


def test_arrays_the_loop_does_not_take_go_to_numpy(jit):
    fast = _ready()
    small, strided, single = X[:100], X[::2], X.astype(np.float32)
    for x in (small, strided, single):
        assert fast(x).tolist() == np.tanh(x).tolist()
    written = np.empty(X.size // 2)
    assert fast(strided, out=written) is written
    assert written.tolist() == np.tanh(strided).tolist()
    assert fast(0.5) == np.tanh(0.5)
    shifted = X.copy()                       # an output overlapping the input elsewhere
    fast(shifted[:-1], out=shifted[1:])
    assert shifted[1:].tolist() == np.tanh(X[:-1]).tolist()


def test_a_slower_loop_is_dropped(jit, monkeypatch):
    fast = _start(_fast_math.FastMath(np.tanh))
    assert fast.done.wait(120) and fast.status == "judging"
    monkeypatch.setattr(_jit, "_GAIN", 0.0)   # NumPy could not be beaten
    for _ in range(2 * _jit._LOOP_TRIALS - 1):  # the loop's calls and NumPy's between
        fast(X)
    assert fast.status == "slower" and fast.loop is None
    assert (len(fast.loop_rates), len(fast.paired)) == (_jit._LOOP_TRIALS,
                                                        _jit._LOOP_TRIALS - 1)
    assert fast(X).tolist() == np.tanh(X).tolist()


def test_numpy_time_below_the_threshold_compiles_nothing(jit, monkeypatch):
    monkeypatch.setenv(_jit.ENV_AFTER, "1000")
    fast = _fast_math.FastMath(np.tanh)
    fast(X)
    assert fast.status == "counting" and fast.spent > 0 and fast.numpy_rate < math.inf


def test_generated_numpy_code_calls_it_and_agrees_with_numpy(jit):
    kernel = get_backend("numpy").kernel(formula_function("tanh"))
    assert kernel is _fast_math.faster(np.tanh) and isinstance(kernel, _fast_math.FastMath)
    f = Expression("f", "tanh(w*x + c)", params={"w": 0.7, "c": 0.1})
    assert f.to_function().__globals__["_f_tanh"] is kernel


def test_each_process_has_its_own(jit, monkeypatch):
    fast = _fast_math.faster(np.exp)
    assert pickle.loads(pickle.dumps(fast)) is fast
    monkeypatch.setenv(_jit.ENV_JIT, "off")        # (a worker without loops, or numba)
    assert pickle.loads(pickle.dumps(fast)) is np.exp


def test_read_only_arrays_take_the_loop_without_a_new_compile(jit):
    fast = _ready()
    x = X.copy()
    x.setflags(write=False)
    assert fast(x).tolist() == fast(X).tolist()
    assert len(fast.loop.signatures) == 1
    read_only = np.empty_like(X)
    read_only.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):   # NumPy's own error
        fast(X, out=read_only)


def test_off_leaves_numpys_ufuncs(monkeypatch):
    monkeypatch.setenv(_jit.ENV_JIT, "off")
    assert _fast_math.faster(np.tanh) is np.tanh
    assert get_backend("numpy").kernel(formula_function("exp")) is np.exp
    assert _fast_math.faster(np.sqrt) is np.sqrt


def test_a_network_trains_to_the_same_params_within_rounding(jit, monkeypatch):
    """The Trainer's NumPy code with the loops in use: the params of a short fit
    agree with NumPy's to 1e-12 (only the tanh's last bits differ)."""
    from neurogebra import SGD, Trainer
    formula = " + ".join(f"v{i}*tanh(w{i}*x + c{i})" for i in range(4)) + " + d"
    start = {**{f"w{i}": 0.3 * (i + 1) for i in range(4)}, **{f"c{i}": 0.0 for i in range(4)},
             **{f"v{i}": 0.5 - 0.2 * i for i in range(4)}, "d": 0.0}
    x = np.linspace(-2, 2, 4096)
    trained, kernels = [], []
    for use_loops in (False, True):
        monkeypatch.setattr(_fast_math, "_FAST", dict(_fast_math._FAST))
        if use_loops:
            _fast_math._FAST[np.tanh] = _ready()
        else:
            monkeypatch.setenv(_jit.ENV_JIT, "off")
        model = Expression("net", formula, params=start, trainable_params=list(start))
        trainer = Trainer(model, "mse", SGD(learning_rate=0.1))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            trainer.fit(x, np.sin(x), epochs=3, batch_size=1024, verbose=False, seed=0)
        trained.append(np.array([model.params[p] for p in start]))
        kernels.append(trainer.compile().__globals__["_f_tanh"])
        monkeypatch.setenv(_jit.ENV_JIT, "on")
    assert kernels[0] is np.tanh and kernels[1].status == "ready"
    assert np.allclose(trained[0], trained[1], rtol=1e-12, atol=1e-14)


def test_off_builds_no_loop(monkeypatch):
    monkeypatch.setenv(_jit.ENV_JIT, "off")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")
    fast = _fast_math.FastMath(np.tanh)
    assert fast(X).tolist() == np.tanh(X).tolist()
    assert fast.status == "counting" and fast.loop is None


@pytest.fixture(scope="module")
def every_loop_ready():
    """Every FastMath replaced by one whose loop is built and kept, and loops on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(_jit.ENV_JIT, "on")
        patch.setenv(_jit.ENV_AFTER, "0")
        ready = {ufunc: _ready(ufunc, np.abs(X) + 0.5)   # (log's domain)
                 for ufunc in _fast_math._FAST}
        patch.setattr(_fast_math, "_FAST", ready)
        yield ready


@pytest.mark.parametrize("name, wrt", ACCURACY_CASES)
def test_every_digit_right_with_the_loops_in_numpy_code(every_loop_ready, name, wrt):
    """The accuracy sweep's array path (tests/test_accuracy_sweep.py) with NumPy's
    exp, log, tanh... replaced by the loops: still 12 digits, and no warning."""
    expression = FORGE.get(name)
    function = expression if wrt == "value" else expression.gradient(wrt)
    points, want, slack = compared_points(name, wrt)
    reps = -(-_fast_math.MIN_ELEMENTS // len(points))
    columns = {v: np.tile(points[:, i], reps) for i, v in enumerate(expression.variables)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # a finite truth: no overflow, nan or warning
        got = np.asarray(function.eval(**columns), float)[:len(points)]
    bad = np.nonzero(wrong_points(got, want, slack))[0]
    rows = points.tolist()
    assert not len(bad), f"d{name}/d{wrt}: {len(bad)} of {len(want)} wrong, e.g. " + "; ".join(
        f"{rows[i]}: got {got[i]!r}, want {want[i]!r}" for i in bad[:5])


def test_the_sweep_above_runs_the_loops(every_loop_ready):
    namespace = FORGE.get("tanh").to_function().__globals__
    assert namespace["_f_tanh"] is every_loop_ready[np.tanh]
    assert set(compiled_math_status().values()) == {"ready"}
