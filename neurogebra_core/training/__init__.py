"""The training layer: fitting an Expression's params to data.

The Trainer composes the model with a loss (catalog names, formulas,
penalties), differentiates it in one reverse-mode pass, compiles it, and
steps an optimiser over batches; models may have vector and matrix params
(initial values from ``initialize``), and ``accuracy`` scores classifiers.
"""

from ._history import History
from ._init import INITIALIZERS, initialize
from ._losses import REGULARIZERS, loss_expression
from ._metrics import METRICS, Metric, accuracy, evaluate_metrics, make_metrics
from ._progress import Progress, progress_mode
from ._schedules import SCHEDULE_UNITS, Schedule
from ._trainer import Trainer

__all__ = ["Trainer", "History", "REGULARIZERS", "loss_expression", "Metric", "make_metrics",
           "evaluate_metrics", "Progress", "progress_mode", "Schedule", "SCHEDULE_UNITS",
           "initialize", "INITIALIZERS", "accuracy", "METRICS"]
