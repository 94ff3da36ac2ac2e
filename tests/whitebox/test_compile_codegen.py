"""White-box tests of one internal module: neurogebra.compile._codegen.

The printer writes ``-sign(a - b)`` (mae's slope by y_true) as ``sign(b - a)``:
the negation of a difference is the difference the other way round, exactly,
so one array pass is saved and only the sign of a zero changes (+0 at a tie,
as the hand-written ``np.sign(y_true - y_pred)`` gives).

A 0/1 mask next to a float in a sum or product is written as the boolean array
of its condition, which NumPy converts in the same pass; next to nothing but
masks and integers it stays a float array (a boolean sum would be "or", and a
boolean cannot be negated).

A ufunc given an array the code has just made (a sum, a product, another
ufunc's result written inline) writes its result into it: no second array of
that size is allocated while the first is alive, which on a million elements
saves more than the pass costs. Inputs and named shared parts are never
written into. ``operations`` counts the float array work the choice of blocks
reads. BCE with logits' slope, two sigmoids of opposite arguments, is one
kernel with one exp. The numbers of a product (sqrt(2), 1/sqrt(pi), 2) are one
constant. sqrt(u^2 + 1) - 1 is one kernel, without cancellation next to 0.
"""

import math
import re

import numpy as np
import pytest
import sympy
from sympy.codegen.cfunctions import hypot

from neurogebra import Expression, MathForge
from neurogebra.compile import compile_function, compile_vector_function, stabilize
from neurogebra.symbolic import STABLE_HEADS, ShapedSymbol, sigmoid

a, b = sympy.symbols("a b", real=True)
mask = STABLE_HEADS["indicator"]


def test_minus_the_sign_of_a_difference_is_the_sign_of_the_other_difference():
    source = compile_function(-sympy.sign(a - b), [a, b]).source
    assert source.splitlines()[-1].strip() == "return _f_sign((_a1 - _a0))"


def test_the_numbers_of_a_product_are_one_constant_multiplied_last():
    """SymPy keeps sqrt(2) and 1/sqrt(pi) apart from the 2: they are one
    constant, rounded once (gelu_tanh's argument had a division by sqrt(pi))."""
    function = compile_function(2 * sympy.sqrt(2) * (a + b**3) / sympy.sqrt(sympy.pi), [a, b],
                                backend="math")
    assert function.source.splitlines()[-1].strip() == \
        f"return ((_a0 + _f__int_power(_a1, 3))*{float(2 * math.sqrt(2 / math.pi))!r})"
    assert function(0.5, 2.0) == (0.5 + 8.0) * 1.5957691216057308


def test_every_named_part_is_read_and_no_power_is_one():
    """A part used twice is named, but a product prints 1/h as a division by h,
    so bent_identity's slope named 1/h and never read it (a division pass of
    NumPy's code for nothing): no built-in's code (vector functions' too) assigns a
    name it does not read."""
    forge = MathForge()
    sources = []
    for name in forge.list_all():
        e = forge.get(name)
        for target in [e, *(e.gradient(v) for v in e.variables)]:
            symbols = [target.symbol(n) for n in [*target.variables, *target.params]]
            vector = any(isinstance(s, ShapedSymbol) for s in symbols)
            compile_ = compile_vector_function if vector else compile_function
            sources.append(compile_(target.symbolic_expr, symbols).source)
    assert len(sources) > 100
    for source in sources:
        assert "**1)" not in source       # 1/h is a division by h, not by a pass h**1
        lines = source.splitlines()
        for i, line in enumerate(lines):
            assigned = line.strip().partition(" = ")[0]
            if assigned.startswith(("_t", "_b")):
                assert any(re.search(rf"\b{assigned}\b", later) for later in lines[i + 1:]), \
                    source


