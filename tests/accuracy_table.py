"""The accuracy table of docs/accuracy.md, computed from the committed mpmath references.

For every activation, loss and schedule and each of its checks (the value and
the derivative by every variable and param), the largest relative error and
the largest error in units in the last place (``|got - want| / spacing(want)``)
of neurogebra (the worse of its scalar and array paths), and of PyTorch and JAX
(float64; autograd and jax.grad for derivatives by variables) where they have
the function and are installed, over the points of tests/data/accuracy_reference.npz
where the true value is a normal float and 12 digits are required (for the
checks listed in ``accuracy_reference.CONDITIONED``, away from the zeros that
move with another variable). Print it with

    python -m tests.accuracy_table [--no-frameworks]

tests/test_accuracy_sweep.py checks that the neurogebra columns of the page are current.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from tests.accuracy_reference import FORGE, checks, compared_points, neurogebra_values

TOL = 1e-12


def _errors(got, want):
    """(largest relative error, largest ulp error, non-finite count) of ``got``."""
    got = np.asarray(got, dtype=float)
    finite = np.isfinite(got)
    with np.errstate(all="ignore"):
        error = np.abs(got[finite] - want[finite])
        rel = error / np.abs(want[finite])
        ulps = error / np.spacing(np.abs(want[finite]))
    worst = (float(rel.max()), float(ulps.max())) if rel.size else (0.0, 0.0)
    return (*worst, int((~finite).sum()))


def _required(name, wrt):
    """The points (columns by variable) and references where 12 digits are required."""
    points, want, slack = compared_points(name, wrt)
    normal = np.abs(want) >= 2.2250738585072014e-308
    keep = normal & (slack <= TOL * np.abs(want))
    return points[keep], want[keep]


# -- the frameworks' counterparts: f(lib, values) with values by variable and param ----

def _torch_functions():
    import torch.nn.functional as F
    import torch

    def loss(f, **kw):
        return lambda v: f(v["y_pred"], v["y_true"], reduction="none", **kw)
    return {
        "relu": lambda v: F.relu(v["x"]), "relu6": lambda v: F.relu6(v["x"]),
        "leaky_relu": lambda v: F.leaky_relu(v["x"], v["alpha"]),
        "elu": lambda v: F.elu(v["x"], v["alpha"]), "selu": lambda v: F.selu(v["x"]),
        "celu": lambda v: F.celu(v["x"], v["alpha"]), "gelu": lambda v: F.gelu(v["x"]),
        "gelu_tanh": lambda v: F.gelu(v["x"], approximate="tanh"),
        "silu": lambda v: F.silu(v["x"]), "mish": lambda v: F.mish(v["x"]),
        "sigmoid": lambda v: torch.sigmoid(v["x"]), "tanh": lambda v: torch.tanh(v["x"]),
        "logsigmoid": lambda v: F.logsigmoid(v["x"]),
        "softplus": lambda v: F.softplus(v["x"], v["beta"], v["threshold"]),
        "softsign": lambda v: F.softsign(v["x"]), "tanhshrink": lambda v: F.tanhshrink(v["x"]),
        "hardtanh": lambda v: F.hardtanh(v["x"], v["min_val"], v["max_val"]),
        "hardsigmoid": lambda v: F.hardsigmoid(v["x"]),
        "hardswish": lambda v: F.hardswish(v["x"]),
        "hardshrink": lambda v: F.hardshrink(v["x"], v["lambd"]),
        "softshrink": lambda v: F.softshrink(v["x"], v["lambd"]),
        "threshold": lambda v: F.threshold(v["x"], v["threshold"], v["replacement"]),
        "mse": loss(F.mse_loss), "mae": loss(F.l1_loss),
        "smooth_l1": lambda v: F.smooth_l1_loss(v["y_pred"], v["y_true"], reduction="none",
                                                beta=v["beta"]),
        "huber": lambda v: F.huber_loss(v["y_pred"], v["y_true"], reduction="none",
                                        delta=v["delta"]),
        "bce_with_logits": loss(F.binary_cross_entropy_with_logits),
        "binary_crossentropy": loss(F.binary_cross_entropy),
        "soft_margin": loss(F.soft_margin_loss), "kl_div": loss(F.kl_div),
        "poisson_nll": lambda v: F.poisson_nll_loss(v["y_pred"], v["y_true"], log_input=True,
                                                    reduction="none"),
        "poisson_nll_rate": lambda v: F.poisson_nll_loss(v["y_pred"], v["y_true"],
                                                         log_input=False, eps=v["eps"],
                                                         reduction="none"),
        "gaussian_nll": lambda v: F.gaussian_nll_loss(v["y_pred"], v["y_true"], v["var"],
                                                      eps=v["eps"], reduction="none"),
    }


def _jax_functions():
    import jax
    import jax.numpy as jnp
    import optax
    n, losses = jax.nn, optax.losses
    return {
        "relu": lambda v: n.relu(v["x"]), "relu6": lambda v: n.relu6(v["x"]),
        "leaky_relu": lambda v: n.leaky_relu(v["x"], v["alpha"]),
        "elu": lambda v: n.elu(v["x"], v["alpha"]), "selu": lambda v: n.selu(v["x"]),
        "celu": lambda v: n.celu(v["x"], v["alpha"]),
        "gelu": lambda v: n.gelu(v["x"], approximate=False),
        "gelu_tanh": lambda v: n.gelu(v["x"], approximate=True),
        "silu": lambda v: n.silu(v["x"]), "mish": lambda v: n.mish(v["x"]),
        "sigmoid": lambda v: n.sigmoid(v["x"]), "tanh": lambda v: jnp.tanh(v["x"]),
        "logsigmoid": lambda v: n.log_sigmoid(v["x"]), "softsign": lambda v: n.soft_sign(v["x"]),
        "hardtanh": lambda v: n.hard_tanh(v["x"]), "hardsigmoid": lambda v: n.hard_sigmoid(v["x"]),
        "hardswish": lambda v: n.hard_swish(v["x"]),
        "sparse_plus": lambda v: n.sparse_plus(v["x"]),
        "sparse_sigmoid": lambda v: n.sparse_sigmoid(v["x"]),
        "squareplus": lambda v: n.squareplus(v["x"], v["b"]),
        "mse": lambda v: losses.squared_error(v["y_pred"], v["y_true"]),
        "l2_loss": lambda v: losses.l2_loss(v["y_pred"], v["y_true"]),
        "huber": lambda v: losses.huber_loss(v["y_pred"], v["y_true"], delta=v["delta"]),
        "log_cosh": lambda v: losses.log_cosh(v["y_pred"], v["y_true"]),
        "hinge": lambda v: losses.hinge_loss(v["y_pred"], v["y_true"]),
        "bce_with_logits": lambda v: losses.sigmoid_binary_cross_entropy(v["y_pred"],
                                                                         v["y_true"]),
        "kl_div": lambda v: losses.kl_divergence(v["y_pred"], v["y_true"]),
    }


def torch_values(name, wrt, points):
    """PyTorch's value or autograd derivative at ``points`` (None: no counterpart)."""
    import torch
    function = _torch_functions().get(name)
    e = FORGE.get(name)
    if function is None or (wrt != "value" and wrt not in e.variables):
        return None
    values = dict(e.params)
    values.update({v: torch.tensor(points[:, i], requires_grad=(v == wrt))
                   for i, v in enumerate(e.variables)})
    try:
        out = function(values)
        if wrt == "value":
            return out.detach().numpy()
        out.sum().backward()
    except (RuntimeError, TypeError, ValueError):   # no derivative by a target, say
        return None
    return values[wrt].grad.numpy()


