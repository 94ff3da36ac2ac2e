"""White-box tests of one internal module: neurogebra.catalog._yaml.

PyYAML parses with libyaml where its wheel has it and in pure Python where
not; CI once saw a different outcome from the one on a developer's machine.
These tests read the same texts through both parsers and require the same
data or the same error, word for word (for syntax errors, which each parser
words its own way, the same line).
"""

from pathlib import Path

import pytest
import yaml

from neurogebra import DefinitionError
from neurogebra.catalog import _yaml

ROOT = Path(__file__).resolve().parents[2]


class _PurePythonParser(yaml.SafeLoader):
    yaml_implicit_resolvers = _yaml._CoreSchemaParser.yaml_implicit_resolvers


TEXTS = [
    "", "---\n", "a: 1\n---\nb: 2", "a: !!map [1]", "a: !!str [1]", "a: !!int x", "a: !foo x",
    "? [1]\n: 2", "a: 1\na: 2", "a: &x [1]\nb: *x", "1: 2", "a: " + "1" * 1001,
    "[1, {a: ~, b: .inf, c: -.Inf, d: 0x1F, e: 0o17, f: 1e3, g: no, h: '1', i: 010}]",
    "key: " + "[" * 65 + "]" * 65, "key: " + "[" * 3000 + "]" * 3000,
    "a: !", "! : 1", "a: ! 12", "a: 1\nb: \x07", "a: \x00",
    "a:\n" + "".join(" " * i + "- b:\n" for i in range(0, 400, 2)) + " " * 400 + "- 1",
    *(path.read_text() for path in sorted(ROOT.glob("registry/**/*.yaml"))),
]


def _outcome(text):
    try:
        return "data", _yaml.load_yaml(text, "s.yaml")
    except DefinitionError as error:
        return "error", str(error)


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_both_parsers_give_the_same_data_or_the_same_error(text, monkeypatch):
    native = _outcome(text)
    monkeypatch.setattr(_yaml, "_CoreSchemaParser", _PurePythonParser)
    assert _outcome(text) == native


@pytest.mark.parametrize("text", ["a: [1, {b: 2]", "a: 1\nb: 'unterminated", "a: b: c"])
def test_both_parsers_place_a_syntax_error_on_the_same_line(text, monkeypatch):
    kind, native = _outcome(text)
    monkeypatch.setattr(_yaml, "_CoreSchemaParser", _PurePythonParser)
    kind_again, again = _outcome(text)
    assert kind == kind_again == "error"
    assert native.split(" invalid YAML: ")[0] == again.split(" invalid YAML: ")[0]
    assert " invalid YAML: " in native
