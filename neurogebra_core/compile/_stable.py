"""Numerically stable rewrites applied before compiling.

The readable symbolic form is kept for people; before code is generated,
patterns that lose precision (or overflow) in float64 are replaced by equal
forms that do not. Every rule is an identity in real arithmetic:

* ``1 - sigmoid(u)`` -> ``sigmoid(-u)``; ``1 - tanh(u)**2`` -> ``sech2(u)``;
  ``sigmoid(u)*sigmoid(-u)`` -> ``dsigmoid(u)``, and ``p*dsigmoid(u)`` ->
  ``scaled_dsigmoid(p, u)``, where a large ``p`` never meets an ``e^-|u|``
  that underflowed;
* ``log_sigmoid(-u) - log_sigmoid(u)`` -> ``-u``;
* ``p*log_sigmoid(u) + q*log_sigmoid(-u)`` with ``p + q = -1`` ->
  ``-p*max(-u, 0) - q*max(u, 0) + log1p(exp(-|u|))`` (BCE with logits);
  ``p*sigmoid(u) + q*sigmoid(-u)`` with ``p - q = 1`` -> ``sigmoid_residual(u, -q, e)``,
  both sigmoids from ``e = exp(-|u|)``, the value's exp (its slope: ``sigmoid(u) - y``
  without cancellation);
* ``u*sigmoid(u) - softplus(u)`` -> ``-(|u|*sigmoid(-|u|) + softplus(-|u|))``,
  a sum of two terms of one sign;
* ``expm1(t) - t*exp(t)`` -> ``expm1_minus_texp(t)`` (a series near 0);
* ``log1p(a) - log1p(b)`` -> ``log1p_diff(a, b)``; ``log(a + b)`` ->
  ``log_of_sum(a, b)`` (no rounding of ``a + b`` next to 1);
* ``1 - a/(b + c)`` -> ``compensated_sum(b, c, -a)/(b + c)``;
* ``k*u + b`` -> ``(u + b/k)/(1/k)`` where ``-b/k`` is a float, so the zero
  of the line is exact (``x/6 + 1/2`` is ``(x + 3)/6``);
* ``1 - a*b`` (a, b variables or params) -> ``one_minus_product(a, b)``, exact
  next to its zero;
* ``hypot(u, 1) - 1`` and ``sqrt(u**2 + 1) - 1`` -> ``hypot_minus_one(u)``, which
  neither cancels next to 0 nor overflows (bent_identity);
* ``|a - b| - c`` (c a variable or param) -> ``abs_diff_minus(a, b, c)``;
* ``(2a - 2b)/2`` -> ``a - b`` (numeric content cancelled, so ``2a`` cannot overflow);
* whole sub-expressions that a pack's *fused* primitive stands for (its
  ``explicit`` formula) -> that primitive, whose kernels compute them in one
  accurate pass (the slope of silu near its zero, say);
* ``Heaviside(c)*rest`` -> ``where(c, rest, 0)`` when ``rest`` has a division or
  a function, which may overflow where the step is 0 (0*inf is nan);
* ``a**b*log(a)`` -> ``xlogy(a**b, a)`` (0 where a**b is 0), or
  ``xlog_mixture(a**b, a, w)`` when ``a = 1 + w`` is a mixture of sigmoids
  (``log1p(w)`` where a is near 1: focal loss by gamma);
* ``cos(u)`` -> ``sin(pi/2 - u)`` and ``sin(u)`` -> ``sin(pi - u)`` where the new
  argument is not more complex (cosine schedules next to their ends);
* a comparison ``c > |a - b|`` in a piecewise that uses ``abs_diff_minus(a, b, c)``
  -> ``abs_diff_minus(a, b, c) < 0``, so the piece agrees with its value;
* clamps written as a piecewise (relu6, hardtanh, hardsigmoid) -> ``clip(g, lo, hi)``;
  in masked code, three pieces g*h(a), g*h(u), g*h(b) with h linear -> g times a clip
  (hardswish: ``x*clip((x + 3)/6, 0, 1)``), and softshrink's pieces -> ``shrink(x, l)``;
* ``Piecewise((k*g, b > |g|), (k*b*sign(g), True))`` -> ``clip(k*g, -|k*b|, |k*b|)``
  (huber's and smooth_l1's slopes);
* two pieces meeting at 0 at a threshold k of u -> ``A(max(u, k)) + B(min(u, k))``
  (leaky_relu, elu, ...), and a constant piece continuing the other one -> that piece
  at ``min(u, k)`` (celu's slope); linear pieces -> ``A*indicator(c_A) + B*indicator(c_B)``:
  no select, which mispredicts on data of random sign;
* ``u**n`` (integer n > 2) -> ``int_power(u, n)``, repeated products (NumPy's
  ``power`` is many times slower).
"""

