"""Formula text -> SymPy expression, without ever executing the text.

The text is parsed by Python's :mod:`ast` and the tree is walked against a
whitelist: numbers, names, arithmetic, comparisons (inside conditions) and
calls of known functions. SymPy objects are built directly from the nodes;
``eval``, ``sympify`` and ``parse_expr`` are never used on user text.

SymPy can hang on innocent-looking input (``9**9**9``, huge literals), so
sizes are bounded *before* SymPy sees them: literal magnitude, the number of
digits a constant power would produce, the length and nesting of the text,
and the arity of variadic functions.

Every name that is not a known function becomes a real ``Symbol``: ``gamma``,
``beta``, ``E``, ``I``, ``N``, ``S`` and even ``lambda`` are ordinary names.
``pi`` is the only named constant.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from typing import Mapping

import sympy

from ..errors import FormulaError, ShapeError, did_you_mean
from ._bounds import MAX_CONSTANT_DIGITS, constant_digits, operation_digits
from ._definedness import undefined_reason
from ._functions import MAX_VARIADIC_ARGS, parseable_functions
from ._primitives import load_more_primitives
from ._shapes import IndexSymbol, ShapedSymbol, shape_of, sizes_of
from ._vector_ops import REDUCTIONS, matmul, pick, vector_canonical

__all__ = ["parse_formula", "symbol", "from_sympy"]

MAX_FORMULA_LENGTH = 20_000
MAX_DEPTH = 200
MAX_INT_DIGITS = 20
MAX_EXPONENT = 1_000
# Python's own parser recurses once per operator of a chain, and how deep it
# may go depends on the interpreter and its recursion limit; counting the
# operators first makes the refusal the same everywhere.
MAX_OPERATORS = 2_000

# Python keywords a formula may use as plain names; replaced before parsing by
# a stand-in of the same length (so offsets into the text stay right) that
# starts with "_", which no name in a formula may (so no user name collides
# with it), then mapped back.
_KEYWORD_NAMES = {"lambda": "_lmbda"}
_KEYWORD_BACK = {v: k for k, v in _KEYWORD_NAMES.items()}
_LAMBDA_EXPR = re.compile(r"\blambda\b[^:]*:")


def symbol(name: str) -> sympy.Symbol:
    """The canonical SymPy symbol for a formula name (always real)."""
    return sympy.Symbol(name, real=True)


_COMPARE = {
    ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
}
_NODE_NAMES = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda expressions", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Constant: "this constant",
    ast.JoinedStr: "strings", ast.Starred: "star arguments",
    ast.NamedExpr: "assignment", ast.IfExp: "if-expressions (use where())",
    ast.List: "lists", ast.Dict: "dicts", ast.Set: "sets", ast.Tuple: "tuples",
    ast.Await: "await", ast.Yield: "yield",
}


def parse_formula(text: str, bare_function_names: bool = False,
                  symbols: Mapping[str, sympy.Symbol] | None = None) -> sympy.Expr:
    """Parse formula ``text`` into a SymPy expression.

    The functions a formula may call are those of the function table,
    registered primitives included.

    Args:
        text: The formula.
        bare_function_names: Read a function name used without a call
            (``relu + 0.1*tanh``) as a plain symbol, as formulas over catalog
            names need.
        symbols: Declared names (vectors, matrices, class indices) and the
            symbols they stand for; the named sizes of their shapes may be
            used in the formula too. Every other name is a real scalar.

    Returns:
        The SymPy expression; its symbols are real.

    Raises:
        FormulaError: the text is refused; the message points at the part.
        ShapeError: the shapes of its parts do not fit (a FormulaError too).
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, got {type(text).__name__}")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"formula is {len(text)} characters long; the limit is {MAX_FORMULA_LENGTH}")
    if not text.strip():
        raise FormulaError("formula is empty", text, 0)
    source = _prepare(text)
    lead = len(source) - len(source.lstrip())
    _check_operator_count(source, text)
    tree = _parse_tree(source[lead:], text, lead)
    builder = _Builder(text, source[lead:], lead, parseable_functions(), bare_function_names,
                       symbols)
    try:
        result = builder.build(tree.body)
    except RecursionError:   # SymPy recurses too: a deep formula in a deep call stack
        raise FormulaError("formula is nested too deeply to build here", text) from None
    _check_result(result, text)
    return vector_canonical(result) if builder.declared else result


