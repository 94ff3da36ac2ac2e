"""Definition files: functions and their documentation, without code.

A file looks like::

    schema: 1
    functions:
      - name: leaky_relu
        formula: where(x > 0, x, alpha*x)
        params:
          alpha: {default: 0.01, description: slope for x < 0}
        description: ReLU with a small slope for negative inputs.
        examples:
          - {x: -5, value: -0.05}

:func:`read_definitions` checks a file's text against the schema (``_schema``)
and returns one :class:`FunctionDefinition` per valid entry and one error per
invalid one, each citing file, line and field with a hint on how to fix it.
:func:`expression_from_definition` builds the Expression a definition describes.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from .._version import __version__
from ..errors import DefinitionError, NeurogebraError, did_you_mean, shown
from ..expression import Expression
from . import _schema, _yaml
from ._definition_cache import cached
from ._schema import FIELDS, FIELDS_BY_NAME, SCHEMA_VERSIONS, SHAPES_VERSION, TOP_LEVEL, \
    ParamDefinition, uses_shapes
from ._yaml import LineMapping, load_yaml

__all__ = ["FunctionDefinition", "read_definitions", "expression_from_definition",
           "build_expression", "definition_from_fields", "checked_metadata"]

_TOP_LEVEL_NAMES = [name for name, _, _ in TOP_LEVEL]
_REQUIRED = {field.name for field in FIELDS if field.required}


class FunctionDefinition:
    """One checked function definition, with where it came from.

    Every schema field reads as an attribute (``definition.params``,
    ``definition.aliases``...), with the field's default when absent.
    """

    def __init__(self, values: dict[str, Any], source: str, line: int | None,
                 lines: dict[str, int], example_lines: tuple[int, ...] = ()):
        self.values = values
        self.source = source
        self.line = line
        self.lines = lines
        self.example_lines = example_lines

    def __getattr__(self, name: str):
        field = FIELDS_BY_NAME.get(name)
        if field is None:
            raise AttributeError(name)
        return self.values.get(name, field.default)

    def __repr__(self) -> str:
        return f"FunctionDefinition({self.name!r}, {self.source}:{self.line})"

    def where(self, field_name: str | None = None) -> tuple[str, int]:
        """``(source, line)`` of this definition or of one of its fields."""
        return self.source, self.lines.get(field_name, self.line)

    def error(self, message: str, field_name: str | None = None,
              line: int | None = None) -> DefinitionError:
        """A DefinitionError citing this definition (or one of its fields)."""
        source, default_line = self.where(field_name)
        return DefinitionError(message, source, line or default_line,
                               field_name and f"{self.name}.{field_name}")

    def metadata(self) -> dict[str, Any]:
        """The documentation fields, as an Expression's metadata."""
        meta = {}
        for field in FIELDS:
            value = getattr(self, field.name)
            if field.documentation and value:
                meta[field.name] = list(value) if isinstance(value, tuple) else value
        if self.params:
            meta["param_descriptions"] = {k: p.description for k, p in self.params.items()
                                          if p.description}
        if self.line is not None:   # a file's definition, not register()'s
            meta["source"] = f"{self.source}:{self.line}"
        return meta

    def shapes(self) -> dict:
        """The declared vectors, matrices and class indices, as ``Expression(shapes=...)``."""
        variables = self.variables if isinstance(self.variables, dict) else {}
        declared = {name: spec for name, spec in variables.items() if spec}
        declared.update({name: list(p.shape) for name, p in self.params.items() if p.shape})
        return declared


def read_definitions(text: str, source: str) -> tuple[list[FunctionDefinition],
                                                      list[DefinitionError]]:
    """Parse and check a definition file's text.

    Returns:
        The valid definitions, and one error per invalid definition.

    Raises:
        DefinitionError: the file as a whole cannot be read.
    """
    return cached(text, _CHECKS_VERSION, lambda: _read_definitions(text, source),
                  _stored, lambda data: _restored(data, source))


def _read_definitions(text: str, source: str):
    data = load_yaml(text, source)
    if not isinstance(data, LineMapping):
        raise DefinitionError("a definition file is a mapping with `schema: 1` and "
                              "`functions:`", source, 1)
    _check_top_level(data, source)
    definitions, errors = [], []
    for item in data["functions"]:
        try:
            definitions.append(_definition(item, source, data.line, data["schema"]))
        except DefinitionError as exc:
            errors.append(exc)
    return definitions, errors


def _stored(result) -> list | None:
    """A file's checked definitions as JSON data; None (store nothing) when some
    definition failed, so that its error is reported at every read."""
    definitions, errors = result
    if errors:
        return None
    return [[_json_values(d.values), d.line, d.lines, d.example_lines] for d in definitions]


def _json_values(values: dict) -> dict:
    stored = dict(values)
    if "params" in stored:
        stored["params"] = {name: [p.default.tolist() if isinstance(p.default, np.ndarray)
                                   else p.default, p.description, p.shape]
                            for name, p in stored["params"].items()}
    return stored


def _restored(data: list, source: str):
    """The result :func:`_stored` wrote: every list-valued field is a tuple once
    checked (lists inside, as in examples' vectors, stay lists)."""
    definitions = []
    for values, line, lines, example_lines in data:
        if not _REQUIRED <= values.keys() <= FIELDS_BY_NAME.keys():
            raise KeyError("not a checked definition")   # a damaged entry
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = tuple(value)
        if "params" in values:
            values["params"] = {name: ParamDefinition(
                np.array(default, dtype=np.float64) if isinstance(default, list) else default,
                description, tuple(shape)) for name, (default, description, shape)
                in values["params"].items()}
        definitions.append(FunctionDefinition(values, source, line, lines, tuple(example_lines)))
    return definitions, []


