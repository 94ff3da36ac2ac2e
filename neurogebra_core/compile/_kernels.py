"""Numeric kernels the function table names by reference.

The symbolic layer declares functions and names their kernels as dotted
strings (``"neurogebra.compile._kernels.sigmoid_numpy"``); the kernels that
are not a library function live here: the core primitives' stable kernels,
the scalar helpers whose NaN and zero handling the ``math`` module lacks, the
fused kernels of the stable rewrites, and PyTorch adapters that accept a
Python number beside a tensor.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from ._polynomials import horner

# -- core primitives ----------------------------------------------------------
# NumPy kernels work in one new array where they can: on a million elements
# each pass over memory costs about as much as the arithmetic.


_F64 = np.dtype(np.float64)   # the dtype of NumPy's float64 arrays (one object)


def _buffer(*arrays):
    """A new float64 array of the arguments' broadcast shape, for a kernel to fill
    (arguments of one shape, or numbers, skip ``np.broadcast_shapes``, which
    costs more than the kernel itself on a small batch)."""
    shapes = {np.shape(a) for a in arrays} - {()}     # a number broadcasts to anything
    if len(shapes) <= 1:
        return np.empty(shapes.pop() if shapes else ())
    return np.empty(np.broadcast_shapes(*shapes))


def sigmoid_numpy(x, out=None):
    # 1/(1 + e^-x) in four passes, no select. Where e^-x overflows (x < -709.78)
    # sigmoid(x) is the subnormal e^x, which products such as x*sigmoid(x) need:
    # those elements (if the overflow flag says there are any) are computed again.
    # ``out``: an array to write into, not ``x`` itself (x is read again)
    out = np.negative(x, out=_buffer(x) if out is None else out)
    try:
        with np.errstate(over="raise"):
            np.exp(out, out=out)
    except FloatingPointError:
        with np.errstate(over="ignore"):
            np.exp(np.negative(x, out=out), out=out)
        out += 1.0
        np.reciprocal(out, out=out)
        far = np.flatnonzero(np.less(x, SIGMOID_TAIL))
        out.reshape(-1)[far] = np.exp(np.broadcast_to(x, out.shape).reshape(-1)[far])
        return out
    out += 1.0
    return np.reciprocal(out, out=out)


sigmoid_numpy.takes_out = True
SIGMOID_TAIL = -708.0    # below, sigmoid(x) is e^x to the last bit


def sigmoid_math(x):
    # 1/(1 + e^-x) for x >= 0, e^x/(1 + e^x) below: one exp, and a select that a
    # compiled loop vectorises
    e = math.exp(-abs(x))
    return (1.0 if x >= 0 else e) / (1.0 + e)


def _log1p_exp_minus_abs(x):
    """log1p(exp(-|x|)) in a new array (never overflows)."""
    out = np.abs(x, out=_buffer(x))
    np.negative(out, out=out)
    np.exp(out, out=out)
    return np.log1p(out, out=out)


def softplus_numpy(x):
    out = _log1p_exp_minus_abs(x)
    out += np.maximum(x, 0.0)
    return out


def softplus_math(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_torch(x):
    import torch
    # torch's softplus switches to x above its threshold (20); logaddexp is exact
    return torch.logaddexp(x, torch.zeros_like(x))


def log_sigmoid_numpy(x):
    out = _log1p_exp_minus_abs(x)
    return np.subtract(np.minimum(x, 0.0), out, out=out)


def log_sigmoid_math(x):
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


def relu_numpy(x, out=None):
    return np.maximum(x, 0.0, out=out)


relu_numpy.takes_out = True


def relu_math(x):
    return 0.0 if x <= 0 else x


def hypot_numpy(a, b):
    # sqrt(a^2 + b^2), three SIMD passes where np.hypot calls libm per element: the sum
    # of two positive squares does not cancel, so within 1.5 ulps; where a square over-
    # or underflows (the flags say so: |a| or |b| beyond about 1e154 or below 1e-154),
    # the scaled form below
    try:
        with np.errstate(over="raise", under="raise"):
            return in_place(np.sqrt, in_place(np.add, np.square(a), np.square(b)))
    except FloatingPointError:
        return _scaled_hypot(a, b)


# beyond these, a and b are scaled by a power of 2 (exactly) before they are squared
_HYPOT_BIG, _HYPOT_SMALL = 2.0 ** 500, 2.0 ** -500
_HYPOT_DOWN, _HYPOT_UP = 2.0 ** -600, 2.0 ** 600


def hypot_math(a, b):
    # the array kernel's arithmetic for floats, so both paths (and a compiled loop of
    # the scalar code, compile._jit) agree; no call and no branch but the scale's
    # select, so a loop vectorises it. nan stays nan, even beside an inf (as on the
    # array path; np.hypot and the C library give inf there)
    m = max(abs(a), abs(b))
    scale, unscale = (_HYPOT_DOWN, _HYPOT_UP) if m > _HYPOT_BIG else \
        ((_HYPOT_UP, _HYPOT_DOWN) if m < _HYPOT_SMALL else (1.0, 1.0))
    a, b = a * scale, b * scale
    return math.sqrt(a * a + b * b) * unscale


def hypot_minus_one_math(u):
    # hypot(u, 1) - 1: below |u| = 2 as u*(u/(hypot(u, 1) + 1)), the same number
    # without the cancellation next to 0; beyond, the difference, which does not
    # overflow (within 2 ulps both; switching at 1 instead, 4 ulps just above it).
    # Both sides computed, then one chosen: no float error either side (h + 1 >= 1),
    # and a compiled loop gets a select, not a branch around a division it would
    # not speculate, so it vectorises
    h = hypot_math(u, 1.0)
    near_zero = u * (u / (h + 1.0))
    return near_zero if abs(u) < 2.0 else h - 1.0


def hypot_minus_one_numpy(u):
    h = hypot_numpy(u, 1.0)
    with np.errstate(invalid="ignore"):     # inf/inf where |u| is inf: not the side kept
        near_zero = np.add(h, 1.0)
        np.divide(u, near_zero, out=near_zero)
        near_zero *= u
    return np.where(np.abs(u) < 2.0, near_zero, h - 1.0)


def _hypot_minus_one_array(xp, u):
    h = torch_hypot(u, 1.0) if xp.__name__ == "torch" else xp.hypot(u, 1.0)
    return xp.where(xp.abs(u) < 2.0, u * (u / (h + 1.0)), h - 1.0)


def _scaled_hypot(a, b):
    # sqrt((a s)^2 + (b s)^2)/s, s a power of 2 that brings max(|a|, |b|) between
    # 2^-100 and 2^100 where it is beyond 2^+-500: exact scalings, so within 1.5 ulps
    m = np.maximum(np.abs(a), np.abs(b))
    scale = np.where(m > _HYPOT_BIG, _HYPOT_DOWN, np.where(m < _HYPOT_SMALL, _HYPOT_UP, 1.0))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a, b = np.multiply(a, scale), np.multiply(b, scale)
        return np.sqrt(a * a + b * b) / scale     # (exact: a power of 2)


def heaviside_numpy(x, h0, out=None):
    # np.heaviside is a branchy scalar loop; for the steps of derivatives (h0 = 0 or 1)
    # one SIMD comparison writes the 0/1 floats, and a read-only minimum finds the
    # (rare) nan inputs, which stay nan. ``out``: an array to write into, not ``x``
    if np.ndim(h0) == 0 and h0 in (0, 1):
        step = np.greater if h0 == 0 else np.greater_equal
        out = step(x, 0.0, out=_buffer(x) if out is None else out)
        if np.ndim(out) == 0:
            return np.heaviside(x, h0)      # a 0-d out comes back a scalar
        if np.isnan(np.minimum.reduce(x, axis=None)):
            out[np.isnan(x)] = np.nan
        return out
    return np.heaviside(x, h0, out=out)


heaviside_numpy.takes_out = True


# -- scalar helpers -----------------------------------------------------------


def scalar_sign(x):
    if x != x:        # nan, as NumPy gives
        return x
    return math.copysign(1.0, x) if x else 0.0


def scalar_pow(base, exponent):
    """``base**exponent`` on floats as NumPy computes it with a number exponent:
    nan where Python would give a complex number, a square for 2 and a square
    root for 0.5 (NumPy's shortcuts: the C library's pow may differ in the last
    bit, and a compiled loop vectorises the square where it calls pow per element);
    the base itself for 1, which pow gives exactly (the slope of x**g at g = 2: a
    loop takes this branch out of the loop instead of computing pow)."""
    if exponent == 2.0:
        return base * base
    if exponent == 1.0:
        return base
    if exponent == 0.5:
        return math.sqrt(base)    # ValueError below 0: the caller falls back to NumPy
    return math.pow(base, exponent)   # ValueError, OverflowError: likewise


def scalar_heaviside(x, h0):
    if x > 0:
        return 1.0
    if x < 0:
        return 0.0
    return h0 if x == 0 else x


def scalar_max(a, b):
    return math.nan if a != a or b != b else max(a, b)


def scalar_min(a, b):
    return math.nan if a != a or b != b else min(a, b)


def fmin_math(a, b):
    # NumPy's fmin: a nan is taken as the other number
    return b if a != a else (a if b != b or a <= b else b)


def fmax_math(a, b):
    return b if a != a else (a if b != b or a >= b else b)


# -- the derivative of a step (DiracDelta) is 0, as autograd takes it ----------
# (DiracDelta(x, k), its k-th derivative, is 0 too: ``order`` is that k)

def zeros_math(x, order=0):
    return 0.0


def zeros_numpy(x, order=0):
    return np.zeros(np.shape(x))


def zeros_jax(x, order=0):
    import jax.numpy as jnp
    return jnp.zeros_like(x)


def zeros_torch(x, order=0):
    import torch
    return torch.zeros_like(x)


# -- kernels of the stable rewrites (compile._stable) -------------------------------
# NumPy and math kernels are exact to a few ulps wherever the result is a normal
# float; JAX and PyTorch kernels compute the same functions in forms their
# autodiff differentiates correctly.

def _jax_and_torch(formula):
    """JAX and PyTorch kernels computing ``formula(xp, *args)``, importing xp on first use."""
    def on(module):
        def kernel(*args):
            return formula(importlib.import_module(module), *args)
        return kernel
    return on("jax.numpy"), on("torch")


def sech2_numpy(u):
    # 1/cosh(u)^2: cosh overflows beyond |u| = 710, where sech^2 underflows anyway
    out = np.abs(u, out=_buffer(u))
    with np.errstate(over="ignore"):
        np.cosh(out, out=out)
    np.reciprocal(out, out=out)
    return np.square(out, out=out)


def sech2_math(u):
    # square_math, not **2: Python's ** calls the C library's pow, 1 ulp off now
    # and then, where NumPy's np.square and a compiled loop round the product once
    a = abs(u)
    return 0.0 if a > 710.0 else square_math(1.0 / math.cosh(a))


def _half_sech_half(u):
    """1/(2 cosh(u/2)), whose square is sigmoid(u)*sigmoid(-u), in a new array."""
    out = np.multiply(u, 0.5, out=_buffer(u))
    with np.errstate(over="ignore"):
        np.cosh(out, out=out)
    return np.divide(0.5, out, out=out)


def dsigmoid_numpy(u):
    out = _half_sech_half(u)
    return np.square(out, out=out)


def dsigmoid_math(u):
    a = abs(u)
    return 0.0 if a > 1420.0 else square_math(0.5 / math.cosh(0.5 * a))   # (as sech2_math)


def _dsigmoid_array(xp, u):
    e = xp.exp(-xp.abs(u))
    return e / (1.0 + e) ** 2


def _sech2_array(xp, u):
    e = xp.exp(-2.0 * xp.abs(u))
    return 4.0 * e / (1.0 + e) ** 2


dsigmoid_jax, dsigmoid_torch = _jax_and_torch(_dsigmoid_array)
sech2_jax, sech2_torch = _jax_and_torch(_sech2_array)


def scaled_dsigmoid_numpy(p, u):
    # p*q*q with q = 1/(2 cosh(u/2)) = sqrt(sigmoid(u) sigmoid(-u)): each factor stays
    # normal where the product is, so a large p never meets a subnormal e^-|u|;
    # where q underflows to 0 the product is 0 even if p overflowed (inf*0)
    q = _half_sech_half(u)
    try:
        with np.errstate(invalid="raise"):
            out = np.multiply(p, q)
            out *= q
    except FloatingPointError:
        with np.errstate(invalid="ignore"):
            out = np.where(q == 0, 0.0 * q, (p * q) * q)
    return out


def scaled_dsigmoid_math(p, u):
    a = abs(u)
    if a > 1420.0:
        return p * 0.0 if p == p and abs(p) != math.inf else (p if p != p else 0.0)
    q = 0.5 / math.cosh(0.5 * a)
    return (p * q) * q


def _scaled_dsigmoid_array(xp, p, u):
    return p * _dsigmoid_array(xp, u)


scaled_dsigmoid_jax, scaled_dsigmoid_torch = _jax_and_torch(_scaled_dsigmoid_array)


# sigmoid_residual(u, y, e) = (1 - y)*sigmoid(u) - y*sigmoid(-u) from e = e^-|u| (which
# never overflows, and which BCE's value computes too): sigmoid(|u|) = 1/(1 + e),
# sigmoid(-|u|) = e/(1 + e), so the whole is ((1 - y)*a - y*b)/(1 + e) with a, b = 1, e
# (u >= 0) or e, 1: one division. For a label of 0 or 1 one term is 0 and the other
# within about an ulp, the subnormal tail included: no cancellation, unlike sigmoid(u) - y.

def sigmoid_residual_math(u, y, e):
    up = 1.0 if u >= 0.0 else e        # (a nan u gives a nan e: nan)
    down = e if u >= 0.0 else 1.0
    return ((1.0 - y) * up - y * down) / (1.0 + e)


def _sigmoid_residual_array(xp, u, y, e):
    positive = u >= 0.0
    return ((1.0 - y) * xp.where(positive, 1.0, e) - y * xp.where(positive, e, 1.0)) / (1.0 + e)


def sigmoid_residual_numpy(u, y, e):
    return _sigmoid_residual_array(np, u, y, e)


sigmoid_residual_jax, sigmoid_residual_torch = _jax_and_torch(_sigmoid_residual_array)


def shifted(u, shift, divisor):
    """(u + shift)/divisor: the same operators on every backend."""
    return (u + shift) / divisor


shifted_math = shifted_numpy = shifted_jax = shifted_torch = shifted

# expm1(t) - t e^t = sum over n >= 2 of (1 - n) t^n/n!; for |t| < 1/2, 20 terms
# reach double precision; beyond, the closed form cancels at most a factor 6.
_EXPM1_TEXP = tuple((1 - n) / math.factorial(n) for n in range(2, 22))
_EXPM1_TEXP_SERIES = 0.5


def _expm1_texp_series(t):
    return horner(_EXPM1_TEXP, t) * t * t     # (fused multiply-adds in a compiled loop)


def _expm1_texp_closed(t):
    return math.exp(t) * (1.0 - t) - 1.0


def expm1_minus_texp_math(t):
    if abs(t) < _EXPM1_TEXP_SERIES:
        return _expm1_texp_series(t)
    return _expm1_texp_closed(t)


def _expm1_minus_texp_selects(t):
    """expm1_minus_texp_math with both computed and one kept (a select that a compiled
    loop vectorises: the branch made celu's slope by alpha a loop of one element at a
    time)."""
    near = _expm1_texp_series(t)
    far = _expm1_texp_closed(t)
    return near if abs(t) < _EXPM1_TEXP_SERIES else far


expm1_minus_texp_math.loop_form = lambda: _expm1_minus_texp_selects


def expm1_minus_texp_numpy(t):
    with np.errstate(over="ignore", invalid="ignore"):
        closed = np.exp(t) * (1.0 - t) - 1.0
    small = np.abs(t) < _EXPM1_TEXP_SERIES
    return np.where(small, _expm1_texp_series(np.where(small, t, 0.0)), closed)


def _expm1_minus_texp_array(xp, t):
    return xp.expm1(t) - t * xp.exp(t)


expm1_minus_texp_jax, expm1_minus_texp_torch = _jax_and_torch(_expm1_minus_texp_array)


def log1p_diff_numpy(a, b):
    # sign(a - b) log1p(|a - b|/(1 + min(a, b))): the ratio inside is >= 0, so log1p
    # is well conditioned, and a - b is exact where a and b are close (Sterbenz)
    d = np.subtract(a, b, out=_buffer(a, b))
    out = np.minimum(a, b, out=_buffer(a, b))
    out += 1.0
    np.divide(np.abs(d), out, out=out)
    np.log1p(out, out=out)
    return np.copysign(out, d, out=out)


def log1p_diff_math(a, b):
    d = a - b
    return math.copysign(math.log1p(abs(d) / (1.0 + min(a, b))), d)


def _log1p_diff_array(xp, a, b):
    return xp.log1p(a) - xp.log1p(b)


log1p_diff_jax, log1p_diff_torch = _jax_and_torch(_log1p_diff_array)


def _two_sum(a, b):
    """s, e with s = fl(a + b) and a + b = s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def compensated_sum_math(a, b, c):
    s, e = _two_sum(a, b)
    t, f = _two_sum(s, c)
    total = t + (e + f)
    return total if math.isfinite(total) else a + b + c


