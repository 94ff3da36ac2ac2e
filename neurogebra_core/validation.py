"""Checking definition files: schema, formulas, names and worked examples.

Used by ``neurogebra validate PATH...`` and by the test suite on the
built-in registry. Every problem is reported as ``file:line: field: message``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

from .definitions import FunctionDefinition, read_definitions
from .errors import DefinitionError, NeurogebraError
from .expression import Expression
from .forge import MathForge, expression_from_definition

__all__ = ["validate_paths", "check_examples"]

DEFAULT_TOLERANCE = 1e-9


def _files(paths: Iterable[str | Path]) -> list[Path]:
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


def validate_paths(paths: Iterable[str | Path]) -> tuple[int, list[DefinitionError]]:
    """Validate every YAML file under ``paths``; return (functions checked, problems).

    The primitives of installed packs are registered first, so a pack's own
    files may use them.
    """
    MathForge()
    problems: list[DefinitionError] = []
    owners: dict[str, FunctionDefinition] = {}
    count = 0
    for file in _files(paths):
        try:
            definitions, errors = read_definitions(file.read_text(encoding="utf-8"), str(file))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(DefinitionError(f"cannot read the file: {exc}", str(file)))
            continue
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
        inputs = {k: v for k, v in example.items() if k not in ("value", "tolerance")}
        expected = example["value"]
        tolerance = example.get("tolerance", DEFAULT_TOLERANCE)
        try:
            got = expression.eval(**inputs)
        except NeurogebraError as exc:
            problems.append(definition.error(f"example {inputs}: {exc}", "examples", line))
            continue
        if not _close(got, expected, tolerance):
            problems.append(definition.error(
                f"example {inputs} gives {got!r}, expected {expected!r}", "examples", line))
    return problems


def _close(got: float, expected: float, tolerance: float) -> bool:
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    return math.isclose(got, expected, rel_tol=tolerance, abs_tol=1e-12)