from __future__ import annotations

import functools
import itertools

import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

from ..symbolic import STABLE_HEADS, function_names, fused_primitives, log_sigmoid, \
    post_order, rewrite_bottom_up, sigmoid, softplus
from ._stable_pieces import (clamp, exact_float, exact_kink, factor_of, flat, masked,
                             select, symmetric_clamp)

__all__ = ["stabilize"]

_H = STABLE_HEADS


# -- helpers -------------------------------------------------------------------------------

def _pairs(terms):
    return itertools.permutations(range(len(terms)), 2)


def _replace_pair(add, rule):
    """Apply ``rule(term_i, term_j) -> replacement or None`` to the first pair that fits."""
    terms = list(add.args)
    for i, j in _pairs(terms):
        replacement = rule(terms[i], terms[j])
        if replacement is not None:
            rest = [t for k, t in enumerate(terms) if k not in (i, j)]
            return sympy.Add(replacement, *rest)
    return None


# -- sums --------------------------------------------------------------------------------

def _complement(term_a, term_b):
    """``c - c*f(u)`` (c = +-1) with a stable form: 1 - sigmoid(u), 1 - tanh(u)**2."""
    if term_a not in (1, -1):
        return None
    sign = term_a
    negated = -term_b * sign
    if isinstance(negated, sigmoid):
        return sign * sigmoid(-negated.args[0])
    if negated.is_Pow and negated.exp == 2 and isinstance(negated.base, sympy.tanh):
        return sign * _H["sech2"](negated.base.args[0])
    return None


def _log_sigmoid_difference(term_a, term_b):
    """k*log_sigmoid(v) - k*log_sigmoid(-v) = k*v."""
    a, b = factor_of(term_a, log_sigmoid), factor_of(term_b, log_sigmoid)
    if a and b and b[1].args[0] == -a[1].args[0] and sympy.expand(a[0] + b[0]) == 0:
        return a[0] * a[1].args[0]
    return None


def _log_sigmoid_pair(term_a, term_b):
    """p*log_sigmoid(u) + q*log_sigmoid(-u) with p + q = -1 (BCE with logits) =
    -p*max(-u, 0) - q*max(u, 0) + log1p(exp(-|u|)): one exp and one log1p, and
    every term >= 0 for labels in [0, 1]."""
    a, b = factor_of(term_a, log_sigmoid), factor_of(term_b, log_sigmoid)
    if not (a and b) or b[1].args[0] != -a[1].args[0] or a[1].args[0].could_extract_minus_sign():
        return None
    (p, node), q = a, b[0]
    if p.has(log_sigmoid) or q.has(log_sigmoid) or sympy.expand(p + q + 1) != 0:
        return None
    u = node.args[0]
    return -p * sympy.Max(-u, 0) - q * sympy.Max(u, 0) + log1p(sympy.exp(-sympy.Abs(u)))


def _sigmoid_pair(term_a, term_b):
    """p*sigmoid(u) + q*sigmoid(-u) with p - q = 1 (BCE with logits' slope,
    (1 - y)*sigmoid(u) - y*sigmoid(-u)) = sigmoid_residual(u, -q, exp(-|u|)), and with
    p - q = -1 its negative: both sigmoids from the one exp that BCE's value
    (:func:`_log_sigmoid_pair`) computes too, exact for labels 0 and 1."""
    a, b = factor_of(term_a, sigmoid), factor_of(term_b, sigmoid)
    if not (a and b) or b[1].args[0] != -a[1].args[0] or a[1].args[0].could_extract_minus_sign():
        return None
    (p, node), q = a, b[0]
    if p.has(sigmoid) or q.has(sigmoid):
        return None
    difference, u = sympy.expand(p - q), node.args[0]
    if difference not in (1, -1):
        return None
    residual = _H["sigmoid_residual"](u, -difference * q, sympy.exp(-sympy.Abs(u)))
    return residual if difference == 1 else -residual


def _slope_minus_softplus(term_a, term_b):
    """k*u*sigmoid(u) - k*softplus(u) = -k*(|u|*sigmoid(-|u|) + softplus(-|u|))."""
    b = factor_of(term_b, softplus)
    if b is None:
        return None
    k, node = -b[0], b[1]
    u = node.args[0]
    if sympy.expand(term_a - k * u * sigmoid(u)) != 0:
        return None
    a = sympy.Abs(u)
    return -k * (a * sigmoid(-a) + softplus(-a))


