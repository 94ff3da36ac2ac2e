"""exp, expm1, log, log1p, pow, tanh, cosh, sinh, sigmoid, frexp and ldexp that a compiled
loop vectorises.

A numba loop that calls ``math.exp`` calls the C library once per element;
NumPy and XLA run a vectorised exp instead, which is why a loop of silu's slope
took 12 ms per 1e6 elements on one core against NumPy's 1.4 and jax.jit's 1.2.
These functions are written without calls or branches that LLVM cannot turn
into selects (range reduction, a polynomial, and the power of 2 built from its
bits), so LLVM vectorises the loops that inline them.

They are not the C library's functions, and may differ from ``math.exp`` in the
last bit, as NumPy's own do. Measured against mpmath: exp within 0.6 ulp,
pow within 0.65 (log|b| as a double-double), tanh within 2.7 and sigmoid within
2.4 (each one quotient of Cephes' rational exp: 2.6x and 1.7x faster than a
0.6-ulp tanh and than exp and a division), expm1, log, log1p and cosh within
about 1 (the reductions keep the reduced argument as a double-double and add
its parts last), sinh within 1.71 (NumPy's: exp 0.64, expm1 0.5, log1p 0.52,
tanh 1.1; the C library's pow 0.5, which a plain loop calls at 19 ns an
element against this pow's 6). So the check that admits a compiled loop runs
the scalar code with these functions (``_jit``), and
tests/whitebox/test_compile_jit_accuracy.py checks every built-in's loop
against mpmath to 12 digits, as the NumPy code is.

frexp and ldexp are exact, as the C library's are: they give its bits.

Only for numba: the bit casts and the fused multiply-add are numba intrinsics
(``_intrinsics``).
``SUBSTITUTES`` maps the ``math`` functions to these (``_jit`` maps the sigmoid
kernel to :func:`sigmoid`, and ``_polynomials.horner`` to :func:`horner`, whose
steps are fused multiply-adds). ``log1p_or_log`` is log1p or log, chosen per element,
with one logarithm (for a kernel's loop form: ``_kernels`` imports this module,
not the other way round).
"""

from __future__ import annotations

import math
from math import copysign

from numba.extending import overload as _overload

from ._intrinsics import bits as _bits
from ._intrinsics import fma as _fma
from ._intrinsics import float_of_bits as _float

__all__ = ["exp", "exp_of_sum", "expm1", "log", "log1p", "log1p_or_log", "pow", "tanh", "cosh", "sinh",
           "sigmoid", "horner", "frexp", "ldexp", "SUBSTITUTES"]


_INF = math.inf
_NAN = math.nan
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01   # ln 2's 32 leading bits: k*_LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10   # ln 2 - _LN2_HI
_SHIFT = 6755399441055744.0            # 1.5 * 2**52: x + _SHIFT is x rounded, in its low bits
_SHIFT_BITS = 0x4338000000000000
_ONE_BITS = 0x3ff0000000000000
_TAYLOR = tuple(1.0 / math.factorial(n) for n in range(2, 14))   # 1/2!, ..., 1/13!


def _reduced(x, extra):
    """``(k, r, tail)`` with x + extra = k ln2 + w, |w| <= ln2/2 (about), and
    e**w - 1 = r + tail: r = x - k*_LN2_HI exactly, tail = the rest of w plus
    the Taylor terms from w^2 on (to degree 13: 4e-18 of e**w). ``extra`` is
    below x's ulp (the low half of a double-double x; else 0). tail is small, so
    a + r + tail is summed with one rounding (:func:`_plus`)."""
    n = _fma(x, _INV_LN2, _SHIFT)
    k = n - _SHIFT
    r = _fma(-k, _LN2_HI, x)
    low = _fma(-k, _LN2_LO, extra)
    w = r + low
    w2 = w * w
    w4 = w2 * w2
    c = _TAYLOR                        # 1/2!, ..., 1/13!: by Estrin's scheme (below)
    p = _fma(_fma(_fma(c[11], w, c[10]), w2, _fma(c[9], w, c[8])), w4 * w4,
             _fma(_fma(_fma(c[7], w, c[6]), w2, _fma(c[5], w, c[4])), w4,
                  _fma(_fma(c[3], w, c[2]), w2, _fma(c[1], w, c[0]))))
    return _bits(n) - _SHIFT_BITS, r, _fma(w2, p, low)


def _parts(a, r, tail):
    """``(s, low)`` with s + low = a + r + tail, for |a| >= |r| (or a = 0) and tail
    small: s = a + r rounded, and its error (Fast2Sum, exact) joins the tail."""
    s = a + r
    return s, ((a - s) + r) + tail


