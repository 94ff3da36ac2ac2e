"""Primitive functions the activation pack contributes (see ``neurogebra_primitives``)."""

import math
import threading

import numpy as np
import sympy

from neurogebra import Primitive
from neurogebra.compile import get_backend, horner
from neurogebra.symbolic import (derivative, formula_function, primitive_class,
                                   sigmoid, softplus)

# Taylor coefficients of x - tanh(x) = x^3/3 - 2x^5/15 + 17x^7/315 - ..., to x^19 (at
# |x| = 0.25 that term is 1.7e-13 of the sum, the next one left out 4e-15)
_TANHSHRINK_SERIES = (1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925,
                      -21844 / 6081075, 929569 / 638512875, -6404582 / 10854718875,
                      443861162 / 1856156927625)
_SERIES_LIMIT = 0.25


def _series(x2):
    return horner(_TANHSHRINK_SERIES, x2)


def _series_sum(x, hi, lo, coefficients):
    """The series of coefficients (of d, d^2, ...) at d = x - (hi + lo), a root
    given as a double-double (a compiled loop sums it with fused multiply-adds)."""
    d = (x - hi) - lo
    return horner(coefficients, d) * d


def _tanhshrink_np(x):
    # x - tanh(x), and the series only on the few elements where that cancels
    out = np.asarray(x - np.tanh(x))
    flat_x = np.asarray(x).reshape(-1)
    small = np.flatnonzero(np.abs(flat_x) < _SERIES_LIMIT)
    if small.size:
        v = flat_x[small]
        out.reshape(-1)[small] = v * v * v * _series(v * v)
    return out


def _tanhshrink_scalar(x):
    if abs(x) < _SERIES_LIMIT:
        return x * x * x * _series(x * x)
    return x - math.tanh(x)


def _tanhshrink_selects(x):
    """_tanhshrink_scalar with both computed and one kept (a compiled loop's select)."""
    near = x * x * x * _series(x * x)
    far = x - math.tanh(x)
    return near if abs(x) < _SERIES_LIMIT else far


_tanhshrink_scalar.loop_form = lambda: _tanhshrink_selects


TANHSHRINK = Primitive(
    name="tanhshrink",
    explicit=lambda x: x - sympy.tanh(x),
    derivatives=(lambda x: sympy.tanh(x) ** 2,),
    numpy=_tanhshrink_np, scalar=_tanhshrink_scalar,
    latex=r"\operatorname{{tanhshrink}}\left({0}\right)",
    description="x - tanh(x), without cancellation near 0",
)


_NDTR_FLUSH = -37.5   # below, scipy's ndtr returns 0 where Phi(x) is a subnormal number


def _normal_cdf_np(x):
    from scipy.special import log_ndtr, ndtr  # imported on first use: scipy is slow to import
    out = ndtr(x)
    far = np.flatnonzero(np.less(x, _NDTR_FLUSH))
    if far.size:
        out = np.asarray(out)
        out.reshape(-1)[far] = np.exp(log_ndtr(np.broadcast_to(x, out.shape).reshape(-1)[far]))
    return out


def _normal_cdf_torch(x):
    import torch
    # torch.special.ndtr underflows to 0 below about -26; erfc keeps the tail
    # (Phi(-35) = 1.1e-268, a normal float)
    return 0.5 * torch.special.erfc(-x / math.sqrt(2.0))


