"""White-box tests of one internal module: neurogebra.compile._jit, for its digits.

A compiled loop computes exp, log, tanh and their kin with its own vectorised
functions (compile/_loop_math.py), which may differ from the C library's in
the last bit. So every built-in's compiled loop, value and first derivative by
every variable and param, is held to the promise the scalar and NumPy code
keep (tests/test_accuracy_sweep.py): 12 digits against mpmath's references
wherever the truth is a normal float, no floating-point warning, and where the
truth is 0 or subnormal, a result that is too. The functions themselves are
compared with mpmath to their last bits.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
import scipy.special

from neurogebra.compile import _fast_math, _jit, _kernels
from tests.accuracy_reference import FORGE, TINY, checks, compared_points, wrong_points

pytest.importorskip("numba")

N = 600_000       # above the size from which arrays may go to a compiled loop

# the checks whose loop is refused, and why
REFUSED: dict = {}   # (name, wrt) -> why its loop is refused: none is today

CASES = [pytest.param(name, wrt, id=f"{name}-{wrt}")
         for name in FORGE.list_all() for wrt in checks(name)]


@pytest.fixture
def jit(monkeypatch, no_compile_running):
    monkeypatch.setenv(_jit.ENV_JIT, "on")
    monkeypatch.setenv(_jit.ENV_AFTER, "0")
    monkeypatch.setattr(_jit, "_states", type(_jit._states)())
    monkeypatch.setattr(_fast_math, "_FAST", {})   # (NumPy's functions: tested on their own)


def _loop_values(function, variables, points):
    """The formula's values on ``points`` through its compiled loop, evaluated as a
    user's large array is (tiled to N elements); None if its loop was refused;
    "copied" for a formula without operations (x, a constant), which has none."""
    reps = -(-N // len(points))
    columns = {v: np.tile(points[:, i], reps) for i, v in enumerate(variables)}
    function.eval(**columns)                  # NumPy's code, which starts the compile
    if not _jit._states:
        return "copied"
    (state,) = _jit._states.values()
    state.done.wait(120)
    if state.loop is None:
        return None
    state.numpy_calls = _jit._TRIALS          # the next call runs the loop
    return np.asarray(function.eval(**columns), float)[:len(points)]


@pytest.mark.parametrize("name, wrt", CASES)
def test_every_digit_right_in_the_compiled_loop(jit, name, wrt):
    expression = FORGE.get(name)
    function = expression if wrt == "value" else expression.gradient(wrt)
    points, want, slack = compared_points(name, wrt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # a finite truth: no overflow, nan or warning
        got = _loop_values(function, expression.variables, points)
    assert (got is None) == ((name, wrt) in REFUSED), REFUSED.get((name, wrt), "refused")
    if got is None or isinstance(got, str):
        return
    bad = np.nonzero(wrong_points(got, want, slack))[0]
    rows = points.tolist()
    problems = [f"{dict(zip(expression.variables, rows[i]))}: got {got[i]!r}, want {want[i]!r}"
                for i in bad[:12]]
    assert not len(bad), f"d{name}/d{wrt}: {len(bad)} of {len(want)} points wrong\n" + \
        "\n".join(problems)


# (function, mpmath's, points, the largest error allowed in ulps of the true value)
_RNG = np.random.default_rng(5)
_SIGNED = 10.0 ** _RNG.uniform(-300, 2.9, 3000) * _RNG.choice([-1.0, 1.0], 3000)
_NEAR = _RNG.standard_normal(3000) * 3
_POSITIVE = 10.0 ** _RNG.uniform(-323, 308, 3000)
FUNCTIONS = [
    (math.exp, mpmath.exp, np.concatenate([_NEAR, _RNG.uniform(-745.2, 709.8, 3000),
                                           [709.78, -708.4, -745.13, 1e-300]]), 0.75),
    (math.expm1, mpmath.expm1, np.concatenate([_NEAR, _SIGNED[_SIGNED < 709], [0.3466, 0.3467,
                                               -0.3466, 700.0, 700.1, 709.78]]), 1.25),
    (math.log, mpmath.log, np.concatenate([_POSITIVE, 1.0 + _NEAR * 1e-7, [5e-324, TINY]]), 1.0),
    (math.log1p, mpmath.log1p, np.concatenate([_POSITIVE, -_POSITIVE[_POSITIVE < 1.0],
                                               _NEAR * 1e-5, [2.0 ** -16, 2.0 ** -17]]), 1.0),
    (math.tanh, mpmath.tanh, np.concatenate([_NEAR, _SIGNED, _RNG.uniform(-0.6, 0.6, 3000),
                                             _RNG.uniform(0.17, 0.35, 3000),   # k = 1, r < 0
                                             [0.55, 19.06, 22.0, 0.1733, 0.3466]]), 2.7),
    (math.cosh, mpmath.cosh, np.concatenate([_NEAR, _RNG.uniform(-711, 711, 3000),
                                             [710.0, 710.47, -710.4]]), 1.25),
    (math.sinh, mpmath.sinh, np.concatenate([_NEAR, _SIGNED[abs(_SIGNED) < 710],
                                             _RNG.uniform(-711, 711, 3000),
                                             [21.99, 22.0, -22.0, 710.47, -1e-300]]), 2.0),
    # each range of fdlibm's, and their bounds: 0.84375, 1.25, 1/0.35, 6 (erf), 28 (erfc)
    (math.erf, mpmath.erf, np.concatenate([_NEAR, _SIGNED[abs(_SIGNED) < 7],
                                           _RNG.uniform(0.8, 1.3, 1000), _RNG.uniform(2.8, 2.9, 500),
                                           [0.84375, -0.84375, 1.25, 2.857142857142857, 6.0, -6.0,
                                            3.7e-9, -1e-300]]), 1.0),
    (math.erfc, mpmath.erfc, np.concatenate([_NEAR, _SIGNED[abs(_SIGNED) < 26.5],
                                             _RNG.uniform(-1.3, 1.3, 1000),
                                             _RNG.uniform(0.25, 0.84375, 3000),   # its worst
                                             _RNG.uniform(2.8, 2.9, 500), _RNG.uniform(6, 26.5, 1000),
                                             [0.25, -0.25, 0.84375, 1.25, 2.857142857142857,
                                              6.0, -6.0, 26.5, 0.8414627492830583]]), 2.2),
]


@pytest.mark.parametrize("function, reference, points, ulps", FUNCTIONS,
                         ids=[f[0].__name__ for f in FUNCTIONS])
def test_the_loops_own_functions_are_within_their_ulps(function, reference, points, ulps):
    _jit._imported()
    compiled = _jit._replacements()[function]
    worst = 0.0
    with mpmath.workprec(120):
        for x in points.tolist():
            true = reference(mpmath.mpf(x))
            if abs(true) >= TINY and abs(true) < np.finfo(float).max:
                error = abs(mpmath.mpf(compiled(x)) - true) / mpmath.mpf(math.ulp(float(true)))
                worst = max(worst, float(error))
    assert worst <= ulps


def test_the_loops_sigmoid_is_within_its_ulps_down_to_its_subnormal_tail():
    """The kernel sigmoid_math in a loop is _loop_math's sigmoid (one rational exp
    and one division): within 2.4 ulps where the truth is normal, within one
    subnormal step of it below x = -708, 0 where it rounds to 0."""
    _jit._imported()
    sigmoid = _jit._replacements()[_kernels.sigmoid_math]
    points = np.concatenate([_NEAR, _SIGNED[abs(_SIGNED) < 800], _RNG.uniform(-746.0, -700.0, 2000),
                             [-708.0, -708.4, -744.4, -745.1, -745.2, 36.0, 37.5, 40.0]])
    worst = 0.0
    with mpmath.workprec(120):
        for x in points.tolist():
            true = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
            if true >= TINY:
                worst = max(worst, float(abs(mpmath.mpf(sigmoid(x)) - true)
                                         / mpmath.mpf(math.ulp(float(true)))))
            else:
                assert abs(sigmoid(x) - float(true)) <= 5e-324, x
    assert worst <= 2.4
    special = {math.inf: 1.0, -math.inf: 0.0, 0.0: 0.5, -0.0: 0.5, 800.0: 1.0, -800.0: 0.0}
    assert {x: sigmoid(x) for x in special} == special
    assert math.isnan(sigmoid(math.nan))


def test_the_loops_erfc_is_within_a_subnormal_step_in_its_tail():
    """erfc(x) is subnormal from x = 26.55 and rounds to 0 from 27.3: e**(-x*x) is
    scaled down once, as the loop's exp does."""
    _jit._imported()
    erfc = _jit._replacements()[math.erfc]
    with mpmath.workprec(120):
        for x in np.linspace(26.4, 27.4, 400).tolist():
            true = float(mpmath.erfc(x))
            allowed = 2 * math.ulp(true) if true >= TINY else 5e-324
            assert abs(erfc(x) - true) <= allowed, x