def _checks_version() -> str:
    """This release and the reading and checking modules' sizes and times: an
    edited check (in a working copy) is a new version too."""
    stamps = []
    for path in (__file__, _schema.__file__, _yaml.__file__):
        try:
            info = os.stat(path)
            stamps.append(f"{info.st_size}:{info.st_mtime_ns}")
        except (OSError, TypeError):   # no file (a frozen or zipped install)
            stamps.append("-")
    return " ".join([__version__, *stamps])


_CHECKS_VERSION = _checks_version()


def _check_top_level(data: LineMapping, source: str) -> None:
    for key in data:
        if key not in _TOP_LEVEL_NAMES:
            raise DefinitionError(f"unknown top-level key {shown(key)}."
                                  f"{did_you_mean(key, _TOP_LEVEL_NAMES)}"
                                  f" Allowed: {', '.join(_TOP_LEVEL_NAMES)}",
                                  source, data.key_lines[key])
    version = data.get("schema")
    if version is None:
        raise DefinitionError("missing `schema: 1` (the format version) at the top",
                              source, data.line)
    if type(version) is not int or version not in SCHEMA_VERSIONS:   # not true, 1.0
        raise DefinitionError(
            f"schema {shown(version)} is not supported; this neurogebra reads "
            f"{', '.join(map(str, SCHEMA_VERSIONS))}", source, data.key_lines["schema"], "schema")
    functions = data.get("functions")
    if not isinstance(functions, list):
        raise DefinitionError("`functions:` must be a list of definitions (items start with -)",
                              source, data.key_lines.get("functions", data.line), "functions")


def _definition(item, source: str, parent_line: int, version: int) -> FunctionDefinition:
    if not isinstance(item, LineMapping):
        raise DefinitionError("each item of `functions:` must be a mapping with name and "
                              "formula", source, parent_line)
    where = {k: item.key_lines[k] for k in item}
    values = _checked_values(item, source, item.line, where, version)
    example_lines = tuple(getattr(e, "line", where.get("examples"))
                          for e in item.get("examples", ()))
    return FunctionDefinition(values, source, item.line, where, example_lines)


def _checked_values(item: Mapping, source: str, line: int | None, where: dict,
                    version: int) -> dict[str, Any]:
    """One definition's fields checked and converted by the schema's field kinds."""
    name = item.get("name")
    label = _cut(name) if isinstance(name, str) else "?"

    def failing(key):
        return lambda message: DefinitionError(message, source, where.get(key, line),
                                               f"{label}.{_cut(key)}")

    for key in item:
        if key not in FIELDS_BY_NAME:
            raise failing(key)(f"unknown field {shown(key)}.{did_you_mean(key, FIELDS_BY_NAME)}"
                               f" Allowed fields: {', '.join(FIELDS_BY_NAME)}")
    for field in FIELDS:
        if field.required and field.name not in item:
            raise failing(field.name)(f"missing required field {field.name!r}")
    values = {field.name: field.kind.read(item[field.name], field.name, failing(field.name))
              for field in FIELDS if field.name in item}
    unknown = [t for t in values.get("trainable", ()) if t not in values.get("params", {})]
    if unknown:
        raise failing("trainable")(f"trainable names {unknown} are not params")
    shaped = uses_shapes(values) if version < SHAPES_VERSION else None
    if shaped:
        raise failing(shaped)(f"vectors, matrices and class indices need "
                              f"`schema: {SHAPES_VERSION}` at the top of the file")
    return values


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def definition_from_fields(fields: Mapping[str, Any], source: str) -> FunctionDefinition:
    """A definition given as Python values (``MathForge.register(name, formula,
    **fields)``), checked exactly as a file's definition is.

    Raises:
        DefinitionError: a field is unknown, missing or not of its kind.
    """
    return FunctionDefinition(_checked_values(fields, source, None, {}, SCHEMA_VERSIONS[-1]),
                              source, None, {})


def checked_metadata(metadata: Mapping, source: str) -> dict[str, Any]:
    """An Expression's metadata with each documentation field checked by its
    kind in the schema, as a file's would be (``aliases="mf"`` is one alias,
    ``pros=5`` an error); other keys are kept as they are.

    Raises:
        DefinitionError: a documentation field is not of its kind.
    """
    if not isinstance(metadata, Mapping):
        raise DefinitionError(f"metadata must be a mapping, got {type(metadata).__name__}",
                              source)
    checked = dict(metadata)
    for field in FIELDS:
        if field.documentation and field.name in metadata:
            value = field.kind.read(metadata[field.name], field.name,
                                    lambda message: DefinitionError(message, source))
            checked[field.name] = list(value) if isinstance(value, tuple) else value
    descriptions = metadata.get("param_descriptions", {})
    if not (isinstance(descriptions, Mapping)
            and all(isinstance(v, str) for v in descriptions.values())):
        raise DefinitionError("param_descriptions must map param names to text", source)
    return checked


def build_expression(definition: FunctionDefinition) -> Expression:
    """The Expression a definition describes; errors are the Expression's own.

    Raises:
        NeurogebraError: the formula, params or variables do not fit together.
    """
    variables = definition.variables
    return Expression(definition.name, definition.formula,
                      params={k: p.default for k, p in definition.params.items()},
                      trainable_params=definition.trainable,
                      metadata=definition.metadata(),
                      variables=None if variables is None else list(variables),
                      shapes=definition.shapes() or None)


def expression_from_definition(definition: FunctionDefinition) -> Expression:
    """Build (and check) the Expression a definition describes.

    Raises:
        DefinitionError: the formula, params or variables do not fit together;
            the message cites the definition's file and line.
    """
    try:
        return build_expression(definition)
    except NeurogebraError as exc:
        raise definition.error(str(exc), "formula") from exc
