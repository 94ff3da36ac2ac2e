"""Built-in kernels against careful hand-written NumPy, value and derivative.

Each baseline is what a careful engineer would write by hand: equally stable
(no overflow, no cancellation) and vectorised. Target: at most 1.2x.
"""

import math
import sys

import numpy as np
from scipy.special import ndtr

from _timing import best, report
from neurogebra import MathForge

TINY = math.exp(-100.0)


def sigmoid(x):
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


def sigmoid_prime(x):
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def softplus(x, beta=1.0, threshold=20.0):
    bx = beta * x
    return np.where(bx > threshold, x,
                    (np.maximum(bx, 0.0) + np.log1p(np.exp(-np.abs(bx)))) / beta)


def softplus_prime(x, beta=1.0, threshold=20.0):
    bx = beta * x
    return np.where(bx > threshold, 1.0, sigmoid(bx))


def sech2(x):
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def mish(x):
    return x * np.tanh(softplus(x, threshold=np.inf))


def mish_prime(x):
    sp = softplus(x, threshold=np.inf)
    return np.tanh(sp) + x * sech2(sp) * sigmoid(x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_prime(x, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def bce(p, y):
    return -(y * np.log(np.maximum(p, TINY)) + (1 - y) * np.log1p(-np.minimum(p, 1.0)).clip(-100))


def bce_prime(p, y):
    return -(y * np.where(p > TINY, 1 / np.maximum(p, TINY), 0.0)
             - (1 - y) * np.where(p < 1, 1 / np.maximum(1 - p, TINY), 0.0))


def huber(p, y, delta=1.0):
    d = p - y
    a = np.abs(d)
    return np.where(a < delta, d * d / 2, delta * (a - delta / 2))


def huber_prime(p, y, delta=1.0):
    d = p - y
    return np.where(np.abs(d) < delta, d, delta * np.sign(d))


def main():
    forge = MathForge(plugins="builtin")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1_000_000) * 5
    p = rng.uniform(0, 1, 1_000_000)
    y = (rng.uniform(0, 1, 1_000_000) > 0.5).astype(float)
    cases = [
        ("sigmoid", {"x": x}, lambda: sigmoid(x), lambda: sigmoid_prime(x)),
        ("tanh", {"x": x}, lambda: np.tanh(x), lambda: sech2(x)),
        ("gelu", {"x": x}, lambda: x * ndtr(x),
         lambda: ndtr(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
        ("softplus", {"x": x}, lambda: softplus(x), lambda: softplus_prime(x)),
        ("mish", {"x": x}, lambda: mish(x), lambda: mish_prime(x)),
        ("elu", {"x": x}, lambda: elu(x), lambda: elu_prime(x)),
        ("binary_crossentropy", {"y_pred": p, "y_true": y}, lambda: bce(p, y),
         lambda: bce_prime(p, y)),
        ("huber", {"y_pred": x, "y_true": y}, lambda: huber(x, y), lambda: huber_prime(x, y)),
    ]
    ok = True
    for name, inputs, value, slope in cases:
        f = forge.get(name)
        df = f.gradient(f.variables[0])
        # same numbers (up to rounding near zero crossings), so the timing is fair
        assert np.allclose(f.eval(**inputs), value(), rtol=1e-12, atol=1e-12), name
        assert np.allclose(df.eval(**inputs), slope(), rtol=1e-12, atol=1e-12), name
        ours, base = best(lambda: f.eval(**inputs), 5), best(value, 5)
        ok &= report(f"{name} value, 1e6 float64", ours, base, 1.2, unit="ms", scale=1e3)
        ours, base = best(lambda: df.eval(**inputs), 5), best(slope, 5)
        ok &= report(f"{name} derivative, 1e6 float64", ours, base, 1.2, unit="ms", scale=1e3)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
