"""The definition-file schema, declared once.

Each field of a function definition is one :class:`Field`: its name, its
kind (which says how a value is checked and converted, how the type reads in
the documentation, and its JSON Schema), whether it is required, whether it
is documentation (copied into the Expression's metadata), and what it means.
Reading files, the field table of ``docs/yaml-format.md`` and the JSON Schema
that ``neurogebra schema`` prints are all generated from :data:`FIELDS`.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import shown

__all__ = ["Field", "Kind", "FIELDS", "FIELDS_BY_NAME", "TOP_LEVEL", "SCHEMA_VERSIONS",
           "SHAPES_VERSION", "ParamDefinition", "json_schema", "fields_markdown",
           "top_level_markdown", "uses_shapes"]

SCHEMA_VERSIONS = (1, 2)
SHAPES_VERSION = 2   # the first format with vector and matrix declarations

# A check receives the value, the field name and `fail(message)`, which builds
# the error to raise.
Fail = Callable[[str], Exception]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NAME_JSON = "^[A-Za-z][A-Za-z0-9_]*$"
_IDENTIFIER_JSON = "^[A-Za-z_\u00aa-\uffff][A-Za-z0-9_\u00aa-\uffff]*$"


@dataclass(frozen=True)
class ParamDefinition:
    """A param's default value, its documentation and, for a vector or matrix
    param, its shape (the default then fills every entry)."""

    default: float
    description: str = ""
    shape: tuple = ()


@dataclass(frozen=True)
class Kind:
    """How one kind of value is written, checked and described.

    Attributes:
        label: The type as the documentation names it.
        json: Its JSON Schema.
        read: ``read(value, field_name, fail)`` returns the checked, converted value.
    """

    label: str
    json: dict
    read: Callable[[Any, str, Fail], Any]


def _number(value) -> float | None:
    """``value`` as a float if it is a real number (never a bool) a float64 can
    hold, else None; ``inf`` and ``nan`` pass (callers that need finite check)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):   # an integer beyond float64
        return None


def _is_name(value) -> bool:
    """An identifier as formulas read it: Python reads ``ｘ`` (full width) as
    ``x``, so a name must already be in that normal form (NFKC)."""
    return isinstance(value, str) and value.isidentifier() \
        and unicodedata.normalize("NFKC", value) == value


def _read_text(value, key: str, fail: Fail) -> str:
    if not isinstance(value, str):
        raise fail(f"{key} must be text, got {shown(value)} (quote it)")
    return value.strip()


def _read_formula(value, key: str, fail: Fail) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(f"formula must be text, got {shown(value)} (quote it)")
    return value


def _read_name(value, key: str, fail: Fail) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise fail("name must be an identifier (letters, digits, _; starting with a letter), "
                   f"got {shown(value)}")
    return value


def _text_list(names: bool) -> Callable[[Any, str, Fail], tuple[str, ...]]:
    def read(value, key: str, fail: Fail) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"{key} must be a list of text, got {shown(value)}")
        if names:
            bad = [v for v in value if not _is_name(v)]
            if bad:
                raise fail(f"{key} must be identifiers (in NFKC normal form), got {bad}")
        return tuple(v.strip() for v in value)
    return read


def _read_params(value, key: str, fail: Fail) -> dict[str, ParamDefinition]:
    if not isinstance(value, dict):
        raise fail("params must map each param name to a default value")
    result = {}
    for name, spec in value.items():
        if not _is_name(name):
            raise fail(f"param name {shown(name)} must be an identifier (in NFKC normal form)")
        description, shape = "", ()
        if isinstance(spec, dict):
            extra = set(spec) - {"default", "description", "shape"}
            if extra or "default" not in spec:
                raise fail(f"param {shown(name)} takes {{default: number, description: text}} "
                           f"(and shape: [sizes] for a vector or matrix); got keys "
                           f"{sorted(map(str, spec))}")
            description = spec.get("description", "")
            if not isinstance(description, str):
                raise fail(f"description of param {shown(name)} must be text")
            shape = _read_shape(spec.get("shape", []), f"param {shown(name)}", fail)
            spec = spec["default"]
        default = _array_default(spec, shape) if isinstance(spec, list) else _number(spec)
        if default is None or not np.all(np.isfinite(default)):
            lists = f" (or nested lists of shape {list(shape)})" if shape else ""
            raise fail(f"default of param {shown(name)} must be a finite number{lists}, "
                       f"got {shown(spec)}")
        result[name] = ParamDefinition(default, description.strip(), shape)
    return result


