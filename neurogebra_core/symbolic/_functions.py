"""The one table of formula functions: what a formula may call, and how each
backend computes it.

Every function of the formula language is one :class:`FormulaFunction`: its
name(s) in formulas, how many arguments it takes, how the parser builds its
SymPy expression, the SymPy head that expression has, and a kernel per
backend. The parser reads names and arities from this table; code generation
reads kernels by head. Nothing else lists functions, so adding one is one
entry here (or one :class:`~neurogebra.Primitive` from a pack).

Kernels are *references*: a dotted name such as ``"numpy.exp"`` or
``"jax.numpy.tanh"``, resolved by the compile layer when a backend is first
used (so JAX and PyTorch are imported only when asked for), or a callable.
This layer never imports a numeric library.

The table is shared by every thread of a process; registration takes a lock
and replaces the indexes in one assignment, so readers never see half an
entry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p
from sympy.core.function import ArgumentIndexError

from ..errors import RegistrationError

__all__ = ["FormulaFunction", "BACKEND_NAMES", "register_function", "formula_function",
           "function_for_head", "parseable_functions", "sech2", "dsigmoid", "max_min_partial",
           "hyperbolic_slope", "ArgumentIndexError", "STABLE_HEADS"]

BACKEND_NAMES = ("math", "numpy", "jax", "torch")
_KERNELS = "neurogebra.compile._kernels."   # numeric helpers live in the compile layer
MAX_VARIADIC_ARGS = 16


@dataclass(frozen=True)
class FormulaFunction:
    """One function of the formula language.

    Attributes:
        name: The name a formula calls it by (``"exp"``).
        head: The SymPy class of the expressions it builds; code generation
            finds the kernel by this head.
        arity: ``(fewest, most)`` arguments a formula may pass.
        kernels: Backend name -> kernel (a dotted name or a callable).
        build: Builds the SymPy expression from parsed arguments (default:
            ``head`` itself).
        spellings: Other names that call the same function (``"Abs"``).
        parseable: False for internal heads that only rewrites produce.
        fold: True for associative binary kernels applied to many arguments
            (``max(a, b, c)`` becomes ``maximum(maximum(a, b), c)``).
    """

    name: str
    head: type
    arity: tuple[int, int]
    kernels: Mapping[str, object] = field(default_factory=dict, compare=False)
    build: Callable[..., sympy.Basic] | None = field(default=None, compare=False)
    spellings: tuple[str, ...] = ()
    parseable: bool = True
    fold: bool = False

    def builder(self) -> Callable[..., sympy.Basic]:
        """The callable the parser applies to the parsed arguments."""
        return self.build or self.head

    def names(self) -> tuple[str, ...]:
        """Every name a formula may call this function by."""
        return (self.name, *self.spellings)


def max_min_partial(node: sympy.Expr, argindex: int) -> sympy.Expr:
    """The partial derivative of a ``Max`` or ``Min`` by its ``argindex``-th argument.

    A tie counts as the argument's own piece: ``d max(a, b)/da`` is
    ``Heaviside(a - b, 1)``, 1 where ``a >= b``, never SymPy's 1/2 at ``a == b``.
    So ``max(var, eps)`` differentiates as ``torch.clamp(var, min=eps)`` does,
    passing the gradient at the bound.
    """
    mine = node.args[argindex - 1]
    others = node.args[:argindex - 1] + node.args[argindex:]
    rest = others[0] if len(others) == 1 else node.func(*others)
    return sympy.Heaviside(mine - rest if isinstance(node, sympy.Max) else rest - mine, 1)


# -- internal heads: only the stable rewrites (compile._stable) produce them ------------

class sech2(sympy.Function):
    """1 - tanh(u)**2, computed without cancellation (an internal head of stable rewrites)."""


class dsigmoid(sympy.Function):
    """sigmoid(u)*sigmoid(-u), the sigmoid's derivative in one pass (internal)."""


