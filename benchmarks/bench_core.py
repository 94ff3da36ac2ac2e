"""Expression speed: scalar eval, array eval, first gradient."""

import math
import sys
import time

import numpy as np

from _timing import best, report
from neurogebra import Expression


def scalar_eval():
    derivative = Expression("parabola", "(x - 3)**2").gradient("x")
    derivative.eval(x=1.0)

    def plain(x):
        return 2 * (x - 3)

    ours = best(lambda: derivative.eval(x=1.5), 200_000)
    base = best(lambda: plain(1.5), 200_000)
    return report("scalar eval of a compiled gradient", ours, base, 10, limit=1e-6)


def call_overhead():
    """Our own cost per call: eval minus the compiled kernel alone, on a Python
    float (target 0.3 us) and on a 1-element array (target 2 us), by keyword
    and by position."""
    f = Expression("f", "x*exp(-x) + 1")
    kernel = f.to_function()
    one = np.array([0.5])
    f.eval(x=0.5), f.eval(x=one)

    def plain(x):
        return x * math.exp(-x) + 1

    results = []
    for label, ours, base, limit in [
            ("per-call overhead on a float", lambda: f.eval(x=0.5), lambda: plain(0.5), 0.3e-6),
            ("per-call overhead on a 1-element array", lambda: f.eval(x=one),
             lambda: kernel(one), 2e-6),
            ("the same, called f(x) on a float", lambda: f(0.5), lambda: plain(0.5), 0.3e-6),
            ("the same, called f(x) on a 1-element array", lambda: f(one),
             lambda: kernel(one), 2e-6)]:
        ours_time, base_time = best(ours, 100_000), best(base, 100_000)
        overhead = ours_time - base_time
        print(f"{label:<48} {overhead * 1e6:10.3f} us  (eval {ours_time * 1e6:.3f} us, "
              f"kernel {base_time * 1e6:.3f} us)  target <= {limit * 1e6:g} us  "
              f"{'ok' if overhead <= limit else 'MISSED'}")
        results.append(overhead <= limit)
    return all(results)


def array_eval():
    x = np.random.default_rng(0).standard_normal(1_000_000)
    results = []
    for text, hand in [("x**2 + 3*x + 2", lambda: x ** 2 + 3 * x + 2),
                       ("exp(-x**2)*sin(x)", lambda: np.exp(-x ** 2) * np.sin(x))]:
        f = Expression("f", text)
        f.eval(x=x)
        ours, base = best(lambda: f.eval(x=x), 10), best(hand, 10)
        results.append(report(f"eval on 1e6 float64: {text}", ours, base, 1.1,
                              unit="ms", scale=1e3))
    return all(results)


def first_gradient():
    times = []
    for i in range(20):
        text = f"x**3 + {i + 2}*x*sin(x) + exp(-{i + 1}*x)"   # fresh formula: no caches
        start = time.perf_counter()
        Expression("f", text).gradient("x").eval(x=0.5)
        times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    print(f"{'first Expression + gradient + eval (median of 20)':<48} "
          f"{median * 1e3:10.3f} ms  target <= 20 ms"
          f"{'':>44}{'ok' if median < 0.020 else 'MISSED'}")
    return median < 0.020


if __name__ == "__main__":
    results = [scalar_eval(), call_overhead(), array_eval(), first_gradient()]
    sys.exit(0 if all(results) else 1)
