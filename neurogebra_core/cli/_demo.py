"""The guided tour behind ``neurogebra demo``: gradients, from a parabola to training."""

from __future__ import annotations

from typing import Callable

from ..catalog import MathForge
from ..expression import Expression, check_gradient

__all__ = ["run_demo", "gradient_descent"]


def gradient_descent(f: Expression, start: float, learning_rate: float, steps: int
                     ) -> list[tuple[int, float, float, float]]:
    """Minimise a one-variable ``f`` by plain gradient descent.

    Returns one ``(step, x, f(x), f'(x))`` row per step, before each update.
    """
    derivative = f.gradient(f.variables[0])
    name = f.variables[0]
    x, rows = float(start), []
    for step in range(steps):
        fx, gx = f.eval(**{name: x}), derivative.eval(**{name: x})
        rows.append((step, x, fx, gx))
        x -= learning_rate * gx
    rows.append((steps, x, f.eval(**{name: x}), derivative.eval(**{name: x})))
    return rows


def _section(out: Callable, title: str) -> None:
    out("")
    out(title)
    out("-" * len(title))


def run_demo(out: Callable[[str], None] = print) -> None:
    """Print the tour through ``out``."""
    out("neurogebra: symbolic gradients for machine learning")
    _section(out, "1. A function and its derivative")
    f = Expression("quadratic", "x**2 + 3*x + 2")
    df = f.gradient("x")
    out(f"f(x)  = {f.formula}")
    out(f"f'(x) = {df.formula}")
    out("f'(0) = {:g}, f'(1) = {:g}, f'(-1) = {:g}".format(
        df.eval(x=0), df.eval(x=1), df.eval(x=-1)))

    forge = MathForge()
    _section(out, "2. Gradients of activation functions")
    for name in ("relu", "sigmoid", "tanh"):
        out(f"{name}'(x) = {forge.get(name).gradient('x').formula}")

    _section(out, "3. The gradient of a loss")
    mse = forge.get("mse")
    grad = mse.gradient("y_pred")
    out(f"mse = {mse.formula};  d mse / d y_pred = {grad.formula}")
    for pred in (7, 3, 5):
        out(f"  y_pred={pred}, y_true=5: gradient {grad.eval(y_pred=pred, y_true=5):g}")

    _section(out, "4. Higher orders and partial derivatives")
    cube = Expression("cubic", "x**3")
    out("x**3 -> " + " -> ".join(cube.gradient("x", order=n).formula for n in (1, 2, 3)))
    multi = Expression("multi", "x**2*y + x*y**2")
    out(f"d/dx (x**2*y + x*y**2) = {multi.gradient('x').formula}")
    out(f"d/dy (x**2*y + x*y**2) = {multi.gradient('y').formula}")

    _section(out, "5. Gradient descent on (x - 3)**2, from x = 10 with learning rate 0.1")
    out(f"{'step':>4} | {'x':>8} | {'f(x)':>8} | {'gradient':>9}")
    for step, x, fx, gx in gradient_descent(Expression("parabola", "(x - 3)**2"), 10.0, 0.1, 15):
        out(f"{step:>4} | {x:>8.4f} | {fx:>8.4f} | {gx:>9.4f}")

    _section(out, "6. Vanishing gradients: sigmoid' against relu'")
    sig, relu = forge.get("sigmoid").gradient("x"), forge.get("relu").gradient("x")
    for x in (-10, -5, 0, 5, 10):
        out(f"  x={x:>3}: sigmoid' = {sig.eval(x=x):.6f}   relu' = {relu.eval(x=x):g}")

    _section(out, "7. Checking a derivative numerically")
    check = check_gradient(Expression("test", "x**3 + 2*x + 1"), "x", 2.0)
    out(f"symbolic {check.symbolic:.6f}, central difference {check.numerical:.6f}, "
        f"agree: {check.passed}")
    out("")
    out("Next: `neurogebra list`, `neurogebra show sigmoid`, and the docs/ folder.")