def jax_values(name, wrt, points):
    """JAX's value or jax.grad derivative at ``points`` (None: no counterpart)."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    function = _jax_functions().get(name)
    e = FORGE.get(name)
    if function is None or (wrt != "value" and wrt not in e.variables):
        return None
    values = dict(e.params)
    values.update({v: jnp.asarray(points[:, i]) for i, v in enumerate(e.variables)})
    if wrt == "value":
        return np.asarray(function(values))

    def total(target):
        return jnp.sum(function({**values, wrt: target}))
    return np.asarray(jax.grad(total)(values[wrt]))


# -- the table ----------------------------------------------------------------------

def _cell(errors):
    if errors is None:
        return "—", "—"
    rel, ulps, bad = errors
    note = f" ({bad} non-finite)" if bad else ""
    return f"{rel:.1e}{note}", f"{ulps:.3g}"


def rows(frameworks=True):
    """One list of cells per check."""
    for name in FORGE.list_all():
        for wrt in checks(name):
            points, want = _required(name, wrt)
            ours = max((_errors(v, want) for v in neurogebra_values(name, wrt, points)),
                       key=lambda t: (t[2], t[0]))
            row = [name, "value" if wrt == "value" else wrt, *_cell(ours)]
            if frameworks:
                for values in (torch_values, jax_values):
                    got = values(name, wrt, points)
                    same_shape = got is not None and np.shape(got) == want.shape  # not reduced
                    row += _cell(_errors(got, want) if same_shape else None)
            yield row


def table(frameworks=True):
    head = ["function", "d/d", "neurogebra rel", "ulps"]
    if frameworks:
        head += ["PyTorch rel", "ulps", "JAX rel", "ulps"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(frameworks)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-frameworks", action="store_true", help="neurogebra's columns only")
    args = parser.parse_args(argv)
    sys.stdout.write(table(frameworks=not args.no_frameworks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
