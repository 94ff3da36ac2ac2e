"""White-box tests of the built-in packs' fused primitives.

A fused primitive declares the functions its explicit formula calls
(``Primitive.heads``) so that compiling a formula that cannot contain it
costs nothing; a wrong declaration would silently stop the fusing. These
tests compare every declaration with the formula and check that each
catalog derivative still compiles to its fused kernel.
"""

import pytest

from neurogebra import MathForge
from neurogebra.compile import stabilize
from neurogebra.symbolic import fused_primitives

FORGE = MathForge()
FUSED = {cls.__name__: cls for cls in fused_primitives()}

# fused primitive -> (catalog entry, variable) whose derivative it computes
SLOPES = {
    "silu_slope": ("silu", "x"),
    "gelu_slope": ("gelu", "x"),
    "gelu_tanh_slope": ("gelu_tanh", "x"),
    "mish_slope": ("mish", "x"),
    "bce_slope": ("binary_crossentropy", "y_pred"),
    "bce_log_odds": ("binary_crossentropy", "y_true"),
    "mape_target_slope": ("mape", "y_true"),
}


def test_every_built_in_fused_primitive_is_covered():
    assert set(FUSED) == set(SLOPES)


@pytest.mark.parametrize("name", sorted(SLOPES))
def test_declared_heads_are_those_of_the_formula(name):
    cls = FUSED[name]
    assert cls.primitive.heads
    assert frozenset(cls.primitive.heads) == cls.worked_out_heads == cls.fused_heads


@pytest.mark.parametrize("name", sorted(SLOPES))
def test_the_catalog_derivative_compiles_to_the_fused_kernel(name):
    entry, variable = SLOPES[name]
    derivative = FORGE.get(entry).gradient(variable).symbolic_expr
    assert type(stabilize(derivative)).__name__ == name
