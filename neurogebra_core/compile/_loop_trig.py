"""sin and cos that a compiled loop vectorises, and the flag that hands the
elements they cannot reduce to NumPy.

A numba loop that calls ``math.sin`` calls the C library once per element
(sinusoid: 8 ms per 1e6 elements on two cores, where torch's vectorised sin
takes 1.5). These are written without calls or branches, so LLVM vectorises
the loops that inline them: the argument is reduced by pi/2 in three parts
(Cody and Waite's scheme with fused multiply-adds: x - k*P1 is exact, and the
rest is kept as a double-double), then fdlibm's polynomials for sin and cos
on [-pi/4, pi/4] (FreeBSD's k_sin.c and k_cos.c, which take the reduced
argument's low part) give the value within about 1 ulp (checked against
mpmath in tests/whitebox/test_compile_loop_trig.py).

The reduction is right up to |x| = :data:`LIMIT` only: beyond it, the
product k*P3 and the parts of pi/2 left out would show in a reduced argument
close to 0, and a right reduction of any double (Payne and Hanek's) would cost
about what the C library's sin does. So a loop must not trust these functions
there, and a nan returned there could be lost on its way to the result (in a
comparison, a max, a choice of the user's formula). :func:`flagged` rewrites a
formula's generated scalar code instead: each sin or cos argument is kept in a
variable, and the formula's value becomes nan where one of them is beyond the
limit (or not finite). A compiled loop computes again, with NumPy, every
element whose value is not finite: those elements get NumPy's sin.

Only for numba (the fused multiply-add and bit casts are intrinsics); Python
runs them compiled (``_jit._replacements``).
"""

from __future__ import annotations

import ast
import math

from ._intrinsics import bits as _bits
from ._intrinsics import fma as _fma
from ._loop_math import _NAN, _SHIFT, _SHIFT_BITS   # x + _SHIFT: x rounded, in its low bits

__all__ = ["sin", "cos", "worse", "checked", "flagged", "LIMIT", "MAX_CALLS"]

LIMIT = 2.0 ** 20              # |x| up to which the reduction is right
MAX_CALLS = 8                  # sin and cos calls a rewritten formula may have (see flagged)
_TWO_OVER_PI = 0.6366197723675814
_PIO2_1 = 1.5707963267948966           # pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 + 6e-50
_PIO2_2 = 6.123233995736766e-17
_PIO2_3 = -1.4973849048591698e-33

# fdlibm's minimax polynomials on [-pi/4, pi/4] (k_sin.c, k_cos.c)
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11


def _reduced(x):
    """``(k, r, tail)`` with x = k pi/2 + r + tail, |r| <= pi/4 (about), r + tail
    a double-double, for |x| <= LIMIT. x - k*P1 is exact: it is a multiple of
    x's or P1's last bit, below 1 in size; k*P2's rounding error is kept by a
    fused multiply-add and the sum's by TwoSum."""
    n = _fma(x, _TWO_OVER_PI, _SHIFT)
    k = n - _SHIFT
    head = _fma(-k, _PIO2_1, x)
    p = k * _PIO2_2
    p_error = _fma(k, _PIO2_2, -p)
    r = head - p                        # TwoSum(head, -p): r + e = head - p exactly
    b = r - head
    e = (head - (r - b)) - (p + b)
    low = e - _fma(k, _PIO2_3, p_error)
    s = r + low
    return _bits(n) - _SHIFT_BITS, s, low - (s - r)


def _sin_kernel(x, y):
    """sin(x + y) for |x| <= pi/4 and y below x's last bit (fdlibm's __kernel_sin)."""
    z = x * x
    w = z * z
    r = _S2 + z * (_S3 + z * _S4) + z * w * (_S5 + z * _S6)
    v = z * x
    return x - ((z * (0.5 * y - v * r) - y) - v * _S1)


def _cos_kernel(x, y):
    """cos(x + y) for |x| <= pi/4 and y below x's last bit (fdlibm's __kernel_cos)."""
    z = x * x
    w = z * z
    r = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    half = 0.5 * z
    w = 1.0 - half
    return w + (((1.0 - w) - half) + (z * r - x * y))


def sin(x):
    """sin x within about 1 ulp for |x| <= LIMIT (beyond it: see :func:`flagged`)."""
    q, r, tail = _reduced(x)
    s, c = _sin_kernel(r, tail), _cos_kernel(r, tail)
    v = c if q & 1 else s
    v = -v if q & 2 else v
    return x if x == 0.0 else v         # sin(-0.0) is -0.0, as NumPy's


