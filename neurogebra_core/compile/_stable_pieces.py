"""Stable rewrites of piecewise functions and steps (used by compile._stable).

Selects (``np.where``) mispredict on data of random sign and evaluate every
piece; these rewrites turn the common shapes of piecewise built-ins into
clamps, kink splits and 0/1 indicators, which are exact, and keep steps from
turning an overflow in a piece not taken into nan.
"""

from __future__ import annotations

import functools
import math
import sys

import sympy

from ..symbolic import STABLE_HEADS

__all__ = ["factor_of", "masked", "exact_kink", "clamp", "symmetric_clamp", "flat", "select",
           "exact_float"]

_H = STABLE_HEADS


def factor_of(term, head):
    """``(k, node)`` when ``term`` is ``k*node`` with ``node`` a ``head`` call, else None."""
    factors = term.args if term.is_Mul else (term,)
    for f in factors:
        if isinstance(f, head):
            return term / f, f
    return None


_MASK_SAFE = (sympy.Heaviside, sympy.Max, sympy.Min, sympy.Abs, sympy.sign)


def masked(mul):
    """Heaviside(c, h)*rest -> where(c, rest, 0) when rest may overflow where the mask
    is 0 (a division or a function): the step's 0 times inf would be nan."""
    found = factor_of(mul, sympy.Heaviside)
    if found is None:
        return mul
    rest, step = found
    c, h0 = step.args if len(step.args) == 2 else (step.args[0], None)
    if h0 not in (0, 1):
        return mul
    risky = any(p.exp.is_negative for p in rest.atoms(sympy.Pow)) or any(
        not isinstance(f, _MASK_SAFE) for f in rest.atoms(sympy.Function))
    if not risky:
        return mul
    return sympy.Piecewise((rest, c >= 0 if h0 == 1 else c > 0), (0, True))


def exact_kink(piecewise):
    """Conditions c > |a - b| (and the like) of a piecewise with an abs_diff_minus(a, b, c)
    piece decided by that exact residual, not by the rounded |a - b|."""
    residuals = {(r.args[0], -r.args[1], r.args[2]): r
                 for r in piecewise.atoms(_H["abs_diff_minus"])}

    def exact(rel):
        for side, other, flip in ((rel.rhs, rel.lhs, False), (rel.lhs, rel.rhs, True)):
            if isinstance(side, sympy.Abs) and side.args[0].is_Add \
                    and len(side.args[0].args) == 2:
                a, b = side.args[0].args
                for key in ((a, b, other), (b, a, other)):
                    if key in residuals:
                        r = residuals[key]
                        return rel.func(r, 0) if flip else rel.func(0, r)
        return rel
    if not residuals:
        return piecewise
    return piecewise.replace(lambda e: e.is_Relational, exact)


def _bound(cond, u):
    """("lower", a) when ``cond`` is u <= a or u < a, ("upper", a) for u >= a or u > a."""
    if not cond.is_Relational or isinstance(cond, (sympy.Eq, sympy.Ne)):
        return None
    lhs, rhs, op = cond.lhs, cond.rhs, cond.rel_op
    if rhs == u:
        lhs, rhs, op = rhs, lhs, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    if lhs != u or rhs.has(u):
        return None
    return ("lower" if op in ("<", "<=") else "upper"), rhs


