"""White-box tests of one internal module: neurogebra.compile._evaluator.

They look inside to check what the public API cannot show: that an
expression is compiled once per backend and the result cached, and that a
constant result is spread into a new array (zeros without a pass).
"""

import numpy as np
import pytest

import neurogebra.compile._evaluator as evaluator_module
from neurogebra import Expression


def test_compiled_once_per_backend_and_cached(monkeypatch):
    calls = []
    original = evaluator_module.compile_function
    monkeypatch.setattr(evaluator_module, "compile_function",
                        lambda *a, **k: calls.append(a[2]) or original(*a, **k))
    g = Expression("p", "(x - 3)**2").gradient("x")
    for step in range(50):
        g.eval(x=float(step))
        g.eval(x=np.arange(3.0))
    assert calls == ["math", "numpy"]


@pytest.mark.parametrize("constant", [0.0, -0.0, 2.5])
def test_a_constant_result_fills_a_new_array_of_the_inputs_shape(constant):
    filled = evaluator_module._spread(np.asarray(constant), (3, 2))
    assert filled.shape == (3, 2) and filled.flags.writeable and filled.flags.owndata
    assert np.array_equal(filled, np.full((3, 2), constant))
    assert np.signbit(filled).all() == np.signbit(constant)