def _numbers_only(value) -> bool:
    if isinstance(value, list):
        return all(_numbers_only(v) for v in value)
    return _number(value) is not None


def _array_default(value: list, shape: tuple):
    """A param's default given entry by entry (a saved trained matrix), or None
    when it is not numbers of exactly the declared (integer) shape."""
    if not all(isinstance(d, int) for d in shape) or not _numbers_only(value):
        return None
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape else None


def _read_size(value, where: str, fail: Fail):
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and _NAME.match(value):
        return value
    raise fail(f"{where}: a size is a positive integer or a name, got {shown(value)}")


def _read_shape(value, where: str, fail: Fail) -> tuple:
    if not isinstance(value, list):
        raise fail(f"{where}: shape must be a list of sizes like [n] or [10, 64], "
                   f"got {shown(value)}")
    return tuple(_read_size(v, where, fail) for v in value)


def _read_variables(value, key: str, fail: Fail):
    """A list of names, or a mapping name -> declaration (None for a scalar)."""
    if not isinstance(value, dict):
        return _text_list(names=True)(value, key, fail)
    result = {}
    for name, spec in value.items():
        if not _is_name(name):
            raise fail(f"variable name {shown(name)} must be an identifier (in NFKC normal form)")
        result[name] = _read_declaration(name, spec, fail)
    return result


def _read_declaration(name: str, spec, fail: Fail):
    where = f"variable {shown(name)}"
    if spec is None or spec == {}:
        return None
    if isinstance(spec, list):
        return list(_read_shape(spec, where, fail)) or None
    if not isinstance(spec, dict) or not set(spec) <= {"shape", "simplex", "index"}:
        raise fail(f"{where} takes a shape [sizes], {{shape: [sizes], simplex: true}} or "
                   f"{{index: size}}; got {shown(spec)}")
    if "index" in spec:
        if len(spec) != 1:
            raise fail(f"{where}: a class index is declared as {{index: n}} alone")
        return {"index": _read_size(spec["index"], where, fail)}
    if not isinstance(spec.get("simplex", False), bool):
        raise fail(f"{where}: simplex must be true or false")
    declaration = {"shape": list(_read_shape(spec.get("shape", []), where, fail))}
    if spec.get("simplex"):
        if len(declaration["shape"]) != 1:
            raise fail(f"{where}: only a vector can be a distribution (simplex: true)")
        declaration["simplex"] = True
    return declaration if declaration["shape"] else None


def uses_shapes(values: dict) -> str | None:
    """The first field of read definition ``values`` that declares (or gives) vectors,
    matrices or class indices, or None."""
    variables = values.get("variables")
    if isinstance(variables, dict) and any(variables.values()):
        return "variables"
    if any(p.shape for p in values.get("params", {}).values()):
        return "params"
    if any(isinstance(v, list) for e in values.get("examples", ()) for v in e.values()):
        return "examples"
    return None


def _read_equivalents(value, key: str, fail: Fail) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise fail("equivalents must map a library name to text, e.g. {pytorch: torch.nn.ReLU}")
    return {str(k): v for k, v in value.items()}


def _example_value(value):
    """A number, or a (nested) list of numbers for a vector or matrix; None if neither."""
    if isinstance(value, list):
        items = [_example_value(v) for v in value]
        return None if not items or any(i is None for i in items) else items
    return _number(value)


