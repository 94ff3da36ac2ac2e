"""The built-in loss pack: definitions in ``registry/losses.yaml``."""

from neurogebra import hookimpl
from neurogebra_registry import definition_file

from .primitives import CLAMPED_LOG, CLAMPED_LOG1M, LOG_COSH


@hookimpl
def neurogebra_primitives():
    return [LOG_COSH, CLAMPED_LOG, CLAMPED_LOG1M]


@hookimpl
def neurogebra_definition_files():
    return [definition_file("losses.yaml")]
