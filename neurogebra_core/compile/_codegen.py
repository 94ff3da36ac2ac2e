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

import keyword
import math
import re
from typing import Callable, Sequence

import numpy as np
import sympy

from ..errors import EvaluationError
from ..symbolic import (STABLE_HEADS, PrimitiveFunction, formula_function, function_for_head,
                        post_order)
from ._backends import get_backend
from ._blocks import MEMORY_BOUND
from ._fused_means import means_of
from ._into import into_source, one_pass
from ._kernels import in_place, scalar_pow, square_math
from ._reductions import batch_mean, batch_mean_product
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
        terms = list(e.args)
        if len(terms) == 2 and terms[0].as_coeff_Mul()[0].is_negative \
                and not terms[1].as_coeff_Mul()[0].is_negative:
            terms.reverse()     # exp(p) - y, not -y + exp(p): one pass fewer, same rounding
        parts = [-t if t.as_coeff_Mul()[0].is_negative else t for t in terms]
        floats = False          # does the sum so far hold floats (not booleans)?
        for i, (term, part) in enumerate(zip(terms, parts)):
            coeff, _ = term.as_coeff_Mul()
            mask = self._mask(part) and (floats or (
                i == 0 and not coeff.is_negative and self._float(parts[1])))
            code = self.emit(part.args[0]) if mask else self.emit(part)
            if coeff.is_negative:
                out += f" - {code}" if out else f"-{code}"
            else:
                out += f" + {code}" if out else code
            floats = floats or mask or self._float(part)
        return f"({out})"

    def _mask(self, e) -> bool:
        """Whether ``e`` is a 0/1 indicator NumPy may take as the boolean array of
        its condition: the float it meets in a sum or product converts it in the
        same pass, where ``_indicator`` would write a float array first."""
        return isinstance(e, _INDICATOR) and self.backend.name == "numpy" \
            and not self.names.get(e, "").isidentifier()

    def _float(self, e) -> bool:
        """Whether ``e``'s code certainly gives floats (not an integer literal or a mask)."""
        return isinstance(e, sympy.Expr) and not (e.is_Integer or self._mask(e))

    def _mul(self, e) -> str:
        coeff, factors = e.as_coeff_mul()
        # the numbers SymPy keeps apart (sqrt(2), 1/sqrt(pi)) join the coefficient: one
        # constant, one product, where gelu_tanh's 2*sqrt(2/pi)*u was three operations,
        # a division among them (1 ns per element of a compiled loop)
        numbers = [f for f in factors if f.is_number]
        if numbers:
            coeff = sympy.Mul(coeff, *numbers)
            factors = tuple(f for f in factors if not f.is_number)
        if coeff == -1 and len(factors) == 1 and isinstance(factors[0], sympy.sign) \
                and factors[0].args[0].is_Add:
            # -sign(a - b) as sign(b - a): one pass fewer, the same value (+0 at a tie)
            return f"{self._kernel(formula_function('sign'))}({self.emit(-factors[0].args[0])})"
        num, den = [], []
        for f in factors:
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                den.append(f.base ** -f.exp)
            else:
                num.append(f)
        sign = "-" if coeff.is_negative else ""
        masks = [f for f in num if self._mask(f)] if any(map(self._float, num)) else []
        # a 0/1 mask multiplies exactly, so it may come last: after a float, as a boolean
        top = "*".join([self.emit(f) for f in num if f not in masks]
                       + [self.emit(f.args[0]) for f in masks]) or "1.0"
        if den:
            bottom = "*".join(self.emit(f) for f in den)
            top += "/" + (bottom if len(den) == 1 else f"({bottom})")
        if abs(coeff) != 1:
            # the number last: 100*|d|/m overflows where |d|/m*100 does not, and
            # x*exp(-x**2)*2 is 0 where 2*x is already infinite
            top += f"*{self.emit(abs(coeff))}"
        return f"({sign}{top})"

    def _pow(self, e) -> str:
        base, exp = e.base, e.exp
        if exp == sympy.S.Half:
            return f"{self._kernel(formula_function('sqrt'))}({self.emit(base)})"
        if exp == -sympy.S.Half:
            return f"(1.0/{self._kernel(formula_function('sqrt'))}({self.emit(base)}))"
        if exp.is_Integer and exp.is_negative:
            return f"(1.0/{self._integer_power(base, int(-exp))})"
        if base is sympy.E:
            return f"{self._kernel(formula_function('exp'))}({self.emit(exp)})"
        if not self.vectorised and not exp.is_Integer:   # Python's ** can be complex
            self.namespace.setdefault("_pow", scalar_pow)
            return f"_pow({self.emit(base)}, {self.emit(exp)})"
        if exp.is_Integer:
            return self._integer_power(base, int(exp))
        return f"({self.emit(base)}**{self.emit(exp)})"

    def _integer_power(self, base, n: int) -> str:
        """``base**n``; a square of floats as ``x*x``, the correctly rounded square
        that NumPy's ``**2`` and a compiled loop give (Python's ``**`` calls the C
        library's pow, which is up to 0.52 ulps off: 1 ulp apart now and then)."""
        code = self.emit(base)
        if n == 1:
            return code
        if n != 2 or self.vectorised:
            return f"({code}**{n})"
        if code.isidentifier():
            return f"({code}*{code})"
        self.namespace.setdefault("_square", square_math)
        return f"_square({code})"

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
        if self._writes_out(self.namespace[key]) and self._fresh(e.args[0]):
            self.namespace.setdefault("_in_place", in_place)
            return f"_in_place({key}, {', '.join(args)})"
        return f"{key}({', '.join(args)})"

    def _writes_out(self, kernel) -> bool:
        """Whether ``kernel`` writes into an ``out=`` array as fast as into a new one
        (np.sign's branchy loop is slower in place: 3.8 ms against 3.0 on 1e6)."""
        return self.backend.name == "numpy" and kernel is not np.sign and (
            isinstance(kernel, np.ufunc) or getattr(kernel, "writes_out", False))

    def _fresh(self, e) -> bool:
        """Whether the code of ``e`` makes a new array no one else holds: an
        arithmetic part or a ufunc's result written inline (not a named part)."""
        if e.is_Atom or self.names.get(e, "").isidentifier() or isinstance(e, _INDICATOR):
            return False
        if e.is_Add or e.is_Mul or e.is_Pow:
            return True
        function = function_for_head(type(e)) if isinstance(e, sympy.Function) else None
        key = self._kernel(function) if function is not None else None
        return key is not None and not function.fold and self._writes_out(self.namespace[key])


