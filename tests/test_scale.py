"""Data larger than memory: memmaps, dask arrays and iterables of batches.

``Trainer.fit`` reads memmaps and dask arrays a few chunks at a time and
takes batches a user makes; the same data in memory give the same numbers.
Two tests train in a subprocess whose address space is limited to a few
times less than the data (``RLIMIT_AS``, set once the interpreter, the
model and the data's mapping are in place), and check that loading the data
whole fails there.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from neurogebra import ArgumentError, DataError, Expression, Trainer, TrainingError

da = pytest.importorskip("dask.array", reason="dask arrays need the [dask] extra")


def line():
    return Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])


def data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, 3 * x + 2 + rng.normal(0, 0.1, n)


def memmaps(tmp_path, *arrays):
    """Each array written to a file and opened again read-only."""
    opened = []
    for i, array in enumerate(arrays):
        path = tmp_path / f"column{i}.dat"
        written = np.memmap(path, dtype=array.dtype, mode="w+", shape=array.shape)
        written[:] = array
        written.flush()
        opened.append(np.memmap(path, dtype=array.dtype, mode="r", shape=array.shape))
    return opened


def fit(inputs, targets=None, **settings):
    model = line()
    history = Trainer(model, "mse", "adam", learning_rate=0.05).fit(
        inputs, targets, verbose=False, **settings)
    return history, model.params


# -- the same numbers as in memory ------------------------------------------------------

def test_unshuffled_minibatches_of_chunked_data_are_those_of_the_arrays(tmp_path):
    x, y = data()
    expected = fit(x, y, epochs=3, batch_size=128, shuffle=False)
    chunked = da.from_array(x, chunks=700), da.from_array(y, chunks=450)   # not aligned
    mapped = memmaps(tmp_path, x, y.astype(np.float32))
    batches = [(x[i:i + 128], y[i:i + 128]) for i in range(0, len(x), 128)]
    for inputs, targets in [chunked, mapped, (batches, None)]:
        if targets is not None and targets.dtype == np.float32:
            expected_here = fit(x, y.astype(np.float32), epochs=3, batch_size=128,
                                shuffle=False)
        else:
            expected_here = expected
        settings = {} if targets is None else {"batch_size": 128, "shuffle": False}
        history, params = fit(inputs, targets, epochs=3, **settings)
        assert history.loss == expected_here[0].loss
        assert params == expected_here[1]


def test_a_full_batch_over_chunks_averages_their_gradients(tmp_path):
    x, y = data()
    history, params = fit(x, y, epochs=5)
    # dask arrays only: a task per chunk; with a memmap: window after window
    for chunked in [(da.from_array(x, chunks=1000), da.from_array(y, chunks=700)),
                    (memmaps(tmp_path, x)[0], da.from_array(y, chunks=700))]:
        chunked_history, chunked_params = fit(*chunked, epochs=5)
        np.testing.assert_allclose(chunked_history.loss, history.loss, rtol=1e-13)
        assert chunked_params == pytest.approx(params, rel=1e-13)


def test_shuffled_chunks_train_reproducibly_and_differ_from_the_plain_order():
    x, y = data()
    chunked = da.from_array(x, chunks=500), da.from_array(y, chunks=500)
    first = fit(*chunked, epochs=20, batch_size=100, seed=4)
    again = fit(*chunked, epochs=20, batch_size=100, seed=4)
    plain = fit(*chunked, epochs=20, batch_size=100, shuffle=False)
    assert first[0].loss == again[0].loss and first[0].loss != plain[0].loss
    assert first[1] == pytest.approx({"m": 3, "b": 2}, abs=0.02)


def test_evaluate_score_and_predict_read_chunks_and_batches(tmp_path):
    x, y = data()
    model = Expression("line", "m*x + b", params={"m": 2.5, "b": 1.0})
    trainer = Trainer(Expression("line", "m*x + b", params={"m": 2.5, "b": 1.0},
                                 trainable_params=["m"]), "mse")
    expected = trainer.evaluate(x, y, metrics=["mae"])
    assert expected["loss"] == pytest.approx(np.mean((model(x) - y) ** 2), rel=1e-15)
    chunked = da.from_array(x, chunks=700), da.from_array(y, chunks=700)
    batches = lambda: ((x[i:i + 500], y[i:i + 500]) for i in range(0, len(x), 500))  # noqa: E731
    for inputs, targets in [chunked, memmaps(tmp_path, x, y), (batches, None)]:
        found = trainer.evaluate(inputs, targets, metrics=["mae"])
        assert found == pytest.approx(expected, rel=1e-13)
        assert trainer.score(inputs, targets, "mse") == pytest.approx(expected["loss"], rel=1e-13)
    np.testing.assert_array_equal(trainer.predict(chunked[0]), trainer.predict(x))
    np.testing.assert_array_equal(trainer.predict(memmaps(tmp_path, x)[0]), model(x))


def test_validation_and_metrics_stream_too():
    x, y = data()
    expected, _ = fit(x, y, epochs=3, batch_size=300, shuffle=False, metrics=["mae"],
                      validation=(x[:1000], y[:1000]))
    chunked = da.from_array(x, chunks=400), da.from_array(y, chunks=400)
    held_out = lambda: [(x[:600], y[:600]), (x[600:1000], y[600:1000])]  # noqa: E731
    history, _ = fit(*chunked, epochs=3, batch_size=300, shuffle=False, metrics=["mae"],
                     validation=held_out)
    assert history.loss == expected.loss
    for name in ("mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(history.metrics[name], expected.metrics[name], rtol=1e-12)


def test_vector_models_stream_from_dask_arrays():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(2000, 3))
    truth = np.array([1.0, -2.0, 0.5])
    targets = features @ truth

    def fitted(inputs, outputs, batch_size):
        model = Expression("linear", "dot(w, x)", shapes={"x": [3], "w": [3]},
                           params={"w": np.zeros(3)}, trainable_params=["w"])
        history = Trainer(model, "mse", "adam", learning_rate=0.05).fit(
            inputs, outputs, epochs=4, batch_size=batch_size, shuffle=False, verbose=False)
        return history.loss, model.params["w"]

    chunked = da.from_array(features, chunks=(300, 2)), da.from_array(targets, chunks=300)
    loss, weights = fitted(features, targets, 64)
    chunked_loss, chunked_weights = fitted(*chunked, 64)
    assert chunked_loss == loss
    np.testing.assert_array_equal(chunked_weights, weights)
    loss, weights = fitted(features, targets, None)
    chunked_loss, chunked_weights = fitted(*chunked, None)
    np.testing.assert_allclose(chunked_loss, loss, rtol=1e-13)
    np.testing.assert_allclose(chunked_weights, weights, rtol=1e-13)


# -- bad sources ------------------------------------------------------------------------

def test_bad_sources_are_named():
    x, y = data(100)
    with pytest.raises(DataError, match="different lengths: x=100, targets=99"):
        fit(da.from_array(x, chunks=10), y[:99])
    with pytest.raises(DataError, match="batches are empty"):
        fit([], epochs=1)
    with pytest.raises(DataError, match=r"batch 2: data arrays have different lengths"):
        fit([(x[:10], y[:10]), (x[10:20], y[10:19])], epochs=1)
    with pytest.raises(DataError, match=r"batch 2: data for 'x' have shape \(5, 2\), but 'line' "
                                        r"takes one number per sample"):
        fit([(x[:10], y[:10]), (np.ones((5, 2)), y[:5])], epochs=1)
    with pytest.raises(DataError, match="batch 1 is a ndarray; each batch is a pair"):
        fit([x], epochs=1)
    with pytest.raises(DataError, match="chunks of unknown size; call compute_chunk_sizes"):
        chunked = da.from_array(x, chunks=10)
        fit(chunked[chunked > 0], da.from_array(y, chunks=10)[chunked > 0])
    with pytest.raises(DataError, match="not real numbers"):
        fit(da.from_array(x.astype(complex), chunks=10), y)
    assert issubclass(DataError, TrainingError)


def test_iterables_of_batches_are_read_as_often_as_needed():
    x, y = data(100)
    generator = ((x[i:i + 10], y[i:i + 10]) for i in range(0, 100, 10))
    with pytest.raises(ArgumentError, match="one-shot iterator .* fit runs 3 epochs"):
        fit(generator, epochs=3)
    history, _ = fit(generator, epochs=1)   # one pass is fine
    assert history.epochs == 1
    with pytest.raises(ArgumentError, match="read already"):
        fit(((x[i:i + 10], y[i:i + 10]) for i in range(0, 100, 10)), epochs=1,
            metrics=["mae"])
    with pytest.raises(ArgumentError, match="leave batch_size unset"):
        fit([(x, y)], epochs=1, batch_size=10)
    with pytest.raises(ArgumentError, match="returned a int, not an iterable"):
        fit(lambda: 3, epochs=1)
    with pytest.raises(ArgumentError, match="an iterable of \\(inputs, targets\\) pairs"):
        fit(3.0, epochs=1)
    for inputs in (x, {"x": x}, da.from_array(x)):
        with pytest.raises(ArgumentError, match="targets are missing: pass fit"):
            fit(inputs, epochs=1)


# -- under a memory limit ---------------------------------------------------------------

LIMITED = """
import resource, sys
import numpy as np
from neurogebra import Expression, Trainer

