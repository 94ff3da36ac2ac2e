"""The built-in activation pack: definitions in ``registry/activations.yaml``."""

from neurogebra import hookimpl
from neurogebra_registry import definition_file


@hookimpl
def neurogebra_definition_files():
    return [definition_file("activations.yaml")]
