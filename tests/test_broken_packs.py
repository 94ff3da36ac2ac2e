"""Broken third-party packs as real installed wheels: each is reported as a PluginError
naming it, and neurogebra, its built-in catalog and the command line keep working.

One distribution, built with pip once per session and installed into a temporary
folder (no network), carries one entry point per kind of breakage; a fresh Python
process with that folder on its path discovers them as it would packs from an index.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.test_example_packs import pip

PACKS = {   # entry point name -> module source
    "exitimport": 'raise SystemExit("pack refuses to load")',
    "exithook": """
        from neurogebra import hookimpl
        @hookimpl
        def neurogebra_definition_files():
            raise SystemExit(3)
        """,
    "activations": """
        from neurogebra import Expression, hookimpl
        @hookimpl
        def neurogebra_expressions():
            return [Expression("impostor_fn", "x*42")]
        """,
    "xprim": """
        import sympy
        from neurogebra import Primitive, hookimpl
        @hookimpl
        def neurogebra_primitives():
            return [Primitive("x", lambda u: 2*u, (lambda u: sympy.Integer(2),), lambda u: 2*u)]
        """,
    "freshprim": """
        import sympy
        from neurogebra import Expression, Primitive, hookimpl
        @hookimpl
        def neurogebra_primitives():   # a new Primitive object at every MathForge()
            return [Primitive("double_it", lambda u: 2*u, (lambda u: sympy.Integer(2),),
                              lambda u: 2*u)]
        @hookimpl
        def neurogebra_expressions():
            return [Expression("doubled", "double_it(x)")]
        """,
    "nonefile": """
        from importlib.resources import files
        from neurogebra import hookimpl
        @hookimpl
        def neurogebra_definition_files():
            return [None, 42, b"raw.yaml", files(__name__) / "good.yaml"]
        """,
    "aliasthief": """
        from neurogebra import Expression, hookimpl
        @hookimpl
        def neurogebra_expressions():
            return [Expression("swish", "x*0", metadata={"description": "not swish"})]
        """,
    "evildir": """
        def __dir__():
            raise RuntimeError("no listing")
        """,
}
GOOD_YAML = "schema: 1\nfunctions:\n  - name: goodfn\n    formula: 2*x\n"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """A folder with the broken packs installed from one wheel."""
    work = tmp_path_factory.mktemp("broken_packs")
    source = work / "src"
    for name, body in PACKS.items():
        module = source / f"hostile_{name}"
        module.mkdir(parents=True)
        (module / "__init__.py").write_text(textwrap.dedent(body))
    (source / "hostile_nonefile" / "good.yaml").write_text(GOOD_YAML)
    entry_points = "\n".join(f'{name} = "hostile_{name}"' for name in PACKS)
    (source / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "neurogebra-hostile"
        version = "0.1"
        [project.entry-points."neurogebra.forge"]
        """) + entry_points + textwrap.dedent("""
        [tool.setuptools]
        packages = [""" + ", ".join(f'"hostile_{name}"' for name in PACKS) + """]
        [tool.setuptools.package-data]
        "*" = ["*.yaml"]
        """))
    pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work / "wheels"),
        str(source), cwd=work)
    target = work / "site"
    pip("install", "--no-deps", "--no-index", "--target", str(target),
        *map(str, (work / "wheels").glob("*.whl")), cwd=work)
    return target


def run(site, *argv, code=None):
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NEUROGEBRA_PLUGINS", None)
    env.pop("NEUROGEBRA_PATH", None)
    command = [sys.executable, "-c", textwrap.dedent(code)] if code else \
        [sys.executable, "-m", "neurogebra.cli", *argv]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


CATALOG = """
    import json, warnings
    warnings.simplefilter("ignore")
    from neurogebra import Expression, MathForge
    # before any MathForge: formulas may call the primitives of installed packs
    fresh = [Expression("g", "double_it(x)").eval(x=2.0), Expression("h", "tanhshrink(x)").formula]
    first, second = MathForge(), MathForge()
    broken = [n for n in first.list_all() if first.qualified_name(n).split(".")[0]
              in ("activations", "losses", "schedules", "vectors")
              and not first.get(n).formula]
    print(json.dumps({
        "errors": sorted(str(e) for e in first.plugin_errors),
        "causes": sorted({type(e.__cause__).__name__ for e in first.plugin_errors}),
        "second_errors": len(second.plugin_errors),
        "doubled": [first.get("doubled").eval(x=2.0), second.get("doubled").eval(x=3.0)],
        "goodfn": first.get("nonefile.goodfn").eval(x=1.0),
        "swish": [first.qualified_name("swish"), first.get("aliasthief.swish").formula],
        "impostor": "impostor_fn" in first,
        "relu": first.get("relu").eval(x=-1.0),
        "user_formula": Expression("f", "x**2 + 1").eval(x=2.0),
        "broken_builtins": broken,
        "fresh": fresh,
    }))
    """


def test_every_broken_pack_is_reported_and_the_rest_works(site):
    result = run(site, code=CATALOG)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    pack = "(distribution neurogebra-hostile)"
    assert data["errors"] == sorted([
        f"pack 'activations' {pack} is skipped: the pack name 'activations' is already used "
        "by distribution neurogebra; two installed packs cannot share a name (uninstall one, "
        "or rename its entry point)",
        f"pack 'evildir' {pack} could not be inspected: RuntimeError: no listing",
        f"pack 'exithook' {pack} raised in neurogebra_definition_files(): SystemExit: 3",
        f"pack 'exitimport' {pack} failed to import 'hostile_exitimport': SystemExit: pack "
        "refuses to load",
        f"pack 'nonefile' {pack} returned a bad file from neurogebra_definition_files(): a "
        "definition file is text or a pathlib.Path, got NoneType None",
        f"pack 'nonefile' {pack} returned a bad file from neurogebra_definition_files(): a "
        "definition file is text or a pathlib.Path, got int 42",
        f"pack 'nonefile' {pack} returned a bad file from neurogebra_definition_files(): a "
        "definition file is text or a pathlib.Path, got bytes b'raw.yaml'",
        f"pack 'xprim' {pack} has a bad primitive: 'x' is a variable by convention (one-letter "
        "names, y_pred, y_true); choose a function-like name",
    ])
    assert data["causes"] == ["ArgumentError", "NoneType", "RuntimeError", "SystemExit"]
    assert data["second_errors"] == len(data["errors"])   # the same, no new ones
    assert data["doubled"] == [4.0, 6.0] and data["goodfn"] == 2.0
    assert data["swish"] == ["activations.silu", "0"] and data["impostor"] is False
    assert data["relu"] == 0.0 and data["user_formula"] == 5.0
    assert data["broken_builtins"] == []
    assert data["fresh"] == [4.0, "tanhshrink(x)"]


def test_the_command_line_works_with_broken_packs_installed(site):
    listing = run(site, "list", "--category", "loss")
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    assert any(line.startswith("mse ") for line in listing.stdout.splitlines())
    warned = listing.stderr.splitlines()
    assert len(warned) == 9 and all(line.startswith("neurogebra: warning: ") for line in warned)
    plugins = run(site, "plugins")
    assert plugins.returncode == 1 and "Traceback" not in plugins.stderr
    problems = [line for line in plugins.stdout.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 8 and all("(distribution neurogebra-hostile)" in p for p in problems)
