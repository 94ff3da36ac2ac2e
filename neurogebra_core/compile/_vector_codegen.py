"""Code generation for formulas over vectors and matrices: whole-array code with
the vector axis last and any number of leading batch axes.

The scalar generator (``_codegen``) runs ``sympy.cse``, which rebuilds nodes
around fresh scalar symbols and so loses their shapes. A shaped expression is
already a graph of shared nodes: here every node used twice, and every vector
operation, becomes one temporary, in dependency order.

* Operands of lower rank are aligned explicitly: a per-sample scalar ``s``
  times a vector ``v`` is ``s[..., None]*v``, since NumPy's right-aligned
  broadcasting would pair the batch axis with the vector axis.
* Products dispatch on the core ranks known here, never on ``ndim`` (which
  counts batch axes): ``W @ x`` with one ``W`` for the whole batch is a single
  matrix product ``x @ W.T``.
* ``BatchSum`` (the Trainer's sum over the batch) of ``outer(g, x)`` is one
  matrix product ``G^T X``; no array of per-sample outer products is formed.
  Of a per-sample scalar ``s`` times a vector ``v`` it is one product
  ``s^T V`` too (a dot product for a scalar ``v``), and ``v`` is shared with
  the other gradients that scale it (the weight and the bias of one unit).
* A sum whose terms share a number (``2*a - 2*b``) is printed as that number
  times the plain sum, which another formula may already have computed.
* Named sizes are read from the arguments' shapes at run time, so one
  compiled function serves every size.
* A :class:`~neurogebra.symbolic.JacobianOf` node is computed exactly by
  forward mode along every basis direction at once (a nested function).
"""

from __future__ import annotations

import sympy

from ..errors import EvaluationError
from ..symbolic import (Identity, JacobianOf, Ones, ShapedSymbol, Size,
                        VecOp, dot, formula_function, function_for_head, jvp, log_softmax,
                        outer, post_order, shape_of, sizes_of, softmax, vsum)
from . import _vector_kernels as kernels
from ._codegen import _argument_names, _needed, _Printer
from ._stable import stabilize

__all__ = ["compile_vector_function", "BatchSum", "BatchOuter", "BatchScaled"]


class BatchSum(VecOp):
    """The sum over the leading batch axes (a param's gradient over a batch)."""

    nargs = 1
    label = "batch_sum"

    @classmethod
    def shape_rule(cls, s):
        return s


class BatchOuter(VecOp):
    """The sum over the batch of ``a b^T``: one matrix product. Code generation only."""

    nargs = 2
    label = "batch_outer"

    @classmethod
    def shape_rule(cls, a, b):
        return (a[0], b[0])


class BatchScaled(VecOp):
    """The sum over the batch of ``s*v``, a scalar times an array (or a
    scalar): one product ``s^T V`` over the batch. Code generation only."""

    nargs = 2
    label = "batch_scaled"

    @classmethod
    def shape_rule(cls, s, v):
        return v


def _lower(e):
    """``BatchSum(...)`` rewritten so weight gradients become ``BatchOuter``
    and scaled arrays ``BatchScaled``."""
    if isinstance(e, outer):
        return BatchOuter(*e.args)
    if e.is_Add:
        with_outer = [t for t in e.args if t.has(outer)]
        if with_outer:
            rest = [t for t in e.args if not t.has(outer)]
            parts = [_lower(t) for t in with_outer]
            return sympy.Add(*parts, *([BatchSum(sympy.Add(*rest))] if rest else []))
    if e.is_Mul:
        outers = [f for f in e.args if isinstance(f, outer)]
        others = [f for f in e.args if not isinstance(f, outer)]
        if len(outers) == 1 and not any(shape_of(f) for f in others):
            a, b = outers[0].args
            return BatchOuter(sympy.Mul(*others) * a, b)
        scalars = [f for f in others if not shape_of(f) and not f.is_number]
        if scalars and not outers and shape_of(e):
            arrays = [f for f in others if shape_of(f) or f.is_number]
            return BatchScaled(sympy.Mul(*scalars), sympy.Mul(*arrays))
        if len(scalars) > 1 and not shape_of(e):     # a product of scalars: one dot product
            return BatchScaled(scalars[0], e / scalars[0])
    if e.is_Pow and e.exp == 2 and not shape_of(e):   # a sum of squares: one dot product
        return BatchScaled(e.base, e.base)
    return BatchSum(e)


