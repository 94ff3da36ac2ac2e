"""White-box tests of one internal module: neurogebra.compile._stable_pieces.

Two pieces that differ by a number (quantile's slope: 1 - tau or -tau) are
computed as one 0/1 mask and one sum. The rewrite must give the bits the
select gives, for any value of the param, and must leave pieces that differ
by anything else alone (their sum would round differently).
"""

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
