"""The compile layer: SymPy -> fast functions for NumPy, math, JAX and PyTorch.

Stable rewrites, the code generator, backends (which resolve the kernels the
function table names), evaluation with its checked fast path, and export. It
knows nothing of the catalog. Layers above import from here, never from the
private modules.
"""

from ._backends import BACKENDS, Backend, get_backend, require_module
from ._bundle import BundleEvaluator
from ._codegen import compile_function
from ._evaluator import Evaluator
from ._export import to_function, to_torch_module
from ._fast_math import compiled_math_status
from ._jit import compiled_loop_status, compiling
from ._polynomials import horner
from ._stable import stabilize
from ._vector_codegen import BatchOuter, BatchSum, compile_vector_function
from ._vector_evaluator import SIMPLEX_TOLERANCE, VectorEvaluator, resolve_shape

__all__ = ["compile_function", "Evaluator", "BundleEvaluator", "Backend", "BACKENDS", "get_backend",
           "require_module", "to_function", "to_torch_module", "stabilize",
           "compile_vector_function", "BatchSum", "BatchOuter", "VectorEvaluator",
           "SIMPLEX_TOLERANCE", "resolve_shape", "compiled_math_status",
           "compiled_loop_status", "compiling", "horner"]