def _read_examples(value, key: str, fail: Fail) -> tuple[dict, ...]:
    if not isinstance(value, list):
        raise fail("examples must be a list like - {x: 1.0, value: 0.73}")
    result = []
    for example in value:
        if not isinstance(example, dict) or "value" not in example:
            raise fail(f"each example needs inputs and `value`, got {shown(example)}")
        numbers = {k: _example_value(v) for k, v in example.items()}
        bad = [k for k, v in numbers.items() if v is None]
        if bad:
            raise fail(f"example {shown(dict(example))}: {bad} must be numbers a float64 "
                       "holds (or lists of them, for vectors and matrices)")
        tolerance = numbers.get("tolerance", 1.0)
        if not (isinstance(tolerance, float) and math.isfinite(tolerance) and tolerance > 0):
            raise fail(f"example {shown(dict(example))}: tolerance must be a finite positive "
                       "number")
        result.append(numbers)
    return tuple(result)


_STRING = {"type": "string"}
_NUMBER = {"type": "number"}
_TEXT_LIST_JSON = {"oneOf": [_STRING, {"type": "array", "items": _STRING}]}
_NAME_LIST_JSON = {"type": "array", "items": {"type": "string", "pattern": _IDENTIFIER_JSON}}
_SIZE_JSON = {"oneOf": [{"type": "integer", "minimum": 1},
                        {"type": "string", "pattern": _NAME_JSON}]}
_SHAPE_JSON = {"type": "array", "items": _SIZE_JSON}
_DECLARATION_JSON = {"oneOf": [
    {"type": "null"}, _SHAPE_JSON,
    {"type": "object", "additionalProperties": False,
     "properties": {"shape": _SHAPE_JSON, "simplex": {"type": "boolean"}}},
    {"type": "object", "additionalProperties": False, "required": ["index"],
     "properties": {"index": _SIZE_JSON}},
]}
_VALUE_JSON = {"$ref": "#/$defs/value"}

TEXT = Kind("text", _STRING, _read_text)
FORMULA = Kind("text", {"type": "string", "minLength": 1}, _read_formula)
IDENTIFIER = Kind("identifier", {"type": "string", "pattern": _NAME_JSON}, _read_name)
TEXT_LIST = Kind("list of text", _TEXT_LIST_JSON, _text_list(names=False))
NAME_LIST = Kind("list of identifiers", _NAME_LIST_JSON, _text_list(names=True))
VARIABLES = Kind("list of identifiers, or mapping", {"oneOf": [_NAME_LIST_JSON, {
    "type": "object", "propertyNames": {"pattern": _IDENTIFIER_JSON},
    "additionalProperties": _DECLARATION_JSON}]}, _read_variables)
PARAMS = Kind("mapping", {
    "type": "object",
    "propertyNames": {"pattern": _IDENTIFIER_JSON},
    "additionalProperties": {"oneOf": [_NUMBER, {
        "type": "object", "required": ["default"], "additionalProperties": False,
        "properties": {"default": _VALUE_JSON, "description": _STRING,
                       "shape": _SHAPE_JSON}}]},
}, _read_params)
EQUIVALENTS = Kind("mapping", {"type": "object", "additionalProperties": _STRING},
                   _read_equivalents)
EXAMPLES = Kind("list of mappings", {"type": "array", "items": {
    "type": "object", "required": ["value"], "additionalProperties": _VALUE_JSON,
    "properties": {"tolerance": {"type": "number", "exclusiveMinimum": 0}}}},
    _read_examples)


@dataclass(frozen=True)
class Field:
    """One field of a function definition.

    Attributes:
        name: The key in the YAML file.
        kind: How its value is written and checked.
        doc: What it means (the documentation and the JSON Schema say this).
        required: Whether every definition must have it.
        documentation: Whether it is copied into the Expression's metadata.
        default: Its value when absent.
    """

    name: str
    kind: Kind
    doc: str
    required: bool = False
    documentation: bool = False
    default: Any = None


