"""Export to NumPy, JAX and PyTorch functions, and lazy dask evaluation.

Values and gradients are checked against the NumPy path and the symbolic
derivative. JAX runs in float64 here (jax_enable_x64); tests of a backend
that is not installed are skipped with the reason.
"""

import sys

import numpy as np
import pytest

from neurogebra import (EvaluationError, Expression, MathForge, MissingDependencyError, Primitive,
                        ShapeError)
from neurogebra.symbolic import register_primitive

FORGE = MathForge(plugins=["activations", "losses", "schedules"])  # scalar packs; vectors: test_vector_catalog.py
ACTIVATIONS = FORGE.list_all(category="activation")
LOSSES = FORGE.list_all(category="loss")
X = np.linspace(-6.0, 6.0, 41)          # avoids the kinks at +-0.5, +-3, 6...
PROBS = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
TARGETS = np.array([0.0, 0.3, 1.0, 0.0, 1.0])


def loss_inputs(name):
    if name == "binary_crossentropy":
        return {"y_pred": PROBS, "y_true": TARGETS}
    if name in ("msle", "poisson_nll_rate"):
        return {"y_pred": PROBS * 3, "y_true": TARGETS}
    if name == "gaussian_nll":
        return {"y_pred": PROBS, "y_true": TARGETS, "var": PROBS + 0.5}
    if name == "kl_div":
        return {"y_pred": -PROBS, "y_true": PROBS}
    return {"y_pred": PROBS * 4 - 2, "y_true": TARGETS}


def test_numpy_export_is_a_plain_function_with_bound_or_exposed_params():
    leaky = FORGE.get("leaky_relu")
    bound = leaky.to_function()
    assert bound(np.array([-2.0, 3.0])).tolist() == [-0.02, 3.0]
    exposed = leaky.to_function(bind_params=False)
    assert exposed(np.array([-2.0]), 0.5).tolist() == [-1.0]
    assert exposed(x=np.array([-2.0]), alpha=0.25).tolist() == [-0.5]
    assert bound.__name__ == "leaky_relu"


def test_unknown_backend_and_missing_library_are_clear_errors(monkeypatch):
    with pytest.raises(EvaluationError, match="unknown backend 'tensorflow'"):
        FORGE.get("relu").to_function("tensorflow")
    monkeypatch.setitem(sys.modules, "jax", None)        # as if JAX were not installed
    monkeypatch.setitem(sys.modules, "jax.nn", None)
    with pytest.raises(MissingDependencyError, match=r"pip install jax"):
        FORGE.get("relu").to_function("jax")


class TestJax:
    jax = pytest.importorskip("jax", reason="the JAX backend needs the [jax] extra")

    @pytest.fixture(autouse=True)
    def float64(self):
        self.jax.config.update("jax_enable_x64", True)
        yield
        self.jax.config.update("jax_enable_x64", False)

    @pytest.mark.parametrize("name", ACTIVATIONS)
    def test_activation_values_and_gradients_under_jit_grad_vmap(self, name):
        jnp = self.jax.numpy
        expression = FORGE.get(name)
        function = expression.to_function("jax")
        values = np.asarray(self.jax.jit(function)(jnp.asarray(X)))
        np.testing.assert_allclose(values, expression.eval(x=X), rtol=1e-12, atol=1e-300)
        slopes = np.asarray(self.jax.vmap(self.jax.grad(function))(jnp.asarray(X)))
        np.testing.assert_allclose(slopes, expression.gradient("x").eval(x=X),
                                   rtol=1e-9, atol=1e-12)

    @pytest.mark.parametrize("name", LOSSES)
    def test_loss_values_and_gradients(self, name):
        jnp = self.jax.numpy
        expression = FORGE.get(name)
        inputs = loss_inputs(name)
        function = expression.to_function("jax")
        arrays = [jnp.asarray(inputs[v]) for v in expression.variables]
        np.testing.assert_allclose(np.asarray(function(*arrays)), expression.eval(**inputs),
                                   rtol=1e-12)
        grad = self.jax.vmap(self.jax.grad(function, argnums=0))(*arrays)
        np.testing.assert_allclose(np.asarray(grad),
                                   expression.gradient("y_pred").eval(**inputs),
                                   rtol=1e-9, atol=1e-12)

    def test_gradient_with_respect_to_exposed_params(self):
        swish = FORGE.get("swish_beta")
        function = swish.to_function("jax", bind_params=False)
        dbeta = self.jax.grad(function, argnums=1)(1.5, 2.0)
        assert float(dbeta) == pytest.approx(swish.gradient("beta").eval(x=1.5, beta=2.0),
                                             rel=1e-12)


