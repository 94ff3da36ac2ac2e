"""Primitive functions the loss pack contributes (see ``neurogebra_primitives``)."""

import functools
import math

import numpy as np
import sympy

from neurogebra import Primitive
from neurogebra.symbolic import derivative, primitive_class

LOG_FLOOR = -100.0                 # PyTorch clamps log() at -100 in BCE
_SWITCH = 20.0                     # beyond, log(cosh x) = |x| - log 2 + log1p(exp(-2|x|))


def _log_cosh_np(x):
    # log(cosh(min(|x|, 20))) + (|x| - 20 beyond): past 20, log cosh grows as |x| to
    # within e^-40 (below the rounding); no select, one transcendental pair
    a = np.abs(np.asarray(x, dtype=float))
    s = np.asarray(np.minimum(a, _SWITCH))
    a = np.asarray(a)
    s *= 0.5
    np.sinh(s, out=s)
    s *= s
    s *= 2.0
    np.log1p(s, out=s)
    a -= _SWITCH
    np.maximum(a, 0.0, out=a)
    s += a
    return s


def _log_cosh_scalar(x):
    a = abs(x)
    if a < _SWITCH:
        h = math.sinh(a / 2.0)
        return math.log1p(2.0 * (h * h))   # h * h: one rounding, as np.square's
    return a - math.log(2.0) + math.log1p(math.exp(-2.0 * a))


def _log_cosh_array(xp, softplus):
    def kernel(x):
        a = xp.abs(x)
        return a + softplus(-2.0 * a) - math.log(2.0)
    return kernel


def _log_cosh_jax(x):
    import jax
    import jax.numpy as jnp
    return _log_cosh_array(jnp, jax.nn.softplus)(x)


def _log_cosh_torch(x):
    import torch
    return _log_cosh_array(torch, lambda u: torch.log1p(torch.exp(u)))(x)


LOG_COSH = Primitive(
    name="log_cosh",
    explicit=lambda x: sympy.log(sympy.cosh(x)),
    derivatives=(lambda x: sympy.tanh(x),),
    numpy=_log_cosh_np, scalar=_log_cosh_scalar,
    latex=r"\log\cosh\left({0}\right)",
    description="log(cosh(x)), accurate near 0 and finite for every float",
    extra_kernels={"jax": _log_cosh_jax, "torch": _log_cosh_torch},
)


def _clamped_log_np(p):
    # log(0) = -inf becomes -100 (neurogebra keeps that divide-by-zero quiet,
    # since it does not reach the result); a negative "probability" gives nan.
    return np.maximum(np.log(p), LOG_FLOOR)


def _clamped_log_scalar(p):
    # math.log(0) raises; the caller then takes the array path, which gives -100
    return max(math.log(p), LOG_FLOOR)


def _clamped_log_jax(p):
    import jax.numpy as jnp
    # log(max(p, tiny)): the gradient is 0 below the clamp, never 0 * inf;
    # a negative "probability" stays nan, as in NumPy
    return jnp.where(p < 0, jnp.nan, jnp.log(jnp.maximum(p, math.exp(LOG_FLOOR))))


def _clamped_log_torch(p):
    import torch
    clamped = torch.log(torch.clamp(p, min=math.exp(LOG_FLOOR)))
    return torch.where(p < 0, torch.full_like(p, math.nan), clamped)


CLAMPED_LOG = Primitive(
    name="clamped_log",
    explicit=lambda p: sympy.log(sympy.Max(p, sympy.exp(LOG_FLOOR))),
    derivatives=(lambda p: sympy.Piecewise((1 / p, p > sympy.exp(LOG_FLOOR)), (0, True)),),
    numpy=_clamped_log_np, scalar=_clamped_log_scalar,
    latex=r"\max\left(\log {0}, -100\right)",
    description="max(log(p), -100), PyTorch's clamped log in binary cross-entropy",
    extra_kernels={"jax": _clamped_log_jax, "torch": _clamped_log_torch},
)


def _clamped_log1m_np(p):
    # log(1 - p) through log1p: exact for tiny p; p = 1 gives the floor, p > 1 nan.
    return np.maximum(np.log1p(-p), LOG_FLOOR)


def _clamped_log1m_scalar(p):
    return max(math.log1p(-p), LOG_FLOOR)


def _clamped_log1m_jax(p):
    import jax.numpy as jnp
    inside = p < 1
    value = jnp.where(inside, jnp.log1p(-jnp.where(inside, p, 0.0)), LOG_FLOOR)
    return jnp.where((p > 1) | jnp.isnan(p), jnp.nan, value)   # as NumPy: nan outside [.., 1]


def _clamped_log1m_torch(p):
    import torch
    inside = p < 1
    value = torch.where(inside, torch.log1p(-torch.where(inside, p, torch.zeros_like(p))),
                        torch.full_like(p, LOG_FLOOR))
    return torch.where((p > 1) | torch.isnan(p), torch.full_like(p, math.nan), value)


