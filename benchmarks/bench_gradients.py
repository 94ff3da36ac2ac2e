"""Gradients of deep formulas: every partial of a tanh chain of L layers
(2L params) at 1e5 points, computed together by ``value_and_gradients``,
against JAX computing the same per-point gradients (``jax.jit`` of
``jax.vmap(jax.value_and_grad)``, float64, warm), and the cost of the first
call (differentiation and code generation) as L grows.

Ours is timed warm too: with ``NEUROGEBRA_JIT_AFTER=0`` (unless set) the
compiled tanh of ``compile._fast_math`` is built at the first call and in use
before the timing, as a second of NumPy tanh gets it in any process (jax.jit
compiles at its first call). ``NEUROGEBRA_JIT_AFTER=1000`` times NumPy's tanh."""

import math
import os
import sys
import time

import numpy as np

from _timing import best, report, settled
from neurogebra import Expression

os.environ.setdefault("NEUROGEBRA_JIT_AFTER", "0")
POINTS = 100_000


def chain(layers):
    formula, params = "x", {}
    for i in range(layers):
        formula = f"tanh(w{i}*({formula}) + b{i})"
        params[f"w{i}"], params[f"b{i}"] = 0.5, 0.1
    return Expression("chain", formula, params=params, trainable_params=list(params))


def jax_gradients(layers):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def network(params, x):
        for i in range(layers):
            x = jnp.tanh(params[2 * i] * x + params[2 * i + 1])
        return x

    per_point = jax.jit(jax.vmap(jax.value_and_grad(network), in_axes=(None, 0)))
    params = jnp.array([0.5, 0.1] * layers)
    return lambda x: jax.block_until_ready(per_point(params, x))


def deep_chain(layers, x):
    model = chain(layers)
    wanted = list(model.trainable_params)
    os.environ["NEUROGEBRA_JIT_AFTER"], after = "inf", os.environ["NEUROGEBRA_JIT_AFTER"]
    start = time.perf_counter()         # (alone: no compile of a math loop started beside it)
    value, partials = model.value_and_gradients(wanted, x=x)
    first = time.perf_counter() - start
    os.environ["NEUROGEBRA_JIT_AFTER"] = after
    settled(lambda: model.value_and_gradients(wanted, x=x))
    ours = best(lambda: model.value_and_gradients(wanted, x=x), 3, repeat=5)
    try:
        theirs = jax_gradients(layers)
        theirs(x)
        base = best(lambda: theirs(x), 3, repeat=5)
    except ImportError:
        print("jax is not installed: no baseline")
        return True, first
    ok = report(f"value and {2 * layers} partials, {layers} layers, 1e5 points", ours, base,
                1.5, unit="ms", scale=1e3)
    return ok, first


if __name__ == "__main__":
    x = np.linspace(-2.0, 2.0, POINTS)
    results, firsts = [], {}
    for layers in (10, 20, 40):
        ok, firsts[layers] = deep_chain(layers, x)
        results.append(ok)
    growth = math.log(firsts[40] / firsts[10]) / math.log(4)
    print(f"{'first call (differentiate + compile) at L=10/20/40':<48} "
          + " / ".join(f"{firsts[k]:.3f}" for k in (10, 20, 40))
          + f" s  grows as L^{growth:.2f}  target <= L^1.5  {'ok' if growth <= 1.5 else 'MISSED'}")
    results.append(growth <= 1.5)
    sys.exit(0 if all(results) else 1)
