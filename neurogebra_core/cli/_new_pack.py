"""``neurogebra new-pack NAME``: a pack that installs and passes its own tests at once.

The folder ``neurogebra-NAME/`` gets a ``pyproject.toml`` declaring the entry
point ``NAME`` in the group ``neurogebra.forge`` and depending on
``neurogebra>=3``; the package ``neurogebra_NAME`` with a YAML file of one
documented function and the hook that returns it (plus, with ``--hooks``, a
module of functions built in Python); a test file running
``neurogebra.testing.assert_pack_ok``; and a README.
"""

from __future__ import annotations

import re
from pathlib import Path

from .._version import __version__
from ..errors import ArgumentError

__all__ = ["write_pack", "pack_files"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MAJOR = __version__.split(".")[0]

_PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "{name}: functions for neurogebra"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["neurogebra>={major}"]

[project.optional-dependencies]
test = ["pytest>=7.4"]

[project.entry-points."neurogebra.forge"]
{name} = "{package}"

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
{package} = ["*.yaml"]
'''

_INIT = '''\
"""The {name} pack: its functions live in functions.yaml{hooks_doc}."""
from importlib.resources import files

from neurogebra import hookimpl
{hooks_import}

@hookimpl
def neurogebra_definition_files():
    return [files(__name__) / "functions.yaml"]
'''

_HOOKS = '''\
"""Functions built in Python, returned by the neurogebra_expressions hook."""
from neurogebra import Expression, hookimpl


@hookimpl
def neurogebra_expressions():
    return [
        Expression("{name}_smooth_abs", "hypot(x, eps) - eps", params={{"eps": 0.01}},
                   metadata={{
                       "category": "activation",
                       "description": "|x| with a tip rounded over a width eps "
                                      "(hypot: no overflow for huge x).",
                       "param_descriptions": {{"eps": "width of the rounded tip"}},
                       "examples": [{{"x": 0.0, "value": 0.0}}, {{"x": -3.0, "value": 2.9900166666203707}}],
                   }}),
    ]
'''

_YAML = '''\
# Functions of the {name} pack; the format: `neurogebra schema --format markdown`.
schema: 1
functions:
  - name: {name}_scaled_tanh
    formula: a*tanh(b*x)
    params:
      a: {{default: 1.7159, description: output scale}}
      b: {{default: 0.6666666666666666, description: input scale}}
    trainable: [a, b]
    category: activation
    description: LeCun's scaled tanh, about 1 at x = 1 and with slope about 1 at 0.
    usage: Hidden layers of small networks trained on normalised inputs.
    pros: ["Keeps unit variance for unit-variance inputs."]
    cons: ["Saturates for large inputs, like tanh."]
    references: ["LeCun, Bottou, Orr & Mueller (1998), Efficient BackProp"]
    examples:
      - {{x: 0, value: 0}}
      - {{x: 1, value: 0.9999972559224791}}
'''

_TEST = '''\
"""The {name} pack passes neurogebra's checks once installed (pip install -e .)."""
from neurogebra import MathForge
from neurogebra.testing import assert_pack_ok


def test_the_pack_passes_the_checks_of_neurogebra_validate():
    assert_pack_ok("{name}")   # examples, finite values at extremes, derivatives


def test_its_functions_are_in_the_catalog():
    forge = MathForge()
    assert forge.qualified_name("{name}_scaled_tanh") == "{name}.{name}_scaled_tanh"
    assert forge.get("{name}_scaled_tanh").trainable_params == ("a", "b")
'''

_README = '''\
# {dist}

A neurogebra pack: functions that every `MathForge()` finds once this is
installed (neurogebra 3 or newer, installed from its repository).

```console
$ python -m pip install -e ".[test]"
$ python -m pytest
$ neurogebra list --search {name}
$ neurogebra validate --installed --pack {name}
```

- `{package}/functions.yaml`: the functions and their documentation
  (`neurogebra schema --format markdown` lists the fields).
- `{package}/__init__.py`: the hooks; `pyproject.toml` names this module as the
  entry point `{name}` in the group `neurogebra.forge`.
- `tests/test_pack.py`: `neurogebra.testing.assert_pack_ok("{name}")` checks
  every function's examples, its values at extreme inputs and its derivatives.
'''


def pack_files(name: str, hooks: bool = False) -> dict[str, str]:
    """The files of pack ``name``: relative path -> text.

    Raises:
        ArgumentError: ``name`` is not lower case letters, digits and ``_``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ArgumentError(f"a pack name is lower case letters, digits and _, starting with "
                            f"a letter (it names a Python package too), got {name!r}")
    fields = {"name": name, "dist": f"neurogebra-{name.replace('_', '-')}",
              "package": f"neurogebra_{name}", "major": _MAJOR,
              "hooks_doc": "; hooks.py builds more in Python" if hooks else "",
              "hooks_import": "\nfrom .hooks import neurogebra_expressions  # noqa: F401\n"
              if hooks else ""}
    package = fields["package"]
    files = {"pyproject.toml": _PYPROJECT, "README.md": _README,
             f"{package}/__init__.py": _INIT, f"{package}/functions.yaml": _YAML,
             "tests/test_pack.py": _TEST}
    if hooks:
        files[f"{package}/hooks.py"] = _HOOKS
    return {path: text.format(**fields) for path, text in files.items()}


def write_pack(name: str, directory: Path, hooks: bool = False) -> Path:
    """Write pack ``name`` into ``directory/neurogebra-NAME``; return that folder.

    Raises:
        ArgumentError: a bad name, or the folder exists already.
    """
    files = pack_files(name, hooks)
    folder = Path(directory) / f"neurogebra-{name.replace('_', '-')}"
    if folder.exists():
        raise ArgumentError(f"{folder} exists already; choose another name or directory")
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
