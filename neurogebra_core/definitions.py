"""YAML definition files: functions and their documentation, without code.

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

:data:`FIELDS` is the schema: every field with its type and description (the
reference page ``docs/yaml-format.md`` documents exactly these). Reading is
strict: a safe loader without aliases, a size limit, duplicate keys refused,
YAML 1.2 booleans and floats (``no`` is text, ``1e3`` is a number), and
every error cites file, line and field with a hint on how to fix it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import DefinitionError, did_you_mean

__all__ = ["FIELDS", "SCHEMA_VERSIONS", "FunctionDefinition", "ParamDefinition",
           "read_definitions", "MAX_FILE_BYTES"]

SCHEMA_VERSIONS = (1,)
MAX_FILE_BYTES = 2_000_000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# field -> (kind, required, description)
FIELDS: dict[str, tuple[str, bool, str]] = {
    "name": ("identifier", True,
             "Catalog name: letters, digits and underscores, starting with a letter."),
    "formula": ("text", True,
                "The formula, in neurogebra's formula language (parsed safely, never run)."),
    "variables": ("list of identifiers", False,
                  "Input variables in order; default: every free name that is not a param, "
                  "sorted."),
    "params": ("mapping", False,
               "Param name -> default value, or -> {default: number, description: text}."),
    "trainable": ("list of identifiers", False,
                  "Params an optimiser may change by default."),
    "category": ("text", False, "Group used by list_all(category=...), e.g. activation, loss."),
    "aliases": ("list of text", False, "Other names that find this function."),
    "description": ("text", False, "What the function is, in a sentence or two."),
    "usage": ("text", False, "When to reach for it."),
    "pros": ("list of text", False, "Strengths."),
    "cons": ("list of text", False, "Weaknesses and pitfalls."),
    "latex": ("text", False, "How it is typeset; default: generated from the formula."),
    "references": ("list of text", False, "Papers or standard sources."),
    "equivalents": ("mapping", False,
                    "Same function elsewhere, e.g. {pytorch: torch.nn.ReLU, keras: ...}."),
    "notes": ("text", False, "Anything else worth knowing (conventions, differences)."),
    "examples": ("list of mappings", False,
                 "Checked examples: input values by variable or param name, plus `value`, "
                 "the expected result (and optionally `tolerance`, relative)."),
}
_TEXT_LISTS = ("aliases", "pros", "cons", "references")
_NAME_LISTS = ("variables", "trainable")
_TEXTS = ("category", "description", "usage", "latex", "notes")
_TOP_LEVEL = {"schema": "Format version; this release reads 1.",
              "functions": "The list of function definitions."}


@dataclass(frozen=True)
class ParamDefinition:
    """A param's default value and its documentation."""

    default: float
    description: str = ""


@dataclass
class FunctionDefinition:
    """One validated function definition, with where it came from."""

    name: str
    formula: str
    source: str
    line: int
    variables: tuple[str, ...] | None = None
    params: dict[str, ParamDefinition] = field(default_factory=dict)
    trainable: tuple[str, ...] = ()
    category: str = "other"
    aliases: tuple[str, ...] = ()
    description: str = ""
    usage: str = ""
    pros: tuple[str, ...] = ()
    cons: tuple[str, ...] = ()
    latex: str = ""
    references: tuple[str, ...] = ()
    equivalents: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    examples: tuple[dict, ...] = ()
    example_lines: tuple[int, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, field_name: str | None = None) -> tuple[str, int]:
        """``(source, line)`` of this definition or of one of its fields."""
        return self.source, self.lines.get(field_name, self.line)

    def error(self, message: str, field_name: str | None = None,
              line: int | None = None) -> DefinitionError:
        source, default_line = self.where(field_name)
        return DefinitionError(message, source, line or default_line,
                               field_name and f"{self.name}.{field_name}")

    def metadata(self) -> dict[str, Any]:
        """The documentation fields, as an Expression's metadata."""
        meta = {k: getattr(self, k) for k in
                ("category", "aliases", "description", "usage", "pros", "cons", "latex",
                 "references", "equivalents", "notes")}
        meta = {k: (list(v) if isinstance(v, tuple) else v) for k, v in meta.items() if v}
        if self.params:
            meta["param_descriptions"] = {k: p.description for k, p in self.params.items()
                                          if p.description}
        meta["source"] = f"{self.source}:{self.line}"
        return meta