def test_a_float32_jax_export_warns():
    jax = pytest.importorskip("jax", reason="the JAX backend needs the [jax] extra")
    jax.config.update("jax_enable_x64", False)
    with pytest.warns(UserWarning, match=r"JAX computes in float32 \(jax_enable_x64 is off\)"):
        Expression("f", "exp(x)").to_function("jax")


class TestTorch:
    torch = pytest.importorskip("torch", reason="the PyTorch backend needs the [torch] extra")

    @pytest.mark.parametrize("name", ["a.b", "training", "forward", "cuda", "param_attributes"])
    def test_params_named_as_torch_attributes_get_attributes_of_their_own(self, name):
        import sympy
        x, p = sympy.Symbol("x", real=True), sympy.Symbol(name, real=True)
        model = Expression("f", p * x + 1, params={name: 2.0}, trainable_params=[name])
        module = model.to_torch_module()
        attribute = module.param_attributes[name]
        assert attribute != name and isinstance(getattr(module, attribute), self.torch.nn.Parameter)
        assert module(self.torch.tensor([3.0], dtype=self.torch.float64)).item() == 7.0
        assert module.to_expression().params == {name: 2.0}

    def test_sign_and_heaviside_keep_nan_and_differentiate(self):
        torch = self.torch
        x = torch.tensor([-1.0, 0.0, 0.5, float("nan")], dtype=torch.float64,
                         requires_grad=True)
        for formula in ["sign(x)", "heaviside(x, 0.5)"]:
            f = Expression("f", formula)
            out = f.to_function("torch")(x)
            np.testing.assert_array_equal(out.detach().numpy(), f.eval(x=x.detach().numpy()))
        slope = FORGE.get("relu").gradient("x").to_function("torch")(x)
        slope.sum().backward()   # torch.heaviside has no derivative; ours is 0, as torch's step
        assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]

    def test_missing_inputs_are_an_evaluation_error(self):
        with pytest.raises(EvaluationError, match="f takes the inputs x; got none"):
            Expression("f", "2*x").to_torch_module()()

    @pytest.mark.parametrize("name", ACTIVATIONS)
    def test_activation_values_and_autograd(self, name):
        expression = FORGE.get(name)
        function = expression.to_function("torch")
        x = self.torch.tensor(X, requires_grad=True)
        y = function(x)
        # torch's own special functions (ndtr) are accurate to ~1e-9 in the far tails
        np.testing.assert_allclose(y.detach().numpy(), expression.eval(x=X), rtol=1e-8)
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), expression.gradient("x").eval(x=X),
                                   rtol=1e-8, atol=1e-12)

    @pytest.mark.parametrize("name", LOSSES)
    def test_loss_values_and_autograd(self, name):
        expression = FORGE.get(name)
        inputs = loss_inputs(name)
        tensors = [self.torch.tensor(inputs[v], requires_grad=(v == "y_pred"))
                   for v in expression.variables]
        out = expression.to_function("torch")(*tensors)
        np.testing.assert_allclose(out.detach().numpy(), expression.eval(**inputs), rtol=1e-12)
        out.sum().backward()
        np.testing.assert_allclose(tensors[0].grad.numpy(),
                                   expression.gradient("y_pred").eval(**inputs),
                                   rtol=1e-9, atol=1e-12)

    def test_float32_inputs_stay_float32_on_their_device(self):
        function = FORGE.get("gelu").to_function("torch")
        x = self.torch.linspace(-3, 3, 7, dtype=self.torch.float32)
        y = function(x)
        assert y.dtype == self.torch.float32 and y.device == x.device

    def test_module_exposes_trainable_params_as_parameters(self):
        line = Expression("line", "m*x + b", params={"m": 2.0, "b": 1.0}, trainable_params=["m"])
        module = line.to_torch_module()
        assert [name for name, _ in module.named_parameters()] == ["m"]
        assert [name for name, _ in module.named_buffers()] == ["b"]
        out = module(self.torch.tensor([1.0, 2.0], dtype=self.torch.float64))
        assert out.tolist() == [3.0, 5.0]
        out.sum().backward()
        assert module.m.grad.item() == 3.0
        assert module(x=self.torch.tensor([0.0])).tolist() == [1.0]
        assert "line(x) = b + m*x" in repr(module)
        optimizer = self.torch.optim.SGD(module.parameters(), lr=0.1)
        optimizer.step()
        assert module.m.item() == pytest.approx(1.7)


