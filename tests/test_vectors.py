"""Vector and matrix variables and params: declarations, shapes, readable
derivatives in matrix calculus, evaluation with batch axes, and errors."""

import pickle

import numpy as np
import pytest
import sympy

from neurogebra import (ArgumentError, CompositionError, EvaluationError, Expression,
                        FormulaError, MathForge, ParameterError, ShapeError, VariableError,
                        check_gradient, numerical_gradient)

FORGE = MathForge(plugins="builtin")
RNG = np.random.default_rng(7)


def linear_cross_entropy(k=4, d=3):
    rng = np.random.default_rng(0)
    linear = Expression("linear", "W @ x + b",
                        params={"W": rng.normal(size=(k, d)), "b": rng.normal(size=k)},
                        trainable_params=["W", "b"], shapes={"x": ["d"], "W": ["k", "d"],
                                                             "b": ["k"]})
    return linear, FORGE.get("cross_entropy").compose(linear, "y_pred")


def mlp():
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(5, 3)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(4, 5)), "b2": rng.normal(size=4)}
    return Expression("mlp", "-dot(y_true, log(softmax(W2 @ tanh(W1 @ x + b1) + b2)))",
                      params=params, trainable_params=list(params),
                      shapes={"x": [3], "y_true": {"shape": [4], "simplex": True}})


def targets(rows, k):
    return np.eye(k)[np.arange(rows) % k]


# -- readable derivatives, as a textbook writes them ---------------------------------

def test_cross_entropy_on_logits_differentiates_to_softmax_minus_target():
    gradient = FORGE.get("cross_entropy").gradient("y_pred")
    assert gradient.formula == "softmax(y_pred) - y_true"
    assert str(gradient) == "d(cross_entropy)/dy_pred(y_pred, y_true) = softmax(y_pred) - y_true"
    assert gradient.latex == r"\operatorname{softmax}\left(y_{pred}\right) - y_{true}"


def test_targets_that_need_not_sum_to_one_give_the_general_form():
    general = Expression("ce", "-dot(y_true, log_softmax(y_pred))",
                         shapes={"y_pred": ["n"], "y_true": ["n"]})
    assert general.gradient("y_pred").formula == "softmax(y_pred)*sum(y_true) - y_true"
    smooth = FORGE.get("cross_entropy_smooth").gradient("y_pred")
    assert smooth.formula == "softmax(y_pred) - y_true*(1 - label_smoothing) - label_smoothing/n"
    index = FORGE.get("cross_entropy_index").gradient("y_pred")
    assert index.formula == "softmax(y_pred) - onehot(y_true, n)"


def test_softmax_derivative_is_its_jacobian_and_its_vjp_reads_as_one():
    jacobian = FORGE.get("softmax").gradient("x")
    assert str(jacobian).endswith("= diag(softmax(x)) - softmax(x) softmax(x)^T")
    assert jacobian.formula == "diag(softmax(x)) - outer(softmax(x), softmax(x))"
    s = FORGE.get("softmax").eval(x=[1.0, 2.0, 0.5])
    np.testing.assert_allclose(jacobian.eval(x=[1.0, 2.0, 0.5]), np.diag(s) - np.outer(s, s),
                               rtol=1e-15)
    vjp = Expression("vjp", "dot(g, softmax(z))", shapes={"g": ["n"], "z": ["n"]})
    assert vjp.gradient("z").formula == "softmax(z)*(g - dot(g, softmax(z)))"
    log_softmax = Expression("ls", "log_softmax(z)", shapes={"z": ["n"]})
    assert str(log_softmax.gradient("z")).endswith("= I - ones(n) softmax(z)^T")
    assert FORGE.get("logsumexp").gradient("x").formula == "softmax(x)"


def test_linear_model_with_cross_entropy_differentiates_to_an_outer_product():
    linear, model = linear_cross_entropy()
    assert model.formula == "-dot(y_true, log_softmax(W @ x + b))"
    assert str(model.gradient("W")).endswith("= (softmax(W @ x + b) - y_true) x^T")
    assert model.gradient("W").formula == "outer(softmax(W @ x + b) - y_true, x)"
    assert model.gradient("W").latex == (r"\left(\operatorname{softmax}\left(W x + b\right) - "
                                         r"y_{true}\right) x^{\top}")
    assert model.gradient("b").formula == "softmax(W @ x + b) - y_true"
    assert str(model.gradient("x")).endswith("= W^T @ (softmax(W @ x + b) - y_true)")
    assert model.gradient("x").formula == "transpose(W) @ (softmax(W @ x + b) - y_true)"


