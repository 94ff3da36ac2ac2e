"""The built-ins' counterparts in PyTorch, JAX (jax.nn, optax) and Keras, and
their derivatives at every kink, computed by those libraries at run time.

Used by tests/test_conventions.py, and run as a script to write
docs/conventions.md (``python -m tests.framework_references > docs/conventions.md``)
from the libraries installed. No expected value is typed by hand: where a
derivative is compared, the number comes from the reference library.

Kinks are found in the formulas themselves: every point where a ``where``
condition, a ``max``/``min`` tie, or the argument of ``abs``, ``sign``,
``heaviside`` or a primitive's elementary formula switches, for each variable,
with the other variables at the values listed in ``Reference.given``.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import sympy

from neurogebra import MathForge
from tests.accuracy_reference import switches
from neurogebra.symbolic import symbol

ROOT = Path(__file__).resolve().parents[1]
FORGE = MathForge(plugins=["activations", "losses"])   # scalar packs; vectors: test_vector_catalog.py
X = ("x",)
YY = ("y_pred", "y_true")


@dataclass(frozen=True)
class Reference:
    """A built-in's counterparts: ``torch(values)`` and ``jax(values)`` take a dict
    of tensors (params as Python floats unless listed in ``*_inputs``)."""

    name: str
    torch: Callable | None = None
    torch_inputs: tuple[str, ...] = ()
    jax: Callable | None = None
    jax_inputs: tuple[str, ...] = ()
    keras: Callable | None = None
    given: dict = field(default_factory=dict)   # values of the variables not scanned
    labels: tuple[str, ...] = ()                 # variables that are labels: never scanned
    edges: dict = field(default_factory=dict)   # domain boundaries scanned beside the kinks
    label: dict = field(default_factory=dict)   # library -> how it is called


def _f(value):
    return value if isinstance(value, float) else float(value.reshape(-1)[0])


def _keras():
    """Keras 3 on the JAX backend in float64, or None."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError:
        return None
    if keras.backend.backend() != "jax":
        return None
    keras.config.set_floatx("float64")
    return keras