def _plus(a, r, tail):
    """a + r + tail rounded once (:func:`_parts`)."""
    s, low = _parts(a, r, tail)
    return s + low


def _power_of_two(k):
    """2**k for -1022 <= k <= 1023, from its bits."""
    return _float((k << 52) + _ONE_BITS)


_TWO_52_BITS = 0x4330000000000000
_TWO_52 = 4503599627370496.0


def _small_float(n):
    """float(n) for an integer 0 <= n < 2**52, exactly: 2**52 + n has n as its
    mantissa bits. (Processors without AVX-512 have no vector instruction that
    converts int64 to float64, so ``float(n)`` made LLVM convert one element at a
    time: a loop's log took 3.5 ms per 1e6 elements on an AMD EPYC core.)"""
    return _float(n | _TWO_52_BITS) - _TWO_52


def _scaled(m, k):
    """m * 2**k for -1076 <= k <= 1025, rounded once: two exact-range factors, so a
    subnormal result is rounded by the last product only."""
    half = k >> 1
    return (m * _power_of_two(half)) * _power_of_two(k - half)


def _power_times_exp(k, r, tail):
    """2**k e**w from :func:`_reduced`'s parts, rounded once by :func:`_scaled`."""
    return _scaled(_plus(1.0, r, tail), k)


def exp(x):
    """e**x within 0.6 ulp: inf above 709.78, 0 below -745.13, nan for nan."""
    x = 710.0 if x > 710.0 else x        # written so that a nan passes through
    x = -746.0 if x < -746.0 else x
    k, r, tail = _reduced(x, 0.0)
    return _power_times_exp(k, r, tail)


def exp_of_sum(a, b):
    """e**(a + b) within 0.6 ulp, for |a| >= |b| or a = 0: the sum kept as a
    double-double (Fast2Sum), so the digits of b below a's last bit count
    (erfc's tail: e**(-z*z - 0.5625 + R/S), -z*z exact). Limits as :func:`exp`."""
    s = a + b
    low = b - (s - a)
    c = 710.0 if s > 710.0 else s        # a nan passes through
    c = -746.0 if c < -746.0 else c
    k, r, tail = _reduced(c, low if c == s else 0.0)
    return _power_times_exp(k, r, tail)


def _minus_one(k, r, tail):
    """2**k e**w - 1 from :func:`_reduced`'s parts, rounded once: (2**k - 1) and
    2**k r are exact, the tail joins last (k capped at 1010, where the 1 is far
    below the ulp and the caller takes e**x itself)."""
    t = _power_of_two(k if k < 1011 else 1010)
    return _plus(t - 1.0, t * r, t * tail)


def expm1(x):
    """e**x - 1 within about 1 ulp, keeping the digits of small x: (2**k - 1) + 2**k expm1(r)
    (exact products, the sum rounded once), and e**x itself above 700 (where the 1
    is below its ulp)."""
    c = 710.0 if x > 710.0 else x
    c = -40.0 if c < -40.0 else c        # e**-40 - 1 rounds to -1
    k, r, tail = _reduced(c, 0.0)
    near = _minus_one(k, r, tail)
    near = x if x == 0.0 else near                # -0.0 keeps its sign
    return _power_times_exp(k, r, tail) if c > 700.0 else near


def cosh(x):
    """cosh x within 1 ulp, as h + 1/(4h) with h = e**|x| / 2 (the halving
    exact in the exponent: finite up to 710.47, where e**|x| alone overflows)."""
    a = abs(x)
    k, r, tail = _reduced(711.0 if a > 711.0 else a, 0.0)   # (a nan passes through)
    h = _power_times_exp(k - 1, r, tail)               # inf from 710.48 on
    return h + 0.25 / h


def sinh(x):
    """sinh x within 2 ulps (1.71 measured), with the sign of x: (s + s/(s + 1))/2 with
    s = e**|x| - 1 (no cancellation near 0) below |x| = 22, e**|x| / 2 from
    there (the halving exact in the exponent: finite up to 710.47)."""
    a = abs(x)
    k, r, tail = _reduced(711.0 if a > 711.0 else a, 0.0)   # (a nan passes through)
    s = _minus_one(k, r, tail)                              # e**a - 1
    near = 0.5 * (s + s / (s + 1.0))
    far = _power_times_exp(k - 1, r, tail)                  # inf from 710.48 on
    return copysign(near if a < 22.0 else far, x)