_INDICATOR = STABLE_HEADS["indicator"]
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
                     label: str = "expression", readable_names: bool = False,
                     with_means: bool = False, arrays: Sequence[sympy.Symbol] | None = None,
                     masks: bool = True, bindings: Sequence[tuple] = ()) -> Callable:
    """Compile ``expr`` into a Python function of ``args`` (positional).

    ``expr`` is one SymPy expression, or a list of them for a function that
    returns a tuple (subexpressions are then shared between outputs).
    With ``readable_names`` the arguments carry the symbols' names, so the
    function can also be called by keyword. The function's ``operations`` says
    about how many float array operations one call makes and ``comparisons``
    how many comparisons, with ``arrays`` the arguments that hold arrays
    (default: all), and ``heavy`` whether an operation costs more than a pass
    through memory (see ``_blocks``). ``masks=False`` keeps linear pieces as
    selects (exact where a piece not taken is infinite), and ``masked`` says
    whether pieces were rewritten into such masks or clamps.

    With ``with_means`` (NumPy, a list of outputs), the function also gets
    ``.means``: the same arguments, the mean of each output over a batch of
    samples, each product of two per-sample factors reduced as one dot product,
    with no temporary array (a training step's loss and gradients); called
    often, one compiled pass (``_fused_means``).

    ``bindings``: ``(symbol, expression)`` pairs computed first, in order; the
    outputs use each symbol for its expression's value. A loss and its slope
    written in a prediction ``p`` are compiled (and made stable) with ``p`` a
    plain variable, whose pairs of terms the rewrites recognise, and the
    model is computed once for both; parts of the expressions shared with the
    outputs are computed once too.
    """
    several = isinstance(expr, (list, tuple))
    autodiff = backend in ("jax", "torch")     # their autograd differentiates this code
    # the outputs together: the gradients of a model share most of their parts
    outputs = list(stabilize(sympy.Tuple(*expr), autodiff, masks).args) if several \
        else [stabilize(expr, autodiff, masks)]
    bound = [(symbol, stabilize(e, autodiff, masks)) for symbol, e in bindings]
    names = _argument_names(args, readable_names)
    printer = _Printer(backend, dict(names))
    shared = _shared_values(outputs, printer, bound)
    results = [printer.emit(r) for r in outputs]
    signature = ", ".join(names.values())
    body = _needed(shared, results)
    lines = [f"def _compiled({signature}):", *body,
             f"    return ({', '.join(results)},)" if several else f"    return {results[0]}"]
    into = None if several or backend != "numpy" else \
        into_source(signature, body, results[0], printer.namespace)
    if with_means:
        printer.namespace.update(_mean=batch_mean, _mean_product=batch_mean_product)
        means = [_mean_of(r, printer) for r in outputs]
        lines += [f"def _means({signature}):", *_needed(shared, means),
                  f"    return ({', '.join(means)},)"]
    source = "\n".join(lines)
    namespace = printer.namespace
    exec(compile(source, f"<neurogebra {label}>", "exec"), namespace)  # generated, not user text
    function = namespace["_compiled"]
    function.source = source
    computed = [e for _, e in bound] + outputs
    function.operations, function.comparisons = _operations(
        computed, set(args if arrays is None else arrays) | {symbol for symbol, _ in bound})
    function.heavy = _heavy(computed)
    # a rewrite of pieces may be nan where a piece not taken is infinite (0*inf)
    function.masked = masks and not autodiff and any(
        isinstance(node, (sympy.Piecewise, sympy.Heaviside)) for node in post_order(
            [*(list(expr) if several else [expr]), *(e for _, e in bindings)]))
    function.into = None if into is None else _compiled_on_first_call(into, namespace, label)
    if with_means:
        function.means = means_of(
            namespace["_means"], source,
            lambda: compile_function(expr, args, "math", label, masks=masks, bindings=bindings),
            len(outputs))
    return function