_CANCELLATION = 2.0 ** -10    # a sum this much smaller than its terms lost at most 10 bits


def _compensated_sum_exact(a, b, c):
    with np.errstate(invalid="ignore", over="ignore"):
        s, e = _two_sum(a, b)
        t, f = _two_sum(s, c)
        total = t + (e + f)
        return np.where(np.isfinite(total), total, (a + b) + c)


def compensated_sum_numpy(a, b, c):
    # the plain sum, and again with the roundings recovered where it cancelled
    out = np.add(a, b, out=_buffer(a, b, c))
    out += c
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.abs(a) + np.abs(b)
        scale += np.abs(c)
        near = np.flatnonzero(np.abs(out) < _CANCELLATION * scale)
    if near.size:
        a, b, c = (np.broadcast_to(v, out.shape).reshape(-1)[near] for v in (a, b, c))
        out.reshape(-1)[near] = _compensated_sum_exact(a, b, c)
    return out


def _compensated_sum_array(xp, a, b, c):
    return a + b + c


compensated_sum_jax, compensated_sum_torch = _jax_and_torch(_compensated_sum_array)


_NEAR_ONE = 2.0 ** -10    # beyond, log(fl(a + b)) keeps 12 digits (relative error < 3e-13)


def log_of_sum_math(a, b):
    s = a + b
    if abs(s - 1.0) < _NEAR_ONE:    # log1p of the exact s - 1: no rounding of a + b near 1
        return math.log1p(compensated_sum_math(a, b, -1.0))
    return math.log(s)


