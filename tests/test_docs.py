"""Every code block in docs/ and the README runs, and its output is checked.

* ```python blocks are doctests (``>>>`` prompts and expected output); the
  blocks of one page share their names, as a reader's session would. A page
  marked ``<!-- requires: torch -->`` is skipped, with that reason, where the
  module is not installed.
* ```yaml blocks holding a definition file (``schema:``) must validate.
* ```toml blocks must parse.
* ```console lines ``$ neurogebra ...`` are run and their output compared;
  other commands (pip, git) are only shown.
"""

import contextlib
import doctest
import io
import re
import shlex
from pathlib import Path

import pytest

from neurogebra.cli import main
from neurogebra.catalog import check_examples, expression_from_definition, read_definitions

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(page, language):
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


def page_id(page):
    return str(page.relative_to(ROOT))


def pages_with(language, start=""):
    """The pages having at least one ```language block (that starts with ``start``)."""
    return [p for p in PAGES if any(b.lstrip().startswith(start) for b in blocks(p, language))]


REQUIRES = re.compile(r"<!-- requires: ([\w, ]+) -->")


@pytest.mark.parametrize("page", pages_with("python"), ids=page_id)
def test_python_blocks_are_doctests_that_pass(page):
    for needed in REQUIRES.findall(page.read_text()):
        for module in needed.split(","):
            pytest.importorskip(module.strip(), reason=f"{page_id(page)} needs {module}")
    sources = blocks(page, "python")
    for source in sources:
        assert source.lstrip().startswith(">>>"), f"{page_id(page)}: a python block without >>>"
    text = "\n".join(sources)
    test = doctest.DocTestParser().get_doctest(text, {}, page_id(page), str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    output = io.StringIO()
    runner.run(test, out=output.write)
    assert runner.failures == 0, output.getvalue()
    assert runner.tries == len(test.examples) > 0


@pytest.mark.parametrize("page", pages_with("yaml", "schema:"), ids=page_id)
def test_yaml_blocks_are_valid_definitions(page):
    sources = [b for b in blocks(page, "yaml") if b.lstrip().startswith("schema:")]
    for source in sources:
        definitions, errors = read_definitions(source, page_id(page))
        assert errors == []
        for definition in definitions:
            assert check_examples(definition, expression_from_definition(definition)) == []


@pytest.mark.parametrize("page", pages_with("toml"), ids=page_id)
def test_toml_blocks_parse(page):
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11+")
    for source in blocks(page, "toml"):
        tomllib.loads(source)


@pytest.mark.parametrize("page", pages_with("console"), ids=page_id)
def test_console_blocks_of_the_neurogebra_command_run(page, monkeypatch):
    monkeypatch.chdir(ROOT)
    commands = []
    for block in blocks(page, "console"):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = None
                if line.startswith("$ neurogebra "):
                    current = [line[len("$ neurogebra "):], []]
                    commands.append(current)
            elif current is not None:
                current[1].append(line)
    for command, expected in commands:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            status = main(shlex.split(command))
        assert status == 0, (command, output.getvalue())
        got = output.getvalue().splitlines()
        for line in expected:
            if line.strip() and line.strip() != "...":
                assert line in got, (command, line, got)


def schema_tables():
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["schema", "--format", "markdown"]) == 0
    return output.getvalue()


def test_yaml_reference_tables_are_generated_from_the_schema():
    from neurogebra.catalog import FIELDS
    text = (ROOT / "docs" / "yaml-format.md").read_text()
    begin, end = ("<!-- begin: neurogebra schema --format markdown -->\n",
                  "<!-- end: neurogebra schema --format markdown -->")
    committed = text[text.index(begin) + len(begin):text.index(end)]
    assert committed == schema_tables(), "run `neurogebra schema --format markdown`"
    for field in FIELDS:
        assert f"| `{field.name}` |" in committed and field.doc in committed, field.name


def test_json_schema_file_is_up_to_date_and_accepts_the_registry():
    import json
    jsonschema = pytest.importorskip("jsonschema", reason="needs the [test] extra")
    from neurogebra.catalog import json_schema, load_yaml
    committed = json.loads((ROOT / "docs" / "neurogebra-definitions.schema.json").read_text())
    assert committed == json_schema(), "run `neurogebra schema > docs/neurogebra-definitions.schema.json`"
    jsonschema.Draft202012Validator.check_schema(committed)
    validator = jsonschema.Draft202012Validator(committed)
    for path in sorted((ROOT / "registry").glob("*.yaml")) + sorted(ROOT.glob("examples/**/*.yaml")):
        errors = list(validator.iter_errors(load_yaml(path.read_text(), str(path))))
        assert errors == [], (path, errors[:3])
    bad = {"schema": 1, "functions": [{"name": "f", "formla": "x"}]}
    assert {e.validator for e in validator.iter_errors(bad)} == {"required", "additionalProperties"}


def test_formula_language_lists_every_function_of_the_table():
    from neurogebra.symbolic import PrimitiveFunction, parseable_functions
    text = (ROOT / "docs" / "yaml-format.md").read_text()
    listed = re.search(r"- the functions `([^`]+)`", text).group(1).split()
    table = {f.name for f in parseable_functions().values()
             if not (isinstance(f.head, type) and issubclass(f.head, PrimitiveFunction))}
    assert set(listed) == table - {"where"}


def test_every_hook_is_documented_with_its_signature_and_tested():
    from neurogebra.catalog import make_plugin_manager
    import tests.test_plugins as plugin_tests
    text = (ROOT / "docs" / "plugins.md").read_text()
    hooks = make_plugin_manager().hook
    names = [name for name in vars(hooks) if name.startswith("neurogebra_")]
    assert len(names) == 4
    for hook in names:
        assert f"### `def {hook}()`" in text, hook
        assert getattr(hooks, hook).spec.function.__doc__.strip(), hook
        assert hasattr(plugin_tests, f"test_hook_{hook}"), hook


def test_security_page_states_the_bounds_the_code_has():
    from neurogebra import catalog, symbolic
    text = (ROOT / "docs" / "security.md").read_text()
    rows = {"distinct parts": symbolic.MAX_NODES, "nesting": symbolic.MAX_NESTING,
            "parts written out": symbolic.MAX_TREE_NODES,
            "exact constants": symbolic.MAX_CONSTANT_DIGITS}
    for row, value in rows.items():
        assert re.search(rf"^\| {row} \| {value:,} ", text, re.M), row
    assert f"orders up to {symbolic.MAX_ORDER}" in text
    assert f"more than {symbolic.MAX_DERIVATIVE_NODES:,} nodes" in text
    assert f"| file size | {catalog.MAX_FILE_BYTES:,} bytes" in text
