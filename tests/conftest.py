"""Shared fixtures: packs installed into a temporary folder on sys.path."""

import importlib
import os
import sys
import tempfile
import time
import types

import pytest

from neurogebra.catalog import ENTRY_POINT_GROUP

# the suite's YAML cache (subprocesses inherit it): never the user's own
os.environ["NEUROGEBRA_CACHE_DIR"] = tempfile.mkdtemp(prefix="neurogebra-test-cache-")
# compiled loops only where a test asks for them (tests/whitebox/test_compile_jit.py):
# elsewhere a background compile would change what a test times or counts
os.environ["NEUROGEBRA_JIT"] = "off"


@pytest.fixture
def install_packs(monkeypatch, tmp_path):
    """``install_packs(name=module_or_source, ...)``: install packs for real, as
    metadata folders (``neurogebra_NAME-1.0.dist-info``) in a folder put on
    ``sys.path``, each pointing at module ``fake_pack_NAME``.

    A value that is a string of Python source becomes that module; None leaves
    it missing. The built-in packs stay installed.
    """
    def install(**packs):
        for name, source in packs.items():
            module_name = f"fake_pack_{name}"
            if isinstance(source, str):
                module = types.ModuleType(module_name)
                exec(source, module.__dict__)
                monkeypatch.setitem(sys.modules, module_name, module)
            elif source is not None:
                monkeypatch.setitem(sys.modules, module_name, source)
            metadata = tmp_path / f"neurogebra_{name}-1.0.dist-info"
            metadata.mkdir()
            (metadata / "METADATA").write_text(
                f"Metadata-Version: 2.1\nName: neurogebra-{name}\nVersion: 1.0\n")
            (metadata / "entry_points.txt").write_text(
                f"[{ENTRY_POINT_GROUP}]\n{name} = {module_name}\n")
        monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
        importlib.invalidate_caches()
    return install


@pytest.fixture(autouse=True)
def _no_environment_selection(monkeypatch):
    monkeypatch.delenv("NEUROGEBRA_PLUGINS", raising=False)
    monkeypatch.delenv("NEUROGEBRA_PATH", raising=False)


@pytest.fixture
def no_compile_running():
    """Wait until no compiled loop is being built (one is built at a time, so a
    compile another test started would hold back the one a test starts)."""
    from neurogebra.compile import compiling
    deadline = time.monotonic() + 120
    while compiling() and time.monotonic() < deadline:
        time.sleep(0.01)
