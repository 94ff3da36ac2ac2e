"""Training speed and the cost of gradients of a deep expression.

1. Fitting y = m*x + b on 1000 points for 200 full-batch Adam epochs, against
   a hand-written NumPy loop doing the same arithmetic (target: <= 2x).
2. All 30 partial derivatives of a 10-layer chain w2*tanh(w0*h + w1), against
   symengine computing the same derivatives (target: <= 5x; skipped, with a
   note, when symengine is not installed), and against one sympy.diff per
   param (the naive way, for reference).
"""

import sys
import time

import numpy as np
import sympy

from _timing import best, report
from neurogebra import Adam, Expression, MathForge, Trainer


def handwritten_adam(x, y, epochs, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    m, b = 0.0, 0.0
    mm = np.zeros(2)
    vv = np.zeros(2)
    for t in range(1, epochs + 1):
        residual = m * x + b - y
        loss = np.mean(residual * residual)
        g = np.array([np.mean(2 * residual * x), np.mean(2 * residual)])
        mm = b1 * mm + (1 - b1) * g
        vv = b2 * vv + (1 - b2) * g * g
        step = lr * (mm / (1 - b1 ** t)) / (np.sqrt(vv / (1 - b2 ** t)) + eps)
        m, b = m - step[0], b - step[1]
    return m, b, loss


def fit_line():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 1000)
    y = 3 * x + 2 + rng.normal(0, 0.1, 1000)
    forge = MathForge(plugins="builtin")

    def ours():
        model = Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0},
                           trainable_params=["m", "b"])
        trainer = Trainer(model, "mse", Adam(learning_rate=0.1), forge=forge)
        trainer.compile()              # compiling is measured separately below
        start = time.perf_counter()
        trainer.fit(x, y, epochs=200, verbose=False, shuffle=False)
        return time.perf_counter() - start, model

    seconds, model = min((ours() for _ in range(5)), key=lambda r: r[0])
    m, b, _ = handwritten_adam(x, y, 200)
    assert abs(model.params["m"] - m) < 1e-9 and abs(model.params["b"] - b) < 1e-9
    base = best(lambda: handwritten_adam(x, y, 200), 1, repeat=5)
    ok = report("fit line: 1000 points, 200 Adam epochs", seconds, base, 2.0, unit="ms",
                scale=1e3)
    start = time.perf_counter()
    Trainer(Expression("line2", "m*x + b + 0*x", params={"m": 0.0, "b": 0.0},
                       trainable_params=["m", "b"]), "mse", forge=forge).compile()
    print(f"{'  (compiling the loss and its gradients, once)':<48} "
          f"{(time.perf_counter() - start) * 1e3:10.3f} ms")
    return ok


def chain(layers=10, input_name="h"):
    text, params = input_name, []
    for i in range(layers):
        names = [f"w{3 * i + k}" for k in range(3)]
        params += names
        text = f"{names[2]}*tanh({names[0]}*({text}) + {names[1]})"
    return text, params


def deep_gradients():
    times = []
    for trial in range(5):
        # a fresh formula each time (another input name) so that no SymPy cache helps
        text, params = chain(input_name=f"input{trial}")
        model = Expression("net", text, params={p: 0.5 for p in params})
        start = time.perf_counter()
        model.gradients(params)
        times.append(time.perf_counter() - start)
    ours = sorted(times)[2]
    start = time.perf_counter()
    [sympy.diff(model.symbolic_expr, sympy.Symbol(p, real=True)) for p in params]
    naive = time.perf_counter() - start
    print(f"{'one sympy.diff per param (naive, reference)':<48} {naive * 1e3:10.3f} ms")
    try:
        import symengine
    except ImportError:
        print(f"{'gradients() of the 10-layer chain, 30 params':<48} {ours * 1e3:10.3f} ms"
              "  (symengine not installed: no ratio; pip install symengine)")
        return True
    expr = symengine.sympify(model.symbolic_expr)
    symbols = [symengine.Symbol(p) for p in params]
    base = best(lambda: [expr.diff(s) for s in symbols], 1, repeat=5)
    return report("gradients() of the 10-layer chain, 30 params", ours, base, 5.0, unit="ms",
                  scale=1e3)


if __name__ == "__main__":
    results = [fit_line(), deep_gradients()]
    sys.exit(0 if all(results) else 1)
