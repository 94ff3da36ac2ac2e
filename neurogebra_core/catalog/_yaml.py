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
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
# event -> (the node kind PyYAML's resolver expects, the tag it must have, its name)
_EVENTS = {yaml.ScalarEvent: (yaml.ScalarNode, None, "scalar"),
           yaml.SequenceStartEvent: (yaml.SequenceNode, _SEQ, "list"),
           yaml.MappingStartEvent: (yaml.MappingNode, _MAP, "mapping")}
_NO_KEY = object()


class _CoreSchemaParser(_BASE_LOADER):
    """libyaml's event parser (PyYAML's where libyaml is missing) with the core
    schema's resolvers; PyYAML's composer and constructors are not used."""

    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in CORE_SCHEMA:
    _CoreSchemaParser.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), _first)


def load_yaml(text: str, source: str):
    """The data of a YAML document, read strictly (see the module docstring).

    Mappings come back as :class:`LineMapping`, which remember their lines.

    Raises:
        DefinitionError: the text is too large, not YAML, or uses a refused feature.
    """
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise DefinitionError(f"file is larger than {MAX_FILE_BYTES} bytes; split it", source)
    parser = None
    try:
        parser = _CoreSchemaParser(text)   # PyYAML's own reader checks the characters here
        return _Reader(parser, source).document()
    except yaml.reader.ReaderError as exc:   # a character YAML does not allow
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise DefinitionError(f"invalid YAML: the character U+{character:04X} is not allowed",
                              source, text.count("\n", 0, exc.position) + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if exc.problem == _LIBYAML_TOO_DEEP:   # its lookahead can meet its own limit first
            raise DefinitionError(_TOO_DEEP, source, line) from None
        raise DefinitionError(f"invalid YAML: {exc.problem or exc}", source, line) from None
    except yaml.YAMLError as exc:
        raise DefinitionError(f"invalid YAML: {exc}", source) from None
    finally:
        if parser is not None:
            parser.dispose()


class _Reader:
    """Builds the data straight from the parser's events, in one pass and
    without recursion: nesting and aliases are refused as they stream by,
    before libyaml's own nesting limit or the stack depth could decide, and
    nothing is built twice (PyYAML composes a node tree, then constructs)."""

    def __init__(self, parser, source: str):
        self.parser = parser
        self.source = source
        self.open: list[list] = []     # [collection, its line, pending key, the key's line]

    def fail(self, message: str, line: int) -> DefinitionError:
        return DefinitionError(message, self.source, line)

    def document(self):
        result, documents = None, 0
        while self.parser.check_event():
            event = self.parser.get_event()
            kind, line = type(event), event.start_mark.line + 1
            if kind is yaml.ScalarEvent:
                value = self.scalar(event, line)
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                self.start(event, line)
                continue
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                value, line = self.open.pop()[:2]
            elif kind is yaml.AliasEvent:
                raise self.fail(_ALIASES, line)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail("invalid YAML: a file holds one document; found another",
                                    line)
                continue
            else:           # the stream's start and end, a document's end
                continue
            if self.open:
                self.place(value, line)
            else:
                result = value
        return result

    def tag(self, event, line: int) -> str:
        """The event's tag, resolved by the core schema, and refused unless it
        is one of the core schema's types and fits the event."""
        node_kind, wanted, name = _EVENTS[type(event)]
        tag = event.tag
        if tag == "!" and node_kind is yaml.ScalarNode:
            tag = _STR       # the non-specific tag: text (libyaml and PyYAML disagree)
        elif tag is None or tag == "!":
            value = event.value if node_kind is yaml.ScalarNode else None
            tag = self.parser.resolve(node_kind, value, event.implicit)
        if tag not in _SCALARS and tag not in (_SEQ, _MAP):
            raise self.fail(f"the tag {tag!r} is not allowed; definition files use plain "
                            "text, numbers, true/false, lists and mappings", line)
        if tag != wanted and not (wanted is None and tag in _SCALARS):
            raise self.fail(f"the tag {tag!r} does not fit a {name}", line)
        return tag

    def scalar(self, event, line: int):
        build, what = _SCALARS[self.tag(event, line)]
        try:
            return build(event.value)
        except ValueError as exc:
            raise self.fail(str(exc) or f"{event.value!r} is not {what} in YAML 1.2",
                            line) from None

    def start(self, event, line: int) -> None:
        self.tag(event, line)
        if len(self.open) >= MAX_DEPTH:
            raise self.fail(_TOO_DEEP, line)
        if type(event) is yaml.MappingStartEvent:
            collection = LineMapping()
            collection.line = line
            collection.key_lines = {}
        else:
            collection = []
        self.open.append([collection, line, _NO_KEY, 0])

    def place(self, value, line: int) -> None:
        """Adds a finished value (which started on ``line``) to the innermost
        open collection: an item, a mapping's key or the value of its key."""
        entry = self.open[-1]
        collection = entry[0]
        if type(collection) is list:
            collection.append(value)
        elif entry[2] is _NO_KEY:
            if not isinstance(value, str):
                raise self.fail(f"mapping keys must be text, got {value!r}", line)
            if value in collection:
                raise self.fail(
                    f"duplicate key {value!r} (first on line {collection.key_lines[value]}); "
                    "YAML would silently keep only the last one", line)
            entry[2], entry[3] = value, line
        else:
            collection[entry[2]] = value
            collection.key_lines[entry[2]] = entry[3]
            entry[2] = _NO_KEY


def _checked(tag: str, text: str) -> str:
    if not _PATTERNS[tag].fullmatch(text):
        raise ValueError()
    return text


def _int(text: str) -> int:
    _checked(_INT, text)
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits is too long (at most "
                         f"{MAX_INT_DIGITS})")
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def _float(text: str) -> float:
    _checked(_FLOAT, text)
    word = text.lstrip("+-")
    if word.startswith(".") and word[1:].lower() in ("inf", "nan"):
        return -math.inf if text.startswith("-") and word[1:].lower() == "inf" else \
            float(word[1:].lower())
    return float(text)   # 1e999 is inf, as in YAML


def _null(text: str) -> None:
    _checked(_NULL, text)


# tag -> (build the value from its text, what a bad text is not)
_SCALARS = {
    _STR: (str, "text"),
    _NULL: (_null, "null"),
    _BOOL: (lambda text: _checked(_BOOL, text).lower() == "true", "true or false"),
    _INT: (_int, "an integer"),
    _FLOAT: (_float, "a number"),
}