def test_the_loops_frexp_and_ldexp_give_the_c_librarys_bits():
    _jit._imported()
    frexp, ldexp = (_jit._replacements()[f] for f in (math.frexp, math.ldexp))
    special = [0.0, -0.0, math.inf, -math.inf, 5e-324, -TINY, TINY * (1 - 2 ** -52)]
    for x in _SIGNED.tolist() + _POSITIVE.tolist() + special:
        assert frexp(x) == math.frexp(x) and math.copysign(1, frexp(x)[0]) == math.copysign(1, x)
    assert frexp(math.nan)[1] == 0 and math.isnan(frexp(math.nan)[0])
    for m, e in zip(_SIGNED.tolist() + _POSITIVE.tolist(), _RNG.integers(-2300, 2300, 6000)):
        try:
            want = math.ldexp(m, int(e))
        except OverflowError:
            want = math.copysign(math.inf, m)
        assert ldexp(m, int(e)) == want, (m, e)


def test_the_loops_log_takes_a_base_as_math_log_does():
    _jit._imported()
    log = _jit._replacements()[math.log]
    assert log(8.0, 2.0) == 3.0 and log(1e-300, 10.0) == math.log(1e-300, 10.0)
    for x, base in zip(_POSITIVE.tolist(), (_POSITIVE * 3.7 + 1.5).tolist()):
        assert abs(log(x, base) - math.log(x, base)) <= 4 * math.ulp(math.log(x, base))


