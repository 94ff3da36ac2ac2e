"""What a fit reports and what a trained model gives back: progress in each
output mode (a real terminal through a pty, a log file), validation data,
metrics, predict and evaluate, and the reprs and plot of History and Trainer."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from neurogebra import ArgumentError, Expression, MathForge, ParameterError, Trainer, \
    UnknownFunctionError
from tests.test_training import data, line

FORGE = MathForge(plugins="builtin")


FIT = textwrap.dedent("""
    import numpy as np
    from neurogebra import Expression, Trainer
    model = Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])
    x = np.linspace(-1, 1, 50)
    Trainer(model, "mse", "adam", learning_rate=0.1).fit(x, 3*x + 2, epochs=EPOCHS,
                                                         metrics=["mae"])
""")


def run_fit(epochs, **streams):
    return subprocess.run([sys.executable, "-c", FIT.replace("EPOCHS", str(epochs))],
                          env={**os.environ, "COLUMNS": "120"}, **streams)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_on_a_terminal_the_fit_draws_a_tqdm_bar_with_loss_and_metrics():
    import fcntl
    import pty
    import struct
    import termios
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 120 columns
    process = run_fit(40, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:   # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.returncode == 0, shown
    text = shown.decode()
    assert "\r" in text and "40/40" in text and "100%" in text   # a bar redrawn in place
    assert "loss=" in text and "mae=" in text
    assert "epoch 1/40" not in text                              # no log lines on a terminal


def test_in_a_log_file_the_fit_writes_a_line_every_tenth_of_the_epochs(tmp_path):
    log = tmp_path / "fit.log"
    with open(log, "w") as handle:
        process = run_fit(45, stdout=handle, stderr=subprocess.STDOUT)
    assert process.returncode == 0
    lines = log.read_text().splitlines()
    epochs = [int(line.split()[1].split("/")[0]) for line in lines]
    assert epochs == [1, 5, 10, 15, 20, 25, 30, 35, 40, 45]
    assert all(line.startswith("epoch ") and "/45  loss " in line and "  mae " in line
               for line in lines)
    assert "\r" not in log.read_text()


def test_quiet_fits_and_early_stops_in_a_log(capsys):
    x, y = data()
    Trainer(line(), forge=FORGE).fit(x, y, epochs=30, verbose=False)
    assert capsys.readouterr().err == ""
    Trainer(line(), "mse", "sgd", learning_rate=1e-6, forge=FORGE).fit(
        x, y, epochs=1000, tolerance=1.0, patience=2)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("epoch    1/1000  loss ")
    assert err[-2].startswith("epoch    3/1000  loss ")   # the last epoch, off the interval
    assert err[-1] == "stopped early after epoch 3: loss improved by less than 1 for 2 epochs"


def test_validation_and_metrics_are_recorded_per_epoch_with_keras_names():
    x, y = data()
    xv, yv = data(50, seed=1)
    model = line()
    trainer = Trainer(model, "mse", "adam", learning_rate=0.1, forge=FORGE)
    history = trainer.fit(x, y, epochs=20, validation=(xv, yv + 0.5), verbose=False,
                          metrics=["mae", "0.5*mse", FORGE.get("huber", params={"delta": 0.1})])
    assert list(history.metrics) == ["mae", "0.5*mse", "huber", "val_loss", "val_mae",
                                     "val_0.5*mse", "val_huber"]
    assert all(len(v) == 20 for v in history.metrics.values())
    # the last entries are the metrics of the final params, computed here by hand
    predictions = model.params["m"] * xv + model.params["b"]
    assert history.metrics["val_loss"][-1] == pytest.approx(np.mean((predictions - yv - 0.5) ** 2),
                                                            rel=1e-12)
    assert history.metrics["val_mae"][-1] == pytest.approx(np.mean(np.abs(predictions - yv - 0.5)),
                                                           rel=1e-12)
    train = model.params["m"] * x + model.params["b"]
    assert history.metrics["0.5*mse"][-1] == pytest.approx(0.5 * np.mean((train - y) ** 2),
                                                           rel=1e-12)
    assert trainer.evaluate(xv, yv + 0.5, metrics=["mae"]) == pytest.approx(
        {"loss": history.metrics["val_loss"][-1], "mae": history.metrics["val_mae"][-1]},
        rel=1e-12)
    assert history.last()["val_mae"] == history.metrics["val_mae"][-1]


def test_penalties_in_a_metric_use_the_model_params():
    model = Expression("w", "w*x", params={"w": 2.0}, trainable_params=["w"])
    trainer = Trainer(model, forge=FORGE)
    assert trainer.evaluate([1.0, 2.0], [2.0, 4.0], metrics=["l2", "mse + l2"]) == {
        "loss": 0.0, "l2": 4.0, "mse + l2": 4.0}


@pytest.mark.parametrize("metrics, error, message", [
    ("mae", ArgumentError, r"metrics is a list, e.g. metrics=\['mae'\]"),
    (["mae", "mae"], ArgumentError, "two metrics are named 'mae'"),
    (["loss"], ArgumentError, "two metrics are named 'loss'"),
    (["maee"], UnknownFunctionError, "Did you mean 'mae'"),
    ([3], ArgumentError, "a metric is a catalog name, a formula or an Expression, got int"),
])
def test_bad_metrics(metrics, error, message):
    with pytest.raises(error, match=message):
        Trainer(line(), forge=FORGE).fit(*data(), epochs=1, metrics=metrics, verbose=False)


def test_bad_validation_data():
    with pytest.raises(ArgumentError, match=r"validation is a pair \(inputs, targets\)"):
        Trainer(line(), forge=FORGE).fit(*data(), epochs=1, validation=[1.0], verbose=False)


def test_predict_takes_the_inputs_fit_takes():
    plane = Expression("plane", "a*u + c", params={"a": 2.0, "c": 1.0},
                       trainable_params=["a"], variables=["u", "v"])
    trainer = Trainer(plane, forge=FORGE)
    predictions = trainer.predict({"u": [0.0, 1.0, 2.0], "v": [5.0, 5.0, 5.0]})
    assert predictions.tolist() == [1.0, 3.0, 5.0]   # one per sample, though v is unused
    predictions[0] = 9.0                              # a writable array of its own
    assert Trainer(line(), forge=FORGE).predict(np.arange(3.0)).tolist() == [0.0, 0.0, 0.0]


def test_reprs_are_short_and_say_what_matters():
    x, y = data()
    trainer = Trainer(line(), "mse", "adam", learning_rate=0.1, forge=FORGE)
    assert repr(trainer) == ("Trainer('line': 2 trainable of 2 params, loss 'mse', "
                             "Adam(learning_rate=0.1))")
    history = trainer.fit(x, y, epochs=300, validation=(x, y), verbose=False)
    assert repr(trainer).endswith("Adam(learning_rate=0.1), fitted 300 epochs)")
    text = repr(history)
    assert text.startswith("History(300 epochs in ") and len(text) < 150
    val = history.metrics["val_loss"]
    assert f"loss {history.loss[0]:.4g} -> {history.loss[-1]:.4g}, " \
           f"val_loss {val[0]:.4g} -> {val[-1]:.4g})" in text


def test_the_error_for_a_model_without_trainable_params_names_the_fixes():
    with pytest.raises(ParameterError, match=r"forge.get\(name, trainable=True\).*`trainable: "):
        Trainer(FORGE.get("leaky_relu"), forge=FORGE)


def test_history_plot_has_a_panel_per_quantity():
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    x, y = data()
    history = Trainer(line(), "mse", "sgd", learning_rate=0.1, forge=FORGE).fit(
        x, y, epochs=12, validation=(x, y), metrics=["mae"], schedule="exponential_decay",
        verbose=False)
    figure = history.plot(title="line")
    panels = {ax.get_ylabel(): {l.get_label(): l.get_ydata().tolist() for l in ax.get_lines()}
              for ax in figure.axes}
    assert list(panels) == ["loss", "mae", "learning rate"]
    assert panels["loss"] == {"loss": history.loss, "val_loss": history.metrics["val_loss"]}
    assert panels["mae"]["val_mae"] == history.metrics["val_mae"]
    assert panels["learning rate"]["learning_rate"] == history.learning_rate
    assert figure._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ArgumentError, match="no epochs"):
        type(history)().plot()


def test_a_yaml_activation_with_a_trainable_param_trains_and_exports_it(tmp_path):
    yaml = tmp_path / "scaled.yaml"
    yaml.write_text("schema: 1\nfunctions:\n  - name: scaled\n    formula: k*tanh(x)\n"
                    "    params: {k: 1.0}\n    trainable: [k]\n")
    forge = MathForge(plugins="builtin", paths=[yaml])
    model = forge.get("scaled")
    assert model.trainable_params == ("k",)
    x = np.linspace(-2, 2, 40)
    Trainer(model, "mse", "adam", learning_rate=0.1, forge=forge).fit(
        x, 3 * np.tanh(x), epochs=200, verbose=False)
    assert model.params["k"] == pytest.approx(3, abs=1e-3)
    torch = pytest.importorskip("torch", reason="the export needs torch")
    assert [name for name, _ in model.to_torch_module().named_parameters()] == ["k"]
    assert torch.is_tensor(model.to_torch_module().k)
