"""White-box tests of one internal module: neurogebra.compile._vector_kernels.

The Trainer's sums over the batch become products: ``batch_scaled_numpy`` in
every broadcast case of a per-sample scalar times an array, against the plain
sum, and the code ``compile_vector_function`` generates for a layer's gradients."""

import numpy as np
import pytest
import sympy

from neurogebra.compile import BatchSum, compile_vector_function
from neurogebra.compile._vector_kernels import batch_scaled_numpy
from neurogebra.symbolic import ShapedSymbol, symbol, vsum

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("s, v, rank, count", [
    (RNG.normal(size=7), RNG.normal(size=(7, 3)), 1, 7),       # both batched: s^T V
    (RNG.normal(size=7), RNG.normal(size=3), 1, 7),            # an unbatched vector
    (2.5, RNG.normal(size=(7, 3)), 1, 7),                      # an unbatched scalar
    (2.5, RNG.normal(size=3), 1, 7),                           # neither: counted 7 times
    (RNG.normal(size=(2, 7)), RNG.normal(size=(7, 3)), 1, 14),  # two batch axes, broadcast
    (RNG.normal(size=7), RNG.normal(size=(7, 2, 3)), 2, 7),    # a matrix per sample
    (RNG.normal(size=7), RNG.normal(size=7), 0, 7),            # a dot product
])
def test_a_scaled_sum_over_the_batch_is_the_plain_sum(s, v, rank, count):
    s_all = np.broadcast_to(s, np.broadcast_shapes(np.shape(s), np.shape(v)[:np.ndim(v) - rank]))
    batch = s_all.shape
    v_all = np.broadcast_to(v, batch + np.shape(v)[np.ndim(v) - rank:])
    expected = (s_all.reshape(batch + (1,) * rank) * v_all).reshape((-1,) + v_all.shape[
        len(batch):]).sum(0) if batch else count * s * np.asarray(v)
    assert np.allclose(batch_scaled_numpy(s, v, rank, count), expected, rtol=1e-14, atol=0)


def test_the_gradients_of_a_layer_are_products_over_the_batch_sharing_their_parts():
    x, y = symbol("x"), symbol("y_true")
    w, c, v = (ShapedSymbol(n, (4,)) for n in "wcv")
    residual = vsum(v * sympy.tanh(w * x + c)) - y
    loss = residual ** 2
    outputs = [BatchSum(loss), BatchSum(sympy.diff(loss, y)),
               BatchSum(2 * residual * x * v * (1 - sympy.tanh(w * x + c) ** 2)),
               BatchSum(2 * residual * v * (1 - sympy.tanh(w * x + c) ** 2))]
    function = compile_vector_function(outputs, [x, y, w, c, v], "numpy", "layer", stable=False)
    # the loss is a dot product, the weight's and the bias's gradients scale one shared
    # array; only the plain sum (by y_true) is left a sum
    assert function.source.count("_batch_scaled(") == 3
    assert function.source.count("_batch_sum(") == 1
    assert function.source.count("_t3") == 3          # v*(1 - tanh**2): made once, used twice
    xs, ys = RNG.normal(size=50), RNG.normal(size=50)
    ws, cs, vs = RNG.normal(size=4), RNG.normal(size=4), RNG.normal(size=4)
    h = np.tanh(np.outer(xs, ws) + cs)
    r = h @ vs - ys
    g = (2 * r)[:, None] * vs * (1 - h * h)
    got = function(xs, ys, ws, cs, vs, _n=50)
    assert got[0] == pytest.approx(r @ r, rel=1e-13)
    assert got[1] == pytest.approx(-2 * r.sum(), rel=1e-13)
    assert np.allclose(got[2], xs @ g, rtol=1e-13, atol=0)
    assert np.allclose(got[3], g.sum(0), rtol=1e-13, atol=0)
