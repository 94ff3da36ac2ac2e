"""The built-in packs against a 50-digit reference.

For every activation and loss, values and first derivatives computed by
neurogebra (scalar and array paths) must agree with SymPy/mpmath evaluation
of the elementary formula at 50 significant digits: relative error 1e-12, or
absolute error 1e-300 where the true value underflows. The grid holds 0, the
kinks, +-1e-8, +-1, +-30, +-1000 and, for probabilities, 0, 1e-12, 0.5,
1 - 1e-12 and 1. At kinks only the value is compared (the derivative there
is the autograd convention, tested separately).
"""

import itertools
import warnings

import numpy as np
import pytest
import sympy
from sympy.codegen.cfunctions import expm1, log1p

from neurogebra import MathForge
from neurogebra.symbolic import primitive_class, symbol

FORGE = MathForge(plugins=["activations", "losses", "schedules"])  # scalar packs; vectors: test_vector_catalog.py
GRID = [-1000.0, -30.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 30.0, 1000.0]
PROBABILITIES = [0.0, 1e-12, 0.5, 1 - 1e-12, 1.0]
LABELS = [-1.0, 1.0]
TARGETS = [0.0, 0.3, 1.0]

KINKS = {
    "relu": [0.0], "relu6": [0.0, 6.0], "leaky_relu": [0.0], "prelu": [0.0], "rrelu": [0.0],
    "elu": [0.0], "selu": [0.0], "celu": [0.0], "softplus": [20.0], "softsign": [0.0],
    "hardtanh": [-1.0, 1.0], "hardsigmoid": [-3.0, 3.0], "hardswish": [-3.0, 3.0],
    "hardshrink": [-0.5, 0.5], "softshrink": [-0.5, 0.5], "threshold": [0.0],
    "squareplus": [0.0], "sparse_plus": [-1.0, 1.0], "sparse_sigmoid": [-1.0, 1.0],
}


def regression(kinks=()):
    points = GRID + list(kinks)
    return [{"y_pred": t + d, "y_true": t} for t in (0.0, 1.5) for d in points], \
        [{"y_pred": t + k, "y_true": t} for t in (0.0, 1.5) for k in kinks]


def grid(**axes):
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*axes.values())]


LOSS_POINTS = {
    "mse": regression(),
    "l2_loss": regression(),
    "mae": regression([0.0]),
    "smooth_l1": regression([-1.0, 0.0, 1.0]),
    "huber": regression([-1.0, 0.0, 1.0]),
    "log_cosh": regression(),
    "quantile": regression([0.0]),
    "binary_crossentropy": (grid(y_pred=PROBABILITIES, y_true=TARGETS),
                            grid(y_pred=[0.0, 1.0], y_true=TARGETS)),
    "bce_with_logits": (grid(y_pred=GRID, y_true=TARGETS), []),
    "binary_focal": (grid(y_pred=GRID, y_true=TARGETS), []),
    "hinge": (grid(y_pred=GRID, y_true=LABELS), grid(y_pred=LABELS, y_true=LABELS)),
    "squared_hinge": (grid(y_pred=GRID, y_true=LABELS), grid(y_pred=LABELS, y_true=LABELS)),
    "soft_margin": (grid(y_pred=GRID, y_true=LABELS), []),
    "hinge_embedding": (grid(y_pred=[0.0, 1e-8, 0.5, 1.0, 30.0, 1000.0, -1.0], y_true=LABELS),
                        grid(y_pred=[1.0], y_true=LABELS)),
    "poisson_nll": (grid(y_pred=GRID, y_true=[0.0, 3.0]), []),
    "poisson_nll_rate": (grid(y_pred=[0.0, 1e-12, 1e-8, 1.0, 30.0, 1000.0], y_true=[0.0, 3.0]),
                         []),
    "gaussian_nll": (grid(y_pred=[-30.0, -1e-8, 0.0, 1.0, 1000.0], y_true=[0.0],
                          var=[1e-8, 1e-6, 0.5, 1.0, 1000.0]),
                     grid(y_pred=[0.0, 1.0], y_true=[0.0], var=[1e-6])),
    "kl_div": (grid(y_pred=[-1000.0, -30.0, -1.0, -1e-8, 0.0], y_true=[0.0, 1e-12, 0.5, 1.0]),
               grid(y_pred=[-1.0, 0.0], y_true=[0.0])),
    "msle": (grid(y_pred=[-0.5, 0.0, 1e-8, 1.0, 30.0, 1000.0], y_true=[0.0, 2.0]), []),
    "mape": (grid(y_pred=[-1000.0, -1.0, 0.0, 1e-8, 1.0, 100.0], y_true=[100.0, -3.0, 1e-8]),
             grid(y_pred=[100.0, -3.0], y_true=[100.0, -3.0])),
}


SCHEDULE_TIMES = [0.0, 1.0, 7.5, 45.0, 150.0, 1000.0]
SCHEDULE_KINKS = {"step_decay": [30.0, 60.0], "cosine_decay": [100.0],
                  "warmup_cosine_decay": [10.0, 100.0], "one_cycle": [29.0, 99.0]}


def cases():
    for name in FORGE.list_all(category="schedule"):
        kinks = SCHEDULE_KINKS.get(name, [])
        yield name, [{"t": v} for v in SCHEDULE_TIMES + kinks], [{"t": k} for k in kinks]
    for name in FORGE.list_all(category="activation"):
        kinks = KINKS.get(name, [])
        points = [{"x": v} for v in GRID + kinks]
        yield name, points, [{"x": k} for k in kinks]
    for name in FORGE.list_all(category="loss"):
        points, kinks = LOSS_POINTS[name]
        yield name, points, kinks


CASES = list(cases())