def _normal_cdf_scalar(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


NORMAL_CDF = Primitive(
    name="normal_cdf",
    explicit=lambda x: (1 + sympy.erf(x / sympy.sqrt(2))) / 2,
    derivatives=(lambda x: sympy.exp(-x ** 2 / 2) / sympy.sqrt(2 * sympy.pi),),
    numpy=_normal_cdf_np, scalar=_normal_cdf_scalar,
    latex=r"\Phi\left({0}\right)",
    description="the standard normal distribution function, accurate in both tails",
    extra_kernels={"jax": "jax.scipy.special.ndtr", "torch": _normal_cdf_torch},
)


def _new(x):
    """A new float64 array shaped like ``x``, for a kernel to fill in place."""
    return np.empty(np.shape(x))


def _softsign_np(x):
    out = np.abs(x, out=_new(x))
    out += 1.0
    return np.divide(x, out, out=out)


SOFTSIGN = Primitive(
    name="softsign",
    explicit=lambda x: x / (1 + sympy.Abs(x)),
    derivatives=(lambda x: 1 / (1 + sympy.Abs(x)) ** 2,),
    numpy=_softsign_np, scalar=lambda x: x / (1.0 + abs(x)),
    latex=r"\frac{{{0}}}{{1 + |{0}|}}",
    description="x/(1 + |x|), with the derivative 1/(1 + |x|)^2 (no cancellation)",
    extra_kernels={"jax": "jax.nn.soft_sign", "torch": "torch.nn.functional.softsign"},
)


# -- the slopes of the smooth activations, fused --------------------------------------------
# Each derivative below crosses zero at an irrational point x0. There its
# textbook form subtracts terms of size 1 and float64 keeps no relative
# digits; so within 2^-7 of x0 the kernels sum a Taylor series in
# d = (x - hi) - lo about x0 = hi + lo (a double-double: x - hi is exact),
# whose coefficients mpmath computes at first use. Elsewhere the closed form
# is accurate; it is written so that nothing overflows or goes subnormal
# where the result is a normal float.

_SERIES_LOCK = threading.Lock()


class _RootSeries:
    """f(x) near its zero x0 as a degree-7 Taylor series about a double-double x0.

    At the radius, the terms of degree 8 and 9 are at most 1e-17 and 3e-20 of
    the first (the slopes of silu, so of swish, of gelu, mish and gelu_tanh:
    gelu_tanh's the largest), under a tenth of its ulp: two more would cost a
    compiled loop four of its operations an element, for nothing."""

    RADIUS = 2.0 ** -7
    DEGREE = 7

    def __init__(self, formula, guess):
        self._formula, self._guess = formula, guess
        self._ready = None

    def _series(self):
        if self._ready is None:
            # the first arrays may come from several threads at once (large arrays
            # are evaluated in blocks on every core), and mpmath's precision is
            # one setting for the whole process: one thread works it out
            with _SERIES_LOCK:
                if self._ready is None:
                    self._ready = self._computed()
        return self._ready

    def _computed(self) -> tuple:
        import mpmath
        u = sympy.Symbol("u", real=True)
        f = sympy.lambdify(u, self._formula(u).rewrite("explicit"), "mpmath")
        with mpmath.workdps(60):
            root = mpmath.findroot(f, mpmath.mpf(self._guess))
            hi = float(root)
            lo = float(root - hi)
            coefficients = [float(c) for c in mpmath.taylor(f, root, self.DEGREE)][1:]
        return hi, lo, tuple(coefficients)

    def scalar(self, closed_form):
        """The kernel of floats: the series within the radius, else the closed form.
        (It calls ``_series_sum`` by name, so that the check admitting a compiled
        loop, which runs it with the loop's functions, sums as the loop does.)"""
        radius = self.RADIUS

        def scalar(x):
            hi, lo, coefficients = self._series()
            return _series_sum(x, hi, lo, coefficients) if abs(x - hi) < radius else \
                closed_form(x)
        return scalar

    def plain_scalar(self, closed_form):
        """:meth:`scalar` as a function of floats alone, its series fixed (what a
        compiled loop can call: numba cannot read this object)."""
        hi, lo, coefficients = self._series()
        radius = self.RADIUS

        def scalar(x):     # both computed, one kept: a select that LLVM vectorises
            near = _series_sum(x, hi, lo, coefficients)
            far = closed_form(x)
            return near if abs(x - hi) < radius else far
        return scalar

    def patch(self, x, out):
        """``out`` (the closed form at ``x``) with the series where x is near x0."""
        hi = self._series()[0]
        near = np.flatnonzero(np.abs(np.subtract(x, hi)) < self.RADIUS)
        if near.size:
            out = np.asarray(out, dtype=float)
            flat_x = np.broadcast_to(x, out.shape).reshape(-1)
            out.reshape(-1)[near] = _series_sum(flat_x[near], *self._series())
        return out


_T = sympy.Symbol("t", real=True)


def _fused(name, value, guess, numpy_closed, scalar_closed, description, heads, anchor):
    """A fused primitive for the slope of the activation ``value`` (a function of a
    SymPy argument), whose zero lies near ``guess``; its derivative calls ``heads``.

    Its formula is the derivative exactly as SymPy writes it, so that it
    stands for the slope wherever a formula's derivative contains it.
    ``anchor(u)`` is a part of that derivative which the activation itself
    lacks (``u*g'(u)`` or one of its factors): cheap to build, where the
    derivative costs 3-20 ms of a first evaluation, and absent from the
    activation's own value and from other formulas calling the same functions
    (``sigmoid'``).
    """
    def formula(u):     # as the catalog's formula differentiates (value may call primitives
        if isinstance(u, sympy.Symbol):                 # registered just before this one)
            return derivative(value(u), u.name)
        return derivative(value(_T), _T.name).xreplace({_T: u})

    def anchors(u):
        return (anchor(u),)

    series = _RootSeries(formula, guess)
    scalar = series.scalar(scalar_closed)
    scalar.loop_form = lambda: series.plain_scalar(scalar_closed)
    return Primitive(
        name=name, explicit=formula, anchors=anchors,
        derivatives=(lambda u: derivative(formula(_T), _T.name).xreplace({_T: u}),),
        numpy=lambda x: series.patch(x, numpy_closed(x)),
        scalar=scalar,
        latex=rf"{name.replace('_slope', '')}'\left({{0}}\right)",
        description=description, fuse=True, heads=heads)


# the core sigmoid's kernels (exact, including the subnormal tail below x = -708)
_sigmoid_np = get_backend("numpy").kernel(formula_function("sigmoid"))
_sigmoid = get_backend("math").kernel(formula_function("sigmoid"))


def _silu_slope_np(x):
    # s (1 + x (1 - s)): for x > 36, 1 - s is 0 or e^-x, either way below the rounding
    s = _sigmoid_np(x)
    out = np.subtract(1.0, s, out=_new(s))
    out *= x
    out += 1.0
    out *= s
    return out


SILU_SLOPE = _fused(
    "silu_slope", lambda u: u * sigmoid(u), -1.28,
    _silu_slope_np, lambda x: _sigmoid(x) * (1.0 + x * _sigmoid(-x)),
    "d/du u*sigmoid(u) = sigmoid(u)*(1 + u*sigmoid(-u)), exact near its zero u = -1.2785",
    ("sigmoid",), lambda u: u * sigmoid(u) * (1 - sigmoid(u)))

INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_slope_np(x):
    out = np.square(x, out=_new(x))
    out *= -0.5
    np.exp(out, out=out)
    out *= x
    out *= INV_SQRT_2PI
    out += _normal_cdf_np(x)
    return out


GELU_SLOPE = _fused(
    "gelu_slope", lambda u: u * primitive_class("normal_cdf")(u), -0.75,
    _gelu_slope_np,
    lambda x: x * INV_SQRT_2PI * math.exp(-0.5 * x * x) + _normal_cdf_scalar(x),
    "d/du u*Phi(u) = Phi(u) + u*phi(u), exact near its zero u = -0.7518",
    ("exp", "normal_cdf"), lambda u: sympy.exp(-u ** 2 / 2))


def _mish_parts(x, exp, clip):
    # tanh(softplus(x)) = n/(n + 2) with n = e(e + 2), e = exp(x); the slope is
    # n/w + 4x e (1 + e)/w^2, w = n + 2; exactly 1 beyond x = 40 (e^40 squared is finite),
    # and 0 below x = -800 (where x*e would be -inf*0)
    xc = clip(x)
    e = exp(xc)
    n = e * (e + 2.0)
    w = n + 2.0
    return n / w + (4.0 * xc * e) * ((1.0 + e) / (w * w))


MISH_SLOPE = _fused(
    "mish_slope", lambda u: u * sympy.tanh(softplus(u)), -1.19,
    lambda x: _mish_parts(x, np.exp, lambda v: np.clip(v, -800.0, 40.0)),
    lambda x: _mish_parts(x, math.exp, lambda v: min(max(v, -800.0), 40.0)),
    "d/du u*tanh(softplus(u)), exact near its zero u = -1.1924",
    ("sigmoid", "softplus", "tanh"), lambda u: 1 - sympy.tanh(softplus(u)) ** 2)


def _tanh_softplus_parts(x, exp, clip):
    # n/(n + 2), n = e(e + 2), e = exp(x): one exp, where tanh(log1p(exp(x))) takes
    # three; exactly 1 beyond x = 40, e itself (to 2.5 ulps) far below 0
    e = exp(clip(x))
    n = e * (e + 2.0)
    return n / (n + 2.0)


TANH_SOFTPLUS = Primitive(
    name="tanh_softplus",
    explicit=lambda u: sympy.tanh(softplus(u)),
    derivatives=(lambda u: derivative(sympy.tanh(softplus(_T)), _T.name).xreplace({_T: u}),),
    numpy=lambda x: _tanh_softplus_parts(x, np.exp, lambda v: np.minimum(v, 40.0)),
    scalar=lambda x: _tanh_softplus_parts(x, math.exp, lambda v: min(v, 40.0)),
    latex=r"\tanh\left(\operatorname{{softplus}}\left({0}\right)\right)",
    description="tanh(softplus(u)) from one exp: mish's factor",
    fuse=True, heads=("softplus", "tanh"))


# gelu_tanh(x) = x*sigmoid(2*sqrt(2/pi)*(x + 0.044715*x^3)), as the catalog writes it
GELU_TANH_A = 0.044715
GELU_TANH_C = 2.0 * math.sqrt(2.0 / math.pi)


def _gelu_tanh_parts(x, sigmoid_of, clip):
    # s (1 + x u' (1 - s)), u' = c (1 + 3a x^2): beyond |x| = 40 the slope is exactly
    # 1 or 0, so x is clipped there (no overflow of x^3, no inf*0); (1 - s) is either
    # accurate (s <= 1/2) or multiplied by x u' < 1e4, well below the rounding of 1
    xc = clip(x)
    x2 = xc * xc
    s = sigmoid_of(xc * (GELU_TANH_C + (GELU_TANH_C * GELU_TANH_A) * x2))
    slope = GELU_TANH_C + (3.0 * GELU_TANH_C * GELU_TANH_A) * x2
    return s * (1.0 + xc * slope * (1.0 - s))


GELU_TANH_SLOPE = _fused(
    "gelu_tanh_slope",
    lambda u: u * sigmoid(2 * sympy.sqrt(2 / sympy.pi) * (u + sympy.Float(GELU_TANH_A) * u ** 3)),
    -0.75,
    lambda x: _gelu_tanh_parts(x, _sigmoid_np, lambda v: np.clip(v, -40.0, 40.0)),
    lambda x: _gelu_tanh_parts(x, _sigmoid, lambda v: min(max(v, -40.0), 40.0)),
    "the slope of the tanh approximation of GELU, exact near its zero u = -0.7525",
    ("sigmoid",), lambda u: 3 * sympy.Float(GELU_TANH_A) * u ** 2 + 1)


# squareplus(x) = (x + h)/2 for x >= 0 and b/(2(h - x)) below (no cancellation), with
# h = hypot(x, sqrt(b)); both pieces hold q = |x| + h, so one hypot and one division
# serve both: value = q/2 or b/(2q), slope = q/(2h) or b/(2hq)
_hypot_np = get_backend("numpy").kernel(formula_function("hypot"))
_hypot = get_backend("math").kernel(formula_function("hypot"))
_SQUAREPLUS_CLIP = 1e300     # the slope's limits (1 above, 0 below) hold from here on
_LARGEST = np.finfo(float).max


def _squareplus(u, b):
    h = formula_function("hypot").head(u, sympy.sqrt(b))
    return sympy.Piecewise(((u + h) / 2, u >= 0), (b / (2 * (h - u)), True))


def _squareplus_np(x, b):
    # the pieces as the scalar kernel's, each finite on the other's side (x = -inf taken
    # as the largest float, where the value is 0 too), kept by a 0/1 mask: np.where
    # branches per element, slowly on data of random sign
    x = np.maximum(x, -_LARGEST)
    h = _hypot_np(x, np.sqrt(b))
    r = np.maximum(x, 0.0)
    r *= 0.5
    r += 0.5 * h
    down = np.minimum(x, 0.0)
    np.subtract(h, down, out=down)
    down *= 2.0
    np.divide(b, down, out=down)
    return _kept(x >= 0, r, down)


def _kept(up, if_up, otherwise):
    """if_up where ``up``, else otherwise (both finite): a mask and two products."""
    mask = up.astype(float)
    if_up *= mask
    np.subtract(1.0, mask, out=mask)
    otherwise *= mask
    otherwise += if_up
    return otherwise


def _squareplus_scalar(x, b):
    h = _hypot(x, math.sqrt(b))        # ValueError for b < 0: the array path gives nan
    r = 0.5 * abs(x) + 0.5 * h
    up = x >= 0
    return (r if up else b) / (1.0 if up else 4.0 * r)


def _squareplus_slope_np(x, b):
    x = np.clip(x, -_SQUAREPLUS_CLIP, _SQUAREPLUS_CLIP)
    h = _hypot_np(x, np.sqrt(b))
    r = np.abs(x)
    r *= 0.5
    r += 0.5 * h                       # q/2: the scalar kernel's q/(2h) is r/h
    down = np.multiply(h, r)
    down *= 4.0
    np.divide(b, down, out=down)
    np.divide(r, h, out=r)
    return _kept(x >= 0, r, down)


def _squareplus_slope_scalar(x, b):
    x = min(max(x, -_SQUAREPLUS_CLIP), _SQUAREPLUS_CLIP)     # (a nan stays nan)
    h = _hypot(x, math.sqrt(b))
    r = 0.5 * abs(x) + 0.5 * h
    up = x >= 0                        # one division for both pieces (a loop computes both)
    return (r if up else b) / (h if up else 4.0 * h * r)


def _squareplus_slope(u, b):
    if isinstance(u, sympy.Symbol):                # as the catalog's formula differentiates
        return derivative(_squareplus(u, b), u.name)
    return derivative(_squareplus(_T, b), _T.name).xreplace({_T: u})


def _derivative_by(f, position):
    """d f(u, b)/d(its argument ``position``), a function of (u, b)."""
    def rule(u, b):
        args = [u, b]
        args[position] = _T
        return derivative(f(*args), _T.name).xreplace({_T: (u, b)[position]})
    return rule


def _squareplus_kernel(name, explicit, by_x, numpy, scalar, latex, description):
    return Primitive(
        name=name, explicit=explicit, derivatives=(by_x, _derivative_by(explicit, 1)),
        numpy=numpy, scalar=scalar, latex=latex, description=description,
        fuse=True, heads=("Piecewise", "hypot"),
        anchors=lambda u, b: (formula_function("hypot").head(u, sympy.sqrt(b)),))


SQUAREPLUS_SLOPE = _squareplus_kernel(
    "squareplus_slope", _squareplus_slope, _derivative_by(_squareplus_slope, 0),
    _squareplus_slope_np, _squareplus_slope_scalar,
    r"\operatorname{{squareplus}}'\left({0}; {1}\right)",
    "squareplus's slope by x, one hypot and one division")

SQUAREPLUS = _squareplus_kernel(
    "squareplus_pieces", _squareplus, _squareplus_slope, _squareplus_np, _squareplus_scalar,
    r"\operatorname{{squareplus}}\left({0}; {1}\right)",
    "squareplus's pieces with one hypot and one division")
