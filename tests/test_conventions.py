"""Derivatives at kinks follow PyTorch, computed by PyTorch itself.

For every built-in with a PyTorch or JAX counterpart (tests/framework_references.py),
at every kink its formula has, the derivative by each variable on the scalar
and on the array path must equal PyTorch's autograd (float64) and
``torch.func.grad``; without a PyTorch counterpart, ``jax.grad``. The
exceptions are listed, with their reasons, in docs/conventions.md, and each
must still differ (so the list cannot go stale).
"""

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch references need torch")

from tests import framework_references as refs  # noqa: E402
from tests.framework_references import FORGE, REFERENCES, same  # noqa: E402


def cases():
    for name, reference in REFERENCES.items():
        for point in refs.kink_points(reference):
            for wrt in FORGE.get(name).variables:
                yield pytest.param(name, point, wrt,
                                   id=f"{name}-d{wrt}-" + ",".join(f"{v:g}" for v in point.values()))


@pytest.mark.parametrize("name, point, wrt", list(cases()))
def test_kink_derivative_is_pytorchs(name, point, wrt):
    reference = REFERENCES[name]
    scalar, array = refs.neurogebra_derivatives(name, point, wrt)
    assert same(scalar, array), (scalar, array)
    expected = refs.torch_derivative(reference, point, wrt)
    if expected is None:
        expected = refs.jax_derivative(reference, point, wrt) if reference.jax else None
        if expected is None:
            pytest.skip(f"no reference differentiates {name} by {wrt}")
        if name in refs.JAX_DIFFERENCES:
            assert not same(scalar, expected), f"{name} now agrees with JAX: update the docs"
            return
    else:
        assert same(refs.torch_derivative(reference, point, wrt, functional=True), expected)
    difference = refs.documented_difference(name, wrt, point)
    if difference:
        assert not same(scalar, expected), f"documented difference is gone: {difference}"
    else:
        assert same(scalar, expected), f"neurogebra {scalar}, reference {expected}"


def test_every_builtin_with_kinks_and_a_counterpart_is_compared():
    missing = []
    # a schedule's counterparts are scheduler objects, not functions autograd differentiates
    for name in FORGE.list_all("activation") + FORGE.list_all("loss"):
        expression = FORGE.get(name)
        counterparts = set(expression.metadata.get("equivalents", {})) & {"pytorch", "jax"}
        zeros = dict.fromkeys(expression.variables, 0.0)
        has_kinks = any(refs.kinks(name, v, zeros) for v in expression.variables)
        if counterparts and has_kinks and name not in REFERENCES:
            missing.append(name)
    assert not missing


def test_conventions_page_shows_the_live_values():
    pytest.importorskip("jax", reason="the page's JAX column needs jax")
    pytest.importorskip("optax", reason="the page's JAX column needs optax")
    page = (refs.ROOT / "docs" / "conventions.md").read_text()
    begin, end = "<!-- begin: python -m tests.framework_references -->\n", \
        "<!-- end: python -m tests.framework_references -->"
    assert page[page.index(begin) + len(begin):page.index(end)] == refs.conventions_tables(), \
        "run `python -m tests.framework_references` and paste its output into the page"
