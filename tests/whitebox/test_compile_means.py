"""Tests of the batch means that generated code computes for a training step
(``compile_function(..., with_means=True)``).

Means are reduced inside the generated code (a product of two per-sample
factors as one dot product); they must equal NumPy's mean of the per-sample
outputs, whatever form each output has.
"""

import numpy as np
import sympy

from neurogebra.compile import compile_function

x, y, w, b = sympy.symbols("x y w b", real=True)
r = w * x + b - y
OUTPUTS = [
    r ** 2,                       # a square: dot of r with itself
    2 * r * x,                    # a number times two per-sample factors
    r * sympy.tanh(x) * x,        # three factors
    2 * r,                        # one per-sample factor
    w * b,                        # no per-sample factor: a number for every sample
    sympy.Integer(3),             # a constant output
    r / x,                        # a quotient
    sympy.exp(r) * w,             # a param times a per-sample factor
]


def test_the_means_are_the_means_of_the_per_sample_outputs():
    function = compile_function(OUTPUTS, [x, y, w, b], "numpy", "means test", with_means=True)
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(0.5, 2, 257), rng.normal(size=257)
    per_sample = function(xs, ys, 0.3, -0.2)
    expected = [float(np.mean(np.broadcast_to(o, xs.shape))) for o in per_sample]
    got = function.means(xs, ys, 0.3, -0.2)
    assert all(isinstance(v, float) for v in got)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)
    assert "_mean_product(" in function.source


def test_a_non_finite_sample_makes_its_means_non_finite():
    function = compile_function([r ** 2, 2 * r * x], [x, y, w, b], "numpy", "t", with_means=True)
    loss, slope = function.means(np.array([1.0, np.inf]), np.zeros(2), 1.0, 0.0)
    assert loss == np.inf and (np.isnan(slope) or slope == np.inf)
