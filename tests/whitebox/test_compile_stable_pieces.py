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
    ("where(x <= -3, 0, where(x < 3, x*(x + 3)/6, x))", {}),    # hardswish
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


def test_a_piece_infinite_at_its_bound_keeps_the_select():
    """y*log(y) at 0 is 0*(-inf): as masks, every call with a 0 would be computed
    again with selects (kl_div's data hold zeros), so the select stays."""
    f = Expression("f", "where(y > 0, y*(log(y) - x), 0)")
    assert "_where(" in compile_function(f.symbolic_expr, [y, x]).source
    assert np.array_equal(f.eval(x=np.zeros(3), y=np.array([0.0, 1.0, np.e])), [0, 0, np.e])


def test_a_piece_found_infinite_at_its_bound_only_when_evaluated_gives_the_select():
    """log(x + a) at its bound 0 is log(a), unknown until a is: with a = 0 the
    mask's 0 times -inf is nan, and the evaluation takes the selects' values there."""
    f = Expression("f", "where(x > 0, log(x + a), 0)", params={"a": 0.0})
    assert "_where(" not in compile_function(
        f.symbolic_expr, [x, sympy.Symbol("a", real=True)]).source
    assert np.array_equal(f.eval(x=np.array([-1.0, 0.0, 1.0, np.e])), [0.0, 0.0, 0.0, 1.0])
    assert f.eval(x=-1.0) == 0.0