def _expm1_minus_texp(term_a, term_b):
    """k*expm1(t) - k*t*exp(t) = k*expm1_minus_texp(t)."""
    a = factor_of(term_a, expm1)
    if a is None:
        return None
    k, t = a[0], a[1].args[0]
    if sympy.expand(term_b + k * t * sympy.exp(t)) != 0:
        return None
    return k * _H["expm1_minus_texp"](t)


def _log1p_difference(term_a, term_b):
    """k*log1p(a) - k*log1p(b) = k*log1p_diff(a, b)."""
    a, b = factor_of(term_a, log1p), factor_of(term_b, log1p)
    if a and b and sympy.expand(a[0] + b[0]) == 0:
        return a[0] * _H["log1p_diff"](a[1].args[0], b[1].args[0])
    return None


def _ratio_complement(term_a, term_b):
    """1 - a/(b + c) = compensated_sum(b, c, -a)/(b + c)."""
    if term_a != 1 or not term_b.is_Mul:
        return None
    sums = [f for f in term_b.args if f.is_Pow and f.exp == -1 and f.base.is_Add
            and len(f.base.args) == 2]
    if len(sums) != 1:
        return None
    denominator = sums[0].base
    a = -term_b * denominator
    return _H["compensated_sum"](*denominator.args, -a) / denominator


def _abs_difference(term_a, term_b):
    """|a - b| - c, c a symbol (the kink of huber's slope by delta)."""
    if not (isinstance(term_a, sympy.Abs) and term_a.args[0].is_Add
            and len(term_a.args[0].args) == 2 and (-term_b).is_Symbol):
        return None
    first, second = term_a.args[0].args
    return _H["abs_diff_minus"](first, -second, -term_b)


def _square_ratio_complement(term_a, term_b):
    """k - k*(a + b)**2/m = k*one_minus_square_ratio(a, b, m) (a zero where m = (a + b)^2)."""
    squares = [f for f in (term_b.args if term_b.is_Mul else (term_b,))
               if f.is_Pow and f.exp == 2 and f.base.is_Add and len(f.base.args) == 2]
    if len(squares) != 1:
        return None
    numerator, denominator = (-term_b / term_a / squares[0]).as_numer_denom()
    if numerator != 1:
        return None
    return term_a * _H["one_minus_square_ratio"](*squares[0].base.args, denominator)


def _product_complement(term_a, term_b):
    """1 - a*b (a, b variables or params) = one_minus_product(a, b): hinge's kink."""
    if term_a != 1 or not term_b.is_Mul:
        return None
    coefficient, factors = term_b.as_coeff_mul()
    if coefficient != -1 or len(factors) != 2 or not all(f.is_Symbol for f in factors):
        return None
    return _H["one_minus_product"](*factors)


def _hypot_complement(term_a, term_b):
    """k*hypot(u, 1) - k, or k*sqrt(u**2 + 1) - k, = k*hypot_minus_one(u): bent_identity's
    (sqrt(x^2 + 1) - 1)/2 without cancellation next to 0, or overflow of x^2."""
    if not term_a.is_Number or term_a == 0:
        return None
    root = term_b / -term_a
    if isinstance(root, hypot):
        u = _beside_one(root.args)
    elif root.is_Pow and root.exp == sympy.S.Half and root.base.is_Add:
        square = _beside_one(root.base.args)
        u = square.base if square is not None and square.is_Pow and square.exp == 2 else None
    else:
        return None
    return None if u is None else -term_a * _H["hypot_minus_one"](u)


def _beside_one(pair: tuple):
    """The other element of a pair holding 1, or None."""
    if len(pair) != 2 or 1 not in pair:
        return None
    return pair[1] if pair[0] == 1 else pair[0]


_PAIR_RULES = (_complement, _log_sigmoid_difference, _log_sigmoid_pair, _sigmoid_pair,
               _slope_minus_softplus, _expm1_minus_texp, _log1p_difference, _ratio_complement,
               _abs_difference, _square_ratio_complement, _product_complement,
               _hypot_complement)


# rules whose result has a kink (max at 0, |u| at 0) that autograd would differentiate its
# own way
_KINKED_RULES = (_log_sigmoid_pair, _sigmoid_pair)


