"""Reference values of every scalar built-in at 50 digits, for tests/test_accuracy_sweep.py.

For every activation, loss and schedule of the built-in packs, its value and
its first derivative by every variable and every param (at the params'
defaults) are computed by mpmath from the elementary formula at points that
cover the float64 range, and stored in ``tests/data/accuracy_reference.npz``.
The test then only evaluates neurogebra (scalar and array path) against
those numbers, so it takes seconds; this module makes the numbers:

    python -m tests.accuracy_reference --write [--jobs 2] [NAME ...]

**Points.** Activations: 0, +-10^k at 2 points per decade from 1e-300 to
1e300, 10 per decade on [1e-3, 1e3], every integer in [-64, 64], the
overflow and underflow thresholds of exp, sqrt and the kernels' own switches
(``HAZARDS``), and DBL_MAX. Losses: the same axis at one point per two
decades, swept in one variable with the other fixed at each of ``TARGETS``
(and both ways), ``y_pred = y_true*(1 +- r)`` next to the diagonal, and the
variance of gaussian_nll swept on its own. Schedules: t >= 0 (their domain).
Then, found in the formulas, every kink and threshold crossed by each swept
variable (the ``where`` conditions, ``max``/``min`` ties, the arguments of
``abs``, ``sign`` and ``heaviside``) with the floats next to it, and, found in
the references, every root of the value or derivative along each swept line,
with the floats 0, 1, 4, 64, 2^12, ..., 2^36 ulps away from it, where
cancellation lives.

**Reference.** The elementary form (primitives rewritten as their formulas,
``normal_cdf`` as mpmath's ``ncdf``) is differentiated by SymPy, independently
of neurogebra's own derivative, and evaluated by mpmath at 30, 60, 120, ...
1920 digits until two precisions agree to 1e-25. Two precisions can agree on
a wrong value when a term below 10^-60 is absorbed by 1 at both: so the
formula is first rewritten with log1p and expm1 (``log(1 + u)``,
``exp(u) - 1``, ``log(cosh u)``), and every point where float64 neurogebra
disagrees with the reference is computed again at 500 and 1000 digits
(neurogebra only says where to look twice; the number is mpmath's).

**Stored.** Per function its points; per check its root probes and one
float64 per point: the reference where the check compares (a finite truth,
inside the function's domain, not a kink of the derivative), NaN elsewhere;
and the binary exponent of the condition scale ``sum |v * df/dv|`` over the
variables and params v (what rounding the inputs would change; the test uses
it for the checks in ``CONDITIONED``, benchmarks/bench_builtins.py to hold
its baselines to backward stability). Each function records a hash of its
function's formula and params, so a changed formula is detected by the test.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import math
import sys
import time
import warnings
from pathlib import Path

import mpmath
import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

from neurogebra import MathForge
from neurogebra.symbolic import PrimitiveFunction, symbol

FORGE = MathForge(plugins=["activations", "losses", "schedules"])  # vectors: test_vector_catalog.py
DATA = Path(__file__).resolve().parent / "data" / "accuracy_reference.npz"
CACHE = Path(__file__).resolve().parent / "data" / ".cache"
TINY = 2.2250738585072014e-308
HUGE = 1.7976931348623157e308

# Where neither float64 formula nor any cheap extended precision reaches 1e-12:
# the float nearest a zero whose place moves with another variable. These
# checks carry a condition scale; see docs/accuracy.md and the test.
CONDITIONED = {
    ("bce_with_logits", "value"): "softplus(z) = y*z for y_true > 1",
    ("bce_with_logits", "y_pred"): "sigmoid(y_pred) = y_true",
    ("binary_crossentropy", "value"): "roots for y_true outside [0, 1]",
    ("binary_focal", "value"): "roots for y_true outside [0, 1]",
    ("binary_focal", "y_pred"): "sigmoid(y_pred) = y_true and the other roots of the slope",
    ("binary_focal", "y_true"): "roots of the slope that move with y_pred",
    ("binary_focal", "alpha"): "roots for y_true outside [0, 1]",
    ("binary_focal", "gamma"): "roots that move with y_true",
    ("kl_div", "value"): "log(y_true) = y_pred",
    ("kl_div", "y_true"): "log(y_true) = y_pred - 1",
    ("poisson_nll", "value"): "exp(y_pred) = y_true*y_pred",
    ("poisson_nll", "y_pred"): "exp(y_pred) = y_true",
    ("poisson_nll_rate", "value"): "y_pred = y_true*log(y_pred + eps)",
    ("gaussian_nll", "value"): "(y_pred - y_true)^2/var = -log(var)",
    **{("one_cycle", wrt): "the peak t = pct_start*total - 1 moves with pct_start and total"
       for wrt in ("t", "total", "pct_start", "div_factor", "final_div_factor")},
}

# Magnitudes where a kernel switches or an intermediate overflows or underflows.
HAZARDS = [
    5e-324, 1e-310, TINY, 1.4916681462400413e-154, 2.8126442852362996e-103, 2.0 ** -53,
    2.0 ** -52, 2.0 ** -26, 1e-8, 1e-4, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 6.0, 20.0, 30.0, 36.04,
    37.5, 37.68, 38.0, 38.6, 40.0, 354.0, 354.9, 355.0, 372.0, 375.0, 600.0, 700.0, 708.4,
    709.78, 709.79, 710.0, 720.0, 744.4, 745.13, 746.0, 750.0, 1000.0, 1e4, 1e8,
    5.643803094122362e102, 1.3407807929942596e154, 1e200, HUGE]
TARGETS = [0.0, 1.0, 0.3, -1.0, 3.0, 1e-8, 100.0]
NEAR = [2.0 ** -52, 1e-8, 1e-2]
PROBABILITY_TARGETS = [0.0, 1.0, 0.3, 0.5, 1 - 1e-8, -1.0, 3.0]
PROBABILITIES = [0.0, 1e-300, 1e-12, 0.3, 0.5, 1 - 1e-12, 1.0]
ROOT_ULPS = [0, 1, -1, 4, -4, 64, -64, 2 ** 12, -2 ** 12, 2 ** 20, -2 ** 20, 2 ** 28, -2 ** 28,
             2 ** 36, -2 ** 36]
ROOTS_PER_LINE = 4


def _domain(name):
    """Inputs outside a function's domain (mpmath's complex log can make a
    "real" number of them, such as msle(-5, 3) = -pi^2)."""
    return {
        "msle": lambda c: (c["y_pred"] > -1) & (c["y_true"] > -1),
        "poisson_nll_rate": lambda c: c["y_pred"] + 1e-8 > 0,
        "bce_with_logits": lambda c: (c["y_true"] >= 0) & (c["y_true"] <= 1),
        "binary_crossentropy": lambda c: ((c["y_pred"] >= 0) & (c["y_pred"] <= 1)
                                          & (c["y_true"] >= 0) & (c["y_true"] <= 1)),
        "binary_focal": lambda c: (c["y_true"] >= 0) & (c["y_true"] <= 1),
    }.get(name, lambda c: np.ones(len(next(iter(c.values()))), bool))


# -- points ------------------------------------------------------------------------------

def _log_axis(per_decade, low=-300.0, high=300.0):
    return 10.0 ** np.linspace(low, high, int(round((high - low) * per_decade)) + 1)


def _signed(magnitudes, linear=()):
    m = np.asarray(magnitudes, float)
    m = m[np.isfinite(m) & (m > 0)]
    return np.unique(np.concatenate([-m, [0.0], m, np.asarray(linear, float)]))


def activation_axis():
    return _signed(np.concatenate([_log_axis(2), _log_axis(10, -3, 3), HAZARDS,
                                   np.arange(36.0, 40.0, 1 / 8), np.arange(700.0, 750.0, 4)]),
                   np.arange(-64.0, 65.0))


def loss_axis():
    return _signed(np.concatenate([_log_axis(0.5), _log_axis(2, -3, 3), HAZARDS]),
                   np.arange(-8.0, 9.0))


def time_axis():
    a = np.concatenate([[0.0], _log_axis(2), np.arange(0.0, 200.5, 0.5), HAZARDS])
    return np.unique(a[np.isfinite(a) & (a >= 0)])


def probability_axis():
    small = np.concatenate([_log_axis(0.5, -300, math.log10(0.5)), _log_axis(4, -3, 0), [TINY]])
    near_one = 1.0 - _log_axis(2, -16, math.log10(0.5))
    return np.unique(np.concatenate([[0.0, 1.0, math.exp(-100.0)], small, near_one,
                                     np.linspace(0, 1, 41)]))


def around(k):
    """k, its float neighbours, and k +- |k| r."""
    out = [k, np.nextafter(k, np.inf), np.nextafter(k, -np.inf)]
    base = abs(k) or 1.0
    out += [k + s * base * r for r in (1e-15, 1e-12, 1e-9, 1e-6, 1e-3) for s in (1, -1)]
    return out


class Points:
    """Columns of float64 values (one per variable) and the lines swept through them."""

    def __init__(self, names):
        self.names = list(names)
        self.rows = []       # tuples of values
        self.lines = []      # (swept variable, {fixed variable: value}, first row, end row)

    def add_line(self, swept, values, **fixed):
        start = len(self.rows)
        for v in values:
            self.rows.append(tuple(v if n == swept else fixed[n] for n in self.names))
        self.lines.append((swept, fixed, start, len(self.rows)))

    def add(self, **columns):
        n = len(next(iter(columns.values())))
        self.rows += [tuple(float(columns[c][i]) for c in self.names) for i in range(n)]

    def array(self):
        return np.array(self.rows, dtype=float).reshape(-1, len(self.names))


def switches(expr):
    """Expressions whose sign change switches a piece of ``expr``."""
    found = set()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Piecewise):
            for cond in (pair.cond for pair in node.args):
                found |= {r.lhs - r.rhs for r in cond.atoms(sympy.core.relational.Relational)}
        elif isinstance(node, (sympy.Max, sympy.Min)):
            found |= {a - b for a, b in itertools.combinations(node.args, 2)}
        elif isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside)):
            found.add(node.args[0])
        elif isinstance(node, PrimitiveFunction):
            found |= switches(node.primitive.explicit(*node.args))
    return {s for s in found if s.free_symbols}


def _defaults(expression):
    return {symbol(k): sympy.Rational(v) for k, v in expression.params.items()}   # exact floats


@functools.lru_cache(maxsize=None)
def kink_solutions(name):
    """variable -> functions of the other variables giving the kinks it crosses."""
    e = FORGE.get(name)
    exprs = [e.symbolic_expr] + [e.gradient(w).symbolic_expr for w in checks(name)[1:]]
    found = set().union(*(switches(x) for x in exprs))
    out = {}
    for v in e.variables:
        others = [symbol(o) for o in e.variables if o != v]
        for s in found:
            s = s.xreplace(_defaults(e))
            if not s.has(symbol(v)):
                continue
            try:
                sols = sympy.solve(s, symbol(v))
            except (NotImplementedError, ValueError):
                continue
            out.setdefault(v, []).extend(
                sympy.lambdify(others, sol, "math") for sol in sols if sol.is_real is not False)
    return out


def _kink_points(name, pts, variable, others_grid):
    for solution in kink_solutions(name).get(variable, []):
        others = [n for n in pts.names if n != variable]
        for combination in others_grid:
            try:
                k = float(solution(*map(float, combination)))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                continue
            if math.isfinite(k):
                fixed = dict(zip(others, combination))
                pts.add(**{variable: around(k)}, **{o: [fixed[o]] * 13 for o in others})


def points_for(name):
    """The sweep of one function (root probes come later, per check)."""
    e = FORGE.get(name)
    variables = e.variables
    pts = Points(variables)
    if variables == ("x",):
        pts.add_line("x", activation_axis())
        _kink_points(name, pts, "x", [()])
    elif variables == ("t",):
        pts.add_line("t", time_axis())
        _kink_points(name, pts, "t", [()])
    elif name == "binary_crossentropy":
        for t in PROBABILITY_TARGETS:
            pts.add_line("y_pred", probability_axis(), y_true=t)
        for p in PROBABILITIES:
            pts.add_line("y_true", loss_axis(), y_pred=p)
        near = [(t * (1 + s * r), t) for t in probability_axis() for r in NEAR for s in (1, -1)]
        near = np.array([q for q in near if 0 <= q[0] <= 1])
        pts.add(y_pred=near[:, 0], y_true=near[:, 1])
        _kink_points(name, pts, "y_pred", [(t,) for t in PROBABILITY_TARGETS])
    else:
        axis = loss_axis()
        extra = {"var": [1.0, 1e-8]} if "var" in variables else {}
        for fixed_extra in (dict(zip(extra, c)) for c in itertools.product(*extra.values())):
            for t in TARGETS:
                pts.add_line("y_pred", axis, y_true=t, **fixed_extra)
                pts.add_line("y_true", axis, y_pred=t, **fixed_extra)
        for r in NEAR:
            for s in (1.0, -1.0):
                with np.errstate(over="ignore"):
                    columns = {"y_pred": axis * (1 + s * r), "y_true": axis}
                if extra:
                    columns["var"] = np.ones(len(axis))
                pts.add(**columns)
        coarse = _signed(np.concatenate([_log_axis(0.05), [0.3, 1.0, 3.0, 100.0]]))
        grid = {"y_true": coarse, "y_pred": coarse, "var": [1.0, 1e-8]}
        for v in ("y_pred", "y_true"):
            others = [n for n in variables if n != v]
            _kink_points(name, pts, v, list(itertools.product(*(grid[o] for o in others))))
        if "var" in variables:
            for d in [0.0, 1e-8, 1e-3, 0.5, 1.0, 3.0, 1e3, 1e100]:
                pts.add_line("var", np.concatenate([axis, around(1e-6)]), y_pred=d, y_true=0.0)
            _kink_points(name, pts, "var", list(itertools.product(coarse[::4], [0.0])))
    array = pts.array()
    keep = _domain(name)({n: array[:, i] for i, n in enumerate(variables)})
    keep &= np.isfinite(array).all(axis=1)
    first = np.zeros(len(array), bool)
    first[np.unique(array + 0.0, axis=0, return_index=True)[1]] = True   # -0.0 is 0.0 here
    return pts, keep & first


# -- the reference ----------------------------------------------------------------------

class Phi(sympy.Function):
    """The normal distribution function, by mpmath's ncdf in both tails."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sympy.exp(-x ** 2 / 2) / sympy.sqrt(2 * sympy.pi)