def _references() -> list[Reference]:
    import torch
    import torch.nn.functional as F
    jax = optax = None
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        jnp = None
    K = _keras() if jax is not None else None
    J = (lambda f: f) if jax is not None else (lambda f: None)
    KK = (lambda f: f) if K is not None else (lambda f: None)
    refs = [
        Reference("relu", lambda v: F.relu(v["x"]), X, J(lambda v: jax.nn.relu(v["x"])), X),
        Reference("relu6", lambda v: F.relu6(v["x"]), X, J(lambda v: jax.nn.relu6(v["x"])), X),
        Reference("leaky_relu", lambda v: F.leaky_relu(v["x"], _f(v["alpha"])), X,
                  J(lambda v: jax.nn.leaky_relu(v["x"], v["alpha"])), X),
        Reference("prelu", lambda v: F.prelu(v["x"], v["a"].reshape(1)), X + ("a",)),
        Reference("rrelu", lambda v: F.rrelu(v["x"], _f(v["lower"]), _f(v["upper"]),
                                             training=False), X),
        Reference("elu", lambda v: F.elu(v["x"], _f(v["alpha"])), X,
                  J(lambda v: jax.nn.elu(v["x"], v["alpha"])), X),
        Reference("selu", lambda v: F.selu(v["x"]), X, J(lambda v: jax.nn.selu(v["x"])), X),
        Reference("celu", lambda v: F.celu(v["x"], _f(v["alpha"])), X,
                  J(lambda v: jax.nn.celu(v["x"], v["alpha"])), X),
        Reference("softplus", lambda v: F.softplus(v["x"], _f(v["beta"]), _f(v["threshold"])), X),
        Reference("hardtanh", lambda v: F.hardtanh(v["x"], _f(v["min_val"]), _f(v["max_val"])),
                  X, J(lambda v: jax.nn.hard_tanh(v["x"])), X),
        Reference("hardsigmoid", lambda v: F.hardsigmoid(v["x"]), X,
                  J(lambda v: jax.nn.hard_sigmoid(v["x"])), X),
        Reference("hardswish", lambda v: F.hardswish(v["x"]), X,
                  J(lambda v: jax.nn.hard_swish(v["x"])), X),
        Reference("hardshrink", lambda v: F.hardshrink(v["x"], _f(v["lambd"])), X),
        Reference("softshrink", lambda v: F.softshrink(v["x"], _f(v["lambd"])), X),
        Reference("threshold", lambda v: F.threshold(v["x"], _f(v["threshold"]),
                                                     _f(v["replacement"])), X),
        Reference("sparse_plus", jax=J(lambda v: jax.nn.sparse_plus(v["x"])), jax_inputs=X),
        Reference("sparse_sigmoid", jax=J(lambda v: jax.nn.sparse_sigmoid(v["x"])), jax_inputs=X),
        Reference("squareplus", jax=J(lambda v: jax.nn.squareplus(v["x"], v["b"])), jax_inputs=X),
        Reference("softsign", lambda v: F.softsign(v["x"]), X,
                  J(lambda v: jax.nn.soft_sign(v["x"])), X),
        Reference("mae", lambda v: F.l1_loss(v["y_pred"], v["y_true"], reduction="none"), YY,
                  J(lambda v: jnp.abs(v["y_pred"] - v["y_true"])), YY,
                  given={"y_true": [0.0, 1.0], "y_pred": [0.0, 1.0]},
                  label={"jax": "jnp.abs(y_pred - y_true)"}),
        Reference("smooth_l1", lambda v: F.smooth_l1_loss(v["y_pred"], v["y_true"],
                                                          reduction="none", beta=_f(v["beta"])),
                  YY, given={"y_true": [0.0], "y_pred": [0.0]}),
        Reference("huber", lambda v: F.huber_loss(v["y_pred"], v["y_true"], reduction="none",
                                                  delta=_f(v["delta"])), YY,
                  J(lambda v: optax.losses.huber_loss(v["y_pred"], v["y_true"], delta=v["delta"])), YY,
                  given={"y_true": [0.0], "y_pred": [0.0]},
                  label={"jax": "optax.losses.huber_loss"}),
        Reference("binary_crossentropy",
                  lambda v: F.binary_cross_entropy(v["y_pred"], v["y_true"], reduction="none"), YY,
                  given={"y_true": [0.0, 1.0], "y_pred": [0.0, 1.0]},
                  edges={"y_pred": [0.0, 1.0, 1e-13]}),
        Reference("hinge", jax=J(lambda v: optax.losses.hinge_loss(v["y_pred"], v["y_true"])),
                  jax_inputs=YY, given={"y_true": [1.0, -1.0], "y_pred": [1.0, -1.0]},
                  label={"jax": "optax.losses.hinge_loss"}),
        Reference("hinge_embedding",
                  lambda v: F.hinge_embedding_loss(v["y_pred"], v["y_true"],
                                                   margin=_f(v["margin"]), reduction="none"),
                  ("y_pred",), given={"y_true": [-1.0, 1.0], "y_pred": [0.0, 1.0]},
                  labels=("y_true",),
                  label={"torch": "y_true is a label; only y_pred is differentiated"}),
        Reference("kl_div", lambda v: F.kl_div(v["y_pred"], v["y_true"], reduction="none"), YY,
                  J(lambda v: optax.losses.kl_divergence(v["y_pred"], v["y_true"])), YY,
                  given={"y_true": [0.0, 0.5], "y_pred": [-1.0]}, edges={"y_true": [0.0]},
                  label={"jax": "optax.losses.kl_divergence"}),
        Reference("gaussian_nll",
                  lambda v: F.gaussian_nll_loss(v["y_pred"], v["y_true"], v["var"],
                                                eps=_f(v["eps"]), reduction="none"),
                  YY + ("var",), given={"y_true": [0.0], "y_pred": [1.0], "var": [1.0]},
                  edges={"var": [0.0, 5e-7]}),
        Reference("poisson_nll_rate",
                  lambda v: F.poisson_nll_loss(v["y_pred"], v["y_true"], log_input=False,
                                               eps=_f(v["eps"]), reduction="none"),
                  YY, given={"y_true": [2.0], "y_pred": [1.0]}, edges={"y_pred": [0.0]}),
    ]
    keras = {
        "relu": lambda v: K.activations.relu(v["x"]),
        "relu6": lambda v: K.activations.relu6(v["x"]),
        "leaky_relu": lambda v: K.activations.leaky_relu(v["x"], negative_slope=v["alpha"]),
        "elu": lambda v: K.activations.elu(v["x"], alpha=v["alpha"]),
        "selu": lambda v: K.activations.selu(v["x"]),
        "celu": lambda v: K.activations.celu(v["x"], alpha=v["alpha"]),
        "softplus": lambda v: K.activations.softplus(v["x"]),
        "hardtanh": lambda v: K.activations.hard_tanh(v["x"]),
        "hardsigmoid": lambda v: K.activations.hard_sigmoid(v["x"]),
        "hardswish": lambda v: K.activations.hard_silu(v["x"]),
        "hardshrink": lambda v: K.activations.hard_shrink(v["x"], threshold=v["lambd"]),
        "softshrink": lambda v: K.activations.soft_shrink(v["x"], threshold=v["lambd"]),
        "threshold": lambda v: K.activations.threshold(v["x"], v["threshold"], v["replacement"]),
        "sparse_plus": lambda v: K.activations.sparse_plus(v["x"]),
        "sparse_sigmoid": lambda v: K.activations.sparse_sigmoid(v["x"]),
        "squareplus": lambda v: K.activations.squareplus(v["x"], b=v["b"]),
        "softsign": lambda v: K.activations.softsign(v["x"]),
        "mae": lambda v: K.losses.mean_absolute_error(v["y_true"], v["y_pred"]),
        "huber": lambda v: K.losses.huber(v["y_true"], v["y_pred"], delta=v["delta"]),
        "binary_crossentropy": lambda v: K.losses.binary_crossentropy(v["y_true"], v["y_pred"]),
        "hinge": lambda v: K.losses.hinge(v["y_true"], v["y_pred"]),
        "kl_div": lambda v: K.losses.kl_divergence(v["y_true"], K.ops.exp(v["y_pred"])),
        "poisson_nll_rate": lambda v: K.losses.poisson(v["y_true"], v["y_pred"]),
    }
    return [replace(r, keras=KK(keras.get(r.name)) if r.name in keras else None)
            for r in refs]


