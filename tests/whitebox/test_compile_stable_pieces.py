"""White-box tests of one internal module: neurogebra.compile._stable_pieces.

Two pieces that differ by a number (quantile's slope: 1 - tau or -tau) are
computed as one 0/1 mask and one sum. The rewrite must give the bits the
select gives, for any value of the param, and must leave pieces that differ
by anything else alone (their sum would round differently).
"""

import math
import re

import numpy as np
import pytest
import sympy

from neurogebra import Expression
from neurogebra.compile import compile_function
from neurogebra.compile._stable_pieces import select
from neurogebra.symbolic import STABLE_HEADS

x, y, tau = sympy.symbols("x y tau", real=True)


def test_two_pieces_a_number_apart_become_one_mask_and_one_sum():
    source = compile_function(
        sympy.Piecewise((-tau, x <= y), (1 - tau, True)), [x, y, tau]).source
    assert source.splitlines()[-1].strip() == "return ((_a0 > _a1) - _a2)"


@pytest.mark.parametrize("t", [0.1, 0.3, 0.7, 1e-17, 0.999999999999, 1e300, -2.5])
def test_one_mask_gives_the_bits_of_the_select(t):
    quantile = Expression("q", "where(x <= y, -tau, 1 - tau)", params={"tau": t})
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(1000), rng.standard_normal(1000)
    b[::7] = a[::7]                                   # ties take the first piece
    want = np.where(a <= b, -t, 1.0 - t)
    got = quantile.eval(x=a, y=b)
    assert np.array_equal(got, want)
    assert [quantile.eval(x=float(u), y=float(v)) for u, v in zip(a[:50], b[:50])] == \
        want[:50].tolist()


@pytest.mark.parametrize("pieces", [
    ((1, x > 0), (tau, True)),                        # leaky_relu': 1 - tau would round
    ((x + 1, x > 0), (2 * x, True)),                  # apart by x, not a number
    ((x + y + 1, x > 0), (x + y, True)),              # the base is a sum: another order
])
def test_pieces_apart_by_anything_else_are_not_one_sum(pieces):
    rewritten = select(sympy.Piecewise(*pieces))
    assert len(rewritten.atoms(STABLE_HEADS["indicator"])) == 2


def test_a_piece_of_zero_stays_one_mask_times_the_other_piece():
    """hardtanh's slope: 1 where inside, 0 outside, is the mask itself (not 1 - mask)."""
    assert select(sympy.Piecewise((0, x <= -1), (1, True))) == STABLE_HEADS["indicator"](x > -1)


SWEEP = np.concatenate([np.linspace(-5, 5, 1001), [-800.0, 800.0, 1e300, -1e300, np.inf,
                                                    -np.inf, np.nan, 0.0, -0.0, 3.0, -3.0]])


@pytest.mark.parametrize("formula, params", [
    ("where(x > 0, 1, a*exp(x))", {"a": 1.5}),                  # elu's slope
    ("where(x <= -1, 0, where(x < 1, (1 + x)**2/4, x))", {}),   # sparse_plus
    ("where(b*x > 20, 1, sigmoid(b*x))", {"b": 2.0}),           # a number bound on b*x
    ("where(x > 0, exp(x), exp(-x))", {}),                      # both pieces overflow
    ("where(x < 1, exp(100*x), 0)", {}),                        # nan takes the last piece, 0
    ("where(x >= 1, acosh(x)*w, w)", {"w": 0.7}),               # ... w
])
def test_pieces_bounded_on_one_quantity_are_clamped_masks_with_the_bits_of_the_select(
        formula, params):
    f = Expression("f", formula, params=params)
    args = [sympy.Symbol(n, real=True) for n in ("x", *params)]
    source = compile_function(f.symbolic_expr, args).source
    assert "_where(" not in source and re.search(r"_f_(_f)?(min|max)\(|_f__clip\(", source), \
        source
    exact = compile_function(f.symbolic_expr, args, masks=False)
    with np.errstate(all="ignore"):
        want = exact(SWEEP, *params.values())
    got = f.eval(x=SWEEP)
    assert np.array_equal(got, want, equal_nan=True)
    # the signs of zeros too, but where the piece taken gives -0 the others' +0 make +0
    # (hardswish(-0.0)): the sum of masked terms cannot keep it
    signs_differ = np.signbit(got) != np.signbit(want)
    assert not np.any(signs_differ & ((want != 0) | np.isnan(want)))
    scalar = compile_function(f.symbolic_expr, args, "math", masks=False)
    for u in [*SWEEP[::25], math.nan]:
        value, want = f.eval(x=float(u)), scalar(float(u), *params.values())
        assert value == want or (math.isnan(value) and math.isnan(want))


