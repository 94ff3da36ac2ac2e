"""White-box tests of the built-in packs' fused primitives.

A fused primitive declares the functions its explicit formula calls
(``Primitive.heads``) so that compiling a formula that cannot contain it
costs nothing; a wrong declaration would silently stop the fusing. These
tests compare every declaration with the formula and check that each
catalog derivative still compiles to its fused kernel.
"""

import math
import warnings

import numpy as np
import pytest
import sympy

from neurogebra import Expression, MathForge
from neurogebra.compile import _stable as stable, stabilize
from neurogebra.symbolic import fused_primitives, post_order

FORGE = MathForge()
FUSED = {cls.__name__: cls for cls in fused_primitives()}

# fused primitive -> (catalog entry, variable) whose derivative it computes (None: a
# factor of the entry's value)
SLOPES = {
    "tanh_softplus": ("mish", None),
    "silu_slope": ("silu", "x"),
    "gelu_slope": ("gelu", "x"),
    "gelu_tanh_slope": ("gelu_tanh", "x"),
    "mish_slope": ("mish", "x"),
    "bce_slope": ("binary_crossentropy", "y_pred"),
    "bce_log_odds": ("binary_crossentropy", "y_true"),
    "mape_target_slope": ("mape", "y_true"),
    "squareplus_slope": ("squareplus", "x"),
    "squareplus_pieces": ("squareplus", None),
}


def test_every_built_in_fused_primitive_is_covered():
    assert set(FUSED) == set(SLOPES)


@pytest.mark.parametrize("name", sorted(SLOPES))
def test_declared_heads_are_those_of_the_formula(name):
    cls = FUSED[name]
    assert cls.primitive.heads
    assert frozenset(cls.primitive.heads) == cls.worked_out_heads == cls.fused_heads


@pytest.mark.parametrize("name", sorted(n for n in SLOPES if FUSED[n].primitive.anchors))
@pytest.mark.parametrize("arguments", [("x", "y", "z"), ("-x", "y", "z"), ("2*x + 1", "x", "y"),
                                       ("y", "y", "x"), ("x", "y", "y")])
def test_declared_anchors_are_parts_of_the_formula(name, arguments):
    """A formula without an anchor is not searched for the slope: a wrong one
    would silently stop the fusing."""
    symbols = {n: sympy.Symbol(n, real=True) for n in "xyz"}
    cls = FUSED[name]
    args = [sympy.sympify(a, locals=symbols) for a in arguments[:cls.primitive.nargs]]
    explicit = cls.primitive.explicit(*args)
    if explicit.is_Atom:       # mape's slope with p = y is 0, never fused
        return
    anchors = {a for a in cls.primitive.anchors(*args) if not a.is_number}   # |y - y| is 0
    assert anchors <= set(post_order([explicit]))


@pytest.mark.parametrize("entry, variable, slopes", [
    ("sigmoid", "x", []),           # sigmoid(x)*(1 - sigmoid(x)): no x*sigmoid'(x) term
    ("silu", None, []),             # the activations' values call what their slopes call
    ("gelu_tanh", None, []),
    ("mish", None, ["tanh_softplus"]),   # its value's own fused part (no derivative)
    ("silu", "x", ["silu_slope"]),
    ("huber", None, []),            # a piecewise part, but not bce's clamped logs
])
def test_a_formula_without_the_anchors_builds_no_slope(monkeypatch, entry, variable, slopes):
    """Building a slope is a derivative (3-20 ms of a first evaluation): a formula
    is searched for one only when it has the slope's anchors."""
    built = []
    monkeypatch.setattr(stable, "_pattern", lambda cls, args: built.append(cls.__name__) or
                        cls.primitive.explicit(*args))
    expression = FORGE.get(entry)
    stabilize((expression.gradient(variable) if variable else expression).symbolic_expr)
    assert built == slopes


@pytest.mark.parametrize("name", sorted(n for n in SLOPES if SLOPES[n][1]))
def test_the_catalog_derivative_compiles_to_the_fused_kernel(name):
    entry, variable = SLOPES[name]
    derivative = FORGE.get(entry).gradient(variable).symbolic_expr
    assert type(stabilize(derivative)).__name__ == name


def test_mish_computes_tanh_of_softplus_from_one_exp():
    """Its value is x*tanh_softplus(x); its slope still the whole mish_slope (fused
    first: it contains tanh(softplus(x)) too)."""
    mish = FORGE.get("mish")
    x = mish.symbolic_expr.free_symbols.pop()
    assert stabilize(mish.symbolic_expr) == x * FUSED["tanh_softplus"](x)
    assert mish.eval(x=-1.5) == -1.5 * FUSED["tanh_softplus"].primitive.scalar(-1.5)