def test_the_values_are_the_sign_of_the_other_difference_on_both_paths():
    slope = Expression("mae", "abs(y_pred - y_true)").gradient("y_true")
    p = np.array([1.0, 2.0, -3.0, 0.0, np.nan, np.inf])
    t = np.array([2.0, 2.0, -5.0, -0.0, 1.0, np.inf])
    with np.errstate(invalid="ignore"):     # inf - inf
        want = np.sign(t - p)
    got = slope.eval(y_pred=p, y_true=t)
    assert np.array_equal(got, want, equal_nan=True)
    assert not np.signbit(got[1]) and not np.signbit(slope.eval(y_pred=2.0, y_true=2.0))
    assert [slope.eval(y_pred=u, y_true=v) for u, v in zip(p[:4], t[:4])] == want[:4].tolist()


@pytest.mark.parametrize("formula, booleans", [
    (mask(a > 0) - b, 1), (b - mask(a > 0), 1), (b * mask(a > 0), 1),
    (-b * mask(a > 0) * mask(b < 1), 2), (b * mask(a <= 0) + mask(a > 0), 2),
    (mask(a > 0) - mask(b > 0), 0), (2 * mask(a > 0), 0), (-mask(a > 0), 0),
    (1 - mask(a > 0), 0), (mask(a > 0) + mask(b > 0) + a, 2),
])
def test_masks_are_booleans_only_next_to_a_float(formula, booleans):
    function = compile_function(formula, [a, b])
    assert function.source.count("_f__indicator(") == len(formula.atoms(mask)) - booleans
    grid = np.array([-1.0, 0.0, 0.5, 2.0, np.nan])
    u, v = np.meshgrid(grid, grid)
    got = function(u, v)
    want = sympy.lambdify([a, b], formula.replace(
        mask, lambda c: sympy.Piecewise((1.0, c), (0.0, True))), "numpy")(u, v)
    assert got.dtype == np.float64
    assert np.array_equal(got, np.broadcast_to(want, got.shape), equal_nan=True)


x = sympy.Symbol("x", real=True)


@pytest.mark.parametrize("formula, in_place", [
    (sympy.exp(-x ** 2), True), (sympy.Abs(a - b), True), (sympy.tanh(sympy.exp(a)), True),
    (sympy.exp(a), False),                        # the caller's array: never written into
    (sympy.sign(a - b), False),                   # np.sign is slower in place
    (sympy.exp(a - b) + sympy.tanh(a - b), False),   # a - b is shared: it has a name
])
def test_a_ufunc_writes_into_the_new_array_it_is_given(formula, in_place):
    args = [a, b, x]
    function = compile_function(formula, args)
    assert ("_in_place(" in function.source) is in_place
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(1000) for _ in args]
    kept = [i.copy() for i in inputs]
    want = sympy.lambdify(args, formula, "numpy")(*inputs)
    assert np.array_equal(function(*inputs), want)
    assert all(np.array_equal(i, k) for i, k in zip(inputs, kept))
    assert function(0.5, 0.25, 2.0) == want.dtype.type(sympy.lambdify(args, formula)(0.5, 0.25, 2.0))


def test_operations_count_float_array_work_only():
    """Params are numbers: arithmetic on them alone is not array work; comparisons
    and masks are counted apart; a select counts twice."""
    tau = sympy.Symbol("tau", real=True)
    masked = (tau * 0.5 + tau ** 2) * mask(a <= 0) + mask(a > 0)
    function = compile_function(masked, [a, tau], arrays=[a])
    assert (function.operations, function.comparisons) == (2, 4)   # two masks, two relations
    assert compile_function(masked, [a, tau]).operations == 5
    select = compile_function(sympy.Piecewise((sympy.exp(a), (a > 0) & (a < 1)), (a, True)), [a])
    assert "_where(" in select.source and select.operations == 3


def test_a_square_of_floats_is_the_correctly_rounded_product():
    """Python's ** calls the C library's pow, which rounds (a + b)**2 one ulp off at
    this point (with glibc 2.3x); the scalar code multiplies, as NumPy and a
    compiled loop do."""
    u, v = -1.2673038284753597, 4.7288328444742485
    f = Expression("f", "(x + y)**2 - 1/x**2", variables=["x", "y"])
    want = (u + v) * (u + v) - 1.0 / (u * u)
    assert f.eval(x=u, y=v) == want == f.eval(x=np.array([u]), y=np.array([v]))[0]
    assert "**" not in compile_function((a + b) ** 2 - 1 / a ** 2, [a, b], backend="math").source


