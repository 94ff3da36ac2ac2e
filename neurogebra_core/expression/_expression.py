"""``Expression``: a named symbolic formula with params and documentation.

An Expression owns a SymPy expression whose free symbols are split into
*variables* (the inputs, in a stable order) and *params* (named constants with
current values that ``eval`` reads on every call). It evaluates on numbers
and arrays through a cached compiled function, differentiates symbolically
and combines with other Expressions.

Variable order: explicit ``variables=`` if given, else the names sorted
alphabetically (``y_pred`` before ``y_true``). Results of arithmetic keep the
left operand's variables first, then the right operand's new ones.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any, Iterable, Mapping

import sympy
# SymPy imports its tensor module lazily inside the first Add it builds (~40 ms);
# importing it with neurogebra keeps the first gradient of a session fast.
import sympy.tensor.tensor  # noqa: F401

from .. import render
from ..compile import BundleEvaluator, Evaluator, VectorEvaluator, to_function, \
    to_torch_module
from ..errors import ArgumentError, CompositionError, FormulaError, ParameterError, \
    VariableError, did_you_mean
from ..symbolic import MAX_CONSTANT_DIGITS, MAX_PRINTED_NESTING, ExactFormulaPrinter, \
    check_composition, check_size, constant_digits, dag_size, derivative, formula_text, \
    from_sympy, measure, notation, operation_digits, parse_formula, reverse_gradients, \
    shape_of, substitute_symbols, symbol, undefined_reason
from ..symbolic import latex as vector_latex
from ._arguments import copied_metadata, mapping_argument, names_argument
from ._params import Params
from ._shaped import compose_shaped, declaration_of, declared_symbols, merge_symbols, \
    name_symbols, plain_shape, same_value, shaped_derivative, shaped_gradients, symbols_of

__all__ = ["Expression", "as_expression", "merge_params", "check_defined",
           "register_definition_writer"]

# Above this many distinct subexpressions, gradients() uses reverse mode.
REVERSE_MODE_SIZE = 60

# The catalog layer's writer of definition files (see register_definition_writer).
_DEFINITION_WRITERS: list = []


def register_definition_writer(writer) -> None:
    """Let ``to_yaml``/``save`` write the catalog's definition format.

    The catalog layer owns the schema and registers its writer when it is
    imported (as ``import neurogebra`` does), so this layer need not know it.

    Args:
        writer: ``writer(expression, name) -> YAML text``.
    """
    _DEFINITION_WRITERS[:] = [writer]


def _to_sympy(formula, declared: dict) -> tuple[sympy.Expr, dict]:
    """The SymPy expression of ``formula`` and the params it brings along."""
    if isinstance(formula, Expression):
        return formula.symbolic_expr, dict(formula.params)
    if isinstance(formula, str):
        return (parse_formula(formula, symbols=declared) if declared
                else parse_formula(formula)), {}
    if isinstance(formula, sympy.Basic):
        return from_sympy(formula), {}
    if isinstance(formula, numbers.Integral) and not isinstance(formula, bool):
        value = sympy.Integer(int(formula))
        if constant_digits(value) > MAX_CONSTANT_DIGITS:
            raise FormulaError(f"a constant formula may have at most {MAX_CONSTANT_DIGITS} "
                               "digits")
        return value, {}
    if isinstance(formula, numbers.Real) and not isinstance(formula, bool):
        if not math.isfinite(formula):
            raise FormulaError(f"a constant formula must be finite, got {formula}")
        return sympy.Float(float(formula)), {}
    raise FormulaError(
        f"a formula must be text, a SymPy expression or an Expression, "
        f"got {type(formula).__name__}")


def _exact_text(expr: sympy.Expr) -> str:
    return ExactFormulaPrinter().doprint(expr)


def _printable(printer, expr: sympy.Expr) -> str:
    """``printer(expr)``, or a description of a formula nested deeper than
    SymPy's recursive printers can be trusted to reach whatever the stack
    depth of the caller (a composition hundreds of levels deep)."""
    depth = measure(expr)[1]
    if depth <= MAX_PRINTED_NESTING:
        try:
            return printer(expr)
        except RecursionError:   # called from deep inside the caller's own recursion
            pass
    return f"<a formula {depth} levels deep, too deep to print>"


def check_defined(expr: sympy.Expr, what: str) -> None:
    """Refuse an expression holding an undefined, infinite or complex constant.

    Raises:
        FormulaError: naming ``what``.
    """
    reason = undefined_reason(expr)
    if reason:
        raise FormulaError(f"{what} {reason}")


class Expression:
    """A named symbolic formula with params, evaluation and derivatives.

    Args:
        name: A non-empty name, used in messages, displays and the catalog.
        formula: Text in the formula language (parsed safely, never run), a
            SymPy expression, a real number, or another Expression (whose
            params, trainable params, metadata and variables come along unless
            given here).
        params: Param names and their current values; every other free name
            is a variable.
        trainable_params: The params an optimiser may change.
        metadata: Documentation (``description``, ``category``...), copied.
        variables: The inputs in order (default: the free names that are not
            params, sorted).
        shapes: The vectors, matrices and class indices among the variables and
            params: name -> a shape (``["n"]``, ``[10, 64]``: sizes are
            integers or names), ``{"shape": [...], "simplex": True}`` for
            targets that sum to 1, or ``{"index": "n"}`` for a class index.
            A param given as an array is a vector or matrix of its shape.
            Every other name is a scalar.

    Raises:
        FormulaError: the formula is refused; the message points at the part.
        ShapeError: the shapes of its parts do not fit (a FormulaError too).
        VariableError: ``variables`` does not cover the free names.
        ParameterError: a param value is not a finite real number (or an
            array of the param's shape), or a trainable name is not a param.
        ArgumentError: an empty name, or metadata that is not a mapping of
            text keys to data that can be copied.
    """

    def __init__(self, name: str, formula, params: Mapping[str, float] | None = None,
                 trainable_params: Iterable[str] | None = None,
                 metadata: Mapping[str, Any] | None = None,
                 variables: Iterable[str] | None = None,
                 shapes: Mapping[str, Any] | None = None):
        _check_name(name)
        params = mapping_argument(params, "params", repr(name))
        known = (formula._symbols or {}) if isinstance(formula, Expression) else \
            (symbols_of(formula) if isinstance(formula, sympy.Basic) else {})
        declared = declared_symbols(shapes, params, known)
        expr, inherited = _to_sympy(formula, declared)
        check_defined(expr, f"formula of {name!r}")
        check_size(expr, f"the formula of {name!r}")
        all_params = {**inherited, **params}
        if isinstance(formula, Expression):   # inherit whatever was not given
            trainable_params = formula.trainable_params if trainable_params is None \
                else trainable_params
            metadata = formula.metadata if metadata is None else metadata
            variables = formula.variables if variables is None else variables
        if trainable_params is not None:
            trainable_params = names_argument(trainable_params, "trainable_params", repr(name))
        if variables is not None:
            variables = names_argument(variables, "variables", repr(name))
        self._setup(name, expr, all_params, trainable_params or (), metadata,
                    _resolve_variables(name, expr, all_params, variables), declared)
        self._written = formula if isinstance(formula, str) else \
            (formula.written_formula if isinstance(formula, Expression) else None)

    def _setup(self, name, expr, params, trainable, metadata, variables, declared=None):
        self._name = name
        self._expr = expr
        self._variables = tuple(variables)
        self._symbols = None     # name -> symbol, for an Expression with shaped names
        if declared:
            self._symbols = _shaped_names(name, expr, self._variables, params, declared)
            shapes = {n: plain_shape(self._symbols[n]) for n in params
                      if shape_of(self._symbols[n])}
            self._params = Params(params, repr(name), shapes)
        else:
            self._params = Params(params, repr(name))
        self._trainable = _check_trainable(name, trainable, self._params)
        self._metadata = copied_metadata(metadata, repr(name))
        self._evaluator = None   # compiled on first evaluation
        self._fast = None        # the evaluator's fast paths (by name, by position), kept here only
        self._fast_positional = None
        self._bundles = {}       # names differentiated by -> value and gradients compiled together
        self._written = None     # the text it was parsed from, while unchanged

    @classmethod
    def _make(cls, name, expr, params, trainable, metadata, variables,
              symbols=None) -> "Expression":
        """Build without parsing or re-validating (for derived expressions)."""
        obj = cls.__new__(cls)
        obj._setup(name, expr, params, trainable, metadata, variables, symbols)
        return obj

    # -- properties --------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def symbolic_expr(self) -> sympy.Expr:
        return self._expr

    @property
    def formula(self) -> str:
        """The formula as text (SymPy's printing; for vectors and matrices, text the
        parser reads back, such as ``outer(softmax(W @ x + b) - y_true, x)``)."""
        printer = formula_text if self._symbols else _exact_text
        return _printable(printer, self._expr)

    @property
    def written_formula(self) -> str | None:
        """The formula text this Expression was parsed from, as its author wrote it;
        None for one derived from others (a derivative, a sum...)."""
        return self._written

    @property
    def variables(self) -> tuple[str, ...]:
        return self._variables

    @property
    def params(self) -> Params:
        return self._params

    @property
    def trainable_params(self) -> tuple[str, ...]:
        return self._trainable

    @property
    def metadata(self) -> dict:
        return self._metadata

    @property
    def shapes(self) -> dict[str, tuple]:
        """The core shape of every vector or matrix variable and param
        (``{"W": (10, "d"), "x": ("d",)}``); scalars are not listed."""
        return {n: plain_shape(s) for n, s in (self._symbols or {}).items() if shape_of(s)}

    def symbol(self, name: str) -> sympy.Symbol:
        """The SymPy symbol standing for a variable or param (for a vector or matrix,
        a :class:`~neurogebra.symbolic.ShapedSymbol` that carries its shape).

        Args:
            name: The variable or param.

        Raises:
            VariableError: no variable or param has that name.
        """
        name = self._symbol_for(name)
        return self._symbols[name] if self._symbols else symbol(name)

    # -- evaluation --------------------------------------------------------
    def _compiled(self) -> Evaluator:
        if self._evaluator is None:
            evaluator = VectorEvaluator(self._expr, self._symbols, self._variables,
                                        tuple(self._params), repr(self._name)) \
                if self._symbols else Evaluator(self._expr, self._variables,
                                                tuple(self._params), repr(self._name))
            self._fast, self._fast_positional = evaluator.fast_path()
            self._evaluator = evaluator
        return self._evaluator

    def eval(self, **values):
        """Evaluate at the given variable values (keywords may override params).

        A Python number in gives a ``float``; lists and arrays give an
        ``ndarray`` broadcast over all inputs, computed in float64; a dask
        array gives a lazy dask array. Vectors and matrices take arrays whose
        last axes have the declared shape, after any leading batch axes (on
        dask arrays: shapes checked at once, values block by block).

        Args:
            **values: A value for every variable; params too, to override
                their current values for this call only.

        Raises:
            VariableError: a variable is missing or a keyword is unknown.
            EvaluationError: a value is not a real number or array.
            ShapeError: arrays do not fit the declared shapes or each other.
        """
        fast = self._fast
        if fast is None:
            self._compiled()
            fast = self._fast
        return fast(values, self._params)

    def __call__(self, *args, **values):
        """Like :meth:`eval`; positional values follow :attr:`variables`."""
        if self._evaluator is None:   # (set after both fast paths: safe between threads)
            self._compiled()
        if args:
            return self._fast_positional(args, values, self._params)
        return self._fast(values, self._params)

    # -- calculus ----------------------------------------------------------
    def _symbol_for(self, var) -> str:
        name = var.name if isinstance(var, sympy.Symbol) else var
        if not isinstance(name, str):
            raise VariableError(f"differentiate with respect to a name, got {var!r}")
        known = self._variables + tuple(self._params)
        if name not in known:
            raise VariableError(
                f"{self._name!r} has no variable or param named {name!r}."
                f"{did_you_mean(name, known)} Names: {', '.join(known) or '(none)'}")
        return name

    def gradient(self, var, order: int = 1) -> "Expression":
        """The derivative with respect to a variable or param, as an Expression.

        For vectors and matrices it is written in matrix calculus: the
        gradient of a scalar formula has the shape of ``var``; the derivative
        of a vector formula is its Jacobian (shape of the formula, then of
        ``var``).

        Args:
            var: The name (or SymPy symbol) to differentiate by.
            order: How many times to differentiate.

        Raises:
            VariableError: ``var`` is neither a variable nor a param.
            ArgumentError: ``order`` is not a positive integer.
        """
        name = self._symbol_for(var)
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ArgumentError(f"order must be a positive integer, got {order!r}")
        if self._symbols:
            return self._derivative(shaped_derivative(self._expr, self._symbols[name], order),
                                    name, order)
        return self._derivative(derivative(self._expr, name, order), name, order)

    def _derivative(self, derivative: sympy.Expr, wrt: str, order: int = 1) -> "Expression":
        """Wrap a derivative of this expression: same params and variables."""
        label = f"d({self._name})/d{wrt}" if order == 1 else \
            f"d^{order}({self._name})/d{wrt}^{order}"
        meta = {"derivative_of": self._name, "wrt": wrt, "order": order}
        return Expression._make(label, derivative, self._params, self._trainable, meta,
                                self._variables, self._symbols)

    def gradients(self, wrt: Iterable[str] | None = None) -> dict[str, "Expression"]:
        """All first partial derivatives, by name.

        Small expressions get the readable per-variable derivatives of
        :meth:`gradient`. Large ones (deep networks) are differentiated in one
        reverse-mode pass whose results share their subexpressions; they are
        built for computing, not reading.

        Args:
            wrt: The variables and params to differentiate by (default: every
                variable).
        """
        names = self._variables if wrt is None else names_argument(wrt, "wrt", repr(self._name))
        for name in names:
            self._symbol_for(name)
        if self._symbols:
            partials = shaped_gradients(self._expr, [self._symbols[n] for n in names])
            return {n: self._derivative(d, n) for n, d in zip(names, partials)}
        if len(names) < 2 or dag_size(self._expr) <= REVERSE_MODE_SIZE:
            return {n: self.gradient(n) for n in names}
        partials = reverse_gradients(self._expr, [symbol(n) for n in names])
        return {n: self._derivative(d, n) for n, d in zip(names, partials)}

    def value_and_gradients(self, wrt: Iterable[str] | None = None, **values):
        """The value and the first partial derivatives at one point (or array
        of points), computed together.

        The partials of a formula share most of their parts with each other
        and with the value (a network's forward pass, its local derivatives);
        here they are compiled into one function, so each shared part is
        computed once per call instead of once per partial.

        Args:
            wrt: The variables and params to differentiate by (default: every
                variable).
            **values: A value for every variable, as for :meth:`eval`.

        Returns:
            ``(value, {name: partial})``: floats for numbers, arrays for arrays.

        Raises:
            VariableError: a name is unknown, or a variable has no value.
            EvaluationError: a value is not a real number or array.
        """
        names = self._variables if wrt is None else names_argument(wrt, "wrt", repr(self._name))
        names = tuple(dict.fromkeys(names))
        bundle = self._bundles.get(names)
        if bundle is None:
            if self._symbols:   # vectors and matrices: each evaluated by itself
                partials = self.gradients(names)
                return self.eval(**values), {n: p.eval(**values) for n, p in partials.items()}
            for name in names:
                self._symbol_for(name)
            # one reverse pass: the partials share the adjoints of every part
            partials = reverse_gradients(self._expr, [symbol(n) for n in names])
            bundle = BundleEvaluator([self._expr, *partials], self._variables,
                                     tuple(self._params),
                                     f"value and gradients of {self._name!r}")
            self._bundles[names] = bundle
        value, *results = bundle.evaluate(values, self._params)
        return value, dict(zip(names, results))

    def hessian(self, wrt: Iterable[str] | None = None) -> dict[str, dict[str, "Expression"]]:
        """Second partial derivatives as ``h[a][b] = d2f/da db``.

        Args:
            wrt: The names to differentiate by (default: every variable).
        """
        names = self._variables if wrt is None else names_argument(wrt, "wrt", repr(self._name))
        first = self.gradients(names)
        return {a: first[a].gradients(names) for a in names}

    def explicit(self) -> "Expression":
        """The same function with primitives (sigmoid, softplus...) written out."""
        return self._derived(self._expr.rewrite("explicit"), f"{self._name} (explicit)")

    # -- composition and arithmetic ------------------------------------------
    def compose(self, inner, var=None) -> "Expression":
        """Substitute ``inner`` for one variable: ``outer.compose(inner)`` is outer(inner).

        Args:
            inner: An Expression or a number.
            var: The variable replaced (default: the only one).

        Raises:
            CompositionError: ``var`` is missing or not a variable.
        """
        inner = as_expression(inner)
        if var is None:
            if len(self._variables) != 1:
                raise CompositionError(
                    f"{self._name!r} has variables {', '.join(self._variables) or '(none)'}; "
                    "say which one to substitute with var=...")
            var = self._variables[0]
        name = var.name if isinstance(var, sympy.Symbol) else var
        if name not in self._variables:
            raise CompositionError(
                f"{self._name!r} has no variable {name!r}."
                f"{did_you_mean(name, self._variables)} Variables: {', '.join(self._variables)}")
        params = merge_params(self, inner)
        symbols = None
        if self._symbols or inner._symbols:
            expr, outer_table, inner_table = compose_shaped(
                self._expr, self._name_table(), name, inner._expr, inner._name_table())
            del outer_table[name]
            symbols = merge_symbols(outer_table, inner_table)
        else:
            check_composition(self._expr, inner._expr, f"{self._name}({inner._name})")
            expr = substitute_symbols(self._expr, {symbol(name): inner._expr})
            check_defined(expr, f"{self._name}({inner._name})")
        variables = []
        for v in self._variables:
            for w in (inner._variables if v == name else (v,)):
                if w not in variables:
                    variables.append(w)
        return self._combined(f"{self._name}({inner._name})", expr, params, variables, inner,
                              symbols)

    def _name_table(self) -> dict:
        """Name -> symbol for every variable and param."""
        return self._symbols or name_symbols(self._variables + tuple(self._params), {})

    def _binary(self, other, operator: str, reflected: bool = False) -> "Expression":
        other = as_expression(other)
        left, right = (other, self) if reflected else (self, other)
        params = merge_params(left, right)
        symbols = merge_symbols(left._name_table(), right._name_table()) \
            if left._symbols or right._symbols else None
        if operation_digits(operator, left._expr, right._expr) > MAX_CONSTANT_DIGITS:
            raise FormulaError(f"{left._name} {operator} {right._name}: its exact constants "
                               f"would have more than {MAX_CONSTANT_DIGITS} digits")
        expr = _OPERATORS[operator](left._expr, right._expr)
        check_defined(expr, f"{left._name} {operator} {right._name}")
        if symbols:
            shape_of(expr)
        variables = list(left._variables)
        variables += [v for v in right._variables if v not in variables]
        return left._combined(f"({left._name} {operator} {right._name})", expr, params,
                              variables, right, symbols)

    def __add__(self, other): return self._binary(other, "+")
    def __radd__(self, other): return self._binary(other, "+", True)
    def __sub__(self, other): return self._binary(other, "-")
    def __rsub__(self, other): return self._binary(other, "-", True)
    def __mul__(self, other): return self._binary(other, "*")
    def __rmul__(self, other): return self._binary(other, "*", True)
    def __truediv__(self, other): return self._binary(other, "/")
    def __rtruediv__(self, other): return self._binary(other, "/", True)
    def __pow__(self, other): return self._binary(other, "**")
    def __rpow__(self, other): return self._binary(other, "**", True)

    def __neg__(self):
        return self._derived(-self._expr, f"(-{self._name})")

    def _combined(self, name, expr, params, variables, other: "Expression",
                  symbols=None) -> "Expression":
        """A result of combining this with ``other``: trainables and docs of both."""
        trainable = self._trainable + tuple(t for t in other._trainable
                                            if t not in self._trainable)
        metadata = {**other._metadata, **self._metadata}
        check_size(expr, name)
        return Expression._make(name, expr, params, trainable, metadata, variables, symbols)

    def _derived(self, expr, name) -> "Expression":
        return Expression._make(name, expr, self._params, self._trainable, self._metadata,
                                self._variables, self._symbols)

    # -- copying, comparing, pickling ------------------------------------------
    def clone(self, name: str | None = None) -> "Expression":
        """An independent copy (params and metadata are not shared).

        Args:
            name: A new name (default: the same).
        """
        if name is not None:
            _check_name(name)
        copy_ = self._derived(self._expr, self._name if name is None else name)
        copy_._written = self._written
        return copy_

    def __copy__(self):
        return self.clone()

    def __deepcopy__(self, memo):
        return self.clone()

    def _key(self):
        return (self._name, self._expr, self._variables)

    def __eq__(self, other):
        if not isinstance(other, Expression):
            return NotImplemented
        return (self._key() == other._key() and self._params.keys() == other._params.keys()
                and all(same_value(v, other._params[k]) for k, v in self._params.items())
                and self._trainable == other._trainable)

    def __hash__(self):
        return hash(self._key())

    def __getstate__(self):
        return {"name": self._name, "expr": self._expr, "params": dict(self._params),
                "trainable": self._trainable, "metadata": self._metadata,
                "variables": self._variables, "symbols": self._symbols,
                "written": self._written}

    def __setstate__(self, state):
        self._setup(state["name"], state["expr"], state["params"], state["trainable"],
                    state["metadata"], state["variables"], state.get("symbols"))
        self._written = state.get("written")

    # -- display -------------------------------------------------------------
    def __repr__(self):
        text = f"Expression({self._name!r}, {self.formula!r}"
        if self._params:
            text += f", params={dict(self._params)!r}"
        if self._trainable:
            text += f", trainable_params={list(self._trainable)!r}"
        if self._symbols:
            declared = {n: declaration_of(s) for n, s in self._symbols.items()}
            text += f", shapes={ {n: d for n, d in declared.items() if d is not None}!r}"
        return text + ")"

    def __str__(self):
        body = _printable(notation if self._symbols else str, self._expr)
        return f"{self._name}({', '.join(self._variables)}) = {body}"

    @property
    def latex(self) -> str:
        """LaTeX of the formula."""
        return _printable(vector_latex if self._symbols else sympy.latex, self._expr)

    def _repr_html_(self) -> str:
        """Notebook display: name, LaTeX formula, params and documentation."""
        return render.as_html(render.document(self))

    def to_function(self, backend: str = "numpy", bind_params: bool = True):
        """This formula as a plain function for ``numpy``, ``jax`` or ``torch``.

        Args:
            backend: ``numpy``, ``jax`` (works under jit, grad and vmap) or
                ``torch`` (differentiable by autograd, on any device).
            bind_params: Bake in the params' current values; with False they
                are arguments after the variables.

        Raises:
            EvaluationError: an unknown backend.
            MissingDependencyError: the backend's library is not installed.
        """
        return to_function(self, backend, bind_params)

    def to_yaml(self, name: str | None = None) -> str:
        """This Expression as a YAML definition file, the format packs share.

        The file holds the formula, the current param values as defaults, the
        variables, the trainable params and the documentation;
        ``neurogebra.load`` (or ``MathForge().load``) reads it back as an
        equal Expression.

        Args:
            name: The catalog name to save under (default: this one's name).

        Raises:
            DefinitionError: the name is not an identifier, or the formula
                cannot be written as text that reads back the same.
        """
        return _DEFINITION_WRITERS[0](self, name)

    def save(self, path, name: str | None = None):
        """Write :meth:`to_yaml` to a file; return its ``pathlib.Path``.

        Args:
            path: The file to write (``.yaml``).
            name: The catalog name to save under (default: this one's name).
        """
        path = Path(path)
        path.write_text(self.to_yaml(name), encoding="utf-8")
        return path

    def to_torch_module(self, dtype="float64"):
        """A ``torch.nn.Module`` whose trainable params are ``nn.Parameter``s.

        Its ``to_expression()`` returns a copy of this Expression with the
        module's current param values, e.g. after training in PyTorch.

        Args:
            dtype: ``"float32"`` or ``"float64"`` (or the torch dtype) of the params.

        Raises:
            EvaluationError: another dtype.
            MissingDependencyError: PyTorch is not installed.
        """
        return to_torch_module(self, dtype)

    def plot(self, x_range=(-5.0, 5.0), derivatives: int = 0, variable: str | None = None,
             points: int = 400, **fixed):
        """A matplotlib Figure of this function (and derivatives up to 2).

        Needs matplotlib (``pip install matplotlib``).

        Args:
            x_range: ``(low, high)`` of the plotted variable.
            derivatives: Also draw the first (1) or first and second (2) derivatives.
            variable: The variable on the horizontal axis (default: the only free one).
            points: The number of sample points.
            **fixed: Values of the other variables and params.

        Raises:
            ArgumentError: the function has vector or matrix inputs.
        """
        if self.shapes:
            raise ArgumentError(f"plot() draws functions of scalars; {self._name!r} has vector "
                                f"or matrix inputs ({', '.join(self.shapes)})")
        return render.plot(self, x_range, derivatives, variable, points, **fixed)

    def _repr_latex_(self) -> str:
        return rf"$\displaystyle {render.title_latex(self)} = {self.latex}$"


_OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a ** b,
}


def _check_name(name) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ArgumentError(f"an Expression needs a non-empty name, got {name!r}")


def _resolve_variables(name, expr, params, variables) -> tuple[str, ...]:
    free = sorted(s.name for s in expr.free_symbols)
    if variables is None:
        return tuple(n for n in free if n not in params)
    if isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    for v in variables:
        if not isinstance(v, str) or not v.isidentifier():
            raise VariableError(f"variable names must be identifiers, got {v!r} in {name!r}")
    if len(set(variables)) != len(variables):
        raise VariableError(f"variables of {name!r} repeat a name: {variables}")
    clash = [v for v in variables if v in params]
    if clash:
        raise VariableError(f"{', '.join(clash)} of {name!r} cannot be both a variable and a param")
    unassigned = [n for n in free if n not in params and n not in variables]
    if unassigned:
        raise VariableError(
            f"{', '.join(map(repr, unassigned))} in the formula of {name!r} is neither "
            f"listed in variables={variables} nor a param")
    return tuple(variables)


def _shaped_names(name, expr, variables, params, declared) -> dict:
    """The symbol of every variable and param of a shaped Expression.

    Raises:
        VariableError: a declared name is neither a variable nor a param.
    """
    names = tuple(variables) + tuple(params)
    unknown = [n for n in declared if n not in names]
    if unknown:
        raise VariableError(f"{', '.join(map(repr, unknown))} is declared in shapes but is "
                            f"neither a variable nor a param of {name!r}")
    shape_of(expr)   # a formula given as SymPy is checked here
    return name_symbols(names, declared)


def _check_trainable(name, trainable, params) -> tuple[str, ...]:
    trainable = (trainable,) if isinstance(trainable, str) else tuple(trainable)
    for t in trainable:
        if t not in params:
            raise ParameterError(
                f"trainable param {t!r} of {name!r} is not a param."
                f"{did_you_mean(t, params)} Params: {', '.join(params) or '(none)'}")
    return tuple(dict.fromkeys(trainable))


def as_expression(value) -> Expression:
    """``value`` as an Expression: an Expression itself, or a real number as a constant.

    Raises:
        CompositionError: anything else.
    """
    if isinstance(value, Expression):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Expression(repr(value), value)
    raise CompositionError(
        f"cannot combine an Expression with {type(value).__name__}; "
        "use a number or an Expression")


def merge_params(*parts: Expression) -> dict:
    """The union of the parts' params.

    Raises:
        CompositionError: a name is a param of one part and a variable of another.
        ParameterError: a param has different values in two parts.
    """
    merged: dict[str, float] = {}
    owners: dict[str, str] = {}
    for part in parts:
        for other in parts:
            for name in set(part.params) & set(other.variables):
                raise CompositionError(f"{name!r} is a param of {part.name!r} but a variable "
                                       f"of {other.name!r}")
        for name, value in part.params.items():
            if name in merged and not same_value(merged[name], value):
                raise ParameterError(
                    f"param {name!r} is {merged[name]} in {owners[name]!r} but {value} in "
                    f"{part.name!r}; set them equal or rename one")
            merged[name] = value
            owners.setdefault(name, part.name)
    return merged