@pytest.mark.parametrize("pred, target, eps", [("z", "a", "e"), ("a", "z", "b"),
                                               ("b", "a", "c"), ("w", "v", "u")])
def test_a_fused_slope_is_found_whatever_the_names(pred, target, eps):
    """Candidates are screened by the calls their formula must make (abs and sign of
    the difference, which turns around with the names) before a slope is derived."""
    e = Expression("m", f"100*abs({target} - {pred})/max(abs({target}), {eps})",
                   params={eps: 1e-7})
    assert stabilize(e.gradient(target).symbolic_expr) == FUSED["mape_target_slope"](
        *(sympy.Symbol(n, real=True) for n in (pred, target, eps)))


def test_screening_derives_one_slope_for_the_one_candidate_that_can_match(monkeypatch):
    """mape's slope has 27 argument triples among three symbols; 0.2 s of derivatives
    on a first evaluation before the screening, one derivative per call after it."""
    from neurogebra.compile import _stable
    derived = []
    monkeypatch.setattr(_stable, "_pattern", lambda cls, args: derived.append(args) or
                        cls.primitive.explicit(*args))
    e = Expression("m", "100*abs(t - p)/max(abs(t), eps)", params={"eps": 1e-7})
    stabilize(e.gradient("t").symbolic_expr)
    assert len(derived) <= 3 and (sympy.Symbol("p", real=True), sympy.Symbol("t", real=True),
                                  sympy.Symbol("eps", real=True)) in derived


