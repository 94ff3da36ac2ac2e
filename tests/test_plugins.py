"""Pack discovery and isolation, with fake installed packs."""

import textwrap
import warnings

import pytest

from neurogebra import Expression, MathForge, PluginError, PluginWarning
from neurogebra.catalog import HOOK_NAMES, make_plugin_manager

YAML_PACK = '''
from neurogebra import hookimpl
import pathlib, tempfile
_dir = pathlib.Path(tempfile.mkdtemp())
(_dir / "defs.yaml").write_text("""{yaml}""")

@hookimpl
def neurogebra_definition_files():
    return [str(_dir / "defs.yaml")]   # a plain str path; others use Path or resources
'''


def yaml_pack(text):
    return YAML_PACK.format(yaml=textwrap.dedent(text))


def quiet_forge(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        forge = MathForge(**kwargs)
        forge.list_all()
    return forge


def test_plugin_manager_is_fresh_and_knows_every_hook():
    first, second = make_plugin_manager(), make_plugin_manager()
    assert first is not second
    assert {name for name in HOOK_NAMES if hasattr(first.hook, name)} == set(HOOK_NAMES)
    assert first.get_plugins() == set()


def test_hook_neurogebra_definition_files(install_packs):
    install_packs(extra=yaml_pack("""
        schema: 1
        functions:
          - name: cube
            formula: x**3
            description: The cube.
        """))
    forge = MathForge()
    assert forge.get("cube").eval(x=2) == 8.0
    assert forge.qualified_name("cube") == "extra.cube"
    assert {"name": "extra", "distribution": "neurogebra-extra", "version": "1.0",
            "builtin": False, "functions": 1} in forge.packs


def test_hook_neurogebra_expressions(install_packs):
    install_packs(py="""
from neurogebra import Expression, hookimpl

@hookimpl
def neurogebra_expressions():
    return [Expression("double", "2*x", metadata={"category": "toy", "description": "twice"})]
""")
    forge = MathForge()
    assert forge.get("double").eval(x=4) == 8.0
    assert forge.list_all(category="toy") == ["double"]
    assert "twice" in forge.explain("double")


def test_hook_neurogebra_primitives(install_packs):
    install_packs(prim="""
import math, numpy as np, sympy
from neurogebra import Primitive, hookimpl

SQUASH = Primitive(name="squash_test", explicit=lambda x: x/(1 + abs(x)),
                   derivatives=(lambda x: 1/(1 + abs(x))**2,),
                   numpy=lambda x: x/(1 + np.abs(x)), scalar=lambda x: x/(1 + abs(x)))

@hookimpl
def neurogebra_primitives():
    return [SQUASH]

@hookimpl
def neurogebra_expressions():
    from neurogebra import Expression
    return [Expression("squash", "squash_test(x)")]
""")
    forge = MathForge()
    squash = forge.get("squash")
    assert squash.eval(x=1.0) == 0.5
    assert str(squash.gradient("x").symbolic_expr) == "(Abs(x) + 1)**(-2)"
    assert Expression("user", "squash_test(2*x)").eval(x=[0.5]).tolist() == [0.5]


def test_pack_that_fails_to_import_is_isolated(install_packs):
    install_packs(bad=None)  # module fake_pack_bad does not exist
    with pytest.warns(PluginWarning) as caught:
        forge = MathForge()
    message = str(caught[0].message)
    assert "pack 'bad' (distribution neurogebra-bad) failed to import 'fake_pack_bad'" in message
    assert "ModuleNotFoundError" in message
    [error] = forge.plugin_errors
    assert isinstance(error, PluginError) and error.pack == "bad"
    assert error.distribution == "neurogebra-bad"
    assert isinstance(error.__cause__, ModuleNotFoundError)
    assert forge.get("relu").eval(x=2) == 2.0


def test_pack_raising_in_a_hook_is_isolated(install_packs):
    install_packs(boom="""
from neurogebra import hookimpl

@hookimpl
def neurogebra_expressions():
    raise RuntimeError("kaboom")
""")
    with pytest.warns(PluginWarning, match=r"pack 'boom' .* raised in neurogebra_expressions\(\): "
                                           "RuntimeError: kaboom"):
        forge = MathForge()
    assert isinstance(forge.plugin_errors[0].__cause__, RuntimeError)
    assert "mse" in forge


def test_misspelled_hook_is_reported(install_packs):
    install_packs(typo="""
from neurogebra import hookimpl

@hookimpl
def neurogebra_expresions():
    return []
""")
    forge = quiet_forge()
    [error] = forge.plugin_errors
    assert "neurogebra_expresions is not a neurogebra hook" in str(error)
    assert "Did you mean 'neurogebra_expressions'?" in str(error)


def test_marker_of_another_project_is_reported(install_packs):
    install_packs(marker="""
import pluggy
hookimpl = pluggy.HookimplMarker("someone_else")

@hookimpl
def neurogebra_expressions():
    return []
""")
    [error] = quiet_forge().plugin_errors
    assert "not marked with @neurogebra.hookimpl" in str(error)


def test_hook_returning_a_non_list_is_reported(install_packs):
    install_packs(single="""
from neurogebra import hookimpl, Expression

@hookimpl
def neurogebra_expressions():
    return Expression("one", "x")
""")
    [error] = quiet_forge().plugin_errors
    assert "returned Expression from neurogebra_expressions(); a hook returns a list" in str(error)


def test_broken_yaml_in_a_pack_is_isolated(install_packs):
    install_packs(yamlbad=yaml_pack("""
        schema: 1
        functions:
          - name: good
            formula: x + 1
          - name: bad
            formula: x +* 1
          - name: worse
            formla: x
        """), other=yaml_pack("""
        schema: 1
        functions:
          - name: fine
            formula: 2*x
        """))
    forge = quiet_forge()
    assert forge.get("fine").eval(x=1) == 2.0
    assert forge.get("good").eval(x=1) == 2.0
    messages = [str(e) for e in forge.plugin_errors]
    assert any("unknown field 'formla'" in m and "Did you mean 'formula'" in m
               and "defs.yaml:9: worse.formla" in m for m in messages), messages
    with pytest.raises(Exception, match=r"defs.yaml:7: bad.formula: invalid formula"):
        forge.get("bad")


def test_same_name_in_two_packs_warns_and_both_stay_reachable(install_packs):
    body = """
        schema: 1
        functions:
          - name: relu
            formula: {formula}
        """
    install_packs(zeta=yaml_pack(body.format(formula="x")),
                  alpha=yaml_pack(body.format(formula="2*x")))
    with pytest.warns(PluginWarning) as caught:
        forge = MathForge()
        forge.get("relu")
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        "'relu' from pack 'alpha' is shadowed by pack 'activations'; use 'alpha.relu' for it",
        "'relu' from pack 'zeta' is shadowed by pack 'activations'; use 'zeta.relu' for it"]
    assert forge.get("relu").eval(x=-1) == 0.0
    assert forge.get("alpha.relu").eval(x=-1) == -2.0
    assert forge.get("zeta.relu").eval(x=-1) == -1.0