def clamp(piecewise):
    """Piecewise((lo, u <= a), (hi, u >= b), (g(u), True)) with g increasing, g(a) = lo and
    g(b) = hi -> clip(g(u), lo, hi): relu6, hardtanh, hardsigmoid in one pass, no select."""
    args = list(piecewise.args)
    if len(args) == 2 and isinstance(args[1][0], sympy.Piecewise) and args[1][1] is sympy.true:
        args = args[:1] + list(args[1][0].args)
    if len(args) != 3 or args[2][1] is not sympy.true:
        return piecewise
    (v1, c1), (v2, c2), (g, _) = args
    for u in g.free_symbols:
        b1, b2 = _bound(c1, u), _bound(c2, u)
        if not (b1 and b2) or {b1[0], b2[0]} != {"lower", "upper"} or v1.has(u) or v2.has(u):
            continue
        slope = sympy.diff(g, u)
        if not (slope.is_number and slope > 0):
            continue
        (lo, a), (hi, b) = ((v1, b1[1]), (v2, b2[1])) if b1[0] == "lower" else \
            ((v2, b2[1]), (v1, b1[1]))
        if sympy.expand(g.subs(u, a) - lo) == 0 and sympy.expand(g.subs(u, b) - hi) == 0:
            return _H["clip"](g, lo, hi)
    return piecewise


def symmetric_clamp(piecewise):
    """Piecewise((k*g, b > |g|), (m*sign(g), True)) with k*b = m -> clip(k*g, -|m|, |m|):
    the slopes of huber and smooth_l1."""
    if len(piecewise.args) != 2 or piecewise.args[1][1] is not sympy.true:
        return piecewise
    (inner, cond), (outer, _) = piecewise.args
    signs = [f for f in sympy.Mul.make_args(outer) if isinstance(f, sympy.sign)]
    if len(signs) != 1 or not cond.is_Relational:
        return piecewise
    g = signs[0].args[0]
    m = outer / signs[0]
    k = sympy.cancel(inner / g)
    if k.has(*g.free_symbols) or m.has(*g.free_symbols):
        return piecewise
    side = _bound(cond, sympy.Abs(g))
    if side is None or side[0] != "lower" or sympy.expand(k * side[1] - m) != 0:
        return piecewise          # (at |g| = b both pieces are m*sign(g): < or <= alike)
    return _H["clip"](inner, -sympy.Abs(m), sympy.Abs(m))


def flat(piecewise):
    """Piecewise((a, c), (Piecewise((b, d), (e, True)), True)) -> Piecewise((a, c), (b, d), (e, True))."""
    *head, (last, cond) = piecewise.args
    if isinstance(last, sympy.Piecewise) and cond is sympy.true:
        return sympy.Piecewise(*head, *last.args)
    return piecewise


def _pieces(piecewise):
    """(value, condition that picks it) of every piece, nested pieces flattened."""
    out, earlier = [], []
    args = piecewise.args
    for value, cond in args:
        out.append((value, sympy.And(cond, *[sympy.Not(c) for c in earlier])))
        earlier.append(cond)
    return out if args[-1][1] is sympy.true else None


def _linear(e):
    """A number, param or variable times a constant, or a sum of those: finite where its
    inputs are, so a 0 mask times it is 0."""
    return e.is_polynomial(*e.free_symbols) and all(
        sympy.degree(e, s) <= 1 for s in e.free_symbols)


def select(piecewise):
    """Pieces without np.where, whose select mispredicts on data of random sign:
    A(u) for u > k, else B(u), with A(k) = B(k) = 0 -> A(max(u, k)) + B(min(u, k));
    linear pieces -> sum of A*indicator(condition that picks A)."""
    if len(piecewise.args) == 2 and piecewise.args[1][1] is sympy.true:
        split = _kink_split(*piecewise.args[0], piecewise.args[1][0])
        if split is not None:
            return split
    pieces = _pieces(piecewise)
    if pieces is None:
        return piecewise
    shrunk = _shrink(piecewise)
    if shrunk is not None:
        return shrunk
    continued = _linear_continuation(piecewise)
    if continued is not None:
        return continued
    if not all(_linear(v) for v, _ in pieces):
        return _scaled_clamp(piecewise) or _clamped_pieces(piecewise) or piecewise
    stepped = _one_step(pieces)
    if stepped is not None:
        return stepped
    by_value = {}
    for value, cond in pieces:
        if value != 0:
            by_value.setdefault(value, []).append(cond)
    return sympy.Add(*[v * _H["indicator"](sympy.Or(*conds)) for v, conds in by_value.items()])