class scaled_dsigmoid(sympy.Function):
    """p*sigmoid(u)*sigmoid(-u) without overflow or a subnormal intermediate (internal)."""


class sigmoid_residual(sympy.Function):
    """sigmoid_residual(u, y, e) = (1 - y)*sigmoid(u) - y*sigmoid(-u), which is
    sigmoid(u) - y, from e = exp(-|u|): the slope of BCE with logits, exact for labels
    0 and 1. e is an argument so that BCE's value beside it, log1p(e) + ..., shares
    it (internal)."""


class shifted(sympy.Function):
    """(u + shift)/divisor: a*u + b with its root -b/a exact, so no cancellation (internal)."""


class expm1_minus_texp(sympy.Function):
    """expm1(t) - t*exp(t), about -t**2/2 near 0, without cancellation (internal)."""


class log1p_diff(sympy.Function):
    """log1p(a) - log1p(b), without cancellation for a near b (internal)."""


class log_of_sum(sympy.Function):
    """log(a + b), without the rounding of a + b near 1 (internal)."""


class compensated_sum(sympy.Function):
    """a + b + c with the rounding of the partial sums recovered (internal)."""


class abs_diff_minus(sympy.Function):
    """|a - b| - c, with a - b rounded once at the end (internal)."""


class one_minus_square_ratio(sympy.Function):
    """1 - (a + b)**2/m, exact next to its zero (internal)."""


class hypot_minus_one(sympy.Function):
    """hypot(u, 1) - 1, without cancellation next to u = 0 (internal)."""


class one_minus_product(sympy.Function):
    """1 - a*b, exact next to its zero (the kink of hinge losses) (internal)."""


class xlogy(sympy.Function):
    """x*log(y), 0 where x is 0 (internal)."""


class xlog_mixture(sympy.Function):
    """x*log(q) with q = 1 + w: log1p(w) where q is near 1, 0 where x is 0 (internal)."""


class clip(sympy.Function):
    """min(max(u, lo), hi) for lo <= hi: a clamp written as a piecewise (internal)."""


class shrink(sympy.Function):
    """u - clip(u, -b, b): softshrink's pieces u - b above b, u + b below -b, else 0 (internal)."""


class fmin(sympy.Function):
    """min(u, k) with a nan u taken as k (internal: a clamp whose result is masked)."""


class fmax(sympy.Function):
    """max(u, k) with a nan u taken as k (internal: a clamp whose result is masked)."""


class indicator(sympy.Function):
    """1 where a condition holds, else 0 (internal; multiplies a piece instead of a select)."""


class int_power(sympy.Function):
    """u**n for an integer n > 2, as repeated products (internal)."""


def _everywhere(math: str, numpy: str, jax: str, torch: str) -> dict[str, str]:
    return {"math": math, "numpy": numpy, "jax": jax, "torch": torch}


def _same(name: str, math: str | None = None, numpy: str | None = None) -> dict[str, str]:
    """Kernels named ``name`` in math, numpy, jax.numpy and torch."""
    return _everywhere(math or f"math.{name}", numpy or f"numpy.{name}",
                       f"jax.numpy.{name}", f"torch.{name}")


def _arc(name: str) -> dict[str, str]:
    return _everywhere(f"math.a{name}", f"numpy.arc{name}", f"jax.numpy.arc{name}",
                       f"torch.a{name}")


def _internal(name: str) -> dict[str, str]:
    return {backend: f"{_KERNELS}{name}_{backend}" for backend in BACKEND_NAMES}


def _log(x, base=None):
    if base is None:
        return sympy.log(x)
    if base.is_number and (base.is_nonpositive or base == 1):
        raise ValueError(f"the base of log() must be positive and not 1, got {base}")
    return sympy.log(x) / sympy.log(base)


_HYPERBOLIC_INVERSES = (sympy.asinh, sympy.acosh, sympy.atanh, sympy.acoth)