# Pair rules try every ordered pair of terms: a sum of n terms costs n*n
# tries per rule. The patterns they fix are small (a built-in's 1 - sigmoid(u)),
# and a model's sum of hundreds of terms would take minutes to scan.
_MAX_PAIRED_TERMS = 24


def _stable_add(add, rules=_PAIR_RULES):
    if len(add.args) > _MAX_PAIRED_TERMS:
        return add
    for rule in rules:
        rewritten = _replace_pair(add, rule)
        if rewritten is not None:
            return rewritten
    return _shifted_line(add)


def _shifted_line(add):
    """k*u + b -> (u + b/k)/(1/k) when b/k is a float and k*u is rounded (k not 2^n)."""
    if len(add.args) != 2:
        return add
    number, term = add.args if add.args[0].is_Number else add.args[::-1]
    if not (number.is_Rational and number != 0 and not term.is_Number):
        return add
    k, u = term.as_coeff_Mul()
    if not k.is_Rational or k in (1, -1) or _power_of_two(abs(k)):
        return add
    shift = number / k
    if not exact_float(shift):
        return add
    return _H["shifted"](u, shift, 1 / k)


def _power_of_two(q):
    return (q.p & (q.p - 1)) == 0 and (q.q & (q.q - 1)) == 0


# -- products ----------------------------------------------------------------------------

def _paired_sigmoids(mul):
    """sigmoid(u)*sigmoid(-u)*rest -> dsigmoid(u)*rest."""
    factors = list(mul.args)
    for i, a in enumerate(factors):
        if isinstance(a, sigmoid):
            for j, b in enumerate(factors):
                if j != i and isinstance(b, sigmoid) and b.args[0] == -a.args[0]:
                    rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                    return sympy.Mul(_H["dsigmoid"](a.args[0]), *rest)
    return mul


def _scaled_dsigmoid(mul):
    """p*dsigmoid(u) -> scaled_dsigmoid(p, u) (p not a number)."""
    found = factor_of(mul, _H["dsigmoid"])
    if found is None or found[0].is_Number:
        return mul
    p, node = found
    coefficient, rest = p.as_coeff_Mul()
    return coefficient * _H["scaled_dsigmoid"](rest, node.args[0])


def _cancel_content(mul):
    """(2a - 2b)/(2m) -> (a - b)/m: numeric content of a sum factor joins the
    coefficient. Only content above 1: (|d| - delta/2) must not become
    (2|d| - delta)/2, where 2|d| overflows first."""
    factors = list(mul.args)
    changed = False
    for i, f in enumerate(factors):
        if f.is_Add:
            content, primitive = f.primitive()
            if content.is_Rational and abs(content) > 1:
                factors[i] = sympy.Mul(content, primitive, evaluate=False)
                changed = True
    return sympy.Mul(*factors) if changed else mul


def _sigmoid_mixture_complement(q):
    """``w`` with ``q = 1 + w`` when ``q`` is ``a*sigmoid(-u) + b*sigmoid(u)`` with
    ``a + b = 1`` (focal loss's probability of the true class), else None."""
    if not (q.is_Add and len(q.args) == 2):
        return None
    first, second = (factor_of(t, sigmoid) for t in q.args)
    if not (first and second and second[1].args[0] == -first[1].args[0]
            and sympy.expand(first[0] + second[0] - 1) == 0):
        return None
    return -(first[0] * second[1] + second[0] * first[1])


def _xlogy(mul):
    """a**b*log(a)*rest -> xlogy(a**b, a)*rest: 0, not 0*(-inf), where a**b is 0;
    xlog_mixture where a is 1 + w with w known (log1p(w) when a is near 1)."""
    factors = list(mul.args)
    for i, f in enumerate(factors):
        if isinstance(f, sympy.log):
            for j, g in enumerate(factors):
                if g.is_Pow and g.base == f.args[0] and not g.exp.is_Number:
                    rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                    q = f.args[0]
                    w = _sigmoid_mixture_complement(q)
                    head = _H["xlogy"](g, q) if w is None else _H["xlog_mixture"](g, q, w)
                    return sympy.Mul(head, *rest)
    return mul


def _max_as_difference(m):
    """max(0, a - b) -> a - min(a, b) (exact in floats too), so a phase can be reduced."""
    if len(m.args) != 2 or 0 not in m.args:
        return m
    x = m.args[0] if m.args[1] == 0 else m.args[1]
    if not x.is_Add:
        return m
    a = sympy.Add(*[t for t in x.args if not t.could_extract_minus_sign()])
    b = a - x
    return a - sympy.Min(a, b) if a != 0 and b != 0 else m


