"""Vector operations: the functions of a formula that are not elementwise.

Each operation is a SymPy function (:class:`VecOp`) that carries

* a **shape rule**, run when the expression is built, so ``W @ x`` with sizes
  that do not fit is refused before any number is computed;
* a **VJP rule** (reverse mode): given the cotangent ``g`` of its value, the
  contribution to each argument, written in matrix-calculus form (the rules
  collected by Giles 2008; ``W @ x`` sends ``outer(g, x)`` to ``W``), so no
  rule ever expands a vector into its entries;
* a **JVP rule** (forward mode, for Hessians and Jacobians);
* simplifications that make derivatives read as a textbook writes them
  (``sum(softmax(z)) = 1``, ``dot(ones, v) = sum(v)``);
* kernels for NumPy, JAX and PyTorch, named by reference in the one function
  table (they live in the compile layer), acting on the *last* axes, so any
  leading batch axes pass through.

Printing: ``str`` gives the textbook notation (``W^T @ g``, ``a x^T``), and
``_formula_text`` the text the parser reads back (``transpose(W) @ g``,
``outer(a, x)``); see ``_vector_printing``.
"""

from __future__ import annotations

import sympy
from sympy.printing.precedence import PRECEDENCE

from ..errors import ShapeError
from ._functions import FormulaFunction, register_function
from ._shapes import Identity, Ones, ShapedSymbol, format_shape, shape_of, size

__all__ = ["VecOp", "vsum", "mean", "vmax", "maxmask", "logsumexp", "norm", "unit", "softmax",
           "log_softmax", "dot", "matmul", "outer", "transpose", "diag", "pick", "onehot",
           "first_half", "second_half", "place_half", "vmin", "widen", "times",
           "split_scalars", "vector_canonical", "REDUCTIONS"]

_KERNELS = "neurogebra.compile._vector_kernels."
_BACKENDS = ("numpy", "jax", "torch")
# printed inside a product in parentheses: (W^T @ g)*(1 - h**2), never W^T @ g*(1 - h**2)
_BELOW_MUL = PRECEDENCE["Mul"] - 1


def _kernels(name: str) -> dict[str, str]:
    return {backend: f"{_KERNELS}{name}_{backend}" for backend in _BACKENDS}


def _settled(args) -> bool:
    """False while SymPy rebuilds an expression around Dummy symbols (shapes unknown)."""
    return not any(a.has(sympy.Dummy) for a in args)


def split_scalars(e) -> tuple:
    """``c*u`` -> ``(c, u)``, ``c`` the product of the factors of rank 0."""
    if not e.is_Mul:
        return sympy.S.One, e
    scalars, rest = [], []
    for f in e.args:
        (rest if shape_of(f) else scalars).append(f)
    return sympy.Mul(*scalars), sympy.Mul(*rest)


def times(*factors) -> sympy.Expr:
    """An entrywise product that drops ``ones(...)`` beside a factor of its shape."""
    flat = []
    for f in factors:
        flat.extend(f.args if f.is_Mul else (f,))
    flat = [f for f in flat if f != 1]
    if any(f == 0 for f in flat):
        return sympy.S.Zero
    ones = [f for f in flat if isinstance(f, Ones)]
    if ones:
        others = [f for f in flat if not isinstance(f, Ones)]
        if any(shape_of(f) == ones[0].shape for f in others):
            flat = others
    return sympy.Mul(*flat)


def widen(g, shape) -> sympy.Expr:
    """``g`` as a value of ``shape``: a rank-0 cotangent means ``g`` in every entry."""
    shape = tuple(shape)
    if g == 0 or shape_of(g) == shape:
        return g
    if shape_of(g) == ():
        return times(g, Ones(*shape))
    raise ShapeError(f"cannot widen shape {format_shape(shape_of(g))} to {format_shape(shape)}")


