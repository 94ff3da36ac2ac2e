"""Registering the primitives packs provide, checked before formulas meet them.

A primitive's rules and kernels are pack code that would otherwise first run
deep inside parsing, differentiation or evaluation, where a crash cannot name
the pack. So each primitive is checked when its pack's hook returns it: its
name is free (see :func:`reserved_name_problem`), its explicit formula and
each derivative rule, called on symbols, return SymPy expressions, and its
NumPy (and scalar) kernels, called on float64 inputs of its arity, return
values of the right shape. Every call runs at the guarded boundary
(:func:`~._packs.call_pack`), so whatever a rule or kernel raises is a
PluginError naming the pack.

Primitives are process-wide (a SymPy function name has one meaning), so a
hook called by a second MathForge may return a *new* Primitive object with
the same code: that is the same primitive and registers again quietly,
while a different primitive under a taken name is an error for the pack.
"""

from __future__ import annotations

import keyword
import numbers
import warnings

import numpy as np
import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.repr import ReprPrinter
from sympy.printing.str import StrPrinter

from ..compile import get_backend
from ..errors import PluginError, RegistrationError, shown
from ..symbolic import FormulaFunction, Primitive, function_names, post_order, \
    primitive_class, register_primitive
from ._packs import Pack, call_hook, call_pack, load_packs, make_plugin_manager, pack_error, \
    parse_selection

__all__ = ["register_pack_primitives", "load_installed_primitives", "reserved_name_problem",
           "CONVENTIONAL_VARIABLES"]

# The variables catalog functions take by convention (docs/conventions.md):
# a primitive with one of these names would make every such formula invalid.
CONVENTIONAL_VARIABLES = ("y_pred", "y_true")
_PRINTERS = (StrPrinter, ReprPrinter, LatexPrinter, PrettyPrinter)
_PROBE = (0.25, 0.75)


def reserved_name_problem(name: str) -> str | None:
    """Why a primitive may not be called ``name``, or None.

    Reserved: Python keywords (no formula could call them), one-letter names
    and the conventional variables (``x``, ``y_pred``...: every formula using
    them as variables would break), and names SymPy's printers dispatch on
    for objects of another kind (``Mul``, ``Symbol``, ``Float``: printing any
    formula would crash).
    """
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword; no formula could call it"
    if len(name) == 1 or name in CONVENTIONAL_VARIABLES:
        return (f"{name!r} is a variable by convention (one-letter names, "
                f"{', '.join(CONVENTIONAL_VARIABLES)}); choose a function-like name")
    sympy_object = getattr(sympy, name, None)
    a_function = isinstance(sympy_object, type) and issubclass(sympy_object, sympy.Function)
    if not a_function and any(hasattr(p, f"_print_{name}") for p in _PRINTERS):
        return f"{name!r} is a name SymPy's printers give another meaning"
    return None


_OWN_DISTRIBUTION = "neurogebra"


def register_pack_primitives(manager, packs: list[Pack]) -> list[PluginError]:
    """Check and register the primitives each pack's ``neurogebra_primitives`` returns.

    Returns:
        One error per pack whose hook failed, and one per bad primitive.
    """
    errors = []
    for result in call_hook(manager, "neurogebra_primitives", packs):
        if result.error is not None:
            errors.append(result.error)
            continue
        for primitive in result.items:
            try:
                _register(result.pack, primitive)
            except PluginError as exc:
                errors.append(exc)
    return errors


def load_installed_primitives() -> None:
    """Register the primitives of the installed packs (for unpickling and validation)."""
    manager = make_plugin_manager()
    packs = [p for p in load_packs(manager, parse_selection(None)) if p.loaded]
    register_pack_primitives(manager, packs)


def _register(pack: Pack, primitive) -> None:
    def fail(message: str, cause: BaseException | None = None) -> PluginError:
        return pack_error(pack.name, pack.distribution, f"has a bad primitive: {message}", cause)

    if not isinstance(primitive, Primitive):
        raise fail(f"neurogebra_primitives() returned {type(primitive).__name__}, "
                   "not a neurogebra.Primitive")
    name = primitive.name
    if not isinstance(name, str) or not name.isidentifier():
        raise fail(f"primitive name {shown(name)} must be a plain identifier")
    problem = reserved_name_problem(name)
    if problem is not None:
        raise fail(problem)
    # the very same object passed these checks before; the packs shipped with
    # neurogebra itself are checked by its test suite (every value and derivative
    # against mpmath), so their probe would only cost a second at each start-up
    if _registered(name) is not primitive and pack.distribution != _OWN_DISTRIBUTION:
        _probe(pack, primitive, fail)
    try:
        register_primitive(primitive)
    except RegistrationError as exc:
        raise fail(str(exc), exc) from None