def _reduced_phase(f):
    """cos(u) -> sin(pi/2 - u) when the new argument is no more complex, sin(u) ->
    sin(pi - u) when it is simpler (pi*t/(2T) rather than pi*(T - t)/(2T)): sine
    is exact next to its zero at 0, where a phase of pi/2 or pi rounded first
    would leave an error of 1e-16."""
    u = f.args[0].replace(lambda e: isinstance(e, sympy.Max), _max_as_difference)
    shift = sympy.pi / 2 if isinstance(f, sympy.cos) else sympy.pi
    if not u.has(sympy.pi):
        return f
    v = sympy.pi * sympy.cancel((shift - u) / sympy.pi)    # pi*(t - w)/T, not pi*t - pi*w
    simpler = sympy.count_ops(v) - sympy.count_ops(sympy.pi * sympy.cancel(u / sympy.pi))
    # a cosine is never worse as a sine of the complementary phase; a sine only
    # moves when its argument gets simpler
    if simpler < 0 or (simpler == 0 and isinstance(f, sympy.cos)):
        return sympy.sin(v)
    return f


def _log_of_sum(log):
    argument = log.args[0]
    if argument.is_Add and len(argument.args) == 2 and not any(a.is_Number for a in argument.args):
        return _H["log_of_sum"](*argument.args)
    return log


def _int_power(power):
    return _H["int_power"](power.base, power.exp)


# -- pack primitives that fuse a whole sub-expression ---------------------------------------

def _candidates(nodes: list, cls) -> list:
    """What may be a fused primitive's argument, in the order met among ``nodes``
    (the formula's distinct parts): the variables and params, and for a primitive
    of one argument also the arguments of the calls its formula makes."""
    found = {n: None for n in nodes if n.is_Symbol}
    if cls.primitive.nargs == 1:
        found.update((a, None) for n in nodes if type(n).__name__ in cls.fused_heads
                     for a in n.args)
    return list(found)


def _fuse(expr):
    """``expr`` with every part equal to a fused primitive's explicit formula
    replaced by the primitive. A pattern is built only for a primitive whose
    functions the formula calls, and replaced only where all its parts occur,
    so a deep formula costs one pass per candidate, not one rewrite."""
    fused = fused_primitives()
    if not fused:
        return expr
    nodes = post_order([expr])
    heads = function_names(expr)      # as the primitives' heads are named
    for cls in fused:
        if not cls.fused_heads <= heads:
            continue
        present = set(nodes)
        tuples = list(itertools.product(_candidates(nodes, cls), repeat=cls.primitive.nargs))
        for args in tuples:
            if not _may_hold(cls, args, present, several=len(tuples) > 1):
                continue
            pattern = _pattern(cls, args)
            # bce_slope(p, p) is 0: never replace a number
            if pattern.is_Atom or not all(p in present for p in _parts(pattern)):
                continue
            expr = _replace_sub_expression(expr, pattern, cls(*args))
            nodes = post_order([expr])
            present = set(nodes)
    return expr


def _may_hold(cls, args: tuple, present: set, several: bool) -> bool:
    """Whether a formula of the parts ``present`` may hold the explicit formula
    of ``args``: it has every part the primitive declares (``anchors``; one that
    the arguments make a number, |y - y|, says nothing), or,
    undeclared and among ``several`` candidates, every call :func:`_anchors`
    finds (working them out costs one derivative per primitive)."""
    declared = cls.primitive.anchors
    if declared is not None:
        return all(call.is_number or call in present for call in declared(*args))
    return not several or all(any(c in present for c in calls) for calls in _anchors(cls, args))


@functools.lru_cache(maxsize=4096)
def _pattern(cls, args: tuple):
    """A fused primitive's explicit formula of ``args`` (a slope's is a derivative,
    about 8 ms: the scalar and the array code of one formula ask for the same)."""
    return cls.primitive.explicit(*args)


@functools.lru_cache(maxsize=None)
def _outline(cls) -> tuple:
    """``(placeholders, calls)``: the calls on plain placeholders (abs(y), log(p),
    sigmoid(x)) that the explicit formula of placeholders makes; one derivative
    per primitive."""
    placeholders = sympy.symbols(f"_fused0:{cls.primitive.nargs}", real=True)
    formula = cls.primitive.explicit(*placeholders)
    return placeholders, tuple({n for n in post_order([formula]) if isinstance(
        n, sympy.Function) and not isinstance(n, _TURNING) and n.args and all(
            not a.atoms(sympy.Function) for a in n.args)})


