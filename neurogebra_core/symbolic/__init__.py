"""The symbolic layer: formula text -> SymPy, primitives, derivatives.

It knows nothing of numbers (kernels are named by reference, for the compile
layer to resolve) and nothing of the catalog. Layers above import from here,
never from the private modules.
"""

from ._autodiff import dag_size, reverse_gradients, subexpressions
from ._derivatives import derivative, readable
from ._functions import (BACKEND_NAMES, FormulaFunction, dsigmoid, formula_function,
                         function_for_head, max_min_partial, parseable_functions,
                         register_function, sech2)
from ._parsing import from_sympy, parse_formula, symbol
from ._printing import formula_text
from ._primitives import (Primitive, PrimitiveFunction, log_sigmoid, primitive_class,
                          register_primitive, register_primitive_loader, relu, sigmoid,
                          softplus)

__all__ = [
    "parse_formula", "symbol", "from_sympy", "formula_text",
    "FormulaFunction", "BACKEND_NAMES", "register_function", "formula_function",
    "function_for_head", "parseable_functions", "sech2", "dsigmoid", "max_min_partial",
    "Primitive", "PrimitiveFunction", "register_primitive", "primitive_class",
    "register_primitive_loader", "sigmoid", "softplus", "log_sigmoid", "relu",
    "derivative", "readable", "reverse_gradients", "dag_size", "subexpressions",
]
