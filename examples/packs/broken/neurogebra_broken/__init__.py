"""A pack that fails on import, on purpose: MathForge must survive it."""
import neurogebra_this_dependency_does_not_exist  # noqa: F401