def test_a_bound_that_is_a_param_keeps_the_select():
    f = Expression("f", "where(x > t, x, log(1 + exp(x)))", params={"t": 20.0})
    source = compile_function(f.symbolic_expr, [sympy.Symbol(n, real=True)
                                                for n in ("x", "t")]).source
    assert "_where(" in source


def test_a_piece_infinite_at_a_bound_it_excludes_is_clamped_next_to_it():
    """kl_div: y*log(y) for y > 0 is clamped to the smallest subnormal, where
    log is -744.4 and the mask's 0 makes 0 (-0: the piece there is negative)."""
    f = Expression("f", "where(y > 0, y*(log(y) - x), 0)")
    source = compile_function(f.symbolic_expr, [y, x]).source
    assert "_where(" not in source and "_f__fmax(_a0, 5e-324)" in source, source
    ys = np.array([0.0, 5e-324, 1e-310, 1.0, np.e, -1.0, np.inf, np.nan])
    xs = np.array([-1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    exact = compile_function(f.symbolic_expr, [y, x], masks=False)
    with np.errstate(all="ignore"):
        want = exact(ys, xs)
    assert np.array_equal(f.eval(x=xs, y=ys), want, equal_nan=True)
    assert [f.eval(x=float(a), y=float(b)) for a, b in zip(xs, ys)] == pytest.approx(
        want.tolist(), rel=0, abs=0, nan_ok=True)
    assert f.eval(x=np.array([np.inf]), y=np.array([0.0]))[0] == 0.0     # 0*-inf: selects


@pytest.mark.parametrize("formula", ["where(y >= 0, y*log(y), 0)",   # takes the bound itself
                                     "where(y > 0, 1/y, 0)"])        # 1/5e-324 overflows
def test_a_piece_infinite_at_its_bound_and_next_to_it_keeps_the_select(formula):
    f = Expression("f", formula)
    assert "_where(" in compile_function(f.symbolic_expr, [y]).source


def test_a_product_of_clamped_factor_replaces_three_pieces():
    """hardswish: x*(x + 3)/6 between -3 and 3, 0 below, x above -> x*clip((x + 3)/6, 0, 1),
    within two ulps of the select, the upper piece's own bits, no overflow at 1e300."""
    f = Expression("f", "where(x <= -3, 0, where(x < 3, x*(x + 3)/6, x))")
    source = compile_function(f.symbolic_expr, [x]).source
    assert source.splitlines()[-1].strip() == "return (_a0*_f__clip(_f__shifted(_a0, 3, 6), 0, 1))"
    exact = compile_function(f.symbolic_expr, [x], masks=False)
    with np.errstate(all="ignore"):
        want = exact(SWEEP)
    got = f.eval(x=SWEEP)
    np.testing.assert_allclose(got, want, rtol=4.5e-16, atol=0)
    assert np.array_equal(got[SWEEP >= 3], SWEEP[SWEEP >= 3])
    assert np.all(got[SWEEP <= -3] == 0) and np.isnan(got[np.isnan(SWEEP)]).all()
    assert [f.eval(x=float(u)) for u in SWEEP[::50]] == got[::50].tolist()
    assert f.eval(x=-math.inf) == 0.0 and f.eval(x=np.array([-np.inf]))[0] == 0.0


def test_pieces_that_meet_at_their_bounds_otherwise_stay_masks():
    """x*(x + 3)/6 above 3 does not continue as x: no clamp of one factor gives it."""
    f = sympy.Piecewise((0, x <= -3), (x * (x + 3) / 6, x < 3), (2 * x, True))
    assert not select(f).atoms(STABLE_HEADS["clip"])


@pytest.mark.parametrize("lambd", [0.5, 0.0, 3.0, -1.0])
def test_soft_thresholding_is_one_shrink_with_the_bits_of_the_select(lambd):
    f = Expression("f", "where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0))",
                   params={"lambd": lambd})
    args = [x, sympy.Symbol("lambd", real=True)]
    assert compile_function(f.symbolic_expr, args).source.splitlines()[-1].strip() == \
        "return _f__shrink(_a0, _a1)"
    exact = compile_function(f.symbolic_expr, args, masks=False)
    finite = SWEEP[np.isfinite(SWEEP)]
    want = exact(finite, lambd)
    assert np.array_equal(f.eval(x=finite), want)
    assert [f.eval(x=float(u)) for u in finite[::25]] == want[::25].tolist()
    assert f.eval(x=np.array([np.inf, -np.inf])).tolist() == [np.inf, -np.inf]
    assert np.isnan(f.eval(x=np.array([np.nan]))[0]) and math.isnan(f.eval(x=math.nan))


def test_a_piece_found_infinite_at_its_bound_only_when_evaluated_gives_the_select():
    """log(x + a) at its bound 0 is log(a), unknown until a is: with a = 0 the
    mask's 0 times -inf is nan, and the evaluation takes the selects' values there."""
    f = Expression("f", "where(x > 0, log(x + a), 0)", params={"a": 0.0})
    assert "_where(" not in compile_function(
        f.symbolic_expr, [x, sympy.Symbol("a", real=True)]).source
    assert np.array_equal(f.eval(x=np.array([-1.0, 0.0, 1.0, np.e])), [0.0, 0.0, 0.0, 1.0])
    assert f.eval(x=-1.0) == 0.0


# -- a piece that continues the other along its tangent ----------------------------------

def _exact(**values):
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(60):
        d = mpmath.mpf(values["y_pred"]) - mpmath.mpf(values["y_true"])
        delta = mpmath.mpf(values["delta"])
        return float(d * d / 2 if abs(d) < delta else delta * (abs(d) - delta / 2))


@pytest.mark.parametrize("delta", [1.0, 0.3, 1e-200, 1e150, -2.0])
def test_huber_is_a_clamp_and_a_step_with_every_digit(delta):
    """Huber's linear piece is the tangent of its square at delta: min(|d|, delta)^2/2
    + delta*max(|d| - delta, 0), no select; the same numbers on both paths."""
    huber = Expression("h", "where(abs(y_pred - y_true) < delta, (y_pred - y_true)**2/2, "
                       "delta*(abs(y_pred - y_true) - delta/2))", params={"delta": delta})
    assert not select(huber.symbolic_expr).has(sympy.Piecewise)
    rng = np.random.default_rng(3)
    d = np.concatenate([rng.standard_normal(200) * 3, [0.0, -0.0, delta, -delta, 1e-300,
                                                        1e150, -1e150, 5e-324]])
    got = huber.eval(y_pred=d, y_true=0.0)
    for value, one in zip(d, got):
        want = _exact(y_pred=value, y_true=0.0, delta=delta)
        assert one == pytest.approx(want, rel=4e-16, abs=0)
        assert huber.eval(y_pred=float(value), y_true=0.0) == pytest.approx(want, rel=4e-16,
                                                                            abs=0)
    assert math.isnan(huber.eval(y_pred=math.nan, y_true=0.0))
    assert huber.eval(y_pred=math.inf, y_true=0.0) == math.copysign(math.inf, delta)


@pytest.mark.parametrize("formula, rewritten", [
    ("where(abs(x - y) < tau, (x - y)**2/2, tau*(abs(x - y) - tau/2))", True),
    ("where(x < 1, x**2, 2*x - 1)", True),
    ("where(x > 1, x**2, 2*x - 1)", False),      # 1 + 2*min(x - 1, 0) cancels at x = 0.5
    ("where(x < 1, x**2, 2*x)", False),          # not the tangent
    ("where(x < 1, 2 - x**2, 3 - 2*x)", False),  # the step would cancel f(1) (zero at 1.5)
])
def test_only_a_tangent_continuation_that_cannot_cancel_is_rewritten(formula, rewritten):
    expr = Expression("g", formula, variables=["x", "y"],
                      params={"tau": 1.0} if "tau" in formula else None).symbolic_expr
    result = select(expr)
    assert (not result.has(sympy.Piecewise) and not result.atoms(STABLE_HEADS["indicator"])) \
        == rewritten, result
