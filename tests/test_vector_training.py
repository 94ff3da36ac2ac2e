"""Training models with vector and matrix params: the digits classifiers,
steps equal to PyTorch's, penalties over matrices, predictions, accuracy,
initial values, and clear errors for data of the wrong shape."""

import numpy as np
import pytest

from neurogebra import (ArgumentError, Expression, MathForge, ShapeError, Trainer,
                        TrainingError, UnknownFunctionError, initialize)
from neurogebra.training import INITIALIZERS, accuracy

FORGE = MathForge(plugins="builtin")


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets", reason="the digits come with scikit-learn")
    selection = pytest.importorskip("sklearn.model_selection")
    images, labels = datasets.load_digits(return_X_y=True)
    return selection.train_test_split(images / 16.0, labels, test_size=0.25, random_state=0)


def logistic_regression():
    return Expression("logreg", "W @ x + b", shapes={"x": [64]}, trainable_params=["W", "b"],
                      params={"W": initialize((10, 64), seed=0), "b": initialize(10, "zeros")})


def mlp(hidden=64):
    params = {"W1": initialize((hidden, 64), seed=0), "b1": initialize(hidden, "zeros"),
              "W2": initialize((10, hidden), seed=10), "b2": initialize(10, "zeros")}
    return Expression("mlp", "softmax(W2 @ tanh(W1 @ x + b1) + b2)", params=params,
                      trainable_params=list(params), shapes={"x": [64]})


def test_logistic_regression_on_digits_reaches_95_percent(digits):
    x_train, x_test, y_train, y_test = digits
    trainer = Trainer(logistic_regression(), "cross_entropy_index", "adam", learning_rate=0.01,
                      forge=FORGE)
    history = trainer.fit(x_train, y_train, epochs=20, batch_size=32, seed=1, verbose=False)
    assert history.loss[-1] < history.loss[0] / 5
    assert trainer.score(x_test, y_test) >= 0.95
    assert trainer.predict(x_test).shape == (450, 10)
    assert "W=array of shape (10, 64) (trainable)" in trainer.summary()


def test_mlp_written_as_a_formula_on_digits_reaches_97_percent(digits):
    x_train, x_test, y_train, y_test = digits
    model = mlp()
    trainer = Trainer(model, "-dot(y_true, log(y_pred))", "adam", learning_rate=0.003,
                      forge=FORGE)
    assert trainer.loss.shapes == {"y_pred": (10,), "y_true": (10,)}
    trainer.fit(x_train, np.eye(10)[y_train], epochs=30, batch_size=32, seed=1, verbose=False)
    probabilities = trainer.predict(x_test)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-14)
    assert accuracy(probabilities, y_test) >= 0.97
    assert trainer.score(x_test, np.eye(10)[y_test]) == accuracy(probabilities, y_test)


def test_steps_equal_pytorch_adam_on_the_same_batches():
    torch = pytest.importorskip("torch", reason="the reference is PyTorch's own training loop")
    rng = np.random.default_rng(3)
    x, labels = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    start = {"W1": rng.normal(size=(6, 5)), "b1": np.zeros(6), "W2": rng.normal(size=(3, 6)),
             "b2": np.zeros(3)}
    model = Expression("net", "W2 @ tanh(W1 @ x + b1) + b2", params=start,
                       trainable_params=list(start), shapes={"x": [5]})
    Trainer(model, "cross_entropy_index", "adam", learning_rate=0.05, forge=FORGE).fit(
        x, labels, epochs=3, batch_size=8, seed=5, verbose=False)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    optimizer = torch.optim.Adam(list(params.values()), lr=0.05)
    order_rng = np.random.default_rng(5)
    for _ in range(3):
        order = order_rng.permutation(40)
        for first in range(0, 40, 8):
            index = order[first:first + 8]
            optimizer.zero_grad()
            hidden = torch.tanh(torch.tensor(x[index]) @ params["W1"].T + params["b1"])
            logits = hidden @ params["W2"].T + params["b2"]
            torch.nn.functional.cross_entropy(logits, torch.tensor(labels[index])).backward()
            optimizer.step()
    for name, tensor in params.items():
        np.testing.assert_allclose(model.params[name], tensor.detach().numpy(), atol=1e-13)


def test_penalties_sum_every_entry_of_matrix_params():
    model = Expression("linear", "W @ x", params={"W": np.ones((2, 3))}, trainable_params=["W"],
                       shapes={"x": [3]})
    trainer = Trainer(model, "cross_entropy_index + 0.5*l2", "sgd", learning_rate=0.1,
                      forge=FORGE)
    assert "sum(sum(W**2))" in trainer.loss.formula
    x, labels = np.array([[1.0, 0.0, 2.0]]), np.array([1.0])
    trainer.fit(x, labels, epochs=1, verbose=False)
    gradient = np.outer(np.full(2, 0.5) - np.eye(2)[1], x[0]) + np.ones((2, 3))
    np.testing.assert_allclose(model.params["W"], np.ones((2, 3)) - 0.1 * gradient, rtol=1e-15)


