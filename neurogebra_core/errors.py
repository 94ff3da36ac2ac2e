"""The exceptions neurogebra raises.

Every error a user can provoke with bad input is a :class:`NeurogebraError`
subclass whose message names what was wrong and, where possible, how to fix
it. Each subclass also derives from the closest built-in exception so that
generic ``except ValueError`` code keeps working.
"""

from __future__ import annotations

import difflib
import itertools
import reprlib
from typing import Iterable

__all__ = [
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
    "PluginWarning",
    "MissingDependencyError",
    "did_you_mean",
    "shown",
]


class NeurogebraError(Exception):
    """Base class of every error neurogebra raises on purpose."""


class ArgumentError(NeurogebraError, ValueError):
    """An argument of a neurogebra call is invalid (wrong type or range)."""


class FormulaError(NeurogebraError, ValueError):
    """A formula text could not be parsed, or uses something not allowed.

    ``formula`` and ``offset`` locate the offending part; the message shows it
    underlined so a user sees what to change.
    """

    def __init__(self, message: str, formula: str | None = None,
                 offset: int | None = None, length: int = 1):
        self.reason = message
        self.formula = formula
        self.offset = offset
        if formula is not None and offset is not None and "\n" not in formula:
            message = f"{message}\n{_underline(formula, offset, max(1, length))}"
        elif formula is not None:
            shown = formula if len(formula) <= 60 else formula[:60] + "..."
            message = f"{message} (in formula {shown!r})"
        super().__init__(message)


def _underline(formula: str, offset: int, length: int, width: int = 40) -> str:
    """Two lines: the formula (a window of it when long) and carets under the part."""
    start = max(0, offset - width)
    end = min(len(formula), offset + min(length, 2 * width) + width)
    prefix = "..." if start else ""
    suffix = "..." if end < len(formula) else ""
    shown = prefix + formula[start:end] + suffix
    caret = " " * (len(prefix) + offset - start) + "^" * min(length, end - offset)
    return f"    {shown}\n    {caret}"


class ShapeError(FormulaError):
    """Shapes that do not fit: in a formula (``W @ x`` with the wrong sizes), or
    between a formula and the arrays it is evaluated on.

    The message names both shapes; raised before any computation.
    """


class VariableError(NeurogebraError, ValueError):
    """A variable or keyword given to ``eval`` is missing or unknown."""


class ParameterError(NeurogebraError, ValueError):
    """A parameter is unknown, conflicting or has an invalid value."""


class CompositionError(NeurogebraError, ValueError):
    """Two expressions cannot be composed as asked (ambiguous variable...)."""


class EvaluationError(NeurogebraError, TypeError):
    """An input cannot be evaluated (wrong type, complex numbers...)."""


class DefinitionError(NeurogebraError, ValueError):
    """A YAML definition file is invalid; the message cites file:line."""

    def __init__(self, message: str, source: str | None = None,
                 line: int | None = None, field: str | None = None):
        self.reason = message
        self.source = source
        self.line = line
        self.field = field
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        if field:
            where += f"{field}: "
        super().__init__(where + message)


class PluginError(NeurogebraError, RuntimeError):
    """A plugin pack failed to load or misbehaved.

    ``pack`` and ``distribution`` name the culprit; the original exception,
    if any, is chained as ``__cause__``.
    """

    def __init__(self, message: str, pack: str | None = None,
                 distribution: str | None = None):
        self.pack = pack
        self.distribution = distribution
        super().__init__(message)


class MissingDependencyError(NeurogebraError, ImportError):
    """An optional dependency (an extra) is needed for this feature."""


class PluginWarning(UserWarning):
    """A pack was skipped or overridden; the catalog still works."""


class UnknownFunctionError(NeurogebraError, LookupError):
    """A name is not in the MathForge catalog."""

    def __str__(self) -> str:  # LookupError would repr() the message
        return str(self.args[0]) if self.args else ""


class RegistrationError(NeurogebraError, ValueError):
    """A registration would overwrite an existing entry or is malformed."""


class TrainingError(NeurogebraError, RuntimeError):
    """Training cannot go on (bad data, a diverging loss...).

    ``history`` holds what was recorded before the problem, when any.
    """

    def __init__(self, message: str, history=None):
        self.history = history
        super().__init__(message)


class DataError(TrainingError):
    """Data cannot be read as samples: arrays of different lengths, a batch
    whose shape differs from the first one, an empty source, a lazy array
    without known chunk sizes."""


# Suggestions compare names of at most this many characters: SequenceMatcher
# is quadratic in the length, and nobody misspells a 1000-character name.
MAX_SUGGESTED_LENGTH = 80
# Messages show at most this many characters of a value the user gave.
MAX_SHOWN_LENGTH = 60


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return a ' Did you mean ...?' suffix for ``name``, or ''.

    Only the closest matches are offered (within a small margin of the best),
    so a shared prefix does not drag every candidate in. The work is bounded:
    a name (or candidate) longer than ``MAX_SUGGESTED_LENGTH`` is not compared,
    and cheap upper bounds of the similarity skip most candidates.
    """
    if not isinstance(name, str) or len(name) > MAX_SUGGESTED_LENGTH:
        return ""
    matcher = difflib.SequenceMatcher(None, b=name.lower())
    scored = []
    for candidate in set(candidates):
        if not isinstance(candidate, str) or len(candidate) > MAX_SUGGESTED_LENGTH:
            continue
        matcher.set_seq1(candidate.lower())
        if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
            continue
        ratio = matcher.ratio()
        if ratio >= 0.6:
            scored.append((ratio, candidate))
    if not scored:
        return ""
    best = max(r for r, _ in scored)
    close = [c for r, c in sorted(scored, key=lambda rc: (-rc[0], rc[1])) if r >= best - 0.05]
    return " Did you mean " + " or ".join(repr(c) for c in close[:3]) + "?"


def shown(value) -> str:
    """``repr(value)`` for a message, cut to about ``MAX_SHOWN_LENGTH`` characters.

    A name a user passes may be a megabyte long, a list a million items, an
    int too long for ``repr``; the message stays one readable line.
    """
    if isinstance(value, int) and value.bit_length() > 512:
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, str) and len(value) > MAX_SHOWN_LENGTH:
        return f"{value[:MAX_SHOWN_LENGTH]!r}... ({len(value)} characters)"
    return _SHORT_REPR.repr(value)


class _ShortRepr(reprlib.Repr):
    """reprlib's bounded repr, with mappings in their own order (as Python prints them)."""

    def repr_dict(self, x, level):
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [f"{self.repr1(k, level - 1)}: {self.repr1(x[k], level - 1)}"
                 for k in itertools.islice(x, self.maxdict)]
        return "{" + ", ".join(items + ["..."] * (len(x) > self.maxdict)) + "}"


_SHORT_REPR = _ShortRepr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = MAX_SHOWN_LENGTH