CLAMPED_LOG1M = Primitive(
    name="clamped_log1m",
    explicit=lambda p: sympy.log(sympy.Max(1 - p, sympy.exp(LOG_FLOOR))),
    derivatives=(lambda p: sympy.Piecewise((-1 / (1 - p), p < 1), (0, True)),),
    numpy=_clamped_log1m_np, scalar=_clamped_log1m_scalar,
    latex=r"\max\left(\log(1 - {0}), -100\right)",
    description="max(log(1 - p), -100), accurate for p near 0 (the other half of BCE)",
    extra_kernels={"jax": _clamped_log1m_jax, "torch": _clamped_log1m_torch},
)


# -- slopes of losses, fused --------------------------------------------------------------
# Each primitive below stands for one derivative exactly as SymPy writes it
# from the catalog's formula (``fuse=True``): code generation computes that
# derivative with these kernels, the printed derivative keeps its textbook form.

_DUMMIES = sympy.symbols("_p _y _e", real=True)


def _fused_slope(name, value, wrt, uses, numpy, scalar, description, heads, anchors=None):
    """A fused primitive for d value(p, y, ...)/d(argument ``wrt``); it takes the
    arguments ``uses`` (positions) that the derivative depends on, calls ``heads``
    and surely contains ``anchors(*arguments)`` (see ``Primitive.anchors``)."""
    arity = value.__code__.co_argcount

    def slope(*args):
        full = list(_DUMMIES[:arity])
        for position, a in zip(uses, args):
            full[position] = a
        if isinstance(full[wrt], sympy.Symbol):     # as the catalog's formula differentiates
            return derivative(value(*full), full[wrt].name)
        return derivative(value(*_DUMMIES[:arity]), _DUMMIES[wrt].name).xreplace(
            {_DUMMIES[i]: a for i, a in zip(uses, args)})

    def rule(i):
        return lambda *args: derivative(slope(*_DUMMIES[:len(uses)]), _DUMMIES[i].name).xreplace(
            dict(zip(_DUMMIES, args)))

    return Primitive(name=name, explicit=slope, derivatives=tuple(rule(i) for i in range(len(uses))),
                     numpy=numpy, scalar=scalar, description=description, fuse=True,
                     heads=heads, anchors=anchors)


def _bce(p, y):
    return -(y * primitive_class("clamped_log")(p) + (1 - y) * primitive_class("clamped_log1m")(p))


_LOG_FLOOR_P = math.exp(LOG_FLOOR)


def _bce_slope_scalar(p, y):
    if p >= 1.0:
        return -y / p if p > _LOG_FLOOR_P else 0.0
    if p <= _LOG_FLOOR_P:
        return (1.0 - y) / (1.0 - p)
    return (p - y) / (p * (1.0 - p))      # p - y is exact next to the zero p = y


def _bce_slope_one_division(p, y):
    """_bce_slope_scalar for a compiled loop: each piece is a quotient, so the
    numerator and denominator are selected and divided once (no branch, one
    division where the scalar code's three made the loop 1.7 ns per element);
    the same values, bit for bit."""
    high, low = p >= 1.0, p <= _LOG_FLOOR_P
    numerator = (-y if p > _LOG_FLOOR_P else 0.0) if high else ((1.0 - y) if low else p - y)
    denominator = p if high else ((1.0 - p) if low else p * (1.0 - p))
    return numerator / denominator


_bce_slope_scalar.loop_form = lambda: _bce_slope_one_division


def _bce_slope_np(p, y):
    # the middle formula alone where every p is inside the clamps (two read-only
    # reductions tell; the usual case), else the pieces by selects
    with np.errstate(divide="ignore", invalid="ignore"):
        middle = np.subtract(p, y)
        middle /= np.multiply(p, np.subtract(1.0, p))
        if np.ndim(middle) and np.min(p) > _LOG_FLOOR_P and np.max(p) < 1.0:
            return middle
        return np.where(p >= 1.0, np.where(p > _LOG_FLOOR_P, -y / p, 0.0),
                        np.where(p <= _LOG_FLOOR_P, (1.0 - y) / (1.0 - p), middle))


@functools.lru_cache(maxsize=1024)
def _bce_anchors(p, y):
    # the derivative rules of the clamped logs at p (1/p above the clamp, else 0),
    # which bce's slope is built of: any formula with a piecewise part calls its
    # heads, and building the slope costs 5 to 10 ms a pair of arguments
    return tuple(primitive_class(name).primitive.derivatives[0](p)
                 for name in ("clamped_log", "clamped_log1m"))


BCE_SLOPE = _fused_slope(
    "bce_slope", _bce, 0, (0, 1), _bce_slope_np, _bce_slope_scalar,
    "d/dp of binary cross-entropy, (p - y)/(p (1 - p)) between PyTorch's clamps",
    ("Piecewise",), _bce_anchors)