def residual(u, y):
    return STABLE_HEADS["sigmoid_residual"](u, y, sympy.exp(-abs(u)))


@pytest.mark.parametrize("formula, want", [
    ((1 - b) * sigmoid(a) - b * sigmoid(-a), residual(a, b)),      # BCE with logits' slope
    (b * sigmoid(-a) - (1 - b) * sigmoid(a), -residual(a, b)),
    (-b * sigmoid(a - 1) + (1 - b) * sigmoid(1 - a), -residual(a - 1, 1 - b)),
    (2 * sigmoid(a) - b * sigmoid(-a), None),                         # p - q is not +-1
])
def test_a_sigmoid_pair_whose_weights_differ_by_one_is_one_residual(formula, want):
    """p*sigmoid(u) + q*sigmoid(-u) = sigmoid(u) + q for p - q = 1: compiled as
    sigmoid_residual(u, -q), one exp for both sigmoids, the pair's values; code
    that autograd differentiates (JAX, PyTorch) keeps the two sigmoids."""
    head = STABLE_HEADS["sigmoid_residual"]
    assert stabilize(formula) == want if want is not None else not stabilize(formula).atoms(head)
    assert not stabilize(formula, autodiff=True).atoms(head)
    function = compile_function(formula, [a, b])
    assert function.source.count("sigmoid") == (1 if want is not None else 2)
    plain = sympy.lambdify([a, b], formula.replace(sigmoid, lambda t: 1 / (1 + sympy.exp(-t))))
    u, y = np.linspace(-30, 30, 61), np.array([[0.0], [1.0], [0.3]])
    assert np.allclose(function(u, y), plain(u, y), rtol=1e-13, atol=1e-16)


def test_a_bound_value_is_computed_once_for_every_output_that_uses_it():
    """``bindings``: the outputs use the symbol for the value, computed once, and a
    part of the value that the outputs also use (tanh(a)) is computed once too;
    the values are those of the outputs with the value written in."""
    p = sympy.Dummy("p", real=True)
    model = b * sympy.tanh(a)
    outputs = [(p - 1) ** 2, 2 * (p - 1) * sympy.tanh(a)]
    function = compile_function(outputs, [a, b], bindings=[(p, model)])
    assert function.source.count("_f_tanh(") == 1 and "_b0 = " in function.source
    written_in = compile_function([o.xreplace({p: model}) for o in outputs], [a, b])
    u = np.linspace(-2.0, 2.0, 9)
    for got, want in zip(function(u, 0.5), written_in(u, 0.5)):
        assert np.allclose(got, want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("formula, want", [
    (hypot(a, 1) / 2 - sympy.Rational(1, 2) + a, a + STABLE_HEADS["hypot_minus_one"](a) / 2),
    (sympy.sqrt(a**2 + 1) - 1, STABLE_HEADS["hypot_minus_one"](a)),
    (3 * hypot(1, a * b) - 3, 3 * STABLE_HEADS["hypot_minus_one"](a * b)),
    (sympy.sqrt(a**2 + 2) - 1, None),                                  # not u^2 + 1
    (hypot(a, 2) - 2, None),
    (sympy.sqrt(a**3 + 1) - 1, None),
])
def test_a_unit_hypot_minus_one_is_computed_without_cancellation(formula, want):
    """k*sqrt(u^2 + 1) - k (bent_identity's) is k*hypot_minus_one(u): next to
    u = 0 the difference keeps its digits, and u^2 does not overflow."""
    head = STABLE_HEADS["hypot_minus_one"]
    assert stabilize(formula) == want if want is not None else not stabilize(formula).atoms(head)
    if formula == sympy.sqrt(a**2 + 1) - 1:
        value = compile_function(formula, [a], backend="math")
        assert abs(value(1e-8) - 5e-17) <= math.ulp(5e-17) and value(1e300) == 1e300  # naive: 0
        arrays = compile_function(formula, [a])(np.array([1e-8, 1e300]))
        assert arrays.tolist() == [value(1e-8), 1e300]
