"""White-box tests of one internal module: neurogebra.compile._evaluator.

They look inside to check what the public API cannot show: that an
expression is compiled once per backend and the result cached.
"""

import numpy as np

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
