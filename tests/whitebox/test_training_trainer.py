"""White-box tests of one internal module: neurogebra.training._trainer.

The Trainer checks each step's gradient and params with one sum where it
can; these tests check that the shortcut never calls an overflowing sum of
finite values non-finite, nor misses an inf or a nan. A step computes the
loss's slope by the prediction once, in the form the catalog's stable
kernels recognise.
"""

import numpy as np
import pytest

from neurogebra import Expression, MathForge, Trainer
from neurogebra.training._trainer import _all_finite


@pytest.mark.parametrize("values, finite", [
    ([1.0, -2.0], True), ([1e308, 1e308], True), ([1.0, np.inf], False),
    ([np.nan, 1.0], False), ([np.inf, -np.inf], False),
    ([1.0] * 20 + [np.nan], False), ([1e308] * 20, True), ([[1.0, 2.0], [np.inf, 0.0]], False),
])
def test_the_trainers_finiteness_check(values, finite):
    with np.errstate(all="ignore"):     # as the Trainer calls it
        assert _all_finite(np.array(values)) is finite


def test_a_step_takes_the_losss_own_slope_once_for_every_param():
    """The loss and its slope are compiled in the prediction (chain rule): BCE with
    logits' slope is one sigmoid_residual for both params, no sigmoid, and the
    gradients are slope*x and slope to a few ulps of mpmath, for logits far out too."""
    mpmath = pytest.importorskip("mpmath")
    model = Expression("logit", "w*x + b", params={"w": 0.5, "b": -0.25},
                       trainable_params=["w", "b"])
    trainer = Trainer(model, "bce_with_logits", "sgd", forge=MathForge(plugins="builtin"))
    function = trainer.compile()
    assert function.source.count("_f__sigmoid_residual(") == 2   # _compiled and _means
    assert "_f_sigmoid(" not in function.source
    x = np.linspace(-80.0, 80.0, 161)
    y = (x > 3).astype(float)
    _, by_w, by_b = function(x, y, 0.5, -0.25)
    for u, label, gw, gb in zip(x, y, by_w, by_b):
        z = 0.5 * mpmath.mpf(u) - 0.25
        slope = float(1 / (1 + mpmath.exp(-z)) - label) if label == 0 else \
            float(-1 / (1 + mpmath.exp(z)))
        assert abs(gb - slope) <= 4 * np.spacing(abs(slope))
        assert abs(gw - slope * u) <= 4 * np.spacing(abs(slope * u))
