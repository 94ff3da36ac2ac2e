"""Primitive functions: SymPy functions with their own derivative rules and
numerically stable kernels.

A formula such as ``log(1 + exp(x))`` is readable but overflows at
``x = 1000``; ``softplus(x)`` reads as well, differentiates to
``sigmoid(x)`` and is computed by a kernel that is finite for every float64.
A :class:`Primitive` bundles what such a function needs, and registering it
adds one entry to the function table, so formulas can call it and every
backend can compute it.

The core registers four universal primitives below (their kernels live in
the compile layer and are named here by reference); packs add more through
the ``neurogebra_primitives`` hook. Registration is process-wide because a
SymPy function name must have one meaning.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import sympy
from mpmath.libmp import prec_to_dps

from ..errors import NeurogebraError, RegistrationError
from ._functions import ArgumentIndexError, FormulaFunction, formula_function, register_function
from ._rewriting import post_order

__all__ = ["Primitive", "PrimitiveFunction", "register_primitive", "primitive_class",
           "register_primitive_loader", "fused_primitives", "function_names",
           "load_more_primitives", "sigmoid", "softplus", "log_sigmoid", "relu"]


@dataclass(frozen=True)
class Primitive:
    """Everything neurogebra needs to know about one primitive function.

    Attributes:
        name: The name formulas call it by (an identifier).
        explicit: Its elementary formula, as a function of SymPy arguments;
            ``expr.rewrite("explicit")`` uses it.
        derivatives: One rule per argument, each a function of the arguments
            returning the partial derivative, written as a textbook does.
        numpy: The NumPy kernel (a callable or a dotted name).
        scalar: The kernel for Python floats; without one, the NumPy kernel is
            called on float64 scalars.
        latex: A format string for LaTeX, ``{0}`` standing for the first argument.
        description: One line on what it is.
        extra_kernels: Kernels for other backends (``"jax"``, ``"torch"``), as
            callables or dotted names; without one, the elementary formula is used.
        fuse: When True, code generation computes every sub-expression equal to
            ``explicit(...)`` (a derivative a formula produces, say) with this
            primitive's kernels, while the printed formula keeps its readable form.
        heads: For ``fuse=True``: the names of the functions the explicit
            formula calls. Declared, they spare building that formula (often a
            derivative, tens of milliseconds) for every formula compiled that
            does not call them all. MathForge compares a pack's declaration
            with the formula when it loads the pack (left empty, the heads are
            worked out on first use: :attr:`PrimitiveFunction.worked_out_heads`).
        anchors: For ``fuse=True``, optional: a function of the arguments
            returning parts the explicit formula of those arguments surely
            contains, cheap to build (``u*sigmoid(u)*(1 - sigmoid(u))`` for
            the slope of ``u*sigmoid(u)``). A formula lacking one cannot
            contain the explicit formula, which is then not built; MathForge
            checks them when it loads the pack.
    """

    name: str
    explicit: Callable[..., sympy.Expr]
    derivatives: tuple[Callable[..., sympy.Expr], ...]
    numpy: Callable | str
    scalar: Callable | str | None = None
    latex: str | None = None
    description: str = ""
    extra_kernels: dict = field(default_factory=dict, compare=False)
    fuse: bool = False
    heads: tuple[str, ...] = ()
    anchors: Callable[..., tuple] | None = field(default=None, compare=False)

    @property
    def nargs(self) -> int:
        """The number of arguments (one derivative rule each)."""
        return len(self.derivatives)

    def kernels(self) -> dict:
        """Backend -> kernel, as the function table stores them."""
        kernels = {**self.extra_kernels, "numpy": self.numpy}
        if self.scalar is not None:
            kernels["math"] = self.scalar
        return kernels


class _ClassProperty:
    """A read-only attribute computed from the class (``cls.fused_heads``)."""

    def __init__(self, getter):
        self.getter = getter

    def __get__(self, instance, owner):
        return self.getter(owner)


class PrimitiveFunction(sympy.Function):
    """Base SymPy class of every registered primitive; ``primitive`` is its spec."""

    primitive: Primitive

    @classmethod
    def eval(cls, *args):
        if all(a.is_Number for a in args):
            return cls.primitive.explicit(*args)
        return None

    @_ClassProperty
    def fused_heads(cls) -> frozenset:
        """The names of the functions the explicit formula calls (for fusing it
        back): the spec's declaration, or :attr:`worked_out_heads`."""
        return frozenset(cls.primitive.heads) or cls.worked_out_heads

    @_ClassProperty
    def worked_out_heads(cls) -> frozenset:
        """The names of the functions the explicit formula calls, worked out
        from it once."""
        heads = cls.__dict__.get("_worked_out_heads")
        if heads is None:
            dummies = sympy.symbols(f"_a0:{cls.primitive.nargs}", real=True)
            heads = cls._worked_out_heads = function_names(cls.primitive.explicit(*dummies))
        return heads

    @classmethod
    def class_key(cls):
        # Sort like an atom so products print as `sigmoid(x)*(1 - sigmoid(x))`.
        return 2, 0, cls.__name__

    def fdiff(self, argindex=1):
        rules = self.primitive.derivatives
        if not 1 <= argindex <= len(rules):
            raise ArgumentIndexError(self, argindex)
        return rules[argindex - 1](*self.args)

    def _eval_is_extended_real(self):
        return all(a.is_extended_real for a in self.args) or None

    def _eval_rewrite_as_explicit(self, *args, **hints):
        return self.primitive.explicit(*args)

    def _eval_evalf(self, prec):
        # relu(pi): a number, through the elementary formula.
        if all(a.is_number for a in self.args):
            return self.primitive.explicit(*self.args).evalf(prec_to_dps(prec))
        return None

    def _latex(self, printer, exp=None):
        spec = self.primitive
        args = [printer._print(a) for a in self.args]
        body = spec.latex.format(*args) if spec.latex else \
            rf"\operatorname{{{spec.name}}}\left({', '.join(args)}\right)"
        return f"{body}^{{{exp}}}" if exp else body

    def __reduce__(self):
        return _rebuild, (type(self).__name__, self.args)