_LG1 = 6.666666666666735130e-01   # fdlibm's log: log(1+f) = f - f*f/2 + s*(f*f/2 + R(s*s))
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF_BITS = 0x3fe6a09e00000000   # the top word of sqrt(1/2): mantissas in [0.707, 1.414)
_MANTISSA = 0x000fffffffffffff


def _log_normal(w):
    """log w for a positive normal finite w, within 1 ulp (fdlibm's reduction)."""
    bits = _bits(w) + (_ONE_BITS - _SQRT_HALF_BITS)
    k = _small_float(bits >> 52) - 1023.0
    f = _float((bits & _MANTISSA) + _SQRT_HALF_BITS) - 1.0
    s = f / (2.0 + f)
    z = s * s
    w2 = z * z
    even = w2 * _fma(w2, _fma(w2, _LG6, _LG4), _LG2)
    r = _fma(z, _fma(w2, _fma(w2, _fma(w2, _LG7, _LG5), _LG3), _LG1), even)
    half_square = 0.5 * f * f
    return _fma(k, _LN2_HI, -((half_square - _fma(s, half_square + r, k * _LN2_LO)) - f))


_TINY = 2.2250738585072014e-308
_SMALL = 2.0 ** -16
_ATANH_TOP = 2.0 / 23.0
_ATANH = tuple(2.0 / (2 * n + 1) for n in range(10, 0, -1))   # 2/21, ..., 2/3


def _log_parts(w, shift):
    """``(hi, lo)``: log(w / 2**shift) for a positive normal finite w, as a
    double-double within about 2**-59 of it: w = 2**k m, log m = 2 atanh(s)
    with s = (m - 1)/(m + 1) = s_hi + s_lo, 2 s_hi exact, and the series' rest
    (about 1% of the whole, to z**11: its roundings count for 2**-60) from s_hi."""
    bits = _bits(w) + (_ONE_BITS - _SQRT_HALF_BITS)
    k = _small_float(bits >> 52) - (1023.0 + shift)
    f = _float((bits & _MANTISSA) + _SQRT_HALF_BITS) - 1.0     # exact
    d = 2.0 + f
    d_low = (2.0 - d) + f                                       # 2 + f = d + d_low
    inverse = 1.0 / d                                           # one division for both parts
    s = f * inverse
    s_low = (_fma(-s, d, f) - s * d_low) * inverse
    z = s * s
    series = _ATANH_TOP
    for c in _ATANH:
        series = _fma(series, z, c)                             # 2/3 + 2z/5 + ... + 2z^10/23
    head = k * _LN2_HI                                          # exact: 32 bits times k
    hi, lo = _parts(head, 2.0 * s,                              # |head| >= |2s| or head = 0
                    _fma(k, _LN2_LO, _fma(s * z, series, 2.0 * s_low)))
    total = hi + lo
    return total, (hi - total) + lo


def _subnormal_scaled(x):
    """x * 2**1074 for a subnormal x >= 0, exactly, without arithmetic on x: its
    bits are that integer. (An operation on a subnormal takes the processor some
    100 cycles: log(max(y, 5e-324)) ran 5x slower on data with 10% zeros.)"""
    return _small_float(_bits(x))


def _whole(v):
    """Whether v is an integer (inf counts as one, as in C's pow)."""
    t = abs(v)
    return ((t + _TWO_52) - _TWO_52 == t) | (t >= _TWO_52)


def pow(b, g):
    """b**g as the C library's pow gives it (its zeros, infinities, nan and the
    signs of negative bases), within 0.65 ulp up to overflow: log|b| is a
    double-double, g log|b| too, and e**(g log|b|) takes its low half (one
    rounding of g log|b| = 700 would be 80 ulps of the result)."""
    a = abs(b)
    tiny = a < _TINY
    normal = (a > 0.0) & (a < _INF)
    hi, lo = _log_parts((_subnormal_scaled(a) if tiny else a) if normal else 1.0,
                        1074.0 if tiny else 0.0)
    hi = hi if normal else (-_INF if a == 0.0 else a)          # log 0, log inf, nan
    y = g * hi
    y_low = _fma(g, hi, -y) + g * lo
    inside = (y > -746.0) & (y < 710.0)                        # where e**y is not clamped
    c = 710.0 if y > 710.0 else y                               # a nan passes through
    c = -746.0 if c < -746.0 else c
    k, r, tail = _reduced(c, y_low if inside else 0.0)
    size = _power_times_exp(k, r, tail)
    size = 1.0 if (g == 0.0) | (a == 1.0) else size
    whole = _whole(g)
    size = _NAN if (b < 0.0) & (b > -_INF) & (not whole) else size
    odd = whole & (not _whole(0.5 * g))
    return -size if odd & (copysign(1.0, b) < 0.0) else size