def cos(x):
    """cos x within about 1 ulp for |x| <= LIMIT (beyond it: see :func:`flagged`)."""
    q, r, tail = _reduced(x)
    s, c = _sin_kernel(r, tail), _cos_kernel(r, tail)
    v = s if q & 1 else c
    return -v if (q + 1) & 2 else v


def worse(worst, argument):
    """``argument`` where it is beyond LIMIT (or not finite), else ``worst``: the
    arguments a formula's code gives its sin and cos, folded one line each."""
    return worst if abs(argument) <= LIMIT else argument


def checked(value, worst):
    """``value``, or nan where a sin or cos argument it used was beyond LIMIT (or
    not finite; ``worst`` from :func:`worse`): the loop's redo then computes that
    element with NumPy."""
    return value if abs(worst) <= LIMIT else _NAN


def flagged(function):
    """``function`` (generated scalar code, with its ``source``: assignments and
    the return of one value) rewritten so that its sin and cos are this module's
    and its value is nan where one of their arguments is beyond LIMIT;
    ``function`` itself where it calls neither, or is not such code.

    Each distinct argument is assigned to a variable of its own just before the
    line that first uses it (numba's inlining cannot type an assignment within an
    expression), and folded into ``_trig_worst`` on the next line (a check per
    argument nested in the return was as deep as the formula has sines: 200 of
    them were too deep to write out). Computed there, an argument in a choice's
    branch not taken is computed anyway, as a compiled loop computes both
    branches (``_jit._eager``). A formula of more than ``MAX_CALLS`` calls keeps
    the C library's: each call inlines a reduction and two polynomials, and
    numba's compile time grows faster than their number (10 sines: 3.6 s
    against 0.7, 40: 32 s against 1.3)."""
    names = _trig_names(function) if getattr(function, "source", None) else {}
    if not names:
        return function
    tree = ast.parse(function.source)
    definition = next((node for node in tree.body if isinstance(node, ast.FunctionDef)
                       and node.name == function.__name__), None)
    if definition is None or not all(
            isinstance(line, ast.Assign) or isinstance(line, ast.Return)
            and not isinstance(line.value, ast.Tuple) for line in definition.body):
        return function       # (several outputs: a training step's, not a formula's)
    rewriter = _Flagging(names)
    body = [ast.parse("_trig_worst = 0.0").body[0]]
    for line in definition.body:
        line = rewriter.visit(line)
        if isinstance(line, ast.Return):
            line.value = ast.Call(ast.Name("_trig_checked", ast.Load()),
                                  [line.value, ast.Name("_trig_worst", ast.Load())], [])
        body += rewriter.hoisted + [line]
        rewriter.hoisted = []
    if not rewriter.arguments or rewriter.calls > MAX_CALLS:
        return function
    definition.body = body
    namespace = dict(function.__globals__, _loop_sin=sin, _loop_cos=cos, _trig_worse=worse,
                     _trig_checked=checked)
    try:
        text = ast.unparse(ast.fix_missing_locations(tree))
        exec(compile(text, "<neurogebra loop trig>", "exec"), namespace)
    except RecursionError:     # too deep to write out: the C library's sin
        return function
    rewritten = namespace[function.__name__]
    rewritten.source = text
    return rewritten


def _trig_names(function) -> dict:
    """The names by which ``function``'s code calls math.sin and math.cos, mapped
    to the names of this module's."""
    found = {}
    for name in function.__code__.co_names:
        value = function.__globals__.get(name)
        if value is math.sin or value is math.cos:
            found[name] = "_loop_sin" if value is math.sin else "_loop_cos"
    return found


class _Flagging(ast.NodeTransformer):
    """Calls of math.sin and math.cos (by ``names``) made this module's, each
    distinct argument assigned first to a variable of its own and folded into
    ``_trig_worst`` (``hoisted``, innermost first; ``arguments``: the variable of
    each argument's code)."""

    def __init__(self, names: dict):
        self.names = names
        self.arguments: dict[str, str] = {}
        self.hoisted: list[ast.stmt] = []
        self.calls = 0

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.names and len(node.args) == 1 \
                and not node.keywords:
            self.calls += 1
            code = ast.dump(node.args[0])
            name = self.arguments.get(code)
            if name is None:
                name = self.arguments[code] = f"_trig_argument{len(self.arguments)}"
                self.hoisted += [ast.Assign([ast.Name(name, ast.Store())], node.args[0]),
                                 ast.parse(f"_trig_worst = _trig_worse(_trig_worst, {name})"
                                           ).body[0]]
            node.func = ast.Name(self.names[func.id], ast.Load())
            node.args = [ast.Name(name, ast.Load())]
        return node