def _log_of_sum_loop_form():
    """log_of_sum_math for a compiled loop: next to 1, the kernel's exact a + b - 1
    is (s - 1) + e, s + e = a + b being exact (Knuth's two-sum) and s - 1 exact
    there (Sterbenz); and one logarithm serves both sides of the choice
    (``_loop_math.log1p_or_log``), which a loop computes both of."""
    from ._loop_math import log1p_or_log   # (imports numba)

    def log_of_sum(a, b):
        s, e = _two_sum(a, b)
        return log1p_or_log(abs(s - 1.0) < _NEAR_ONE, (s - 1.0) + e, s)
    return log_of_sum


log_of_sum_math.loop_form = _log_of_sum_loop_form


def log_of_sum_numpy(a, b):
    s = np.add(a, b, out=_buffer(a, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(s)
    near = np.flatnonzero(np.abs(s - 1.0) < _NEAR_ONE)
    if near.size:
        a, b = (np.broadcast_to(v, out.shape).reshape(-1)[near] for v in (a, b))
        out.reshape(-1)[near] = np.log1p(_compensated_sum_exact(a, b, -1.0))
    return out


def _log_of_sum_array(xp, a, b):
    return xp.log(a + b)


log_of_sum_jax, log_of_sum_torch = _jax_and_torch(_log_of_sum_array)


def abs_diff_minus_math(a, b, c):
    s, e = _two_sum(a, -b)
    if not math.isfinite(e):
        e = 0.0
    return (abs(s) - c) + math.copysign(1.0, s) * e


def abs_diff_minus_numpy(a, b, c):
    with np.errstate(invalid="ignore", over="ignore"):
        s, e = _two_sum(np.asarray(a, float), np.negative(b))
        e = np.where(np.isfinite(e), e, 0.0)
        return (np.abs(s) - c) + np.sign(s) * e


def _abs_diff_minus_array(xp, a, b, c):
    return xp.abs(a - b) - c


abs_diff_minus_jax, abs_diff_minus_torch = _jax_and_torch(_abs_diff_minus_array)


_SPLIT = 134217729.0     # 2^27 + 1: Veltkamp's split of a double into two halves


def _two_product(a, b):
    """p, e with p = fl(a*b) and a*b = p + e exactly (Dekker; |a|, |b| < 1e150)."""
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


_SQUARE_RATIO_WINDOW = 2.0 ** -10   # beyond, 1 - x loses at most 10 of its 53 bits
_TINY_SUM = 2.0 ** -480     # a + b below: scaled up (the square's error could underflow)
_UP = 2.0 ** 600            # a power of 2: scaling by it is exact


def one_minus_square_ratio_math(a, b, m):
    """1 - (a + b)^2/m, with the square exact where the result is next to 0.

    a + b = s + c exactly (Knuth), s^2 = hi + lo exactly (Dekker), so that where
    hi is within 2^-10 of m, (m - hi) loses nothing and the result keeps its
    bits. A sum below 2^-480 is scaled first, s and c by 2^600, m by 2^1200
    (exactly: powers of 2), so that lo is a float even where s^2 is near the
    smallest ones (unscaled, a sum of 1e-150 lost every bit). Elsewhere
    1 - s*(s/m), which overflows only where the result does (s^2 might not)."""
    s, c = _two_sum(a, b)
    if abs(s) < _TINY_SUM:
        s, c, m = s * _UP, c * _UP, m * _UP * _UP
    hi = s * s
    if abs(m - hi) < _SQUARE_RATIO_WINDOW * abs(m) and abs(s) < 1e150:
        return ((m - hi) - (_two_product(s, s)[1] + (2.0 * s * c + c * c))) / m
    return 1.0 - s * (s / m)


def _one_minus_square_ratio_loop_form():
    """one_minus_square_ratio_math for a compiled loop: both sides computed and
    one chosen, no branch (LLVM vectorises it). s^2's low part is one fused
    multiply-add, not Dekker's split (17 operations): after the scaling, s is
    0 or at least 2^-480, where s^2 - hi is a float, and both give it exactly."""
    from ._intrinsics import fma as _fma

    def one_minus_square_ratio(a, b, m):
        s, c = _two_sum(a, b)
        k = _UP if abs(s) < _TINY_SUM else 1.0
        s, c, m = s * k, c * k, m * k * k
        hi = s * s
        near = abs(m - hi) < _SQUARE_RATIO_WINDOW * abs(m) and abs(s) < 1e150
        exact = (m - hi) - (_fma(s, s, -hi) + (2.0 * s * c + c * c))
        return exact / m if near else 1.0 - s * (s / m)
    return one_minus_square_ratio


one_minus_square_ratio_math.loop_form = _one_minus_square_ratio_loop_form


def one_minus_square_ratio_numpy(a, b, m):
    # 1 - d (d/m) everywhere; the few elements next to 0, or with a sum below
    # 2^-470, again by the scalar definition
    d = np.add(a, b, out=_buffer(a, b, m))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        out = np.divide(d, m)
        out *= d
        np.subtract(1.0, out, out=out)
        size = np.abs(d)
        redo = np.flatnonzero((np.abs(out) < 2 * _SQUARE_RATIO_WINDOW) |
                              ((size < 2.0 ** -470) & (size > 0.0)))   # (0: 1 - 0*(0/m) both ways)
        if redo.size:
            shape = out.shape
            a, b, m = (np.broadcast_to(v, shape).reshape(-1)[redo] for v in (a, b, m))
            out.reshape(-1)[redo] = _one_minus_square_ratio_elements(a, b, m)
    return out


def _one_minus_square_ratio_elements(a, b, m):
    """one_minus_square_ratio_math on 1-d arrays, operation for operation."""
    s, c = _two_sum(a, b)
    k = np.where(np.abs(s) < _TINY_SUM, _UP, 1.0)
    s, c, m = s * k, c * k, m * k * k
    hi = s * s
    near = (np.abs(m - hi) < _SQUARE_RATIO_WINDOW * np.abs(m)) & (np.abs(s) < 1e150)
    exact = (m - hi) - (_two_product(s, s)[1] + (2.0 * s * c + c * c))
    q = np.where(near, exact, s) / m
    return np.where(near, q, 1.0 - s * q)


def _one_minus_square_ratio_array(xp, a, b, m):
    return 1.0 - (a + b) ** 2 / m


one_minus_square_ratio_jax, one_minus_square_ratio_torch = _jax_and_torch(
    _one_minus_square_ratio_array)


def _one_minus_product_exact(a, b, frexp, ldexp):
    """1 - a*b from the exact product of the mantissas (no overflow or underflow in
    Dekker's split), scaled back; 1 - hi is exact where a*b is near 1 (Sterbenz)."""
    ma, ea = frexp(a)
    mb, eb = frexp(b)
    hi, lo = _two_product(ma, mb)
    return (1.0 - ldexp(hi, ea + eb)) - ldexp(lo, ea + eb)


def one_minus_product_math(a, b):
    out = 1.0 - a * b
    if abs(out) < _SQUARE_RATIO_WINDOW and math.isfinite(a) and math.isfinite(b):
        return _one_minus_product_exact(a, b, math.frexp, math.ldexp)
    return out


def _one_minus_product_loop_form():
    """one_minus_product_math for a compiled loop: where 1 - a*b is next to 0,
    the kernel's value is 1 - a*b rounded once, which is what one fused
    multiply-add gives (an instruction: Dekker's split of a and b took 17,
    and made hinge's loop 1.6 ns per element against 0.6 for an operation of the
    same traffic); elsewhere the kernel's own 1 - a*b. Both are computed and one
    selected: no call, no branch, LLVM vectorises it."""
    from ._intrinsics import fma as _fma

    def one_minus_product(a, b):
        out = 1.0 - a * b
        near = abs(out) < _SQUARE_RATIO_WINDOW and math.isfinite(a) and math.isfinite(b)
        return _fma(-a, b, 1.0) if near else out
    return one_minus_product


one_minus_product_math.loop_form = _one_minus_product_loop_form


def one_minus_product_numpy(a, b):
    # 1 - a*b everywhere; the few results next to 0 again from the exact product
    out = np.multiply(a, b, out=_buffer(a, b))
    np.subtract(1.0, out, out=out)
    near = np.flatnonzero(np.abs(out) < _SQUARE_RATIO_WINDOW)
    if near.size:
        a, b = (np.broadcast_to(v, out.shape).reshape(-1)[near] for v in (a, b))
        out.reshape(-1)[near] = _one_minus_product_exact(a, b, np.frexp, np.ldexp)
    return out


def _one_minus_product_array(xp, a, b):
    return 1.0 - a * b


one_minus_product_jax, one_minus_product_torch = _jax_and_torch(_one_minus_product_array)
hypot_minus_one_jax, hypot_minus_one_torch = _jax_and_torch(_hypot_minus_one_array)


def xlogy_math(x, y):
    return 0.0 if x == 0 and y == y else x * math.log(y)


def xlog_mixture_math(x, q, w):
    if x == 0 and q == q:
        return 0.0
    return x * (math.log1p(w) if q > 0.5 else math.log(q))


def xlog_mixture_numpy(x, q, w):
    # log1p(w) keeps the digits of q = 1 + w near 1, log(q) those of a small q
    from scipy.special import xlog1py, xlogy   # imported on first use: scipy is slow to import
    return np.where(np.greater(q, 0.5), xlog1py(x, w), xlogy(x, q))


def _xlog_mixture_array(xp, x, q, w):
    return x * xp.log(q)


xlog_mixture_jax, xlog_mixture_torch = _jax_and_torch(_xlog_mixture_array)


def clip_math(u, lo, hi):
    if u != u:
        return u
    return lo if u <= lo else (hi if u >= hi else u)


def clip_numpy(u, lo, hi, out=None):
    # one SIMD pass; the piecewise it stands for picks lo first, which np.clip
    # does not when lo > hi: then the selects (nan stays nan either way)
    if np.ndim(lo) == 0 and np.ndim(hi) == 0 and lo <= hi:
        return np.clip(u, lo, hi, out=out)
    return _written(np.where(u <= lo, lo, np.where(u >= hi, hi, u)), out)


def _written(result, out):
    """``result`` written into ``out`` where one is given: a kernel that takes
    ``out=`` must fill it, since generated code that writes into the output
    (``_into``) returns ``out``, not what the kernel returned."""
    if out is None:
        return result
    out[...] = result
    return out


clip_numpy.writes_out = True


def shrink_math(u, b):
    return u - b if u > b else (u + b if u < -b else (0.0 if u == u else u))


def shrink_numpy(u, b, out=None):
    # u - clip(u, -b, b): two SIMD passes and no mask. Without a band (b < 0) the
    # pieces overlap and the first one taken wins, as in the piecewise
    if np.ndim(b) == 0 and b >= 0:
        clipped = np.clip(u, -b, b, out=None if out is None or out is u else out)
        if out is None and isinstance(clipped, np.ndarray):
            out = clipped
        return np.subtract(u, clipped, out=out)
    pieces = np.where(u > b, u - b, np.where(u < -b, u + b, 0.0 * np.abs(u)))   # nan stays
    return _written(pieces, out)


shrink_numpy.writes_out = True


def _shrink_array(xp, u, b):
    return xp.where(u > b, u - b, xp.where(u < -b, u + b, 0.0))


shrink_jax, shrink_torch = _jax_and_torch(_shrink_array)


def in_place(kernel, fresh, *rest):
    """``kernel(fresh, *rest)`` written into ``fresh``, a float64 array the generated
    code has just made and holds nowhere else (a sum, a product, a ufunc's
    result): no second array of its size is allocated while it is alive, which on
    large arrays costs more than the pass (new memory is zeroed by the system)."""
    if type(fresh) is np.ndarray and fresh.dtype is _F64 and fresh.ndim and \
            (not rest or all(np.ndim(r) == 0 or np.shape(r) == fresh.shape for r in rest)):
        return kernel(fresh, *rest, out=fresh)
    return kernel(fresh, *rest)


def _clip_array(xp, u, lo, hi):
    return xp.where(u <= lo, lo, xp.where(u >= hi, hi, u))


clip_jax, clip_torch = _jax_and_torch(_clip_array)


def indicator_math(condition):
    return 1.0 if condition else 0.0


def indicator_numpy(condition):
    # 0.0/1.0 (a boolean array would add as "or" and refuse a unary minus)
    return np.asarray(condition, dtype=np.float64)


def _indicator_array(xp, condition):
    return xp.where(condition, 1.0, 0.0)


indicator_jax, indicator_torch = _jax_and_torch(_indicator_array)


def int_power_math(u, n):
    # u*u*...*u, as the array kernel multiplies (Python's ** calls the C library's pow)
    out = u * u
    for _ in range(int(n) - 2):
        out *= u
    return out


def square_math(u):
    return u * u


def int_power_numpy(u, n):
    # u*u*...*u: NumPy's power with an exponent above 2 calls pow() per element
    n = int(n)
    out = np.multiply(u, u, out=_buffer(u))
    for _ in range(n - 2):
        out *= u
    return out


def _int_power_traced(u, n):
    return u ** n


int_power_jax = int_power_torch = _int_power_traced


# -- JAX and PyTorch: kinks differentiated as neurogebra does ----------------------
# Their autodiff gives maximum/minimum 1/2 per argument at a tie and abs'(0) = 1
# (JAX); these kernels have the same values and neurogebra's derivatives: at a
# tie each argument gets its full derivative (a + b - stop_gradient(a) equals
# the tied value and differentiates to 1 by each), and abs'(0) = sign(0) = 0.
# A NaN argument falls through both comparisons to that sum, so it propagates.

def _tie_kernel(xp, stop_gradient, larger):
    def kernel(a, b):
        a, b = _tensors(xp, a, b)
        tie = a + b - stop_gradient(a)
        return xp.where(larger(a, b), a, xp.where(larger(b, a), b, tie))
    return kernel


def _jax_tie(larger):
    jax = _module("jax")
    return _tie_kernel(jax.numpy, jax.lax.stop_gradient, larger)


def _torch_tie(larger):
    return _tie_kernel(_module("torch"), lambda t: t.detach(), larger)


def _tensors(xp, a, b):
    if xp.__name__ != "torch":
        return a, b
    if not isinstance(a, xp.Tensor):
        a = xp.as_tensor(a, dtype=b.dtype, device=b.device)
    if not isinstance(b, xp.Tensor):
        b = xp.as_tensor(b, dtype=a.dtype, device=a.device)
    return a, b


def _module(name):
    return importlib.import_module(name)


def maximum_jax(a, b):
    return _jax_tie(lambda a, b: a > b)(a, b)


def minimum_jax(a, b):
    return _jax_tie(lambda a, b: a < b)(a, b)


def torch_maximum(a, b):
    return _torch_tie(lambda a, b: a > b)(a, b)


def torch_minimum(a, b):
    return _torch_tie(lambda a, b: a < b)(a, b)


def abs_jax(x):
    jnp = _module("jax.numpy")
    return x * jnp.sign(x)


# -- PyTorch: binary functions that also take a Python number --------------------

def _torch_pair(name):
    def apply(a, b):
        torch = _module("torch")
        a, b = _tensors(torch, a, b)
        return getattr(torch, name)(a, b)
    apply.__name__ = f"torch_{name}"
    return apply


torch_hypot = _torch_pair("hypot")


def torch_heaviside(x, h0):
    """``heaviside`` as NumPy computes it (nan stays nan), written with selects
    so that autograd can differentiate it (0 everywhere, as PyTorch's rule for
    a step is; ``torch.heaviside`` has no derivative at all)."""
    torch = _module("torch")
    x, h0 = _tensors(torch, x, h0)
    # x**0 is 1 and x**0 - 1 is 0 with a derivative of 0 wherever they are
    # selected (x is not 0 there): the step stays in x's graph, as relu's
    # derivative does in PyTorch, so a second derivative is 0, not an error
    one = x ** 0
    step = torch.where(x > 0, one, torch.where(x < 0, one - 1, h0.expand_as(x)))
    return torch.where(torch.isnan(x), torch.full_like(x, math.nan), step)


def torch_sign(x):
    """``sign`` with NumPy's nan (``torch.sign(nan)`` is 0)."""
    torch = _module("torch")
    return torch.where(torch.isnan(x), torch.full_like(x, math.nan), torch.sign(x))