def _three_pieces(piecewise):
    """``(u, below, a, middle, above, b)`` when three pieces are ``below`` for u
    under a number a, ``above`` for u over a number b > a and ``middle`` between
    (whichever side each bound includes), else None."""
    args = piecewise.args
    if len(args) != 3 or args[2][1] is not sympy.true or not args[0][1].is_Relational:
        return None
    (v1, c1), (v2, c2), (v3, _) = args
    for u in (c1.lhs, c1.rhs):
        b1, b2 = _bound(c1, u), _bound(c2, u)
        if u.is_number or not (b1 and b2) or not (b1[1].is_number and b2[1].is_number):
            continue
        sides = (b1[0], b2[0])
        if sides == ("lower", "lower") and b1[1] < b2[1]:
            return u, v1, b1[1], v2, v3, b2[1]
        if sides == ("upper", "upper") and b2[1] < b1[1]:
            return u, v3, b2[1], v2, v1, b1[1]
        if sides == ("lower", "upper") and b1[1] < b2[1]:
            return u, v1, b1[1], v3, v2, b2[1]
        if sides == ("upper", "lower") and b2[1] < b1[1]:
            return u, v2, b2[1], v3, v1, b1[1]
    return None


def _scaled_clamp(piecewise):
    """g*h(a) below a, g*h(u) between a and b, g*h(b) above b, with h = k*u + c
    (k > 0) -> g*h(b) * clip((u + c/k)/(h(b)/k), h(a)/h(b), 1): hardswish,
    x*(x + 3)/6 between -3 and 3, is x*clip((x + 3)/6, 0, 1), four passes
    instead of masks for three pieces. Above b the clip is 1, so the value is
    that piece's own; (x + 3) is exact near its zero. The pieces meet at a and
    b, so which side takes a bound does not matter. Masked code only: where g
    is infinite and the clip is 0 (hardswish at -inf) the product is nan and
    raises the invalid flag, which sends the evaluation to the selects."""
    found = _three_pieces(piecewise)
    if found is None:
        return None
    u, below, a, middle, above, b = found
    for h in sympy.Mul.make_args(middle):
        k = sympy.diff(h, u)
        if not (k.is_Number and k > 0) or h.free_symbols != {u} or not u.is_Symbol:
            continue
        g, lo, hi = middle / h, h.subs(u, a), h.subs(u, b)
        shift, divisor = sympy.expand(h - k * u) / k, hi / k
        if hi == 0 or not (shift.is_Rational and exact_float(shift) and exact_float(divisor)):
            continue
        if sympy.expand(g * lo - below) == 0 and sympy.expand(g * hi - above) == 0:
            return sympy.expand(g * hi) * _H["clip"](_H["shifted"](u, shift, divisor),
                                                   lo / hi, 1)
    return None


def exact_float(q) -> bool:
    """Whether the rational ``q`` is a float64 exactly."""
    return sympy.Rational(float(q)) == q


def _shrink(piecewise):
    """Piecewise((u - b, u > b), (u + b, u < -b), (0, True)) (softshrink) -> shrink(u, b):
    u - clip(u, -b, b) in two passes where b >= 0; where b < 0 there is no band
    and the kernel takes the pieces in this order."""
    args = piecewise.args
    if len(args) != 3 or args[2] != (0, sympy.true):
        return None
    (v_hi, c_hi), (v_lo, c_lo) = args[:2]
    if not (c_hi.is_Relational and c_lo.is_Relational):
        return None
    for u, b in ((c_hi.lhs, c_hi.rhs), (c_hi.rhs, c_hi.lhs)):
        if b.has(u) or _bound(c_hi, u) != ("upper", b):
            continue
        below = _bound(c_lo, u) == ("lower", -b) or _bound(c_lo, -u) == ("upper", b)
        if below and sympy.expand(v_hi - u + b) == 0 and sympy.expand(v_lo - u - b) == 0:
            return _H["shrink"](u, b)
    return None


