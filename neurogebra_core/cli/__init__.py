"""The command line: ``neurogebra demo``, catalog tools and the schema."""

from ._commands import main
from ._demo import gradient_descent, run_demo

__all__ = ["main", "run_demo", "gradient_descent"]
