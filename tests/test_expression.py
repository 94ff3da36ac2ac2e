"""Expression: construction, evaluation, arithmetic, composition, identity."""

import copy
import importlib.util
import math
import pickle
import threading
import warnings

import numpy as np
import pytest
import sympy

import neurogebra.errors
from neurogebra import (ArgumentError, CompositionError, EvaluationError, Expression,
                        FormulaError, ParameterError, VariableError)
from neurogebra.symbolic import symbol


# -- construction ---------------------------------------------------------------

def test_properties_of_a_parsed_expression():
    f = Expression("line", "m*x + b", params={"m": 2, "b": 1}, trainable_params=["m"],
                   metadata={"description": "a line"})
    assert f.name == "line"
    assert f.symbolic_expr == symbol("m") * symbol("x") + symbol("b")
    assert f.variables == ("x",)
    assert f.params == {"m": 2.0, "b": 1.0}
    assert f.trainable_params == ("m",)
    assert f.metadata == {"description": "a line"}
    assert f.formula == "b + m*x"


def test_variables_are_sorted_unless_given():
    assert Expression("f", "z + a*y").variables == ("a", "y", "z")
    assert Expression("f", "z + a*y", variables=["z", "y", "a"]).variables == ("z", "y", "a")
    constant = Expression("c", "3", variables=["x"])
    assert constant.eval(x=np.zeros(4)).tolist() == [3.0] * 4


def test_variables_override_must_cover_every_free_symbol():
    with pytest.raises(VariableError, match="'y' in the formula of 'f' is neither"):
        Expression("f", "x + y", variables=["x"])
    with pytest.raises(VariableError, match="cannot be both a variable and a param"):
        Expression("f", "a*x", params={"a": 1}, variables=["x", "a"])


def test_formula_may_be_sympy_or_expression():
    x = sympy.Symbol("x")  # not real: neurogebra makes it real
    f = Expression("f", x ** 2)
    assert f.symbolic_expr == symbol("x") ** 2
    g = Expression("g", Expression("h", "a*x", params={"a": 3}))
    assert g.params == {"a": 3.0} and g.eval(x=2) == 6.0


@pytest.mark.parametrize("metadata, message", [
    (5, "metadata of 'f' maps text keys (description, category...) to values, got int 5"),
    ("ab", "metadata of 'f' maps text keys (description, category...) to values, got str 'ab'"),
    ({5: "x"}, "metadata of 'f' has a key that is not text: int 5"),
    ({"lock": threading.Lock()}, "metadata 'lock' of 'f' cannot be copied (TypeError: cannot "
                                 "pickle '_thread.lock' object); metadata is documentation"),
])
def test_metadata_is_a_mapping_of_text_keys_to_plain_data(metadata, message):
    with pytest.raises(ArgumentError) as info:
        Expression("f", "x", metadata=metadata)
    assert str(info.value).startswith(message)


def test_documentation_shows_metadata_of_an_unexpected_shape_as_its_text():
    f = Expression("f", "a*x", params={"a": 1.0},
                   metadata={"param_descriptions": 5, "equivalents": ["torch.nn.Identity"],
                             "pros": 7, "aliases": "ff", "description": ["not", "text"]})
    html = f._repr_html_().splitlines()
    for line in ("<p>[&#x27;not&#x27;, &#x27;text&#x27;]</p>",
                 "<tr><td>a</td><td>1</td><td></td><td></td></tr>",
                 "<p><em>Param descriptions:</em> 5</p>", "<p><em>Pros:</em> 7</p>",
                 "<p><em>Equivalents:</em> [&#x27;torch.nn.Identity&#x27;]</p>",
                 "<p><em>Also known as:</em> ff</p>"):
        assert line in html, line


def test_metadata_is_owned_not_shared():
    docs = {"tags": ["a"]}
    f = Expression("f", "x", metadata=docs)
    docs["tags"].append("b")
    assert f.metadata == {"tags": ["a"]}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"params": {"a": "big"}}, ParameterError, "param 'a' of 'f' must be a real number"),
    ({"params": {"a": math.inf}}, ParameterError, "must be finite"),
    ({"params": {"a": True}}, ParameterError, "must be a real number"),
    ({"trainable_params": ["b"]}, ParameterError, "trainable param 'b' of 'f' is not a param"),
])
def test_bad_params_are_refused(kwargs, error, message):
    kwargs.setdefault("params", {"a": 1.0})
    with pytest.raises(error, match=message):
        Expression("f", "a*x", **kwargs)


