"""White-box tests of one internal module: neurogebra.compile._kernels.

A kernel's output buffer skips ``np.broadcast_shapes`` when its arguments
share one shape: every mix must still get the broadcast shape. The step
kernel must give NumPy's own values at every edge; hypot keeps libm's
accuracy whether its squares stay normal or not, on both paths. A kernel's
loop form (what a compiled loop runs) gives the kernel's own values (log_of_sum's
with one logarithm for its two sides). The sigmoid residual (BCE with logits'
slope) keeps its digits for every label, 1 - (a + b)^2/m next to 0 its bits, and
hypot(u, 1) - 1 its digits at every size.
"""

import decimal
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from neurogebra.compile import _jit
from neurogebra.compile._kernels import (_buffer, clip_numpy, heaviside_numpy, hypot_math,
                                         hypot_minus_one_math, hypot_minus_one_numpy,
                                         hypot_numpy, log_of_sum_math, one_minus_product_math,
                                         one_minus_square_ratio_math,
                                         one_minus_square_ratio_numpy, shrink_numpy,
                                         sigmoid_residual_math, sigmoid_residual_numpy)


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
    rng = np.random.default_rng(5)
    a = 10.0 ** rng.uniform(low, high, 500) * rng.choice([-1, 1], 500)
    b = 10.0 ** rng.uniform(low, high, 500)
    got = hypot_numpy(a, b)
    want = np.array([math.hypot(u, v) for u, v in zip(a, b)])
    assert np.all(np.abs(got - want) <= 2 * np.spacing(want))
    assert hypot_numpy(3.0, 4.0) == 5.0
    edges = hypot_numpy(np.array([np.inf, np.nan, 0.0, -0.0]), 2.0)
    assert edges[0] == np.inf and np.isnan(edges[1]) and edges[2:].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("low, high", [(-3, 3), (-160, -150), (150, 160), (-300, 300),
                                       (-323, -300)])
def test_the_scalar_hypot_is_accurate_and_agrees_with_the_array_kernel(low, high):
    """Both scale a and b by a power of 2 beyond 2^+-500: the same bits, element by
    element, where the array kernel takes the scaled form for the whole array."""
    rng = np.random.default_rng(6)
    a = 10.0 ** rng.uniform(low, high, 500) * rng.choice([-1, 1], 500)
    b = 10.0 ** rng.uniform(low, high, 500)
    got = np.array([hypot_math(u, v) for u, v in zip(a, b)])
    want = np.array([math.hypot(u, v) for u, v in zip(a, b)])
    assert np.all(np.abs(got - want) <= 2 * np.spacing(want))
    if low < -200 or high > 200:                   # the array kernel scales them all
        assert got.tolist() == hypot_numpy(a, b).tolist()
    assert hypot_math(3.0, 4.0) == 5.0 and hypot_math(-0.0, 2.0) == 2.0
    assert hypot_math(math.inf, 1.0) == math.inf and math.isnan(hypot_math(math.nan, 1.0))
    assert hypot_math(0.0, 0.0) == 0.0 and hypot_math(5e-324, 0.0) == 5e-324


def _near_one_pairs():
    """(a, b) with a*b within 2^-9 of 1 across the exponent range, others, edges."""
    rng = np.random.default_rng(7)
    a = 2.0 ** rng.uniform(-1020, 1020, 3000) * rng.choice([-1, 1], 3000)
    b = (1.0 + rng.uniform(-2.0 ** -9, 2.0 ** -9, 3000)) / a
    far = rng.standard_normal((2, 500)) * 10.0 ** rng.uniform(-300, 300, (2, 500))
    pairs = list(zip(a.tolist(), b.tolist())) + list(zip(*far.tolist()))
    return pairs + [(1.0, 1.0), (0.5, 2.0), (math.inf, 0.0), (math.nan, 1.0), (1e308, 1e-308),
                    (3.0, 1 / 3.0), (-1.0, -1.0 - 2.0 ** -52)]


def _near_one_ratios():
    """(a, b, m) with (a + b)^2/m within 2^-10 of 1, others, edges."""
    rng = np.random.default_rng(8)
    a = rng.standard_normal(3000) * 10.0 ** rng.uniform(-140, 140, 3000)
    b = a * rng.uniform(-3, 3, 3000)
    m = (a + b) ** 2 * (1.0 + rng.uniform(-2.0 ** -10, 2.0 ** -10, 3000))
    return list(zip(a.tolist(), b.tolist(), m.tolist())) + [
        (x, y, abs(x) + 1.0) for x, y in _near_one_pairs()[3000:]] + _tiny_ratios() + [
        (1.0, 0.0, 1.0 + 2.0 ** -30), (0.5, 0.5, 1.0), (1e-160, 0.0, 1e-320),
        (1e300, -1e300, 1.0), (2.0 ** -480, -(2.0 ** -480 - 2.0 ** -533), 2.0 ** -1066),
        (math.inf, 1.0, 1.0), (1.0, math.nan, 1.0), (1.0, 1.0, math.inf), (1e-200, 1e-200, 1.0)]


