"""The expression layer: ``Expression``, the object users hold.

A named SymPy formula with params and documentation that evaluates through
the compile layer, differentiates through the symbolic layer and displays
through the render layer; plus composition over names and gradient checks.
Variables and params may be vectors and matrices (``_shaped``).
"""

from ._checking import GradientCheck, check_gradient, numerical_gradient
from ._combining import formula_over_names, substitute
from ._expression import (Expression, as_expression, check_defined, merge_params,
                          register_definition_writer)
from ._params import Params
from ._shaped import compose_shaped, declaration_of, declare, plain_shape, same_value

__all__ = ["Expression", "Params", "as_expression", "merge_params", "check_defined",
           "formula_over_names", "substitute", "numerical_gradient", "check_gradient",
           "GradientCheck", "register_definition_writer", "compose_shaped", "declare",
           "declaration_of", "plain_shape", "same_value"]
