"""The symbolic layer: formula text -> SymPy, primitives, derivatives, and
the shapes, operations and derivative rules of vectors and matrices.

It knows nothing of numbers (kernels are named by reference, for the compile
layer to resolve) and nothing of the catalog. Layers above import from here,
never from the private modules.
"""

from ._autodiff import dag_size, reverse_gradients, subexpressions
from ._bounds import (MAX_CONSTANT_DIGITS, MAX_DERIVATIVE_NODES, MAX_NESTING, MAX_NODES,
                      MAX_ORDER, MAX_PRINTED_NESTING, MAX_TREE_NODES, check_composition, check_size,
                      constant_digits, measure, operation_digits)
from ._definedness import undefined_reason
from ._derivatives import derivative, readable
from ._functions import (BACKEND_NAMES, STABLE_HEADS, FormulaFunction, dsigmoid,
                         formula_function, function_for_head, max_min_partial,
                         parseable_functions, register_function, sech2)
from ._parsing import from_sympy, parse_formula, symbol
from ._printing import ExactFormulaPrinter
from ._rewriting import post_order, rewrite_bottom_up, substitute_symbols
from ._primitives import (Primitive, PrimitiveFunction, function_names, fused_primitives,
                          log_sigmoid,
                          primitive_class, register_primitive, register_primitive_loader, relu,
                          sigmoid, softplus)
from ._shapes import (Identity, IndexSymbol, Ones, ShapedSymbol, Size, bind_sizes,
                      format_shape, is_shaped, rebind, shape_of, shaped_atoms, size, sizes_of)
from ._vector_autodiff import JacobianOf, derivative_of, jacobian, jvp, tidy, vector_gradients
from ._vector_ops import (VecOp, diag, dot, log_softmax, logsumexp, matmul, mean, norm, onehot,
                          outer, pick, softmax, transpose, vector_canonical, vmax, vsum)
from ._vector_printing import formula_text, latex, notation

__all__ = [
    "parse_formula", "symbol", "from_sympy",
    "FormulaFunction", "BACKEND_NAMES", "register_function", "formula_function",
    "function_for_head", "parseable_functions", "sech2", "dsigmoid", "max_min_partial",
    "STABLE_HEADS", "Primitive", "PrimitiveFunction", "register_primitive", "primitive_class",
    "register_primitive_loader", "fused_primitives", "function_names", "sigmoid", "softplus",
    "log_sigmoid", "relu",
    "derivative", "readable", "undefined_reason", "reverse_gradients", "dag_size", "subexpressions",
    "rewrite_bottom_up", "substitute_symbols", "post_order",
    "MAX_CONSTANT_DIGITS", "MAX_DERIVATIVE_NODES", "MAX_NESTING", "MAX_NODES",
    "MAX_PRINTED_NESTING", "MAX_ORDER", "MAX_TREE_NODES", "check_size", "check_composition",
    "constant_digits", "measure",
    "operation_digits",
    "ShapedSymbol", "IndexSymbol", "Size", "Ones", "Identity", "size", "shape_of",
    "format_shape", "is_shaped", "shaped_atoms", "bind_sizes", "rebind", "sizes_of",
    "VecOp", "vsum", "mean", "vmax", "logsumexp", "norm", "softmax", "log_softmax", "dot", "matmul",
    "outer", "transpose", "diag", "pick", "onehot", "vector_canonical",
    "vector_gradients", "jvp", "jacobian", "derivative_of", "JacobianOf", "tidy",
    "notation", "formula_text", "latex", "ExactFormulaPrinter",
]