def _need_rank(op: str, shape, rank: int, what: str = "argument") -> None:
    if len(shape) != rank:
        kind = {0: "a scalar", 1: "a vector", 2: "a matrix"}[rank]
        raise ShapeError(f"{op}() needs {kind} {what}, got shape {format_shape(shape)}")


class VecOp(sympy.Function):
    """Base of the vector operations.

    Subclasses set ``label`` (the formula name) and define ``shape_rule``
    (argument shapes -> result shape), ``vjp(i, g)`` and ``jvp(tangents)``;
    ``simplify`` may return a simpler equal expression.
    """

    label = ""
    array_args: int | None = None   # how many leading arguments are arrays (default: all)

    @classmethod
    def shape_rule(cls, *shapes) -> tuple:   # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def shape_from(cls, args) -> tuple:
        return cls.shape_rule(*(shape_of(a) for a in args))

    def shape_rule_of(self) -> tuple:
        return type(self).shape_from(self.args)

    @classmethod
    def eval(cls, *args):
        if _settled(args):
            cls.shape_from(args)          # refused when built, before any work
            return cls.simplify(*args)
        return None

    @classmethod
    def simplify(cls, *args):
        return None

    @classmethod
    def class_key(cls):
        return 2, 0, cls.__name__        # sorts among atoms, as primitives do

    def _eval_is_extended_real(self):
        return True

    def literals(self) -> tuple:
        """Python values the kernel takes after the arguments (core ranks...)."""
        return ()

    def vjp(self, i: int, g) -> sympy.Expr:
        raise ShapeError(f"{self.label}() has no derivative rule for argument {i + 1}")

    def jvp(self, tangents) -> sympy.Expr:
        raise ShapeError(f"{self.label}() has no forward derivative rule")

    def jacobian(self):
        """The Jacobian by its (only) argument as a matrix expression, or None."""
        return None

    def _eval_derivative(self, s):
        raise TypeError(f"sympy.diff cannot differentiate {self.label}(...), a vector "
                        "operation; use Expression.gradient, which applies its rules")

    # -- printing ---------------------------------------------------------
    def _sympystr(self, printer):
        return f"{self.label}({', '.join(printer._print(a) for a in self.args)})"

    def _formula_text(self, printer):
        return self._sympystr(printer)

    def _latex(self, printer, exp=None):
        args = ", ".join(printer._print(a) for a in self.args)
        name = self.label.replace("_", r"\_")
        body = rf"\operatorname{{{name}}}\left({args}\right)"
        return f"{body}^{{{exp}}}" if exp else body


def _atomic(printer, a) -> str:
    """``a`` printed, parenthesised unless it is a name, a number or a call."""
    text = printer._print(a)
    simple = a.is_Atom or (a.is_Function and not isinstance(a, (matmul, outer, transpose)))
    return text if simple or isinstance(a, transpose) and a.args[0].is_Atom else f"({text})"


def _atomic_latex(printer, a) -> str:
    text = printer._print(a)
    if a.is_Atom or (a.is_Function and not isinstance(a, (matmul, outer))):
        return text
    return rf"\left({text}\right)"


def _zero(*args) -> bool:
    return any(a == 0 for a in args)


# -- reductions over the last axis ---------------------------------------------

class vsum(VecOp):
    """Sum over the last axis (of a matrix: its row sums)."""

    nargs = 1
    label = "sum"

    @classmethod
    def shape_rule(cls, s):
        if not s:
            raise ShapeError("sum() needs a vector or matrix, got a scalar (declare the "
                             "shape of its argument)")
        return s[:-1]

    @classmethod
    def simplify(cls, a):
        if a == 0:
            return sympy.S.Zero
        if isinstance(a, ShapedSymbol) and a.simplex or isinstance(a, (softmax, onehot)):
            return sympy.S.One
        if isinstance(a, Ones):
            return a.shape[-1] if len(a.shape) == 1 else None
        if a.is_Add:        # sum(u + v + c) = sum(u) + sum(v) + n*c
            last = shape_of(a)[-1]
            return sympy.Add(*(vsum(t) if shape_of(t) else last * t for t in a.args))
        c, rest = split_scalars(a)
        return c * vsum(rest) if c != 1 else None

    def vjp(self, i, g):
        s = shape_of(self.args[0])
        if len(s) == 1:
            return widen(g, s)
        return outer(widen(g, s[:-1]), Ones(s[-1]))

    def jvp(self, t):
        return vsum(t[0])