def _hyperbolic(head: type, odd: bool) -> Callable[[sympy.Expr], sympy.Expr]:
    """Builds ``head(u)`` (sinh, cosh or tanh) as SymPy evaluates it, without the
    assumption search that cannot decide.

    On an argument that is not a number, holds no ``I`` (or ``zoo``) and is no
    inverse hyperbolic function, SymPy's evaluation only takes the sign out
    (``tanh(-u) = -tanh(u)``, ``cosh(-u) = cosh(u)``) and asks ``u.is_zero``,
    which for a sum such as ``w*x + c`` of real symbols searches the assumptions
    for about 1 ms and answers None: eight of them were a third of the parse of
    an eight-unit network. Built here without that question, the expression is
    SymPy's own, except for an argument that its assumptions prove zero without
    it being the number 0 (whose tanh stays tanh(u), of value 0); anything else
    goes to SymPy. Reverse mode takes their slopes from :func:`hyperbolic_slope`,
    which builds no tanh(u) anew (that would ask the question after all).
    """
    def build(u):
        if u.is_Number or isinstance(u, _HYPERBOLIC_INVERSES) or u.has(sympy.I, sympy.zoo):
            return head(u)
        if u.could_extract_minus_sign():
            inner = build(-u)
            return -inner if odd else inner
        return head(u, evaluate=False)
    return build


_SINH, _COSH = _hyperbolic(sympy.sinh, odd=True), _hyperbolic(sympy.cosh, odd=False)
_TANH = _hyperbolic(sympy.tanh, odd=True)
_HYPERBOLIC_SLOPES = {sympy.tanh: lambda node: 1 - node ** 2,
                      sympy.sinh: lambda node: _COSH(node.args[0]),
                      sympy.cosh: lambda node: _SINH(node.args[0])}


def hyperbolic_slope(node: sympy.Expr) -> sympy.Expr | None:
    """d tanh(u)/du, d sinh(u)/du or d cosh(u)/du of ``node`` as SymPy's ``fdiff``
    writes it (``1 - tanh(u)**2``, ``cosh(u)``, ``sinh(u)``), built without the
    ``is_zero`` question its new tanh(u) would ask again (the parser skipped it:
    reverse mode paid it instead, 2 ms per layer of a tanh chain); None for any
    other node."""
    slope = _HYPERBOLIC_SLOPES.get(type(node))
    return None if slope is None else slope(node)


def _heaviside(x, h0=sympy.S.Zero):
    return sympy.Heaviside(x, h0)


def _where(cond, if_true, if_false):
    return sympy.Piecewise((if_true, cond), (if_false, True))


