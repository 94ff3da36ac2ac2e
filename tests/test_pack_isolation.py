"""Broken packs given directly (``packs=``): each problem is a PluginError naming the
pack, the rest of the catalog keeps working, and nothing a pack raises ends the
process."""

import io
import os
import types
import warnings
from importlib.resources.abc import Traversable

import numpy as np
import pytest
import sympy

from neurogebra import (ArgumentError, Expression, MathForge, PluginError, PluginWarning,
                        Primitive, hookimpl)


def pack(**hooks):
    """A pack object whose hooks return (or raise) what each function does."""
    return types.SimpleNamespace(**{f"neurogebra_{name}": hookimpl(function)
                                    for name, function in hooks.items()})


def forge_with(packs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        forge = MathForge(plugins="builtin", packs=packs, **kwargs)
        forge.list_all()
    return forge


def only_error(forge) -> PluginError:
    [error] = forge.plugin_errors
    return error


class Resource(Traversable):
    """A pack resource whose ``open`` gives ``data`` (or raises it)."""

    def __init__(self, data):
        self.data = data

    def open(self, mode="r", *args, **kwargs):
        if isinstance(self.data, BaseException):
            raise self.data
        return io.BytesIO(self.data) if isinstance(self.data, bytes) else io.StringIO(self.data)

    name = "resource.yaml"
    iterdir = is_dir = is_file = joinpath = __truediv__ = None

    def __str__(self):
        return "resource.yaml"


@pytest.mark.parametrize("item, message", [
    (None, "a definition file is text or a pathlib.Path, got NoneType None"),
    (42, "a definition file is text or a pathlib.Path, got int 42"),
    (b"/tmp/x.yaml", "a definition file is text or a pathlib.Path, got bytes b'/tmp/x.yaml'"),
    ({"path": "x.yaml"}, "a definition file is text or a pathlib.Path, got dict"),
    (Resource(ValueError("corrupt archive")), "has a bad file: resource.yaml: cannot read the "
                                              "file: corrupt archive"),
    (Resource("schema: 1"), "has a bad file: resource.yaml: reading gave str, not bytes"),
    (Resource(SystemExit(3)), "has a bad file: SystemExit: 3"),
    (Resource(b"schema: 1" + b"0" * 5000), "an integer of 5001 digits is too long"),
])
def test_a_bad_definition_file_never_breaks_a_later_get(tmp_path, item, message):
    good = tmp_path / "good.yaml"
    good.write_text("schema: 1\nfunctions:\n  - name: goodfn\n    formula: 2*x\n")
    forge = forge_with({"bad": pack(definition_files=lambda: [item, good])}, paths=[good])
    for _ in range(2):   # every get(), not only the first
        assert forge.get("mse").eval(y_pred=3.0, y_true=1.0) == 4.0
        assert forge.get("bad.goodfn").eval(x=1.0) == forge.get("local.goodfn").eval(x=1.0) == 2.0
    error = only_error(forge)
    assert str(error).startswith("pack 'bad' (distribution unknown) ") and error.pack == "bad"
    assert message in str(error)


@pytest.mark.parametrize("exception", [SystemExit(3), GeneratorExit(), RuntimeError("boom")])
@pytest.mark.parametrize("hook", ["primitives", "definition_files", "expressions",
                                  "optimizers"])
def test_whatever_a_hook_raises_is_a_plugin_error(hook, exception):
    def raising():
        raise exception
    forge = forge_with({"p": pack(**{hook: raising})})
    error = only_error(forge)
    assert f"pack 'p' (distribution unknown) raised in neurogebra_{hook}(): " \
           f"{type(exception).__name__}" in str(error)
    assert error.__cause__ is exception
    assert forge.get("relu").eval(x=2.0) == 2.0


def test_ctrl_c_in_a_hook_still_stops_the_program():
    def interrupted():
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        MathForge(plugins="none", packs={"p": pack(expressions=interrupted)})


class DirRaises:
    def __dir__(self):
        raise RuntimeError("no listing")


class AttributeRaises:
    @property
    def neurogebra_primitives(self):
        raise RuntimeError("lazy import failed")


class ExitOnHash:
    neurogebra_expressions = hookimpl(lambda: [])

    def __hash__(self):
        raise SystemExit("no hashing")


class UnprintableError(Exception):
    def __str__(self):
        raise SystemExit("not even printing")


@pytest.mark.parametrize("plugin, message", [
    (DirRaises(), "could not be inspected: RuntimeError: no listing"),
    (AttributeRaises(), "could not be inspected: RuntimeError: lazy import failed"),
    (ExitOnHash(), "could not be registered: SystemExit: no hashing"),
    (pack(expressions=lambda: (_ for _ in ()).throw(UnprintableError())),
     "raised in neurogebra_expressions(): UnprintableError: (its message cannot be shown)"),
])
def test_a_pack_object_that_raises_when_inspected_is_a_plugin_error(plugin, message):
    forge = forge_with({"evil": plugin})
    assert message in str(only_error(forge))
    assert "relu" in forge


@pytest.mark.parametrize("expression, message", [
    ("not an expression", "returned a bad expression from neurogebra_expressions(): got str, "
                          "not an Expression"),
    (Expression("losses.mse", "x*0"), "catalog name must be an identifier"),
    (Expression("_hidden", "x"), "catalog name must be an identifier"),
    (Expression("pros_int", "x", metadata={"pros": 5}),
     "metadata of 'pros_int': pros must be a list of text, got 5"),
    (Expression("eq_list", "x", metadata={"equivalents": ["torch.nn.Identity"]}),
     "metadata of 'eq_list': equivalents must map a library name to text"),
    (Expression("described", "a*x", params={"a": 1.0}, metadata={"param_descriptions": 5}),
     "param_descriptions must map param names to text"),
])
def test_pack_expressions_are_checked_when_the_hook_returns_them(expression, message):
    forge = forge_with({"p": pack(expressions=lambda: [expression, Expression("fine", "3*x")])})
    assert message in str(only_error(forge))
    assert forge.get("fine").eval(x=1.0) == 3.0
    assert forge.get("losses.mse").formula == "(y_pred - y_true)**2"


def test_pack_metadata_is_normalised_as_a_file_would_be():
    expression = Expression("mine", "x", metadata={"aliases": "mf", "category": " toy "})
    forge = forge_with({"p": pack(expressions=lambda: [expression])})
    assert forge.qualified_name("mf") == "p.mine" and "m" not in forge
    assert forge.list_all(category="toy") == ["mine"]


def twice_primitive(name):
    return Primitive(name, lambda u: 2*u, (lambda u: sympy.Integer(2),), lambda u: 2*u)


def test_a_primitive_built_inside_the_hook_works_for_every_forge():
    hooks = {"primitives": lambda: [twice_primitive("twice_in_hook")],
             "expressions": lambda: [Expression("doubled", "twice_in_hook(x)")]}
    for _ in range(3):
        forge = forge_with({"p": pack(**hooks)})
        assert forge.plugin_errors == [] and forge.get("doubled").eval(x=2.0) == 4.0


def test_a_different_primitive_under_a_taken_name_is_an_error_naming_the_pack():
    forge_with({"first": pack(primitives=lambda: [twice_primitive("taken_name")])})
    other = Primitive("taken_name", lambda u: 3*u, (lambda u: sympy.Integer(3),), lambda u: 3*u)
    error = only_error(forge_with({"second": pack(primitives=lambda: [other])}))
    assert str(error) == ("pack 'second' (distribution unknown) has a bad primitive: a different "
                          "primitive named 'taken_name' is already registered")


def closure_primitive(factor):
    return Primitive("scaled_by_closure", lambda u: factor*u,
                     (lambda u: sympy.Integer(factor),), lambda u: factor*u)


def test_same_code_over_other_values_is_a_different_primitive():
    assert forge_with({"a": pack(primitives=lambda: [closure_primitive(2)])}).plugin_errors == []
    assert forge_with({"a": pack(primitives=lambda: [closure_primitive(2)])}).plugin_errors == []
    error = only_error(forge_with({"b": pack(primitives=lambda: [closure_primitive(5)])}))
    assert "a different primitive named 'scaled_by_closure'" in str(error)


def exits(*args):
    raise SystemExit(4)


@pytest.mark.parametrize("name, arguments, message", [
    ("x", {}, "'x' is a variable by convention"),
    ("y_pred", {}, "'y_pred' is a variable by convention"),
    ("if", {}, "'if' is a Python keyword; no formula could call it"),
    ("Mul", {}, "'Mul' is a name SymPy's printers give another meaning"),
    ("Symbol", {}, "'Symbol' is a name SymPy's printers give another meaning"),
    ("Float", {}, "'Float' is a name SymPy's printers give another meaning"),
    ("kernel_int", {"numpy": 42}, "its NumPy kernel: TypeError: int 42 is not callable"),
    ("kernel_exits", {"numpy": exits}, "its NumPy kernel: SystemExit: 4"),
    ("kernel_scalar_array", {"scalar": lambda u: np.array([u, u])},
     "its scalar kernel returned ndarray"),
    ("kernel_missing", {"numpy": "numpy.no_such_kernel"},
     "its NumPy kernel cannot be found: AttributeError"),
    ("rule_text", {"derivatives": (lambda u: "2*u",)},
     "its derivative rule 1 returned str '2*u', not a SymPy expression"),
    ("rule_none", {"derivatives": (None,)}, "its derivative rule 1: TypeError: NoneType None is "
                                            "not callable"),
    ("rules_none", {"derivatives": None}, "derivatives must be a tuple of rules"),
    ("explicit_exits", {"explicit": exits}, "its explicit formula: SystemExit: 4"),
    ("heads_text", {"fuse": True, "heads": "sigmoid"},
     "heads must be a tuple of function names, got 'sigmoid'"),
    ("heads_wrong", {"explicit": lambda u: 2*sympy.exp(u), "fuse": True, "heads": ("tanh",)},
     "'heads_wrong': heads ('tanh',) are not the functions its explicit formula calls, ('exp',)"),
    ("anchors_text", {"fuse": True, "anchors": "exp(u)"},
     "'anchors_text': its anchors: TypeError: str 'exp(u)' is not callable"),
    ("anchors_wrong", {"explicit": lambda u: 2*sympy.exp(u), "fuse": True,
                       "anchors": lambda u: (sympy.exp(-u),)},
     "'anchors_wrong': anchors (exp(-u0),) must be a tuple of parts of its explicit formula "
     "2*exp(u0)"),
    ("anchors_list", {"explicit": lambda u: 2*sympy.exp(u), "fuse": True,
                      "anchors": lambda u: [sympy.exp(u)]},
     "'anchors_list': anchors [exp(u0)] must be a tuple of parts"),
    ("arity_wrong", {"explicit": lambda a, b: a*b, "derivatives": (lambda a, b: b, lambda a, b: a),
                     "numpy": np.negative},
     "its NumPy kernel: ValueError: output array is read-only"),
])
def test_bad_primitives_are_refused_when_registered_naming_the_pack(name, arguments, message):
    fields = {"explicit": lambda u: 2*u, "derivatives": (lambda u: sympy.Integer(2),),
              "numpy": lambda u: 2*u, **arguments}
    primitive = Primitive(name, **fields)
    forge = forge_with({"p": pack(primitives=lambda: [primitive])})
    error = only_error(forge)
    assert str(error).startswith("pack 'p' (distribution unknown) has a bad primitive: ")
    assert message in str(error)
    assert forge.get("relu").eval(x=-1.0) == 0.0 and Expression("f", "x**2 + 1").eval(x=1.0) == 2.0


@pytest.mark.parametrize("call, message", [
    (lambda: MathForge(packs=["a"]), "packs= takes a mapping of pack names to modules or "
                                     "objects, got list ['a']"),
    (lambda: MathForge(packs="mypack"), "packs= takes a mapping of pack names to modules or "
                                        "objects, got str 'mypack'"),
    (lambda: MathForge(packs={5: object()}), "packs=: a pack name is letters, digits"),
    (lambda: MathForge(packs={"a.b": object()}), "packs=: a pack name is letters, digits"),
    (lambda: MathForge(packs={"user": object()}), "the pack name 'user' is reserved"),
    (lambda: MathForge(plugins=["activations", 5]), "plugins= lists pack names as text, got int"),
    (lambda: MathForge(plugins=b"all"), "plugins= takes 'all', 'builtin', 'none' or pack "
                                        "names, got bytes"),
    (lambda: MathForge(plugins=[]), "plugins=[] names no pack; use 'none' to load no packs"),
    (lambda: MathForge(plugins=" , "), "plugins=' , ' names no pack"),
    (lambda: MathForge(paths=42), "paths= takes a path or a list of paths, got int 42"),
    (lambda: MathForge(trace=5), "trace= takes a function such as print, got int"),
    (lambda: MathForge().get("elu", params=5), "params= takes a mapping of param names"),
    (lambda: MathForge().get("elu", trainable=5), "trainable= is None, True, False, a param"),
    (lambda: MathForge().get("elu", trainable=[1]), "trainable= is None, True, False, a param"),
    (lambda: MathForge().list_all(category=5), "category= is text such as 'loss', got int 5"),
    (lambda: MathForge().explain("relu", derivatives="yes"), "derivatives= is True or False"),
    (lambda: MathForge().compose("mse + mae", name=5), "compose() takes a formula and a name "
                                                       "as text, got str and int"),
])
def test_forge_arguments_are_checked(call, message):
    with pytest.raises(ArgumentError) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize("value", [",,,", " , ", ","])
def test_a_plugin_selection_naming_nothing_is_an_error(monkeypatch, value):
    monkeypatch.setenv("NEUROGEBRA_PLUGINS", value)
    with pytest.raises(ArgumentError, match=rf"\$NEUROGEBRA_PLUGINS={value!r} names no pack; "
                                            "use 'none' to load no packs, 'builtin' or 'all'"):
        MathForge()


@pytest.mark.parametrize("value, message", [
    ("builtin,", "$NEUROGEBRA_PLUGINS='builtin,': 'builtin' chooses packs by itself; give "
                 "$NEUROGEBRA_PLUGINS='builtin' alone, or pack names"),
    ("none,activations", "'none' chooses packs by itself; give $NEUROGEBRA_PLUGINS='none' alone"),
    ("ALL,losses", "'ALL' chooses packs by itself; give $NEUROGEBRA_PLUGINS='all' alone"),
    ("activations;losses", "$NEUROGEBRA_PLUGINS='activations;losses': 'activations;losses' is "
                           "not a pack name (letters, digits, '_' and '-'); separate pack names "
                           "with commas"),
    ("activations losses", "'activations losses' is not a pack name"),
    ("losses,\x7f", "'\\x7f' is not a pack name"),
])
def test_a_plugin_selection_that_cannot_mean_packs_is_an_error(monkeypatch, value, message):
    monkeypatch.setenv("NEUROGEBRA_PLUGINS", value)
    with pytest.raises(ArgumentError) as info:
        MathForge()
    assert message in str(info.value)


@pytest.mark.parametrize("value", ["", "  ", "All", " builtin "])
def test_an_empty_or_spaced_plugin_selection_means_the_word_it_says(monkeypatch, value):
    monkeypatch.setenv("NEUROGEBRA_PLUGINS", value)
    assert "relu" in MathForge() and MathForge().plugin_errors == []


@pytest.mark.parametrize("value", [os.pathsep * 3, " ", f" {os.pathsep} "])
def test_empty_entries_of_the_path_variable_are_skipped(monkeypatch, value):
    monkeypatch.setenv("NEUROGEBRA_PATH", value)
    forge = MathForge(plugins="builtin")
    assert "relu" in forge and forge.plugin_errors == []