def log(x, base=None):
    """The natural logarithm within 1 ulp: -inf at 0, nan below, inf at inf; with a
    base, log(x)/log(base), as math.log computes it."""
    if base is None:
        return _natural_log(x)
    return _natural_log(x) / _natural_log(base)


def _natural_log(x):
    subnormal, w = _log_argument(x)
    return _log_from(x, subnormal, _log_normal(w))


def _log_argument(x):
    """``(subnormal, w)``: what :func:`_log_normal` takes for log x (a subnormal
    x scaled, and 1 for a zero, a negative x, inf or nan: answered by :func:`_log_from`)."""
    subnormal = x < _TINY
    w = _subnormal_scaled(x) if subnormal else x    # (below 0 too: answered below)
    w = 1.0 if not w < _INF else w   # inf, nan: their answer is chosen below
    return subnormal, (1.0 if w <= 0.0 else w)


def _log_from(x, subnormal, logged):
    """log x from ``logged``, :func:`_log_normal` of :func:`_log_argument`'s w."""
    y = logged - (1074.0 * _LN2_HI + 1074.0 * _LN2_LO if subnormal else 0.0)
    y = -_INF if x == 0.0 else y
    y = _NAN if x < 0.0 else y
    return x if not x < _INF else y     # inf and nan give themselves


def log1p(u):
    """log(1 + u) within about 1 ulp: log of w = 1 + u rounded, plus the rounding
    (u - (w - 1)) / w that it lost; below 2**-16 in size, four terms of its series."""
    w, safe = _log1p_argument(u)
    return _log1p_from(u, w, safe, _log_normal(safe))


def _log1p_argument(u):
    """``(w, safe)``: 1 + u rounded, and what :func:`_log_normal` takes for
    log1p(u) (1 where w is not a positive finite float: answered by :func:`_log1p_from`)."""
    w = 1.0 + u
    return w, (w if (w > 0.0) & (w < _INF) else 1.0)


def _log1p_from(u, w, safe, logged):
    """log1p(u) from ``logged``, :func:`_log_normal` of :func:`_log1p_argument`'s safe."""
    y = logged + (u - (safe - 1.0)) / safe
    y = y if (w > 0.0) & (w < _INF) else (-_INF if w == 0.0 else _NAN)
    y = u + (u * u) * (-0.5 + u * (1.0 / 3.0 - 0.25 * u)) if abs(u) < _SMALL else y
    return u if u == _INF else y


def log1p_or_log(near, u, x):
    """log1p(u) where ``near``, else log x: :func:`log1p`'s and :func:`log`'s
    values bit for bit, with one :func:`_log_normal` for both. A compiled loop
    computes both sides of a choice, and ``_kernels.log_of_sum_math`` (log1p of
    the exact a + b - 1 next to 1, log(a + b) elsewhere) took two logarithms an
    element: 10 ns, poisson_nll_rate's whole loop."""
    w, safe = _log1p_argument(u)
    subnormal, v = _log_argument(x)
    logged = _log_normal(safe if near else v)
    return _log1p_from(u, w, safe, logged) if near else _log_from(x, subnormal, logged)


_EXPONENT = 0x7ff0000000000000
_HALF_BITS = 0x3fe0000000000000


def horner(coefficients, z):
    """:func:`._polynomials.horner` with a fused multiply-add a step (what a compiled
    loop calls instead: one rounding a step, half the operations), unrolled."""
    return _unrolled_horner(coefficients, z)


def _unrolled_horner(coefficients, z):
    """Only for numba (see the overload below)."""
    raise NotImplementedError("compiled loops only")


@_overload(_unrolled_horner, inline="always")
def _unrolled_horner_code(coefficients, z):
    """The steps written out for the tuple's length: LLVM vectorises only a loop
    without a loop inside, and left a loop over 20 coefficients as it was (celu's
    slope by alpha: one element at a time, 15 ns each)."""
    count = len(coefficients)
    lines = ["def unrolled(coefficients, z):", f"    total = coefficients[{count - 1}]"]
    lines += [f"    total = fma(total, z, coefficients[{i}])" for i in range(count - 2, -1, -1)]
    namespace = {"fma": _fma}
    exec("\n".join(lines + ["    return total"]), namespace)
    return namespace["unrolled"]


