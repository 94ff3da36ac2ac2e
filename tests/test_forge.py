"""MathForge: look-ups, fresh objects, search, compose, register, loading."""

import io
import textwrap
import time
import types
from importlib.resources.abc import Traversable

import pytest

from neurogebra import (ArgumentError, DefinitionError, Expression, MathForge, ParameterError,
                        RegistrationError, UnknownFunctionError, hookimpl)


@pytest.fixture
def forge():
    return MathForge(plugins="builtin")


def write_yaml(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_get_returns_independent_objects(forge):
    first = forge.get("leaky_relu")
    first.params["alpha"] = 0.5
    first.metadata["description"] = "changed"
    second = forge.get("leaky_relu")
    assert second.params["alpha"] == 0.01
    assert second.metadata["description"] != "changed"
    assert first is not second


def test_get_with_params_and_trainable(forge):
    leaky = forge.get("leaky_relu", params={"alpha": 0.2}, trainable=True)
    assert leaky.eval(x=-1) == -0.2
    assert leaky.trainable_params == ("alpha",)
    assert forge.get("leaky_relu").trainable_params == ()
    with pytest.raises(ParameterError, match="no param named 'beta'"):
        forge.get("leaky_relu", params={"beta": 1})


def test_unknown_names_suggest_and_case_is_forgiven(forge):
    with pytest.raises(UnknownFunctionError, match="no function named 'sigmoidd'.*Did you mean "
                                                   "'sigmoid'"):
        forge.get("sigmoidd")
    assert forge.get("ReLU").name == "relu"
    assert forge.get("L1").name == "mae"
    assert forge.get("losses.mse").name == "mse"
    assert "sigmoid" in forge and "nope" not in forge


def test_list_and_categories(forge):
    names = forge.list_all()
    assert names == sorted(names) and {"relu", "sigmoid", "mse"} <= set(names)
    assert set(forge.list_all(category="loss")) >= {"mse", "mae"}
    assert "relu" not in forge.list_all(category="loss")
    assert forge.categories() == ["activation", "loss", "normalization", "reduction",
                                  "schedule", "similarity"]
    with pytest.raises(UnknownFunctionError, match="no category 'losses'. Did you mean 'loss'"):
        forge.list_all(category="losses")


def test_search_ranks_name_then_aliases_then_docs(forge):
    results = forge.search("relu")
    assert results[0] == "relu"
    assert set(results) >= {"relu6", "leaky_relu"}
    assert forge.search("l1")[0] == "mae"
    assert "mse" in forge.search("squared error")
    with pytest.raises(ArgumentError):
        forge.search("  ")


def test_compose_accepts_formulas_over_catalog_names(forge):
    combined = forge.compose("mse + 0.1*mae")
    assert combined.variables == ("y_pred", "y_true")
    assert combined.eval(y_pred=3, y_true=1) == pytest.approx(4.2)
    assert forge.compose("(mse - mae)/2").eval(y_pred=3, y_true=1) == pytest.approx(1.0)
    assert forge.compose("mse*0.5").eval(y_pred=3, y_true=1) == 2.0
    assert forge.compose("sigmoid + 0.5*relu + x").eval(x=0) == 0.5
    with pytest.raises(UnknownFunctionError, match="'msee' is not a catalog function. "
                                                   "Did you mean 'mse'"):
        forge.compose("msee + mae")


def test_compose_refuses_conflicting_params(forge):
    with pytest.raises(ParameterError, match="param 'delta'"):
        forge.register(Expression("wide_huber", "delta*y_pred", params={"delta": 5}))
        forge.compose("huber + wide_huber")


def test_explain_is_plain_language(forge):
    text = forge.explain("leaky_relu")
    assert text.startswith("leaky_relu(x) [activation] from pack 'activations'")
    assert "alpha = 0.01" in text and "When to use it:" in text and "Pros:" in text


def test_register_never_silently_overwrites(forge):
    mine = Expression("relu", "x")
    with pytest.raises(RegistrationError, match="'relu' is already defined by pack "
                                                "'activations'; pass overwrite=True"):
        forge.register(mine)
    forge.register(mine, overwrite=True)
    assert forge.get("relu").eval(x=-1) == -1.0
    assert forge.get("activations.relu").eval(x=-1) == 0.0


def test_register_by_fields(forge):
    forge.register("cubic", "a*x**3", params={"a": 2}, description="A cube.", category="toy")
    assert forge.get("cubic").eval(x=2) == 16.0
    assert forge.list_all(category="toy") == ["cubic"]
    with pytest.raises(ArgumentError, match="unknown field 'descripton'. Did you mean "
                                            "'description'"):
        forge.register("other", "x", descripton="typo")


def test_load_from_path_and_environment(tmp_path, monkeypatch):
    write_yaml(tmp_path, "mine.yaml", """
        schema: 1
        functions:
          - name: triple
            formula: 3*x
        """)
    forge = MathForge(plugins="none")
    assert forge.load(tmp_path) == ["triple"]
    assert forge.get("triple").eval(x=1) == 3.0
    monkeypatch.setenv("NEUROGEBRA_PATH", str(tmp_path))
    assert MathForge(plugins="none").get("local.triple").eval(x=2) == 6.0
    assert MathForge(plugins="none", paths=[tmp_path / "mine.yaml"]).list_all() == ["triple"]


def test_load_reports_every_error(tmp_path):
    write_yaml(tmp_path, "bad.yaml", """
        schema: 1
        functions:
          - name: a
            formula: x
            colour: red
          - name: b
        """)
    with pytest.raises(DefinitionError) as info:
        MathForge(plugins="none").load(tmp_path / "bad.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert "bad.yaml:6: a.colour: unknown field 'colour'" in lines[0]
    assert "bad.yaml:7: b.formula: missing required field 'formula'" in lines[1]


class CountingFile(Traversable):
    """A definition file that counts how often it is read."""

    def __init__(self, text):
        self.text, self.reads = text, 0

    def open(self, mode="r", *args, **kwargs):
        assert mode == "rb"
        self.reads += 1
        return io.BytesIO(self.text.encode())

    def __str__(self):
        return "counting.yaml"

    name = "counting.yaml"
    iterdir = is_dir = is_file = joinpath = __truediv__ = None


def pack_of(file):
    @hookimpl
    def neurogebra_definition_files():
        return [file]
    return types.SimpleNamespace(neurogebra_definition_files=neurogebra_definition_files)


def test_definition_files_are_read_lazily():
    file = CountingFile("schema: 1\nfunctions:\n  - {name: cube, formula: x**3}\n")
    forge = MathForge(plugins="none", packs={"lazy": pack_of(file)})
    assert file.reads == 0
    assert forge.get("cube").eval(x=2) == 8.0
    forge.get("cube")
    assert file.reads == 1


def test_catalog_formulas_are_parsed_on_first_use():
    file = CountingFile("schema: 1\nfunctions:\n  - {name: good, formula: x + 1}\n"
                        "  - {name: bad, formula: 'x +* 2'}\n")
    forge = MathForge(plugins="none", packs={"lazy": pack_of(file)})
    assert forge.list_all() == ["bad", "good"] and forge.plugin_errors == []
    assert forge.get("good").eval(x=1) == 2.0
    with pytest.raises(DefinitionError, match="counting.yaml:4: bad.formula: invalid formula"):
        forge.get("bad")


def test_forge_creation_is_quick():
    MathForge()  # warm imports
    start = time.perf_counter()
    for _ in range(5):
        MathForge()
    assert (time.perf_counter() - start) / 5 < 0.5  # generous: the benchmark has the target
