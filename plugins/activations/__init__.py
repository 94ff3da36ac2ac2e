"""The built-in activation pack: definitions in ``registry/activations.yaml``."""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import (GELU_SLOPE, GELU_TANH_SLOPE, MISH_SLOPE, NORMAL_CDF, SILU_SLOPE,
                         SOFTSIGN, SQUAREPLUS, SQUAREPLUS_SLOPE, TANH_SOFTPLUS, TANHSHRINK)


@hookimpl
def neurogebra_primitives():
    # the fused slopes of silu (and swish_beta), gelu, gelu_tanh and mish come after
    # the primitives their formulas call; mish's factor tanh(softplus(u)) after its
    # slope, which contains it
    return [TANHSHRINK, NORMAL_CDF, SOFTSIGN, SILU_SLOPE, GELU_SLOPE, GELU_TANH_SLOPE,
            MISH_SLOPE, TANH_SOFTPLUS, SQUAREPLUS_SLOPE, SQUAREPLUS]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "activations.yaml"]
