"""The built-in activation pack: definitions in ``registry/activations.yaml``."""

from neurogebra import hookimpl
from neurogebra_registry import definition_file

from .primitives import NORMAL_CDF, TANHSHRINK


@hookimpl
def neurogebra_primitives():
    return [TANHSHRINK, NORMAL_CDF]


@hookimpl
def neurogebra_definition_files():
    return [definition_file("activations.yaml")]