def _tiny_ratios():
    """(a, b, m) with terms below 2^-480 (scaled in the kernel) and (a + b)^2/m
    next to 1, down to where m is subnormal."""
    rng = np.random.default_rng(10)
    a = rng.choice([-1, 1], 600) * 2.0 ** rng.uniform(-530, -481, 600)
    b = a * rng.uniform(-3, 3, 600)
    m = (a + b) ** 2 * (1.0 + rng.uniform(-2.0 ** -10, 2.0 ** -10, 600))
    return list(zip(a.tolist(), b.tolist(), m.tolist()))


def test_the_square_ratio_keeps_its_bits_next_to_zero():
    """1 - (a + b)^2/m within a few ulps of the exact rational value where it is
    next to 0, tiny terms included, and NumPy's kernel gives the scalar's values."""
    points = [p for p in _near_one_ratios() if all(map(math.isfinite, p)) and p[2] > 0]
    exact = [1 - (Fraction(a) + Fraction(b)) ** 2 / Fraction(m) for a, b, m in points]
    ours = [one_minus_square_ratio_math(*p) for p in points]
    near = [(o, e) for o, e in zip(ours, exact) if e != 0 and abs(e) < Fraction(1, 1024)]
    assert len(near) > 2000
    worst = max(abs(Fraction(o) - e) / abs(e) for o, e in near)
    assert worst < 8 * 2.0 ** -53, float(worst)
    columns = [np.array(c) for c in zip(*_near_one_ratios())]
    with np.errstate(all="ignore"):
        arrays = one_minus_square_ratio_numpy(*columns)
    scalars = [one_minus_square_ratio_math(*p) if p[2] != 0 else math.nan
               for p in _near_one_ratios()]
    assert [i for i, (u, v) in enumerate(zip(arrays.tolist(), scalars))
            if not _same(u, v) and _near_one_ratios()[i][2] != 0] == []


def _same(u, v):
    return u == v or (u != u and v != v)


def _hypot_arguments():
    """u of every size and sign, many between -20 and 20, next to the switch at
    |u| = 2, and the edges."""
    rng = np.random.default_rng(11)
    sizes = rng.choice([-1, 1], 3000) * 10.0 ** rng.uniform(-320, 308, 3000)
    switch = rng.choice([-1, 1], 500) * (2.0 + rng.uniform(-1e-6, 1e-6, 500))
    middle = rng.uniform(-20, 20, 4000)
    return [(u,) for u in [*sizes.tolist(), *switch.tolist(), *middle.tolist(), 0.0, -0.0, 1.0, -1.0, 2.0,
                           np.nextafter(2.0, 0.0), 5e-324, 1e-160, 1e154, 1.7e308,
                           math.inf, -math.inf, math.nan]]


@pytest.mark.parametrize("kernel, points", [(one_minus_product_math, _near_one_pairs()),
                                            (one_minus_square_ratio_math, _near_one_ratios()),
                                            (hypot_minus_one_math, _hypot_arguments())])
def test_a_loop_form_gives_the_kernels_values(kernel, points):
    """Near the kink, where the kernel takes its exact branch, as elsewhere (the
    loop form compiled, as a loop runs it: it may use numba's fused multiply-add;
    hypot_minus_one has none, its kernel is compiled as it is)."""
    pytest.importorskip("numba")
    _jit._imported()
    loop_kernel = _jit._kernel(kernel.loop_form() if hasattr(kernel, "loop_form") else kernel)
    assert sum(abs(kernel(*p)) < 2.0 ** -10 for p in points) > 1000
    assert [p for p in points if not _same(kernel(*p), loop_kernel(*p))] == []


def test_hypot_minus_one_keeps_its_digits_and_both_paths_agree():
    """sqrt(u^2 + 1) - 1 within 2 ulps of 40-digit decimal arithmetic for every
    finite u, next to 0 (where the difference cancels) as beyond 1e154 (where
    u^2 overflows); NumPy's kernel gives the scalar's values, edges included."""
    points = [u for (u,) in _hypot_arguments()]
    finite = [u for u in points if math.isfinite(u) and u != 0]
    with decimal.localcontext() as context:    # u^2/(sqrt(u^2 + 1) + 1): no cancellation
        context.prec = 40
        exact = [float(Decimal(u) ** 2 / ((Decimal(u) ** 2 + 1).sqrt() + 1)) for u in finite]
    ours = [hypot_minus_one_math(u) for u in finite]
    ulps = [abs(o - e) / math.ulp(e) for o, e in zip(ours, exact) if e != 0]
    assert len(ulps) > 2000 and max(ulps) <= 2, max(ulps)
    assert hypot_minus_one_math(1e-200) == 0.0 and hypot_minus_one_math(1e-150) == 5e-301
    with np.errstate(all="ignore", invalid="raise"):   # not even in the side not kept
        arrays = hypot_minus_one_numpy(np.array(points)).tolist()
    assert [u for u, v, w in zip(points, arrays, map(hypot_minus_one_math, points))
            if not _same(v, w)] == []


