"""The built-in activation pack: definitions in ``registry/activations.yaml``."""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import (GELU_SLOPE, GELU_TANH_SLOPE, MISH_SLOPE, NORMAL_CDF, SILU_SLOPE,
                         SOFTSIGN, TANHSHRINK)


@hookimpl
def neurogebra_primitives():
    # the fused slopes of silu (and swish_beta), gelu, gelu_tanh and mish come after
    # the primitives their formulas call
    return [TANHSHRINK, NORMAL_CDF, SOFTSIGN, SILU_SLOPE, GELU_SLOPE, GELU_TANH_SLOPE,
            MISH_SLOPE]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "activations.yaml"]