@functools.lru_cache(maxsize=1024)   # the scalar and the array code ask for the same
def _linear_continuation(piecewise):
    """Piecewise((f(u), u < b), (g(u), True)) where g continues f along its tangent
    at b, g(u) = f(b) + f'(b)*(u - b) -> f(min(u, b)) + f'(b)*max(u - b, 0)
    (f(max(u, b)) + f'(b)*min(u - b, 0) where f is taken above b). Huber's loss
    (u = |d|, f = u^2/2, g = delta*(u - delta/2)) is then computed with no select,
    whose choice between pieces mispredicts on data of random size, and no mask.
    Where f is taken the second term is an exact 0; beyond b it has the sign of
    f(b) (else no rewrite: see _same_side), so the sum does not cancel. The bound
    may be a param (elsewhere a param bound keeps its select: data rarely cross
    it). f may be written in the quantity inside an abs (d**2 for u = |d|)."""
    args = piecewise.args
    if len(args) != 2 or args[1][1] is not sympy.true or not args[0][1].is_Relational:
        return None
    (f, cond), (g, _) = args
    for u in (cond.lhs, cond.rhs):
        bound = _bound(cond, u)
        if u.is_number or bound is None:
            continue
        t = sympy.Dummy("t", real=True)
        f_t, g_t = _in_terms_of(f, u, t), _in_terms_of(g, u, t)
        side, b = bound
        if f_t is None or g_t is None or b.has(t) or _has_condition(f_t) or _has_condition(g_t):
            continue
        at_b, slope = f_t.subs(t, b), sympy.diff(f_t, t).subs(t, b)
        if slope.is_zero or sympy.expand(g_t - at_b - slope * (t - b)) != 0 \
                or not _same_side(at_b * slope, b, side):
            continue
        if side == "lower":   # u - c, one call: a sum would be flattened and reordered
            c, beyond = sympy.Min(u, b), sympy.Max(u - b, 0)
        else:
            c, beyond = sympy.Max(u, b), sympy.Min(u - b, 0)
        return f_t.subs(t, c) + slope * beyond
    return None


def _has_condition(e) -> bool:
    """Whether ``e`` holds a condition (a nested where()): SymPy cannot differentiate it."""
    return bool(e.atoms(sympy.core.relational.Relational))


def _same_side(product, b, side: str) -> bool:
    """Whether f(b) and the step beyond b (f'(b) times a number >= 0 below the
    bound's side "lower", <= 0 for "upper") surely have one sign, so that their
    sum does not cancel: ``product`` = f(b)*f'(b) is >= 0 (<= 0 for "upper"),
    with a bound that is a param taken positive (a Huber delta; where it is not,
    g is evaluated in the same tangent form as written)."""
    if b.is_Symbol:
        product = product.subs(b, sympy.Dummy(positive=True))
    return bool(product.is_nonnegative if side == "lower" else product.is_nonpositive)


def _in_terms_of(e, u, t):
    """``e`` as a formula of t standing for u (an even power of w read as one of
    t = |w| for u = |w|), or None where e depends on u's symbols otherwise."""
    e_t = e.xreplace({u: t})
    if isinstance(u, sympy.Abs):
        w = u.args[0]
        e_t = e_t.replace(lambda p: p.is_Pow and p.base == w and p.exp.is_even,
                          lambda p: t ** p.exp)
    return None if e_t.free_symbols & u.free_symbols else e_t


