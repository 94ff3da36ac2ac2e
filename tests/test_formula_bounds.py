"""Formulas too large to work with are refused early and quickly, with the
bound they exceed named; formulas inside the bounds work on every path."""

import math
import time

import numpy as np
import pytest

from neurogebra import Expression, FormulaError, MathForge
from neurogebra.errors import EvaluationError
from neurogebra.symbolic import MAX_CONSTANT_DIGITS, parse_formula, substitute_symbols, symbol


def refused_quickly(build, message):
    # a guard against unbounded work (these inputs ran for minutes or exhausted
    # memory before the bounds), generous for a loaded machine: not a speed target
    start = time.perf_counter()
    with pytest.raises(FormulaError, match=message):
        build()
    assert time.perf_counter() - start < 10.0


def composed(formula, times):
    outer = Expression("f", formula)
    result = outer
    for _ in range(times):
        result = outer.compose(result)
    return result


def test_integer_constants_are_bounded_in_digits():
    refused_quickly(lambda: Expression("big", 10 ** 5000),
                    f"at most {MAX_CONSTANT_DIGITS} digits")
    assert Expression("ok", 10 ** 30).eval() == 1e30


def test_arithmetic_on_expressions_refuses_constants_too_large_to_compute():
    refused_quickly(lambda: Expression("c", "2**1000") ** Expression("d", "1000"),
                    r"c \*\* d: its exact constants would have more than 4000 digits")


def test_parsed_products_refuse_constants_too_large_to_compute():
    big = "99999999999999999999**150"
    refused_quickly(lambda: parse_formula("*".join([big] * 3)),
                    "the constants of this product would have more than 4000 digits")
    assert parse_formula(big + "*x").is_Mul


def test_compositions_of_compositions_are_refused_before_they_explode():
    refused_quickly(lambda: composed("x*x + x", 30), "more than 2000000 parts written out")


def test_deep_compositions_are_refused():
    refused_quickly(lambda: composed("sin(x)", 400), "nested more than 300 levels deep")
    assert composed("sin(x)", 50).eval(x=0.0) == 0.0


def test_where_nested_in_where_is_bounded():
    refused_quickly(lambda: composed("where(x > 0, x, 0.1*x)", 8), r"nests where\(\.\.\.\)")


def test_where_composed_with_where_works_on_every_path():
    leaky = composed("where(x > 0, x, 0.1*x)", 2)     # 0.001*x below zero
    assert leaky.eval(x=-2.0) == pytest.approx(-0.002)
    assert leaky.eval(x=3.0) == 3.0
    np.testing.assert_allclose(leaky.eval(x=np.array([-2.0, 3.0])), [-0.002, 3.0])
    assert leaky.gradient("x").eval(x=-2.0) == pytest.approx(0.001)
    assert leaky.gradients()["x"].eval(x=5.0) == pytest.approx(1.0)


def test_substitution_visits_shared_parts_once_and_matches_sympy():
    x, y = symbol("x"), symbol("y")
    expr = parse_formula("sin(x)*exp(x) + where(x > y, x**2, y) + log(1 + x**2)")
    assert substitute_symbols(expr, {x: y + 1}) == expr.xreplace({x: y + 1})


def test_constants_of_primitives_evaluate():
    assert Expression("f", "relu(pi)*x").eval(x=2.0) == pytest.approx(2 * np.pi)


@pytest.mark.parametrize("formula, message", [
    ("exp(800)*x", r"constant exp\(800\): it is not a finite real number"),
    ("x*10**400", r"constant 1\.00000e\+400: it is not a finite real number"),
])
def test_constants_that_are_not_finite_reals_are_named(formula, message):
    with pytest.raises(EvaluationError, match=message):
        Expression("f", formula).eval(x=1.0)


def test_integers_beyond_float_precision_evaluate_as_floats():
    f = Expression("f", "x + 2**70")
    assert f.eval(x=np.array([0.0]))[0] == 2.0 ** 70
    assert f.eval(x=0.0) == 2.0 ** 70


def test_where_composed_with_where_exports():
    torch = pytest.importorskip("torch")
    leaky = composed("where(x > 0, x, 0.1*x)", 2)
    out = leaky.to_function("torch")(torch.tensor([-2.0, 3.0], dtype=torch.float64))
    np.testing.assert_allclose(out.numpy(), [-0.002, 3.0])


def test_deep_compositions_of_fused_activations_differentiate_and_evaluate():
    # looking for the slope of silu (a fused primitive) in this derivative walked
    # the formula written out and ran for minutes
    forge = MathForge()
    silu = forge.get("silu")
    deep = silu
    for _ in range(12):
        deep = deep.compose(silu)
    start = time.perf_counter()
    slope = deep.gradient("x").eval(x=0.5)
    assert time.perf_counter() - start < 10.0   # a guard, generous: not a speed target
    value, expected = 0.5, 1.0
    for _ in range(13):
        s = 1.0 / (1.0 + math.exp(-value))
        expected *= s * (1.0 + value * (1.0 - s))
        value *= s
    assert slope == pytest.approx(expected, rel=1e-13)
