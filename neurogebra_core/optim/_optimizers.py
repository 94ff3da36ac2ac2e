"""Gradient-based optimisers, as their papers (and PyTorch) define them.

An optimiser updates a vector of parameter values from a vector of gradients,
keeping its own state (moments, step count). ``step`` is called once per
batch; Adam's step counter therefore advances once per step, not once per
parameter. Third-party packs add optimisers through the
``neurogebra_optimizers`` hook.
"""

from __future__ import annotations

import math
import reprlib
from typing import Callable, Mapping

import numpy as np

from ..errors import ArgumentError, did_you_mean

__all__ = ["Optimizer", "SGD", "Momentum", "RMSprop", "Adagrad", "Adam", "AdamW",
           "BUILTIN_OPTIMIZERS", "make_optimizer", "optimizer_problem"]


class Optimizer:
    """Base class: ``step(values, gradients)`` returns the updated values.

    A subclass sets a unique lower-case ``name`` and implements
    ``_update(values, gradients)``; ``self.steps`` is already advanced.

    Args:
        learning_rate: The step size.
    """

    name = "optimizer"

    def __init__(self, learning_rate: float):
        _check_positive("learning_rate", learning_rate)
        self.learning_rate = float(learning_rate)
        self.steps = 0

    def step(self, values: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        """One update.

        Args:
            values: The current param values.
            gradients: The gradient of the loss at those values.

        Returns:
            The new values.
        """
        self.steps += 1
        return self._update(values, gradients)

    def _update(self, values, gradients):  # pragma: no cover - abstract
        raise NotImplementedError

    def hyperparameters(self) -> dict:
        """The settings, for summaries and history."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and k != "steps"}

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({settings})"


def _check_positive(name, value, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise ArgumentError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                            f"number, got {reprlib.repr(value)}")


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:   # an int beyond float64
        return False


def _check_fraction(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ArgumentError(f"{name} must be in [0, 1), got {value!r}")


class SGD(Optimizer):
    """Plain gradient descent: p <- p - lr * (g + weight_decay * p).

    Args:
        learning_rate: The step size.
        weight_decay: L2 penalty folded into the gradient.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, weight_decay: float = 0.0):
        super().__init__(learning_rate)
        _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.weight_decay = float(weight_decay)

    def _update(self, values, gradients):
        if self.weight_decay:
            gradients = gradients + self.weight_decay * values
        return values - self.learning_rate * gradients


class Momentum(Optimizer):
    """Heavy-ball momentum (PyTorch form): v <- mu*v + g; p <- p - lr*v.

    Args:
        learning_rate: The step size.
        momentum: mu, in [0, 1).
        nesterov: Step by g + mu*v instead (Sutskever et al. 2013).
        weight_decay: L2 penalty folded into the gradient.
    """

    name = "momentum"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(learning_rate)
        _check_fraction("momentum", momentum)
        _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)
        self._velocity = None

    def _update(self, values, gradients):
        if self.weight_decay:
            gradients = gradients + self.weight_decay * values
        if self._velocity is None:
            self._velocity = np.array(gradients, dtype=float)
        else:
            self._velocity = self.momentum * self._velocity + gradients
        direction = gradients + self.momentum * self._velocity if self.nesterov \
            else self._velocity
        return values - self.learning_rate * direction


