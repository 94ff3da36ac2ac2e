"""The YAML definition format: strict reading, useful errors."""

import textwrap

import pytest

from neurogebra import DefinitionError
from neurogebra.catalog import FIELDS_BY_NAME, MAX_FILE_BYTES, read_definitions


def read(text, source="pack.yaml"):
    return read_definitions(textwrap.dedent(text), source)


def only_error(text):
    definitions, errors = read(text)
    assert len(errors) == 1, errors
    return str(errors[0])


def test_a_complete_definition_is_read_with_every_field():
    [d], errors = read("""
        schema: 1
        functions:
          - name: leaky
            formula: where(x > 0, x, alpha*x)
            variables: [x]
            params:
              alpha: {default: 1e-2, description: negative slope}
            trainable: [alpha]
            category: activation
            aliases: [lrelu]
            description: Leaky.
            usage: Hidden layers.
            pros: [cheap]
            cons: [kink]
            latex: \\max(x, \\alpha x)
            references: [Maas 2013]
            equivalents: {pytorch: torch.nn.LeakyReLU}
            notes: Keras uses 0.3.
            examples:
              - {x: -5, value: -0.05}
        """)
    assert errors == []
    assert d.params["alpha"].default == 0.01 and d.params["alpha"].description == "negative slope"
    assert d.trainable == ("alpha",) and d.variables == ("x",) and d.aliases == ("lrelu",)
    assert d.examples == ({"x": -5.0, "value": -0.05},)
    assert d.line == 4 and d.lines["params"] == 7
    assert d.metadata()["equivalents"] == {"pytorch": "torch.nn.LeakyReLU"}
    assert d.metadata()["source"] == "pack.yaml:4"
    assert set(FIELDS_BY_NAME) == {k for k in d.lines}


def test_yaml_12_scalars_no_is_text_and_1e3_is_a_number():
    [d], _ = read("""
        schema: 1
        functions:
          - name: f
            formula: a*x
            category: no
            params: {a: 1e3}
        """)
    assert d.category == "no" and d.params["a"].default == 1000.0


@pytest.mark.parametrize("body, expected", [
    ("  - name: f\n    formla: x\n",
     "pack.yaml:4: f.formla: unknown field 'formla'. Did you mean 'formula'?"),
    ("  - name: f\n", "pack.yaml:3: f.formula: missing required field 'formula'"),
    ("  - name: 2f\n    formula: x\n", "pack.yaml:3: 2f.name: name must be an identifier"),
    ("  - name: f\n    formula: 3\n", "pack.yaml:4: f.formula: formula must be text, got 3"),
    ("  - name: f\n    formula: a*x\n    params: {a: big}\n",
     "pack.yaml:5: f.params: default of param 'a' must be a finite number, got 'big'"),
    ("  - name: f\n    formula: a*x\n    params: {a: {default: 1, desc: x}}\n",
     "f.params: param 'a' takes {default: number, description: text}"),
    ("  - name: f\n    formula: x\n    aliases: 3\n", "f.aliases: aliases must be a list of text"),
    ("  - name: f\n    formula: x\n    examples: [{x: 1}]\n",
     "f.examples: each example needs inputs and `value`"),
    ("  - name: f\n    formula: x\n    examples: [{x: one, value: 1}]\n",
     "f.examples: example {'x': 'one', 'value': 1}: ['x'] must be numbers"),
    ("  - name: f\n    formula: a*x\n    params: {a: 1}\n    trainable: [b]\n",
     "f.trainable: trainable names ['b'] are not params"),
    ("  - name: f\n    formula: x\n    equivalents: [torch]\n", "f.equivalents: equivalents must map"),
])
def test_field_errors_cite_file_line_and_field(body, expected):
    assert expected in only_error("schema: 1\nfunctions:\n" + body)


@pytest.mark.parametrize("text, expected", [
    ("functions: []\n", "pack.yaml:1: missing `schema: 1`"),
    ("schema: 3\nfunctions: []\n", "pack.yaml:1: schema: schema 3 is not supported"),
    ("schema: 1\nfunction: []\n", "unknown top-level key 'function'. Did you mean 'functions'?"),
    ("schema: 1\nfunctions: {}\n", "`functions:` must be a list"),
    ("- a\n- b\n", "a definition file is a mapping"),
    ("schema: 1\nfunctions:\n  - name: f\n    name: g\n    formula: x\n",
     "pack.yaml:4: duplicate key 'name' (first on line 3)"),
    ("schema: 1\nfunctions:\n  - &a {name: f, formula: x}\n  - *a\n",
     "pack.yaml:4: YAML aliases (*name) are not allowed"),
    ("schema: 1\nfunctions: [\n", "invalid YAML"),
    ("schema: 1\nfunctions:\n  - !!python/object:os.system {}\n",
     "pack.yaml:3: the tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),
])
def test_file_level_errors_raise(text, expected):
    with pytest.raises(DefinitionError) as info:
        read_definitions(text, "pack.yaml")
    assert expected in str(info.value)


def test_alias_bomb_is_refused_quickly():
    bomb = "schema: 1\nfunctions:\n  - a: &a [x, x, x, x]\n    b: &b [*a, *a, *a, *a]\n"
    with pytest.raises(DefinitionError, match="aliases"):
        read_definitions(bomb, "bomb.yaml")


def test_oversized_files_are_refused():
    text = "schema: 1\nfunctions: []\n# " + "x" * MAX_FILE_BYTES
    with pytest.raises(DefinitionError, match="larger than"):
        read_definitions(text, "big.yaml")


def test_one_bad_definition_does_not_hide_the_good_ones():
    definitions, errors = read("""
        schema: 1
        functions:
          - name: good
            formula: x
          - just text
          - name: also_good
            formula: 2*x
        """)
    assert [d.name for d in definitions] == ["good", "also_good"]
    assert "each item of `functions:` must be a mapping" in str(errors[0])