class mean(VecOp):
    """Mean over the last axis: builds ``sum(a)/n`` (never stays a node)."""

    nargs = 1
    label = "mean"

    @classmethod
    def shape_rule(cls, s):
        return vsum.shape_rule(s)

    @classmethod
    def simplify(cls, a):
        return vsum(a) / shape_of(a)[-1]


class vmax(VecOp):
    """The largest entry; its gradient is shared evenly between tied maxima (as amax)."""

    nargs = 1
    label = "max"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("max", s, 1)
        return ()

    def vjp(self, i, g):
        return times(g, maxmask(self.args[0]))

    def jvp(self, t):
        return dot(maxmask(self.args[0]), t[0])


def vmin(a) -> sympy.Expr:
    """The smallest entry, ``-max(-a)``."""
    return -vmax(-a)


class maxmask(VecOp):
    """1/k at the k positions of the largest entry, 0 elsewhere (max's derivative)."""

    nargs = 1
    label = "argmax_mask"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("argmax_mask", s, 1)
        return s

    def vjp(self, i, g):
        return sympy.S.Zero

    def jvp(self, t):
        return sympy.S.Zero


class _SmoothReduction(VecOp):
    """A smooth number computed from a vector; ``gradient()`` is its gradient."""

    nargs = 1

    @classmethod
    def shape_rule(cls, s):
        _need_rank(cls.label, s, 1)
        return ()

    def gradient(self):   # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, i, g):
        return times(g, self.gradient())

    def jvp(self, t):
        return dot(self.gradient(), t[0])


class logsumexp(_SmoothReduction):
    """log(sum(exp(a))), computed without overflow; its gradient is softmax(a)."""

    label = "logsumexp"

    def gradient(self):
        return softmax(self.args[0])


class norm(_SmoothReduction):
    """The Euclidean norm, computed without overflow or underflow; its gradient is a/norm(a)."""

    label = "norm"

    def gradient(self):
        return unit(self.args[0])


class unit(VecOp):
    """``a/norm(a)``, and 0 for a zero vector (norm's derivative, as autograd takes it)."""

    nargs = 1
    label = "unit"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("unit", s, 1)
        return s

    def vjp(self, i, g):
        u = self
        g = widen(g, shape_of(u))
        return (g - times(u, dot(u, g))) / norm(self.args[0])

    def jvp(self, t):
        u = self
        return (t[0] - times(u, dot(u, t[0]))) / norm(self.args[0])

    def _sympystr(self, printer):
        a = self.args[0]
        return f"{_atomic(printer, a)}/norm({printer._print(a)})"

    def _latex(self, printer, exp=None):
        a = printer._print(self.args[0])
        return rf"\frac{{{a}}}{{\left\|{a}\right\|}}"


# -- the softmax family ----------------------------------------------------------

class softmax(VecOp):
    """exp(a)/sum(exp(a)), computed without overflow."""

    nargs = 1
    label = "softmax"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("softmax", s, 1)
        return s

    def vjp(self, i, g):
        if shape_of(g) == ():
            return sympy.S.Zero     # entries sum to 1: a uniform cotangent changes nothing
        return times(self, g - dot(g, self))

    def jvp(self, t):
        return times(self, t[0] - dot(self, t[0]))

    def jacobian(self):
        return diag(self) - outer(self, self)


