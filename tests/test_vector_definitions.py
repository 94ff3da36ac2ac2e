"""Vector and matrix declarations in YAML (schema 2), and a third-party pack
that ships a vector function exactly as the built-in packs do."""

import textwrap

import numpy as np
import pytest

from neurogebra import MathForge
from neurogebra.catalog import check_examples, expression_from_definition, read_definitions


def read(text, source="pack.yaml"):
    return read_definitions(textwrap.dedent(text), source)


WEIGHTED = """
    schema: 2
    functions:
      - name: weighted_ce
        formula: -dot(weight*y_true, log_softmax(y_pred))
        variables:
          y_pred: [n]
          y_true: {shape: [n], simplex: true}
        params:
          weight: {default: 1.0, shape: [n], description: per class}
        trainable: [weight]
        category: loss
        examples:
          - {y_pred: [1, 2, 3], y_true: [0, 0, 1], value: 0.4076059644443803}
          - {y_pred: [1, 2, 3], y_true: [0, 0, 1], weight: [1, 1, 2], value: 0.8152119288887606}
    """


def test_schema_2_declares_vectors_params_and_list_examples():
    [definition], errors = read(WEIGHTED)
    assert errors == []
    assert definition.variables == {"y_pred": ["n"], "y_true": {"shape": ["n"], "simplex": True}}
    assert definition.params["weight"].shape == ("n",)
    assert definition.shapes() == {"y_pred": ["n"], "y_true": {"shape": ["n"], "simplex": True},
                                   "weight": ["n"]}
    expression = expression_from_definition(definition)
    assert expression.shapes == {"y_pred": ("n",), "y_true": ("n",), "weight": ("n",)}
    assert expression.gradient("y_pred").formula == "softmax(y_pred)*sum(weight*y_true) - " \
                                                   "weight*y_true"
    assert check_examples(definition, expression) == []


def test_class_index_and_scalar_declarations():
    [definition], errors = read("""
        schema: 2
        functions:
          - name: pick_margin
            formula: -y_pred[k] + s
            variables: {y_pred: [4], k: {index: 4}, s: null}
            examples:
              - {y_pred: [1, 2, 3, 4], k: 2, s: 1, value: -2}
        """)
    assert errors == []
    expression = expression_from_definition(definition)
    assert expression.variables == ("y_pred", "k", "s")
    assert check_examples(definition, expression) == []


@pytest.mark.parametrize("name, field", [("variables", "variables: {x: [n]}"),
                                         ("params", "params: {w: {default: 1, shape: [2]}}"),
                                         ("examples", "examples: [{x: [1, 2], value: 3}]")])
def test_schema_1_files_are_told_to_say_schema_2(name, field):
    _, [error] = read(f"""
        schema: 1
        functions:
          - name: f
            formula: sum(x)
            {field}
        """)
    assert str(error).endswith(f"f.{name}: vectors, matrices and class indices need "
                               "`schema: 2` at the top of the file")


@pytest.mark.parametrize("declaration, message", [
    ("{x: [0]}", "variable 'x': a size is a positive integer or a name, got 0"),
    ("{x: {shape: [2, 2], simplex: true}}", "only a vector can be a distribution"),
    ("{x: {index: n, shape: [n]}}", "a class index is declared as {index: n} alone"),
    ("{x: {size: [3]}}", "variable 'x' takes a shape [sizes]"),
    ("{x: [n], 2x: [n]}", "variable name '2x' must be an identifier"),
])
def test_bad_declarations_cite_file_line_and_field(declaration, message):
    _, [error] = read(f"""
        schema: 2
        functions:
          - name: f
            formula: sum(x)
            variables: {declaration}
        """)
    assert str(error).startswith("pack.yaml:6: f.variables: ") and message in str(error)


def test_an_example_with_the_wrong_vector_value_is_reported():
    [definition], _ = read("""
        schema: 2
        functions:
          - name: sm
            formula: softmax(x)
            variables: {x: [n]}
            examples:
              - {x: [0, 0], value: [0.5, 0.4]}
        """)
    [problem] = check_examples(definition, expression_from_definition(definition))
    assert "example {'x': [0.0, 0.0]} gives array([0.5, 0.5]), expected [0.5, 0.4]" in str(problem)


def test_a_third_party_pack_ships_a_vector_function(install_packs, tmp_path):
    (tmp_path / "pack.yaml").write_text(textwrap.dedent(WEIGHTED))
    install_packs(extra=f"""
from neurogebra import hookimpl

@hookimpl
def neurogebra_definition_files():
    return [{str(tmp_path / "pack.yaml")!r}]
""")
    forge = MathForge()
    assert forge.plugin_errors == []
    loss = forge.get("weighted_ce", trainable=True)
    assert loss.trainable_params == ("weight",) and forge.qualified_name("weighted_ce") == \
        "extra.weighted_ce"
    assert loss.eval(y_pred=[[1.0, 2.0, 3.0]], y_true=[[0.0, 0.0, 1.0]]) == pytest.approx(
        [0.4076059644443803], rel=1e-15)
    composed = forge.compose("weighted_ce + 0.5*cross_entropy")
    assert composed.shapes["weight"] == ("n",)
    values = {"y_pred": np.array([1.0, 2.0, 3.0]), "y_true": np.array([0.0, 1.0, 0.0])}
    assert composed.eval(**values) == pytest.approx(1.5 * forge.get("cross_entropy").eval(
        **values), rel=1e-15)