def _compiled_on_first_call(source: str, namespace: dict, label: str) -> Callable:
    """The function ``source`` defines (``_into``), compiled when first called:
    only evaluations in blocks use it, and compiling the body a second time
    costs the first evaluation of every other formula (2 ms of 30 for a
    40-layer gradient)."""
    def into(*args):
        if "_into" not in namespace:   # two threads may both compile it: the same function
            exec(compile(source, f"<neurogebra {label}>", "exec"), namespace)
        return namespace["_into"](*args)
    into.source = source
    into.one_pass = one_pass(source)
    return into


def _operations(outputs: list, arrays: set) -> tuple[int, int]:
    """About how many float array operations the code makes, and how many
    comparisons (boolean logic and 0/1 masks included: arrays of booleans, an
    eighth of the size): the distinct parts that depend on ``arrays``, a
    negation not counted (it goes with the sum it is subtracted in) unless it is
    an output (``-y``: a pass of its own), and a select counted twice (it reads
    both pieces)."""
    on_arrays, floats, comparisons = {}, 0, 0
    for node in post_order(outputs):    # children first: whether a part reads an array
        on_arrays[node] = node in arrays or any(on_arrays[a] for a in node.args)
        if not (node.args and on_arrays[node]) or isinstance(node, sympy.Tuple):
            continue
        if isinstance(node, _INDICATOR) or not isinstance(node, sympy.Expr):
            comparisons += 1
        elif not _is_negation(node):
            floats += 1 + isinstance(node, sympy.Piecewise)
    floats += sum(1 for o in set(outputs) if _is_negation(o) and on_arrays.get(o))
    return floats, comparisons


def _is_negation(node) -> bool:
    return node.is_Mul and len(node.args) == 2 and node.args[0] == -1


def _heavy(outputs: list) -> bool:
    """Whether the code calls a function that costs more per element than
    moving the element through memory (``tanh``, ``erf``, a kernel of several
    passes), which a second thread shares (see ``_blocks.MEMORY_BOUND``)."""
    return any(isinstance(node, sympy.Function) and getattr(
        function_for_head(type(node)), "name", None) not in MEMORY_BOUND
        for node in post_order(outputs))