def test_empty_name_is_refused():
    with pytest.raises(ArgumentError, match="non-empty name"):
        Expression("  ", "x")


# -- evaluation ------------------------------------------------------------------

def test_scalar_in_gives_python_float():
    f = Expression("f", "x**2 + 1")
    for value in (3, 3.0, np.float64(3.0), np.int64(3), True and 3):
        result = f.eval(x=value)
        assert type(result) is float and result == 10.0


def test_arrays_and_lists_give_broadcast_ndarrays():
    f = Expression("f", "x*y")
    result = f.eval(x=[1, 2, 3], y=np.array([[1.0], [10.0]]))
    assert isinstance(result, np.ndarray)
    assert result.tolist() == [[1, 2, 3], [10, 20, 30]]


def test_constant_results_are_broadcast_to_the_input_shape():
    g = Expression("f", "3*x").gradient("x")
    assert g.eval(x=np.ones((2, 3))).shape == (2, 3)
    assert g.eval(x=2.0) == 3.0


def test_integer_arrays_are_computed_in_float64():
    f = Expression("f", "x**40")
    assert f.eval(x=np.array([10])) == pytest.approx([1e40])


def test_positional_call_follows_variables():
    f = Expression("f", "x - y")
    assert f(5, 3) == 2.0
    assert f(5, y=1) == 4.0
    with pytest.raises(VariableError, match="got two values for 'x'"):
        f(5, x=1)
    with pytest.raises(VariableError, match="takes 2 positional value"):
        f(1, 2, 3)
    with pytest.raises(VariableError, match="missing value for variable 'y'"):
        f(5)


