"""The built-in loss pack: definitions in ``registry/losses.yaml``."""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import (BCE_LOG_ODDS, BCE_SLOPE, CLAMPED_LOG, CLAMPED_LOG1M, LOG_COSH,
                         MAPE_SLOPE)


@hookimpl
def neurogebra_primitives():
    # the fused slopes come after the primitives their formulas call
    return [LOG_COSH, CLAMPED_LOG, CLAMPED_LOG1M, BCE_SLOPE, BCE_LOG_ODDS, MAPE_SLOPE]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "losses.yaml"]