def _phi(x):
    # ncdf's erfc misbehaves far out, where Phi is 0 or 1 to any precision
    return mpmath.mpf(int(x > 0)) if abs(x) > 1e10 else mpmath.ncdf(x)


def _expm1_in_add(*args):
    args = list(args)
    i = next(k for k, a in enumerate(args) if isinstance(a, sympy.exp))
    u = args.pop(i).args[0]
    args.remove(-1)
    return sympy.Add(expm1(u), *args)


def elementary(expression):
    """The formula with primitives written out, in forms mpmath computes without
    absorbing a tiny term into 1."""
    expr = expression.symbolic_expr.replace(
        lambda e: isinstance(e, PrimitiveFunction) and e.primitive.name == "normal_cdf",
        lambda e: Phi(e.args[0]))
    expr = expr.rewrite("explicit")
    expr = expr.replace(lambda z: isinstance(z, sympy.log) and isinstance(z.args[0], sympy.Max),
                        lambda z: sympy.Max(*[sympy.log(a) for a in z.args[0].args]))
    expr = expr.replace(lambda z: isinstance(z, sympy.log) and isinstance(z.args[0], sympy.cosh),
                        lambda z: log1p(2 * sympy.sinh(z.args[0].args[0] / 2) ** 2))
    expr = expr.replace(
        lambda z: isinstance(z, sympy.log) and z.args[0].is_Add and 1 in z.args[0].args,
        lambda z: log1p(z.args[0] - 1))
    expr = expr.replace(
        lambda z: z.is_Add and -1 in z.args and any(isinstance(a, sympy.exp) for a in z.args),
        _expm1_in_add)
    return expr.replace(hypot, lambda a, b: sympy.sqrt(a ** 2 + b ** 2))


