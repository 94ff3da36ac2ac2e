"""Every built-in of the scalar packs is fully documented, with examples.

(Their numbers are checked against mpmath by tests/test_accuracy_sweep.py.)
"""

import pytest

from neurogebra import MathForge

FORGE = MathForge(plugins=["activations", "losses", "schedules"])  # vectors: test_vector_catalog.py
REQUIRED_DOCS = ("description", "usage", "pros", "cons", "latex", "references")


@pytest.mark.parametrize("name", FORGE.list_all())
def test_every_builtin_is_fully_documented_with_checked_examples(name):
    expression = FORGE.get(name)
    meta = expression.metadata
    missing = [field for field in REQUIRED_DOCS if not meta.get(field)]
    assert not missing, f"{name} lacks {missing}"
    undocumented = [p for p in expression.params if p not in meta.get("param_descriptions", {})]
    assert not undocumented, f"{name}: params without description {undocumented}"
    assert meta.get("examples"), f"{name} has no examples"