class log_softmax(VecOp):
    """a - logsumexp(a), computed without overflow and exactly for a confident class."""

    nargs = 1
    label = "log_softmax"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("log_softmax", s, 1)
        return s

    def vjp(self, i, g):
        s = softmax(self.args[0])
        return widen(g, shape_of(self)) - times(s, vsum(widen(g, shape_of(self))))

    def jvp(self, t):
        return t[0] - dot(softmax(self.args[0]), t[0])

    def jacobian(self):
        n = shape_of(self)[0]
        return Identity(n) - outer(Ones(n), softmax(self.args[0]))


# -- products -------------------------------------------------------------------------

class dot(VecOp):
    """The inner product over the last axis."""

    nargs = 2
    label = "dot"

    @classmethod
    def shape_rule(cls, a, b):
        _need_rank("dot", a, 1, "first argument")
        if a != b:
            raise ShapeError(f"dot() of shapes {format_shape(a)} and {format_shape(b)}: "
                             "the vectors need the same length")
        return ()

    @classmethod
    def simplify(cls, a, b):
        if _zero(a, b):
            return sympy.S.Zero
        for u, v in ((a, b), (b, a)):
            if isinstance(u, Ones):
                return vsum(v)
            if isinstance(u, onehot):
                return pick(v, u.args[0])
        ca, ra = split_scalars(a)
        cb, rb = split_scalars(b)
        if ca != 1 or cb != 1:
            return ca * cb * dot(ra, rb)
        if sympy.default_sort_key(b) < sympy.default_sort_key(a):
            return dot(b, a)     # one order, so dot(a, b) and dot(b, a) are one node
        return None

    def vjp(self, i, g):
        return times(g, self.args[1 - i])

    def jvp(self, t):
        a, b = self.args
        return sympy.Add(*([dot(t[0], b)] if t[0] != 0 else []),
                         *([dot(a, t[1])] if t[1] != 0 else []))


class matmul(VecOp):
    """``A @ B`` over the last axes: matrix-vector, matrix-matrix or vector-matrix."""

    nargs = 2
    label = "@"
    precedence = _BELOW_MUL

    @classmethod
    def shape_rule(cls, a, b):
        if len(a) == 2 and len(b) in (1, 2) and a[1] == b[0]:
            return (a[0],) + b[1:]
        if len(a) == 1 and len(b) == 2 and a[0] == b[0]:
            return b[1:]
        hint = " (declare the shapes of vector and matrix names)" if not (a and b) else \
            " (A @ x needs A's last size to equal x's first)"
        raise ShapeError(f"@ of shapes {format_shape(a)} and {format_shape(b)} does not fit"
                         + hint)

    @classmethod
    def simplify(cls, a, b):
        if _zero(a, b):
            return sympy.S.Zero
        if isinstance(b, Identity):
            return a
        if isinstance(a, Identity):
            return b
        ca, ra = split_scalars(a)
        cb, rb = split_scalars(b)
        if ca != 1 or cb != 1:
            return ca * cb * matmul(ra, rb)
        return None

    def literals(self):
        return tuple(len(shape_of(a)) for a in self.args)

    def vjp(self, i, g):
        A, B = self.args
        ra, rb = len(shape_of(A)), len(shape_of(B))
        g = widen(g, shape_of(self))
        if ra == 2 and rb == 1:                          # y = W x
            return outer(g, B) if i == 0 else matmul(transpose(A), g)
        if ra == 2:                                      # Y = A B
            return matmul(g, transpose(B)) if i == 0 else matmul(transpose(A), g)
        return matmul(B, g) if i == 0 else outer(A, g)   # y = x^T B

    def jvp(self, t):
        A, B = self.args
        return sympy.Add(*([matmul(t[0], B)] if t[0] != 0 else []),
                         *([matmul(A, t[1])] if t[1] != 0 else []))

    def _sympystr(self, printer):
        return " @ ".join(_atomic(printer, a) for a in self.args)

    def _formula_text(self, printer):
        return " @ ".join(_atomic(printer, a) for a in self.args)

    def _latex(self, printer, exp=None):
        return " ".join(_atomic_latex(printer, a) for a in self.args)


