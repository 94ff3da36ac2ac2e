"""White-box tests of one internal module: neurogebra.compile._jit.

A formula evaluated often on large arrays gets one compiled loop over its
scalar code. Its results must be the scalar code's (to 13 digits where it
calls exp, log or tanh, which the loop computes with its own vectorised
functions; to the last bit elsewhere); a result that is not finite must come
from NumPy's code (with its warnings), element by element; a loop numba cannot
build, or whose values differ, or that is slower, must leave the formula on
NumPy; and it must all be off where asked. (tests/whitebox/
test_compile_jit_accuracy.py holds every built-in's loop to its 12 digits.)
"""

import math
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from neurogebra import Expression, MathForge
from neurogebra.compile import _blocks, _fast_math, _jit, compiled_loop_status

pytest.importorskip("numba")

FORGE = MathForge()
N = 600_000                      # above the size from which arrays go by blocks
RNG = np.random.default_rng(2)
P, Y = RNG.standard_normal(N) * 3, RNG.standard_normal(N) * 3


@pytest.fixture
def jit(monkeypatch, no_compile_running):
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")
    monkeypatch.setattr(_jit, "_states", type(_jit._states)())
    monkeypatch.setattr(_fast_math, "_FAST", {})   # (NumPy's functions: tested on their own)


def _compiled():
    """The one formula's state, once its compilation (started by an evaluation) ended;
    the next evaluations try its loop."""
    (state,) = _jit._states.values()
    assert state.status != "counting"
    state.done.wait(120)
    state.numpy_calls = _jit._TRIALS     # as if NumPy's best were known: the loop runs next
    return state


def test_a_loop_gives_the_bits_of_the_scalar_code(jit):
    huber = FORGE.get("huber")
    numpy_result = huber.eval(y_pred=P, y_true=Y)
    assert _compiled().loop is not None
    fused = huber.eval(y_pred=P, y_true=Y)
    assert np.array_equal(fused, numpy_result)
    some = RNG.integers(0, N, 200)
    assert fused[some].tolist() == [huber.eval(y_pred=float(P[i]), y_true=float(Y[i]))
                                     for i in some]


def test_a_loop_writes_its_numbers_in_and_a_new_number_gets_a_loop_that_reads_them(jit):
    """g = 2 is a constant of the first loop (x**g a square, x**(g - 1) just x);
    another g is not its business: NumPy's code runs until a general loop is built."""
    f = Expression("f", "(x*x + 1)**g * y + g*(x*x + 1)**(g - 1)", params={"g": 2.0})
    f.eval(x=P, y=Y)
    state = _compiled()
    assert state.loop is not None and state.numbers == (2.0,)
    u = P * P + 1
    assert np.array_equal(f.eval(x=P, y=Y), u * u * Y + 2.0 * u)
    want = f.eval(x=P[:1000], y=Y[:1000], g=2.5)       # (small: NumPy's code)
    assert np.array_equal(f.eval(x=P, y=Y, g=2.5)[:1000], want)
    assert state.loop is None and state.status != "ready" and state.general
    f.eval(x=P, y=Y, g=2.5)                             # counted anew: a general loop
    state = _compiled()
    assert state.loop is not None and state.numbers == ()
    some = RNG.integers(0, N, 100)
    np.testing.assert_allclose(f.eval(x=P, y=Y, g=3.0)[some],
                               [f.eval(x=float(P[i]), y=float(Y[i]), g=3.0) for i in some],
                               rtol=1e-14)


def test_numbers_written_into_a_loop_are_finite_and_matched_with_their_zeros_sign():
    """(1/x tells -0.0 from 0.0; a nan or inf is left to a general loop.)"""
    kinds = (True, False, False)
    assert _jit._numbers([P, np.float64(-0.0), 2.0], kinds) == (-0.0, 2.0)
    assert _jit._numbers([P, np.inf, 2.0], kinds) is None
    assert _jit._same_numbers((-0.0, 2.0), (-0.0, 2.0))
    assert not _jit._same_numbers((0.0, 2.0), (-0.0, 2.0))
    assert not _jit._same_numbers((0.5, 2.0), (0.5, 2.5))


