"""What Expression.eval accepts as values, what it refuses and how it says so."""

import warnings
from fractions import Fraction

import numpy as np
import pytest

from neurogebra import Expression
from neurogebra.errors import EvaluationError, ShapeError


@pytest.mark.parametrize("call", [
    lambda f: f.eval(x=10 ** 400),
    lambda f: f(10 ** 400),
    lambda f: f.eval(x=[10 ** 400]),
    lambda f: f.eval(x=Fraction(10 ** 400, 3)),
])
def test_numbers_beyond_float64_are_refused_by_name(call):
    with pytest.raises(EvaluationError, match=r"value for 'x' of 'f' .*beyond the float64 range"):
        call(Expression("f", "2*x"))


@pytest.mark.parametrize("formula, values, shapes", [
    ("x + y", {"x": [1, 2], "y": [1, 2, 3]}, r"'x' \(2,\), 'y' \(3,\)"),
    ("a*x", {"x": [1, 2], "a": [1, 2, 3]}, r"'x' \(2,\), 'a' \(3,\)"),
])
def test_shapes_that_do_not_broadcast_are_named(formula, values, shapes):
    f = Expression("f", formula, params={"a": 1.0} if "a" in formula else None)
    with pytest.raises(ShapeError, match="do not broadcast together: " + shapes):
        f.eval(**values)


def test_a_variable_the_formula_drops_is_still_checked():
    f = Expression("f", "x + 0*y", variables=["x", "y"])
    with pytest.raises(ShapeError, match=r"'x' \(2,\), 'y' \(3,\)"):
        f.eval(x=[1.0, 2.0], y=[1.0, 2.0, 3.0])


def test_float64_arrays_of_one_shape_give_a_fresh_array():
    x = np.array([1.0, 2.0])
    identity = Expression("i", "x").eval(x=x)
    assert identity is not x and identity.tolist() == [1.0, 2.0]
    f = Expression("f", "a*x + y", params={"a": 2.0})
    assert f.eval(x=x, y=np.array([3.0, 4.0])).tolist() == [5.0, 8.0]
    assert f.eval(x=x, y=3.0).tolist() == [5.0, 7.0]
    assert Expression("c", "1", variables=["x"]).eval(x=x).tolist() == [1.0, 1.0]


def test_the_fast_array_path_warns_only_when_trouble_reaches_the_result():
    x = np.array([-1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Expression("g", "where(x > 0, log(x), 0)").eval(x=x).tolist() == [0.0, 0.0]
    with pytest.warns(RuntimeWarning, match="'l': invalid value encountered"):
        Expression("l", "log(x)").eval(x=x)


def test_a_broadcast_too_large_for_memory_names_the_shapes():
    script = ("import resource, numpy as np\n"
              "resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
              "from neurogebra import Expression\n"
              "from neurogebra.errors import EvaluationError\n"
              "try:\n"
              "    Expression('f', 'x*y').eval(x=np.ones(10**5), y=np.ones((10**5, 1)))\n"
              "except EvaluationError as error:\n"
              "    print(error)\n")
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert "needs arrays of shape (100000, 100000), which do not fit in memory" in out.stdout, \
        out.stderr[-2000:]


@pytest.mark.parametrize("formula, values", [
    ("sign(x)", {"x": float("nan")}),
    ("w*sign(x - 1) + b", {"x": float("nan")}),
    ("x**0.5", {"x": float("-inf")}),
    ("abs(x**w)", {"x": -3.0}),
    ("x**w", {"x": -3.0}),
])
def test_floats_and_arrays_agree_on_special_values(formula, values):
    f = Expression("f", formula, params={"w": 0.7, "b": 1.0} if "w" in formula else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scalar = f.eval(**values)
        array = f.eval(**{k: np.array([v]) for k, v in values.items()})[0]
    assert np.isnan(scalar) and np.isnan(array)
