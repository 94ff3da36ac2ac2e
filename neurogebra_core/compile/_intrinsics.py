"""The processor operations compiled loops use that numba has no Python name for:
the bits of a float64 and back, and the fused multiply-add.

Numba intrinsics: callable only from code numba compiles (``_loop_math``'s
functions, kernels' loop forms), each one instruction.
"""

from __future__ import annotations

from numba import types as _types
from numba.extending import intrinsic

__all__ = ["bits", "float_of_bits", "fma"]


@intrinsic
def bits(typingctx, x):
    """The IEEE bits of a float64, as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(_types.int64))
    return _types.int64(_types.float64), codegen


@intrinsic
def float_of_bits(typingctx, n):
    """The float64 whose IEEE bits are the int64 ``n``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(_types.float64))
    return _types.float64(_types.int64), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a*b + c rounded once (the processor's fused multiply-add: one instruction)."""
    def codegen(context, builder, signature, args):
        return builder.fma(*args)
    return _types.float64(_types.float64, _types.float64, _types.float64), codegen