def _mape_target_slope_exact(p, y, e):
    """-100 sign(p - y) p/(y |y|) for |y| >= eps, else -100 sign(p - y)/eps, in 50 digits."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(50):
        p, y = mpmath.mpf(p), mpmath.mpf(y)
        s = mpmath.sign(p - y)
        return float(-100 * s * p / (y * abs(y)) if abs(y) >= e else -100 * s / e)


# points where y*|y| over- or underflows although the slope is a normal float
EXTREME = [(1e300, 1e200, 1e-7), (-1e307, -7e153, 1e-7), (1e-300, 1e-160, 1e-200),
           (-3e-310, 2e-155, 1e-200), (1e-310, 0.3, 1e-7), (5e-320, 1e-6, 1e-7)]


@pytest.mark.parametrize("p, y, eps", EXTREME)
def test_the_mape_slope_keeps_every_digit_where_intermediates_leave_the_normal_range(p, y, eps):
    slope = FORGE.get("mape").gradient("y_true")
    want = _mape_target_slope_exact(p, y, eps)
    assert slope.eval(y_pred=p, y_true=y, epsilon=eps) == pytest.approx(want, rel=1e-15, abs=0)
    # one extreme element sends its whole block to the careful kernel
    many = slope.eval(y_pred=np.array([p, 0.5, -2.0]), y_true=np.array([y, 0.25, 3.0]),
                      epsilon=eps)
    assert many.tolist() == pytest.approx([want, _mape_target_slope_exact(0.5, 0.25, eps),
                                           _mape_target_slope_exact(-2.0, 3.0, eps)],
                                          rel=1e-15, abs=0)


def test_the_mape_slope_beyond_the_largest_float_is_infinite():
    """-100 p/(y |y|) at p = 1.8e306, y = 1 is below -1.797e308, p = 1.7e306 not."""
    slope = FORGE.get("mape").gradient("y_true")
    assert slope.eval(y_pred=1.8e306, y_true=1.0) == -math.inf
    assert slope.eval(y_pred=-1.8e306, y_true=-1.0) == math.inf
    assert slope.eval(y_pred=1.7e306, y_true=1.0) == -1.7e308
    assert slope.eval(y_pred=np.array([1.8e306, 1.7e306]),
                      y_true=np.array([1.0, 1.0])).tolist() == [-math.inf, -1.7e308]


def test_the_mape_slope_below_eps_is_the_clamped_one():
    slope = FORGE.get("mape").gradient("y_true")
    got = slope.eval(y_pred=np.array([1.0, -1.0, 0.0]), y_true=np.array([1e-9, 0.0, 0.0]))
    assert got.tolist() == [-1e9, 1e9, 0.0]
    assert slope.eval(y_pred=1.0, y_true=1e-9) == -1e9


def test_the_bce_slope_takes_the_clamped_pieces_only_where_p_leaves_them():
    """Inside (e^-100, 1) the slope is (p - y)/(p (1 - p)) (no selects run); one p
    outside sends the array to the pieces: -y/p at p >= 1 and 0 at the floor."""
    slope = FORGE.get("binary_crossentropy").gradient("y_pred")
    p = np.array([0.25, 0.5, 0.9])
    y = np.array([1.0, 0.0, 1.0])
    assert slope.eval(y_pred=p, y_true=y).tolist() == ((p - y) / (p * (1 - p))).tolist()
    edges = slope.eval(y_pred=np.array([0.25, 1.0, 2.0, 0.0, 1e-50]),
                       y_true=np.array([1.0, 1.0, 1.0, 1.0, 0.0]))
    assert edges.tolist() == [(0.25 - 1) / (0.25 * 0.75), -1.0, -0.5, 0.0, 1.0]


def test_tanhshrinks_series_keeps_14_digits_up_to_where_the_closed_form_takes_over():
    """x - tanh(x) cancels below |x| = 0.25, where the series to x^19 gives it
    (to x^17 it lost 1.7e-13 at 0.25), on arrays and on floats."""
    mpmath = pytest.importorskip("mpmath")
    tanhshrink = FORGE.get("tanhshrink")
    x = -np.linspace(0.2, 0.2499, 501)
    with mpmath.workprec(120):
        want = np.array([float(mpmath.mpf(v) - mpmath.tanh(mpmath.mpf(v))) for v in x.tolist()])
    got = tanhshrink.eval(x=x)
    assert np.max(np.abs(got - want) / np.abs(want)) < 1e-14
    floats = np.array([tanhshrink.eval(x=v) for v in x[::25].tolist()])
    assert np.max(np.abs(floats - want[::25]) / np.abs(want[::25])) < 1e-14


def test_the_bce_slope_loop_form_gives_the_scalar_kernels_values():
    """The compiled loop's one division gives each piece's quotient, bit for bit:
    inside the clamps, at and beyond them, at the floor, for hard and soft labels."""
    from plugins.losses.primitives import _LOG_FLOOR_P, _bce_slope_scalar
    form = _bce_slope_scalar.loop_form()
    ps = [0.25, 0.5, 1 - 2**-53, 1.0, 2.0, math.inf, _LOG_FLOOR_P, _LOG_FLOOR_P * 2, 1e-50,
          0.0, -0.0, -1.0, math.nan, 5e-324]
    for p in ps:
        for y in (0.0, 1.0, 0.3, -2.0, math.nan):
            want, got = _bce_slope_scalar(p, y), form(p, y)
            assert want == got or (want != want and got != got), (p, y, want, got)


def test_the_bce_log_odds_is_nan_outside_0_1_on_the_scalar_path_as_on_arrays():
    """d/dy_true of BCE is log((1 - p)/p), clamped at +-100 at p = 0 and 1; below 0
    and above 1 it is nan on every path (a compiled loop runs the scalar kernel)."""
    slope = FORGE.get("binary_crossentropy").gradient("y_true")
    p = [-0.5, 0.0, 0.5, 1.0, 1.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # both paths warn of the nan
        want = slope.eval(y_pred=np.array(p), y_true=np.ones(5))
        got = [slope.eval(y_pred=v, y_true=1.0) for v in p]
    assert np.array_equal(got, want, equal_nan=True)
    assert np.isnan(want[[0, 4]]).all() and want[[1, 2, 3]].tolist() == [100.0, 0.0, -100.0]


def test_squareplus_is_one_fused_kernel_with_its_limits_on_both_paths():
    """Its value and slope each take one hypot and one division (q = |x| + h serves
    both pieces); beyond 1e300 the slope is its limit, 1 above and 0 below."""
    squareplus = FORGE.get("squareplus")
    assert type(stabilize(squareplus.symbolic_expr)).__name__ == "squareplus_pieces"
    x = [-math.inf, -1e300, -1000.0, -1.0, -0.0, 0.0, 1e-300, 1.0, 1000.0, 1e300, math.inf]
    slope = squareplus.gradient("x")
    for f, want in [(squareplus, [0.0, 1e-300, 4 / (2 * (math.hypot(1000, 2) + 1000)),
                                  4 / (2 * (math.sqrt(5) + 1)), 1.0, 1.0, 1.0,
                                  (1 + math.sqrt(5)) / 2, (1000 + math.hypot(1000, 2)) / 2,
                                  1e300, math.inf]),
                    (slope, [0.0, 0.0, 4 / (2 * math.hypot(1000, 2) * (math.hypot(1000, 2) + 1000)),
                             4 / (2 * math.sqrt(5) * (math.sqrt(5) + 1)), 0.5, 0.5, 0.5,
                             (1 + math.sqrt(5)) / (2 * math.sqrt(5)),
                             (1000 + math.hypot(1000, 2)) / (2 * math.hypot(1000, 2)), 1.0, 1.0])]:
        assert f.eval(x=np.array(x)).tolist() == want
        assert [f.eval(x=v) for v in x] == want
