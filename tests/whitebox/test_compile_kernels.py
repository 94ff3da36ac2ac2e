"""White-box tests of one internal module: neurogebra.compile._kernels.

A kernel's output buffer skips ``np.broadcast_shapes`` when its arguments
share one shape: every mix must still get the broadcast shape. The step
kernel must give NumPy's own values at every edge; hypot keeps libm's
accuracy whether its squares stay normal or not.
"""

import numpy as np
import pytest

from neurogebra.compile._kernels import _buffer, heaviside_numpy, hypot_numpy


@pytest.mark.parametrize("arguments, shape", [
    ((np.ones(4),), (4,)), ((np.ones(4), 2.0), (4,)), ((2.0, np.ones((2, 3))), (2, 3)),
    ((np.ones(4), np.ones((3, 1))), (3, 4)), ((1.0, 2.0), ()),
])
def test_kernel_buffers_take_the_broadcast_shape(arguments, shape):
    assert _buffer(*arguments).shape == shape


EDGES = np.array([np.nan, -0.0, 0.0, -1.0, 1.0, np.inf, -np.inf, 5e-324, -5e-324, 2.5, -7.0])


@pytest.mark.parametrize("h0", [0, 1, 0.5])
@pytest.mark.parametrize("shape", [(11,), (11, 1)])
def test_the_step_kernel_gives_numpys_heaviside_bit_for_bit(h0, shape):
    """One comparison writes the 0/1 floats; nan stays nan and -0 gives +0, as in
    np.heaviside (whose branchy loop it replaces for h0 = 0 and 1)."""
    edges = EDGES.reshape(shape)
    got, want = heaviside_numpy(edges, h0), np.heaviside(edges, h0)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)
    assert not np.signbit(got[~np.isnan(got)]).any()


def test_the_step_kernel_on_a_single_number():
    assert heaviside_numpy(np.float64(-0.0), 0) == 0.0
    assert np.isnan(heaviside_numpy(np.array(np.nan), 1))


@pytest.mark.parametrize("low, high", [(-3, 3), (-160, -150), (150, 160), (-300, 300)])
def test_hypot_is_within_two_ulps_of_libm_with_or_without_its_squares_in_range(low, high):
    """sqrt(a^2 + b^2) where the squares are normal floats; the scaled form where
    one over- or underflows (the floating-point flags choose, block by block)."""
    import math
    rng = np.random.default_rng(5)
    a = 10.0 ** rng.uniform(low, high, 500) * rng.choice([-1, 1], 500)
    b = 10.0 ** rng.uniform(low, high, 500)
    got = hypot_numpy(a, b)
    want = np.array([math.hypot(u, v) for u, v in zip(a, b)])
    assert np.all(np.abs(got - want) <= 2 * np.spacing(want))
    assert hypot_numpy(3.0, 4.0) == 5.0
    edges = hypot_numpy(np.array([np.inf, np.nan, 0.0, -0.0]), 2.0)
    assert edges[0] == np.inf and np.isnan(edges[1]) and edges[2:].tolist() == [2.0, 2.0]
