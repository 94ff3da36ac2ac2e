"""White-box tests of one internal module: neurogebra.training._trainer.

The Trainer checks each step's gradient and params with one sum where it
can; these tests check that the shortcut never calls an overflowing sum of
finite values non-finite, nor misses an inf or a nan.
"""

import numpy as np
import pytest

from neurogebra.training._trainer import _all_finite


@pytest.mark.parametrize("values, finite", [
    ([1.0, -2.0], True), ([1e308, 1e308], True), ([1.0, np.inf], False),
    ([np.nan, 1.0], False), ([np.inf, -np.inf], False),
])
def test_the_trainers_finiteness_check(values, finite):
    with np.errstate(all="ignore"):     # as the Trainer calls it
        assert _all_finite(np.array(values)) is finite