@pytest.mark.parametrize("function", [f[0] for f in FUNCTIONS], ids=lambda f: f.__name__)
def test_the_loops_own_functions_give_numpys_inf_nan_and_signed_zeros(function):
    _jit._imported()
    compiled = _jit._replacements()[function]
    special = [math.inf, -math.inf, math.nan, 0.0, -0.0, 800.0, -800.0, -1.0, -2.0, 30.0, -30.0]
    ufunc = getattr(np, function.__name__, None) or getattr(scipy.special, function.__name__)
    with np.errstate(all="ignore"):
        want = ufunc(np.array(special)).tolist()
    got = [compiled(x) for x in special]

    def kind(v):   # a nan's sign means nothing; a zero's does
        return "nan" if v != v else (v, math.copysign(1, v)) if v == 0 or abs(v) == math.inf \
            else "finite"
    assert [kind(g) for g in got] == [kind(w) for w in want]


_BASES = np.concatenate([_POSITIVE, _RNG.uniform(0.0, 1.0, 3000), 1.0 + _NEAR * 1e-4,
                         -_RNG.uniform(0.1, 10.0, 1000)])
_EXPONENTS = np.concatenate([_RNG.uniform(-2.3, 2.3, 3000), _RNG.uniform(0.0, 4.0, 3000),
                             _RNG.uniform(-1000.0, 1000.0, 3000),
                             _RNG.integers(-20, 20, 1000).astype(float)])


def test_the_loops_pow_is_within_two_thirds_of_an_ulp_up_to_overflow():
    """e**(g log|b|) with g log|b| up to 709 in size: log|b| must be a double-double
    (one rounding of it at 709 is 80 ulps of the result)."""
    _jit._imported()
    power = _jit._replacements()[math.pow]
    worst = 0.0
    with mpmath.workprec(120):
        for b, g in zip(_BASES.tolist(), _EXPONENTS.tolist()):
            true = mpmath.power(mpmath.mpf(b), mpmath.mpf(g))
            if TINY <= abs(true) < np.finfo(float).max:
                error = abs(mpmath.mpf(power(b, g)) - true) / mpmath.mpf(math.ulp(float(true)))
                worst = max(worst, float(error))
    assert worst <= 0.65