_BUILTINS = (
    FormulaFunction("exp", sympy.exp, (1, 1), _same("exp")),
    FormulaFunction("log", sympy.log, (1, 2), _same("log"), build=_log, spellings=("ln",)),
    FormulaFunction("log1p", log1p, (1, 1), _same("log1p")),
    FormulaFunction("expm1", expm1, (1, 1), _same("expm1")),
    FormulaFunction("sqrt", sympy.sqrt, (1, 1), _same("sqrt")),
    FormulaFunction("hypot", hypot, (2, 2), _everywhere(
        f"{_KERNELS}hypot_math", f"{_KERNELS}hypot_numpy", "jax.numpy.hypot",
        f"{_KERNELS}torch_hypot")),
    FormulaFunction("abs", sympy.Abs, (1, 1), _everywhere(
        "builtins.abs", "numpy.abs", f"{_KERNELS}abs_jax", "torch.abs"), spellings=("Abs",)),
    FormulaFunction("sign", sympy.sign, (1, 1), _everywhere(
        f"{_KERNELS}scalar_sign", "numpy.sign", "jax.numpy.sign", f"{_KERNELS}torch_sign")),
    FormulaFunction("sin", sympy.sin, (1, 1), _same("sin")),
    FormulaFunction("cos", sympy.cos, (1, 1), _same("cos")),
    FormulaFunction("tan", sympy.tan, (1, 1), _same("tan")),
    FormulaFunction("asin", sympy.asin, (1, 1), _arc("sin")),
    FormulaFunction("acos", sympy.acos, (1, 1), _arc("cos")),
    FormulaFunction("atan", sympy.atan, (1, 1), _arc("tan")),
    FormulaFunction("sinh", sympy.sinh, (1, 1), _same("sinh"), build=_SINH),
    FormulaFunction("cosh", sympy.cosh, (1, 1), _same("cosh"), build=_COSH),
    FormulaFunction("tanh", sympy.tanh, (1, 1), _same("tanh"), build=_TANH),
    FormulaFunction("asinh", sympy.asinh, (1, 1), _arc("sinh")),
    FormulaFunction("acosh", sympy.acosh, (1, 1), _arc("cosh")),
    FormulaFunction("atanh", sympy.atanh, (1, 1), _arc("tanh")),
    FormulaFunction("erf", sympy.erf, (1, 1), _everywhere(
        "math.erf", "scipy.special.erf", "jax.scipy.special.erf", "torch.special.erf")),
    FormulaFunction("erfc", sympy.erfc, (1, 1), _everywhere(
        "math.erfc", "scipy.special.erfc", "jax.scipy.special.erfc", "torch.special.erfc")),
    FormulaFunction("max", sympy.Max, (1, MAX_VARIADIC_ARGS), _everywhere(
        f"{_KERNELS}scalar_max", "numpy.maximum", f"{_KERNELS}maximum_jax",
        f"{_KERNELS}torch_maximum"), spellings=("Max",), fold=True),
    FormulaFunction("min", sympy.Min, (1, MAX_VARIADIC_ARGS), _everywhere(
        f"{_KERNELS}scalar_min", "numpy.minimum", f"{_KERNELS}minimum_jax",
        f"{_KERNELS}torch_minimum"), spellings=("Min",), fold=True),
    FormulaFunction("heaviside", sympy.Heaviside, (1, 2), _everywhere(
        f"{_KERNELS}scalar_heaviside", f"{_KERNELS}heaviside_numpy", "jax.numpy.heaviside",
        f"{_KERNELS}torch_heaviside"), build=_heaviside, spellings=("Heaviside",)),
    # The derivative of a step is 0 everywhere, as autograd takes it.
    FormulaFunction("DiracDelta", sympy.DiracDelta, (1, 1), _internal("zeros")),
    FormulaFunction("where", sympy.Piecewise, (3, 3), build=_where),
    FormulaFunction("_sech2", sech2, (1, 1), _internal("sech2"), parseable=False),
    FormulaFunction("_dsigmoid", dsigmoid, (1, 1), _internal("dsigmoid"), parseable=False),
    FormulaFunction("_scaled_dsigmoid", scaled_dsigmoid, (2, 2), _internal("scaled_dsigmoid"),
                    parseable=False),
    FormulaFunction("_sigmoid_residual", sigmoid_residual, (3, 3), _internal("sigmoid_residual"),
                    parseable=False),
    FormulaFunction("_shifted", shifted, (3, 3), _internal("shifted"), parseable=False),
    FormulaFunction("_expm1_minus_texp", expm1_minus_texp, (1, 1),
                    _internal("expm1_minus_texp"), parseable=False),
    FormulaFunction("_log1p_diff", log1p_diff, (2, 2), _internal("log1p_diff"), parseable=False),
    FormulaFunction("_log_of_sum", log_of_sum, (2, 2), _internal("log_of_sum"), parseable=False),
    FormulaFunction("_compensated_sum", compensated_sum, (3, 3), _internal("compensated_sum"),
                    parseable=False),
    FormulaFunction("_abs_diff_minus", abs_diff_minus, (3, 3), _internal("abs_diff_minus"),
                    parseable=False),
    FormulaFunction("_one_minus_square_ratio", one_minus_square_ratio, (3, 3),
                    _internal("one_minus_square_ratio"), parseable=False),
    FormulaFunction("_one_minus_product", one_minus_product, (2, 2),
                    _internal("one_minus_product"), parseable=False),
    FormulaFunction("_hypot_minus_one", hypot_minus_one, (1, 1), _internal("hypot_minus_one"),
                    parseable=False),
    FormulaFunction("_xlogy", xlogy, (2, 2), _everywhere(
        f"{_KERNELS}xlogy_math", "scipy.special.xlogy", "jax.scipy.special.xlogy",
        "torch.special.xlogy"), parseable=False),
    FormulaFunction("_xlog_mixture", xlog_mixture, (3, 3), _internal("xlog_mixture"),
                    parseable=False),
    FormulaFunction("_clip", clip, (3, 3), _internal("clip"), parseable=False),
    FormulaFunction("_shrink", shrink, (2, 2), _internal("shrink"), parseable=False),
    FormulaFunction("_indicator", indicator, (1, 1), _internal("indicator"), parseable=False),
    FormulaFunction("_fmin", fmin, (2, 2), _everywhere(
        f"{_KERNELS}fmin_math", "numpy.fmin", "jax.numpy.fmin", "torch.fmin"), parseable=False),
    FormulaFunction("_fmax", fmax, (2, 2), _everywhere(
        f"{_KERNELS}fmax_math", "numpy.fmax", "jax.numpy.fmax", "torch.fmax"), parseable=False),
    FormulaFunction("_int_power", int_power, (2, 2), _internal("int_power"), parseable=False),
)

