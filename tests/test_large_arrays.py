"""Large arrays are evaluated in cache-sized blocks on every core: the same
numbers as one NumPy call, the same warnings, any layout."""

import platform
import subprocess
import sys

import numpy as np
import pytest

from neurogebra import Expression, MathForge

FORGE = MathForge(plugins="builtin")
N = 1_500_000   # above the size where blocks start


@pytest.mark.parametrize("name", ["gelu", "softplus", "sigmoid", "elu", "mse", "relu", "tanh"])
def test_blocks_give_exactly_the_numbers_of_one_call(name):
    x = np.random.default_rng(1).standard_normal(N) * 10
    x[::1000] = -800.0                # sigmoid's tail, computed again where e^-x overflows
    f = FORGE.get(name)
    arrays = {v: x if i == 0 else x[::-1].copy() for i, v in enumerate(f.variables)}
    for wrt in (None, f.variables[0]):
        g = f if wrt is None else f.gradient(wrt)
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(g.eval(**arrays), g.to_function()(*arrays.values()))


def test_several_inputs_numbers_and_layouts():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    f = Expression("f", "a*exp(-x**2)*sin(y) + x*y", params={"a": 2.0})
    expected = 2.0 * np.exp(-x ** 2) * np.sin(y) + x * y
    np.testing.assert_allclose(f.eval(x=x, y=y), expected, rtol=1e-15)
    np.testing.assert_allclose(f.eval(x=x, y=0.5), 2.0 * np.exp(-x ** 2) * np.sin(0.5) + x * 0.5,
                               rtol=1e-15)
    grid = np.broadcast_to(x[:1000], (1500, 1000))   # not contiguous: one call
    np.testing.assert_allclose(f.eval(x=grid, y=grid)[7], f.eval(x=x[:1000], y=x[:1000]))
    column = x.reshape(-1, 3)[:, 1]                    # strided
    np.testing.assert_array_equal(f.eval(x=column, y=column), f.eval(x=column.copy(),
                                                                      y=column.copy()))


def test_trouble_in_any_block_warns_once():
    x = np.linspace(1.0, 2.0, N)
    x[-1] = -1.0   # in the last block, on the second thread
    with pytest.warns(RuntimeWarning, match="'l': invalid value encountered"):
        result = Expression("l", "log(x)").eval(x=x)
    assert np.isnan(result[-1]) and np.isfinite(result[:-1]).all()


def test_the_thread_count_follows_the_environment():
    script = ("import numpy as np, threading\n"
              "from neurogebra import Expression\n"
              "f = Expression('f', 'exp(-x**2)*sin(x)')\n"
              "f.eval(x=np.ones(2_000_000))\n"
              "print(sum(t.name.startswith('neurogebra') for t in threading.enumerate()))\n")
    for threads, helpers in [("1", "0"), ("2", "1")]:
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env={**__import__("os").environ, "NEUROGEBRA_THREADS": threads},
                             timeout=120)
        assert out.stdout.strip() == helpers, out.stderr[-2000:]


def test_value_and_gradients_shared_between_threads_give_the_numbers_of_one_call(monkeypatch):
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 3.0, 100_001)
    x[-1] = -1.0        # a log of a negative number on the second thread
    f = Expression("f", "w*tanh(v*x + c) + log(x) + c", params={"w": 0.5, "v": 2.0, "c": 0.1})
    results = {}
    for threads in ("1", "2"):
        monkeypatch.setenv("NEUROGEBRA_THREADS", threads)
        with pytest.warns(RuntimeWarning, match="invalid value encountered"):
            results[threads] = f.value_and_gradients(["w", "v", "c"], x=x)
    (value, partials), (one_value, one_partials) = results["2"], results["1"]
    np.testing.assert_array_equal(value, one_value)
    for name, slope in partials.items():      # d/dc holds a constant part: broadcast
        np.testing.assert_array_equal(slope, one_partials[name])
        np.testing.assert_allclose(slope, f.gradient(name).to_function()(x), rtol=1e-15)
    assert np.isnan(value[-1]) and np.isfinite(value[:-1]).all()


FAULTS = """
import resource, numpy as np
from neurogebra import Expression
text, params = "x", {}
for i in range(10):
    text = f"tanh(w{i}*({text}) + b{i})"
    params[f"w{i}"], params[f"b{i}"] = 0.5, 0.1
chain = Expression("chain", text, params=params)
x = np.linspace(-2.0, 2.0, 100_000)
chain.value_and_gradients(list(params), x=x)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
chain.value_and_gradients(list(params), x=x)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc settings")
def test_a_second_large_evaluation_reuses_the_memory_the_first_freed():
    """Fresh pages cost a fault each (the system zeroes them): 21 outputs and
    some thirty intermediates of 800 kB are ~10,000 faults per call unless the
    memory the last call freed is reused. Set aside: NEUROGEBRA_MALLOC=system
    and glibc's own settings (a dask worker's), which leave malloc alone."""
    def faults(**env):
        clean = {k: v for k, v in __import__("os").environ.items()
                 if not k.startswith("MALLOC_") and k != "NEUROGEBRA_MALLOC"}
        out = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True,
                             env={**clean, **env}, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        return int(out.stdout)
    assert faults() < 1000
    # the outputs alone are 21 x 800 kB = 4100 pages
    assert faults(NEUROGEBRA_MALLOC="system") > 4000
    assert faults(MALLOC_TRIM_THRESHOLD_="65536") > 4000
