"""Hostile definition files through every entry point: a clear DefinitionError, never
a hang, a crash or a wrong number.

The entry points are ``MathForge(paths=...)``, ``$NEUROGEBRA_PATH``, ``forge.load``,
``neurogebra.load``, ``validate_paths`` and the ``neurogebra validate`` command. Files
that could hang a broken reader (a FIFO, a symlink to /dev/zero) are tried in a
subprocess with a time limit, so a regression fails the test instead of the suite.
"""

import json
import os
import subprocess
import sys

import pytest

import neurogebra
from neurogebra import ArgumentError, DefinitionError, MathForge
from neurogebra.catalog import MAX_FILE_BYTES, load_yaml, read_definitions, validate_paths

GOOD = "schema: 1\nfunctions:\n  - name: probe\n    formula: a*x\n    params: {a: 2}\n"

# name -> (file content as bytes, what the error says)
HOSTILE = {
    "latin1": ("schema: 1\nfunctions:\n  - name: lat\n    formula: x\n    description: café\n"
               .encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 70)"),
    "schema-true": (b"schema: true\nfunctions: []\n", "schema True is not supported"),
    "schema-float": (b"schema: 1.0\nfunctions: []\n", "schema 1.0 is not supported"),
    "schema-binary": (b"schema: 0b1\nfunctions: []\n", "schema '0b1' is not supported"),
    "schema-5000-digits": (b"schema: 1" + b"0" * 5000 + b"\nfunctions: []\n",
                           "an integer of 5001 digits is too long"),
    "param-400-digits": (b"schema: 1\nfunctions:\n  - name: p\n    formula: a*x\n"
                         b"    params: {a: 1" + b"0" * 400 + b"}\n",
                         "default of param 'a' must be a finite number"),
    "sexagesimal": (b"schema: 1\nfunctions:\n  - name: p\n    formula: a*x\n"
                    b"    params: {a: 1:30}\n", "default of param 'a' must be a finite number, "
                                                "got '1:30'"),
    "tolerance-negative": (b"schema: 1\nfunctions:\n  - name: p\n    formula: x\n"
                           b"    examples: [{x: 1, value: 1, tolerance: -1}]\n",
                           "tolerance must be a finite positive number"),
    "tolerance-infinite": (b"schema: 1\nfunctions:\n  - name: p\n    formula: x\n"
                           b"    examples: [{x: 1, value: 999, tolerance: .inf}]\n",
                           "tolerance must be a finite positive number"),
    "example-400-digits": (b"schema: 1\nfunctions:\n  - name: p\n    formula: x\n"
                           b"    examples: [{x: 1" + b"0" * 400 + b", value: 1}]\n",
                           "['x'] must be numbers a float64 holds (or lists of them"),
    "binary-tag": (b"schema: 1\nfunctions:\n  - name: p\n    formula: x\n"
                   b"    description: !!binary aGk=\n", "the tag 'tag:yaml.org,2002:binary' is "
                                                        "not allowed"),
    "number-key": (b"schema: 1\nfunctions:\n  - name: p\n    formula: x\n    1: x\n",
                   "mapping keys must be text, got 1"),
    "full-width-param": ("schema: 1\nfunctions:\n  - name: p\n    formula: ａ*x\n"
                         "    params: {ａ: 2}\n".encode(),
                         "param name 'ａ' must be an identifier (in NFKC normal form)"),
}


def write(folder, name, content):
    path = folder / f"{name}.yaml"
    path.write_bytes(content)
    return path


def problems_via(entry, path, monkeypatch) -> str:
    """Every message an entry point gives for ``path``, as one text."""
    if entry == "paths":
        return "\n".join(map(str, MathForge(plugins="none", paths=[path]).plugin_errors))
    if entry == "environment":
        monkeypatch.setenv("NEUROGEBRA_PATH", str(path))
        return "\n".join(map(str, MathForge(plugins="none").plugin_errors))
    if entry == "validate":
        return "\n".join(map(str, validate_paths([path])[1]))
    with pytest.raises(DefinitionError) as info:
        MathForge(plugins="none").load(path) if entry == "load" else neurogebra.load(path)
    return str(info.value)