class outer(VecOp):
    """The outer product ``a b^T``."""

    nargs = 2
    label = "outer"
    precedence = _BELOW_MUL

    @classmethod
    def shape_rule(cls, a, b):
        _need_rank("outer", a, 1, "first argument")
        _need_rank("outer", b, 1, "second argument")
        return (a[0], b[0])

    @classmethod
    def simplify(cls, a, b):
        if _zero(a, b):
            return sympy.S.Zero
        ca, ra = split_scalars(a)
        cb, rb = split_scalars(b)
        if ca != 1 or cb != 1:
            return ca * cb * outer(ra, rb)
        return None

    def vjp(self, i, g):
        a, b = self.args
        g = widen(g, shape_of(self))
        return matmul(g, b) if i == 0 else matmul(transpose(g), a)

    def jvp(self, t):
        a, b = self.args
        return sympy.Add(*([outer(t[0], b)] if t[0] != 0 else []),
                         *([outer(a, t[1])] if t[1] != 0 else []))

    def _sympystr(self, printer):
        a, b = self.args
        return f"{_atomic(printer, a)} {_atomic(printer, b)}^T"

    def _formula_text(self, printer):
        return f"outer({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    def _latex(self, printer, exp=None):
        a, b = self.args
        return rf"{_atomic_latex(printer, a)} {_atomic_latex(printer, b)}^{{\top}}"


class transpose(VecOp):
    """The transpose of a matrix."""

    nargs = 1
    label = "transpose"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("transpose", s, 2)
        return (s[1], s[0])

    @classmethod
    def simplify(cls, a):
        if a == 0 or isinstance(a, Identity):
            return a
        if isinstance(a, transpose):
            return a.args[0]
        if isinstance(a, outer):
            return outer(a.args[1], a.args[0])
        return None

    def vjp(self, i, g):
        return transpose(widen(g, shape_of(self)))

    def jvp(self, t):
        return transpose(t[0])

    def _sympystr(self, printer):
        return f"{_atomic(printer, self.args[0])}^T"

    def _formula_text(self, printer):
        return f"transpose({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        return rf"{_atomic_latex(printer, self.args[0])}^{{\top}}"


class diag(VecOp):
    """The diagonal matrix of a vector (in printed Jacobians)."""

    nargs = 1
    label = "diag"

    @classmethod
    def shape_rule(cls, s):
        _need_rank("diag", s, 1)
        return (s[0], s[0])

    def jvp(self, t):
        return diag(t[0])

    def _latex(self, printer, exp=None):
        return rf"\operatorname{{diag}}\left({printer._print(self.args[0])}\right)"


# -- indexing ---------------------------------------------------------------------------

class pick(VecOp):
    """``a[k]``: the entry at index ``k`` (a class index per sample)."""

    nargs = 2
    label = "pick"

    @classmethod
    def shape_rule(cls, a, k):
        _need_rank("indexing", a, 1, "vector to index")
        _need_rank("indexing", k, 0, "index")
        return ()

    @classmethod
    def simplify(cls, a, k):
        n = shape_of(a)[0]
        if k.is_Integer and (k < 0 or (n.is_Integer and k >= n)):
            raise ShapeError(f"index {k} is out of range for a vector of shape "
                             f"{format_shape(shape_of(a))}")
        if isinstance(a, onehot) and a.args[0] == k:
            return sympy.S.One
        return None

    def vjp(self, i, g):
        a, k = self.args
        return times(g, onehot(k, shape_of(a)[0])) if i == 0 else sympy.S.Zero

    def jvp(self, t):
        return pick(t[0], self.args[1]) if t[0] != 0 else sympy.S.Zero

    def _sympystr(self, printer):
        return f"{_atomic(printer, self.args[0])}[{printer._print(self.args[1])}]"

    def _latex(self, printer, exp=None):
        return f"{_atomic_latex(printer, self.args[0])}_{{{printer._print(self.args[1])}}}"


