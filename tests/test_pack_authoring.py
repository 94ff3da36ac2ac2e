"""Making a pack: ``neurogebra new-pack`` writes one that builds as a wheel,
installs and passes its own tests at once; ``neurogebra.testing`` and
``neurogebra validate --installed`` find what is wrong with a pack."""

import os
import subprocess
import sys
import types

import pytest
import sympy

from neurogebra import Expression, Primitive, hookimpl
from neurogebra.cli import main
from neurogebra.testing import assert_pack_ok, check_pack
from tests.test_example_packs import pip


@pytest.fixture(scope="module")
def installed_pack(tmp_path_factory):
    """``neurogebra new-pack spline --hooks``, built as a wheel and installed into a folder."""
    work = tmp_path_factory.mktemp("new_pack")
    assert main(["new-pack", "spline", "--hooks", "--directory", str(work)]) == 0
    source = work / "neurogebra-spline"
    pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work / "wheels"),
        str(source), cwd=work)
    [wheel] = (work / "wheels").glob("*.whl")
    assert wheel.name == "neurogebra_spline-0.1.0-py3-none-any.whl"
    pip("install", "--no-deps", "--no-index", "--target", str(work / "site"), str(wheel), cwd=work)
    return source, work / "site"


def test_the_generated_pack_passes_its_own_tests_once_installed(installed_pack, tmp_path):
    source, site = installed_pack
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NEUROGEBRA_PLUGINS", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(source / "tests")], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    validate = subprocess.run([sys.executable, "-m", "neurogebra.cli", "validate", "--installed",
                               "--pack", "spline"], env=env, capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert validate.stdout.splitlines() == ["ok: 2 function(s) checked, 0 problem(s)"]


def test_the_generated_files_declare_the_pack_for_neurogebra_3(installed_pack):
    source, _ = installed_pack
    pyproject = (source / "pyproject.toml").read_text()
    assert 'dependencies = ["neurogebra>=3"]' in pyproject
    assert '[project.entry-points."neurogebra.forge"]\nspline = "neurogebra_spline"' in pyproject
    assert "from .hooks import neurogebra_expressions" in \
        (source / "neurogebra_spline" / "__init__.py").read_text()
    assert "python -m pip install -e" in (source / "README.md").read_text()


def test_new_pack_refuses_bad_names_and_existing_folders(tmp_path, capsys):
    assert main(["new-pack", "My-Pack", "--directory", str(tmp_path)]) == 2
    assert "a pack name is lower case letters" in capsys.readouterr().err
    assert main(["new-pack", "ok", "--directory", str(tmp_path)]) == 0
    assert main(["new-pack", "ok", "--directory", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err


WRONG_DERIVATIVE = Primitive(
    name="wrong_derivative_demo", explicit=lambda x: sympy.sin(x),
    derivatives=(lambda x: sympy.sin(x),),   # should be cos(x)
    numpy="numpy.sin", scalar="math.sin")


@hookimpl
def neurogebra_primitives():
    return [WRONG_DERIVATIVE]


@hookimpl
def neurogebra_expressions():
    return [
        Expression("naive_softplus", "log(1 + exp(x))",
                   metadata={"examples": [{"x": 0.0, "value": 0.6931471805599453}]}),
        Expression("wrong_example", "2*x", metadata={"examples": [{"x": 1.0, "value": 3.0}]}),
        Expression("bad_slope", "wrong_derivative_demo(x)"),
        Expression("fine", "x**2", metadata={"examples": [{"x": 3.0, "value": 9.0}]}),
    ]


FAULTY = types.SimpleNamespace(neurogebra_primitives=neurogebra_primitives,
                               neurogebra_expressions=neurogebra_expressions)


def test_testing_helper_finds_examples_extremes_and_derivatives_that_are_wrong():
    count, problems = check_pack("faulty", module=FAULTY)
    assert count == 4
    found = {(p.function, p.check) for p in problems}
    assert found == {("faulty.naive_softplus", "extremes"), ("faulty.wrong_example", "examples"),
                     ("faulty.bad_slope", "derivatives")}
    overflow = [str(p) for p in problems if p.check == "extremes"]
    assert "faulty.naive_softplus: extremes: at {'x': 1000.0} gives inf or a NumPy warning; " \
           "the true value is 1000.0" in overflow
    assert "example {'x': 1.0} gives 2.0, expected 3.0" in str(problems)
    with pytest.raises(AssertionError, match=r"pack 'faulty': \d+ problem\(s\) in 4 function"):
        assert_pack_ok("faulty", module=FAULTY)


def test_testing_helper_needs_an_installed_pack():
    from neurogebra import PluginError
    with pytest.raises(PluginError, match="no pack named 'nope' is installed"):
        check_pack("nope")


def test_the_builtin_packs_pass_every_check():
    for pack in ("activations", "losses", "schedules"):
        assert_pack_ok(pack)
