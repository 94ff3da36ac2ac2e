"""SymPy expression -> fast Python function, through one explicit table.

Code is generated from the SymPy tree (after common-subexpression
elimination) by a small printer whose only inputs are SymPy objects: each
head maps to a function of the target backend, and an unsupported head is
an error naming it, never a silent fallback. Two backends are built in:

* ``numpy``: vectorised, for arrays (the stable kernels of primitives);
* ``math``: Python floats, ~20x cheaper per call than NumPy on scalars.

Before printing, a few numerically stable rewrites are applied (for example
``1 - sigmoid(u)`` is computed as ``sigmoid(-u)``), so that the readable
symbolic form is kept for people and the accurate form is used for numbers.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Sequence

import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

from .errors import EvaluationError
from .primitives import PrimitiveFunction

__all__ = ["compile_function", "stabilize", "BACKENDS"]

BACKENDS = ("numpy", "math")


# --------------------------------------------------------------------------
# Numerically stable rewrites
# --------------------------------------------------------------------------

class _sech2(sympy.Function):
    """1 - tanh(u)**2, computed without cancellation (internal)."""


class _dsigmoid(sympy.Function):
    """sigmoid(u)*sigmoid(-u), the sigmoid's derivative, in one pass (internal)."""


def _dsigmoid_np(u):
    e = np.exp(-np.abs(u))
    return e / (1.0 + e) ** 2


def _dsigmoid_scalar(u):
    e = math.exp(-abs(u))
    return e / (1.0 + e) ** 2


def _sech2_np(u):
    e = np.exp(-2.0 * np.abs(u))
    return 4.0 * e / (1.0 + e) ** 2


def _sech2_scalar(u):
    e = math.exp(-2.0 * abs(u))
    return 4.0 * e / (1.0 + e) ** 2


def _complement(term_a, term_b):
    """If ``term_a + term_b`` is ``c - c*f(u)`` (c = +-1) with a stable form, return it."""
    if term_a not in (1, -1):
        return None
    sign = term_a
    negated = -term_b * sign
    from .primitives import sigmoid
    if isinstance(negated, sigmoid):
        return sign * sigmoid(-negated.args[0])
    if negated.is_Pow and negated.exp == 2 and isinstance(negated.base, sympy.tanh):
        return sign * _sech2(negated.base.args[0])
    return None


def _stable_add(add):
    terms = list(add.args)
    for i, j in itertools.permutations(range(len(terms)), 2):
        replacement = _complement(terms[i], terms[j])
        if replacement is not None:
            rest = [t for k, t in enumerate(terms) if k not in (i, j)]
            return sympy.Add(replacement, *rest)
    return add


def _paired_sigmoids(mul):
    """sigmoid(u)*sigmoid(-u)*rest -> _dsigmoid(u)*rest."""
    from .primitives import sigmoid
    factors = list(mul.args)
    for i, a in enumerate(factors):
        if isinstance(a, sigmoid):
            for j, b in enumerate(factors):
                if j != i and isinstance(b, sigmoid) and b.args[0] == -a.args[0]:
                    rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                    return sympy.Mul(_dsigmoid(a.args[0]), *rest)
    return mul