def test_mlp_gradients_come_from_one_reverse_pass_in_matrix_form():
    gradients = mlp().gradients(["W2", "W1"])
    assert str(gradients["W2"]).endswith(
        "= (softmax(W2 @ tanh(W1 @ x + b1) + b2) - y_true) tanh(W1 @ x + b1)^T")
    assert str(gradients["W1"]).endswith(
        "= ((W2^T @ (softmax(W2 @ tanh(W1 @ x + b1) + b2) - y_true))*(1 - tanh(W1 @ x + b1)**2))"
        " x^T")


def test_printed_formulas_parse_back_to_the_same_function():
    _, model = linear_cross_entropy()
    for name in ("W", "b", "x"):
        gradient = model.gradient(name)
        again = Expression("again", gradient.formula, params=dict(model.params),
                           shapes={**{n: list(s) for n, s in model.shapes.items()},
                                   "y_true": {"shape": ["k"], "simplex": True}})
        assert again.symbolic_expr == gradient.symbolic_expr


def test_reductions_widen_only_where_needed():
    assert Expression("sq", "sum(x**2)", shapes={"x": ["n"]}).gradient("x").formula == "2*x"
    total = Expression("total", "sum(x)", shapes={"x": ["n"]})
    assert total.gradient("x").formula == "ones(n)"
    np.testing.assert_array_equal(total.gradient("x").eval(x=[[1.0, 2.0, 3.0]]), [[1, 1, 1]])
    assert Expression("m", "mean(x)", shapes={"x": ["n"]}).formula == "sum(x)/n"


def test_log_of_softmax_is_read_as_log_softmax():
    model = Expression("m", "log(softmax(z))", shapes={"z": ["n"]})
    assert model.formula == "log_softmax(z)"
    assert model.eval(z=[1000.0, 0.0]).tolist() == [0.0, -1000.0]
    assert Expression("l", "log(sum(exp(z)))", shapes={"z": ["n"]}).formula == "logsumexp(z)"


def test_sympy_diff_is_refused_on_vector_operations():
    _, model = linear_cross_entropy()
    with pytest.raises(TypeError, match="use Expression.gradient"):
        sympy.diff(model.symbolic_expr, model.symbol("W"))


# -- evaluation on arrays with leading batch axes ----------------------------------------

def test_one_sample_gives_a_float_and_batches_keep_their_axes():
    _, model = linear_cross_entropy()
    x, y = RNG.normal(size=(2, 5, 3)), targets(10, 4).reshape(2, 5, 4)
    one = model.eval(x=x[0, 0].tolist(), y_true=y[0, 0].tolist())
    assert type(one) is float
    batch = model.eval(x=x, y_true=y)
    assert batch.shape == (2, 5) and batch[0, 0] == pytest.approx(one, rel=1e-15)
    assert model.gradient("W").eval(x=x, y_true=y).shape == (2, 5, 4, 3)
    assert model(x[0], y[0]).shape == (5,)


def test_values_and_gradients_match_pytorch_autograd_per_sample():
    torch = pytest.importorskip("torch", reason="the reference is PyTorch's autograd")
    _, model = linear_cross_entropy()
    x, y = RNG.normal(size=(6, 3)), targets(6, 4)
    W = torch.tensor(model.params["W"], requires_grad=True)
    b = torch.tensor(model.params["b"], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.tensor(x) @ W.T + b, torch.tensor(y),
                                             reduction="none")
    np.testing.assert_allclose(model.eval(x=x, y_true=y), loss.detach().numpy(), rtol=1e-14)
    loss.sum().backward()
    for name, tensor in (("W", W), ("b", b)):
        per_sample = model.gradient(name).eval(x=x, y_true=y)
        np.testing.assert_allclose(per_sample.sum(0), tensor.grad.numpy(), rtol=1e-13,
                                   atol=1e-15)


def test_a_number_for_a_vector_param_fills_it():
    layer = FORGE.get("layer_norm_affine")
    assert layer.params["weight"] == 1.0 and layer.shapes["weight"] == ("n",)
    x = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    np.testing.assert_allclose(layer.eval(x=x), FORGE.get("layer_norm").eval(x=x), rtol=1e-15)
    layer.params["weight"] = [1.0, 2.0, 3.0]
    assert layer.eval(x=x)[0, 2] == pytest.approx(3 * FORGE.get("layer_norm").eval(x=x)[0, 2])


