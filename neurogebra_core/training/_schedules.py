"""Learning-rate schedules: formulas of the epoch or step count ``t``.

A schedule is a catalog name (the built-in ``schedules`` pack has
``constant_lr``, ``step_decay``, ``exponential_decay``, ``cosine_decay``,
``warmup_cosine_decay`` and ``one_cycle``), formula text, or an Expression,
in one variable: ``t``, counted from 0 at the start of each fit, once per
epoch (``schedule_unit="epoch"``) or once per optimiser step (``"step"``).
Its value is the learning rate the optimiser uses from then on.
"""

from __future__ import annotations

import math

from ..errors import ArgumentError, TrainingError, UnknownFunctionError, VariableError
from ..expression import Expression

__all__ = ["Schedule", "SCHEDULE_UNITS"]

SCHEDULE_UNITS = ("epoch", "step")


class Schedule:
    """A learning rate as a function of the epoch or step count.

    Args:
        schedule: A catalog name, formula text or Expression of one variable.
        unit: ``"epoch"`` or ``"step"``: what ``t`` counts.
        forge: The catalog that resolves names.

    Raises:
        ArgumentError: an unknown unit.
        VariableError: the schedule does not have exactly one variable.
    """

    def __init__(self, schedule, unit: str, forge):
        if unit not in SCHEDULE_UNITS:
            raise ArgumentError(f"schedule_unit must be 'epoch' or 'step', got {unit!r}")
        self.unit = unit
        self.expression = _expression(schedule, forge)
        if len(self.expression.variables) != 1:
            raise VariableError(
                f"a schedule is a function of one count t; {self.expression.name!r} has "
                f"variables {', '.join(self.expression.variables) or '(none)'}")

    def __call__(self, t: int) -> float:
        """The learning rate at count ``t``.

        Raises:
            TrainingError: the value is negative or not finite.
        """
        value = self.expression(float(t))
        if not (math.isfinite(value) and value >= 0):
            raise TrainingError(f"the schedule {self.expression.name!r} gives the learning "
                                f"rate {value} at {self.unit} {t}; a rate is finite and >= 0")
        return value


def _expression(schedule, forge) -> Expression:
    if isinstance(schedule, Expression):
        return schedule
    if not isinstance(schedule, str):
        raise ArgumentError(f"schedule must be a catalog name, a formula or an Expression, "
                            f"got {type(schedule).__name__}")
    if schedule.isidentifier():
        try:
            return forge.get(schedule)
        except UnknownFunctionError:
            known = forge.list_all(category="schedule") if "schedule" in forge.categories() \
                else []
            raise UnknownFunctionError(
                f"no schedule named {schedule!r}; the catalog's schedules: "
                f"{', '.join(known) or '(none)'}; or write a formula in t") from None
    return Expression("schedule", schedule)
