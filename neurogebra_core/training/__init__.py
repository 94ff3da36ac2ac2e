"""The training layer: fitting an Expression's params to data.

The Trainer composes the model with a loss (catalog names, formulas,
penalties), differentiates it in one reverse-mode pass, compiles it, and
steps an optimiser over batches.
"""

from ._history import History
from ._losses import REGULARIZERS, loss_expression
from ._metrics import Metric, evaluate_metrics, make_metrics
from ._progress import Progress, progress_mode
from ._schedules import SCHEDULE_UNITS, Schedule
from ._trainer import Trainer

__all__ = ["Trainer", "History", "REGULARIZERS", "loss_expression", "Metric", "make_metrics",
           "evaluate_metrics", "Progress", "progress_mode", "Schedule", "SCHEDULE_UNITS"]