def limit_address_space(extra_bytes):
    with open("/proc/self/status") as status:
        used = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (used + extra_bytes, used + extra_bytes))

model = Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])
trainer = Trainer(model, "mse", "adam", learning_rate=0.1)
"""


def run_limited(script: str, *args) -> list[str]:
    """Run ``LIMITED + script`` in a subprocess; its printed lines."""
    environment = dict(os.environ, MALLOC_ARENA_MAX="2", OMP_NUM_THREADS="1",
                       OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", LIMITED + textwrap.dedent(script), *args],
                          capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the memory limit reads /proc/self/status (Linux)")


@needs_proc
def test_a_lazy_dask_array_three_times_the_memory_limit_trains():
    found = run_limited("""
        import dask.array as da
        rows = 36_000_000                # x and y: 576 MB of float64
        x = da.random.default_rng(0).uniform(-1, 1, rows, chunks=250_000)
        y = 3 * x + 2 + da.random.default_rng(1).normal(0, 0.1, rows, chunks=250_000)
        trainer.fit(x[:1000], y[:1000], epochs=1, verbose=False)   # threads and caches start
        limit_address_space(192 * 2 ** 20)
        history = trainer.fit(x, y, epochs=1, batch_size=100_000, seed=0, verbose=False)
        print(history.loss[0], model.params["m"], model.params["b"])
        full_batch = trainer.fit(x, y, epochs=1, verbose=False)   # a dask task per chunk
        print(full_batch.loss[0])
        try:
            x.compute()
        except MemoryError:
            print("whole-refused")
    """)
    loss, m, b, full_batch_loss = map(float, found[:4])
    assert np.isfinite(loss) and abs(m - 3) < 0.01 and abs(b - 2) < 0.01
    assert full_batch_loss == pytest.approx(0.01, rel=0.01)   # the noise's variance
    assert found[4] == "whole-refused"


@needs_proc
def test_a_memmap_three_times_the_memory_limit_trains_shuffled(tmp_path):
    found = run_limited("""
        rows, folder = 24_000_000, sys.argv[1]          # x and y: 384 MB of float64
        rng = np.random.default_rng(0)
        for name in ("x", "y"):
            np.memmap(f"{folder}/{name}", dtype=np.float64, mode="w+", shape=(rows,)).flush()
        x, y = (np.memmap(f"{folder}/{n}", dtype=np.float64, mode="r+", shape=(rows,))
                for n in "xy")
        for start in range(0, rows, 2_000_000):
            x[start:start + 2_000_000] = rng.uniform(-1, 1, 2_000_000)
            y[start:start + 2_000_000] = 3 * x[start:start + 2_000_000] + 2 + \\
                rng.normal(0, 0.1, 2_000_000)
        x.flush(), y.flush()
        trainer.fit(x[:1000], y[:1000], epochs=1, verbose=False)
        limit_address_space(128 * 2 ** 20)
        history = trainer.fit(x, y, epochs=1, batch_size=100_000, seed=0, verbose=False)
        print(history.loss[0], model.params["m"], model.params["b"])
        try:
            np.array(x)
        except MemoryError:
            print("whole-refused")
    """, str(tmp_path))
    loss, m, b = map(float, found[:3])
    assert np.isfinite(loss) and abs(m - 3) < 0.01 and abs(b - 2) < 0.01
    assert found[3] == "whole-refused"


# -- on a dask.distributed cluster ------------------------------------------------------

def test_a_local_cluster_evaluates_and_trains_to_the_numbers_of_memory():
    distributed = pytest.importorskip("distributed", reason="clusters need dask.distributed")
    from neurogebra import MathForge
    gelu = MathForge(plugins="builtin").get("gelu")
    # the data are made by the worker process, chunk by chunk; the same numbers are
    # then brought here to train in memory
    x = da.random.default_rng(5).uniform(-1, 1, 40_000, chunks=6_000)
    y = 3 * x + 2 + da.random.default_rng(6).normal(0, 0.1, 40_000, chunks=6_000)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        on_cluster = gelu.eval(x=x).compute()
        here_x, here_y = x.compute(), y.compute()
        full_batch = fit(x, y, epochs=3)
        minibatches = fit(x, y, epochs=2, batch_size=1000, shuffle=False)
    np.testing.assert_array_equal(on_cluster, gelu.eval(x=here_x))
    in_memory = fit(here_x, here_y, epochs=3)
    np.testing.assert_allclose(full_batch[0].loss, in_memory[0].loss, rtol=1e-13)
    assert full_batch[1] == pytest.approx(in_memory[1], rel=1e-13)
    history, params = fit(here_x, here_y, epochs=2, batch_size=1000, shuffle=False)
    assert minibatches[0].loss == history.loss and minibatches[1] == params
