"""Shapes: named sizes, vector and matrix symbols, and shape inference.

A formula's names are scalars unless declared otherwise. A declared name is
a :class:`ShapedSymbol` (a SymPy ``Symbol`` that carries its *core shape*,
``(n,)`` for a vector or ``(m, n)`` for a matrix) or an :class:`IndexSymbol`
(a scalar holding a class index among ``n`` classes). Sizes are integers or
named sizes (:class:`Size`), so a catalog function declares
``y_pred: (n,)`` and is bound to 10 classes when it is evaluated or composed.

Arithmetic on shaped symbols is SymPy's own ``Add``/``Mul``/``Pow`` and its
elementwise functions: entrywise and commutative, as NumPy reads ``x*y``.
Everything that is not elementwise (sums, products, softmax...) is an
explicit vector operation (``_vector_ops``) with its own shape rule, so SymPy
can never reorder a matrix product.

The shape is part of a symbol's identity: a vector ``x`` never equals the
scalar ``x``, and scalar formulas contain no shaped atom at all, so they
keep every behaviour they had. At evaluation an array may carry any number of
*leading* batch axes: a variable of core shape ``(n,)`` takes ``(..., n)``.
"""

from __future__ import annotations

import functools
from typing import Iterable, Mapping

import sympy
from sympy.core.expr import AtomicExpr

from ..errors import ShapeError

__all__ = ["Size", "ShapedSymbol", "IndexSymbol", "Ones", "Identity", "size", "shape_of",
           "format_shape", "broadcast_core", "is_shaped", "shaped_atoms", "bind_sizes",
           "sizes_of"]


class Size(AtomicExpr):
    """A named size (``n``): a positive integer known when the formula is evaluated.

    It is an atom but not a free symbol, so it is never taken for a variable
    or a param; a formula may still use it (``label_smoothing/n``).
    """

    is_integer = True
    is_positive = True
    is_commutative = True
    __slots__ = ("name",)

    def __new__(cls, name: str):
        obj = AtomicExpr.__new__(cls)
        obj.name = name
        return obj

    def _hashable_content(self):
        return (self.name,)

    def __getnewargs__(self):
        return (self.name,)

    def _sympystr(self, printer):
        return self.name

    _formula_text = _sympystr

    def _latex(self, printer):
        return printer._print(sympy.Symbol(self.name))


