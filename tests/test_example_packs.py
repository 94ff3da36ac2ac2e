"""The example packs, built as wheels and installed for real.

Each pack in examples/packs is built with pip into a wheel, installed into a
temporary folder, and used from a fresh Python process whose path includes
that folder: entry points are discovered exactly as for a pack from an index.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKS = Path(__file__).resolve().parents[1] / "examples" / "packs"


def pip(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
                            cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder with the three example packs installed from wheels."""
    work = tmp_path_factory.mktemp("packs")
    wheels = work / "wheels"
    for name in ("kernels", "warmups", "broken"):
        source = work / "src" / name
        shutil.copytree(PACKS / name, source)
        pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels),
            str(source), cwd=work)
    target = work / "site"
    pip("install", "--no-deps", "--no-index", "--target", str(target),
        *map(str, sorted(wheels.glob("*.whl"))), cwd=work)
    return target


def run_python(site, code):
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NEUROGEBRA_PLUGINS", None)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def test_installed_packs_appear_in_mathforge(site):
    result = run_python(site, """
        import json, warnings
        from neurogebra import MathForge
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forge = MathForge()
            packs = {p["name"]: [p["distribution"], p["version"], p["functions"]]
                     for p in forge.packs}
        print(json.dumps({
            "packs": packs,
            "rbf": forge.get("rbf").eval(r=1.0),
            "warmup": forge.get("soft_warmup").eval(t=100.0),
            "warmup_grad": forge.get("soft_warmup").gradient("t").formula,
            "explain": forge.explain("gaussian_rbf"),
            "errors": [[e.pack, e.distribution, type(e.__cause__).__name__, str(e)]
                       for e in forge.plugin_errors],
            "warnings": [str(w.message) for w in caught],
        }))
    """)
    data = json.loads(result.stdout)
    assert data["packs"]["kernels"] == ["neurogebra-kernels", "1.0.0", 2]
    assert data["packs"]["warmups"] == ["neurogebra-warmups", "0.4.0", 2]
    assert data["packs"]["activations"][0] == "neurogebra"
    assert data["rbf"] == pytest.approx(0.6065306597126334, rel=1e-15)
    assert data["warmup"] == pytest.approx(0.001 * (1 - 2.718281828459045 ** -1), rel=1e-14)
    assert data["warmup_grad"] == "lr*exp(log1mexp(t/warmup))/(warmup*expm1(t/warmup))"
    assert "Gaussian radial basis function" in data["explain"]
    assert "Rasmussen & Williams" in data["explain"]
    [[pack, dist, cause, message]] = data["errors"]
    assert (pack, dist, cause) == ("broken", "neurogebra-broken", "ModuleNotFoundError")
    assert "failed to import 'neurogebra_broken'" in message
    assert any("pack 'broken' (distribution neurogebra-broken)" in w for w in data["warnings"])


def test_command_line_sees_the_installed_packs(site):
    result = subprocess.run(
        [sys.executable, "-m", "neurogebra.cli", "plugins"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(site)})
    assert result.returncode == 1  # the broken pack is a problem worth a non-zero status
    lines = result.stdout.splitlines()
    assert any(line.startswith("kernels") and "neurogebra-kernels" in line for line in lines)
    assert any(line.startswith("problem: pack 'broken'") for line in lines)


def test_builtin_selection_ignores_installed_packs(site):
    result = run_python(site, """
        from neurogebra import MathForge
        forge = MathForge(plugins="builtin")
        print(sorted(p["name"] for p in forge.packs), forge.plugin_errors)
    """)
    assert result.stdout.strip() == "['activations', 'losses', 'schedules', 'vectors'] []"
    assert result.stderr == ""