def _mean_of(output: sympy.Expr, printer: _Printer) -> str:
    """Source for the batch mean of ``output``: ``c*a*b`` and ``c*a**2`` (per-sample
    factors, a number) as ``_mean_product(a, b)*c`` unless the body computes the
    product already, ``c*a`` as ``_mean(a)*c``, anything else as ``_mean``."""
    if printer.names.get(output, "").isidentifier():   # the body names it: reduce that
        return f"_mean({printer.names[output]})"
    coeff, factors = output.as_coeff_mul()
    if len(factors) == 1 and factors[0].is_Pow and factors[0].exp == 2 and \
            printer.emit(factors[0].base).isidentifier():   # computed once already
        factors = (factors[0].base,) * 2          # a square: the dot of the base with itself
    if len(factors) == 2 and not any(f.is_number or (f.is_Pow and f.exp.is_negative)
                                     for f in factors):
        text = f"_mean_product({printer.emit(factors[0])}, {printer.emit(factors[1])})"
    elif len(factors) == 1 and coeff != 1:
        text = f"_mean({printer.emit(factors[0])})"
    else:
        return f"_mean({printer.emit(output)})"
    return text if coeff == 1 else f"({text}*{printer.emit(coeff)})"


_MAX_INLINE_DEPTH = 16   # deeper parts get a name: Python's compiler nests recursively


def _shared_values(outputs: list, printer: _Printer, bound: Sequence[tuple] = ()) -> list[str]:
    """Assignments ``_tK = ...`` for the parts used more than once, and for
    parts nested too deeply to write inline; every other part is written
    inline in its single user. The ``bound`` ``(symbol, expression)`` pairs
    come first, each expression assigned to ``_bK``, the name of its symbol.

    The formula is walked as a graph of distinct parts, children first and
    without recursion, so a part shared by many others (as reverse-mode
    gradients share them) is computed once, and the cost of generating code
    grows with the number of distinct parts, not with the formula written out.
    """
    values = [e for _, e in bound]
    order, uses = _distinct_parts([*values, *outputs])
    split = len(post_order(values))     # the bound values' parts come first in the order
    lines: list = []
    depth: dict = {}
    _assign(order[:split], uses, depth, printer, lines)
    for k, (symbol, value) in enumerate(bound):
        lines.append(f"    _b{k} = {printer.emit(value)}")
        printer.names[symbol] = printer.names[value] = f"_b{k}"
    _assign(order[split:], uses, depth, printer, lines)
    return lines


_NAMED = re.compile(r"\b_[tb]\d+\b")


def _needed(lines: list[str], results: list[str]) -> list[str]:
    """The assignments among ``lines`` that ``results`` read, directly or through
    others: a part named for two users may be printed by neither (1/h, which a
    product writes as a division by h), and NumPy's code would compute it for
    nothing (bent_identity's slope: a division pass over the array)."""
    wanted = set(_NAMED.findall(" ".join(results)))
    kept = []
    for line in reversed(lines):
        name, _, code = line.strip().partition(" = ")
        if name in wanted:
            wanted.update(_NAMED.findall(code))
            kept.append(line)
    return kept[::-1]


def _assign(nodes: list, uses: dict, depth: dict, printer: _Printer, lines: list) -> None:
    """Name or inline each of ``nodes`` (children first) in ``printer.names``,
    appending the assignments of the named ones to ``lines``."""
    for node in nodes:
        if node in printer.names or not _printed(node):
            continue
        try:
            code = printer.emit(node)   # its parts are named or inline already: one level deep
        except EvaluationError:
            if isinstance(node, sympy.Expr) and node.is_number:
                continue   # a number inside a number printed whole: softplus(490000) = 490000.0
            raise
        depth[node] = 1 + max((depth.get(a, 0) for a in node.args), default=0)
        if (uses[node] > 1 or depth[node] > _MAX_INLINE_DEPTH) and not _is_leaf(node):
            name = f"_t{len(lines)}"
            lines.append(f"    {name} = {code}")
            code, depth[node] = name, 0
        printer.names[node] = code


def _distinct_parts(outputs: list) -> tuple[list, dict]:
    """The distinct parts of ``outputs`` (conditions included), children first,
    and how many times each is used: as an argument of a distinct part, or as
    an output."""
    order = post_order(outputs)
    uses: dict = {}
    for node in [*outputs, *(a for n in order for a in n.args)]:
        uses[node] = uses.get(node, 0) + 1
    return order, uses


def _printed(node) -> bool:
    """Is ``node`` a value or a condition (not a (value, condition) pair)?"""
    return isinstance(node, (sympy.Expr, sympy.logic.boolalg.Boolean)) \
        and not isinstance(node, sympy.Tuple)


def _is_leaf(node) -> bool:
    return node.is_Atom