# --------------------------------------------------------------------------
# The loader: safe, no aliases, duplicate keys refused, YAML 1.2 scalars
# --------------------------------------------------------------------------

class _Mapping(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BASE_LOADER):
    source = "<text>"

    def construct_object(self, node, deep=False):
        # An alias makes the parser hand out the same node twice: refuse it
        # before anything multiplies (the C parser composes without hooks).
        if node in self.constructed_objects or node in self.recursive_objects:
            raise DefinitionError("YAML aliases (*name) are not allowed; write the value out",
                                  self.source, node.start_mark.line + 1)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node, deep=False):
        result = _Mapping()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float)):
                raise DefinitionError("mapping keys must be plain text", self.source, line)
            if key in result:
                raise DefinitionError(
                    f"duplicate key {key!r} (first on line {result.key_lines[key]}); "
                    "YAML would silently keep only the last one", self.source, line)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_mapping)
# YAML 1.2 resolution: only true/false are booleans; 1e3 and 1.5e-8 are floats.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _load_yaml(text: str, source: str):
    if len(text.encode("utf-8", "ignore")) > MAX_FILE_BYTES:
        raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes; split it", source)
    loader = _StrictLoader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DefinitionError(f"invalid YAML: {exc.problem or exc}", source, line) from None
    except yaml.YAMLError as exc:
        raise DefinitionError(f"invalid YAML: {exc}", source) from None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

def read_definitions(text: str, source: str) -> tuple[list[FunctionDefinition],
                                                      list[DefinitionError]]:
    """Parse and validate a definition file's text.

    Returns the valid definitions and one error per invalid definition; an
    unreadable file raises :class:`DefinitionError`.
    """
    data = _load_yaml(text, source)
    if not isinstance(data, _Mapping):
        raise DefinitionError("a definition file is a mapping with `schema: 1` and "
                              "`functions:`", source, 1)
    _check_top_level(data, source)
    definitions, errors = [], []
    for item in data["functions"]:
        try:
            definitions.append(_definition(item, source, data.line))
        except DefinitionError as exc:
            errors.append(exc)
    return definitions, errors


def _check_top_level(data: _Mapping, source: str) -> None:
    for key in data:
        if key not in _TOP_LEVEL:
            raise DefinitionError(f"unknown top-level key {key!r}.{did_you_mean(key, _TOP_LEVEL)}"
                                  f" Allowed: {', '.join(_TOP_LEVEL)}",
                                  source, data.key_lines[key])
    version = data.get("schema")
    if version is None:
        raise DefinitionError("missing `schema: 1` (the format version) at the top",
                              source, data.line)
    if version not in SCHEMA_VERSIONS:
        raise DefinitionError(
            f"schema {version!r} is not supported; this neurogebra reads "
            f"{', '.join(map(str, SCHEMA_VERSIONS))}", source, data.key_lines["schema"], "schema")
    functions = data.get("functions")
    if not isinstance(functions, list):
        raise DefinitionError("`functions:` must be a list of definitions (items start with -)",
                              source, data.key_lines.get("functions", data.line), "functions")