def _log_odds_scalar(p):
    if 0.25 <= p <= 0.75:
        return math.log1p((1.0 - 2.0 * p) / p)     # 1 - 2p is exact here
    # log(p) below 0 is nan on every path (math.log raises there, a loop gives nan)
    return _clamped_log1m_scalar(p) - (max(math.log(p), LOG_FLOOR) if p != 0 else LOG_FLOOR)


def _log_odds_np(p):
    # log((1 - q)/q) = log1p((1 - 2q)/q) for q = min(p, 1 - p) <= 1/2 (1 - p is exact
    # there, 1 - 2q has no cancellation), signed; the clamps of the logs at -100
    # make it at most 100 (q < e^-100, where log(1 - q) is below the rounding of 100)
    q = np.minimum(p, np.subtract(1.0, p))
    with np.errstate(divide="ignore"):
        out = np.log1p((1.0 - 2.0 * q) / q)
    return np.copysign(np.minimum(out, -LOG_FLOOR), np.subtract(0.5, p))


BCE_LOG_ODDS = _fused_slope(
    "bce_log_odds", _bce, 1, (0,), _log_odds_np, _log_odds_scalar,
    "d/dy of binary cross-entropy, log((1 - p)/p) clamped as PyTorch; exact near p = 1/2",
    ("clamped_log", "clamped_log1m"))


def _mape(p, y, e):
    return 100 * sympy.Abs(y - p) / sympy.Max(sympy.Abs(y), e)


def _mape_slope_scalar(p, y, e):
    d = p - y
    scale = -100.0 * ((d > 0) - (d < 0)) if d == d else d     # -100 sign(p - y); nan stays
    if abs(y) < e:
        return scale / e
    if y == 0.0:                   # eps = 0: the float division of the array path
        return math.copysign(math.inf, scale * p) if scale * p else math.nan
    # scale p/(y |y|) on the mantissas, then the exponents: one rounding where
    # the result is subnormal, none of the intermediates over- or underflows
    mp, j = math.frexp(p)
    my, k = math.frexp(y)
    core = scale * mp / (my * abs(my))
    if math.frexp(core)[1] + j - 2 * k > 1024:      # beyond the largest float
        return math.copysign(math.inf, core)
    return math.ldexp(core, j - 2 * k)


def _mape_slope_selects(p, y, e):
    """_mape_slope_scalar as a compiled loop computes it fast: selects, not
    branches, and one division an element. Where 100 p, y |y| and their quotient
    are normal floats (or 100 p is 0), the quotient taken directly is rounded as
    the mantissas' (scaling by powers of 2 is exact); elsewhere the loop gives
    nan, and NumPy's code (the same values as the scalar kernel) computes that
    element. Below eps, sign(scale)*(100/e) is scale/e, with 100/e taken once."""
    d = p - y
    scale = -100.0 * ((d > 0) - (d < 0)) if d == d else d
    top = scale * p
    bottom = y * abs(y)
    quotient = top / bottom
    exact = _is_normal(bottom) & ((top == 0.0) | (_is_normal(top) & _is_normal(quotient)))
    far = quotient if exact else math.nan
    return (scale * 0.01) * (100.0 / e) if abs(y) < e else far


def _is_normal(v):
    return (abs(v) >= _SMALLEST_NORMAL) & (abs(v) < math.inf)


_SMALLEST_NORMAL = 2.2250738585072014e-308


_mape_slope_scalar.loop_form = lambda: _mape_slope_selects


def _mape_slope_np(p, y, e):
    # -100 sign(p - y) p/(y |y|) for |y| >= eps: three roundings, no cancellation and
    # no select; a block where an intermediate over- or underflows (p or y beyond
    # 1e±150, say) is redone on mantissas and exponents as the scalar kernel does
    a = np.abs(y)
    scale = np.sign(np.subtract(p, y))
    scale *= -100.0
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="raise", under="raise"):
            inside = scale * p
            inside /= y * a
    except FloatingPointError:
        with np.errstate(all="ignore"):
            mp, j = np.frexp(p)
            my, k = np.frexp(y)
            inside = np.ldexp(scale * mp / (my * np.abs(my)), j - 2 * k)
    near = a < e
    if not near.any():
        return inside
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(near, scale / e, inside)


def _mape_anchors(p, y, e):
    # |p - y| and the step of max(|y|, eps): without them, each of the candidate
    # triples of a formula's symbols would cost a derivative (27 for mape's own)
    return sympy.Abs(p - y), sympy.Heaviside(sympy.Abs(y) - e, 1)


MAPE_SLOPE = _fused_slope(
    "mape_target_slope", _mape, 1, (0, 1, 2), _mape_slope_np, _mape_slope_scalar,
    "d/dy of the absolute percentage error, -100 sign(p - y) p/(y |y|) for |y| >= eps",
    ("Abs", "Heaviside", "sign"), _mape_anchors)