def test_the_loops_pow_gives_numpys_values_at_zeros_infinities_nan_and_negative_bases():
    """The C library's pow, as np.power gives it: pow(-8, 1/3) is nan, pow(-0, -3)
    is -inf, pow(-1, inf) and pow(nan, 0) are 1, pow(-inf, 0.5) is inf; subnormal
    bases and results; 2**1024 overflows to inf."""
    _jit._imported()
    power = _jit._replacements()[math.pow]
    values = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 2.5, -8.0, 1 / 3,
              math.inf, -math.inf, math.nan, 5e-324, -5e-324, 1e-310, 1e308, -1e308,
              0.999999, 1.000001, 2.0 ** 53 + 2, 2.0 ** 52 + 1, -(2.0 ** 52 + 1), 1024.0, -1075.0]
    pairs = [(b, g) for b in values for g in values]
    with np.errstate(all="ignore"):
        want = np.power(np.array([b for b, _ in pairs]), np.array([g for _, g in pairs]))
    for (b, g), w in zip(pairs, want.tolist()):
        assert _same_float(power(b, g), w), (b, g, power(b, g), w)


def _same_float(got: float, want: float) -> bool:
    """nan for nan; a zero or an infinity with its sign; else within 1 ulp."""
    if want != want:
        return got != got
    if want == 0 or abs(want) == math.inf:
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    return abs(got - want) <= math.ulp(want)


def _rounded_step(total: float, z: float, c: float) -> float:
    """total*z + c rounded once (exact rationals, then the nearest float)."""
    from fractions import Fraction
    return float(Fraction(total) * Fraction(z) + Fraction(c))


@pytest.mark.parametrize("length", [2, 7, 20])
def test_the_loops_horner_rounds_once_a_step(length):
    """A kernel's polynomial (neurogebra.compile.horner) is summed in a loop with a
    fused multiply-add a step (written out for the tuple's length): each step's
    bits are total*z + c rounded once, where the kernel itself, on floats and
    arrays, rounds the product first."""
    from neurogebra.compile import horner
    _jit._imported()
    fused = _jit._replacements()[horner]
    rng = np.random.default_rng(8)
    coefficients = tuple(rng.standard_normal(length).tolist())
    differs = 0
    for z in rng.uniform(-2.0, 2.0, 300).tolist():
        want = coefficients[-1]
        for c in reversed(coefficients[:-1]):
            want = _rounded_step(want, z, c)
        assert fused(coefficients, z) == want
        differs += horner(coefficients, z) != want
    assert differs > 0          # the two roundings of the plain steps do show
    zs = np.linspace(-1.0, 1.0, 5)
    assert horner((1.0, 2.0, 3.0), zs).tolist() == (1 + 2 * zs + 3 * zs ** 2).tolist()
    assert horner((1.0, 2.0, 3.0), 2.0) == 17.0


def test_a_root_series_sums_in_the_loop_as_in_the_check_that_admits_it():
    """mish's slope near its root: the loop's value is the series summed with fused
    multiply-adds, and the scalar kernel run with the loop's functions (the
    reference of the admission check) gives the same bits; plain floats sum it
    with two roundings a step, within an ulp or two of the same value."""
    from plugins.activations.primitives import MISH_SLOPE
    _jit._imported()
    loop = _jit._kernel(MISH_SLOPE.scalar)
    reference = _jit._with_loop_math(MISH_SLOPE.scalar, {})
    near = -1.1924 + np.linspace(-0.007, 0.007, 201)
    differs = 0
    for x in near.tolist():
        assert loop(x) == reference(x)
        plain = MISH_SLOPE.scalar(x)
        assert abs(plain - loop(x)) <= 4 * math.ulp(loop(x))
        differs += plain != loop(x)
    assert differs > 0