_REGISTRY: dict[str, tuple[Primitive, type]] = {}
_FUSED: tuple[type, ...] = ()
_LOCK = threading.Lock()
_LOADERS: list[Callable[[], None]] = []
_LOADING = threading.local()   # .active: this thread is running the loaders


def register_primitive_loader(loader: Callable[[], None]) -> None:
    """Ask ``loader`` to register more primitives when an unknown one is unpickled.

    The catalog layer registers one that loads the primitives of installed
    packs: a pickled Expression using a pack's primitive then loads in a
    fresh process without this layer knowing what a pack is.
    """
    if loader not in _LOADERS:
        _LOADERS.append(loader)


def load_more_primitives() -> None:
    """Run the registered loaders (the catalog's loads the installed packs'
    primitives), so that a formula or a pickle naming a pack's primitive works
    in a fresh process, before any MathForge was made.

    A loader's own errors are not raised here: a broken pack or selection is
    reported when a MathForge is made; here it only means no more functions.
    A loader that parses formulas does not start the loaders again.
    """
    if getattr(_LOADING, "active", False):
        return
    _LOADING.active = True
    try:
        for loader in list(_LOADERS):
            try:
                loader()
            except NeurogebraError:
                pass
    finally:
        _LOADING.active = False


def _rebuild(name, args):
    """Unpickling: a primitive from a pack needs that pack's primitives loaded."""
    if name not in _REGISTRY:
        load_more_primitives()
    if name not in _REGISTRY:
        raise RegistrationError(f"cannot unpickle: no primitive named {name!r} is registered; "
                                "install or load the pack that defines it")
    return _REGISTRY[name][1](*args)


def register_primitive(spec: Primitive) -> type:
    """Register ``spec`` process-wide and return its SymPy function class.

    Registering the same spec twice is a no-op, and so is registering an
    equivalent one: a pack's hook called by a second MathForge may build a
    new Primitive whose callables have the same code (:func:`_equivalent`).

    Raises:
        RegistrationError: the name is not an identifier, is taken by another
            primitive or names a built-in function.
    """
    if not (isinstance(spec.name, str) and spec.name.isidentifier()
            and not spec.name.startswith("_")):
        raise RegistrationError(f"primitive name {spec.name!r} must be a plain identifier")
    if spec.nargs < 1:
        raise RegistrationError(f"primitive {spec.name!r} needs one derivative rule per argument")
    if not (isinstance(spec.heads, tuple) and all(isinstance(h, str) and h.isidentifier()
                                                  for h in spec.heads)):
        raise RegistrationError(f"primitive {spec.name!r}: heads must be a tuple of function "
                                f"names, got {spec.heads!r}")
    with _LOCK:
        known = _REGISTRY.get(spec.name)
        if known is not None:
            if _equivalent(known[0], spec):
                return known[1]
            raise RegistrationError(
                f"a different primitive named {spec.name!r} is already registered")
        if formula_function(spec.name) is not None or spec.name == "pi":
            raise RegistrationError(
                f"primitive {spec.name!r} would shadow the built-in function of that name")
        cls = type(spec.name, (PrimitiveFunction,),
                   {"primitive": spec, "nargs": spec.nargs, "__module__": __name__})
        register_function(FormulaFunction(spec.name, cls, (spec.nargs, spec.nargs),
                                          spec.kernels()))
        _REGISTRY[spec.name] = (spec, cls)
        if spec.fuse:
            global _FUSED
            _FUSED = (*_FUSED, cls)
        return cls