def size(value) -> sympy.Expr:
    """A size as SymPy: ``10`` -> Integer(10), ``"n"`` -> Size n.

    Raises:
        ShapeError: neither a positive integer nor a name.
    """
    if isinstance(value, sympy.Expr) and (value.is_Integer or value.has(Size)):
        return value
    if isinstance(value, str) and value.isidentifier() and not value.startswith("_"):
        return Size(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return sympy.Integer(value)
    if isinstance(value, sympy.Integer) and value >= 1:
        return value
    raise ShapeError(f"a size is a positive integer or a name, got {value!r}")


def format_shape(shape) -> str:
    """``(n,)``, ``(10, 64)`` or ``()``."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class ShapedSymbol(sympy.Symbol):
    """A vector or matrix name: ``ShapedSymbol("W", ("k", "d"))``.

    ``simplex=True`` declares a vector whose entries sum to 1 (a probability
    distribution or a one-hot target): ``sum(y)`` then simplifies to 1, and
    evaluation checks the data.
    """

    is_commutative = True   # entrywise (Hadamard) arithmetic, as NumPy's x*y

    def __new__(cls, name: str, shape: Iterable, simplex: bool = False):
        shape = tuple(size(d) for d in shape)
        if not shape:
            raise ShapeError(f"{name}: a vector or matrix needs at least one axis")
        if simplex and len(shape) != 1:
            raise ShapeError(f"{name}: only a vector can be declared a distribution "
                             f"(simplex), not shape {format_shape(shape)}")
        obj = sympy.Symbol.__xnew__(cls, name, real=True)   # uncached: the shape is identity
        obj._shape = shape
        obj._simplex = bool(simplex)
        return obj

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def simplex(self) -> bool:
        return self._simplex

    def _hashable_content(self):
        return super()._hashable_content() + (self._shape, self._simplex)

    def __getnewargs_ex__(self):
        return (self.name, self._shape, self._simplex), {}

    # Printers dispatch on class names (a class called "Tensor" would be printed
    # by sympy.tensor's printer); this one prints as its name.
    def _sympystr(self, printer):
        return self.name


class IndexSymbol(sympy.Symbol):
    """A scalar holding a class index ``0 <= k < classes`` (``y_true: {index: n}``)."""

    def __new__(cls, name: str, classes):
        obj = sympy.Symbol.__xnew__(cls, name, real=True)
        obj._classes = size(classes)
        return obj

    @property
    def classes(self) -> sympy.Expr:
        return self._classes

    def _hashable_content(self):
        return super()._hashable_content() + (self._classes,)

    def __getnewargs_ex__(self):
        return (self.name, self._classes), {}

    def _sympystr(self, printer):
        return self.name


class _ShapedConstant(AtomicExpr):
    """Base of the all-ones and identity constants that derivatives contain."""

    is_commutative = True
    is_real = True
    __slots__ = ("shape",)

    def _hashable_content(self):
        return self.shape

    def __getnewargs__(self):
        return self.shape


class Ones(_ShapedConstant):
    """The all-ones vector or matrix of a shape (a scalar cotangent, widened)."""

    is_positive = True

    def __new__(cls, *shape):
        obj = AtomicExpr.__new__(cls)
        obj.shape = tuple(size(d) for d in shape)
        return obj

    def _sympystr(self, printer):
        return f"ones({', '.join(str(d) for d in self.shape)})"

    _formula_text = _sympystr

    def _latex(self, printer):
        return r"\mathbf{1}"


class Identity(_ShapedConstant):
    """The n x n identity matrix (in Jacobians)."""

    def __new__(cls, n, _n=None):
        obj = AtomicExpr.__new__(cls)
        n = size(n)
        obj.shape = (n, n)
        return obj

    def _sympystr(self, printer):
        return "I"

    def _formula_text(self, printer):
        return f"eye({self.shape[0]})"

    def _latex(self, printer):
        return "I"


def broadcast_core(shapes: Iterable[tuple], what: str) -> tuple:
    """The core shape of an elementwise node: equal shapes, scalars broadcasting.

    Raises:
        ShapeError: two operands have different non-scalar shapes.
    """
    full = [s for s in shapes if s]
    for other in full[1:]:
        if other != full[0]:
            raise ShapeError(f"{what} of shapes {format_shape(full[0])} and "
                             f"{format_shape(other)}: elementwise operands need equal shapes "
                             "(or one scalar)")
    return full[0] if full else ()


_WHAT = {"Add": "a sum", "Mul": "a product", "Pow": "a power"}


def shape_of(expr) -> tuple:
    """The core shape of a SymPy expression built from shaped symbols and vector ops.

    Raises:
        ShapeError: the expression combines shapes that do not fit.
    """
    if isinstance(expr, (ShapedSymbol, _ShapedConstant)):
        return expr.shape
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return ()
    return _inferred(expr)


@functools.lru_cache(maxsize=16384)
def _inferred(expr) -> tuple:
    """The shape of a compound node (bounded memo: shapes of old formulas fall out)."""
    rule = getattr(expr, "shape_rule_of", None)
    if rule is not None:   # a vector operation
        return rule()
    if isinstance(expr, sympy.Piecewise):
        parts = []
        for pair in expr.args:
            parts += [shape_of(pair.expr), shape_of(pair.cond)]
        return broadcast_core(parts, "where(...)")
    name = type(expr).__name__
    return broadcast_core([shape_of(a) for a in expr.args],
                          _WHAT.get(name, f"{name}(...)"))


def is_shaped(expr) -> bool:
    """Whether ``expr`` contains a declared (shaped or index) name or a shaped constant."""
    return bool(shaped_atoms(expr))


def shaped_atoms(expr) -> set:
    """The shaped symbols, index symbols and shaped constants of ``expr``."""
    return expr.atoms(ShapedSymbol, IndexSymbol, _ShapedConstant) \
        if isinstance(expr, sympy.Basic) else set()


def sizes_of(expr) -> set:
    """The named sizes ``expr`` uses, in shapes or in its formula."""
    found = set(expr.atoms(Size))
    for atom in shaped_atoms(expr):
        for d in _atom_sizes(atom):
            found |= d.atoms(Size)
    return found


def _atom_sizes(atom) -> tuple:
    return (atom.classes,) if isinstance(atom, IndexSymbol) else atom.shape


def bind_sizes(expr, mapping: Mapping) -> sympy.Expr:
    """``expr`` with named sizes replaced (``{Size("n"): 10}``) in every shape and formula."""
    mapping = {k: size(v) if isinstance(v, (int, str)) else v for k, v in mapping.items()}
    if not mapping:
        return expr
    replaced = {atom: rebind(atom, mapping) for atom in shaped_atoms(expr)}
    replaced.update(mapping)
    return expr.xreplace(replaced)


def rebind(atom, mapping: Mapping):
    """A shaped or index symbol (or constant) with its named sizes replaced."""
    def new(d):
        return d.xreplace(mapping)
    if isinstance(atom, ShapedSymbol):
        return ShapedSymbol(atom.name, [new(d) for d in atom.shape], atom.simplex)
    if isinstance(atom, IndexSymbol):
        return IndexSymbol(atom.name, new(atom.classes))
    if isinstance(atom, Ones):
        return Ones(*(new(d) for d in atom.shape))
    if isinstance(atom, Identity):
        return Identity(new(atom.shape[0]))
    return atom
