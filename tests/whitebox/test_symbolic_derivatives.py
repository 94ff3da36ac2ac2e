"""White-box tests of one internal module: neurogebra.symbolic._derivatives.

How a first derivative is taken: ``_first_derivative`` skips the ``is_zero``
question SymPy's ``Derivative`` asks of a whole result before returning it; it
must give exactly what ``sympy.diff`` gives, for every scalar built-in and every
variable and param.
"""

import pytest
import sympy

from neurogebra import MathForge
from neurogebra.symbolic._derivatives import _first_derivative

FORGE = MathForge()
SCALAR = [name for name in FORGE.list_all() if not FORGE.get(name).shapes]   # (vectors: own rules)


@pytest.mark.parametrize("name", SCALAR)
def test_the_same_derivative_as_sympy_diff(name):
    expr = FORGE.get(name).symbolic_expr
    assert expr.free_symbols, name
    for symbol in sorted(expr.free_symbols, key=str):
        assert _first_derivative(expr, symbol) == sympy.diff(expr, symbol), (name, symbol)


@pytest.mark.parametrize("formula", ["2*tan(x)*tanh(x)", "0.5*tanh(x)*tan(x)",
                                     "2*log(1 + exp(x))*sin(x)", "3*x*exp(-x)*y"])
def test_products_keep_their_number_outside(formula):
    """A product's own rule (``Mul._eval_derivative_n_times``), as sympy.diff uses it:
    multiplying two factors at a time put the 2 of ``2*tan(x)*tanh(x)`` inside a sum."""
    x, y = sympy.symbols("x y", real=True)
    expr = sympy.sympify(formula, locals={"x": x, "y": y})
    assert _first_derivative(expr, x) == sympy.diff(expr, x)


def test_a_formula_without_the_variable_differentiates_to_zero():
    x, y = sympy.symbols("x y", real=True)
    assert _first_derivative(sympy.exp(y) + 3, x) is sympy.S.Zero
    assert _first_derivative(x, x) == 1


def test_what_sympy_leaves_unevaluated_is_left_to_sympy():
    """A function without a derivative rule: SymPy's unevaluated Derivative, which
    ``derivative`` then refuses with its own error."""
    x = sympy.Symbol("x", real=True)
    f = sympy.Function("f")(x)
    assert _first_derivative(f, x) == sympy.diff(f, x) == sympy.Derivative(f, x)
