"""Reading YAML strictly: safe, no aliases, no duplicate keys, YAML 1.2 scalars.

PyYAML implements YAML 1.1, whose plain scalars hold surprises: ``no`` is
False, ``010`` is 8, ``1:30`` is 90, ``0b101`` and ``1_000`` are numbers,
``1e3`` is text. This loader resolves plain scalars with the YAML 1.2 *core
schema* instead, from its own table (:data:`CORE_SCHEMA`, nothing of
PyYAML's 1.1 table is kept): null, ``true``/``false``, decimal, ``0o`` and
``0x`` integers, floats with ``.inf`` and ``.nan``, and everything else is
text. Only the core schema's types can be built (``!!binary``, ``!!set``,
``!!timestamp``, ``!!python/...`` are refused). A repeated key is an error,
aliases (which can multiply memory) are refused, and so are integers longer
than ``MAX_INT_DIGITS`` digits and nesting deeper than ``MAX_DEPTH`` levels
(checked before anything is built); problems are reported as ``file:line``.
"""

from __future__ import annotations

import math
import re

import yaml

from ..errors import DefinitionError

__all__ = ["load_yaml", "LineMapping", "MAX_FILE_BYTES", "MAX_INT_DIGITS", "MAX_DEPTH",
           "CORE_SCHEMA"]

MAX_FILE_BYTES = 2_000_000
MAX_INT_DIGITS = 1000   # far past float64 (309 digits), far below Python's 4300 limit
MAX_DEPTH = 64          # definition files nest about 7 levels deep

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution):
# (tag, pattern, first characters), tried in this order.
CORE_SCHEMA = (
    (_NULL, r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    (_BOOL, r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    (_INT, r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    (_FLOAT, r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
             r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", list("-+.0123456789")),
)
_PATTERNS = {tag: re.compile(pattern) for tag, pattern, _ in CORE_SCHEMA}
_ALIASES = "YAML aliases (*name) are not allowed; write the value out"
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"   # libyaml's limit, far above MAX_DEPTH


class LineMapping(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BASE_LOADER):
    source = "<text>"

    def _fail(self, message: str, node) -> DefinitionError:
        return DefinitionError(message, self.source, node.start_mark.line + 1)

    def construct_object(self, node, deep=False):
        # An alias makes the parser hand out the same node twice: refuse it
        # before anything multiplies (the C parser composes without hooks).
        if node in self.constructed_objects or node in self.recursive_objects:
            raise self._fail(_ALIASES, node)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise self._fail(f"expected a mapping, got {node.id}", node)
        result = LineMapping()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise DefinitionError(f"mapping keys must be text, got {key!r}", self.source,
                                      line)
            if key in result:
                raise DefinitionError(
                    f"duplicate key {key!r} (first on line {result.key_lines[key]}); "
                    "YAML would silently keep only the last one", self.source, line)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result

    def _scalar(self, node, tag: str, what: str) -> str:
        value = self.construct_scalar(node)
        if not _PATTERNS[tag].fullmatch(value):
            raise self._fail(f"{value!r} is not {what} in YAML 1.2", node)
        return value

    def construct_null(self, node):
        self._scalar(node, _NULL, "null")

    def construct_bool(self, node):
        return self._scalar(node, _BOOL, "true or false").lower() == "true"

    def construct_int(self, node):
        text = self._scalar(node, _INT, "an integer")
        if len(text) > MAX_INT_DIGITS:
            raise self._fail(f"an integer of {len(text)} digits is too long (at most "
                             f"{MAX_INT_DIGITS})", node)
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text)

    def construct_float(self, node):
        text = self._scalar(node, _FLOAT, "a number")
        if text.lstrip("+-").startswith("."):
            word = text.lstrip("+-")[1:].lower()
            if word in ("inf", "nan"):
                return -math.inf if text.startswith("-") and word == "inf" else float(word)
        return float(text)   # 1e999 is inf, as in YAML


def _unknown_tag(loader, node):
    raise loader._fail(f"the tag {node.tag!r} is not allowed; definition files use plain "
                       "text, numbers, true/false, lists and mappings", node)


# Only the core schema's types are built; every other tag is an error.
_StrictLoader.yaml_constructors = {
    "tag:yaml.org,2002:map": _StrictLoader.construct_mapping,
    "tag:yaml.org,2002:seq": _StrictLoader.construct_yaml_seq,
    "tag:yaml.org,2002:str": _StrictLoader.construct_yaml_str,
    _NULL: _StrictLoader.construct_null,
    _BOOL: _StrictLoader.construct_bool,
    _INT: _StrictLoader.construct_int,
    _FLOAT: _StrictLoader.construct_float,
    None: _unknown_tag,
}
_StrictLoader.yaml_multi_constructors = {}
_StrictLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in CORE_SCHEMA:
    _StrictLoader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), _first)


def load_yaml(text: str, source: str):
    """The data of a YAML document, read strictly (see the module docstring).

    Mappings come back as :class:`LineMapping`, which remember their lines.

    Raises:
        DefinitionError: the text is too large, not YAML, or uses a refused feature.
    """
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes; split it", source)
    try:
        _check_events(text, source)
        loader = _StrictLoader(text)
        loader.source = source
        try:
            node = loader.get_single_node()
            return None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if exc.problem == _LIBYAML_TOO_DEEP:   # its lookahead can meet its own limit first
            raise DefinitionError(_TOO_DEEP, source, line) from None
        raise DefinitionError(f"invalid YAML: {exc.problem or exc}", source, line) from None
    except yaml.YAMLError as exc:
        raise DefinitionError(f"invalid YAML: {exc}", source) from None


def _check_events(text: str, source: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, and aliases, while streaming the
    parser's events, before anything is composed. The event parsers do not
    recurse, so the refusal is the same whatever the stack depth, and it comes
    before libyaml's own nesting limit or the Python composer's recursion."""
    parser = _BASE_LOADER(text)
    try:
        depth = 0
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise DefinitionError(_ALIASES, source, event.start_mark.line + 1)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DefinitionError(_TOO_DEEP, source, event.start_mark.line + 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        parser.dispose()