class onehot(VecOp):
    """The indicator vector of class ``k`` among ``n``."""

    nargs = 2
    label = "onehot"

    @classmethod
    def shape_from(cls, args):
        k, n = args
        _need_rank("onehot", shape_of(k), 0, "class index")
        return (size(n),)

    def vjp(self, i, g):
        return sympy.S.Zero

    def jvp(self, t):
        return sympy.S.Zero


class _Half(VecOp):
    """Half of a vector of even length (GLU splits its input in two)."""

    nargs = 1
    which = 0

    @classmethod
    def shape_rule(cls, s):
        _need_rank(cls.label, s, 1)
        half = s[0] / 2
        if half.is_integer is False:
            raise ShapeError(f"{cls.label}() needs a vector of even length, got shape "
                             f"{format_shape(s)}")
        return (half,)

    def vjp(self, i, g):
        return place_half(widen(g, shape_of(self)), self.which)

    def jvp(self, t):
        return type(self)(t[0])


class first_half(_Half):
    """The first half of a vector."""

    label = "first_half"
    which = 0


class second_half(_Half):
    """The second half of a vector."""

    label = "second_half"
    which = 1


class place_half(VecOp):
    """``g`` in half ``i`` of a zero vector twice its length (a half's derivative)."""

    nargs = 2
    label = "place_half"
    array_args = 1

    @classmethod
    def shape_from(cls, args):
        g, which = args
        _need_rank("place_half", shape_of(g), 1)
        return (2 * shape_of(g)[0],)

    def literals(self):
        return (int(self.args[1]),)

    def vjp(self, i, g):
        return (first_half, second_half)[int(self.args[1])](g) if i == 0 else sympy.S.Zero

    def jvp(self, t):
        return place_half(t[0], self.args[1]) if t[0] != 0 else sympy.S.Zero


# -- exact identities that read better and compute better -----------------------------

def vector_canonical(expr: sympy.Expr) -> sympy.Expr:
    """``log(softmax(u))`` as ``log_softmax(u)``, ``exp(log_softmax(u))`` as
    ``softmax(u)`` and ``log(sum(exp(u)))`` as ``logsumexp(u)``: equal values,
    readable derivatives, no overflow."""
    def rewrite(e):
        inner = e.args[0]
        if isinstance(e, sympy.log) and isinstance(inner, softmax):
            return log_softmax(inner.args[0])
        if isinstance(e, sympy.exp) and isinstance(inner, log_softmax):
            return softmax(inner.args[0])
        if isinstance(e, sympy.log) and isinstance(inner, vsum) and \
                isinstance(inner.args[0], sympy.exp) and len(shape_of(inner.args[0])) == 1:
            return logsumexp(inner.args[0].args[0])
        return e
    if not expr.has(softmax, log_softmax, vsum):
        return expr
    return expr.replace(lambda e: isinstance(e, (sympy.log, sympy.exp)), rewrite)


# One-argument max/min of a vector are reductions; the parser asks here.
REDUCTIONS = {"max": vmax, "Max": vmax, "min": vmin, "Min": vmin}


def _register(head: type, arity: tuple[int, int], name: str | None = None,
              parseable: bool = True, kernel: str | None = None) -> None:
    register_function(FormulaFunction(name or head.label, head, arity,
                                      _kernels(kernel or head.__name__), parseable=parseable))


for _op in (vsum, logsumexp, norm, softmax, log_softmax, first_half, second_half):
    _register(_op, (1, 1))
for _op in (dot, outer):
    _register(_op, (2, 2))
_register(transpose, (1, 1))
_register(onehot, (2, 2))
register_function(FormulaFunction("mean", mean, (1, 1)))   # builds sum(a)/n
for _op, _name in ((vmax, "_vmax"), (maxmask, "_argmax_mask"), (unit, "_unit"),
                   (matmul, "_matmul"), (diag, "_diag"), (pick, "_pick"),
                   (place_half, "_place_half")):
    _register(_op, (1, 2), _name, parseable=False)