REFERENCES = {r.name: r for r in _references()}

# Where neurogebra keeps a derivative that differs from PyTorch's at a kink, and why.
# (name, wrt) -> (which points, reason). The test checks each still differs.
DIFFERENCES: dict = {
    ("gaussian_nll", "var"): (
        lambda p: p["var"] < FORGE.get("gaussian_nll").params["eps"],
        "below eps PyTorch clamps var without recording it (torch.no_grad), so its gradient "
        "is the unclamped formula's; neurogebra differentiates max(var, eps), which is "
        "constant there"),
    ("binary_crossentropy", "y_pred"): (
        lambda p: p["y_pred"] * (1 - p["y_pred"]) < 1e-12,
        "PyTorch's backward returns (p - y)/max(p*(1 - p), 1e-12) rather than the derivative "
        "of its clamped logarithms, so it differs where p*(1 - p) < 1e-12; neurogebra "
        "differentiates the clamped formula"),
    ("binary_crossentropy", "y_true"): (
        lambda p: p["y_pred"] in (0.0, 1.0),
        "PyTorch's gradient with respect to the target uses unclamped logarithms (inf); "
        "neurogebra's uses the clamped ones, as the value does"),
    ("kl_div", "y_true"): (
        lambda p: p["y_true"] == 0.0,
        "PyTorch gives nan (the log of 0 in the branch not taken); a target of 0 "
        "contributes 0 in neurogebra, and so does its derivative"),
}

# Built-ins without a PyTorch counterpart whose kink derivative differs from JAX's.
JAX_DIFFERENCES = {
    "hinge": "at the margin the derivative is 0, as relu'(0) is in PyTorch; "
             "optax.losses.hinge_loss gives 1/2",
    "sparse_sigmoid": "the derivative is 0 at the bounds -1 and 1, as PyTorch's clamps "
                      "(hardtanh, hardsigmoid) are; jax.nn.sparse_sigmoid gives 1/2",
}


# -- kinks, found in the formulas ---------------------------------------------------------

def kinks(name: str, variable: str, values: dict) -> list[float]:
    """The points where ``variable`` crosses a kink of built-in ``name``,
    the other variables and the params fixed at ``values``."""
    expression = FORGE.get(name)
    fixed = {symbol(k): sympy.nsimplify(v) for k, v in {**expression.params, **values}.items()
             if k != variable}
    points = set()
    target = symbol(variable)
    for switch in switches(expression.symbolic_expr):
        switch = switch.xreplace(fixed)
        if not switch.has(target):
            continue
        solutions = sympy.solveset(switch, target, domain=sympy.S.Reals)
        if isinstance(solutions, sympy.FiniteSet):
            points |= {float(s) for s in solutions if s.is_number and s.is_finite}
    return sorted(points)


def kink_points(reference: Reference) -> list[dict]:
    """Every kink of the built-in, for each variable, as dicts of all variable values."""
    expression = FORGE.get(reference.name)
    points = []
    for variable in (v for v in expression.variables if v not in reference.labels):
        others = [v for v in expression.variables if v != variable]
        grids = [reference.given.get(v, [0.0]) for v in others]
        for combination in itertools.product(*grids):
            values = dict(zip(others, combination))
            found = kinks(reference.name, variable, values) + reference.edges.get(variable, [])
            points += [{**values, variable: k} for k in found]
    unique = {tuple(sorted(p.items())): p for p in points}
    return [unique[k] for k in sorted(unique)]


