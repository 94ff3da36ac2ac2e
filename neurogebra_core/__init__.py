"""neurogebra: the mathematics of machine learning as readable, fast formulas.

The public API, re-exported from the layers (see docs/architecture.md)::

    symbolic   formula text -> SymPy: the function table, parser, primitives, derivatives
    compile    SymPy -> fast functions: stable rewrites, code generation, backends, export
    optim      optimisers (update rules on NumPy vectors)
    render     documentation (text, HTML, Markdown) and plots
    expression Expression: the object users hold
    catalog    packs, definition files, MathForge
    training   Trainer
    cli        the neurogebra command
"""

from ._version import __version__ as __version__
from .catalog import MathForge as MathForge
from .catalog import hookimpl as hookimpl
from .catalog import load_expression as load
from .errors import ArgumentError as ArgumentError
from .errors import CompositionError as CompositionError
from .errors import DataError as DataError
from .errors import DefinitionError as DefinitionError
from .errors import EvaluationError as EvaluationError
from .errors import FormulaError as FormulaError
from .errors import MissingDependencyError as MissingDependencyError
from .errors import NeurogebraError as NeurogebraError
from .errors import ParameterError as ParameterError
from .errors import PluginError as PluginError
from .errors import PluginWarning as PluginWarning
from .errors import RegistrationError as RegistrationError
from .errors import ShapeError as ShapeError
from .errors import TrainingError as TrainingError
from .errors import UnknownFunctionError as UnknownFunctionError
from .errors import VariableError as VariableError
from .expression import Expression as Expression
from .expression import GradientCheck as GradientCheck
from .expression import check_gradient as check_gradient
from .expression import numerical_gradient as numerical_gradient
from .optim import SGD as SGD
from .optim import Adagrad as Adagrad
from .optim import Adam as Adam
from .optim import AdamW as AdamW
from .optim import Momentum as Momentum
from .optim import Optimizer as Optimizer
from .optim import RMSprop as RMSprop
from .render import plot_many as plot_many
from .symbolic import Primitive as Primitive
from .training import History as History
from .training import Trainer as Trainer
from .training import initialize as initialize

__all__ = [
    "__version__",
    "Expression",
    "MathForge",
    "hookimpl",
    "load",
    "Primitive",
    "Trainer",
    "History",
    "initialize",
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
    "ShapeError",
    "VariableError",
    "ParameterError",
    "CompositionError",
    "EvaluationError",
    "DefinitionError",
    "PluginError",
    "UnknownFunctionError",
    "RegistrationError",
    "TrainingError",
    "DataError",
    "MissingDependencyError",
    "PluginWarning",
]
