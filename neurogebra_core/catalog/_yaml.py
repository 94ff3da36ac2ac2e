"""Reading YAML strictly: safe, no aliases, no duplicate keys, YAML 1.2 scalars.

PyYAML's safe loader still has YAML 1.1's surprises: ``no`` is False, ``1e3``
is text, a repeated key silently keeps the last value, and aliases can
multiply memory. This loader refuses or fixes each, and reports problems as
``file:line``.
"""

from __future__ import annotations

import re

import yaml

from ..errors import DefinitionError

__all__ = ["load_yaml", "LineMapping", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 2_000_000


class LineMapping(dict):
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
        result = LineMapping()
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


def load_yaml(text: str, source: str):
    """The data of a YAML document, read strictly (see the module docstring).

    Mappings come back as :class:`LineMapping`, which remember their lines.

    Raises:
        DefinitionError: the text is too large, not YAML, or uses a refused feature.
    """
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