def test_class_indices_and_distributions_are_checked():
    index = FORGE.get("cross_entropy_index")
    assert index.eval(y_pred=[[1.0, 2.0, 3.0]] * 2, y_true=[2, 0]).tolist() == pytest.approx(
        [0.4076059644443803, 2.40760596444438], rel=1e-15)
    with pytest.raises(EvaluationError, match=r"y_true of 'cross_entropy_index' holds class "
                                              r"indices \(0 to 2\); got 3.0"):
        index.eval(y_pred=[1.0, 2.0, 3.0], y_true=3)
    with pytest.raises(EvaluationError, match="got 0.5"):
        index.eval(y_pred=[1.0, 2.0, 3.0], y_true=0.5)
    with pytest.raises(EvaluationError, match=r"declared a distribution \(simplex\), so it "
                                              r"must sum to 1, but sample \(1,\) sums to 0.5"):
        FORGE.get("cross_entropy").eval(y_pred=np.zeros((2, 2)), y_true=[[0, 1], [0.5, 0]])


# -- shapes are checked before any work, errors name both shapes --------------------------

def test_formula_shape_errors_point_at_the_part():
    with pytest.raises(ShapeError) as info:
        Expression("bad", "tanh(W @ x) + b", shapes={"W": [3, 4], "x": [5], "b": [3]})
    assert info.value.reason == ("@ of shapes (3, 4) and (5,) does not fit (A @ x needs A's "
                                 "last size to equal x's first)")
    assert str(info.value).endswith("    tanh(W @ x) + b\n         ^^^^^")
    assert isinstance(info.value, FormulaError)
    with pytest.raises(ShapeError, match=r"softmax\(\) needs a vector argument, got shape "
                                         r"\(3, 4\)"):
        Expression("bad", "softmax(W)", shapes={"W": [3, 4]})
    with pytest.raises(ShapeError, match=r"a sum of shapes \(3, 4\) and \(4,\)"):
        Expression("bad", "W + x", shapes={"W": [3, 4], "x": [4]})
    with pytest.raises(ShapeError, match=r"@ of shapes \(\) and \(\) does not fit \(declare"):
        Expression("bad", "w @ x")
    with pytest.raises(ShapeError, match=r"sum\(\) needs a vector or matrix, got a scalar"):
        Expression("bad", "sum(w*x)")


def test_data_shape_errors_name_both_shapes():
    _, model = linear_cross_entropy()
    with pytest.raises(ShapeError, match=r"x has shape \(5, 2\) but W has shape \(4, 3\): size "
                                         r"d is 2 in x and 3 in W"):
        model.eval(x=np.ones((5, 2)), y_true=targets(5, 4))
    with pytest.raises(ShapeError, match=r"size k is 3 in y_true and 4 in W"):
        model.eval(x=np.ones((5, 3)), y_true=targets(5, 3))
    with pytest.raises(ShapeError, match=r"batch axes do not broadcast: x has shape \(3, 3\) "
                                         r"but y_true has shape \(5, 4\)"):
        model.eval(x=np.ones((3, 3)), y_true=targets(5, 4))
    with pytest.raises(ShapeError, match=r"x has shape \(\) but is declared \(d,\)"):
        model.eval(x=1.0, y_true=targets(1, 4)[0])


def test_params_keep_their_declared_shape():
    linear, _ = linear_cross_entropy()
    with pytest.raises(ParameterError, match=r"param 'W' of 'linear' is declared with shape "
                                             r"\(k, d\), got an array of shape \(4,\)"):
        linear.params["W"] = np.ones(4)
    fixed = Expression("f", "W @ x", params={"W": np.eye(2)}, shapes={"x": [2]})
    assert fixed.shapes == {"x": (2,), "W": (2, 2)}
    with pytest.raises(ParameterError, match=r"declared with shape \(2, 2\), got an array of "
                                             r"shape \(3, 3\)"):
        fixed.params["W"] = np.eye(3)
    with pytest.raises(ValueError, match="read-only"):
        fixed.params["W"][0, 0] = 5.0
    with pytest.raises(VariableError, match="'z' is declared in shapes but is neither"):
        Expression("f", "sum(x)", shapes={"x": [2], "z": [2]})
    with pytest.raises(ArgumentError, match="the declaration of 'x' must be a shape"):
        Expression("f", "sum(x)", shapes={"x": "n"})
    with pytest.raises(ShapeError, match="a size is a positive integer or a name, got 0"):
        Expression("f", "sum(x)", shapes={"x": [0]})


def test_indexing_and_reductions_of_the_formula_language():
    f = Expression("f", "x[0] + 2*x[k] + max(x) - min(x) + max(x, 1)[1]",
                   shapes={"x": [3], "k": {"index": 3}})
    assert f.eval(x=[1.0, 5.0, -2.0], k=1) == 1 + 10 + 5 + 2 + 5
    with pytest.raises(ShapeError, match=r"index 3 is out of range for a vector of shape \(3,\)"):
        Expression("f", "x[3]", shapes={"x": [3]})
    with pytest.raises(FormulaError, match="only one index is allowed"):
        Expression("f", "x[0:2]", shapes={"x": [3]})
    glu = FORGE.get("glu")
    assert glu.eval(x=[1.0, 2.0, 0.0, 0.0]).tolist() == [0.5, 1.0]
    with pytest.raises(ShapeError, match=r"first_half\(\) needs a vector of even length"):
        Expression("odd", "first_half(x)", shapes={"x": [3]})