def test_dask_arrays_stay_lazy_and_compute_in_chunks(monkeypatch):
    da = pytest.importorskip("dask.array", reason="dask support needs the [dask] extra")
    calls = []
    counted = Primitive(name="counted_square", explicit=lambda u: u ** 2,
                        derivatives=(lambda u: 2 * u,),
                        numpy=lambda u: calls.append(np.shape(u)) or np.square(u))
    register_primitive(counted)
    square = Expression("square", "counted_square(x)")
    gelu = FORGE.get("gelu")
    x = da.linspace(-5, 5, 200_000, chunks=50_000)
    result = square.eval(x=x)
    assert isinstance(result, da.Array) and result.npartitions == 4
    assert all(shape != (200_000,) for shape in calls)   # nothing computed yet
    calls.clear()
    values = result.compute(scheduler="synchronous")
    assert sorted(calls) == [(50_000,)] * 4
    np.testing.assert_array_equal(values, x.compute() ** 2)
    np.testing.assert_array_equal(gelu.eval(x=x).compute(), gelu.eval(x=x.compute()))
    mse = FORGE.get("mse").eval(y_pred=x, y_true=1.0)
    assert float(mse.mean().compute()) == pytest.approx(float(np.mean(
        (np.linspace(-5, 5, 200_000) - 1) ** 2)))


def test_dask_graphs_are_named_by_the_generated_code_without_pickling(monkeypatch):
    da = pytest.importorskip("dask.array", reason="dask support needs the [dask] extra")
    tokenize = pytest.importorskip("dask.tokenize", reason="dask names graphs here")

    pickled, pickle = [], tokenize._normalize_pickle

    def watched(value):
        pickled.append(f"{type(value).__module__}.{getattr(value, '__qualname__', '')}")
        return pickle(value)
    monkeypatch.setattr(tokenize, "_normalize_pickle", watched)
    x = da.linspace(-5, 5, 1000, chunks=100)
    gelu = FORGE.get("gelu")
    first, again = gelu.eval(x=x), gelu.eval(x=x)
    assert first.name == again.name and first.name.startswith("neurogebra-")
    assert pickled == []
    assert FORGE.get("silu").eval(x=x).name != first.name
    leaky = FORGE.get("leaky_relu").eval(x=x, alpha=0.2)   # a number stays a number
    np.testing.assert_array_equal(leaky.compute(), FORGE.get("leaky_relu").eval(
        x=x.compute(), alpha=0.2))
    rows, columns = x[:, None], da.linspace(0, 1, 3, chunks=3)[None, :]
    squared = FORGE.get("mse").eval(y_pred=rows, y_true=columns)   # broadcast, like NumPy
    assert squared.shape == (1000, 3)
    np.testing.assert_array_equal(squared.compute(), FORGE.get("mse").eval(
        y_pred=rows.compute(), y_true=columns.compute()))
    with pytest.raises(EvaluationError, match="'x' of 'gelu' is a dask array of complex128"):
        gelu.eval(x=x.astype(complex))


