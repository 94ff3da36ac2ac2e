"""Notebook display and plots (rendered with Agg; the figure's data is checked)."""

import builtins

import numpy as np
import pytest

from neurogebra import (ArgumentError, Expression, MathForge, MissingDependencyError,
                        VariableError, plot_many)
from neurogebra.cli import main

FORGE = MathForge(plugins="builtin")
matplotlib = pytest.importorskip("matplotlib", reason="plots need the [plot] extra")


def curves(figure):
    [axes] = figure.axes
    return {line.get_label(): line for line in axes.get_lines()
            if not line.get_label().startswith("_")}


def test_plot_draws_the_function_and_its_derivatives():
    figure = FORGE.get("tanh").plot(x_range=(-2, 2), derivatives=2, points=101)
    lines = curves(figure)
    assert list(lines) == ["tanh(x)", "tanh'(x)", "tanh''(x)"]
    x, y = lines["tanh'(x)"].get_data()
    assert x[0] == -2 and x[-1] == 2 and len(x) == 101
    np.testing.assert_allclose(y, 1 - np.tanh(x) ** 2, rtol=1e-12)
    np.testing.assert_allclose(lines["tanh''(x)"].get_ydata(),
                               -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-10, atol=1e-15)
    assert figure.axes[0].get_title() == "tanh"


def test_plot_fixes_other_variables_and_params_by_keyword(tmp_path):
    figure = FORGE.get("mse").plot(x_range=(0, 4), points=5, y_true=1.0)
    assert curves(figure)["mse(y_pred)"].get_ydata().tolist() == [1.0, 0.0, 1.0, 4.0, 9.0]
    figure = FORGE.get("leaky_relu").plot(x_range=(-1, 1), points=3, alpha=0.5)
    assert curves(figure)["leaky_relu(x)"].get_ydata().tolist() == [-0.5, 0.0, 1.0]
    path = tmp_path / "leaky.png"
    figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_vanishing_gradient_picture_is_one_call():
    figure = plot_many([FORGE.get("sigmoid"), FORGE.get("relu")], x_range=(-10, 10),
                       derivatives=1, only_derivatives=True, points=201)
    lines = curves(figure)
    assert list(lines) == ["sigmoid'(x)", "relu'(x)"]
    assert lines["sigmoid'(x)"].get_ydata().max() == pytest.approx(0.25)
    assert lines["relu'(x)"].get_ydata()[-1] == 1.0


@pytest.mark.parametrize("call, error, message", [
    (lambda: FORGE.get("mse").plot(), VariableError, "choose the one to plot with variable="),
    (lambda: FORGE.get("relu").plot(derivatives=3), ArgumentError, "derivatives must be 0, 1 or 2"),
    (lambda: FORGE.get("relu").plot(x_range=(1, 0)), ArgumentError, "low < high"),
    (lambda: plot_many([]), ArgumentError, "at least one Expression"),
])
def test_plot_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_missing_matplotlib_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(MissingDependencyError, match=r"pip install matplotlib"):
        FORGE.get("relu").plot()


def test_cli_plot_writes_an_image(tmp_path, capsys):
    out = tmp_path / "gelu.png"
    assert main(["plot", "gelu", "--out", str(out), "--derivatives", "2"]) == 0
    assert out.stat().st_size > 1000 and f"wrote {out}" in capsys.readouterr().out


def test_expression_html_shows_name_formula_params_and_docs():
    html = FORGE.get("leaky_relu", trainable=True)._repr_html_()
    assert "<strong>leaky_relu</strong> <em>[activation]</em>" in html
    assert r"\(\mathrm{leaky\_relu}(x) = \begin{cases}" in html
    assert "<tr><td>alpha</td><td>0.01</td><td>yes</td><td>slope for negative inputs" in html
    assert "ReLU with a small slope" in html


def test_latex_repr_and_catalog_table():
    assert Expression("f_1", "x**2")._repr_latex_() == r"$\displaystyle \mathrm{f\_1}(x) = x^{2}$"
    table = FORGE._repr_html_()
    assert table.count("<tr>") == len(FORGE) + 1
    assert r"<tr><td>sigmoid</td><td>activation</td><td>\(\sigma\left(x\right)\)</td>" in table


def test_catalog_pictures_are_small_pngs_of_the_function_and_its_derivative():
    import struct
    from neurogebra.render import PICTURE_SIZE, picture_png
    png = picture_png(FORGE.get("mse"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (round(PICTURE_SIZE[0] * 72), round(PICTURE_SIZE[1] * 72))
    assert len(png) < 60_000