def test_a_result_that_is_not_finite_comes_from_numpy_with_its_warning(jit):
    """Only that element: the others keep the loop's values."""
    f = Expression("f", "x*x*y + x - y/2", variables=["x", "y"])
    f.eval(x=P, y=Y)
    assert _compiled().loop is not None
    big = P.copy()
    big[7] = 1e200                                   # x*x overflows
    with pytest.warns(RuntimeWarning, match="overflow"):
        result = f.eval(x=big, y=Y)
    assert abs(result[7]) == np.inf and result[8] == f.eval(x=float(P[8]), y=float(Y[8]))


def test_a_large_block_of_results_not_finite_is_computed_again_on_its_own_thread(
        jit, monkeypatch):
    """On large arrays a loop's blocks are larger than the size from which NumPy's
    code is split between threads; the elements computed again run in one call
    on the thread that found them (a pool thread waiting for the pool would wait
    for itself)."""
    monkeypatch.setenv("NEUROGEBRA_THREADS", "2")
    monkeypatch.setattr(_blocks, "_pool", ThreadPoolExecutor(1, "neurogebra"))  # one worker
    monkeypatch.setattr(_blocks, "LOOP_PARTS", 1)      # one part per thread: 300,000 each,
    monkeypatch.setattr(_blocks, "MIN_SIZE", 1000)     # above NumPy's threshold of blocks
    f = Expression("f", "x*x*y + x - y/2", variables=["x", "y"])
    f.eval(x=P, y=Y)
    assert _compiled().loop is not None
    big = np.full(N, 1e200)                          # every x*x overflows
    outcome = []

    def evaluate():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome.append((f.eval(x=big, y=Y), [str(w.message) for w in caught]))

    worker = threading.Thread(target=evaluate, daemon=True)
    worker.start()
    worker.join(60)
    assert outcome, "the evaluation did not end"
    result, messages = outcome[0]
    assert any("overflow" in message for message in messages)
    with np.errstate(all="ignore"):
        assert np.array_equal(result, big * big * Y + big - Y / 2)


def test_a_loop_whose_bits_differ_is_not_used(jit, monkeypatch):
    """A loop that rounds differently (here: one that returns 0) fails the sweep."""
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(_jit, "_jitted", lambda scalar: numba.njit(lambda p, y, d: 0.0))
    huber = FORGE.get("huber")
    want = huber.eval(y_pred=P, y_true=Y)
    state = _compiled()
    assert state.loop is None and state.status == "failed"
    assert np.array_equal(huber.eval(y_pred=P, y_true=Y), want)


@pytest.mark.parametrize("near, used", [(0.0, True), (1000.55, False)])
def test_a_loop_that_differs_on_the_data_at_hand_is_not_used(jit, monkeypatch, near, used):
    """A loop wrong only between 1000.5 and 1000.6, where the sweep has no value, is
    caught on a sample of the arrays that started its compile."""
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(_jit, "_jitted", lambda scalar: numba.njit(
        lambda x, y: 0.0 if 1000.5 < x < 1000.6 else x * y))
    f = Expression("f", "x*y", variables=["x", "y"])
    f.eval(x=near + P * 1e-4, y=Y)
    assert (_compiled().loop is not None) is used


def _calls_itself(x):
    return x + 1.0


_calls_itself.loop_form = lambda: (lambda x: _calls_itself(x) * 1.0)


def test_a_kernel_whose_loop_form_calls_it_is_refused():
    """A cycle cannot be inlined: it is refused at once (the formula stays on
    NumPy), not compiled until Python's recursion limit."""
    pytest.importorskip("numba")
    _jit._imported()
    with pytest.raises(TypeError, match="calls itself"):
        _jit._jitted(lambda x: _calls_itself(x))


@pytest.mark.parametrize("form, admitted", [(lambda x: 2.0 * x, True),
                                             (lambda x: 2.0 * x + 1e-9, False)])
