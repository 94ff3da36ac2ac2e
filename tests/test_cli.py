"""The neurogebra command."""

import contextlib
import io
import subprocess
import sys
from pathlib import Path


from neurogebra.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *args):
    status = main(list(args))
    return status, capsys.readouterr().out


def test_demo_tells_the_whole_story(capsys):
    status, out = run(capsys, "demo")
    assert status == 0
    for line in ["f'(x) = 2*x + 3", "f'(0) = 3, f'(1) = 5, f'(-1) = 1",
                 "relu'(x) = Heaviside(x, 0)", "sigmoid'(x) = sigmoid(x)*(1 - sigmoid(x))",
                 "tanh'(x) = 1 - tanh(x)**2", "  y_pred=7, y_true=5: gradient 4",
                 "x**3 -> 3*x**2 -> 6*x -> 6", "  15 |   3.2463 |   0.0607 |    0.4926",
                 "  x=-10: sigmoid' = 0.000045   relu' = 0",
                 "symbolic 14.000000, central difference 14.000000, agree: True"]:
        assert line in out.splitlines(), line


def test_list_and_category(capsys):
    status, out = run(capsys, "list", "--category", "loss")
    names = [line.split()[0] for line in out.splitlines()]
    assert status == 0 and "mse" in names and "relu" not in names


def test_show_prints_formula_derivative_params_and_docs(capsys):
    status, out = run(capsys, "show", "leaky_relu")
    assert status == 0
    assert "leaky_relu(x) = Piecewise((x, x > 0), (alpha*x, True))" in out
    assert "d/dx: Piecewise((1, x > 0), (alpha, True))" in out
    assert "alpha = 0.01" in out and "Maas" in out


def test_show_unknown_name_is_a_clean_error(capsys):
    assert main(["show", "relux"]) == 2
    assert "no function named 'relux'" in capsys.readouterr().err


def test_plugins_lists_builtin_packs(capsys):
    status, out = run(capsys, "plugins")
    assert status == 0
    assert any(line.startswith("activations") and "(built-in)" in line
               for line in out.splitlines())


def test_validate_passes_on_the_registry(capsys):
    status, out = run(capsys, "validate", str(ROOT / "registry"))
    assert status == 0 and out.strip().startswith("ok:")


def test_validate_fails_with_file_line_messages(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: 1\nfunctions:\n  - name: f\n    formula: 2*x\n"
                   "    examples:\n      - {x: 1, value: 3}\n  - name: g\n    formula: foo(x)\n")
    status, out = run(capsys, "validate", str(bad))
    assert status == 1
    assert f"{bad}:6: f.examples: example {{'x': 1.0}} gives 2.0, expected 3.0" in out
    assert f"{bad}:8: g.formula: unknown function 'foo'" in out
    assert out.splitlines()[-1] == "FAILED: 2 function(s) checked, 2 problem(s)"


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "neurogebra.cli", "--version"],
                            capture_output=True, text=True)
    assert result.stdout.startswith("neurogebra ")


def test_catalog_page_is_up_to_date():
    committed = (ROOT / "docs" / "catalog.md").read_text()
    rendered = io.StringIO()
    with contextlib.redirect_stdout(rendered):
        assert main(["catalog"]) == 0
    assert committed == rendered.getvalue(), (
        "docs/catalog.md is out of date: run `neurogebra catalog --output docs/catalog.md`")