class RMSprop(Optimizer):
    """s <- alpha*s + (1 - alpha)*g^2; p <- p - lr*g/(sqrt(s) + eps) (Hinton 2012).

    Args:
        learning_rate: The step size.
        alpha: Decay of the running mean of squared gradients, in [0, 1).
        eps: Added to the denominator.
    """

    name = "rmsprop"

    def __init__(self, learning_rate: float = 0.01, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(learning_rate)
        _check_fraction("alpha", alpha)
        _check_positive("eps", eps)
        self.alpha, self.eps = float(alpha), float(eps)
        self._square = None

    def _update(self, values, gradients):
        if self._square is None:
            self._square = np.zeros_like(values)
        self._square = self.alpha * self._square + (1 - self.alpha) * gradients ** 2
        return values - self.learning_rate * gradients / (np.sqrt(self._square) + self.eps)


class Adagrad(Optimizer):
    """s <- s + g^2; p <- p - lr*g/(sqrt(s) + eps) (Duchi, Hazan & Singer 2011).

    Args:
        learning_rate: The step size.
        eps: Added to the denominator.
    """

    name = "adagrad"

    def __init__(self, learning_rate: float = 0.01, eps: float = 1e-10):
        super().__init__(learning_rate)
        _check_positive("eps", eps)
        self.eps = float(eps)
        self._sum = None

    def _update(self, values, gradients):
        if self._sum is None:
            self._sum = np.zeros_like(values)
        self._sum = self._sum + gradients ** 2
        return values - self.learning_rate * gradients / (np.sqrt(self._sum) + self.eps)


_FEW = 16   # params updated as Python floats (Adam): below this, NumPy's calls cost more


def _adam(m, v, g, x, rate, beta1, beta2, correction1, correction2, eps, sqrt):
    """Adam's new moments and new values ``x - rate*m_hat/(sqrt(v_hat) + eps)``,
    for arrays or for one param's floats (``sqrt``: NumPy's or the math
    module's; both round correctly)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return m, v, x - rate * ((m / correction1) / (sqrt(v / correction2) + eps))


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; t counts steps, not params.

    Args:
        learning_rate: The step size.
        beta1: Decay of the first moment, in [0, 1).
        beta2: Decay of the second moment, in [0, 1).
        eps: Added to the denominator.
        weight_decay: L2 penalty folded into the gradient, as torch.optim.Adam.
    """

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(learning_rate)
        _check_fraction("beta1", beta1)
        _check_fraction("beta2", beta2)
        _check_positive("eps", eps)
        _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.weight_decay = float(weight_decay)
        self._m = self._v = None

    def _moved(self, values, gradients):
        """``values`` moved by Adam's step, the moments updated.

        A few params (a line's two) are updated as Python floats, one at a time:
        the same operations in the same order, so the same bits, without a dozen
        NumPy calls on two-element arrays (a fifth of a line fit's epoch)."""
        if self._m is None:
            self._m = np.zeros_like(gradients)
            self._v = np.zeros_like(gradients)
        settings = (self.learning_rate, self.beta1, self.beta2, 1 - self.beta1 ** self.steps,
                    1 - self.beta2 ** self.steps, self.eps)
        if gradients.ndim == 1 and gradients.size <= _FEW:
            rows = [_adam(m, v, g, x, *settings, math.sqrt) for m, v, g, x in zip(
                self._m.tolist(), self._v.tolist(), gradients.tolist(), values.tolist())]
            self._m, self._v, moved = (np.array(c, dtype=np.float64) for c in zip(*rows))
            return moved
        self._m, self._v, moved = _adam(self._m, self._v, gradients, values, *settings, np.sqrt)
        return moved

    def _update(self, values, gradients):
        if self.weight_decay:   # L2 penalty folded into the gradient, as torch.optim.Adam
            gradients = gradients + self.weight_decay * values
        return self._moved(values, gradients)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019):
    p <- p - lr*wd*p, then the Adam step.

    Args:
        learning_rate: The step size.
        beta1: Decay of the first moment, in [0, 1).
        beta2: Decay of the second moment, in [0, 1).
        eps: Added to the denominator.
        weight_decay: The decoupled decay rate.
    """

    name = "adamw"

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01):
        super().__init__(learning_rate, beta1, beta2, eps, weight_decay=0.0)
        _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.decoupled_weight_decay = float(weight_decay)

    def _update(self, values, gradients):
        decayed = values * (1 - self.learning_rate * self.decoupled_weight_decay)
        return self._moved(decayed, gradients)


BUILTIN_OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, RMSprop, Adagrad, Adam, AdamW)}


def make_optimizer(spec, learning_rate: float | None, extra: dict[str, Callable] | None = None,
                   **settings) -> Optimizer:
    """An optimiser from a name (built-in or from a pack) or an instance."""
    if isinstance(spec, Optimizer):
        if learning_rate is not None or settings:
            raise ArgumentError("pass settings to the optimizer object itself, not to Trainer")
        return spec
    table = {**BUILTIN_OPTIMIZERS, **(extra or {})}
    if not isinstance(spec, str) or spec.lower() not in table:
        raise ArgumentError(f"unknown optimizer {spec!r}.{did_you_mean(str(spec), table)} "
                            f"Available: {', '.join(sorted(table))}")
    if learning_rate is not None:
        settings["learning_rate"] = learning_rate
    try:
        optimizer = table[spec.lower()](**settings)
    except ArgumentError:
        raise
    except Exception as exc:   # a pack's optimiser may raise anything from its constructor
        raise ArgumentError(f"optimizer {spec!r} could not be built: "
                            f"{type(exc).__name__}: {exc}") from None
    if not isinstance(optimizer, Optimizer):
        raise ArgumentError(f"optimizer {spec!r} did not build a neurogebra Optimizer")
    return optimizer


def optimizer_problem(cls, taken: Mapping[str, object] = ()) -> str | None:
    """What is wrong with ``cls`` as an optimiser a pack contributes, or None.

    It must be an :class:`Optimizer` subclass with a ``name`` that neither a
    built-in optimiser nor one in ``taken`` already has.
    """
    name = getattr(cls, "name", None)
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        return f"returned {cls!r}, not a neurogebra.Optimizer subclass"
    if not isinstance(name, str) or name in BUILTIN_OPTIMIZERS or name in taken:
        return f"has an optimizer whose name {name!r} is missing or taken"
    return None