def test_a_loop_form_must_give_its_kernels_values(form, admitted):
    """The check runs the kernel itself (by Python, with the loop's math
    functions), not its loop form: a loop form of other values is refused."""
    pytest.importorskip("numba")
    _jit._imported()

    def twice(x):      # a new kernel each time: compiled kernels are kept per function
        return x + x
    twice.loop_form = lambda: form
    formula = lambda x: twice(x) - 1.0                      # noqa: E731
    loop = _jit._loop(_jit._jitted(formula), (True,))
    same = _jit._same_values(loop, _jit._with_loop_math(formula, {}), (True,), [_jit._sweep(0)])
    assert (same >= _jit._COMPARED) is admitted and (same == -1) is not admitted


def test_a_loop_numba_cannot_build_is_not_used(jit, monkeypatch):
    """Scalar code that reads a Python object numba cannot type stays on NumPy."""
    numba = pytest.importorskip("numba")
    opaque = {"scale": 2.0}
    monkeypatch.setattr(_jit, "_jitted", lambda scalar: numba.njit(
        lambda p, y, d: opaque["scale"] * p))
    huber = FORGE.get("huber")
    want = huber.eval(y_pred=P, y_true=Y)
    assert _compiled().status == "failed"
    assert np.array_equal(huber.eval(y_pred=P, y_true=Y), want)


@pytest.mark.parametrize("text", [
    "silu_slope(x)*y + x - y/2",     # a closure over an object (the series at the root)
    "max(0, 1 - x*y)**2 + x/3",      # kernels calling helpers (the exact 1 - x*y)
    "1 - (x + y)**2/(x*x + 1)",      # the exact square ratio where it is next to 0
])
def test_kernels_calling_other_python_code_are_compiled_with_it(jit, text):
    """The loop compiles the functions a kernel calls, and theirs; silu's slope
    near its root x0 = -1.2785 reads a series fixed when the loop is built (the
    points cross the series' radius, 2^-7)."""
    f = Expression("f", text, variables=["x", "y"])
    x = P.copy()
    x[:50] = -1.2784645427610738 + np.linspace(-2.0 ** -6, 2.0 ** -6, 50)
    f.eval(x=x, y=Y)
    assert _compiled().loop is not None
    fused = f.eval(x=x, y=Y)
    some = np.concatenate([np.arange(50), RNG.integers(50, N, 150)])
    want = np.array([f.eval(x=float(x[i]), y=float(Y[i])) for i in some])
    if "silu" in text:     # its sigmoid calls exp: the loop's own, to 1 ulp of
        # each term (terms up to ~10 can cancel to 0.02: 1 ulp of 8 is 2e-15)
        scale = np.abs(x[some]) + np.abs(Y[some]) + 1.0
        assert np.all(np.abs(fused[some] - want) <= 4 * np.spacing(scale)), \
            np.max(np.abs(fused[some] - want) / np.spacing(scale))
    else:
        assert fused[some].tolist() == want.tolist()


def test_a_loop_calls_its_own_vectorised_functions_wherever_they_are_named(jit):
    """tanh named by the generated code, sigmoid's kernel named by it too, exp
    through the math module in softplus's kernel: the loop computes them with
    compile/_loop_math.py's functions."""
    from neurogebra.compile import _kernels
    f = Expression("f", "tanh(x) + sigmoid(y) + softplus(x)", variables=["x", "y"])
    f.eval(x=P, y=Y)
    assert _compiled().loop is not None
    fused = f.eval(x=P, y=Y)
    own = _jit._replacements()
    tanh, exp, log1p = own[math.tanh], own[math.exp], own[math.log1p]
    sigmoid = own[_kernels.sigmoid_math]
    some = RNG.integers(0, N, 100)
    softplus = [max(x, 0.0) + log1p(exp(-abs(x))) for x in P[some]]
    want = [(sigmoid(y) + s) + tanh(x) for x, y, s in zip(P[some], Y[some], softplus)]   # SymPy's order
    assert fused[some].tolist() == want
    assert tanh is not math.tanh and own[math].exp is exp
    assert sigmoid(-800.0) == 0.0 and sigmoid(0.0) == 0.5