_TURNING = (sympy.Heaviside, sympy.Piecewise)   # step(a - b) is not step(b - a)


def _anchors(cls, args: tuple):
    """Parts the explicit formula of ``args`` surely has, found without building
    it: its calls on sums and products of the arguments, each with the
    alternatives it may take (which way a difference inside turns depends on
    how the arguments are named; steps are left out). A formula
    without all of them cannot hold the pattern, whose slope would cost a
    derivative per candidate (27 for mape's slope, 0.2 s)."""
    placeholders, calls = _outline(cls)
    mapping = dict(zip(placeholders, args))
    for call in calls:
        if len(call.args) == 1:      # sign(b - a) where the formula's derivative has sign(a - b)
            u = call.args[0].xreplace(mapping)
            yield call.func(u), call.func(-u)
        else:
            yield (call.xreplace(mapping),)


def _parts(pattern) -> tuple:
    """The parts a formula must contain for :func:`_replace_sub_expression` to
    find ``pattern`` in it: the pattern, or each of its terms for a sum."""
    return pattern.args if pattern.is_Add else (pattern,)


def _replace_sub_expression(expr, pattern, replacement):
    """``expr`` with ``pattern`` (a node, or some terms of a sum) replaced."""
    if pattern.is_Add:
        wanted = set(pattern.args)
        return _replace(expr, lambda e: e.is_Add and wanted <= set(e.args),
                        lambda add: sympy.Add(replacement,
                                              *[t for t in add.args if t not in wanted]))
    return _replace(expr, lambda e: e == pattern, lambda e: replacement)


def _replace(expr, query, value):
    """``expr.replace(query, value)``, visiting each distinct part once and
    keeping shared parts shared (SymPy's walks the formula written out, which
    for reverse-mode gradients is exponentially larger than the graph)."""
    def rewrite(node):
        if not query(node):
            return node
        new = value(node)
        return node if new is None else new
    return rewrite_bottom_up(expr, rewrite)


def stabilize(expr: sympy.Expr, autodiff: bool = False, masks: bool = True) -> sympy.Expr:
    """Rewrite ``expr`` into an equal form that is accurate (and fast) in float64.

    With ``autodiff`` (code that JAX or PyTorch will differentiate), pieces are
    kept as selects: a clamp or a max/min split has kinks of its own, whose
    autograd derivative is not neurogebra's convention. Without ``masks``,
    linear pieces stay selects too: a 0/1 mask times a piece that is infinite
    where it is not taken gives nan (``x*0`` at x = inf), so the masked form
    is exact only where every piece is finite.
    """
    expr = _fuse(expr)
    if not autodiff:
        expr = _replace(expr, lambda e: isinstance(e, sympy.Piecewise), clamp)
        expr = _replace(expr, lambda e: isinstance(e, sympy.Piecewise), symmetric_clamp)
    expr = _replace(expr, lambda e: e.is_Mul and any(f.is_Add for f in e.args), _cancel_content)
    rules = tuple(r for r in _PAIR_RULES if not (autodiff and r in _KINKED_RULES))
    for _ in range(4):                      # a rewrite can expose the next one
        rewritten = _replace(expr, lambda e: e.is_Add, lambda add: _stable_add(add, rules))
        if rewritten == expr:
            break
        expr = rewritten
    expr = _replace(expr, lambda e: e.is_Mul and len(e.args) > 1, _paired_sigmoids)
    expr = _replace(expr, lambda e: e.is_Mul and len(e.args) > 1, _scaled_dsigmoid)
    expr = _replace(expr, lambda e: e.is_Mul and any(isinstance(f, sympy.log) for f in e.args),
                    _xlogy)
    expr = _replace(expr, lambda e: e.is_Mul and any(isinstance(f, sympy.Heaviside)
                                                     for f in e.args), masked)
    expr = _replace(expr, lambda e: isinstance(e, sympy.log), _log_of_sum)
    expr = _replace(expr, lambda e: isinstance(e, (sympy.sin, sympy.cos)), _reduced_phase)
    expr = _replace(expr, lambda e: isinstance(e, sympy.Piecewise), exact_kink)
    if not autodiff:
        expr = _replace(expr, lambda e: isinstance(e, sympy.Piecewise), flat)
        if masks:
            expr = _replace(expr, lambda e: isinstance(e, sympy.Piecewise), select)
    return _replace(expr, lambda e: e.is_Pow and e.exp.is_Integer and e.exp > 2, _int_power)
