"""The built-in activation pack: definitions in ``registry/activations.yaml``."""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import NORMAL_CDF, TANHSHRINK


@hookimpl
def neurogebra_primitives():
    return [TANHSHRINK, NORMAL_CDF]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "activations.yaml"]
