"""The single source of neurogebra's version number."""

__version__ = "3.0.0"
