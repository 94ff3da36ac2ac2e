"""The built-in learning-rate schedule pack: definitions in ``registry/schedules.yaml``."""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import FLOOR


@hookimpl
def neurogebra_primitives():
    return [FLOOR]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "schedules.yaml"]