def function_names(expr: sympy.Expr) -> frozenset:
    """The names of the functions ``expr`` calls (what ``Primitive.heads`` declares)."""
    return frozenset(type(n).__name__ for n in post_order([expr])
                     if isinstance(n, sympy.Function))


def fused_primitives() -> tuple[type, ...]:
    """The classes of the registered primitives with ``fuse=True``, oldest first.

    Each has ``fused_heads``: the names of the functions its explicit formula
    calls, declared by the spec or worked out on first use (some explicit
    formulas take a derivative, which would cost every start-up a tenth of a
    second).
    """
    return _FUSED


def _equivalent(a: Primitive, b: Primitive) -> bool:
    """Whether two primitive specs define the same function: equal texts, and
    callables that are the same object or the same code over the same globals,
    defaults and closure values (a lambda built anew by each call of a hook)."""
    return (a.name == b.name and a.latex == b.latex and a.description == b.description
            and a.fuse == b.fuse and a.heads == b.heads
            and len(a.derivatives) == len(b.derivatives)
            and all(map(_same_callable, (a.explicit, a.numpy, a.scalar, *a.derivatives),
                        (b.explicit, b.numpy, b.scalar, *b.derivatives)))
            and a.extra_kernels.keys() == b.extra_kernels.keys()
            and all(_same_callable(a.extra_kernels[k], b.extra_kernels[k])
                    for k in a.extra_kernels))


def _same_callable(f, g) -> bool:
    if f is g:
        return True
    code = getattr(f, "__code__", None)
    if code is None or isinstance(f, str) or isinstance(g, str):
        return isinstance(f, str) and f == g
    return (code == getattr(g, "__code__", None)
            and f.__globals__ is getattr(g, "__globals__", None)
            and _same_values(f.__defaults__, g.__defaults__)
            and _same_values(_cells(f), _cells(g)))


def _cells(function) -> list:
    try:
        return [cell.cell_contents for cell in function.__closure__ or ()]
    except ValueError:   # an empty cell
        return [object()]


def _same_values(a, b) -> bool:
    a, b = tuple(a or ()), tuple(b or ())
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        try:
            if not (x is y or bool(x == y)):
                return False
        except Exception:   # an array, or an object whose == raises
            return False
    return True


def primitive_class(name: str) -> type:
    """The SymPy class of the primitive registered under ``name``.

    Raises:
        KeyError: no primitive of that name is registered.
    """
    return _REGISTRY[name][1]


# --------------------------------------------------------------------------
# The core primitives (kernels: neurogebra.compile._kernels)
# --------------------------------------------------------------------------

_KERNELS = "neurogebra.compile._kernels."

sigmoid = register_primitive(Primitive(
    name="sigmoid",
    explicit=lambda x: 1 / (1 + sympy.exp(-x)),
    derivatives=(lambda x: sigmoid(x) * (1 - sigmoid(x)),),
    numpy=_KERNELS + "sigmoid_numpy", scalar=_KERNELS + "sigmoid_math",
    latex=r"\sigma\left({0}\right)",
    description="logistic function 1/(1 + exp(-x))",
    extra_kernels={"jax": "jax.nn.sigmoid", "torch": "torch.sigmoid"},
))

softplus = register_primitive(Primitive(
    name="softplus",
    explicit=lambda x: sympy.log(1 + sympy.exp(x)),
    derivatives=(lambda x: sigmoid(x),),
    numpy=_KERNELS + "softplus_numpy", scalar=_KERNELS + "softplus_math",
    latex=r"\operatorname{{softplus}}\left({0}\right)",
    description="log(1 + exp(x)), finite for every float",
    extra_kernels={"jax": "jax.nn.softplus", "torch": _KERNELS + "softplus_torch"},
))

log_sigmoid = register_primitive(Primitive(
    name="log_sigmoid",
    explicit=lambda x: -sympy.log(1 + sympy.exp(-x)),
    derivatives=(lambda x: 1 - sigmoid(x),),
    numpy=_KERNELS + "log_sigmoid_numpy", scalar=_KERNELS + "log_sigmoid_math",
    latex=r"\log\sigma\left({0}\right)",
    description="log(sigmoid(x)), finite for every float",
    extra_kernels={"jax": "jax.nn.log_sigmoid", "torch": "torch.nn.functional.logsigmoid"},
))

relu = register_primitive(Primitive(
    name="relu",
    explicit=lambda x: sympy.Max(x, 0),
    derivatives=(lambda x: sympy.Heaviside(x, 0),),
    numpy=_KERNELS + "relu_numpy", scalar=_KERNELS + "relu_math",
    latex=r"\operatorname{{ReLU}}\left({0}\right)",
    description="max(x, 0); its derivative at 0 is 0, as in PyTorch",
    extra_kernels={"jax": "jax.nn.relu", "torch": "torch.relu"},
))
