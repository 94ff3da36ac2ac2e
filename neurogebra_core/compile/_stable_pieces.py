"""Stable rewrites of piecewise functions and steps (used by compile._stable).

Selects (``np.where``) mispredict on data of random sign and evaluate every
piece; these rewrites turn the common shapes of piecewise built-ins into
clamps, kink splits and 0/1 indicators, which are exact, and keep steps from
turning an overflow in a piece not taken into nan.
"""

from __future__ import annotations

import sympy

from ..symbolic import STABLE_HEADS

__all__ = ["factor_of", "masked", "exact_kink", "clamp", "symmetric_clamp", "flat", "select"]

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
    if not all(_linear(v) for v, _ in pieces):
        return _clamped_pieces(piecewise) or piecewise
    stepped = _one_step(pieces)
    if stepped is not None:
        return stepped
    by_value = {}
    for value, cond in pieces:
        if value != 0:
            by_value.setdefault(value, []).append(cond)
    return sympy.Add(*[v * _H["indicator"](sympy.Or(*conds)) for v, conds in by_value.items()])


def _clamped_pieces(piecewise):
    """Pieces decided by bounds on one quantity u, as masks: each piece's value
    at u clamped into the interval where it is taken, times the 0/1 mask of
    that interval (elu's slope: 1 for x > 0, else a*exp(x) -> mask(x > 0) +
    a*exp(min(x, 0))*mask(x <= 0)). Where a piece is taken its clamped u is u
    itself, the same bits (but for the sign of a zero: -0 plus the other pieces'
    +0 is +0); where it is not, its value is that at the nearest
    bound, finite when the piece is finite there, so the mask's 0 makes 0 and
    not 0*inf = nan (a piece infinite at its bound raises the invalid flag,
    which sends the evaluation to selects). A nan u takes the last piece, as a
    select does: the other pieces clamp it to a bound (fmin, fmax), and the last
    piece's mask is 1 where no condition holds. None when the conditions are
    not all bounds on one u by numbers. A bound that is a param
    is often a far cut-off (softplus's threshold 20) that data rarely cross,
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
            if any(_infinite(value.xreplace({u: k})) for _, (_, k) in limits):
                return None     # (kl_div's y*log(y) at 0: every call would need selects)
            last = i == len(conditions)
            clamped = _clamped(u, [b for _, b in limits], nan_kept=last)
            mask = 1 - _H["indicator"](sympy.Or(*conditions)) if last else \
                _H["indicator"](sympy.And(*[c for c, _ in limits]))
            terms.append(value.xreplace({u: clamped}) * mask)
        return sympy.Add(*terms)
    return None


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