def test_every_builtin_function_has_an_accuracy_grid():
    assert {name for name, _, _ in CASES} == set(FORGE.list_all())


class _Phi(sympy.Function):
    """The normal distribution function, evaluated by mpmath in both tails
    (its erf form would need ~200000 digits at x = -1000)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sympy.exp(-x ** 2 / 2) / sympy.sqrt(2 * sympy.pi)

    def _eval_evalf(self, precision):
        import mpmath
        with mpmath.workprec(precision):
            x = self.args[0]._to_mpmath(precision)
            # mpmath's erfc overflows beyond ~1e150; there Phi is 0 or 1 to any precision
            value = mpmath.ncdf(x) if abs(x) < 1e10 else mpmath.mpf(int(x > 0))
        return sympy.Float._new(value._mpf_, precision)


def elementary(expression):
    normal_cdf = primitive_class("normal_cdf")
    explicit = expression.symbolic_expr.replace(normal_cdf, _Phi).rewrite("explicit")
    explicit = explicit.replace(expm1, lambda a: sympy.exp(a) - 1)
    explicit = explicit.replace(log1p, lambda a: sympy.log(1 + a))
    values = {symbol(k): sympy.Float(v, 60) for k, v in expression.params.items()}
    return explicit.xreplace(values)


def reference(expr, point):
    """The value at ``point`` to ~40 digits (None where not a finite float64).

    ``maxn`` lets SymPy raise its working precision through cancellations such
    as 1 - tanh(1000)**2, which needs about 900 digits.
    """
    exact = {symbol(k): sympy.Rational(v) for k, v in point.items()}
    value = expr.xreplace(exact).evalf(40, maxn=1200)
    if not (value.is_real and value.is_finite) or abs(value) >= 1.7976931348623157e308:
        return None
    return float(value)


def close(got, want):
    return abs(got - want) <= 1e-12 * abs(want) or abs(got - want) <= 1e-300


@pytest.mark.parametrize("name, points, kinks", CASES, ids=[c[0] for c in CASES])
def test_values_and_derivatives_match_a_50_digit_reference(name, points, kinks):
    expression = FORGE.get(name)
    exact = elementary(expression)
    variable = expression.variables[0]
    derivative = expression.gradient(variable)
    exact_derivative = sympy.diff(exact, symbol(variable))
    problems = []
    checks = [(expression, exact, points, name)]
    checks.append((derivative, exact_derivative, [p for p in points if p not in kinks],
                   f"d{name}/d{variable}"))
    for function, truth, where, label in checks:
        wanted = [(point, reference(truth, point)) for point in where]
        finite = [(point, want) for point, want in wanted if want is not None]
        arrays = {k: np.array([p[k] for p, _ in finite]) for k in points[0]}
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # finite truth: no overflow, no nan, no warning
            vectorised = function.eval(**arrays)
            scalars = [function.eval(**point) for point, _ in finite]
        for (point, want), got, one in zip(finite, vectorised, scalars):
            for value in (got, one):
                if not close(value, want):
                    problems.append(f"{label}{point} = {value!r}, reference {want!r}")
    assert not problems, "\n".join(problems)


EXTREMES = [-1e300, -1e154, -1e20, -750.0, -710.0, -5e-324, 5e-324, 710.0, 750.0, 1e20,
            1e154, 1e300]


@pytest.mark.parametrize("name", FORGE.list_all(category="activation"))
def test_activations_are_finite_and_quiet_wherever_the_truth_is_finite(name):
    expression = FORGE.get(name)
    exact = elementary(expression)
    points = [{"x": v} for v in EXTREMES]
    truth = [reference(exact, point) for point in points]
    finite = np.array([p["x"] for p, t in zip(points, truth) if t is not None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = expression.eval(x=finite)
    wanted = np.array([t for t in truth if t is not None])
    bad = [(x, v, w) for x, v, w in zip(finite, values, wanted) if not close(v, w)]
    assert not bad, bad


LOSS_EXTREMES = {
    "y_pred": EXTREMES, "y_true": [0.0, 1.0], "var": [1.0],
}
POSITIVE_ONLY = {"msle": "y_pred", "poisson_nll_rate": "y_pred"}


@pytest.mark.parametrize("name", FORGE.list_all(category="loss"))
def test_losses_are_finite_and_quiet_wherever_the_truth_is_finite(name):
    expression = FORGE.get(name)
    exact = elementary(expression)
    axes = {v: LOSS_EXTREMES[v] for v in expression.variables}
    if name in POSITIVE_ONLY:
        axes["y_pred"] = [v for v in EXTREMES if v > 0]
    if name == "binary_crossentropy":
        axes["y_pred"] = [5e-324, 1e-300, 1 - 2 ** -53]
    points = grid(**axes)
    truth = [reference(exact, point) for point in points]
    kept = [(p, t) for p, t in zip(points, truth) if t is not None]
    arrays = {k: np.array([p[k] for p, _ in kept]) for k in axes}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = expression.eval(**arrays)
    bad = [(p, v, t) for (p, t), v in zip(kept, values) if not close(v, t)]
    assert not bad, bad


REQUIRED_DOCS = ("description", "usage", "pros", "cons", "latex", "references")


@pytest.mark.parametrize("name", FORGE.list_all())
def test_every_builtin_is_fully_documented_with_checked_examples(name):
    expression = FORGE.get(name)
    meta = expression.metadata
    missing = [field for field in REQUIRED_DOCS if not meta.get(field)]
    assert not missing, f"{name} lacks {missing}"
    undocumented = [p for p in expression.params if p not in meta.get("param_descriptions", {})]
    assert not undocumented, f"{name}: params without description {undocumented}"
    assert meta.get("examples"), f"{name} has no examples"