# -- composition, arithmetic, copies ---------------------------------------------------------

def test_composition_binds_named_sizes():
    linear, model = linear_cross_entropy()
    assert model.shapes == {"x": ("d",), "y_true": ("k",), "W": ("k", "d"), "b": ("k",)}
    fixed = Expression("fixed", "W @ x", params={"W": np.ones((10, 64))}, shapes={"x": [64]})
    assert FORGE.get("cross_entropy").compose(fixed, "y_pred").shapes["y_true"] == (10,)
    elementwise = FORGE.get("relu").compose(linear)
    assert elementwise.formula == "relu(W @ x + b)" and elementwise.shapes["b"] == ("k",)
    with pytest.raises(ShapeError, match=r"y_pred is declared \(n,\) but the formula put in its "
                                         r"place has shape \(4, 4\)"):
        FORGE.get("cross_entropy").compose(
            Expression("square", "W @ W", shapes={"W": [4, 4]}), "y_pred")


def test_arithmetic_refuses_one_name_declared_two_ways():
    vector = Expression("v", "sum(x)", shapes={"x": [3]})
    assert (vector + vector).eval(x=[1.0, 2.0, 3.0]) == 12.0
    with pytest.raises(CompositionError, match="'x' is of shape \\(3,\\) in one part but a "
                                               "scalar in the other"):
        vector + Expression("s", "x")


def test_pickling_and_equality_keep_shapes_and_arrays():
    _, model = linear_cross_entropy()
    again = pickle.loads(pickle.dumps(model))
    assert again == model and again.shapes == model.shapes
    x, y = RNG.normal(size=(3, 3)), targets(3, 4)
    np.testing.assert_array_equal(again.eval(x=x, y_true=y), model.eval(x=x, y_true=y))
    other = model.clone()
    other.params["b"] = np.zeros(4)
    assert other != model
    assert "shapes={'x': ['d'], 'y_true': {'shape': ['k'], 'simplex': True}" in repr(model)


def test_plot_is_refused_for_vector_functions():
    with pytest.raises(ArgumentError, match="plot\\(\\) draws functions of scalars"):
        FORGE.get("softmax").plot()


# -- hessians and gradient checks for vectors and matrices -------------------------------------

def test_hessian_blocks_of_vectors_read_as_matrices_and_of_matrices_evaluate_exactly():
    _, model = linear_cross_entropy()
    x, y = np.array([0.3, -1.0, 2.0]), targets(1, 4)[0]
    blocks = model.hessian(["b", "W"])
    assert str(blocks["b"]["b"]).endswith(
        "= diag(softmax(W @ x + b)) - softmax(W @ x + b) softmax(W @ x + b)^T")
    s = FORGE.get("softmax").eval(x=model.params["W"] @ x + model.params["b"])
    jacobian = np.diag(s) - np.outer(s, s)
    np.testing.assert_allclose(blocks["b"]["b"].eval(x=x, y_true=y), jacobian, atol=1e-16)
    block = blocks["W"]["W"].eval(x=x, y_true=y)
    assert block.shape == (4, 3, 4, 3)
    expected = np.einsum("ij,kl->ikjl", jacobian, np.outer(x, x))
    np.testing.assert_allclose(block, expected, atol=1e-15)
    batch = blocks["W"]["W"].eval(x=np.stack([x, x]), y_true=np.stack([y, y]))
    np.testing.assert_allclose(batch, np.stack([expected, expected]), atol=1e-15)
    assert blocks["W"]["b"].eval(x=x, y_true=y).shape == (4, 3, 4)


def test_check_gradient_moves_each_entry_of_vectors_and_matrices():
    _, model = linear_cross_entropy()
    point = {"x": np.array([0.3, -1.0, 2.0]), "y_true": targets(1, 4)[0]}
    for name in ("W", "b", "x"):
        check = check_gradient(model, name, point)
        assert check.passed and check.difference < 1e-8, name
        assert np.shape(check.numerical) == np.shape(model.params.get(name, point.get(name)))
    jacobian = numerical_gradient(FORGE.get("softmax"), "x", {"x": np.array([1.0, 2.0])})
    assert jacobian.shape == (2, 2)
    assert check_gradient(FORGE.get("layer_norm_affine"), "x",
                          {"x": np.array([1.0, 2.0, 4.0])}).passed


def test_second_derivative_of_a_vector_is_left_to_hessian():
    with pytest.raises(ArgumentError, match="use hessian"):
        FORGE.get("softmax").gradient("x", order=2)