def _clamped_pieces(piecewise):
    """Pieces decided by bounds on one quantity u, as masks: each piece's value
    at u clamped into the interval where it is taken, times the 0/1 mask of
    that interval (elu's slope: 1 for x > 0, else a*exp(x) -> mask(x > 0) +
    a*exp(min(x, 0))*mask(x <= 0)). Where a piece is taken its clamped u is u
    itself, the same bits (but for the sign of a zero: -0 plus the other pieces'
    +0 is +0, and a piece not taken that is negative at its bound gives -0);
    where it is not, its value is that at the nearest bound, finite when the
    piece is finite there, so the mask's 0 makes 0 and not 0*inf = nan. A piece
    infinite at a bound it excludes is evaluated next to it (``_finite_at``);
    one infinite at a bound it takes keeps the select (if it were evaluated,
    the invalid flag would send every such call to the selects). A nan u takes
    the last piece, as a select does: the other pieces clamp it to a bound
    (fmin, fmax), and the last piece's mask is 1 where no condition holds.
    None when the conditions are not all bounds on one u by numbers. A bound
    that is a param is often a far cut-off (softplus's threshold 20) that data rarely cross,
    where the select predicts well and costs less than the masks (measured on
    1e6 points of 3*N(0, 1): softplus 3.6 ms as a select, 5.3 as masks; elu's
    slope, with its kink at 0, 3.8 ms against 2.4)."""
    conditions = [c for _, c in piecewise.args[:-1]]
    if piecewise.args[-1][1] is not sympy.true or not conditions[0].is_Relational:
        return None
    sides = (conditions[0].lhs, conditions[0].rhs)
    for u in sorted(sides, key=lambda side: not any(v.has(side) for v, _ in piecewise.args)):
        bounds = [_bound(c, u) for c in conditions]
        if u.is_number or None in bounds or not all(k.is_number for _, k in bounds):
            continue
        terms = []
        for i, (value, cond) in enumerate(piecewise.args):
            limits = [(c.negated, (_OTHER[side], k)) for c, (side, k) in
                      zip(conditions[:i], bounds[:i])]
            if i < len(conditions):
                limits.append((cond, bounds[i]))
            if value == 0:
                continue
            limits = _tightest(limits)
            inside = [(side, _finite_at(value, u, c, side, k)) for c, (side, k) in limits]
            if any(k is None for _, k in inside):
                return None
            last = i == len(conditions)
            at_bounds = [b for _, b in limits]
            clamped = _clamped(u, inside, nan_kept=last)
            term = value.xreplace({u: clamped}) if inside == at_bounds else \
                _clamped_where_infinite(value, u, [k for _, k in at_bounds],
                                        _clamped(u, at_bounds, last), clamped)
            mask = 1 - _H["indicator"](sympy.Or(*conditions)) if last else \
                _H["indicator"](sympy.And(*[c for c, _ in limits]))
            terms.append(term * mask)
        return sympy.Add(*terms)
    return None


def _clamped_where_infinite(value, u, bounds, at_bound, next_to_it):
    """``value`` with u clamped to the piece's bounds (``at_bound``), but for the
    functions of u infinite there, which take u clamped next to them
    (``next_to_it``): kl_div's y*(log(y) - p) as fmax(y, 0)*(log(fmax(y, 5e-324))
    - p). A product with the subnormal itself would cost a hundred cycles per
    element (measured: kl_div 4.5 ms per 1e6 with 10% zeros, against 2.5)."""
    hole = sympy.Dummy()
    marked = value.replace(
        lambda e: isinstance(e, sympy.Function) and e.has(u) and any(
            _infinite(e.xreplace({u: k})) for k in bounds),
        lambda e: e.xreplace({u: hole}))
    if any(_infinite(marked.xreplace({u: k})) for k in bounds):
        return value.xreplace({u: next_to_it})
    return marked.xreplace({u: at_bound}).xreplace({hole: next_to_it})


