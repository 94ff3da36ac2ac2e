"""Shared fixtures: fake installed packs through a patched importlib.metadata."""

import importlib.metadata
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


class FakeDistribution:
    def __init__(self, name, version):
        self.metadata = {"Name": name}
        self.version = version


class FakeEntryPoint:
    """Stands in for an installed pack's entry point."""

    def __init__(self, name, module_name, dist="fake-dist", version="1.0"):
        self.name = name
        self.value = module_name
        self.group = ENTRY_POINT_GROUP
        self.dist = FakeDistribution(dist, version)

    def load(self):
        return importlib.import_module(self.value)


@pytest.fixture
def install_packs(monkeypatch):
    """``install_packs(name=module_or_source, ...)``: pretend packs are installed.

    A value that is a string of Python source becomes a module of that name;
    the built-in packs stay installed.
    """
    real = importlib.metadata.entry_points

    def install(**packs):
        fakes = []
        for name, source in packs.items():
            module_name = f"fake_pack_{name}"
            if isinstance(source, str):
                module = types.ModuleType(module_name)
                exec(source, module.__dict__)
                monkeypatch.setitem(sys.modules, module_name, module)
            elif source is not None:
                monkeypatch.setitem(sys.modules, module_name, source)
            fakes.append(FakeEntryPoint(name, module_name, dist=f"neurogebra-{name}"))

        def entry_points(**kwargs):
            found = list(real(**kwargs))
            if kwargs.get("group") == ENTRY_POINT_GROUP:
                found += fakes
            return found

        monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
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
