"""neurogebra: the mathematics of machine learning as readable, fast formulas.

Public API only; everything else lives in private modules.
"""

from ._version import __version__
from .checking import GradientCheck, check_gradient, numerical_gradient
from .errors import (ArgumentError, CompositionError, DefinitionError, EvaluationError,
                     FormulaError, NeurogebraError, ParameterError, PluginError,
                     MissingDependencyError, PluginWarning, RegistrationError,
                     UnknownFunctionError, VariableError)
from .expression import Expression
from .forge import MathForge
from .hookspecs import hookimpl
from .plotting import plot_many
from .optimizers import SGD, Adagrad, Adam, AdamW, Momentum, Optimizer, RMSprop
from .primitives import Primitive
from .training import History, Trainer, TrainingError

__all__ = [
    "__version__",
    "Expression",
    "MathForge",
    "hookimpl",
    "Primitive",
    "Trainer",
    "History",
    "Optimizer",
    "SGD",
    "Momentum",
    "RMSprop",
    "Adagrad",
    "Adam",
    "AdamW",
    "plot_many",
    "numerical_gradient",
    "check_gradient",
    "GradientCheck",
    "NeurogebraError",
    "ArgumentError",
    "FormulaError",
    "VariableError",
    "ParameterError",
    "CompositionError",
    "EvaluationError",
    "DefinitionError",
    "PluginError",
    "UnknownFunctionError",
    "RegistrationError",
    "TrainingError",
    "MissingDependencyError",
    "PluginWarning",
]
