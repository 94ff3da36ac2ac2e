"""The training layer: fitting an Expression's params to data.

The Trainer composes the model with a loss (catalog names, formulas,
penalties), differentiates it in one reverse-mode pass, compiles it, and
steps an optimiser over batches.
"""

from ._history import History
from ._losses import REGULARIZERS, loss_expression
from ._trainer import Trainer

__all__ = ["Trainer", "History", "REGULARIZERS", "loss_expression"]
