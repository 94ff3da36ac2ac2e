"""The built-in vector pack: definitions in ``registry/vectors.yaml``.

Softmax and its family, cross-entropies, similarities, margins and
normalisations: functions of whole vectors, declared with shapes (schema 2).
"""

from importlib.resources import files

from neurogebra import hookimpl

from .primitives import XLOGY


@hookimpl
def neurogebra_primitives():
    return [XLOGY]


@hookimpl
def neurogebra_definition_files():
    return [files("neurogebra_registry") / "vectors.yaml"]
