"""The built-in loss pack: definitions in ``registry/losses.yaml``."""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import CLAMPED_LOG, CLAMPED_LOG1M, LOG_COSH


@hookimpl
def neurogebra_primitives():
    return [LOG_COSH, CLAMPED_LOG, CLAMPED_LOG1M]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "losses.yaml"]
