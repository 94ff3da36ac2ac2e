"""The package's layers: imports point one way, with no cycles, through public names.

Every ``import`` in ``neurogebra_core`` is read with :mod:`ast` (inside
functions too, since a deferred import hides a dependency without removing
it). The layers, bottom to top, are those of docs/architecture.md; a module
may import its own layer and the layers below, and another layer only
through that layer's package (``from ..symbolic import parse_formula``),
never through its private modules. Tests and benchmarks use public names
too, except the white-box tests that say so at the top of their file.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "neurogebra_core"
LAYERS = ["errors", "_version", "symbolic", "compile", "optim", "render", "expression",
          "catalog", "training", "cli", "testing"]
RANK = {"errors": 0, "_version": 0, "symbolic": 1, "compile": 2, "optim": 2, "render": 3,
        "expression": 4, "catalog": 5, "training": 6, "cli": 7, "testing": 7, "": 8}


def module_name(path: Path) -> str:
    parts = ["neurogebra", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str, path: Path) -> set[str]:
    """The neurogebra modules ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "neurogebra"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "neurogebra":
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in MODULES else base)
    return found - {name}


GRAPH = {name: imports(name, path) for name, path in MODULES.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_belongs_to_a_known_layer():
    assert {layer(m) for m in MODULES} == set(LAYERS) | {""}


def test_imports_point_down_the_layers():
    wrong = [(m, t) for m, targets in GRAPH.items() for t in targets
             if layer(t) != layer(m) and not (RANK[layer(t)] < RANK[layer(m)])]
    assert not wrong, wrong


def test_other_layers_are_used_through_their_package_only():
    private = [(m, t) for m, targets in GRAPH.items() for t in targets
               if layer(t) != layer(m) and t.rpartition(".")[2].startswith("_")
               and t != "neurogebra._version"]
    assert not private, private


def test_there_is_no_import_cycle():
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(GRAPH.get(node, ())):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


def third_party(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
    return {n.split(".")[0] for n in names if n}


def test_the_symbolic_layer_knows_nothing_of_numbers_or_the_catalog():
    for name, targets in GRAPH.items():
        if layer(name) == "symbolic":
            assert all(layer(t) in ("symbolic", "errors") for t in targets), (name, targets)
            numeric = third_party(MODULES[name]) & {"numpy", "scipy", "jax", "torch"}
            assert not numeric, (name, numeric)


WHITE_BOX = re.compile(r'"""White-box tests of one internal module: (neurogebra[\w.]*\w)')
PRIVATE_USE = re.compile(r"neurogebra(?:\.\w+)*\._(?!_)\w+|\._(?:catalog|index|objective|compiled|make|"
                         r"evaluator|fast|expr|params|manager)\b")


@pytest.mark.parametrize("path", sorted((ROOT / "tests").rglob("*.py"))
                         + sorted((ROOT / "benchmarks").glob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_and_benchmarks_use_public_names(path):
    text = path.read_text()
    declared = WHITE_BOX.match(text)
    uses = set(PRIVATE_USE.findall(text)) - {"neurogebra._version"}
    if path.name == "test_architecture.py":
        return
    if declared:
        assert uses <= {declared.group(1)}, uses
    else:
        assert not uses, f"{path.name} uses private names {sorted(uses)}"


def test_every_subpackage_is_shipped_in_the_wheel():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11+")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = set(config["packages"])
    folders = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert folders <= shipped, folders - shipped


def test_importing_neurogebra_imports_no_heavy_optional_library():
    """numba (about a second), JAX, PyTorch and dask are imported where they are
    used (a compiled loop's thread, an export, a dask array), not by an import and
    a first evaluation."""
    code = ("import sys, neurogebra; neurogebra.Expression('f', 'tanh(x)').eval(x=[0.5, 1.0]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'numba', 'jax', 'torch', 'dask', 'llvmlite'}))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "NEUROGEBRA_JIT": "on"})
    assert shown.stdout.strip() == "[]"