def test_vector_params_given_as_numbers_are_sized_by_the_data():
    norm = FORGE.get("layer_norm_affine", trainable=True)
    model = Expression("scaled", norm, variables=["x"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    targets = FORGE.get("layer_norm").eval(x=x) * [1.0, 2.0, 3.0, 4.0] + 0.5
    trainer = Trainer(model, "mse", "adam", learning_rate=0.05, forge=FORGE)
    history = trainer.fit(x, targets, epochs=200, verbose=False)
    assert history.loss[-1] < 1e-6   # the mean of the squared errors over the entries
    np.testing.assert_allclose(model.params["weight"], [1, 2, 3, 4], atol=1e-3)
    np.testing.assert_allclose(model.params["bias"], 0.5, atol=1e-3)


def test_data_of_the_wrong_shape_are_refused_before_training():
    trainer = Trainer(logistic_regression(), "cross_entropy_index", forge=FORGE)
    with pytest.raises(ShapeError, match=r"x has shape \(5, 63\), but its last axes must be "
                                         r"\(64,\)"):
        trainer.fit(np.zeros((5, 63)), np.zeros(5), verbose=False)
    with pytest.raises(Exception, match=r"holds class indices \(0 to 9\); got 10.0"):
        trainer.fit(np.zeros((5, 64)), np.full(5, 10.0), verbose=False)
    with pytest.raises(TrainingError, match=r"one axis of samples .* batch axes \(5, 2\)"):
        trainer.fit(np.zeros((5, 2, 64)), np.zeros((5, 2)), verbose=False)
    with pytest.raises(ShapeError, match="does not fit the output of 'logreg'"):
        Trainer(logistic_regression(), Expression("wide", "sum(y_pred - y_true)",
                                                  shapes={"y_pred": [3, 3], "y_true": [3, 3]}),
                forge=FORGE).compile()
    line = Expression("line", "m*x + c", params={"m": 0.0, "c": 0.0}, trainable_params=["m"])
    with pytest.raises(TrainingError, match=r"data for 'x' have shape \(100, 3\), but 'line' takes "
                                            r"one number per sample.*shapes=\{'x': \[3\]\}"):
        Trainer(line, "mse", forge=FORGE).fit(np.zeros((100, 3)), np.zeros(100), verbose=False)


def test_accuracy_of_scores_one_hot_rows_and_binary_outputs():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(scores, [1, 0, 0]) == pytest.approx(2 / 3)
    assert accuracy(scores, np.eye(2)[[1, 0, 1]]) == 1.0
    assert accuracy([0.2, 0.7, 0.5], [0, 1, 0]) == pytest.approx(2 / 3)
    with pytest.raises(ArgumentError, match="one prediction per target"):
        accuracy(scores, [1, 0])
    with pytest.raises(UnknownFunctionError, match="unknown metric 'acuracy'. Did you mean 'accuracy'"):
        Trainer(logistic_regression(), "cross_entropy_index", forge=FORGE).score(
            np.zeros((1, 64)), [0], "acuracy")


def test_initial_values_follow_the_frameworks_schemes():
    assert INITIALIZERS == ("zeros", "ones", "glorot_uniform", "he_uniform", "pytorch_linear")
    weights = initialize((300, 200), seed=4)
    limit = np.sqrt(6 / 500)
    assert np.all(np.abs(weights) <= limit) and np.abs(weights).max() > 0.99 * limit
    np.testing.assert_array_equal(weights, initialize((300, 200), "glorot_uniform", seed=4))
    assert np.abs(initialize((50, 200), "he_uniform", seed=1)).max() <= np.sqrt(6 / 200)
    bias = initialize(10, "pytorch_linear", seed=2, fan_in=64)
    assert bias.shape == (10,) and np.abs(bias).max() <= 1 / 8
    assert initialize((2, 2), "ones").tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ArgumentError, match="unknown initializer 'glorot'. Did you mean "
                                            "'glorot_uniform'"):
        initialize((2, 2), "glorot")
    with pytest.raises(ArgumentError, match="shape must be positive integers"):
        initialize((2, 0))


def test_trained_matrices_export_as_torch_parameters(digits):
    torch = pytest.importorskip("torch", reason="the export is a torch.nn.Module")
    x_train, x_test, y_train, _ = digits
    model = logistic_regression()
    Trainer(model, "cross_entropy_index", "adam", learning_rate=0.01, forge=FORGE).fit(
        x_train[:200], y_train[:200], epochs=2, batch_size=50, verbose=False)
    module = model.to_torch_module()
    assert {n: tuple(p.shape) for n, p in module.named_parameters()} == {"W": (10, 64),
                                                                         "b": (10,)}
    # torch's and NumPy's BLAS add the 64 products of W @ x in different orders
    # (which order depends on the processor), so an output that cancels to ~1e-4
    # can differ in its last bits relative to itself: the bound is a few roundings
    # of the summands (each under 1 here), not of the sum.
    np.testing.assert_allclose(module(torch.tensor(x_test)).detach().numpy(),
                               model.eval(x=x_test), rtol=1e-13, atol=64 * 2.0**-52)


@pytest.mark.parametrize("unused", [np.full(2, 0.2), np.ones((2, 2)), 1.0])
def test_a_trainable_param_the_formula_does_not_use_keeps_its_value(unused):
    # its gradient is 0, as on the scalar path; the others train as without it
    x = np.random.default_rng(0).normal(size=(50, 3))
    y = x.sum(1)

    def fitted(extra):
        model = Expression("m", "dot(w, x) + b", shapes={"x": [3]},
                           params={"w": np.full(3, 0.1), "b": 0.0, **extra},
                           trainable_params=["w", "b", *extra])
        history = Trainer(model, "mse", "sgd", learning_rate=0.1).fit(x, y, epochs=3,
                                                                       verbose=False)
        return model, history.loss

    model, losses = fitted({"u": unused})
    alone, alone_losses = fitted({})
    assert losses == alone_losses
    np.testing.assert_array_equal(model.params["u"], unused)
    np.testing.assert_array_equal(model.params["w"], alone.params["w"])
