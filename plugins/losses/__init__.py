"""The built-in loss pack: definitions in ``registry/losses.yaml``."""

from neurogebra import hookimpl
from neurogebra_registry import definition_file


@hookimpl
def neurogebra_definition_files():
    return [definition_file("losses.yaml")]