def stabilize(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite ``expr`` into an equal form that is accurate (and fast) in float64."""
    expr = expr.replace(lambda e: e.is_Add and (1 in e.args or -1 in e.args), _stable_add)
    return expr.replace(lambda e: e.is_Mul and len(e.args) > 1, _paired_sigmoids)


# --------------------------------------------------------------------------
# Kernels that neither NumPy nor math provide directly
# --------------------------------------------------------------------------

def _np_erf():
    try:
        from scipy.special import erf
        return erf
    except ImportError:  # pragma: no cover - scipy is a dependency
        return np.vectorize(math.erf, otypes=[float])


def _np_erfc():
    try:
        from scipy.special import erfc
        return erfc
    except ImportError:  # pragma: no cover
        return np.vectorize(math.erfc, otypes=[float])


def _scalar_sign(x):
    return math.copysign(1.0, x) if x else (x if x != x else 0.0)


def _scalar_heaviside(x, h0):
    if x > 0:
        return 1.0
    if x < 0:
        return 0.0
    return h0 if x == 0 else x


def _scalar_max(*args):
    return math.nan if any(a != a for a in args) else max(args)


def _scalar_min(*args):
    return math.nan if any(a != a for a in args) else min(args)


_NUMPY_TABLE: dict[type, str] = {
    sympy.exp: "np.exp", sympy.log: "np.log", expm1: "np.expm1", log1p: "np.log1p",
    hypot: "np.hypot",
    sympy.sin: "np.sin", sympy.cos: "np.cos", sympy.tan: "np.tan",
    sympy.sinh: "np.sinh", sympy.cosh: "np.cosh", sympy.tanh: "np.tanh",
    sympy.asin: "np.arcsin", sympy.acos: "np.arccos", sympy.atan: "np.arctan",
    sympy.asinh: "np.arcsinh", sympy.acosh: "np.arccosh", sympy.atanh: "np.arctanh",
    sympy.Abs: "np.abs", sympy.sign: "np.sign", sympy.erf: "_erf", sympy.erfc: "_erfc",
    _sech2: "_sech2", _dsigmoid: "_dsigmoid",
}
_MATH_TABLE: dict[type, str] = {
    sympy.exp: "math.exp", sympy.log: "math.log", expm1: "math.expm1", log1p: "math.log1p",
    hypot: "math.hypot",
    sympy.sin: "math.sin", sympy.cos: "math.cos", sympy.tan: "math.tan",
    sympy.sinh: "math.sinh", sympy.cosh: "math.cosh", sympy.tanh: "math.tanh",
    sympy.asin: "math.asin", sympy.acos: "math.acos", sympy.atan: "math.atan",
    sympy.asinh: "math.asinh", sympy.acosh: "math.acosh", sympy.atanh: "math.atanh",
    sympy.Abs: "abs", sympy.sign: "_sign", sympy.erf: "math.erf", sympy.erfc: "math.erfc",
    _sech2: "_sech2", _dsigmoid: "_dsigmoid",
}


_LAZY_NUMPY = {"_erf": _np_erf, "_erfc": _np_erfc}  # scipy is imported on first use


def _namespace(backend: str) -> dict:
    if backend == "numpy":
        return {"np": np, "_sech2": _sech2_np, "_dsigmoid": _dsigmoid_np}
    return {"math": math, "_sign": _scalar_sign, "_heaviside": _scalar_heaviside,
            "_max": _scalar_max, "_min": _scalar_min, "_sech2": _sech2_scalar,
            "_dsigmoid": _dsigmoid_scalar,
            "_nan": math.nan}


# --------------------------------------------------------------------------
# The printer
# --------------------------------------------------------------------------

class _Printer:
    """Prints one SymPy expression as Python source for one backend."""

    def __init__(self, backend: str, names: dict):
        self.backend = backend
        self.numpy = backend == "numpy"
        self.table = _NUMPY_TABLE if self.numpy else _MATH_TABLE
        self.names = names
        self.namespace = _namespace(backend)

    def emit(self, e) -> str:
        if e in self.names:
            return self.names[e]
        if e.is_Integer:
            return f"({int(e)})" if e < 0 else str(int(e))
        if e.is_Number or e.is_NumberSymbol:
            value = float(e)
            if not math.isfinite(value):
                raise EvaluationError(f"cannot evaluate the constant {e}")
            return f"({value!r})" if value < 0 else repr(value)
        if e.is_Add:
            return self._add(e)
        if e.is_Mul:
            return self._mul(e)
        if e.is_Pow:
            return self._pow(e)
        if isinstance(e, PrimitiveFunction):
            return self._primitive(e)
        if isinstance(e, sympy.Piecewise):
            return self._piecewise(e)
        if e.is_Relational:
            op = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}[e.rel_op]
            return f"({self.emit(e.lhs)} {op} {self.emit(e.rhs)})"
        if e is sympy.true or e is sympy.false:
            return str(bool(e))
        if isinstance(e, (sympy.And, sympy.Or, sympy.Not)):
            return self._boolean(e)
        return self._function(e)

    def _add(self, e) -> str:
        out = ""
        for term in e.args:
            coeff, _ = term.as_coeff_Mul()
            if coeff.is_negative:
                out += f" - {self.emit(-term)}" if out else f"-{self.emit(-term)}"
            else:
                out += f" + {self.emit(term)}" if out else self.emit(term)
        return f"({out})"

    def _mul(self, e) -> str:
        coeff, factors = e.as_coeff_mul()
        num, den = [], []
        for f in factors:
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                den.append(f.base ** -f.exp)
            else:
                num.append(f)
        sign = ""
        if coeff == -1:
            sign = "-"
        elif coeff != 1:
            num.insert(0, abs(coeff))
            sign = "-" if coeff.is_negative else ""
        top = "*".join(self.emit(f) for f in num) or "1.0"
        if den:
            top += "/" + ("*".join(self.emit(f) for f in den) if len(den) == 1
                          else "(" + "*".join(self.emit(f) for f in den) + ")")
        return f"({sign}{top})"

    def _pow(self, e) -> str:
        base, exp = e.base, e.exp
        sqrt = "np.sqrt" if self.numpy else "math.sqrt"
        if exp == sympy.S.Half:
            return f"{sqrt}({self.emit(base)})"
        if exp == -sympy.S.Half:
            return f"(1.0/{sqrt}({self.emit(base)}))"
        if exp.is_Integer and exp.is_negative:
            return f"(1.0/{self.emit(base)}**{int(-exp)})"
        if base is sympy.E:
            return f"{'np' if self.numpy else 'math'}.exp({self.emit(exp)})"
        return f"({self.emit(base)}**{self.emit(exp)})"

    def _primitive(self, e) -> str:
        spec = e._primitive
        key = f"_k_{spec.name}"
        if key not in self.namespace:
            self.namespace[key] = self._kernel(spec)
        return f"{key}({', '.join(self.emit(a) for a in e.args)})"

    def _kernel(self, spec) -> Callable:
        if self.numpy:
            return spec.numpy
        if spec.scalar is not None:
            return spec.scalar
        return lambda *xs: float(spec.numpy(*(np.float64(x) for x in xs)))

    def _piecewise(self, e) -> str:
        pieces = list(e.args)
        *branches, (last_value, last_cond) = pieces
        tail = self.emit(last_value) if last_cond is sympy.true else None
        if tail is None:
            branches.append((last_value, last_cond))
            tail = "np.nan" if self.numpy else "_nan"
        for value, cond in reversed(branches):
            if self.numpy:
                tail = f"np.where({self.emit(cond)}, {self.emit(value)}, {tail})"
            else:
                tail = f"({self.emit(value)} if {self.emit(cond)} else {tail})"
        return tail

    def _boolean(self, e) -> str:
        if isinstance(e, sympy.Not):
            return f"({'~' if self.numpy else 'not '}{self.emit(e.args[0])})"
        joiner = {sympy.And: (" & ", " and "), sympy.Or: (" | ", " or ")}[type(e)]
        return "(" + joiner[0 if self.numpy else 1].join(self.emit(a) for a in e.args) + ")"

    def _function(self, e) -> str:
        head = type(e)
        args = [self.emit(a) for a in e.args]
        if head in self.table:
            function = self.table[head]
            if function in _LAZY_NUMPY and function not in self.namespace:
                self.namespace[function] = _LAZY_NUMPY[function]()
            return f"{function}({', '.join(args)})"
        if head in (sympy.Max, sympy.Min):
            if self.numpy:
                fn = "np.maximum" if head is sympy.Max else "np.minimum"
                out = args[0]
                for a in args[1:]:
                    out = f"{fn}({out}, {a})"
                return out
            return f"{'_max' if head is sympy.Max else '_min'}({', '.join(args)})"
        if head is sympy.Heaviside:
            return (f"np.heaviside({args[0]}, {args[1]})" if self.numpy
                    else f"_heaviside({args[0]}, {args[1]})")
        if head is sympy.DiracDelta:
            # Autograd convention: the derivative of a step is 0 everywhere.
            return f"(0.0*np.abs({args[0]}))" if self.numpy else "0.0"
        raise EvaluationError(
            f"cannot evaluate {head.__name__}(...) with the {self.backend} backend: "
            "no numeric implementation is known for it")


def compile_function(expr, args: Sequence[sympy.Symbol], backend: str = "numpy",
                     label: str = "expression") -> Callable:
    """Compile ``expr`` into a Python function of ``args`` (positional).

    ``expr`` is one SymPy expression, or a list of them for a function that
    returns a tuple (common subexpressions are then shared between outputs).
    The expression is stabilised, common subexpressions become temporaries,
    and each head is printed through the backend's table.
    """
    if backend not in BACKENDS:
        raise EvaluationError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    several = isinstance(expr, (list, tuple))
    outputs = [stabilize(e) for e in (expr if several else [expr])]
    names = {s: f"_a{i}" for i, s in enumerate(args)}
    printer = _Printer(backend, names)
    temps, reduced = sympy.cse(outputs, symbols=(sympy.Dummy() for _ in itertools.count()))
    lines = [f"def _compiled({', '.join(names.values())}):"]
    for i, (tmp, value) in enumerate(temps):
        code = printer.emit(value)
        names[tmp] = f"_t{i}"
        lines.append(f"    _t{i} = {code}")
    results = [printer.emit(r) for r in reduced]
    lines.append(f"    return ({', '.join(results)},)" if several else f"    return {results[0]}")
    source = "\n".join(lines)
    namespace = printer.namespace
    exec(compile(source, f"<neurogebra {label}>", "exec"), namespace)  # generated, not user text
    function = namespace["_compiled"]
    function.source = source
    return function
