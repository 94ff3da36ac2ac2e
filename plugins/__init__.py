"""neurogebra's built-in packs, installed as ``neurogebra_plugins``.

Each sub-package is a pack registered in ``pyproject.toml`` under the entry
point group ``neurogebra.forge``, exactly as a third-party pack would be.
"""