def _factored(output):
    """``output`` with each sum whose terms share a number ``c`` written as
    ``c*(sum)``: one product instead of one per term, and the plain sum is the
    same node as any other use of it (a residual and twice the residual)."""
    def common(e):
        if not e.is_Add:
            return None
        c = abs(e.args[0].as_coeff_Mul()[0])
        if c in (0, 1) or any(abs(t.as_coeff_Mul()[0]) != c for t in e.args):
            return None
        return c
    found = {a: common(a) for a in sympy.preorder_traversal(output) if isinstance(a, sympy.Add)}
    shared = {a: sympy.Mul(c, sympy.Add(*[t / c for t in a.args]), evaluate=False)
              for a, c in found.items() if c is not None}
    return output.xreplace(shared) if shared else output


class _VectorPrinter(_Printer):
    """Prints shaped SymPy expressions as whole-array Python for one backend."""

    def __init__(self, backend: str, names: dict, sizes: dict, arguments: list):
        super().__init__(backend, names)
        self.sizes = sizes
        self.arguments = arguments       # (symbol, code) of the compiled function
        self.jacobians = 0
        for helper in ("ones", "eye", "basis", "unbasis", "batch_sum", "batch_outer",
                       "batch_scaled"):
            function = getattr(kernels, f"{helper}_{self.backend.name}", None)
            if function is not None:
                self.namespace[f"_{helper}"] = function
        self.namespace["_align"] = kernels.align
        self.namespace["_batch_rank"] = kernels.batch_rank

    def operand(self, e, rank: int) -> str:
        """Code of ``e`` as an operand of an elementwise node of rank ``rank``."""
        code = self.emit(e)
        missing = rank - len(shape_of(e))
        if missing > 0 and not e.is_number and not isinstance(e, Size):
            return f"_align({code}, {missing})"
        return code

    def size(self, d) -> str:
        if d.is_Integer:
            return str(int(d))
        if isinstance(d, Size):
            if d not in self.sizes:
                raise EvaluationError(f"size {d} is not the size of any input, so it cannot "
                                      "be known when the formula is evaluated")
            return self.sizes[d]
        return f"int({self.emit(d)})"

    def emit(self, e) -> str:
        if e in self.names:
            return self.names[e]
        if isinstance(e, Size):
            return self.size(e)
        if e.is_number or e is sympy.true or e is sympy.false:
            return super().emit(e)
        if isinstance(e, Ones):
            return f"_ones({', '.join(self.size(d) for d in e.shape)})"
        if isinstance(e, Identity):
            return f"_eye({self.size(e.shape[0])})"
        if isinstance(e, VecOp):
            return self._vector(e)
        rank = len(shape_of(e))
        if e.is_Add:
            return self._terms(e, rank)
        if e.is_Mul:
            return self._factors(e, rank)
        if e.is_Pow:
            return self._power(e, rank)
        if isinstance(e, sympy.Piecewise):
            return self._where(e, rank)
        if e.is_Relational:
            return f"({self.operand(e.lhs, rank)} {e.rel_op} {self.operand(e.rhs, rank)})"
        if isinstance(e, sympy.Not):
            return f"(~{self.operand(e.args[0], rank)})"
        if isinstance(e, (sympy.And, sympy.Or)):
            joiner = " & " if isinstance(e, sympy.And) else " | "
            return "(" + joiner.join(self.operand(a, rank) for a in e.args) + ")"
        return self._function(e)

    def _terms(self, e, rank) -> str:
        out = ""
        for term in e.args:
            if term.as_coeff_Mul()[0].is_negative:
                out += f" - {self.operand(-term, rank)}" if out else f"-{self.operand(-term, rank)}"
            else:
                out += f" + {self.operand(term, rank)}" if out else self.operand(term, rank)
        return f"({out})"

    def _factors(self, e, rank) -> str:
        coefficient, factors = e.as_coeff_mul()
        top, bottom = [], []
        for f in factors:
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                bottom.append(f.base ** -f.exp)
            else:
                top.append(f)
        text = "*".join(self.operand(f, rank) for f in top) or "1.0"
        if coefficient == -1:
            text = "-" + text
        elif coefficient != 1:
            text = f"{super().emit(coefficient)}*{text}"
        if bottom:
            below = "*".join(self.operand(f, rank) for f in bottom)
            text += "/" + (below if len(bottom) == 1 else f"({below})")
        return f"({text})"

    def _power(self, e, rank) -> str:
        base, exponent = e.args
        if exponent in (sympy.S.Half, -sympy.S.Half):
            root = f"{self._kernel(formula_function('sqrt'))}({self.operand(base, rank)})"
            return root if exponent > 0 else f"(1.0/{root})"
        if exponent.is_Integer and exponent.is_negative:
            power = "" if exponent == -1 else f"**{int(-exponent)}"
            return f"(1.0/{self.operand(base, rank)}{power})"
        if base is sympy.E:
            return f"{self._kernel(formula_function('exp'))}({self.operand(exponent, rank)})"
        return f"({self.operand(base, rank)}**{self.operand(exponent, rank)})"

    def _where(self, e, rank) -> str:
        *branches, (last, condition) = e.args
        tail = self.operand(last, rank) if condition is sympy.true else "_nan"
        if condition is not sympy.true:
            branches.append((last, condition))
        for value, condition in reversed(branches):
            tail = f"_where({self.operand(condition, rank)}, {self.operand(value, rank)}, {tail})"
        return tail

    def _arguments(self, e) -> list[str]:
        """An entrywise function's arguments, aligned to its rank."""
        rank = len(shape_of(e))
        return [self.operand(a, rank) for a in e.args]

    def _vector(self, e) -> str:
        if isinstance(e, BatchSum):
            return f"_batch_sum({self.emit(e.args[0])}, {len(shape_of(e))}, _n)"
        if isinstance(e, BatchOuter):
            return f"_batch_outer({self.emit(e.args[0])}, {self.emit(e.args[1])}, _n)"
        if isinstance(e, BatchScaled):
            return (f"_batch_scaled({self.emit(e.args[0])}, {self.emit(e.args[1])}, "
                    f"{len(shape_of(e))}, _n)")
        if isinstance(e, JacobianOf):
            return self._jacobian(*e.args)
        if isinstance(e, vsum) and e.args[0].is_Mul and len(shape_of(e.args[0])) == 1:
            return self._dot(e.args[0])
        logarithm = self.names.get(log_softmax(e.args[0])) if isinstance(e, softmax) else None
        if logarithm is not None:   # one pass over the logits instead of two
            return f"{self._kernel(formula_function('exp'))}({logarithm})"
        function = function_for_head(type(e))
        key = None if function is None else self._kernel(function)
        if key is None:
            raise EvaluationError(f"{e.label}() has no {self.backend.name} kernel")
        args = [self.emit(a) for a in e.args[:e.array_args]] + [repr(v) for v in e.literals()]
        return f"{key}({', '.join(args)})"

    def _dot(self, product) -> str:
        """``sum(a*b*...)`` of vectors as ``dot(a, b*...)``: one matrix-vector
        product for the batch (a param vector is taken as the unbatched side)."""
        vectors = [f for f in product.args if shape_of(f)]
        if len(vectors) < 2:
            return f"{self._kernel(function_for_head(vsum))}({self.emit(product)})"
        side = next((f for f in vectors if isinstance(f, ShapedSymbol)), vectors[0])
        rest = sympy.Mul(*[f for f in product.args if f is not side])
        return f"{self._kernel(function_for_head(dot))}({self.emit(rest)}, {self.emit(side)})"

    def _jacobian(self, f, x) -> str:
        """d f/d x along every basis direction of x at once, by forward mode."""
        direction = ShapedSymbol(f"_direction{self.jacobians}", shape_of(x))
        inner = compile_vector_function(jvp(f, {x: direction}),
                                        [s for s, _ in self.arguments] + [direction],
                                        self.backend.name, "jacobian")
        key = f"_jacobian{self.jacobians}"
        self.jacobians += 1
        self.namespace[key] = inner
        shape = ", ".join(self.size(d) for d in shape_of(x))
        codes = [code for _, code in self.arguments]
        ranks = ", ".join(f"({code}, {len(shape_of(s))})" for s, code in self.arguments)
        basis = f"_basis(({shape},), _batch_rank({ranks}))"
        return f"_unbasis({key}({', '.join(codes + [basis])}), ({shape},))"