def _diff(expr, name):
    # a step's derivative is 0 wherever it exists (and autograd's at its jumps)
    out = sympy.diff(expr, symbol(name)).replace(
        lambda z: isinstance(z, sympy.Derivative) and isinstance(z.expr, sympy.floor),
        lambda z: sympy.S.Zero)
    return out.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)


def _at_defaults(expr, e):
    """Params at their defaults (exact rationals), Heaviside as a Piecewise."""
    expr = expr.xreplace({symbol(k): sympy.Rational(v) for k, v in e.params.items()})
    return expr.replace(sympy.Heaviside, lambda a, h0=sympy.S.Half: sympy.Piecewise(
        (1, a > 0), (0, a < 0), (h0, True)))


def _check_expr(name, wrt):
    """The exact function (wrt "value") or its SymPy derivative, params symbolic."""
    exact = elementary(FORGE.get(name))
    return exact if wrt == "value" else _diff(exact, wrt)


def reference_expr(name, wrt):
    """The exact function (wrt "value") or its SymPy derivative, params at their defaults."""
    return _at_defaults(_check_expr(name, wrt), FORGE.get(name))


def source_hash(name):
    """What a function's references are computed from: its formula and its params."""
    e = FORGE.get(name)
    text = sympy.srepr(e.symbolic_expr) + repr(sorted(e.params.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _lambdify(expr, names):
    return sympy.lambdify([symbol(n) for n in names], expr, modules=[{"Phi": _phi}, "mpmath"])


def _mp(f, args, dps):
    with mpmath.workdps(dps):
        try:
            v = f(*[mpmath.mpf(a) for a in args])
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if isinstance(v, mpmath.mpc):
            if v.imag != 0:
                return None
            v = v.real
        v = mpmath.mpf(v)
        return +v if mpmath.isfinite(v) else None


PRECISIONS = (30, 60, 120, 240, 480, 960, 1920)


def adaptive(f, args):
    """The value (nan where undefined, infinite or unresolved)."""
    previous = None
    for dps in PRECISIONS:
        v = _mp(f, args, dps)
        if v is None:
            if dps >= 60 and previous is None:
                return math.nan
            previous = None
            continue
        if previous is not None:
            if v != 0 and abs(v - previous) <= mpmath.mpf(10) ** -25 * abs(v):
                return float(v)
            if v == 0 and previous == 0:
                # exactly 0 twice: only the top precision tells a deep cancellation from 0
                top = _mp(f, args, PRECISIONS[-1])
                return 0.0 if top is None or top == 0 else float(top)
        previous = v
    return math.nan


def verified(f, args):
    """The careful value: 500 and 1000 digits agree to 1e-25 (else adaptive)."""
    a, b = _mp(f, args, 500), _mp(f, args, 1000)
    if a is None or b is None:
        return math.nan
    if a == 0 and b == 0:
        return 0.0
    if abs(a - b) <= mpmath.mpf(10) ** -25 * abs(b):
        return float(b)
    return adaptive(f, args)


def _cached(kind, expr, points, compute):
    key = hashlib.sha256((kind + sympy.srepr(expr)).encode() + points.tobytes()).hexdigest()[:24]
    path = CACHE / f"{kind}-{key}.npy"
    if path.exists():
        return np.load(path)
    values = compute()
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, values)
    return values


def references(name, wrt, points, careful=False):
    expr = reference_expr(name, wrt)
    f = _lambdify(expr, FORGE.get(name).variables)
    method = verified if careful else adaptive
    return _cached("careful" if careful else "ref", expr, points,
                   lambda: np.array([method(f, row) for row in points.tolist()]))


def kink_mask(name, wrt, points):
    """Points where a switch of the derivative is exactly 0 (compared by the convention tests)."""
    e = FORGE.get(name)
    found = switches(e.gradient(wrt).symbolic_expr) | switches(e.symbolic_expr)
    found = [s.xreplace(_defaults(e)) for s in found]
    fs = [_lambdify(s, e.variables) for s in found if s.free_symbols]
    mask = np.zeros(len(points), bool)
    with mpmath.workdps(700):
        for i, row in enumerate(points.tolist()):
            args = [mpmath.mpf(a) for a in row]
            for f in fs:
                try:
                    if f(*args) == 0:
                        mask[i] = True
                        break
                except (ZeroDivisionError, ValueError, TypeError):
                    pass
    return mask


def condition_exponent(name, wrt, points):
    """k with 2^(k-1) < sum |v * d(check)/dv| <= 2^k over the variables and params v:
    the size of what rounding the inputs changes (a scale for a tolerance, so a
    power of two at 30 digits is plenty); -32768 for 0, 32767 for infinity."""
    e = FORGE.get(name)
    expr = _check_expr(name, wrt)
    fs = [_lambdify(_at_defaults(symbol(v) * _diff(expr, v), e), e.variables)
          for v in [*e.variables, *e.params]]

    def one(row):
        total = 0.0
        for f in fs:
            v = _mp(f, row, 30)
            total += abs(float(v)) if v is not None else 0.0
        if total == 0:
            return -32768
        return 32767 if math.isinf(total) else math.frexp(total)[1]
    return _cached("condition", reference_expr(name, wrt), points,
                   lambda: np.array([one(r) for r in points.tolist()], dtype=np.int16))


# -- root probes ------------------------------------------------------------------------

def root_probes(name, wrt, pts, array, ref):
    """Floats next to every sign change of the reference along each swept line."""
    e = FORGE.get(name)
    f = _lambdify(reference_expr(name, wrt), e.variables)
    out = []
    for swept, fixed, start, end in pts.lines:
        i = pts.names.index(swept)
        rows = np.arange(start, end)
        rows = rows[np.argsort(array[rows, i])]
        r = ref[rows]
        good = np.isfinite(r) & (r != 0)
        rows, r = rows[good], r[good]
        changes = np.nonzero(np.sign(r[:-1]) != np.sign(r[1:]))[0]
        changes = sorted(changes, key=lambda j: abs(array[rows[j], i]))[:ROOTS_PER_LINE]
        for j in changes:
            a, b = array[rows[j], i], array[rows[j + 1], i]
            root = _bisect(f, pts.names, swept, fixed, a, b)
            if root is None:
                continue
            ulp = math.ulp(root) if root else 5e-324
            for k in ROOT_ULPS:
                t = root + k * ulp
                if min(a, b) <= t <= max(a, b):
                    out.append(tuple(t if n == swept else fixed[n] for n in pts.names))
    return np.unique(np.array(out, float).reshape(-1, len(pts.names)), axis=0)


def _bisect(f, names, swept, fixed, a, b):
    def g(t):
        return f(*[t if n == swept else mpmath.mpf(fixed[n]) for n in names])
    with mpmath.workdps(60):
        try:
            lo, hi = mpmath.mpf(a), mpmath.mpf(b)
            g_lo = g(lo)
            for _ in range(400):
                mid = (lo + hi) / 2
                g_mid = g(mid)
                if g_mid == 0:
                    return float(mid)
                if (g_mid > 0) == (g_lo > 0):
                    lo, g_lo = mid, g_mid
                else:
                    hi = mid
                if hi - lo <= abs(lo) * mpmath.mpf(10) ** -40:
                    break
            root = float((lo + hi) / 2)
        except (ZeroDivisionError, ValueError, TypeError):
            return None
    return root if math.isfinite(root) else None


# -- reading the stored references --------------------------------------------------------

CONDITION_ULPS = 4
EPS = 2.0 ** -52


@functools.lru_cache(maxsize=1)
def _stored():
    return np.load(DATA)


def compared_points(name, wrt):
    """(points, references, slack) of one check where it is compared: ``slack`` is
    CONDITION_ULPS ulps of the condition scale for the checks in ``CONDITIONED``
    (0 elsewhere, and where the scale is infinite)."""
    stored = _stored()
    points = np.concatenate([stored[f"{name}/points"], stored[f"{name}/{wrt}/probes"]])
    want = stored[f"{name}/{wrt}/ref"]
    compared = ~np.isnan(want)
    slack = np.zeros(len(want))
    if (name, wrt) in CONDITIONED:
        exponent = stored[f"{name}/{wrt}/condition"].astype(int)
        slack = np.where(exponent >= 32767, 0.0,
                         CONDITION_ULPS * EPS * np.ldexp(1.0, np.minimum(exponent, 1023)))
    return points[compared], want[compared], slack[compared]


TOL = 1e-12


def wrong_points(got, want, slack):
    """Where ``got`` misses the reference ``want``: by more than TOL relatively plus
    ``slack`` where the truth is a normal float; by being normal where it is not."""
    with np.errstate(all="ignore"):
        error = np.abs(got - want)
        ok = error <= TOL * np.abs(want) + slack
        ok |= (np.abs(want) < TINY) & (np.abs(got) < TINY)
    return ~ok


# -- one check ----------------------------------------------------------------------------

def neurogebra_values(name, wrt, points):
    """neurogebra's values on both paths (array, scalar), nan where a scalar call fails."""
    e = FORGE.get(name)
    target = e if wrt == "value" else e.gradient(wrt)
    columns = {n: points[:, i].copy() for i, n in enumerate(e.variables)}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        array = np.asarray(target.eval(**columns), float)
        scalar = np.empty(len(points))
        for k, row in enumerate(points.tolist()):
            try:
                scalar[k] = target.eval(**dict(zip(e.variables, row)))
            except Exception:        # noqa: BLE001 - any failure is worth a second look
                scalar[k] = math.nan
    return array, scalar


def _doubtful(ref, *values):
    with np.errstate(all="ignore"):
        bad = np.zeros(len(ref), bool)
        for v in values:
            bad |= ~(np.abs(v - ref) <= 1e-13 * np.abs(ref))
    return bad & (np.isfinite(ref) | np.isfinite(values[0]))


def compute_check(name, wrt, base):
    """(root probes, stored reference, condition exponent) of one check."""
    pts, keep = base
    array = pts.array()
    ref = references(name, wrt, array)
    probes = root_probes(name, wrt, pts, array, ref)
    probes = probes[_domain(name)({n: probes[:, i] for i, n in enumerate(pts.names)})] \
        if len(probes) else probes
    every = np.concatenate([array[keep], probes])
    ref = np.concatenate([ref[keep], references(name, wrt, probes)]) if len(probes) else ref[keep]
    doubt = np.nonzero(_doubtful(ref, *neurogebra_values(name, wrt, every)))[0]
    if len(doubt):
        ref[doubt] = references(name, wrt, every[doubt], careful=True)
    if wrt != "value":
        ref[kink_mask(name, wrt, every)] = math.nan
    ref[~np.isfinite(ref) | (np.abs(ref) > HUGE)] = math.nan
    return probes, ref, condition_exponent(name, wrt, every)


def checks(name):
    e = FORGE.get(name)
    return ["value", *e.variables, *e.params]


def _work(task):
    name, wrt = task
    start = time.time()
    result = compute_check(name, wrt, points_for(name))
    print(f"{name:>22} {wrt:>16} {len(result[1]):7d} points {time.time() - start:7.1f} s",
          flush=True)
    return task, result


def write(names, jobs):
    """Compute the checks of ``names`` and merge them into the data file."""
    stored = dict(np.load(DATA)) if DATA.exists() else {}
    meta = json.loads(str(stored.pop("meta"))) if "meta" in stored else {}
    tasks = [(n, w) for n in names for w in checks(n)]
    if jobs > 1:
        from multiprocessing import Pool
        with Pool(jobs) as pool:
            results = pool.map(_work, tasks, chunksize=1)
    else:
        results = [_work(t) for t in tasks]
    for name in names:
        pts, keep = points_for(name)
        stored[f"{name}/points"] = pts.array()[keep]
        meta[name] = {"source": source_hash(name), "checks": checks(name)}
        for key in [k for k in stored if k.startswith(f"{name}/") and k != f"{name}/points"]:
            del stored[key]
    for (name, wrt), (probes, ref, cond) in results:
        stored[f"{name}/{wrt}/probes"] = probes
        stored[f"{name}/{wrt}/ref"] = ref
        stored[f"{name}/{wrt}/condition"] = cond
    DATA.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(DATA, meta=np.array(json.dumps(meta, sort_keys=True)), **stored)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="compute and store the references")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("names", nargs="*", help="functions (default: every scalar built-in)")
    args = parser.parse_args(argv)
    names = args.names or FORGE.list_all()
    if not args.write:
        parser.error("nothing to do: pass --write")
    write(names, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