def test_a_positional_call_gives_what_the_keyword_call_gives_for_every_kind_of_input():
    """f(x, y) has its own fast path (floats, float64 arrays of one shape); the
    rest goes the checked way, as f.eval does."""
    f = Expression("f", "where(x > 0, x*y, a*y) + log(y)", params={"a": 0.5})
    row, column = np.array([1.0, -2.0, 3.0]), np.array([[2.0], [0.5]])
    for x, y in [(2.0, 3.0), (-2.0, 0.0), (row, row + 4), (row, column), ([1, -1], 2),
                 (np.float32(-1.5), 2.0), (row.astype(np.float32), 3.0), (3, 4)]:
        with np.errstate(divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            by_position, by_name = f(x, y), f.eval(x=x, y=y)
        assert type(by_position) is type(by_name)
        np.testing.assert_array_equal(by_position, by_name)
    f.params["a"] = 2.0                      # params are read live on this path too
    assert f(-1.0, 1.0) == 2.0 and f(-1.0, 1.0, a=3.0) == 3.0
    assert f(np.array([-1.0]), np.array([1.0])).tolist() == [2.0]


def test_params_are_read_live_and_may_be_overridden_per_call():
    f = Expression("leaky", "where(x > 0, x, alpha*x)", params={"alpha": 0.01})
    assert f.eval(x=-2) == -0.02
    f.params["alpha"] = 0.5
    assert f.eval(x=-2) == -1.0
    assert f.eval(x=-2, alpha=0.1) == pytest.approx(-0.2)
    assert f.params["alpha"] == 0.5


def test_params_cannot_gain_or_lose_names():
    f = Expression("f", "a*x", params={"a": 1})
    with pytest.raises(ParameterError, match="has no param named 'b'"):
        f.params["b"] = 2
    with pytest.raises(ParameterError, match="cannot be added or removed"):
        del f.params["a"]
    with pytest.raises(ParameterError, match="must be a real number"):
        f.params["a"] = "x"


def test_missing_variable_is_an_error_never_zero():
    f = Expression("multi", "x**2*y + x*y**2")
    with pytest.raises(VariableError) as info:
        f.eval(x=1)
    assert "missing value for variable 'y' of 'multi'" in str(info.value)
    assert "Variables: x, y" in str(info.value)


def test_unknown_keyword_is_an_error_with_suggestion():
    f = Expression("f", "a*x", params={"a": 1})
    with pytest.raises(VariableError) as info:
        f.eval(x=1, aa=2)
    message = str(info.value)
    assert "no variable or param named 'aa'" in message
    assert "Did you mean 'a'?" in message
    assert "params (optional overrides): a" in message


@pytest.mark.parametrize("value, message", [
    ("3", "must be a number or an array, got str"),
    (None, "must be a number or an array, got NoneType"),
    (1 + 2j, "is complex"),
    (["a"], "cannot be read as float64"),
])
def test_unreadable_values_are_refused(value, message):
    with pytest.raises(EvaluationError, match=message):
        Expression("f", "x + 1").eval(x=value)


def test_overflow_in_scalar_math_gives_the_array_answer():
    f = Expression("f", "exp(x)")
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert f.eval(x=1000.0) == math.inf
    with pytest.warns(RuntimeWarning):
        assert math.isnan(Expression("g", "log(x)").eval(x=-1.0))


def test_piecewise_unused_branch_does_not_warn():
    elu = Expression("elu", "where(x > 0, x, exp(x) - 1)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert elu.eval(x=np.array([1000.0, -1.0])).tolist() == [1000.0, math.expm1(-1)]


# -- gradients -------------------------------------------------------------------

def test_gradient_by_name_or_symbol_keeps_params_and_variables():
    f = Expression("f", "a*x**2", params={"a": 3}, trainable_params=["a"])
    g = f.gradient(symbol("x"))
    assert str(g.symbolic_expr) == "2*a*x"
    assert g.params == {"a": 3.0} and g.trainable_params == ("a",)
    assert g.eval(x=1) == 6.0
    assert str(f.gradient("a").symbolic_expr) == "x**2"


def test_gradient_order_and_errors():
    f = Expression("f", "x**4")
    assert str(f.gradient("x", order=3).symbolic_expr) == "24*x"
    with pytest.raises(ArgumentError, match="order must be a positive integer"):
        f.gradient("x", order=0)
    with pytest.raises(VariableError, match="no variable or param named 'y'"):
        f.gradient("y")


def test_gradients_and_hessian():
    f = Expression("f", "x**2*y + y**3")
    grads = f.gradients()
    assert {k: str(v.symbolic_expr) for k, v in grads.items()} == {
        "x": "2*x*y", "y": "x**2 + 3*y**2"}
    h = f.hessian()
    assert h["x"]["y"].eval(x=2, y=5) == 4.0
    assert h["y"]["y"].eval(x=2, y=5) == 30.0


def test_derivatives_are_readable():
    assert str(Expression("a", "abs(x)").gradient("x").symbolic_expr) == "sign(x)"
    assert str(Expression("t", "tanh(x)").gradient("x").symbolic_expr) == "1 - tanh(x)**2"
    d = Expression("s", "sigmoid(x)").gradient("x")
    assert str(d.symbolic_expr) == "sigmoid(x)*(1 - sigmoid(x))"
    for text in ("sqrt(x**2 + 1)", "abs(x)*log(x**2 + 1)"):
        result = Expression("f", text).gradient("x").symbolic_expr
        assert not result.has(sympy.Derivative, sympy.Subs, sympy.re, sympy.im)


def test_kink_derivatives_follow_pytorch():
    assert Expression("r", "relu(x)").gradient("x").eval(x=0.0) == 0.0
    assert Expression("a", "abs(x)").gradient("x").eval(x=0.0) == 0.0
    leaky = Expression("l", "where(x > 0, x, alpha*x)", params={"alpha": 0.01})
    assert leaky.gradient("x").eval(x=0.0) == 0.01


def test_sigmoid_derivative_is_accurate_in_the_tails():
    d = Expression("s", "sigmoid(x)").gradient("x")
    assert d.eval(x=40.0) == pytest.approx(4.248354255291589e-18, rel=1e-12)
    assert d.eval(x=np.array([-40.0]))[0] == pytest.approx(4.248354255291589e-18, rel=1e-12)
    t = Expression("t", "tanh(x)").gradient("x")
    assert t.eval(x=20.0) == pytest.approx(4.0 * math.exp(-40.0), rel=1e-12)


def test_explicit_rewrites_primitives():
    f = Expression("sp", "softplus(x)")
    assert str(f.explicit().symbolic_expr) == "log(exp(x) + 1)"
    assert f.explicit().eval(x=1.0) == pytest.approx(f.eval(x=1.0), rel=1e-15)


# -- arithmetic and composition ------------------------------------------------------

def test_arithmetic_with_numbers_and_expressions_on_both_sides():
    f = Expression("f", "x**2")
    g = Expression("g", "a*x", params={"a": 2})
    combos = {
        "f + g": (f + g, 3 ** 2 + 6), "2 - f": (2 - f, 2 - 9), "f * 3": (f * 3, 27),
        "1 / f": (1 / f, 1 / 9), "f ** 2": (f ** 2, 81), "2 ** g": (2 ** g, 64),
        "-g": (-g, -6), "g / f": (g / f, 6 / 9), "f - 1.5": (f - 1.5, 7.5),
    }
    for label, (expr, value) in combos.items():
        assert expr.eval(x=3) == pytest.approx(value), label
    assert (f + g).params == {"a": 2.0}


def test_arithmetic_keeps_metadata_and_trainable_params():
    f = Expression("f", "w*x", params={"w": 1}, trainable_params=["w"], metadata={"k": 1})
    g = Expression("g", "b", params={"b": 0}, trainable_params=["b"], metadata={"j": 2})
    h = f + g
    assert h.trainable_params == ("w", "b")
    assert h.metadata == {"k": 1, "j": 2}
    assert h.name == "(f + g)"


def test_conflicting_params_are_an_error_naming_them():
    f = Expression("f", "a*x", params={"a": 1})
    g = Expression("g", "a*x", params={"a": 2})
    with pytest.raises(ParameterError, match="param 'a' is 1.0 in 'f' but 2.0 in 'g'"):
        f + g
    h = Expression("h", "a + x")
    with pytest.raises(CompositionError, match="'a' is a param of 'f' but a variable of 'h'"):
        f * h


def test_division_by_zero_is_refused():
    with pytest.raises(FormulaError, match="undefined"):
        Expression("f", "x") / 0


def test_arithmetic_with_other_types_is_refused():
    with pytest.raises(CompositionError, match="cannot combine an Expression with str"):
        Expression("f", "x") + "y"


def test_compose_substitutes_an_explicit_variable():
    outer = Expression("sq", "x**2")
    inner = Expression("lin", "w*t + 1", params={"w": 3})
    h = outer.compose(inner)
    assert h.name == "sq(lin)"
    assert h.variables == ("t",) and h.params == {"w": 3.0}
    assert h.eval(t=1) == 16.0
    two = Expression("f", "x + 10*y")
    assert two.compose(inner, var="y").eval(x=1, t=1) == 41.0
    assert two.compose(inner, var="x").variables == ("t", "y")


def test_compose_refuses_ambiguity_and_unknown_variables():
    two = Expression("f", "x + y")
    with pytest.raises(CompositionError, match="say which one"):
        two.compose(Expression("g", "t"))
    with pytest.raises(CompositionError, match="no variable 'z'"):
        two.compose(Expression("g", "t"), var="z")


# -- identity, copying, display -------------------------------------------------------

def test_clone_is_independent():
    f = Expression("f", "a*x", params={"a": 1}, metadata={"tags": ["x"]})
    g = f.clone()
    g.params["a"] = 5
    g.metadata["tags"].append("y")
    assert f.params["a"] == 1.0 and f.metadata == {"tags": ["x"]}
    assert copy.deepcopy(f) == f and f.clone("h").name == "h"


def test_structural_equality_and_hashing():
    a = Expression("f", "x**2 + 1")
    b = Expression("f", "1 + x**2")
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != Expression("g", "x**2 + 1")
    assert a != Expression("f", "x**2 + 2")
    p = Expression("f", "a*x", params={"a": 1})
    q = Expression("f", "a*x", params={"a": 2})
    assert p != q


def test_pickling_round_trips_including_primitives():
    f = Expression("f", "softplus(a*x)", params={"a": 2}, trainable_params=["a"],
                   metadata={"d": "doc"})
    f.eval(x=1.0)
    g = pickle.loads(pickle.dumps(f))
    assert g == f
    assert g.eval(x=1.0) == f.eval(x=1.0)
    g.params["a"] = 3.0
    assert f.params["a"] == 2.0


def test_repr_str_and_latex():
    f = Expression("leaky_relu", "where(x > 0, x, alpha*x)", params={"alpha": 0.01})
    assert repr(f) == ("Expression('leaky_relu', 'where(x > 0, x, alpha*x)', "
                       "params={'alpha': 0.01})")
    assert str(Expression("q", "x**2 + 1")) == "q(x) = x**2 + 1"
    s = Expression("s", "sigmoid(y_pred)")
    assert s.latex == r"\sigma\left(y_{pred}\right)"
    assert s._repr_latex_() == r"$\displaystyle \mathrm{s}(y_{pred}) = \sigma\left(y_{pred}\right)$"


def test_unpickling_loads_the_pack_that_defines_a_primitive():
    import subprocess
    import sys
    from neurogebra import MathForge
    data = pickle.dumps(MathForge(plugins="builtin").get("gelu"))
    code = ("import pickle, sys; e = pickle.loads(sys.stdin.buffer.read()); "
            "print(e.name, round(e.eval(x=1.0), 12))")
    result = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True)
    assert result.stdout.decode().split() == ["gelu", "0.841344746069"], result.stderr


def test_an_expression_made_from_another_keeps_its_variable_order():
    f = Expression("f", "x + 10*y", variables=["y", "x"])
    assert Expression("g", f).variables == ("y", "x")


@pytest.mark.parametrize("build, error, message", [
    (lambda: Expression("f", "x", params=5), "ArgumentError",
     "params of 'f' must be a mapping of names to values"),
    (lambda: Expression("f", "x", params="ab"), "ArgumentError", "params of 'f' must be a mapping"),
    (lambda: Expression("f", "a*x", params={"a": 1}, trainable_params=5), "ArgumentError",
     "trainable_params of 'f' must be a name or a list of names, got int"),
    (lambda: Expression("f", "x", variables=5), "ArgumentError",
     "variables of 'f' must be a name or a list of names"),
    (lambda: Expression("f", "a*x", params={"a": 1}).params.update(5), "ParameterError",
     "the params of 'f' must be a mapping"),
    (lambda: Expression("f", "a*x", params={"a": 10 ** 400}), "ParameterError",
     "param 'a' of 'f' is beyond the float64 range"),
    (lambda: Expression("f", "x*y").gradients(wrt=5), "ArgumentError",
     "wrt of 'f' must be a name or a list of names"),
    (lambda: Expression("f", "x/y").compose(Expression("z", "0"), var="y"), "FormulaError",
     r"f\(z\) is undefined or infinite"),
    (lambda: Expression("f", sympy.oo * sympy.Symbol("x")), "FormulaError",
     "formula of 'f' is undefined or infinite"),
    (lambda: Expression("f", sympy.I + sympy.Symbol("x")), "FormulaError",
     "formula of 'f' is not a real number"),
])
def test_wrong_arguments_are_refused_by_name(build, error, message):
    with pytest.raises(getattr(neurogebra.errors, error), match=message):
        build()


def test_a_text_wrt_is_one_name():
    f = Expression("f", "a*b*ab", variables=["a", "b", "ab"])
    assert sorted(f.gradients(wrt="ab")) == ["ab"]
    assert sorted(f.hessian(wrt="ab")) == ["ab"]


def test_value_and_gradients_agree_with_eval_and_gradients():
    f = Expression("f", "a*sin(x)*exp(-b*x) + where(x > 1, x**2, -x)",
                   params={"a": 2.0, "b": 0.5})
    x = np.array([-1.0, 0.5, 1.0, 2.5])
    value, partials = f.value_and_gradients(["x", "a", "b"], x=x)
    np.testing.assert_allclose(value, f.eval(x=x), rtol=1e-14)
    for name, g in f.gradients(["x", "a", "b"]).items():
        np.testing.assert_allclose(partials[name], g.eval(x=x), rtol=1e-13, atol=1e-15)
    value, partials = f.value_and_gradients(x=1.5, a=1.0)   # a param overridden
    assert value == f.eval(x=1.5, a=1.0) and set(partials) == {"x"}
    assert type(value) is float and type(partials["x"]) is float


def test_value_and_gradients_refuse_unknown_names():
    f = Expression("f", "x*y")
    with pytest.raises(VariableError, match="'z'"):
        f.value_and_gradients(["z"], x=1.0, y=2.0)
    with pytest.raises(VariableError, match="missing value for variable 'y'"):
        f.value_and_gradients(x=1.0)


@pytest.mark.parametrize("text", [
    "x*exp(1)", "x*(0.1 + 0.2)", "where(not (x > 1), 2, x)", "Piecewise((x, x > 0))",
    "where((x > 0) & (y < 1) | (x < -1), x, y)", "heaviside(x)*relu(x) + sigmoid(x)",
])
def test_the_printed_formula_reads_back_as_the_same_function(text):
    f = Expression("f", text)
    again = Expression("g", f.formula)
    assert again.variables == f.variables
    assert again.symbolic_expr == f.symbolic_expr


def _sines(count: int) -> Expression:
    sine = Expression("s", "sin(x)")
    deep = sine
    for _ in range(count - 1):
        deep = deep.compose(sine)
    return deep


def _at_stack_depth(frames: int, call):
    """``call()`` from ``frames`` nested Python calls down."""
    return call() if frames == 0 else _at_stack_depth(frames - 1, call)


def test_a_formula_as_deep_as_printing_allows_prints_even_from_a_deep_stack():
    deep = _sines(149)    # 150 levels with x: MAX_PRINTED_NESTING
    assert deep.formula == "sin(" * 149 + "x" + ")" * 149
    assert _at_stack_depth(150, lambda: deep.formula) == deep.formula


def test_a_formula_too_deep_to_print_is_described():
    deep = _sines(291)   # within the bounds, beyond what printing allows
    assert str(deep).endswith("= <a formula 292 levels deep, too deep to print>")
    assert _sines(150).formula == "<a formula 151 levels deep, too deep to print>"
    assert deep.latex == "<a formula 292 levels deep, too deep to print>"
    expected = 0.5
    for _ in range(291):
        expected = math.sin(expected)
    assert deep.eval(x=0.5) == pytest.approx(expected, rel=1e-12)


def test_derivatives_of_a_step_past_the_first_evaluate_to_zero_on_every_path():
    """d/dx of w*DiracDelta(x) is w*DiracDelta(x, 1): 0, as autograd takes a step's
    slope, on the scalar and array paths and in the exported functions."""
    slope = Expression("spike", "w*DiracDelta(x)", params={"w": 0.7}).gradient("x")
    assert slope.eval(x=0.0) == 0.0
    assert slope.eval(x=np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 0.0]
    if importlib.util.find_spec("jax") is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # float32 unless x64 is on: 0 either way
            assert float(slope.to_function("jax")(0.5)) == 0.0
    if importlib.util.find_spec("torch") is not None:
        import torch
        assert slope.to_function("torch")(torch.tensor(0.5, dtype=torch.float64)).item() == 0.0


@pytest.mark.parametrize("formula, at_minus_inf, at_inf", [
    ("where(x > w, x, w*x)", -math.inf, math.inf),
    ("where(x > 0.5, x - 0.5, where(x < -0.5, x + 0.5, 0))", -math.inf, math.inf),  # softshrink
    ("where(x > w, x, 3)", 3.0, math.inf),                                          # threshold
])
@pytest.mark.parametrize("size", [1, 4, 600_000])          # one call, and blocks
def test_a_piece_that_is_infinite_where_it_is_not_taken_does_not_make_nan(
        formula, at_minus_inf, at_inf, size):
    """Pieces are multiplied by 0/1 masks for speed; where that would compute
    0*inf (an invalid operation), the value comes from the select instead. A
    nan input stays nan, on both paths, whatever else the array holds."""
    e = Expression("e", formula, params={"w": 0.7})
    x = np.resize(np.array([-np.inf, np.inf, 2.0, -2.0, np.nan]), size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = e.eval(x=x)
    want = np.resize(np.array([at_minus_inf, at_inf, e.eval(x=2.0), e.eval(x=-2.0), np.nan]),
                     size)
    assert np.array_equal(got, want, equal_nan=True)
    assert [e.eval(x=-math.inf), e.eval(x=math.inf)] == [at_minus_inf, at_inf]
    assert math.isnan(e.eval(x=math.nan))


@pytest.mark.parametrize("formula, x, y, expected", [
    # a where() inside max(): its rewritten pieces are not comparable for SymPy
    ("max(where(x < 1, x, 2), y)", [0.5, 3.0, -1.0], [0.2, 1.0, 0.0], [0.5, 2.0, 0.0]),
    # a where() inside a where(): its pieces hold conditions, which have no derivative
    ("where(y <= x, where(x <= y, x, y), y)", [1.0, 2.0, 3.0], [2.0, 2.0, 1.0], [2.0, 2.0, 1.0]),
    # a constant that overflows in part: softplus(490000) is 490000, exp(490000) is not a float
    ("softplus(where(y < y, x + y, 700**2)) + x", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0],
     [490001.0, 490002.0, 490003.0]),
])
def test_nested_pieces_and_overflowing_constants_evaluate_on_both_paths(formula, x, y, expected):
    f = Expression("f", formula, variables=["x", "y"])
    assert [f.eval(x=a, y=b) for a, b in zip(x, y)] == expected
    assert f.eval(x=np.array(x), y=np.array(y)).tolist() == expected