# -- derivatives from each library -----------------------------------------------------------

def neurogebra_derivatives(name: str, point: dict, wrt: str) -> tuple[float, float]:
    """The derivative by ``wrt`` at ``point``: (scalar path, array path)."""
    derivative = FORGE.get(name).gradient(wrt)
    scalar = derivative.eval(**point)
    array = derivative.eval(**{k: np.array([v]) for k, v in point.items()})[0]
    return scalar, float(array)


def _inputs(name: str, point: dict) -> dict:
    return {**FORGE.get(name).params, **point}


def torch_derivative(reference: Reference, point: dict, wrt: str, dtype: str = "float64",
                     functional: bool = False) -> float | None:
    """PyTorch's derivative (autograd, or torch.func.grad), or None where it takes no tensor."""
    import torch
    if reference.torch is None or wrt not in reference.torch_inputs:
        return None
    kind = getattr(torch, dtype)
    values = _inputs(reference.name, point)
    as_tensor = set(reference.torch_inputs) | set(point)

    def function(target):
        tensors = {k: (torch.tensor([v], dtype=kind) if k in as_tensor else v)
                   for k, v in values.items()}
        tensors[wrt] = target
        return reference.torch(tensors).sum()

    start = torch.tensor([values[wrt]], dtype=kind)
    if functional:
        return float(torch.func.grad(function)(start)[0])
    start.requires_grad_(True)
    function(start).backward()
    return float(start.grad[0])


def jax_derivative(reference: Reference, point: dict, wrt: str, keras: bool = False
                   ) -> float | None:
    """jax.grad (float64) of the JAX counterpart, or of the Keras one on the JAX
    backend; None where there is none."""
    counterpart = reference.keras if keras else reference.jax
    inputs = set(point) if keras else set(reference.jax_inputs)
    if counterpart is None or wrt not in inputs:
        return None
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    values = _inputs(reference.name, point)
    as_array = inputs | set(point)

    def function(target):
        arrays = {k: (jnp.asarray([v], dtype=jnp.float64) if k in as_array else v)
                  for k, v in values.items()}
        arrays[wrt] = jnp.reshape(target, (1,))
        return jnp.sum(counterpart(arrays))

    return float(jax.grad(function)(jnp.asarray(values[wrt], dtype=jnp.float64)))


def same(a: float | None, b: float | None) -> bool:
    """Equal to 1e-12 relative (or both nan, or both the same infinity)."""
    if a is None or b is None:
        return False
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def documented_difference(name: str, wrt: str, point: dict) -> str | None:
    entry = DIFFERENCES.get((name, wrt))
    return entry[1] if entry is not None and entry[0](point) else None


# -- the page -------------------------------------------------------------------------------

def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.6g}"


def conventions_tables() -> str:
    """The generated part of docs/conventions.md: one table per built-in's kinks."""
    lines = []
    for name, reference in REFERENCES.items():
        lines += [f"### {name}", "",
                  "| at | d/d | neurogebra | PyTorch | JAX | Keras | note |",
                  "|---|---|---|---|---|---|---|"]
        for point in kink_points(reference):
            for wrt in FORGE.get(name).variables:
                ours = neurogebra_derivatives(name, point, wrt)[0]
                torch_value = torch_derivative(reference, point, wrt)
                jax_value = jax_derivative(reference, point, wrt)
                keras_value = jax_derivative(reference, point, wrt, keras=True)
                note = documented_difference(name, wrt, point) and "differs from PyTorch, see below"
                if note is None and jax_value is not None and not same(jax_value, ours):
                    note = "JAX differs; neurogebra follows PyTorch" if torch_value is not None \
                        else "JAX differs, see below"
                at = ", ".join(f"{k} = {point[k]:g}" for k in FORGE.get(name).variables)
                lines.append(f"| {at} | {wrt} | {_number(ours)} | {_number(torch_value)} | "
                             f"{_number(jax_value)} | {_number(keras_value)} | {note or ''} |")
        lines.append("")
    lines += ["### Where neurogebra differs, and why", ""]
    lines += [f"- **{name}**, d/d{wrt}: {reason}." for (name, wrt), (_, reason)
              in DIFFERENCES.items()]
    lines += [f"- **{name}** (no PyTorch counterpart): {reason}." for name, reason
              in JAX_DIFFERENCES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - writes the page's tables
    print(conventions_tables(), end="")