def test_a_power_with_a_float_exponent_is_the_loops_own_pow_and_a_square_is_a_product(jit):
    """x**y calls the C library's pow per element in a plain numba loop (19 ns
    each); the loop calls _loop_math.pow instead. An exponent of 2 is a square, as
    NumPy's power computes it for a number exponent, on every path."""
    f = Expression("f", "abs(x)**a + y", params={"a": 1.7}, variables=["x", "y"])
    f.eval(x=P, y=Y)
    assert _compiled().loop is not None
    power = _jit._replacements()[math.pow]
    some = RNG.integers(0, N, 100)
    want = [power(abs(x), 1.7) + y for x, y in zip(P[some], Y[some])]
    assert f.eval(x=P, y=Y)[some].tolist() == want
    square = Expression("g", "x**a", params={"a": 2.0})
    assert square.eval(x=P[:1000]).tolist() == (P[:1000] * P[:1000]).tolist()
    assert [square.eval(x=x) for x in P[:1000].tolist()] == [x * x for x in P[:1000].tolist()]


def test_both_sides_of_a_choice_are_computed_and_one_is_kept(jit):
    """The loop computes log(x) where x <= 0 too (nan, unused): a select, which
    vectorises, where the scalar code branches; the values are the same."""
    f = Expression("f", "where(x > 0, x*log(x), -x*y)", variables=["x", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f.eval(x=P, y=Y)
        assert _compiled().loop is not None
        fused = f.eval(x=P, y=Y)
    some = RNG.integers(0, N, 200)
    np.testing.assert_allclose(fused[some], [f.eval(x=float(P[i]), y=float(Y[i])) for i in some],
                               rtol=1e-14, atol=0)
    assert (fused[P <= 0] == -P[P <= 0] * Y[P <= 0]).all()


def test_squares_beyond_the_float_range_are_scaled_in_the_loop(jit):
    """squareplus's hypot(x, sqrt(b)) scales x = 1e200 by a power of 2 before
    squaring it, in the loop as on both other paths: x comes back, no warning."""
    squareplus = FORGE.get("squareplus")
    squareplus.eval(x=P)
    assert _compiled().loop is not None
    fused = squareplus.eval(x=P)
    some = RNG.integers(0, N, 100)
    assert fused[some].tolist() == [squareplus.eval(x=float(P[i])) for i in some]
    big = P.copy()
    big[3] = 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = squareplus.eval(x=big)
    assert result[3] == 1e200 == squareplus.eval(x=1e200) and result[4] == fused[4]


def test_a_number_argument_is_divided_by_zero_as_numpy_divides(jit):
    """The elements redone by NumPy take a number as a NumPy float: 1/y at y = 0
    is inf with NumPy's warning, as without the loop (not ZeroDivisionError)."""
    f = Expression("f", "x*x - x/3 + 1/y", variables=["x", "y"])
    f.eval(x=P, y=2.0)
    assert _compiled().loop is not None
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        result = f.eval(x=P, y=0.0)
    assert np.isinf(result).all()
    assert f.eval(x=P, y=0.5)[:3].tolist() == [f.eval(x=float(v), y=0.5) for v in P[:3]]


def test_a_param_of_zero_divides_as_numpy_divides():
    """The same without the loop, where a param is a Python float (1/c, c = 0)."""
    f = Expression("f", "x + 1/c", params={"c": 0.0})
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert np.isinf(f.eval(x=np.ones(3))).all()


def test_values_next_to_the_kink_come_from_the_exact_product(jit):
    """hinge's slope loop leaves 1 - y*p next to 0 to NumPy's exact product, element
    by element: there the value is the scalar code's, and the loop stays in use."""
    slope = FORGE.get("squared_hinge").gradient("y_pred")
    labels = np.sign(Y)
    slope.eval(y_pred=P, y_true=labels)
    state = _compiled()
    assert state.loop is not None
    p = P.copy()
    p[:40] = labels[:40] * (1.0 + np.linspace(-1e-4, 1e-4, 40))   # 1 - y*p within 1e-4
    got = slope.eval(y_pred=p, y_true=labels)
    some = np.concatenate([np.arange(40), RNG.integers(40, N, 100)])
    assert got[some].tolist() == [slope.eval(y_pred=float(p[i]), y_true=float(labels[i]))
                                  for i in some]
    assert state.loop is not None and state.status == "ready"


def test_a_loop_slower_than_numpy_is_dropped(jit, monkeypatch):
    f = Expression("f", "x*y + x/3 - y*y", variables=["x", "y"])
    want = f.eval(x=P, y=Y)
    state = _compiled()
    assert state.loop is not None
    monkeypatch.setattr(_jit, "_GAIN", 0.0)   # as if NumPy could not be beaten
    for _ in range(2 * _jit._LOOP_TRIALS - 1):  # the loop's calls and NumPy's between
        f.eval(x=P, y=Y)
    assert state.loop is None and state.status == "slower"
    assert len(state.loop_rates) == _jit._LOOP_TRIALS
    assert len(state.paired) == _jit._LOOP_TRIALS - 1
    assert np.array_equal(f.eval(x=P, y=Y), want)


def test_a_new_loops_calls_alternate_with_numpys_until_it_is_judged(jit, monkeypatch):
    """Each of the loop's first calls is followed by one of NumPy's, timed: the
    two are compared in the same seconds, whatever the machine did before."""
    f = Expression("f", "x*y + x/3 - y*y", variables=["x", "y"])
    want = f.eval(x=P, y=Y)
    state = _compiled()
    monkeypatch.setattr(_jit, "_GAIN", 0.0)   # nothing is kept: the trials go on
    seen = []
    for _ in range(4):
        assert np.array_equal(f.eval(x=P, y=Y), want)
        seen.append((len(state.loop_rates), len(state.paired)))
    assert seen == [(1, 0), (1, 1), (2, 1), (2, 2)]
    calls = state.numpy_calls
    monkeypatch.setattr(_jit, "_busy", True)  # another compile runs: the loop, untimed
    for _ in range(3):
        f.eval(x=P, y=Y)
    assert (len(state.loop_rates), len(state.paired), state.numpy_calls) == (2, 2, calls)
    monkeypatch.setattr(_jit, "_busy", False)
    monkeypatch.setattr(_jit, "_GAIN", 1e9)   # the next call of the loop keeps it
    f.eval(x=P, y=Y)
    assert state.judged and state.loop is not None and state.status == "ready"
    for _ in range(3):                        # judged: the loop every time
        f.eval(x=P, y=Y)
    assert (len(state.loop_rates), len(state.paired), state.numpy_calls) == (3, 2, calls)


def test_the_status_of_each_formula_is_public(jit):
    f = Expression("f", "x*y + x/3 - y*y", variables=["x", "y"])
    f.eval(x=P, y=Y)
    state = _compiled()
    (source, status), = compiled_loop_status().items()
    assert source.startswith("def _compiled(") and status == state.status == "ready"
    state.status = "slower"
    assert list(compiled_loop_status().values()) == ["slower"]


def test_a_loop_is_kept_at_its_first_call_under_the_gain_and_dropped_after_the_last_trial():
    """A new loop's first calls are slow: it is judged by its fastest, against
    NumPy's best, and dropped only when none of its trials beat it."""
    kept = _jit._State()
    kept.numpy_rate, kept.loop, kept.status = 1e-9, "a loop", "ready"
    assert _jit._GAIN == 0.75
    assert not _jit.tried(kept, 1.2e-3, 10**6)          # 1.2 ns per element: not yet
    assert not _jit.tried(kept, 0.8e-3, 10**6)          # 0.8 ns: still over 0.75 ns
    assert _jit.tried(kept, 0.7e-3, 10**6)              # 0.7 ns < 0.75 * 1 ns: kept
    assert kept.loop == "a loop" and kept.status == "ready" and len(kept.loop_rates) == 3
    dropped = _jit._State()
    dropped.numpy_rate, dropped.loop, dropped.status = 1e-9, "a loop", "ready"
    for _ in range(_jit._LOOP_TRIALS - 1):
        assert not _jit.tried(dropped, 0.9e-3, 10**6)
    assert _jit.tried(dropped, 0.9e-3, 10**6)
    assert dropped.loop is None and dropped.status == "slower"


def test_numpys_calls_between_the_loops_are_its_measure_once_there_are_three():
    """NumPy's best of all may come from a faster minute of a shared machine:
    three calls timed between the loop's replace it (one alone could be slow)."""
    assert _jit._PAIRED == 3
    state = _jit._State()
    state.numpy_rate, state.loop, state.status = 1e-9, "a loop", "ready"
    assert not _jit.tried(state, 1.0e-3, 10**6)       # 1 ns: not under 0.75 * 1 ns
    assert _jit.numpy_turn(state)
    state.paired.append(2.0e-9)                       # NumPy now takes 2 ns
    assert not _jit.numpy_turn(state)
    assert not _jit.tried(state, 1.2e-3, 10**6)       # one call is no measure yet
    state.paired += [2.5e-9, 2.2e-9]
    assert _jit.tried(state, 1.2e-3, 10**6)           # 1.2 ns < 0.75 * 2 ns: kept
    assert state.loop == "a loop"
    slower = _jit._State()
    slower.numpy_rate, slower.loop, slower.status = 1e-9, "a loop", "ready"
    slower.loop_rates, slower.paired = [5e-9] * 3, [0.5e-9, 3e-9, 4e-9]   # their best counts
    assert not _jit.tried(slower, 0.5e-3, 10**6)      # 0.5 ns: not under 0.75 * 0.5 ns


def test_nothing_is_compiled_when_turned_off_or_before_the_time(monkeypatch):
    monkeypatch.setattr(_jit, "_states", type(_jit._states)())
    monkeypatch.setattr(_fast_math, "_FAST", {})   # (NumPy's functions: tested on their own)
    f = Expression("f", "x*y - x/2 + y*y", variables=["x", "y"])
    monkeypatch.setenv(_jit.ENV_JIT, "off")
    f.eval(x=P, y=Y)
    assert not _jit._states
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "1000")
    f.eval(x=P, y=Y)
    (state,) = _jit._states.values()
    assert state.status == "counting" and state.spent > 0


def test_without_numba_everything_stays_on_numpy(jit, monkeypatch):
    monkeypatch.setattr(_jit, "_numba", False)
    f = Expression("f", "x*y - x/4 + y*y", variables=["x", "y"])
    f.eval(x=P, y=Y)
    assert not _jit._states


def test_threads_sharing_a_formula_while_it_compiles_agree(jit):
    f = Expression("f", "where(abs(x - y) < 1, (x - y)**2/2, abs(x - y) - 1/2)",
                   variables=["x", "y"])
    want = f.eval(x=P, y=Y)
    results, errors = [], []

    def work():
        try:
            for _ in range(4):
                results.append(f.eval(x=P, y=Y))
        except Exception as exc:   # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 12
    assert all(np.array_equal(r, want) for r in results)


def test_formulas_without_operations_stay_on_numpy(jit):
    """x (the linear activation) is a copy: there is nothing to fuse."""
    copy = FORGE.get("linear").eval(x=P)
    assert copy is not P and copy.tolist() == P.tolist()
    assert not _jit._states


def test_a_sweep_with_too_few_finite_results_proves_nothing(jit):
    """Defined only above 1e305, the formula is compared almost nowhere on the
    sweep: its loop is not trusted."""
    f = Expression("f", "sqrt(x - 1e305)*y + x*y - y/3", variables=["x", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # nan for x < 1e305
        f.eval(x=P, y=Y)
    assert _compiled().status == "failed"