def _definition(item, source: str, parent_line: int) -> FunctionDefinition:
    if not isinstance(item, _Mapping):
        raise DefinitionError("each item of `functions:` must be a mapping with name and "
                              "formula", source, parent_line)
    where = {k: item.key_lines[k] for k in item}
    label = item.get("name") if isinstance(item.get("name"), str) else "?"

    def fail(message, key):
        return DefinitionError(message, source, where.get(key, item.line), f"{label}.{key}")

    for key in item:
        if key not in FIELDS:
            raise fail(f"unknown field {key!r}.{did_you_mean(str(key), FIELDS)} "
                       f"Allowed fields: {', '.join(FIELDS)}", key)
    for key, (_, required, _) in FIELDS.items():
        if required and key not in item:
            raise DefinitionError(f"missing required field {key!r}", source, item.line,
                                  f"{label}.{key}")
    if not isinstance(item["name"], str) or not _NAME.match(item["name"]):
        raise fail("name must be an identifier (letters, digits, _; starting with a letter), "
                   f"got {item['name']!r}", "name")
    if not isinstance(item["formula"], str) or not item["formula"].strip():
        raise fail(f"formula must be text, got {item['formula']!r} (quote it)", "formula")
    fields: dict[str, Any] = {"name": item["name"], "formula": item["formula"]}
    for key in _TEXTS:
        if key in item:
            if not isinstance(item[key], str):
                raise fail(f"{key} must be text, got {item[key]!r} (quote it)", key)
            fields[key] = item[key].strip()
    for key in _TEXT_LISTS + _NAME_LISTS:
        if key in item:
            fields[key] = _text_list(item[key], key, fail, names=key in _NAME_LISTS)
    if "params" in item:
        fields["params"] = _params(item["params"], fail)
    if "equivalents" in item:
        fields["equivalents"] = _equivalents(item["equivalents"], fail)
    if "examples" in item:
        fields["examples"] = _examples(item["examples"], fail)
        fields["example_lines"] = tuple(getattr(e, "line", where["examples"])
                                        for e in item["examples"])
    unknown = [t for t in fields.get("trainable", ()) if t not in fields.get("params", {})]
    if unknown:
        raise fail(f"trainable names {unknown} are not params", "trainable")
    return FunctionDefinition(source=source, line=item.line, lines=where, **fields)


def _text_list(value, key, fail, names=False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key} must be a list of text, got {value!r}", key)
    if names:
        bad = [v for v in value if not v.isidentifier()]
        if bad:
            raise fail(f"{key} must be identifiers, got {bad}", key)
    return tuple(v.strip() for v in value)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _params(value, fail) -> dict[str, ParamDefinition]:
    if not isinstance(value, dict):
        raise fail("params must map each param name to a default value", "params")
    result = {}
    for name, spec in value.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise fail(f"param name {name!r} must be an identifier", "params")
        description = ""
        if isinstance(spec, dict):
            extra = set(spec) - {"default", "description"}
            if extra or "default" not in spec:
                raise fail(f"param {name!r} takes {{default: number, description: text}}; "
                           f"got keys {sorted(map(str, spec))}", "params")
            description = spec.get("description", "")
            if not isinstance(description, str):
                raise fail(f"description of param {name!r} must be text", "params")
            spec = spec["default"]
        default = _number(spec)
        if default is None or not math.isfinite(default):
            raise fail(f"default of param {name!r} must be a finite number, got {spec!r}",
                       "params")
        result[name] = ParamDefinition(default, description.strip())
    return result


def _equivalents(value, fail) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise fail("equivalents must map a library name to text, e.g. {pytorch: torch.nn.ReLU}",
                   "equivalents")
    return {str(k): v for k, v in value.items()}


def _examples(value, fail) -> tuple[dict, ...]:
    if not isinstance(value, list):
        raise fail("examples must be a list like - {x: 1.0, value: 0.73}", "examples")
    result = []
    for example in value:
        if not isinstance(example, dict) or "value" not in example:
            raise fail(f"each example needs inputs and `value`, got {example!r}", "examples")
        numbers = {k: _number(v) for k, v in example.items()}
        bad = [k for k, v in numbers.items() if v is None]
        if bad:
            raise fail(f"example {dict(example)!r}: {bad} must be numbers", "examples")
        result.append(numbers)
    return tuple(result)
