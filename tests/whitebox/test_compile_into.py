"""White-box tests of one internal module: neurogebra.compile._into.

The entry point that writes a formula's result into a given array: the same
numbers, bit for bit, as the function that returns a new one, for every kind of
outermost operation; and none where the outermost operation cannot write."""

import numpy as np
import pytest
import sympy

from neurogebra import Expression
from neurogebra.compile import compile_function
from neurogebra.compile._into import into_source

RNG = np.random.default_rng(11)
A = np.concatenate([RNG.standard_normal(50) * 30, [-800.0, 800.0, 0.0, -0.0, np.inf, np.nan]])
B = RNG.standard_normal(A.size)


@pytest.mark.parametrize("formula", [
    "x - y", "x + y + 1", "x*y*2", "x/y", "-(x*y)", "(x - y)**2", "tanh(x)", "sigmoid(x)",
    "relu(x)", "x*sigmoid(x)", "exp(-x**2)*sin(y)", "heaviside(x)", "abs(x - y)",
    "max(x, y) - 1", "log(1 + exp(x))", "-max(0, y)", "3*(x - y)**2", "y*abs(x - y) + x",
    "min(max(x - y, -1), 1)", "-relu(x*y)", "2*tanh(x)**2",
])
def test_writing_into_an_array_gives_the_numbers_of_a_new_array(formula):
    expr = Expression("f", formula, variables=["x", "y"]).symbolic_expr
    compiled = compile_function(expr, [sympy.Symbol("x", real=True),
                                       sympy.Symbol("y", real=True)])
    assert compiled.into is not None, compiled.source
    out = np.full(A.size, 7.0)
    with np.errstate(all="ignore"):
        want = compiled(A, B)
        returned = compiled.into(A, B, out)
    assert returned is out
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("result", ["_a0", "1.0", "_where(_a0 > 0, _a0, _a1)", "(_a0 > _a1)",
                                    "_f_unknown(_a0)"])
def test_no_entry_point_where_the_outermost_operation_cannot_write(result):
    assert into_source("_a0, _a1", [], result, {"_f_unknown": lambda u: u}) is None


@pytest.mark.parametrize("formula, nested", [
    ("-max(0, y)", "_np.negative(_f_max(0, _a1, out=_out), out=_out)"),
    ("min(max(x - y, -1), 1)", "_f_max(-1, _np.subtract(_a0, _a1, out=_out), out=_out)"),
])
def test_an_operand_that_can_write_is_computed_into_the_output_first(formula, nested):
    """No block-sized temporary: the outer operation works in place on ``_out``."""
    expr = Expression("f", formula, variables=["x", "y"]).symbolic_expr
    compiled = compile_function(expr, [sympy.Symbol("x", real=True),
                                       sympy.Symbol("y", real=True)])
    assert nested in compiled.into.source
