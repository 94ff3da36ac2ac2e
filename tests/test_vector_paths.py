"""Every construct of the vector formula language on every path: NumPy
evaluation with and without batch axes, symbolic derivatives (reverse mode,
Jacobians), central differences, and export to PyTorch (autograd) and JAX
(jit, grad, vmap), on inputs that hypothesis draws."""

import functools

import numpy as np
import pytest

from neurogebra import Expression, check_gradient

hypothesis = pytest.importorskip("hypothesis", reason="property tests need hypothesis")
given, settings, st = hypothesis.given, hypothesis.settings, hypothesis.strategies

# (formula, declarations): each construct appears at least once
CONSTRUCTS = {
    "reductions": ("sum(x**2) + mean(x) + max(x) - min(x) + logsumexp(x) + norm(x)", {"x": ["n"]}),
    "softmax": ("dot(a, softmax(x)) + dot(a, log_softmax(x))", {"x": ["n"], "a": ["n"]}),
    "products": ("sum(transpose(A) @ (A @ x)) + dot(x @ B, a) + sum(outer(a, x) @ x)",
                 {"x": ["n"], "a": ["n"], "A": ["n", "n"], "B": ["n", "n"]}),
    "matrix_product": ("sum((A @ B) @ x)", {"x": ["n"], "A": ["n", "n"], "B": ["n", "n"]}),
    "elementwise": ("sum(where(x > 0, x, 0.1*x)*tanh(a) + sigmoid(x)*softplus(a) + abs(x)*a)",
                    {"x": ["n"], "a": ["n"]}),
    "lattice": ("sum(max(x, a)**2 + min(x, 0.5)*a)", {"x": ["n"], "a": ["n"]}),
    "indexing": ("x[0]*a[1] + dot(onehot(k, n), x*a) + x[k]", {"x": ["n"], "a": ["n"],
                                                               "k": {"index": "n"}}),
    "halves": ("dot(first_half(x), second_half(x)) + sum(first_half(x)*sigmoid(second_half(x)))",
               {"x": [4]}),
    "sizes_and_scalars": ("t*dot(a, x)/n + sum(x)*t**2", {"x": ["n"], "a": ["n"]}),
    "vector_valued": ("softmax(W @ x)*t + l2", {"x": ["n"], "W": ["n", "n"], "l2": ["n"]}),
}
SIZE = 3


def inputs(name, rng, batch=()):
    formula, shapes = CONSTRUCTS[name]
    expression = build(name)
    values = {}
    for variable in expression.variables + tuple(expression.params):
        spec = shapes.get(variable)
        if isinstance(spec, dict):
            values[variable] = rng.integers(0, SIZE, batch).astype(float)
            continue
        core = tuple(SIZE if d == "n" else d for d in (spec or ()))
        values[variable] = rng.normal(size=batch + core)
    return values


@functools.lru_cache(maxsize=None)
def build(name):
    formula, shapes = CONSTRUCTS[name]
    return Expression(name, formula, shapes=shapes)


@functools.lru_cache(maxsize=None)
def exported(name, backend):
    return build(name).to_function(backend)


@functools.lru_cache(maxsize=None)
def jax_compiled(name):
    """The JAX export under vmap and jit, and its jitted gradient by the first input."""
    import jax
    function = exported(name, "jax")
    variable = differentiable(name)[0]
    index = list(build(name).variables).index(variable)
    return jax.jit(jax.vmap(function)), jax.jit(jax.grad(function, argnums=index)), variable


def differentiable(name):
    expression = build(name)
    shapes = CONSTRUCTS[name][1]
    return [v for v in expression.variables if not isinstance(shapes.get(v), dict)]


CASES = sorted(CONSTRUCTS)
SEEDS = st.integers(0, 2 ** 31 - 1)


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=6, deadline=None, database=None)
@given(seed=SEEDS)
def test_batches_are_samples_side_by_side(name, seed):
    rng = np.random.default_rng(seed)
    expression = build(name)
    batched = inputs(name, rng, (2, 3))
    values = expression.eval(**batched)
    for i in range(2):
        for j in range(3):
            one = expression.eval(**{k: v[i, j] for k, v in batched.items()})
            np.testing.assert_allclose(values[i, j], one, rtol=1e-13, atol=1e-15)
    for variable in differentiable(name)[:2]:
        gradient = expression.gradient(variable).eval(**batched)
        one = expression.gradient(variable).eval(**{k: v[1, 2] for k, v in batched.items()})
        np.testing.assert_allclose(gradient[1, 2], one, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=6, deadline=None, database=None)
@given(seed=SEEDS)
def test_symbolic_derivatives_agree_with_central_differences(name, seed):
    rng = np.random.default_rng(seed)
    point = inputs(name, rng)
    for variable in differentiable(name):
        check = check_gradient(build(name), variable, point, rtol=1e-5, atol=1e-6)
        assert check.passed, (variable, check.difference)


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=4, deadline=None, database=None)
@given(seed=SEEDS)
def test_pytorch_export_values_and_autograd_match(name, seed):
    torch = pytest.importorskip("torch", reason="the PyTorch backend needs the [torch] extra")
    rng = np.random.default_rng(seed)
    expression = build(name)
    point = inputs(name, rng)
    tensors = {k: torch.tensor(v, requires_grad=k in differentiable(name))
               for k, v in point.items()}
    out = exported(name, "torch")(**tensors)
    np.testing.assert_allclose(out.detach().numpy(), expression.eval(**point), rtol=1e-12,
                               atol=1e-14)
    cotangent = rng.normal(size=out.shape)
    (out * torch.tensor(cotangent)).sum().backward()
    for variable in differentiable(name):
        jacobian = np.asarray(expression.gradient(variable).eval(**point))
        vjp = np.tensordot(cotangent, jacobian, axes=np.ndim(cotangent))
        np.testing.assert_allclose(tensors[variable].grad.numpy(), vjp, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=3, deadline=None, database=None)
@given(seed=SEEDS)
def test_jax_export_under_jit_vmap_and_grad(name, seed):
    """(Compiled once per construct: JAX traces shapes, not values.)"""
    jax = pytest.importorskip("jax", reason="the JAX backend needs the [jax] extra")
    jax.config.update("jax_enable_x64", True)
    try:
        rng = np.random.default_rng(seed)
        expression = build(name)
        batch = inputs(name, rng, (4,))
        mapped, gradient, variable = jax_compiled(name)
        order = list(expression.variables)
        np.testing.assert_allclose(np.asarray(mapped(*(batch[v] for v in order))),
                                   expression.eval(**batch), rtol=1e-12, atol=1e-14)
        point = {k: v[0] for k, v in batch.items()}
        if not np.shape(expression.eval(**point)):
            slope = gradient(*(point[v] for v in order))
            np.testing.assert_allclose(np.asarray(slope),
                                       expression.gradient(variable).eval(**point),
                                       rtol=1e-9, atol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", False)
