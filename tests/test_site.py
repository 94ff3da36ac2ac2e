"""The documentation site builds with `mkdocs build --strict`, API reference included."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_site_builds_strictly_with_the_api_reference(tmp_path):
    pytest.importorskip("mkdocs", reason="the site needs the [docs] extra")
    pytest.importorskip("mkdocstrings", reason="the site needs the [docs] extra")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    api = (tmp_path / "site" / "reference" / "api" / "index.html").read_text()
    for documented in ("Expression", "gradient", "MathForge", "Trainer", "neurogebra_primitives",
                       "NeurogebraError"):
        assert documented in api, documented
    catalog = (tmp_path / "site" / "catalog" / "index.html").read_text()
    assert "leaky_relu" in catalog
    # every entry of numbers shows the picture the docs_hooks/pictures.py hook draws
    # at build time (a function of vectors has no curve)
    from neurogebra import MathForge
    from neurogebra.render import has_picture
    forge = MathForge(plugins="builtin")
    drawn = [name for name in forge.list_all() if has_picture(forge.get(name))]
    assert "relu" in drawn and "softmax" not in drawn
    assert 'src="../pictures/softmax.png"' not in catalog
    for name in drawn:
        assert f'src="../pictures/{name}.png"' in catalog, name
        png = (tmp_path / "site" / "pictures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 60_000, name


def public_callables():
    import neurogebra
    for name in neurogebra.__all__:
        obj = getattr(neurogebra, name)
        if name == "hookimpl" or not callable(obj) or (
                inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        yield name, obj
        if inspect.isclass(obj):
            for member, function in vars(obj).items():
                if not member.startswith("_") and inspect.isfunction(function):
                    yield f"{name}.{member}", function


@pytest.mark.parametrize("name, obj", list(public_callables()), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_public_api_documents_every_parameter_in_the_configured_style(name, obj):
    """mkdocs.yml reads Google-style docstrings; then every parameter has a table row."""
    griffe = pytest.importorskip("griffe", reason="the site needs the [docs] extra")
    style = re.search(r"docstring_style: (\w+)", (ROOT / "mkdocs.yml").read_text()).group(1)
    parameters = [p for p in inspect.signature(obj).parameters.values()
                  if p.name not in ("self", "cls")]
    if not parameters:
        return
    sections = griffe.Docstring(inspect.getdoc(obj) or "", parser=style).parse()
    documented = {item.name.lstrip("*") for section in sections
                  if section.kind.value in ("parameters", "other parameters", "attributes")
                  for item in section.value}
    missing = [p.name for p in parameters if p.name not in documented]
    assert not missing, f"{name} does not document {missing}"
