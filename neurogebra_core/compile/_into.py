"""A second entry point of generated NumPy code that writes its result into a
given array.

Evaluated block by block (``_blocks``), a formula's result was made as a new
array per block and then copied into the output: one more pass over memory,
which for a formula of one or two operations (``(y_pred - y_true)**2``,
``sigmoid(x)``) is most of the work left to share between threads. Here the
last operation of the generated expression is the same ufunc or kernel, called
with ``out=``: ``(a - b)**2`` becomes ``np.square((a - b), out=_out)``. The
arithmetic is the same operation for operation, so the numbers are too.

Only the outermost operations change, and only where each is one NumPy writes
into an array given to it: ``+ - * /``, a unary minus, ``**2``, a ufunc, or a
kernel that takes ``out=`` (``takes_out``). Anything else (a select, a
constant, an argument) has no such entry point and is copied as before.
Where the outermost operation is a ufunc (or a kernel that may write over its
first argument, ``writes_out``) and an operand is itself such an operation,
that operand is written into ``_out`` first and the outer operation works in
place: ``-max(0, y)`` is ``np.negative(fmax(0, y, out=_out), out=_out)``, no
block-sized temporary.
"""

from __future__ import annotations

import ast

import numpy as np

__all__ = ["into_source", "one_pass", "takes_out"]

_BINARY = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide"}


def takes_out(kernel) -> bool:
    """Whether ``kernel`` writes its result into an ``out=`` array it is given."""
    return isinstance(kernel, np.ufunc) or getattr(kernel, "writes_out", False) or \
        getattr(kernel, "takes_out", False)


def into_source(signature: str, body: list[str], result: str, namespace: dict) -> str | None:
    """The source of ``_into(<signature>, _out)``, which computes ``result``
    (code over the body's names) into ``_out``; None where its outermost
    operation cannot write into an array."""
    call = _writing(ast.parse(result, mode="eval").body, namespace)
    if call is None:
        return None
    namespace.setdefault("_np", np)
    return "\n".join([f"def _into({signature}, _out):", *body, f"    {ast.unparse(call)}",
                      "    return _out"])


def one_pass(source: str) -> bool:
    """Whether the ``_into`` of ``source`` is one operation written into ``_out``
    with nothing computed before it (``np.negative(y, out=_out)``; not
    ``np.exp(np.negative(x, out=_out), out=_out)``, which reads ``_out`` back): it
    keeps no temporaries that blocks of cache size would keep in the cache."""
    lines = source.splitlines()   # def, the call, return _out
    return len(lines) == 3 and lines[1].count("out=_out") == 1


def _writing(node: ast.expr, namespace: dict) -> ast.Call | None:
    """``node`` as a call that writes into ``_out``, or None; an operand it may
    read from ``_out`` is written there first (see the module docstring)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _in_out(_ufunc(_BINARY[type(node.op)]), [node.left, node.right], namespace)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and \
            isinstance(node.right, ast.Constant) and node.right.value == 2:
        return _in_out(_ufunc("square"), [node.left], namespace)   # NumPy's ** 2 is np.square
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _in_out(_ufunc("negative"), [node.operand], namespace)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id == "_in_place":              # kernel(fresh, *rest) written into out
            node = ast.Call(node.args[0], node.args[1:], [])
        kernel = namespace.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if kernel is not None and takes_out(kernel):
            operands = int(getattr(kernel, "writes_out", False))
            if isinstance(kernel, np.ufunc) and kernel is not np.sign:   # slower in place
                operands = len(node.args)
            return _in_out(node.func, node.args, namespace, operands)
    return None


def _in_out(function: ast.expr, args: list, namespace: dict, operands: int = 2) -> ast.Call:
    """``function(*args, out=_out)``, with the first of its leading ``operands``
    that can be computed into ``_out`` computed there (a ufunc may read any
    operand from its ``out``; a ``writes_out`` kernel its first)."""
    args = list(args)
    for i in range(min(operands, len(args))):
        inner = _writing(args[i], namespace) if _reads_a_value(args[i], namespace) else None
        if inner is not None:
            args[i] = inner
            break
    return ast.Call(function, args, [ast.keyword(arg="out", value=ast.Name("_out", ast.Load()))])


def _reads_a_value(node: ast.expr, namespace: dict) -> bool:
    """Whether ``node`` reads an argument or a part, not only constants and kernels."""
    return any(isinstance(n, ast.Name) and n.id not in namespace for n in ast.walk(node))


def _ufunc(name: str) -> ast.Attribute:
    return ast.Attribute(ast.Name("_np", ast.Load()), name, ast.Load())