@pytest.mark.filterwarnings("ignore::neurogebra.PluginWarning")
@pytest.mark.parametrize("entry", ["paths", "environment", "load", "neurogebra.load",
                                   "validate"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_give_a_clear_error_at_every_entry_point(tmp_path, monkeypatch, entry,
                                                                name):
    content, expected = HOSTILE[name]
    path = write(tmp_path, name, content)
    message = problems_via(entry, path, monkeypatch)
    assert expected in message and str(path) in message


@pytest.mark.filterwarnings("ignore::neurogebra.PluginWarning")
@pytest.mark.parametrize("entry", ["paths", "environment", "load", "neurogebra.load",
                                   "validate"])
def test_a_sparse_3_gb_file_is_refused_before_reading(tmp_path, monkeypatch, entry):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(3 * 2**30)   # sparse: no disk space, and nothing is read
    message = problems_via(entry, path, monkeypatch)
    assert f"file is larger than {MAX_FILE_BYTES} bytes ({3 * 2**30}); split it" in message


@pytest.mark.parametrize("text, value", [
    ("010", 10), ("-010", -10), ("0o17", 15), ("0x1F", 31), ("+12", 12), ("1e3", 1000.0),
    ("1.", 1.0), (".5", 0.5), ("-.inf", float("-inf")), ("1e999", float("inf")),
    ("true", True), ("FALSE", False), ("~", None), ("null", None), ("", None),
    # YAML 1.1 numbers and booleans that YAML 1.2 reads as text
    ("1:30", "1:30"), ("1:30.5", "1:30.5"), ("0b101", "0b101"), ("1_000", "1_000"),
    ("1_0.5", "1_0.5"), ("yes", "yes"), ("on", "on"), ("=", "="), ("<<", "<<"),
    ("2001-12-14", "2001-12-14"), ("'010'", "010"), ("!!str 010", "010"),
    ("!!int 0x10", 16), ("!!float 1", 1.0),
])
def test_plain_scalars_follow_the_yaml_12_core_schema(text, value):
    assert load_yaml(f"key: {text}\n", "s.yaml")["key"] == value


def test_nan_is_read_as_nan():
    assert load_yaml("key: .NaN\n", "s.yaml")["key"] != load_yaml("key: .NaN\n", "s.yaml")["key"]


@pytest.mark.parametrize("text, message", [
    ("key: !!bool yes", "s.yaml:1: 'yes' is not true or false in YAML 1.2"),
    ("key: !!int 1.5", "s.yaml:1: '1.5' is not an integer in YAML 1.2"),
    ("key: !!set {a}", "the tag 'tag:yaml.org,2002:set' is not allowed"),
    ("key: !!timestamp 2001-12-14", "the tag 'tag:yaml.org,2002:timestamp' is not allowed"),
    ("true: 1", "s.yaml:1: mapping keys must be text, got True"),
    ("key: " + "[" * 65 + "]" * 65, "s.yaml:1: nested more than 64 levels deep"),
    ("key: " + "[" * 2000 + "]" * 2000, "s.yaml:1: nested more than 64 levels deep"),
    ("a:\n" + "".join(" " * i + "- b:\n" for i in range(0, 400, 2)) + " " * 400 + "- 1",
     "nested more than 64 levels deep"),
])
def test_what_yaml_12_does_not_define_is_refused(text, message):
    with pytest.raises(DefinitionError) as info:
        load_yaml(text, "s.yaml")
    assert message in str(info.value)


def test_deep_yaml_is_refused_the_same_way_from_a_deep_stack():
    def down(frames):
        return load_yaml("key: " + "[" * 2000 + "]" * 2000, "s.yaml") if frames == 0 \
            else down(frames - 1)
    with pytest.raises(DefinitionError, match="s.yaml:1: nested more than 64 levels deep"):
        down(sys.getrecursionlimit() - 200)


def test_a_yaml_12_octal_example_validates_as_ten(tmp_path):
    path = write(tmp_path, "ident", b"schema: 1\nfunctions:\n  - name: ident\n    formula: x\n"
                                    b"    examples: [{x: 010, value: 10}]\n")
    assert validate_paths(path) == (1, [])   # one path alone is one path
    forge = MathForge(plugins="none")
    forge.load(path)
    assert forge.get("ident").metadata["examples"] == [{"x": 10.0, "value": 10.0}]


def test_param_defaults_are_read_as_yaml_12_numbers():
    [definition], _ = read_definitions(GOOD.replace("{a: 2}", "{a: 010}"), "p.yaml")
    assert definition.params["a"].default == 10.0


@pytest.mark.filterwarnings("ignore::neurogebra.PluginWarning")
def test_path_arguments_of_the_wrong_type_are_argument_errors(tmp_path):
    for bad in (42, None, b"/tmp", ["ok.yaml", 3]):
        with pytest.raises(ArgumentError, match="is text or a pathlib.Path, got"):
            MathForge(plugins="none", paths=bad if isinstance(bad, list) else [bad])
    with pytest.raises(ArgumentError, match="a path is text or a pathlib.Path, got bytes"):
        MathForge(plugins="none").load(b"x.yaml")
    with pytest.raises(ArgumentError, match="a path is text or a pathlib.Path, got NoneType"):
        neurogebra.load(None)
    with pytest.raises(ArgumentError, match="name= is the name of a function"):
        neurogebra.load(write(tmp_path, "good", GOOD.encode()), name=5)


@pytest.mark.filterwarnings("ignore::neurogebra.PluginWarning")
def test_one_path_as_text_is_one_path_not_its_letters(tmp_path, monkeypatch):
    write(tmp_path, "one", GOOD.encode())
    monkeypatch.chdir(tmp_path)
    forge = MathForge(plugins="none", paths="one.yaml")
    assert forge.list_all() == ["probe"] and forge.plugin_errors == []


@pytest.mark.filterwarnings("ignore::neurogebra.PluginWarning")
def test_a_nul_in_a_path_is_a_definition_error():
    with pytest.raises(DefinitionError, match="cannot use this path: embedded null byte"):
        MathForge(plugins="none").load("a\0b.yaml")
    [error] = MathForge(plugins="none", paths=["a\0b.yaml"]).plugin_errors
    assert "cannot use a path" in str(error) and "embedded null byte" in str(error)


def test_load_reports_every_bad_file_of_a_folder_and_adds_the_good_ones(tmp_path):
    write(tmp_path, "a_latin1", HOSTILE["latin1"][0])
    write(tmp_path, "b_good", GOOD.encode())
    write(tmp_path, "c_schema", HOSTILE["schema-true"][0])
    (tmp_path / "d_folder.yaml").mkdir()   # a folder named like a file is not a file
    forge = MathForge(plugins="none")
    with pytest.raises(DefinitionError) as info:
        forge.load(tmp_path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and "a_latin1.yaml" in lines[0] and "c_schema.yaml" in lines[1]
    assert forge.get("probe").eval(x=1.0) == 2.0


SPECIAL_FILES = """
import json, os, sys, warnings
warnings.simplefilter("ignore")
import neurogebra
from neurogebra import MathForge, NeurogebraError
from neurogebra.catalog import validate_paths

def outcome(call):
    try:
        return "ok: " + repr(call())
    except NeurogebraError as exc:
        return type(exc).__name__ + ": " + str(exc)

def via_environment(path):
    os.environ["NEUROGEBRA_PATH"] = path
    try:
        return [str(e) for e in MathForge(plugins="none").plugin_errors]
    finally:
        del os.environ["NEUROGEBRA_PATH"]

results = {}
for path in sys.argv[1:]:
    results[path] = {
        "paths": outcome(lambda: [str(e) for e in MathForge(plugins="none",
                                                             paths=[path]).plugin_errors]),
        "environment": outcome(lambda: via_environment(path)),
        "load": outcome(lambda: MathForge(plugins="none").load(path)),
        "neurogebra.load": outcome(lambda: neurogebra.load(path)),
        "validate": outcome(lambda: [str(p) for p in validate_paths([path])[1]]),
    }
print(json.dumps(results))
"""


@pytest.fixture
def special_files(tmp_path):
    """A FIFO, symlinks to character devices, and a folder holding a FIFO."""
    if not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"):
        pytest.skip("needs POSIX FIFOs and /dev/zero")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "random.yaml").symlink_to("/dev/urandom")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "folder" / "inner.yaml")
    (tmp_path / "folder" / "good.yaml").write_text(GOOD)
    return tmp_path


def test_fifos_and_devices_end_quickly_with_a_clear_error(special_files):
    paths = [str(special_files / f) for f in ("fifo.yaml", "zero.yaml", "random.yaml")]
    result = subprocess.run([sys.executable, "-c", SPECIAL_FILES, *paths,
                             str(special_files / "folder")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout)
    kinds = ["is a FIFO (named pipe), not a regular file",
             "is a character device, not a regular file", "is a character device"]
    for path, expected in zip(paths, kinds):
        for entry, said in outcomes[path].items():
            assert expected in said, (path, entry, said)
        assert outcomes[path]["load"].startswith("DefinitionError")
    # in a folder only regular files are definition files: the FIFO is passed over
    folder = outcomes[str(special_files / "folder")]
    assert folder["load"] == "ok: ['probe']" and folder["validate"] == "ok: []"


def test_the_validate_command_ends_quickly_on_a_fifo_and_dev_zero(special_files):
    result = subprocess.run([sys.executable, "-m", "neurogebra.cli", "validate",
                             str(special_files / "fifo.yaml"), str(special_files / "zero.yaml"),
                             str(special_files / "folder")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.splitlines() == [
        f"{special_files / 'fifo.yaml'}: is a FIFO (named pipe), not a regular file; "
        "definition files are plain files",
        "/dev/zero: is a character device, not a regular file; definition files are plain files",
        "FAILED: 1 function(s) checked, 2 problem(s)"]


def test_the_validate_command_lists_hostile_files_one_line_each(tmp_path):
    paths = [write(tmp_path, name, HOSTILE[name][0]) for name in ("latin1", "schema-true")]
    result = subprocess.run([sys.executable, "-m", "neurogebra.cli", "validate", *map(str, paths)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.splitlines() == [
        f"{paths[0]}: is not UTF-8 text (byte 0xe9 at offset 70); save it as UTF-8",
        f"{paths[1]}:1: schema: schema True is not supported; this neurogebra reads 1, 2",
        "FAILED: 0 function(s) checked, 2 problem(s)"]


def test_a_folder_of_hostile_files_costs_only_those_files(tmp_path, monkeypatch):
    folder = tmp_path / "definitions"
    folder.mkdir()
    for name, (content, _) in HOSTILE.items():
        write(folder, name, content)
    write(folder, "zz_good", GOOD.encode())
    monkeypatch.setenv("NEUROGEBRA_PATH", str(folder))
    with pytest.warns(neurogebra.PluginWarning):
        forge = MathForge(plugins="builtin")
        assert forge.get("probe").eval(x=3.0) == 6.0 and forge.get("relu").eval(x=-1.0) == 0.0
    errors = [str(error) for error in forge.plugin_errors]
    assert len(errors) == len(HOSTILE)
    for (name, (_, expected)), error in zip(sorted(HOSTILE.items()), errors):
        assert str(folder / f"{name}.yaml") in error and expected in error, name
    assert all(error.startswith("pack 'local' ") for error in errors)


def test_symlinks_are_read_as_their_targets_and_loops_are_refused(tmp_path):
    if not hasattr(os, "symlink"):
        pytest.skip("needs symlinks")
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside, "probe", GOOD.encode())
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "linked.yaml").symlink_to(outside / "probe.yaml")   # a file: read as its target
    (folder / "sub").symlink_to(outside)                            # a folder: not searched
    (folder / "loop1.yaml").symlink_to("loop2.yaml")
    (folder / "loop2.yaml").symlink_to("loop1.yaml")
    (folder / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    forge = MathForge(plugins="none")
    forge.load(folder)   # loops and dangling links are not regular files: passed over
    assert forge.list_all() == ["probe"]
    for link, message in [("loop1.yaml", "cannot use this path: "),   # Python words the loop
                          ("dangling.yaml", "no such file or folder")]:
        with pytest.raises(DefinitionError) as info:
            MathForge(plugins="none").load(folder / link)
        assert str(info.value).startswith(f"{folder / link}: {message}")


@pytest.mark.filterwarnings("ignore::neurogebra.PluginWarning")
def test_a_missing_path_is_named_once_with_where_it_came_from(tmp_path, monkeypatch):
    missing = tmp_path / "missing.yaml"
    monkeypatch.setenv("NEUROGEBRA_PATH", str(missing))
    [error] = MathForge(plugins="none").plugin_errors
    assert str(error) == (f"pack 'local' (files from paths= or $NEUROGEBRA_PATH) cannot use a "
                          f"path: {missing}: no such file or folder")
