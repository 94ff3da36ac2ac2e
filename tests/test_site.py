"""The documentation site builds with `mkdocs build --strict`, API reference included."""

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
