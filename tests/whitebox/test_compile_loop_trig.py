"""White-box tests of one internal module: neurogebra.compile._loop_trig.

A compiled loop computes sin and cos with its own vectorised functions, whose
reduction by pi/2 is right up to |x| = LIMIT; a formula's code is rewritten
so that its value is nan where a sin or cos argument is beyond that, and the
loop's redo gives those elements NumPy's values. The functions are compared
with mpmath to their last bits; the rewriting, on its source and through
the loop of a formula whose nan flag a max would lose.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy

from neurogebra import Expression
from neurogebra.compile import _fast_math, _jit, compile_function

pytest.importorskip("numba")

from neurogebra.compile import _loop_trig  # noqa: E402  (it needs numba)

N = 600_000                      # above the size from which arrays go to a compiled loop
RNG = np.random.default_rng(7)
_HALF_PI_MULTIPLES = np.unique(np.round(np.geomspace(1, 2 ** 20 / 1.5708, 3000)))
NEAR_ZEROS = np.array([float(mpmath.mpf(int(k)) * mpmath.pi / 2)
                       for k in _HALF_PI_MULTIPLES])   # doubles nearest k pi/2: the hard cases
POINTS = np.concatenate([
    RNG.standard_normal(4000) * 3,
    RNG.uniform(-_loop_trig.LIMIT, _loop_trig.LIMIT, 4000),
    10.0 ** RNG.uniform(-300, 0, 2000) * RNG.choice([-1.0, 1.0], 2000),
    NEAR_ZEROS, np.nextafter(NEAR_ZEROS, 0.0), np.nextafter(NEAR_ZEROS, np.inf),
    -NEAR_ZEROS, [math.pi / 4, -math.pi / 4, 0.7853981633974484, _loop_trig.LIMIT]])


def _compiled(function):
    _jit._imported()
    return _jit._replacements()[function]


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_are_within_an_ulp_up_to_the_limit(name):
    compiled = _compiled(getattr(_loop_trig, name))
    reference = getattr(mpmath, name)
    worst = 0.0
    with mpmath.workprec(160):
        for x in POINTS.tolist():
            true = reference(mpmath.mpf(x))
            error = abs(mpmath.mpf(compiled(x)) - true) / mpmath.mpf(math.ulp(float(true)))
            worst = max(worst, float(error))
    assert worst < 1.0


def test_sin_and_cos_keep_numpys_zeros_and_give_nan_for_infinities():
    sin, cos = _compiled(_loop_trig.sin), _compiled(_loop_trig.cos)
    assert math.copysign(1.0, sin(-0.0)) == -1.0 and math.copysign(1.0, sin(0.0)) == 1.0
    assert cos(0.0) == 1.0 and cos(-0.0) == 1.0
    assert all(math.isnan(f(v)) for f in (sin, cos) for v in (math.inf, -math.inf, math.nan))


def _scalar_code(text: str):
    """The code Python floats run, which a compiled loop compiles."""
    f = Expression("f", text)
    return compile_function(f.symbolic_expr, list(f.symbolic_expr.free_symbols), backend="math")


def test_the_rewritten_code_assigns_each_argument_before_its_line_and_checks_them_all():
    scalar = _scalar_code("sin(x)**2 + sin(x)*exp(sin(x))")     # sin(x) a named part
    assert _loop_trig.flagged(scalar).source.splitlines() == [
        "def _compiled(_a0):",
        "    _trig_worst = 0.0",
        "    _trig_argument0 = _a0",
        "    _trig_worst = _trig_worse(_trig_worst, _trig_argument0)",
        "    _t0 = _loop_sin(_trig_argument0)",
        "    return _trig_checked(_t0 * _t0 + _f_exp(_t0) * _t0, _trig_worst)"]


def test_an_argument_inside_another_is_assigned_first_and_one_used_twice_once():
    rewritten = _loop_trig.flagged(_scalar_code("sin(cos(x)*3) + Max(cos(2*x), 0) + sin(x)"))
    lines = [line.strip() for line in rewritten.source.splitlines()[1:]]
    assigned = dict(line.split(" = ") for line in lines if line.startswith("_trig_argument"))
    assert sorted(assigned.values()) == ["_a0", "_a0 * 2", "_loop_cos(_trig_argument1) * 3"]
    inner = next(name for name, code in assigned.items() if code == "_a0")
    outer = next(name for name, code in assigned.items() if code.startswith("_loop_cos"))
    assert list(assigned).index(inner) < list(assigned).index(outer) and inner == "_trig_argument1"
    assert lines.count(f"_trig_worst = _trig_worse(_trig_worst, {inner})") == 1
    assert lines[-1].startswith("return _trig_checked(") and lines[-1].endswith(", _trig_worst)")
    assert f"_loop_sin({outer})" in lines[-1] and f"_loop_sin({inner})" in lines[-1]
    assert "_f_sin" not in rewritten.source and "_f_cos" not in rewritten.source


def test_the_checks_are_flat_and_a_formula_of_many_sines_keeps_the_c_librarys(monkeypatch):
    """(a check nested per argument made 200 sines too deep to write out; each
    call inlined makes numba's compile longer: 40 sines took 32 s)"""
    count = _loop_trig.MAX_CALLS + 4
    scalar = _scalar_code(" + ".join(f"sin({k}*x)/{k}" for k in range(1, count + 1)))
    assert _loop_trig.flagged(scalar) is scalar
    monkeypatch.setattr(_loop_trig, "MAX_CALLS", count)
    lines = _loop_trig.flagged(scalar).source.splitlines()
    assert sum(line.startswith("    _trig_worst = _trig_worse(") for line in lines) == count
    assert lines[-1].count("_trig_checked(") == 1 and lines[-1].endswith(", _trig_worst)")


def test_code_without_sin_or_cos_is_left_as_it_is():
    scalar = _scalar_code("exp(-x**2) + Max(x, 0)")
    assert _loop_trig.flagged(scalar) is scalar


def test_code_of_several_outputs_is_left_as_it_is():
    """(a training step's loss and gradients: their loops keep the C library's sin)"""
    x = sympy.Symbol("x", real=True)
    scalar = compile_function([sympy.sin(x), sympy.cos(x)], [x], backend="math")
    assert _loop_trig.flagged(scalar) is scalar


def test_beyond_the_limit_or_for_nan_the_value_is_a_nan_for_numpy_to_compute_again():
    beyond = math.nextafter(_loop_trig.LIMIT, math.inf)
    worst = 0.0
    for argument in [1.0, -_loop_trig.LIMIT, _loop_trig.LIMIT, 3.0]:
        worst = _loop_trig.worse(worst, argument)
    assert _loop_trig.checked(0.25, worst) == 0.25 and worst == 0.0
    for trouble in [beyond, -beyond, math.nan, -math.inf]:
        worst = 0.0
        for argument in [1.0, trouble, 3.0]:   # kept, whatever follows
            worst = _loop_trig.worse(worst, argument)
        assert math.isnan(_loop_trig.checked(0.25, worst))
    assert math.copysign(1.0, _loop_trig.checked(-0.0, 0.0)) == -1.0


@pytest.fixture
def jit(monkeypatch, no_compile_running):
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")
    monkeypatch.setattr(_jit, "_states", type(_jit._states)())
    monkeypatch.setattr(_fast_math, "_FAST", {})


def test_a_loop_gives_numpys_values_where_an_argument_is_beyond_the_limit(jit, monkeypatch):
    """max(sin(x), 0) would lose a nan returned by sin: the flag is on the value."""
    f = Expression("f", "Max(sin(x), 0) + cos(x)/4")
    x = RNG.standard_normal(N) * 3
    x[::997] = 10.0 ** RNG.uniform(6.1, 300, x[::997].size)     # beyond the limit
    x[5], x[6], x[7], x[8] = np.inf, -np.inf, np.nan, -0.0
    monkeypatch.setenv(_jit.ENV_JIT, "off")
    with warnings.catch_warnings(record=True) as numpy_warnings:
        warnings.simplefilter("always")
        want = f.eval(x=x)
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    f.eval(x=x)                                            # NumPy's, which starts the compile
    (state,) = _jit._states.values()
    state.done.wait(120)
    assert state.loop is not None
    state.numpy_calls = _jit._TRIALS                       # the loop runs next
    with warnings.catch_warnings(record=True) as loop_warnings:
        warnings.simplefilter("always")
        got = f.eval(x=x)
    assert [str(w.message) for w in loop_warnings] == [str(w.message) for w in numpy_warnings]
    beyond = ~(np.abs(x) <= _loop_trig.LIMIT)
    assert np.array_equal(got[beyond], want[beyond], equal_nan=True)
    assert math.copysign(1.0, got[8]) == math.copysign(1.0, want[8])
    inside = ~beyond
    parts = np.abs(np.sin(x[inside])) + np.abs(np.cos(x[inside])) / 4
    assert np.all(np.abs(got[inside] - want[inside]) <= 4e-16 * parts)   # an ulp of each
    assert not np.array_equal(got[~beyond], want[~beyond])   # the loop's own sin, not NumPy's