def _sums_near_one():
    """(a, b) with a + b within 2^-10 of 1 (a of many sizes: a + b cancels), others,
    and the edges of log: 0, below 0, subnormal, inf, nan."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal(3000) * 10.0 ** rng.uniform(-20, 12, 3000)
    b = (1.0 + rng.uniform(-2.0 ** -10, 2.0 ** -10, 3000)) - a
    far = np.abs(rng.standard_normal((2, 1000))) * 10.0 ** rng.uniform(-300, 300, (2, 1000))
    return list(zip(a.tolist(), b.tolist())) + list(zip(*far.tolist())) + [
        (1.0, 0.0), (0.5, 0.5), (1.0, 2.0 ** -60), (1.0 - 2.0 ** -53, 0.0), (1.0, -2.0 ** -11),
        (1e-320, 0.0), (1e-310, 1e-310), (1.0, -1.0), (-1.0, 0.5), (1e308, 1e308),
        (math.inf, 1.0), (math.nan, 1.0), (1e20, 1.0 - 1e20), (3.0, -2.0)]


def test_the_log_of_sum_loop_form_gives_the_kernels_values_with_one_logarithm():
    """Next to 1 (log1p of the exact a + b - 1) and elsewhere (log of a + b, its
    edges included), the loop form gives the kernel's values as a loop computes
    them (with the loop's log and log1p: the admission check's reference)."""
    pytest.importorskip("numba")
    _jit._imported()
    loop_kernel = _jit._kernel(log_of_sum_math.loop_form())
    reference = _jit._with_loop_math(log_of_sum_math, {})
    points = _sums_near_one()
    assert sum(abs(a + b - 1.0) < 2.0 ** -10 for a, b in points) > 2500
    assert [p for p in points if not _same(reference(*p), loop_kernel(*p))] == []
    assert loop_kernel(1.0, 2.0 ** -60) == 2.0 ** -60      # the sum's digits below 1's ulp kept
    assert loop_kernel(1.0, -1.0) == -math.inf and math.isnan(loop_kernel(-1.0, 0.5))
    assert abs(loop_kernel(1e-320, 0.0) - math.log(1e-320)) <= math.ulp(736.0)   # subnormal


@pytest.mark.parametrize("kernel, args, want", [
    (clip_numpy, (np.zeros(5), np.ones(5)), 0.5),    # bounds that are arrays
    (shrink_numpy, (np.full(5, 0.25),), 0.25),       # a band that is an array
])
def test_kernels_with_array_bounds_write_into_out(kernel, args, want):
    """A blocked evaluation reads the kernel's ``out``: with array bounds the selects
    must land there too (they returned a new array, and the blocks kept np.empty)."""
    out = np.full(5, np.nan)
    assert kernel(np.full(5, 0.5), *args, out=out) is out and out.tolist() == [want] * 5


@pytest.mark.parametrize("label", [0.0, 1.0, 0.25, 0.999])
def test_the_sigmoid_residual_is_accurate_for_every_label_on_both_paths(label):
    """(1 - y)*sigmoid(u) - y*sigmoid(-u) from e = exp(-|u|): within 4 ulps of mpmath
    for a label of 0 or 1 (one term, the subnormal tail included), within 4 ulps of
    the larger term for a soft label (the difference cancels where sigmoid(u) = y,
    as sigmoid(u) - y does); given the same e, the array kernel gives the scalar
    kernel's bits."""
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(7)
    u = np.concatenate([rng.normal(0, 3, 400), rng.uniform(-745, 745, 200),
                        [0.0, -0.0, 1e-300, -1e-300, 36.0, -36.0, 709.0, -744.0]])
    e = np.exp(-np.abs(u))
    got = sigmoid_residual_numpy(u, label, e)
    assert got.tolist() == [sigmoid_residual_math(v, label, f) for v, f in zip(u.tolist(),
                                                                                e.tolist())]
    mpmath.mp.prec = 200
    y = mpmath.mpf(label)
    for value, result in zip(u, got):
        up, down = (1 / (1 + mpmath.exp(-s * mpmath.mpf(value))) for s in (1, -1))
        want = float((1 - y) * up - y * down)
        scale = abs(want) if label in (0.0, 1.0) else float(max((1 - y) * up, y * down))
        assert abs(result - want) <= 4 * np.spacing(scale), (value, result, want)


def test_the_sigmoid_residual_at_its_edges():
    u = np.array([np.inf, -np.inf, np.nan, 0.0])
    values = sigmoid_residual_numpy(u, 1.0, np.exp(-np.abs(u)))
    assert values[:2].tolist() == [0.0, -1.0] and np.isnan(values[2]) and values[3] == -0.5
    assert sigmoid_residual_math(-math.inf, 0.0, 0.0) == 0.0
    assert math.isnan(sigmoid_residual_math(math.nan, 0.0, math.nan))
