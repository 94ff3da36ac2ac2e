"""White-box tests of one internal module: neurogebra.symbolic._functions.

The parser builds sinh, cosh and tanh without SymPy's ``is_zero`` question
(``_hyperbolic``); the expression must be the one SymPy's evaluation gives, on
every kind of argument a formula can hold.
"""

import random

import pytest
import sympy

from neurogebra.symbolic import _functions

X, Y, W, C = sympy.symbols("x y w c", real=True)
HEADS = [(sympy.sinh, True), (sympy.cosh, False), (sympy.tanh, True)]


def _random_argument(rng: random.Random, depth: int = 0) -> sympy.Expr:
    """A random formula of real symbols, numbers, sums, products, powers and functions."""
    leaves = [X, Y, W, C, sympy.Integer(rng.randint(-3, 3)), sympy.Rational(rng.randint(-5, 5), 7),
              sympy.Float(rng.uniform(-2, 2))]
    if depth > 2 or rng.random() < 0.3:
        return rng.choice(leaves)
    a, b = _random_argument(rng, depth + 1), _random_argument(rng, depth + 1)
    shape = rng.choice(["add", "sub", "mul", "neg", "pow", "exp", "tanh", "abs", "div"])
    return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
            "neg": lambda: -a, "pow": lambda: a ** 2, "exp": lambda: sympy.exp(a),
            "tanh": lambda: sympy.tanh(a), "abs": lambda: sympy.Abs(a),
            "div": lambda: a / (b ** 2 + 1)}[shape]()


@pytest.mark.parametrize("head, odd", HEADS, ids=lambda h: getattr(h, "__name__", str(h)))
def test_the_quick_build_gives_sympys_expression_on_random_arguments(head, odd):
    build = _functions._hyperbolic(head, odd)
    rng = random.Random(7)
    arguments = [_random_argument(rng) for _ in range(300)]
    arguments += [W * X + C, -W * X - C, C - W * X, -X, X - Y, Y - X, 2 * X, -2 * X * Y]
    for u in arguments:
        assert build(u) == head(u), u


@pytest.mark.parametrize("head, odd", HEADS, ids=lambda h: getattr(h, "__name__", str(h)))
def test_the_quick_build_leaves_numbers_imaginary_units_and_inverses_to_sympy(head, odd):
    build = _functions._hyperbolic(head, odd)
    special = [sympy.S.Zero, sympy.Integer(-2), sympy.Float(0.5), sympy.oo, -sympy.oo, sympy.nan,
               sympy.zoo, sympy.I * X, X + sympy.I * sympy.pi, sympy.asinh(X), sympy.acosh(X),
               sympy.atanh(X), sympy.acoth(X)]
    for u in special:
        assert build(u) == head(u), u
    assert build(sympy.atanh(X)) != head(sympy.atanh(X), evaluate=False)   # simplified


def test_tanh_of_a_sum_is_built_without_the_assumption_search():
    """The cost the quick build removes: SymPy's tanh asks is_zero of w*x + c."""
    w, x, c = sympy.symbols("w_q x_q c_q", real=True)
    u = w * x + c
    tanh = _functions.parseable_functions()["tanh"].builder()
    assert tanh(u) == sympy.tanh(u, evaluate=False)
    assert "zero" not in u._assumptions      # never asked
    assert tanh(-u) == -sympy.tanh(u)


@pytest.mark.parametrize("head, odd", HEADS, ids=lambda h: getattr(h, "__name__", str(h)))
def test_the_slopes_are_sympys_own_partials(head, odd):
    rng = random.Random(11)
    for u in [_random_argument(rng) for _ in range(100)] + [W * X + C]:
        node = _functions._hyperbolic(head, odd)(u)
        if isinstance(node, head):
            assert _functions.hyperbolic_slope(node) == node.fdiff(1), u
    assert _functions.hyperbolic_slope(sympy.sin(X)) is None
    assert _functions.hyperbolic_slope(sympy.tanh(X) ** 2) is None


def test_reverse_mode_through_a_tanh_chain_does_not_ask_is_zero_again():
    """The parser skipped the question; reverse mode's partial 1 - tanh(u)**2
    reuses the node instead of building tanh(u) anew (which asked it: 2 ms a layer)."""
    from neurogebra.symbolic import parse_formula, reverse_gradients
    w0, w1, w2, h = sympy.symbols("w0_r w1_r w2_r h_r", real=True)
    expr = parse_formula("w2_r*tanh(w0_r*tanh(w0_r*h_r + w1_r) + w1_r)")
    arguments = [node.args[0] for node in sympy.preorder_traversal(expr)
                 if isinstance(node, sympy.tanh)]
    grads = reverse_gradients(expr, [w0, w1, w2])
    assert len(arguments) == 2 and all("zero" not in u._assumptions for u in arguments)
    point = {w0: 0.3, w1: -0.7, w2: 1.9, h: 0.45}
    for got, want in zip(grads, [sympy.diff(expr, v) for v in (w0, w1, w2)]):
        assert abs(float(got.subs(point)) - float(want.subs(point))) <= 1e-14
