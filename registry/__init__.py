"""YAML definition files of the built-in packs (installed as ``neurogebra_registry``)."""

from importlib.resources import files


def definition_file(name: str):
    """The packaged definition file ``name`` (e.g. ``"activations.yaml"``)."""
    return files(__name__) / name
