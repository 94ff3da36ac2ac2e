"""Objects shared between real threads: the catalog, the primitive registry, compile caches."""

import threading

import numpy as np
import pytest

from neurogebra import Expression, MathForge, Primitive
from neurogebra.symbolic import register_primitive


def run_together(count, work):
    """Start ``count`` threads at once on ``work(index)``; return their results or errors."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(index):
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion
            results[index] = exc
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_threads_asking_a_fresh_forge_at_once_all_find_the_function():
    for _ in range(5):
        forge = MathForge(plugins="builtin")
        results = run_together(8, lambda i: forge.get("mse").eval(y_pred=3.0, y_true=1.0))
        assert results == [4.0] * 8


def test_lookups_while_another_thread_registers():
    forge = MathForge(plugins="builtin")
    before = len(forge.list_all())
    stop = threading.Event()

    def register(_):
        for i in range(300):
            forge.register(f"shared_{i}", f"{i}*x")
        stop.set()

    def look(_):
        found = 0
        while not stop.is_set():
            found += ("mse" in forge) + (forge.get("relu").eval(x=2.0) == 2.0)
            forge.search("shared")
            forge.list_all()
        return found

    results = run_together(4, lambda i: register(i) if i == 0 else look(i))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(forge.list_all()) == before + 300


def test_parsing_while_primitives_are_registered():
    def primitive(i):
        return Primitive(name=f"thread_prim_{i}", explicit=lambda x: x ** 2,
                         derivatives=(lambda x: 2 * x,), numpy=np.square)

    def work(i):
        if i == 0:
            for k in range(200):
                register_primitive(primitive(k))
            return "registered"
        return sum(Expression("f", "sigmoid(x) + softplus(x)").eval(x=0.0) for _ in range(200))

    results = run_together(4, work)
    assert results[0] == "registered"
    assert results[1:] == [pytest.approx(200 * (0.5 + np.log(2)))] * 3


def test_one_expression_evaluated_by_many_threads():
    forge = MathForge(plugins="builtin")
    gelu = forge.get("gelu").gradient("x")
    x = np.linspace(-5, 5, 200_001)
    expected = gelu.clone().eval(x=x)
    results = run_together(6, lambda i: gelu.eval(x=x) if i % 2 else gelu.eval(x=0.5))
    for i, result in enumerate(results):
        if i % 2:
            np.testing.assert_array_equal(result, expected)
        else:
            assert result == pytest.approx(float(expected[110_000]))


def test_the_first_slopes_near_their_zeros_are_worked_out_once_whatever_the_threads():
    # the series about an activation slope's zero is computed at first use with
    # mpmath, whose precision is one setting for the process: threads evaluating
    # the blocks of one large array reset it under each other's feet
    from neurogebra_plugins.activations.primitives import _RootSeries
    from neurogebra_plugins.activations.primitives import GELU_SLOPE
    MathForge()      # the pack's primitives (gelu's slope calls normal_cdf)
    fresh = [_RootSeries(GELU_SLOPE.explicit, -0.75) for _ in range(8)]
    x = np.full(4, -0.7518)
    results = run_together(24, lambda i: fresh[i % 8].patch(x, np.zeros(4)))
    assert not [r for r in results if isinstance(r, BaseException)]
    expected = results[0]
    assert all(np.array_equal(r, expected) for r in results)
    assert abs(expected[0]) < 1e-4 and expected[0] != 0.0
