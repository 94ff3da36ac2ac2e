"""The single source of neurogebra's version number."""

__version__ = "0.1.0"