def test_vector_formulas_stay_lazy_on_dask_arrays():
    da = pytest.importorskip("dask.array", reason="dask support needs the [dask] extra")
    vectors = MathForge(plugins=["vectors"])
    rng = np.random.default_rng(0)
    scores, classes = rng.normal(size=(10, 3)), rng.integers(0, 3, 10).astype(float)
    lazy_scores = da.from_array(scores, chunks=(4, 2))   # the class axis is joined per block
    softmax = vectors.get("softmax").eval(x=lazy_scores)
    assert isinstance(softmax, da.Array) and softmax.chunks == ((4, 4, 2), (3,))
    np.testing.assert_array_equal(softmax.compute(), vectors.get("softmax").eval(x=scores))
    one = vectors.get("softmax").eval(x=da.from_array(scores[0], chunks=2))   # no batch axis
    assert isinstance(one, da.Array) and one.shape == (3,)
    np.testing.assert_array_equal(one.compute(), vectors.get("softmax").eval(x=scores[0]))
    loss = vectors.get("cross_entropy_index")
    lazy_loss = loss.eval(y_pred=lazy_scores, y_true=da.from_array(classes, chunks=5))
    assert lazy_loss.shape == (10,)
    np.testing.assert_array_equal(lazy_loss.compute(), loss.eval(y_pred=scores, y_true=classes))
    wrong = classes.copy()
    wrong[7] = 5.0
    lazy_wrong = loss.eval(y_pred=lazy_scores, y_true=da.from_array(wrong, chunks=5))
    with pytest.raises(EvaluationError, match="holds class indices \\(0 to 2\\); got 5.0"):
        lazy_wrong.compute()   # values are checked block by block
    pair = Expression("pair", "dot(a, b)", shapes={"a": [3], "b": [3]}, params={"b": 1.0})
    with pytest.raises(ShapeError, match="a has shape \\(10, 4\\), but its last axes must be"):
        pair.eval(a=da.ones((10, 4)))   # shapes are checked at once
    grid = rng.normal(size=(4, 1, 3)), rng.normal(size=(1, 5, 3))
    lazy_grid = pair.eval(a=da.from_array(grid[0], chunks=(2, 1, 3)), b=grid[1])
    np.testing.assert_array_equal(lazy_grid.compute(), pair.eval(a=grid[0], b=grid[1]))
    ones = pair.eval(a=da.from_array(grid[0], chunks=(2, 1, 3)))   # b = 1.0 in every entry
    np.testing.assert_allclose(ones.compute(), grid[0].sum(-1))


@pytest.mark.parametrize("formula, inputs", [
    ("clamped_log(x)", [-1.0, 0.0, 0.5, float("nan")]),
    ("clamped_log1m(x)", [2.0, 1.0, 0.5, float("nan")]),
    ("normal_cdf(x)", [-35.0, -5.0, 0.0, 5.0]),
])
def test_pack_kernels_of_torch_and_jax_agree_with_numpy_at_the_edges(formula, inputs):
    torch = pytest.importorskip("torch", reason="the PyTorch backend needs the [torch] extra")
    jax = pytest.importorskip("jax", reason="the JAX backend needs the [jax] extra")
    f = Expression("f", formula)
    expected = f.eval(x=np.array(inputs))
    ours = f.to_function("torch")(torch.tensor(inputs, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0)
    jax.config.update("jax_enable_x64", True)
    try:
        theirs = np.asarray(f.to_function("jax")(jax.numpy.asarray(inputs)))
    finally:
        jax.config.update("jax_enable_x64", False)
    np.testing.assert_allclose(theirs, expected, rtol=1e-12, atol=0)