def _finite_at(value, u, cond, side, k):
    """The bound k that a piece's u is clamped to, when the piece is finite there;
    else, when ``cond`` excludes k, the float next to k on the piece's side if the
    piece is a finite float there (kl_div's y*log(y) for y > 0: at the smallest
    subnormal, 5e-324, log is -744.4); else None (keep the select: a mask's 0
    times an infinite piece would send every call to the selects)."""
    if not _infinite(value.xreplace({u: k})):
        return k
    if cond.rel_op not in ("<", ">") or not k.is_number:
        return None
    inside = sympy.Float(math.nextafter(float(k), -math.inf if side == "lower" else math.inf),
                         precision=53)
    at = value.xreplace({u: inside})
    if _infinite(at) or any(not abs(f) <= _LARGEST for f in at.atoms(sympy.Float)):
        return None
    return inside


_LARGEST = sympy.Float(sys.float_info.max, precision=53)


def _infinite(value) -> bool:
    """Whether a piece's value at its bound is known to be infinite or undefined."""
    return value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)


_OTHER = {"lower": "upper", "upper": "lower"}


def _tightest(limits):
    """The bounds ``(condition, (side, k))`` without those a tighter number bound
    of the same side implies (u < 3 implies u <= 5)."""
    kept = []
    for cond, (side, k) in limits:
        tighter = [(c, (s, j)) for c, (s, j) in limits if s == side and k.is_number and
                   j.is_number and (j < k if side == "lower" else j > k)]
        if not tighter:
            kept.append((cond, (side, k)))
    return kept


def _clamped(u, bounds, nan_kept: bool):
    """u kept within ``bounds`` (``("lower", k)``: at most k; ``("upper", k)``: at
    least k); a nan u stays nan with ``nan_kept``, else is taken as a bound."""
    tops = [k for side, k in bounds if side == "lower"]
    floors = [k for side, k in bounds if side == "upper"]
    if not nan_kept:
        for top in tops:
            u = _H["fmin"](u, top)
        for floor in floors:
            u = _H["fmax"](u, floor)
        return u
    if len(tops) == 1 and len(floors) == 1:
        return _H["clip"](u, floors[0], tops[0])
    return sympy.Max(sympy.Min(u, *tops), *floors) if floors else sympy.Min(u, *tops) \
        if tops else u


def _one_step(pieces):
    """Two pieces a (where c) and b (otherwise) that differ by a number d, a = b + d with
    b one term -> b + d*indicator(c): one mask and one sum (quantile's slope: tau or
    tau - 1). The same bits: fl(b + d) is how ``a`` itself is computed, and b + 0 is b."""
    if len(pieces) != 2 or any(value == 0 for value, _ in pieces):
        return None         # (a piece of 0 is one mask times the other piece already)
    (a, where_a), (b, where_b) = pieces
    for base, top, cond in ((b, a, where_a), (a, b, where_b)):
        d = top - base
        if d.is_Number and d != 0 and not base.is_Add and (base.is_number or top == base + d):
            return base + d * _H["indicator"](cond)
    return None


def _kink_split(a, cond, b):
    if not cond.is_Relational or isinstance(cond, (sympy.Eq, sympy.Ne)):
        return None
    for u in sorted(cond.free_symbols, key=sympy.default_sort_key):
        bound = _bound(cond, u)
        if bound is None or bound[1].free_symbols & (a.free_symbols | b.free_symbols) - {u}:
            continue
        side, k = bound
        low, high = (a, b) if side == "lower" else (b, a)
        at_low, at_high = sympy.simplify(low.subs(u, k)), sympy.simplify(high.subs(u, k))
        if at_low == 0 and at_high == 0:
            return low.xreplace({u: sympy.Min(u, k)}) + high.xreplace({u: sympy.Max(u, k)})
        if not high.has(u) and sympy.simplify(at_low - high) == 0:     # celu': exp(min(x, 0)/a)
            return low.xreplace({u: sympy.Min(u, k)})
        if not low.has(u) and sympy.simplify(at_high - low) == 0:
            return high.xreplace({u: sympy.Max(u, k)})
    return None