def from_sympy(expr: sympy.Expr) -> sympy.Expr:
    """A SymPy expression built elsewhere, in the form the parser gives.

    Symbols become real, as they are in parsed formulas.
    """
    if not isinstance(expr, sympy.Expr):
        raise FormulaError(f"a formula must be a SymPy expression, got {type(expr).__name__}")
    real = {s: symbol(s.name) for s in expr.free_symbols
            if isinstance(s, sympy.Symbol) and s != symbol(s.name)
            and not isinstance(s, (ShapedSymbol, IndexSymbol))}
    return expr.xreplace(real)


def _prepare(text: str) -> str:
    """Flatten whitespace and rename keyword names, keeping every offset."""
    match = _LAMBDA_EXPR.search(text)
    if match:
        raise FormulaError("lambda expressions are not allowed", text,
                           match.start(), len("lambda"))
    _check_names_are_normal(text)
    source = re.sub(r"[\n\r\t]", " ", text)
    for keyword, stand_in in _KEYWORD_NAMES.items():
        match = re.search(rf"\b{stand_in}\b", source)
        if match:
            raise FormulaError(f"names starting with '_' are not allowed: {stand_in!r}", text,
                               match.start(), len(stand_in))
        source = re.sub(rf"\b{keyword}\b", stand_in, source)
    return source


def _check_operator_count(source: str, text: str) -> None:
    """Refuse formulas with more than ``MAX_OPERATORS`` operators."""
    count = 0
    for name, operator in _TOKEN.findall(source):
        if operator or name in ("and", "or", "not"):
            count += 1
    if count > MAX_OPERATORS:
        raise FormulaError(f"formula has {count} operators; the limit is {MAX_OPERATORS}", text)


# The tokens that count as operators, as Python's tokenizer splits the text
# (brackets that close or group, and commas, do not count). The standard
# ``tokenize`` module would do, but compiling its patterns costs 2.5 ms, a
# tenth of a process's first formula.
_DIGITS = r"[0-9](?:_?[0-9])*"
_TOKEN = re.compile(rf"""
    (?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][-+]?{_DIGITS})?[jJ]?   # a number
  | (\w+)                                                             # a name
  | (\*\*=?|//=?|<<=?|>>=?|[-+*/%@&|^<>!=:]=|->|\.\.\.|[-+*/%@&|^~<>=.:;\[{{}}])  # an operator
  | [^\w.]                                  # space, ( ) ] , and anything else
""", re.VERBOSE)


def _check_names_are_normal(text: str) -> None:
    """Refuse names Python would silently rewrite (NFKC): ``ｘ`` and ``𝑥`` would
    both become ``x`` in the formula but stay themselves everywhere else."""
    if text.isascii():
        return
    for match in re.finditer(r"\w+", text):
        name = match.group()
        normal = unicodedata.normalize("NFKC", name)
        if normal != name:
            raise FormulaError(f"the name {name!r} is written with characters that read as "
                               f"{normal!r}; write {normal!r}", text, match.start(),
                               len(name))


def _parse_tree(source: str, text: str, lead: int) -> ast.Expression:
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as exc:
        offset = None
        if exc.lineno == 1 and exc.offset:
            offset = min(len(text) - 1, lead + max(0, exc.offset - 1))
        reason = exc.msg
        if "too many nested" in reason:
            reason = f"formula is nested too deeply ({reason})"
        elif "integer string conversion" in reason:
            reason = f"integer literal has more than {MAX_INT_DIGITS} digits"
        raise FormulaError(f"invalid formula: {reason}", text, offset) from None
    except (RecursionError, MemoryError):
        raise FormulaError("formula is nested too deeply or too long to parse",
                           text) from None


def _check_result(result, text: str) -> None:
    if not isinstance(result, sympy.Expr):
        raise FormulaError("formula must be a numeric expression, not a condition", text, 0)
    bad = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
    if any(result.has(b) for b in bad):
        raise FormulaError(
            "formula evaluates to an undefined or infinite constant "
            "(a division by zero?)", text, 0, len(text))


