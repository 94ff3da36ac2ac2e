"""White-box tests of one internal module: neurogebra.catalog._yaml_cache.

The cache must give exactly what the strict reader gives (values, types and
the lines error messages quote), read an edited text again, and never turn a
cache it cannot use into an error.
"""

import json
import math

import pytest

from neurogebra import DefinitionError, MathForge
from neurogebra.catalog import _yaml_cache, load_yaml

LineMapping = _yaml_cache.LineMapping

TEXT = """schema: 1
functions:
  - name: twice
    formula: "2*x"
    params: {a: .inf, b: -.inf, c: .nan, d: -0.0, e: 0x10, f: 1e300}
    tags: [a, 'yes', no, ~, true, 10000000000000000000000]
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(_yaml_cache.ENV_CACHE, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _same(a, b):
    """Equal data, with equal types, and equal lines for every mapping."""
    assert type(a) is type(b)
    if isinstance(a, LineMapping):
        assert (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b))
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def test_a_cached_text_reads_back_as_the_reader_gives_it(folder):
    first = _yaml_cache.cached_yaml(TEXT, "t.yaml")
    assert len(list(folder.glob("yaml-*.json"))) == 1
    second = _yaml_cache.cached_yaml(TEXT, "t.yaml")
    want = load_yaml(TEXT, "t.yaml")
    _same(first, want)
    _same(second, want)
    assert second["functions"][0].key_lines["params"] == 5


def test_the_cache_is_read_not_the_text(folder, monkeypatch):
    _yaml_cache.cached_yaml(TEXT, "t.yaml")
    monkeypatch.setattr(_yaml_cache, "load_yaml", lambda text, source: pytest.fail("parsed"))
    assert _yaml_cache.cached_yaml(TEXT, "t.yaml")["functions"][0]["name"] == "twice"


def test_an_edited_text_is_read_again(folder):
    _yaml_cache.cached_yaml(TEXT, "t.yaml")
    edited = _yaml_cache.cached_yaml(TEXT.replace("2*x", "3*x"), "t.yaml")
    assert edited["functions"][0]["formula"] == "3*x"
    assert len(list(folder.glob("yaml-*.json"))) == 2


def test_a_damaged_entry_is_read_from_the_text_and_replaced(folder):
    _yaml_cache.cached_yaml(TEXT, "t.yaml")
    (entry,) = folder.glob("yaml-*.json")
    for damage in ('{"line": 1, "items": [["a"]]}', "[1, 2", '{"items": []}'):
        entry.write_text(damage)
        _same(_yaml_cache.cached_yaml(TEXT, "t.yaml"), load_yaml(TEXT, "t.yaml"))
        assert json.loads(entry.read_text())["line"] == 1


def test_errors_are_the_readers_and_are_not_cached(folder):
    with pytest.raises(DefinitionError, match="duplicate key 'a'"):
        _yaml_cache.cached_yaml("a: 1\na: 2\n", "bad.yaml")
    assert not list(folder.glob("yaml-*.json"))


def test_an_unwritable_folder_leaves_reading_as_it_was(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(_yaml_cache.ENV_CACHE, str(blocker / "cache"))
    _same(_yaml_cache.cached_yaml(TEXT, "t.yaml"), load_yaml(TEXT, "t.yaml"))


def test_an_empty_setting_turns_the_cache_off(monkeypatch, tmp_path):
    monkeypatch.setenv(_yaml_cache.ENV_CACHE, "")
    assert _yaml_cache.cache_folder() is None
    monkeypatch.delenv(_yaml_cache.ENV_CACHE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _yaml_cache.cache_folder() == tmp_path / "neurogebra"


def test_old_entries_beyond_the_limit_are_removed(folder, monkeypatch):
    monkeypatch.setattr(_yaml_cache, "MAX_ENTRIES", 3)
    for i in range(5):
        _yaml_cache.cached_yaml(f"a: {i}\n", "t.yaml")
    assert len(list(folder.glob("yaml-*.json"))) == 3
    assert not list(folder.glob(".yaml-*"))


def test_the_catalog_reads_its_files_through_the_cache(folder):
    assert MathForge().get("relu").eval(x=2.0) == 2.0
    assert len(list(folder.glob("yaml-*.json"))) >= 4
    assert MathForge().get("relu").eval(x=-2.0) == 0.0
