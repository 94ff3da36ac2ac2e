"""The neurogebra command."""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "leaky_relu(x) = where(x > 0, x, alpha*x)" in out
    assert "d/dx: where(x > 0, 1, alpha)" in out
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


def test_version_says_which_neurogebra_runs():
    import neurogebra
    result = subprocess.run([sys.executable, "-m", "neurogebra.cli", "--version"],
                            capture_output=True, text=True)
    assert neurogebra.__version__.split(".")[0] == "3"   # after the unrelated 2.5.11 on PyPI
    assert result.stdout.startswith(f"neurogebra {neurogebra.__version__} (formulas for "
                                    "machine learning: Expression, MathForge; Python 3.")
    assert str(Path(neurogebra.__file__).parent) in result.stdout


def test_list_search_keeps_the_best_match_first(capsys):
    status, out = run(capsys, "list", "--search", "cosine")
    names = [line.split()[0] for line in out.splitlines()]
    assert status == 0 and names[0] == "cosine_decay"
    assert {"warmup_cosine_decay", "cosine_similarity", "cosine_embedding"} <= set(names)
    status, out = run(capsys, "list", "--category", "loss", "--search", "hinge")
    assert {line.split()[0] for line in out.splitlines()} == {
        "hinge", "squared_hinge", "hinge_embedding", "soft_margin", "categorical_hinge",
        "multi_margin"}


def test_validate_reports_a_folder_without_definitions(tmp_path, capsys):
    status, out = run(capsys, "validate", str(tmp_path))
    assert status == 1
    assert out.splitlines() == [f"{tmp_path}: no definition files (.yaml or .yml) found here",
                                "FAILED: 0 function(s) checked, 1 problem(s)"]


def test_validate_checks_the_installed_packs(capsys):
    status, out = run(capsys, "validate", "--installed", "--pack", "schedules")
    assert (status, out) == (0, "ok: 6 function(s) checked, 0 problem(s)\n")
    assert main(["validate"]) == 2
    assert "or --installed (not both)" in capsys.readouterr().err
    assert main(["validate", "registry", "--pack", "losses"]) == 2
    assert "--pack goes with --installed" in capsys.readouterr().err


def test_warnings_are_one_clean_line(install_packs, capsys):
    install_packs(broken="from neurogebra import hookimpl\n"
                         "@hookimpl\ndef neurogebra_expresions():\n    return []\n")
    assert main(["list", "--category", "schedule"]) == 0
    [line] = capsys.readouterr().err.splitlines()   # no source location, no code line
    assert line.startswith("neurogebra: warning: pack 'broken' (distribution "
                           "neurogebra-broken) has invalid hooks: neurogebra_expresions is not")


def test_plot_chooses_the_variable_and_fixes_the_others(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    out = tmp_path / "mse.png"
    assert main(["plot", "mse", "--out", str(out), "--variable", "y_true",
                 "--set", "y_pred=1", "--range", "0", "2", "--derivatives", "0"]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", "mse", "--out", str(out), "--set", "y_pred"]) == 2
    assert "--set takes NAME=NUMBER, got 'y_pred'" in capsys.readouterr().err


def test_catalog_page_is_up_to_date():
    committed = (ROOT / "docs" / "catalog.md").read_text()
    rendered = io.StringIO()
    with contextlib.redirect_stdout(rendered):
        assert main(["catalog"]) == 0
    assert committed == rendered.getvalue(), (
        "docs/catalog.md is out of date: run `neurogebra catalog --output docs/catalog.md`")


HOSTILE_COMMANDS = """
import contextlib, io, json, sys
from neurogebra.cli import main

results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:   # argparse refuses the arguments
            status = exc.code
    results.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def test_hostile_arguments_end_in_one_clear_line(tmp_path):
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    missing, folder = tmp_path / "missing", tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "a_file").write_text("")
    cases = [   # argv, exit status, the last line of standard error
        (["plot", "relu", "--out", str(missing / "a.png")], 2,
         f"neurogebra: error: cannot write '{missing / 'a.png'}': No such file or directory"),
        (["plot", "relu", "--out", str(tmp_path / "a.xyz")], 2,
         f"neurogebra: error: --out '{tmp_path / 'a.xyz'}': matplotlib cannot write .xyz images; "
         "use one of "),
        (["plot", "relu", "--out", str(folder)], 2,
         f"neurogebra: error: --out '{folder}' is not an image file name; give one ending in "
         ".png, .svg or .pdf"),
        (["plot", "relu", "--out", "a\0b.png"], 2,
         "neurogebra: error: cannot write 'a\\x00b.png': embedded null byte"),
        (["plot", "relu", "--out", str(tmp_path / "a.png"), "--dpi", "0"], 2,
         "neurogebra plot: error: argument --dpi: dots per inch are a whole number from 1 to "
         "1000, got '0'"),
        (["plot", "relu", "--out", str(tmp_path / "a.png"), "--dpi", "100000"], 2,
         "neurogebra plot: error: argument --dpi: dots per inch are a whole number from 1 to "
         "1000, got '100000'"),
        (["catalog", "--output", str(missing / "x.md")], 2,
         f"neurogebra: error: cannot write '{missing / 'x.md'}': No such file or directory"),
        (["new-pack", "kernels", "--directory", str(tmp_path / "a_file")], 2,
         f"neurogebra: error: cannot write '{tmp_path / 'a_file'}': "),
        (["show", "relu_" * 20_000], 2,
         "neurogebra: error: no function named 'relu_relu_relu_"),
        (["validate", "a\0b.yaml"], 1, ""),
    ]
    result = subprocess.run([sys.executable, "-c", HOSTILE_COMMANDS,
                             json.dumps([argv for argv, _, _ in cases])],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for (argv, status, line), (got, out, err) in zip(cases, json.loads(result.stdout)):
        said = err.splitlines()[-1] if err else ""
        assert (got, said[:len(line)]) == (status, line), argv
        assert "Traceback" not in err and len(said) < 400, argv
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "folder"]   # nothing written
    assert "... (100000 characters)" in json.loads(result.stdout)[8][2]
    assert json.loads(result.stdout)[9][1].splitlines()[0] == (
        "'a\\x00b.yaml': cannot use this path: embedded null byte")


def test_an_output_that_cannot_be_written_is_one_error_line():
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "neurogebra.cli", "list"], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "neurogebra: error: cannot write the output: No space left on device\n"


def test_a_console_that_cannot_show_a_character_gets_it_escaped():
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run([sys.executable, "-m", "neurogebra.cli", "list", "--search", "dice"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and result.stderr == ""
    assert "One minus the Dice coefficient 2|A\\u2229B|/(|A| + |B|)" in result.stdout