def _size_sources(arguments) -> dict:
    """Where each named size can be read at run time: ``{Size: "x.shape[-1]"}``."""
    sources = {}
    for s, code in arguments:
        for axis, d in enumerate(getattr(s, "shape", ())):
            if isinstance(d, Size) and d not in sources:
                sources[d] = f"{code}.shape[{axis - len(s.shape)}]"
    return sources


def compile_vector_function(expr, args, backend: str = "numpy", label: str = "expression",
                            readable_names: bool = False, stable: bool = True):
    """Compile a shaped ``expr`` (or a list of them) into a function of ``args``.

    Works like :func:`compile_function` for formulas over vectors and
    matrices. Outputs wrapped in :class:`BatchSum` are summed over the batch;
    the function then takes a keyword ``_n``, the batch size an unbatched
    value counts for. ``stable=False`` skips the stable rewrites (``1 -
    tanh(u)**2`` then reuses ``tanh(u)``), for the Trainer's objective, where
    speed matters more than the last digits of vanishing gradients.
    """
    several = isinstance(expr, (list, tuple))
    autodiff = backend in ("jax", "torch")     # their autograd differentiates this code
    outputs = [stabilize(e, autodiff) if stable else e for e in (expr if several else [expr])]
    outputs = [_factored(o.replace(lambda e: isinstance(e, BatchSum),
                                   lambda e: _lower(e.args[0])))
               if o.has(BatchSum) else o for o in outputs]
    names = _argument_names(args, readable_names)
    arguments = [(s, names[s]) for s in args]
    printer = _VectorPrinter(backend, dict(names), _size_sources(arguments), arguments)
    for output in outputs:
        missing = [d for d in sizes_of(output) if d not in printer.sizes]
        if missing:
            printer.size(missing[0])
    order, uses = _shared_order(outputs)
    lines = []
    for node in order:
        if node in printer.names or node.is_Atom or not isinstance(node, sympy.Expr) \
                or node.is_Relational:
            continue
        heavy = isinstance(node, VecOp) and \
            not isinstance(node, (BatchSum, BatchOuter, BatchScaled))
        if uses.get(node, 0) > 1 or heavy:
            code = printer.emit(node)
            name = f"_t{len(lines)}"
            lines.append(f"    {name} = {code}")
            printer.names[node] = name
    results = [printer.emit(o) for o in outputs]
    batch = ", _n=1" if any(o.has(BatchSum, BatchOuter, BatchScaled) for o in outputs) else ""
    head = f"def _compiled({', '.join(names.values())}{batch}):"
    tail = f"    return ({', '.join(results)},)" if several else f"    return {results[0]}"
    source = "\n".join([head, *_needed(lines, results), tail])
    namespace = printer.namespace
    exec(compile(source, f"<neurogebra {label}>", "exec"), namespace)  # generated, not user text
    function = namespace["_compiled"]
    function.source = source
    return function


def _shared_order(outputs) -> tuple[list, dict]:
    """The distinct nodes of all outputs, children first, and how often each is used.

    The inside of a ``JacobianOf`` is not visited: a nested function computes it.
    """
    order = post_order(outputs, _children)
    uses: dict = {}
    for node in order:
        for child in set(_children(node)):
            uses[child] = uses.get(child, 0) + 1
    for output in outputs:
        uses[output] = uses.get(output, 0) + 1
    return order, uses


def _children(node) -> tuple:
    if isinstance(node, JacobianOf) or not isinstance(node, sympy.Basic) or node.is_Atom:
        return ()
    if isinstance(node, sympy.Piecewise):
        return tuple(part for pair in node.args for part in pair.args)
    return node.args
