"""SymPy expression -> Python source -> function: the code generator.

Code is generated from the SymPy tree (after common-subexpression
elimination) by a small printer whose only inputs are SymPy objects.
Arithmetic, powers, conditions and ``Piecewise`` are printed as Python;
every function is looked up by its SymPy head in the one function table and
called through the kernel the target backend resolves for it. A head with no
entry is an error naming it, never a silent fallback.

Before printing, numerically stable rewrites are applied (see ``_stable``),
so the readable symbolic form is kept for people and the accurate form is
used for numbers.
"""

from __future__ import annotations

import itertools
import keyword
import math
from typing import Callable, Sequence

import sympy

from ..errors import EvaluationError
from ..symbolic import PrimitiveFunction, formula_function, function_for_head
from ._backends import get_backend
from ._stable import stabilize

__all__ = ["compile_function"]

_RESERVED = {"np", "jnp", "torch", "math"}


class _Printer:
    """Prints SymPy expressions as Python source for one backend."""

    def __init__(self, backend: str, names: dict):
        self.backend = get_backend(backend)
        self.vectorised = self.backend.vectorised
        self.names = names
        self.namespace = self.backend.namespace()

    def emit(self, e) -> str:
        if e in self.names:
            return self.names[e]
        if e.is_Integer and abs(e) <= _EXACT_INTEGERS:
            return f"({int(e)})" if e < 0 else str(int(e))
        if isinstance(e, sympy.Expr) and e.is_number:
            return _constant(e)
        if e.is_Add:
            return self._add(e)
        if e.is_Mul:
            return self._mul(e)
        if e.is_Pow:
            return self._pow(e)
        if isinstance(e, sympy.Piecewise):
            return self._piecewise(e)
        if e.is_Relational:
            return f"({self.emit(e.lhs)} {e.rel_op} {self.emit(e.rhs)})"
        if e is sympy.true or e is sympy.false:
            return str(bool(e))
        if isinstance(e, (sympy.And, sympy.Or, sympy.Not)):
            return self._boolean(e)
        if isinstance(e, sympy.ITE):   # a condition on a where(): `where(c, a, b) > 0`
            return self._choice(*(self.emit(a) for a in e.args))
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
            bottom = "*".join(self.emit(f) for f in den)
            top += "/" + (bottom if len(den) == 1 else f"({bottom})")
        return f"({sign}{top})"

    def _pow(self, e) -> str:
        base, exp = e.base, e.exp
        if exp == sympy.S.Half:
            return f"{self._kernel(formula_function('sqrt'))}({self.emit(base)})"
        if exp == -sympy.S.Half:
            return f"(1.0/{self._kernel(formula_function('sqrt'))}({self.emit(base)}))"
        if exp.is_Integer and exp.is_negative:
            return f"(1.0/{self.emit(base)}**{int(-exp)})"
        if base is sympy.E:
            return f"{self._kernel(formula_function('exp'))}({self.emit(exp)})"
        return f"({self.emit(base)}**{self.emit(exp)})"

    def _kernel(self, function) -> str | None:
        """The namespace name of ``function``'s kernel (None: there is none here)."""
        key = f"_f_{function.name}"
        if key not in self.namespace:
            kernel = self.backend.kernel(function)
            if kernel is None:
                return None
            self.namespace[key] = kernel
        return key

    def _arguments(self, e) -> list[str]:
        """The code of a function call's arguments."""
        return [self.emit(a) for a in e.args]

    def _piecewise(self, e) -> str:
        *branches, (last_value, last_cond) = e.args
        if last_cond is sympy.true:
            tail = self.emit(last_value)
        else:
            branches.append((last_value, last_cond))
            tail = "_nan"
        for value, cond in reversed(branches):
            tail = self._choice(self.emit(cond), self.emit(value), tail)
        return tail

    def _choice(self, cond: str, value: str, otherwise: str) -> str:
        if self.vectorised:
            return f"_where({cond}, {value}, {otherwise})"
        return f"({value} if {cond} else {otherwise})"

    def _boolean(self, e) -> str:
        if isinstance(e, sympy.Not):
            return f"({'~' if self.vectorised else 'not '}{self.emit(e.args[0])})"
        joiner = {sympy.And: (" & ", " and "), sympy.Or: (" | ", " or ")}[type(e)]
        return "(" + joiner[0 if self.vectorised else 1].join(self.emit(a) for a in e.args) + ")"

    def _function(self, e) -> str:
        function = function_for_head(type(e))
        key = None if function is None else self._kernel(function)
        if key is None:
            if isinstance(e, PrimitiveFunction):   # no kernel here: its elementary formula
                return self.emit(e.primitive.explicit(*e.args))
            raise EvaluationError(
                f"cannot evaluate {type(e).__name__}(...) with the {self.backend.name} "
                "backend: no numeric implementation is known for it")
        args = self._arguments(e)
        if function.fold:
            out = args[0]
            for a in args[1:]:
                out = f"{key}({out}, {a})"
            return out
        return f"{key}({', '.join(args)})"


_EXACT_INTEGERS = 2 ** 53   # larger integers are written as floats, as NumPy would use them


def _constant(e: sympy.Expr) -> str:
    """The float literal of the number ``e``, or an error naming it."""
    try:
        value = complex(e.evalf(17))
    except (TypeError, ValueError, OverflowError):
        raise EvaluationError(f"cannot evaluate the constant {_short(e)}") from None
    if value.imag or not math.isfinite(value.real):
        raise EvaluationError(f"cannot evaluate the constant {_short(e)}: it is not a finite "
                              "real number")
    return f"({value.real!r})" if value.real < 0 else repr(value.real)


def _short(e: sympy.Expr) -> str:
    text = str(e)
    return text if len(text) <= 40 else str(e.evalf(6))


def _argument_names(args: Sequence[sympy.Symbol], readable: bool) -> dict:
    names = {}
    for i, s in enumerate(args):
        name = s.name
        usable = readable and name.isidentifier() and not keyword.iskeyword(name) \
            and not name.startswith("_") and name not in _RESERVED
        names[s] = name if usable else f"_a{i}"
    return names


def compile_function(expr, args: Sequence[sympy.Symbol], backend: str = "numpy",
                     label: str = "expression", readable_names: bool = False) -> Callable:
    """Compile ``expr`` into a Python function of ``args`` (positional).

    ``expr`` is one SymPy expression, or a list of them for a function that
    returns a tuple (common subexpressions are then shared between outputs).
    With ``readable_names`` the arguments carry the symbols' names, so the
    function can also be called by keyword.
    """
    several = isinstance(expr, (list, tuple))
    outputs = [stabilize(e) for e in (expr if several else [expr])]
    names = _argument_names(args, readable_names)
    printer = _Printer(backend, dict(names))
    temps, reduced = sympy.cse(outputs, symbols=(sympy.Dummy() for _ in itertools.count()))
    lines = [f"def _compiled({', '.join(names.values())}):"]
    for i, (tmp, value) in enumerate(temps):
        code = printer.emit(value)
        printer.names[tmp] = f"_t{i}"
        lines.append(f"    _t{i} = {code}")
    results = [printer.emit(r) for r in reduced]
    lines.append(f"    return ({', '.join(results)},)" if several else f"    return {results[0]}")
    source = "\n".join(lines)
    namespace = printer.namespace
    exec(compile(source, f"<neurogebra {label}>", "exec"), namespace)  # generated, not user text
    function = namespace["_compiled"]
    function.source = source
    return function
