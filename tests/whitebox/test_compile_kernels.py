"""White-box tests of one internal module: neurogebra.compile._kernels.

A kernel's output buffer skips ``np.broadcast_shapes`` when its arguments
share one shape; these tests check that every mix still gets the broadcast
shape.
"""

import numpy as np
import pytest

from neurogebra.compile._kernels import _buffer


@pytest.mark.parametrize("arguments, shape", [
    ((np.ones(4),), (4,)), ((np.ones(4), 2.0), (4,)), ((2.0, np.ones((2, 3))), (2, 3)),
    ((np.ones(4), np.ones((3, 1))), (3, 4)), ((1.0, 2.0), ()),
])
def test_kernel_buffers_take_the_broadcast_shape(arguments, shape):
    assert _buffer(*arguments).shape == shape