class _Builder:
    """Walks a whitelisted AST and builds SymPy objects."""

    def __init__(self, text: str, source: str, lead: int, functions: Mapping,
                 bare_function_names: bool = False,
                 symbols: Mapping[str, sympy.Symbol] | None = None):
        self.bare_function_names = bare_function_names
        self.text = text
        self.lead = lead
        self.source_bytes = source.encode("utf-8")
        self.functions = functions
        self.declared = dict(symbols or {})
        self.sizes = {d.name: d for s in self.declared.values() for d in sizes_of(s)}

    # -- error helpers -------------------------------------------------
    def _where(self, node) -> tuple[int | None, int]:
        col = getattr(node, "col_offset", None)
        if col is None:
            return None, 1
        start = len(self.source_bytes[:col].decode("utf-8", "ignore"))
        end_col = getattr(node, "end_col_offset", None) or col + 1
        end = len(self.source_bytes[:end_col].decode("utf-8", "ignore"))
        return self.lead + start, max(1, end - start)

    def fail(self, message: str, node) -> FormulaError:
        start, length = self._where(node)
        return FormulaError(message, self.text, start, length)

    # -- walking ---------------------------------------------------------
    def build(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise self.fail(f"formula is nested more than {MAX_DEPTH} levels deep", node)
        method = getattr(self, "_build_" + type(node).__name__, None)
        if method is None:
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise self.fail(f"{what} not allowed in a formula", node)
        try:
            result = method(node, depth + 1)
            if isinstance(result, sympy.Expr):
                self._check_defined(result, node)
                if self.declared:
                    shape_of(result)   # shapes checked here, so an error points at this part
            return result
        except ShapeError as exc:
            if exc.formula is not None:
                raise
            start, length = self._where(node)
            raise ShapeError(exc.reason, self.text, start, length) from None
        except FormulaError:
            raise
        except (TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
            raise self.fail(f"cannot build this part of the formula: {exc}", node) from None

    def _check_defined(self, result, node) -> None:
        """Refuse a part that is undefined, infinite or not real where it is
        built: SymPy would absorb it into the parts around it (``1/(1/0)`` is
        0, ``tanh(oo)`` is 1) and the formula would silently mean something else."""
        reason = undefined_reason(result)
        if reason:
            raise self.fail(f"this part of the formula {reason}", node)

    def _build_Constant(self, node, depth):
        value = node.value
        if isinstance(value, bool):
            return sympy.true if value else sympy.false
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_INT_DIGITS:
                raise self.fail(
                    f"integer literal has more than {MAX_INT_DIGITS} digits", node)
            return sympy.Integer(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail("number is too large to be a finite float", node)
            return sympy.Float(value)
        raise self.fail(f"{type(value).__name__} literals not allowed in a formula", node)

    def _build_Name(self, node, depth):
        name = _KEYWORD_BACK.get(node.id, node.id)
        if name.startswith("_"):
            raise self.fail(f"names starting with '_' are not allowed: {name!r}", node)
        if name == "pi":
            return sympy.pi
        if name in self.declared:
            return self.declared[name]
        if name in self.sizes:
            return self.sizes[name]
        if name in self.functions and not self.bare_function_names:
            raise self.fail(f"{name!r} is a function; call it as {name}(...)", node)
        return symbol(name)

    def _build_UnaryOp(self, node, depth):
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return sympy.Not(operand)
        raise self.fail("this operator is not allowed in a formula", node)

    def _build_BinOp(self, node, depth):
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            return self._build_chain(node, depth)
        if isinstance(node.op, ast.Pow):
            return self._power(self.build(node.left, depth), self.build(node.right, depth), node)
        if isinstance(node.op, ast.MatMult):
            return matmul(self.build(node.left, depth), self.build(node.right, depth))
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            left, right = self.build(node.left, depth), self.build(node.right, depth)
            return (sympy.And if isinstance(node.op, ast.BitAnd) else sympy.Or)(left, right)
        raise self.fail("operator not allowed in a formula (use +, -, *, /, **, @)", node)

    def _build_Subscript(self, node, depth):
        """``x[k]``: the entry of vector ``x`` at index ``k`` (a number or a class index)."""
        if isinstance(node.slice, (ast.Slice, ast.Tuple)):
            raise self.fail("only one index is allowed (x[k]); slices and several axes are "
                            "not", node.slice)
        vector = self.build(node.value, depth)
        if not shape_of(vector):
            start, length = self._where(node.value)
            raise ShapeError(f"{self.text[start:start + length]!r} is a scalar; declare it as "
                             "a vector to index it")
        return pick(vector, self.build(node.slice, depth))

    def _build_chain(self, node, depth):
        """A chain ``a + b - c ...`` or ``a * b / c ...``, walked iteratively and
        built as one sum or product (pairwise building is quadratic), after an
        estimate of the exact constants it would fold."""
        adding = isinstance(node.op, (ast.Add, ast.Sub))
        family = (ast.Add, ast.Sub) if adding else (ast.Mult, ast.Div)
        whole, pending = node, []
        while isinstance(node, ast.BinOp) and isinstance(node.op, family):
            pending.append((node.op, node.right))
            node = node.left
        parts = [self.build(node, depth)]
        for op, right in reversed(pending):
            part = self.build(right, depth)
            if isinstance(op, ast.Sub):
                part = -part
            elif isinstance(op, ast.Div):
                part = self._power(part, sympy.S.NegativeOne, right)
            parts.append(part)
        if sum(constant_digits(p) for p in parts) > MAX_CONSTANT_DIGITS:
            raise self.fail(f"the constants of this {'sum' if adding else 'product'} would have "
                            f"more than {MAX_CONSTANT_DIGITS} digits", whole)
        return sympy.Add(*parts) if adding else sympy.Mul(*parts)

    def _power(self, base, exponent, node):
        """``base**exponent``, after the checks of its size."""
        self._check_power(base, exponent, node)
        return base ** exponent

    def _check_power(self, base, exponent, node):
        if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
            raise self.fail(f"exponent {exponent} is larger than {MAX_EXPONENT}", node)
        if operation_digits("**", base, exponent) > MAX_CONSTANT_DIGITS:
            raise self.fail(f"this power is too large to compute (its exact value would have "
                            f"more than {MAX_CONSTANT_DIGITS} digits)", node)

    def _build_BoolOp(self, node, depth):
        combine = sympy.And if isinstance(node.op, ast.And) else sympy.Or
        return combine(*(self.build(v, depth) for v in node.values))

    def _build_Compare(self, node, depth):
        terms = [self.build(node.left, depth)]
        terms += [self.build(c, depth) for c in node.comparators]
        parts = []
        for op, left, right in zip(node.ops, terms, terms[1:]):
            relation = _COMPARE.get(type(op))
            if relation is None:
                raise self.fail("only <, <=, > and >= comparisons are allowed", node)
            parts.append(relation(left, right))
        return sympy.And(*parts) if len(parts) > 1 else parts[0]

    def _build_Call(self, node, depth):
        if not isinstance(node.func, ast.Name):
            raise self.fail("only calls of known functions by name are allowed", node.func)
        if node.keywords:
            raise self.fail("keyword arguments are not allowed in a formula",
                            node.keywords[0].value)
        name = _KEYWORD_BACK.get(node.func.id, node.func.id)
        if name == "Piecewise":
            return self._build_piecewise(node, depth)
        if name not in self.functions:   # perhaps a primitive of a pack not loaded yet
            load_more_primitives()
            self.functions = parseable_functions()
        if name not in self.functions:
            hint = did_you_mean(name, self.functions)
            raise self.fail(f"unknown function {name!r}.{hint}", node.func)
        function = self.functions[name]
        low, high = function.arity
        if not low <= len(node.args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise self.fail(f"{name}() takes {expected} arguments, got {len(node.args)}",
                            node)
        args = [self.build(a, depth) for a in node.args]
        if name in REDUCTIONS and len(args) == 1 and shape_of(args[0]):
            return REDUCTIONS[name](args[0])   # max(v): the largest entry of a vector
        return function.builder()(*args)

    def _build_piecewise(self, node, depth):
        """``Piecewise((value, condition), ...)``: SymPy's own printed form."""
        pieces = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise self.fail("Piecewise takes (value, condition) pairs", arg)
            pieces.append((self.build(arg.elts[0], depth), self.build(arg.elts[1], depth)))
        if not pieces or len(pieces) > MAX_VARIADIC_ARGS:
            raise self.fail(f"Piecewise takes 1 to {MAX_VARIADIC_ARGS} pairs", node)
        return sympy.Piecewise(*pieces)
