"""Names and aliases share one claim table; register() checks what it is given as a
definition file's fields are checked; unknown names of any length get a short answer."""

import types
import warnings

import pytest

from neurogebra import (ArgumentError, DefinitionError, Expression, MathForge, PluginWarning,
                        RegistrationError, UnknownFunctionError, hookimpl)
from neurogebra.errors import did_you_mean


@pytest.fixture
def forge():
    return MathForge(plugins="builtin")


def write(folder, name, function):
    path = folder / f"{name}.yaml"
    path.write_text(f"schema: 1\nfunctions:\n  - name: {function}\n    formula: x*0\n")
    return path


@pytest.mark.parametrize("name, owner", [("swish", "activations.silu"),
                                         ("logistic", "activations.sigmoid")])
def test_register_cannot_take_an_alias_silently(forge, name, owner):
    with pytest.raises(RegistrationError, match=rf"'{name}' is already an alias of '{owner}'; "
                                                "pass overwrite=True to take it over"):
        forge.register(name, "x*0")
    assert forge.qualified_name(name) == owner
    forge.register(name, "x*0", overwrite=True)
    assert forge.qualified_name(name) == f"user.{name}"
    assert forge.get(owner).eval(x=0.0) == forge.get(owner).eval(x=0.0)   # still reachable


def test_an_alias_already_taken_is_refused_and_nothing_is_added(forge):
    with pytest.raises(RegistrationError) as info:
        forge.register("myact", "x*2", aliases=["relu", "expit", "mine"])
    assert str(info.value) == (
        "alias 'relu' of 'user.myact' is already the name of 'activations.relu'; pass "
        "overwrite=True to take it over ('activations.relu' stays reachable by that qualified "
        "name); alias 'expit' of 'user.myact' is already an alias of 'activations.sigmoid'; "
        "pass overwrite=True to take it over ('activations.sigmoid' stays reachable by that "
        "qualified name)")
    assert "myact" not in forge and "mine" not in forge
    assert forge.qualified_name("relu") == "activations.relu"


def test_one_alias_given_as_text_is_one_alias(forge):
    forge.register("myfun", "x*3", aliases="mf")
    assert forge.qualified_name("mf") == "user.myfun"
    assert "m" not in forge and "f" not in forge


def test_load_refuses_a_name_that_is_an_alias(forge, tmp_path):
    with pytest.raises(DefinitionError, match="'logistic' is already an alias of "
                                              "'activations.sigmoid'"):
        forge.load(write(tmp_path, "a", "logistic"))
    assert forge.qualified_name("logistic") == "activations.sigmoid"


def test_a_local_file_naming_an_alias_is_shadowed_with_a_warning(tmp_path):
    with pytest.warns(PluginWarning, match="'expit' from pack 'local' is shadowed by the alias "
                                           "'expit' of 'activations.sigmoid'; use 'local.expit'"):
        forge = MathForge(plugins="builtin", paths=[write(tmp_path, "a", "expit")])
        forge.list_all()
    assert forge.qualified_name("expit") == "activations.sigmoid"
    assert forge.get("local.expit").formula == "0"
    assert "expit" not in forge.list_all()


def test_a_pack_naming_a_builtin_alias_is_shadowed_with_a_warning():
    thief = types.SimpleNamespace(neurogebra_expressions=hookimpl(
        lambda: [Expression("swish", "x*0", metadata={"aliases": ["relu", "thief_alias"]})]))
    with pytest.warns(PluginWarning) as caught:
        forge = MathForge(plugins="builtin", packs={"thief": thief})
        forge.list_all()
    assert sorted(str(w.message) for w in caught) == [
        "'swish' from pack 'thief' is shadowed by the alias 'swish' of 'activations.silu'; use "
        "'thief.swish' for it",
        "alias 'relu' of 'thief.swish' is already taken by 'activations.relu'"]
    assert forge.qualified_name("swish") == "activations.silu"
    assert forge.qualified_name("thief_alias") == "thief.swish"


@pytest.mark.parametrize("fields, message", [
    ({"params": 5}, "register(): g.params: params must map each param name to a default value"),
    ({"params": {"a": 1}, "trainable": 5}, "g.trainable: trainable must be a list of text, got 5"),
    ({"params": {"a": 10**400}}, "default of param 'a' must be a finite number, got an integer"),
    ({"pros": 5}, "g.pros: pros must be a list of text, got 5"),
    ({"equivalents": ["torch.nn.Identity"]}, "g.equivalents: equivalents must map a library"),
    ({"examples": [{"x": 1}]}, "g.examples: each example needs inputs and `value`"),
    ({"variables": 5}, "g.variables: variables must be a list of text, got 5"),
    ({"descriptio" * 100000: "d"}, "unknown field 'descriptiodescriptio"),
])
def test_register_checks_fields_as_a_definition_file(forge, fields, message):
    with pytest.raises(ArgumentError) as info:
        forge.register("g", "a*x", **fields)
    assert message in str(info.value) and len(str(info.value)) < 400
    assert "g" not in forge


def test_register_checks_an_expressions_metadata(forge):
    with pytest.raises(ArgumentError, match="register\\(\\): metadata of 'g': pros must be a "
                                            "list of text, got 5"):
        forge.register(Expression("g", "x", metadata={"pros": 5}))
    with pytest.raises(ArgumentError, match="catalog name must be an identifier"):
        forge.register(Expression("a.b", "x"))
    with pytest.raises(ArgumentError, match="overwrite= is True or False"):
        forge.register(Expression("g", "x"), overwrite="yes")


def test_register_keeps_the_formula_error_of_a_bad_formula(forge):
    from neurogebra import FormulaError
    with pytest.raises(FormulaError):
        forge.register("g", "x +* 2")


@pytest.mark.parametrize("call, length", [
    (lambda f, long: f.get(long), 1_000_000),
    (lambda f, long: f.qualified_name(long), 1_000_000),
    (lambda f, long: f.list_all(category=long), 1_000_000),
    (lambda f, long: f.compose("mse + " + long[:19_000]), 19_000),   # formulas stop at 20000
    (lambda f, long: MathForge(plugins=long), 1_000_000),
])
def test_unknown_names_of_any_length_get_a_short_answer(forge, call, length):
    long = "mse_" * 250_000   # a megabyte: did-you-mean must not compare it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call(forge, long)
        except UnknownFunctionError as exc:
            caught.append(exc)
    [said] = [str(getattr(c, "message", c)) for c in caught]
    assert "'mse_mse_mse_" in said and f"... ({length} characters)" in said and len(said) < 400


def test_did_you_mean_compares_names_of_bounded_length():
    assert did_you_mean("rleu", ["relu", "elu", "selu"]) == " Did you mean 'relu'?"
    assert did_you_mean("a" * 81, ["a" * 81]) == ""   # longer than MAX_SUGGESTED_LENGTH
    assert did_you_mean("relu", ["relu" * 30, 5, None]) == ""
