"""A fresh Jupyter kernel, driven headless by nbclient, as a notebook user meets
neurogebra: an Expression shows as HTML and LaTeX, the catalog as a table, a
plot as a PNG without ``%matplotlib inline``, and a fit shows its progress."""

import base64

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebooks need the [test] extra")
nbclient = pytest.importorskip("nbclient", reason="notebooks need the [test] extra")
pytest.importorskip("ipykernel", reason="a Python kernel needs ipykernel")

CELLS = [
    'from neurogebra import Expression, MathForge, Trainer\n'
    'import numpy as np\n'
    'Expression("quadratic", "x**2 + 3*x", params={}, metadata={"description": "A parabola."})',
    'forge = MathForge(plugins="builtin")\nforge',
    'forge.get("tanh").plot(derivatives=1)',
    'line = Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])\n'
    'x = np.linspace(-1, 1, 50)\n'
    'history = Trainer(line, "mse", "adam", learning_rate=0.1).fit(x, 3*x + 2, epochs=30,\n'
    '                                                              metrics=["mae"])',
    'history',
    'history.plot()',
]


@pytest.fixture(scope="module")
def notebook():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3")
    try:
        client.execute()
    except (RuntimeError, OSError) as exc:
        if "kernel" in str(exc).lower() and not client.kc:
            pytest.skip(f"the Jupyter kernel cannot start here: {exc}")
        raise
    return notebook


@pytest.fixture(scope="module")
def executed(notebook):
    return [cell.outputs for cell in notebook.cells]


def data(outputs, mime):
    return [o["data"][mime] for o in outputs if "data" in o and mime in o["data"]]


def test_an_expression_shows_as_html_and_latex(executed):
    [html] = data(executed[0], "text/html")
    assert "quadratic" in html and "A parabola." in html
    [latex] = data(executed[0], "text/latex")
    assert latex.startswith(r"$\displaystyle") and "x^{2} + 3 x" in latex


def test_the_catalog_shows_as_a_table(executed):
    [html] = data(executed[1], "text/html")
    assert "<table" in html and "leaky_relu" in html and "mse" in html


def test_a_plot_displays_as_a_png_in_a_fresh_kernel(executed):
    for cell in (2, 5):
        [png] = data(executed[cell], "image/png")
        assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"
        assert not [o for o in executed[cell] if o.get("output_type") == "error"]


def test_a_fit_shows_progress_with_its_loss(notebook, executed):
    outputs = executed[3]
    widgets = data(outputs, "application/vnd.jupyter.widget-view+json")
    streams = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    if widgets:   # tqdm's notebook widget (ipywidgets is installed); nbclient keeps its state
        state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
        shown = " ".join(str(m["state"].get("value", "")) for m in state["state"].values())
        assert "30/30" in shown and "loss=" in shown and "mae=" in shown
    else:         # a text bar where ipywidgets is missing
        assert "30/30" in streams and "loss=" in streams
    assert "epoch 1/30" not in streams   # not the plain lines meant for log files
    [summary] = data(executed[4], "text/plain")
    assert summary.startswith("History(30 epochs in ") and summary.endswith("; metrics mae)")


def test_in_a_script_figures_join_pyplot_only_when_the_script_uses_it():
    import subprocess
    import sys
    import textwrap
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    script = textwrap.dedent("""
        import sys
        from neurogebra import MathForge
        relu = MathForge(plugins="builtin").get("relu")
        alone = relu.plot()
        assert "matplotlib.pyplot" not in sys.modules   # no global state for savefig users
        import matplotlib.pyplot as plt
        shown = relu.plot(derivatives=1)
        assert plt.gcf() is shown and plt.get_fignums() == [1]   # plt.show() would show it
        assert alone not in [plt.figure(n) for n in plt.get_fignums()]
        print(type(shown).__name__, shown._repr_png_()[:4] == b"\\x89PNG")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["NeurogebraFigure", "True"]
