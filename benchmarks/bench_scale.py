"""Data larger than memory: streaming fits, lazy dask evaluation, peak memory.

1. One shuffled epoch of y = m*x + b on 4e6 points (batches of 1e5, Adam),
   read from a memmap and from dask arrays, against the same arrays in
   memory (target: streaming <= 1.5x in memory). Lazily generated dask data
   are shown for reference (their time includes making the random numbers).
   Then one full-batch step over the same dask arrays (a dask task per chunk,
   on the machine's cores) against the step in memory (target: <= 1.5x).
2. Building the lazy graph of ``gelu.eval(x=dask_array)`` (1e6 points in 10
   chunks) against a plain ``da.map_blocks`` of a NumPy function (target:
   <= 2x), and against the way neurogebra did it before: ``map_blocks`` of a
   closure over the evaluator, which dask names by pickling it. Then the
   whole evaluation, computed, against plain dask.
3. The peak memory of a streaming fit over 768 MB of lazily generated dask
   data, in a subprocess (target: < 256 MB above the process's size before
   the fit).
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
from scipy.special import erf

from _timing import best, report
from neurogebra import Expression, MathForge, Trainer

try:
    import dask.array as da
except ImportError:
    sys.exit("bench_scale needs dask: pip install 'neurogebra[dask]'")


def line():
    return Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])


def one_epoch(inputs, targets, batch_size=100_000):
    """Seconds for one shuffled epoch (the best of three), the loss compiled beforehand."""
    def run():
        trainer = Trainer(line(), "mse", "adam", learning_rate=0.1)
        trainer.compile()
        start = time.perf_counter()
        trainer.fit(inputs, targets, epochs=1, batch_size=batch_size, seed=0, verbose=False)
        return time.perf_counter() - start
    return min(run() for _ in range(3))


def streaming_fits() -> bool:
    rows = 4_000_000
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, rows)
    y = 3 * x + 2 + rng.normal(0, 0.1, rows)
    in_memory = one_epoch(x, y)
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        mapped = []
        for name, values in (("x", x), ("y", y)):
            written = np.memmap(os.path.join(folder, name), np.float64, "w+", shape=(rows,))
            written[:] = values
            written.flush()
            mapped.append(np.memmap(os.path.join(folder, name), np.float64, "r", shape=(rows,)))
        ok &= report("fit epoch, 4e6 rows: memmap (shuffled blocks)", one_epoch(*mapped),
                     in_memory, 1.5, unit="ms", scale=1e3)
        del mapped
    chunked = da.from_array(x, chunks=250_000), da.from_array(y, chunks=250_000)
    ok &= report("fit epoch, 4e6 rows: dask from arrays", one_epoch(*chunked), in_memory,
                 1.5, unit="ms", scale=1e3)
    lazy_x = da.random.default_rng(0).uniform(-1, 1, rows, chunks=250_000)
    lazy_y = 3 * lazy_x + 2 + da.random.default_rng(1).normal(0, 0.1, rows, chunks=250_000)
    report("fit epoch, 4e6 rows: dask, generated lazily", one_epoch(lazy_x, lazy_y),
           in_memory, unit="ms", scale=1e3)
    ok &= report("full-batch step, 4e6 rows: dask, task per chunk", one_epoch(
        *chunked, batch_size=None), one_epoch(x, y, batch_size=None), 1.5, unit="ms",
        scale=1e3)
    return ok


def gelu_numpy(x):
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


def lazy_evaluation() -> bool:
    gelu = MathForge(plugins="builtin").get("gelu")
    x = da.random.default_rng(0).uniform(-5, 5, 1_000_000, chunks=100_000)
    gelu.eval(x=x)   # compiled once
    plain = best(lambda: da.map_blocks(np.tanh, x, dtype=np.float64, meta=np.empty(0)), 50)
    ours = best(lambda: gelu.eval(x=x), 50)
    ok = report("dask graph of gelu.eval, 1e6 in 10 chunks", ours, plain, 2.0, unit="ms",
                scale=1e3)
    # the former way: a closure over generated code, which dask names by pickling it
    compiled = gelu.to_function("numpy")
    closure = best(lambda: da.map_blocks(lambda block: compiled(block), x,
                                         dtype=np.float64), 5)
    report("  before: map_blocks of a closure (pickled)", closure, plain, unit="ms", scale=1e3)
    ok &= report("gelu.eval(x=dask).compute(), 1e6", best(
        lambda: gelu.eval(x=x).compute(), 3), best(
        lambda: da.map_blocks(gelu_numpy, x, dtype=np.float64, name="plain-gelu").compute(),
        3), 1.5, unit="ms", scale=1e3)
    return ok


PEAK = """
import dask.array as da
from neurogebra import Expression, Trainer
rows = 48_000_000
x = da.random.default_rng(0).uniform(-1, 1, rows, chunks=250_000)
y = 3 * x + 2 + da.random.default_rng(1).normal(0, 0.1, rows, chunks=250_000)
trainer = Trainer(Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0},
                             trainable_params=["m", "b"]), "mse", "adam", learning_rate=0.1)
trainer.fit(x[:1000], y[:1000], epochs=1, verbose=False)

def peak():   # VmHWM, not ru_maxrss: a new program keeps its parent's ru_maxrss
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM"))

before = peak()
trainer.fit(x, y, epochs=1, batch_size=100_000, seed=0, verbose=False)
print(before, peak())
"""


def peak_memory() -> bool:
    if not sys.platform.startswith("linux"):
        print("peak memory: skipped (it reads /proc/self/status, on Linux)")
        return True
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(PEAK)], capture_output=True,
                          text=True, check=True)
    before, after = map(int, done.stdout.split())
    data = 2 * 48_000_000 * 8
    return report("peak RSS of a streaming fit over 768 MB of dask data", after - before,
                  data, unit="MB", scale=2 ** -20, limit=256 * 2 ** 20)


if __name__ == "__main__":
    results = [streaming_fits(), lazy_evaluation(), peak_memory()]
    sys.exit(0 if all(results) else 1)