def _registered(name: str) -> Primitive | None:
    try:
        return primitive_class(name).primitive
    except KeyError:
        return None


def _probe(pack: Pack, primitive: Primitive, fail) -> None:
    """Call the rules and kernels once, at the guarded boundary, and check what they give."""
    name = primitive.name
    if not isinstance(primitive.derivatives, (tuple, list)) or not primitive.derivatives:
        raise fail(f"{name!r}: derivatives must be a tuple of rules, one per argument")
    arity = len(primitive.derivatives)
    symbols = sympy.symbols(f"u0:{arity}", real=True)
    rules = [("explicit formula", primitive.explicit)] + [
        (f"derivative rule {i}", rule) for i, rule in enumerate(primitive.derivatives, 1)]
    for label, rule in rules:
        value = _call(pack, f"{name!r}: its {label}", rule, *symbols)
        if not (isinstance(value, sympy.Expr) or _real(value)):
            raise fail(f"{name!r}: its {label} returned {type(value).__name__} "
                       f"{shown(value)}, not a SymPy expression")
        if label == "explicit formula":
            _check_heads(primitive, sympy.sympify(value), fail)
            _check_anchors(pack, primitive, symbols, sympy.sympify(value), fail)
    function = FormulaFunction(name, sympy.Function, (arity, arity), primitive.kernels())
    kernels = [("NumPy kernel", "numpy", [_read_only(np.array(_PROBE)) for _ in range(arity)])]
    if primitive.scalar is not None:
        kernels.append(("scalar kernel", "math", [_PROBE[0]] * arity))
    for label, backend, inputs in kernels:
        kernel = _call(pack, f"{name!r}: its {label} cannot be found",
                       get_backend(backend).kernel, function)
        value = call_pack(pack.name, pack.distribution,
                          f"has a bad primitive: {name!r}: its {label}", _quietly, kernel, *inputs)
        if backend == "numpy" and not (isinstance(value, np.ndarray) and value.shape == (2,)):
            raise fail(f"{name!r}: its {label} returned {type(value).__name__} "
                       f"{shown(value)} for {arity} array(s) of shape (2,); it must return an "
                       "array of that shape")
        if backend == "math" and not _real(value):
            raise fail(f"{name!r}: its {label} returned {type(value).__name__} "
                       f"{shown(value)} for a float; it must return a float")


def _check_heads(primitive: Primitive, explicit: sympy.Expr, fail) -> None:
    """Declared ``heads`` must be the functions the explicit formula calls:
    fusing looks only where they all occur, and would silently never happen.
    (Heads that are not a tuple are refused by ``register_primitive``.)"""
    calls = function_names(explicit)
    declared = primitive.heads
    if declared and isinstance(declared, tuple) and set(declared) != calls:
        raise fail(f"{primitive.name!r}: heads {primitive.heads!r} are not the functions its "
                   f"explicit formula calls, {tuple(sorted(calls))!r}")


def _check_anchors(pack: Pack, primitive: Primitive, symbols, explicit: sympy.Expr,
                   fail) -> None:
    """Declared ``anchors`` must be parts of the explicit formula: fusing skips
    every formula that lacks one, and would silently never happen."""
    if primitive.anchors is None:
        return
    anchors = _call(pack, f"{primitive.name!r}: its anchors", primitive.anchors, *symbols)
    parts = set(post_order([explicit]))
    missing = [a for a in (anchors if isinstance(anchors, tuple) else ())
               if not (isinstance(a, sympy.Basic) and a.is_number) and a not in parts]
    if not isinstance(anchors, tuple) or missing:
        raise fail(f"{primitive.name!r}: anchors {shown(anchors)} must be a tuple of parts of "
                   f"its explicit formula {shown(explicit)}")


def _call(pack: Pack, what: str, function, *args):
    return call_pack(pack.name, pack.distribution, f"has a bad primitive: {what}", _checked_call,
                     function, *args)


def _checked_call(function, *args):
    if not callable(function):
        raise TypeError(f"{type(function).__name__} {shown(function)} is not callable")
    return function(*args)


def _quietly(kernel, *inputs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _checked_call(kernel, *inputs)


def _read_only(array: np.ndarray) -> np.ndarray:
    """An input a kernel cannot write to (nor take as NumPy's ``out=``)."""
    array.setflags(write=False)
    return array


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