FIELDS: tuple[Field, ...] = (
    Field("name", IDENTIFIER, "Catalog name: letters, digits and underscores, starting with a "
          "letter.", required=True),
    Field("formula", FORMULA, "The formula, in neurogebra's formula language (parsed safely, "
          "never run).", required=True),
    Field("variables", VARIABLES, "Input variables in order; default: every free name that is "
          "not a param, sorted. As a mapping (schema 2), each name -> its declaration: a shape "
          "[sizes] (sizes are integers or names, e.g. [n] or [k, d]), {shape: [sizes], simplex: "
          "true} for targets that sum to 1, {index: n} for a class index among n, or null for "
          "a scalar."),
    Field("params", PARAMS, "Param name -> default value, or -> {default: number, description: "
          "text, shape: [sizes]}; a vector or matrix param (schema 2) is filled with its "
          "default.", default={}),
    Field("trainable", NAME_LIST, "Params an optimiser may change by default.", default=()),
    Field("category", TEXT, "Group used by list_all(category=...), e.g. activation, loss.",
          documentation=True, default="other"),
    Field("aliases", TEXT_LIST, "Other names that find this function.", documentation=True,
          default=()),
    Field("description", TEXT, "What the function is, in a sentence or two.",
          documentation=True, default=""),
    Field("usage", TEXT, "When to reach for it.", documentation=True, default=""),
    Field("pros", TEXT_LIST, "Strengths.", documentation=True, default=()),
    Field("cons", TEXT_LIST, "Weaknesses and pitfalls.", documentation=True, default=()),
    Field("latex", TEXT, "How it is typeset; default: generated from the formula.",
          documentation=True, default=""),
    Field("references", TEXT_LIST, "Papers or standard sources.", documentation=True,
          default=()),
    Field("equivalents", EQUIVALENTS, "Same function elsewhere, e.g. {pytorch: torch.nn.ReLU, "
          "keras: ...}.", documentation=True, default={}),
    Field("notes", TEXT, "Anything else worth knowing (conventions, differences).",
          documentation=True, default=""),
    Field("examples", EXAMPLES, "Checked examples: input values by variable or param name, "
          "plus `value`, the expected result (and optionally `tolerance`, relative); vectors "
          "and matrices are (nested) lists of numbers.",
          documentation=True, default=()),
)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# The keys of a file's top level: (name, JSON Schema, meaning)
TOP_LEVEL: tuple[tuple[str, dict, str], ...] = (
    ("schema", {"enum": list(SCHEMA_VERSIONS)},
     "Format version (required). This release reads `1` and `2`; `2` adds vector, matrix "
     "and class-index declarations (shapes). Later formats will raise the number and older "
     "files keep working."),
    ("functions", {"type": "array", "items": {"$ref": "#/$defs/function"}},
     "The list of definitions."),
)


def json_schema() -> dict:
    """The JSON Schema of a definition file, for editors with a YAML language server."""
    function = {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in FIELDS if f.required],
        "properties": {f.name: {**f.kind.json, "description": f.doc} for f in FIELDS},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "neurogebra definition file",
        "description": "Functions and their documentation for a neurogebra catalog.",
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, _, _ in TOP_LEVEL],
        "properties": {name: {**schema, "description": doc} for name, schema, doc in TOP_LEVEL},
        "$defs": {"function": function, "value": {"oneOf": [
            _NUMBER, {"type": "array", "minItems": 1, "items": _VALUE_JSON}]}},
    }


def fields_markdown() -> str:
    """The field table of ``docs/yaml-format.md``."""
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    rows += [f"| `{f.name}` | {f.kind.label} | {'yes' if f.required else 'no'} | {f.doc} |"
             for f in FIELDS]
    return "\n".join(rows) + "\n"


def top_level_markdown() -> str:
    """The top-level table of ``docs/yaml-format.md``."""
    rows = ["| key | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {doc} |" for name, _, doc in TOP_LEVEL]
    return "\n".join(rows) + "\n"
