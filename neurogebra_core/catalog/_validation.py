"""Checking definition files: schema, formulas, names and worked examples.

Used by ``neurogebra validate PATH...`` and by the test suite on the
built-in registry. Every problem is reported as ``file:line: field: message``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import DefinitionError, NeurogebraError
from ..expression import Expression
from ._definitions import FunctionDefinition, expression_from_definition
from ._files import definition_files, paths_argument, read_definition_file
from ._pack_primitives import load_installed_primitives

__all__ = ["validate_paths", "check_examples", "example_mismatch"]

DEFAULT_TOLERANCE = 1e-9


def validate_paths(paths: Iterable[str | Path] | str | Path
                   ) -> tuple[int, list[DefinitionError]]:
    """Validate every definition file under ``paths``.

    Files are found as the catalog finds them (folders to any depth). The
    primitives of installed packs are registered first, so a pack's own
    files may use them.

    Args:
        paths: Files or folders (one path alone is one path).

    Returns:
        The number of functions checked, and every problem found.

    Raises:
        ArgumentError: ``paths`` is not a path or a list of paths.
    """
    paths = paths_argument(paths, "validate_paths()")
    load_installed_primitives()
    problems: list[DefinitionError] = []
    owners: dict[str, FunctionDefinition] = {}
    count = 0
    for file in _files(paths, problems):
        try:
            definitions, errors = read_definition_file(file)
        except DefinitionError as exc:
            problems.append(exc)
            continue
        problems += errors
        for definition in definitions:
            count += 1
            problems += _check_names(definition, owners)
            try:
                expression = expression_from_definition(definition)
            except DefinitionError as exc:
                problems.append(exc)
                continue
            problems += check_examples(definition, expression)
    return count, problems


def _files(paths: Iterable[str | Path], problems: list[DefinitionError]) -> list:
    files = []
    for path in paths:
        try:
            found = definition_files(path)
        except DefinitionError as exc:
            problems.append(exc)
            continue
        if not found:
            problems.append(DefinitionError("no definition files (.yaml or .yml) found here",
                                            str(Path(path).resolve())))
        files += found
    return files


def _check_names(definition: FunctionDefinition, owners: dict) -> list[DefinitionError]:
    problems = []
    for name, field in [(definition.name, "name")] + [(a, "aliases") for a in definition.aliases]:
        other = owners.get(name)
        if other is not None:
            source, line = other.where()
            problems.append(definition.error(
                f"{name!r} is already used by {other.name!r} ({source}:{line})", field))
        else:
            owners[name] = definition
    return problems


def check_examples(definition: FunctionDefinition, expression: Expression
                   ) -> list[DefinitionError]:
    """Evaluate each example and compare with its expected ``value``."""
    problems = []
    lines = definition.example_lines or (None,) * len(definition.examples)
    for example, line in zip(definition.examples, lines):
        message = example_mismatch(expression, example)
        if message is not None:
            problems.append(definition.error(message, "examples", line))
    return problems


def example_mismatch(expression: Expression, example: dict) -> str | None:
    """What is wrong with one example (inputs, ``value``, ``tolerance``), or None."""
    inputs = {k: v for k, v in example.items() if k not in ("value", "tolerance")}
    expected = example["value"]
    tolerance = example.get("tolerance", DEFAULT_TOLERANCE)
    try:
        got = expression.eval(**inputs)
    except NeurogebraError as exc:
        return f"example {inputs}: {exc}"
    except Exception as exc:   # a bug, or a pack's kernel: a problem to report, not a crash
        return f"example {inputs}: evaluation failed: {type(exc).__name__}: {exc}"
    if _close(got, expected, tolerance):
        return None
    return f"example {inputs} gives {got!r}, expected {expected!r}"


def _close(got, expected, tolerance: float) -> bool:
    if isinstance(expected, list) or isinstance(got, np.ndarray):
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        return got.shape == expected.shape and all(
            _close(float(g), float(e), tolerance) for g, e in zip(got.flat, expected.flat))
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    return math.isclose(got, expected, rel_tol=tolerance, abs_tol=1e-12)
