"""White-box tests of one internal module: neurogebra.catalog._definition_cache.

A cached file must give exactly the definitions that reading and checking its
text gives (values, types, and the lines error messages quote), an edited text
or an edited check must be read again, a file with a faulty definition must
report it at every read, and a cache that cannot be used must never become an
error.
"""

import json
import math

import numpy as np
import pytest

from neurogebra import MathForge
from neurogebra.catalog import _definition_cache, _definitions, read_definitions

TEXT = """schema: 2
functions:
  - name: twice
    formula: "a*x + b + c + d"
    params:
      a: 2
      b: {default: -0.0, description: offset}
      c: {default: [[1, 2.5], [1e300, -3]], shape: [2, 2]}
      d: {default: 0.5, shape: [n]}
    variables: {x: null, v: [n], p: {shape: [3], simplex: true}, k: {index: 4}}
    trainable: [a]
    aliases: two_times
    pros: [simple, 'yes']
    equivalents: {pytorch: "torch.mul"}
    examples:
      - {x: 1, value: 2.0, tolerance: 1e-3}
      - {x: .inf, value: .inf}
      - {v: [1, 2], value: -1e-310}
  - name: plain
    formula: "x"
    variables: [x]
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(_definition_cache.ENV_CACHE, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _entries(folder):
    return list(folder.glob("definitions-*.json"))


def _same(a, b):
    """Equal values with equal types (arrays: equal dtype, shape and entries;
    floats: the same sign of zero)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    elif isinstance(a, _definitions.ParamDefinition):
        _same((a.default, a.description, a.shape), (b.default, b.description, b.shape))
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def _same_definitions(got, want):
    assert [d.name for d in got] == [d.name for d in want]
    for a, b in zip(got, want):
        _same(a.values, b.values)
        assert (a.source, a.line, a.lines, a.example_lines) == \
            (b.source, b.line, b.lines, b.example_lines)


def test_a_cached_file_reads_back_as_reading_and_checking_gives_it(folder):
    want, errors = _definitions._read_definitions(TEXT, "t.yaml")
    assert errors == []
    first = read_definitions(TEXT, "t.yaml")
    assert len(_entries(folder)) == 1
    second = read_definitions(TEXT, "other.yaml")
    _same_definitions(first[0], want)
    assert second[1] == []
    assert {d.source for d in second[0]} == {"other.yaml"}
    assert second[0][0].where("params") == ("other.yaml", 5)
    assert second[0][0].example_lines == (16, 17, 18)
    assert second[0][0].params["c"].default.tolist() == [[1.0, 2.5], [1e300, -3.0]]


def test_the_cache_is_read_not_the_text(folder, monkeypatch):
    read_definitions(TEXT, "t.yaml")
    monkeypatch.setattr(_definitions, "load_yaml", lambda text, source: pytest.fail("parsed"))
    assert read_definitions(TEXT, "t.yaml")[0][1].name == "plain"


def test_an_edited_text_or_check_is_read_again(folder, monkeypatch):
    read_definitions(TEXT, "t.yaml")
    edited = read_definitions(TEXT.replace("a*x", "3*a*x"), "t.yaml")[0]
    assert edited[0].formula == "3*a*x + b + c + d"
    assert len(_entries(folder)) == 2
    monkeypatch.setattr(_definitions, "_CHECKS_VERSION", "a later release")
    monkeypatch.setattr(_definitions, "load_yaml", lambda text, source: pytest.fail("parsed"))
    with pytest.raises(pytest.fail.Exception, match="parsed"):
        read_definitions(TEXT, "t.yaml")


def test_the_checks_version_names_the_release_and_the_checking_code():
    version = _definitions._checks_version()
    assert version.startswith(f"{_definitions.__version__} ")
    assert len(version.split()) == 4 and "-" not in version.split()[1:]


def test_a_damaged_entry_is_read_from_the_text_and_replaced(folder):
    read_definitions(TEXT, "t.yaml")
    (entry,) = _entries(folder)
    for damage in ('[[{"name": "x"}]]', "[1, 2", '{"items": []}', '[[{}, 1, {}, []]]',
                   '[[{"name": "x", "formula": "x", "colour": 1}, 1, {}, []]]'):
        entry.write_text(damage)
        _same_definitions(read_definitions(TEXT, "t.yaml")[0],
                          _definitions._read_definitions(TEXT, "t.yaml")[0])
        assert json.loads(entry.read_text())[0][0]["name"] == "twice"


def test_a_file_with_a_faulty_definition_is_not_cached_and_reports_it_each_time(folder):
    faulty = TEXT + "  - name: broken\n    formula: x\n    pros: 5\n"
    for _ in range(2):
        definitions, errors = read_definitions(faulty, "bad.yaml")
        assert [d.name for d in definitions] == ["twice", "plain"]
        assert len(errors) == 1 and "pros must be a list of text" in str(errors[0])
    assert not _entries(folder)


def test_an_unwritable_folder_leaves_reading_as_it_was(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(_definition_cache.ENV_CACHE, str(blocker / "cache"))
    _same_definitions(read_definitions(TEXT, "t.yaml")[0],
                      _definitions._read_definitions(TEXT, "t.yaml")[0])


def test_an_empty_setting_turns_the_cache_off(monkeypatch, tmp_path):
    monkeypatch.setenv(_definition_cache.ENV_CACHE, "")
    assert _definition_cache.cache_folder() is None
    monkeypatch.delenv(_definition_cache.ENV_CACHE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _definition_cache.cache_folder() == tmp_path / "neurogebra"


def test_old_entries_beyond_the_limit_are_removed(folder, monkeypatch):
    monkeypatch.setattr(_definition_cache, "MAX_ENTRIES", 3)
    for i in range(5):
        read_definitions(TEXT.replace("a*x", f"{i}*a*x"), "t.yaml")
    assert len(_entries(folder)) == 3
    assert not list(folder.glob(".definitions-*"))


def test_the_catalog_reads_its_files_through_the_cache(folder):
    assert MathForge().get("relu").eval(x=2.0) == 2.0
    assert len(_entries(folder)) >= 4
    assert MathForge().get("relu").eval(x=-2.0) == 0.0