def test_selection_by_argument_and_environment(install_packs, monkeypatch):
    install_packs(extra=yaml_pack("""
        schema: 1
        functions:
          - name: cube
            formula: x**3
        """))
    assert "cube" not in MathForge(plugins="builtin")
    assert "cube" in MathForge(plugins="all")
    assert len(MathForge(plugins="none")) == 0
    assert set(MathForge(plugins=["extra"]).list_all()) == {"cube"}
    monkeypatch.setenv("NEUROGEBRA_PLUGINS", "builtin")
    assert "cube" not in MathForge() and "relu" in MathForge()
    with pytest.warns(PluginWarning, match="no pack named 'extr' is installed. "
                                           "Did you mean 'extra'?"):
        MathForge(plugins="extr,losses")


def test_hook_neurogebra_optimizers(install_packs):
    install_packs(opt="""
import numpy as np
from neurogebra import Optimizer, hookimpl

class HalfStep(Optimizer):
    name = "halfstep"
    def __init__(self, learning_rate=1.0):
        super().__init__(learning_rate)
    def _update(self, values, gradients):
        return values - 0.5 * self.learning_rate * gradients

class Clash(HalfStep):
    name = "adam"

@hookimpl
def neurogebra_optimizers():
    return [HalfStep, Clash, "not a class"]
""")
    from neurogebra import Trainer
    forge = quiet_forge()
    assert set(forge.optimizers) == {"halfstep"}
    messages = [str(e) for e in forge.plugin_errors]
    assert any("name 'adam' is missing or taken" in m for m in messages)
    assert any("returned 'not a class', not a neurogebra.Optimizer subclass" in m
               for m in messages)
    model = Expression("m", "w*x", params={"w": 0.0}, trainable_params=["w"])
    trainer = Trainer(model, optimizer="halfstep", learning_rate=1.0, forge=forge)
    trainer.fit([1.0], [1.0], epochs=1, verbose=False)
    assert model.params["w"] == 1.0   # w - 0.5 * 1 * d/dw (w*1 - 1)^2 = 0 - 0.5*(-2)


def test_hook_calls_go_through_pluggy_so_tracing_sees_each_pack(install_packs):
    install_packs(py="""
from neurogebra import Expression, hookimpl

@hookimpl
def neurogebra_expressions():
    return [Expression("double", "2*x")]
""")
    lines = []
    forge = MathForge(trace=lines.append)
    finished = [line for line in lines if line.strip().startswith("finish neurogebra_")]
    assert any("finish neurogebra_expressions --> [[Expression('double', '2*x')]]" in line
               for line in finished), lines   # the pack's own call is traced
    builtin = [p for p in forge.packs if p["builtin"]]
    assert len([n for n in finished if "neurogebra_definition_files" in n]) == len(builtin)
    assert forge.get("double").eval(x=1) == 2.0
    seen = []
    undo = forge.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: seen.append((name, [i.plugin_name for i in impls])),
        lambda outcome, name, impls, kwargs: None)
    forge.plugin_manager.hook.neurogebra_expressions()
    undo()
    assert ("neurogebra_expressions", ["py"]) in seen