def frexp(x):
    """``(m, e)`` with x = m * 2**e and 0.5 <= |m| < 1, from the bits (subnormals
    scaled by 2**1074 first); (x, 0) for a zero, inf or nan, as math.frexp. Exact."""
    subnormal = abs(x) < _TINY
    s = copysign(_subnormal_scaled(abs(x)), x) if subnormal else x
    bits = _bits(s)
    e = ((bits & _EXPONENT) >> 52) - (1022 + 1074 if subnormal else 1022)
    m = _float((bits & ~_EXPONENT) | _HALF_BITS)
    special = (x == 0.0) | (not abs(x) < _INF)
    return (x if special else m), (0 if special else e)


def ldexp(m, e):
    """m * 2**e rounded once, as math.ldexp (without its OverflowError: inf). The
    exponent is applied in two steps that keep the first product normal and exact."""
    f, k = frexp(m)
    total = k + e
    total = 1100 if total > 1100 else (-1100 if total < -1100 else total)
    first = total >> 1 if total >= -1000 else -1000
    return (f * _power_of_two(first)) * _power_of_two(total - first)


# Cephes' exp on |r| <= ln2/2: e**r = (Q + rP)/(Q - rP), P and Q polynomials in r**2
_EXP_P = (1.26177193074810590878e-4, 3.02994407707441961300e-2)        # P = 1 + r^2 (...)
_EXP_Q = (3.00198505138664455042e-6, 2.52448340349684104192e-3,
          2.27265548208155028766e-1, 2.0)


def _rational_exp(a):
    """``(k, q, rp)`` with e**a = 2**k (q + rp)/(q - rp) for |a| <= 746: a = k ln2 + r,
    |r| <= ln2/2, and Cephes' rational e**r, one quotient of polynomials in r
    (q near 2, |rp| <= 0.35)."""
    n = _fma(a, _INV_LN2, _SHIFT)
    k = n - _SHIFT
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, a))
    z = r * r
    rp = _fma(r * z, _fma(_EXP_P[0], z, _EXP_P[1]), r)              # r P, its leading r exact
    q = _fma(_fma(_fma(_EXP_Q[0], z, _EXP_Q[1]), z, _EXP_Q[2]), z, _EXP_Q[3])
    return _bits(n) - _SHIFT_BITS, q, rp


def tanh(x):
    """tanh x within 2.7 ulps, with one division and no separate exp: with
    e**2|x| = t N/D, t = 2**k, N = q + rp, D = q - rp (:func:`_rational_exp`),
    tanh|x| = (t N - D)/(t N + D) = ((t - 1)q + (t + 1)rp) / ((t + 1)q + (t - 1)rp):
    for k = 0 it is rp/q, without the cancellation of e**2x - 1. 1.4 ns per
    element on the benchmarks' AMD EPYC core, against 3.6 for a 0.6-ulp tanh
    built on :func:`expm1`'s reduction (jax.jit's: 1.1 ns, 6.5 ulps; NumPy's:
    19 ns, 1.1 ulps)."""
    y = 2.0 * abs(x)
    k, q, rp = _rational_exp(40.0 if y > 40.0 else y)   # 1 from |x| = 19.06 on (a nan stays)
    t = _power_of_two(k)                          # t - 1 and t + 1 exact (k <= 58)
    return copysign(_fma(t - 1.0, q, (t + 1.0) * rp) / _fma(t + 1.0, q, (t - 1.0) * rp), x)


def sigmoid(x):
    """1/(1 + e**-x) within 2.4 ulps, with one division and no separate exp: with
    e**-|x| = 2**-k D/N (:func:`_rational_exp`), sigmoid|x| = N/(N + 2**-k D) and
    sigmoid(-|x|) = 2**-k D/(N + 2**-k D), the power of 2 applied last, as exp
    applies it (the subnormal tail below x = -708 is kept). 1.4 ns per
    element on the benchmarks' AMD EPYC core against 2.4 for exp and a division;
    the value of the kernel ``_kernels.sigmoid_math`` in compiled loops."""
    a = abs(x)
    k, q, rp = _rational_exp(746.0 if a > 746.0 else a)   # (a nan passes through)
    big, small = q + rp, q - rp
    quotient = (big if x >= 0.0 else small) / (big + _scaled(small, -k))
    return quotient if x >= 0.0 else _scaled(quotient, -k)


# what a compiled loop calls instead of the math module's function
SUBSTITUTES = {math.exp: exp, math.expm1: expm1, math.log: log, math.log1p: log1p,
               math.pow: pow, math.tanh: tanh, math.cosh: cosh, math.sinh: sinh,
               math.frexp: frexp,
               math.ldexp: ldexp}
