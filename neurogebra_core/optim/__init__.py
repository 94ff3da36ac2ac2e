"""The optimisers: update rules on NumPy vectors of param values.

They sit below the catalog because packs contribute optimisers through the
``neurogebra_optimizers`` hook, and the catalog checks what packs return.
"""

from ._optimizers import (BUILTIN_OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Momentum, Optimizer,
                          RMSprop, make_optimizer, optimizer_problem)

__all__ = ["Optimizer", "SGD", "Momentum", "RMSprop", "Adagrad", "Adam", "AdamW",
           "BUILTIN_OPTIMIZERS", "make_optimizer", "optimizer_problem"]