# The heads above by name, for the stable rewrites (compile._stable) to build.
STABLE_HEADS = {cls.__name__: cls for cls in (
    sech2, dsigmoid, scaled_dsigmoid, sigmoid_residual, shifted, expm1_minus_texp, log1p_diff,
    log_of_sum, compensated_sum, abs_diff_minus, one_minus_square_ratio, one_minus_product,
    hypot_minus_one, xlogy,
    xlog_mixture, clip, shrink, indicator, int_power, fmin, fmax)}

_LOCK = threading.Lock()
_BY_NAME: dict[str, FormulaFunction] = {}
_BY_HEAD: dict[type, FormulaFunction] = {}
_PARSEABLE: dict[str, FormulaFunction] = {}


def register_function(function: FormulaFunction) -> FormulaFunction:
    """Add ``function`` to the table; the same entry twice is a no-op.

    Raises:
        RegistrationError: a name or head is already taken by another entry.
    """
    global _BY_NAME, _BY_HEAD, _PARSEABLE
    with _LOCK:
        taken = [n for n in function.names() if n in _BY_NAME]
        if function.head in _BY_HEAD or taken:
            known = _BY_HEAD.get(function.head) or _BY_NAME[taken[0]]
            if known == function:
                return known
            raise RegistrationError(
                f"a different function named {function.name!r} is already registered")
        by_name = {**_BY_NAME, **{n: function for n in function.names()}}
        # readers see the old indexes or the new ones, never a dict being changed
        _BY_NAME = by_name
        _BY_HEAD = {**_BY_HEAD, function.head: function}
        _PARSEABLE = {n: f for n, f in by_name.items() if f.parseable}
    return function


def formula_function(name: str) -> FormulaFunction | None:
    """The entry a formula reaches by ``name``, or None."""
    return _BY_NAME.get(name)


def function_for_head(head: type) -> FormulaFunction | None:
    """The entry whose expressions have SymPy head ``head`` (or a base class of it), or None."""
    for cls in getattr(head, "__mro__", (head,)):
        function = _BY_HEAD.get(cls)
        if function is not None:
            return function
    return None


def parseable_functions() -> Mapping[str, FormulaFunction]:
    """Name -> entry for every function a formula may call (a snapshot; do not change it)."""
    return _PARSEABLE


for _function in _BUILTINS:
    register_function(_function)
