"""The built-in vector pack against a 60-digit reference and against the
frameworks whose functions it reproduces.

* Values: every function at logit scales 1, 30 and 1e4 agrees with mpmath to
  1e-12 relative (1e-300 absolute where the truth underflows), is finite where
  the truth is finite, and raises no floating-point warning.
* Derivatives: the gradient (or, for a vector-valued function, the Jacobian
  applied to a random cotangent u) by every differentiable input agrees with
  mpmath's derivative of the reference to 1e-12 relative to the larger of the
  exact derivative and u (the saturated softmax's VJP cancels; its absolute
  error is what float64 allows).
* Counterparts: PyTorch, JAX/optax and Keras in float64 (on the JAX backend),
  with reduction "none", give the same values and gradients.
"""

import os
import warnings
import zlib

import numpy as np
import pytest

from neurogebra import MathForge
from neurogebra.symbolic import IndexSymbol

os.environ.setdefault("KERAS_BACKEND", "jax")   # before anything imports Keras
mpmath = pytest.importorskip("mpmath", reason="the 60-digit reference needs mpmath")
mp = mpmath.mp

FORGE = MathForge(plugins=["vectors"])
N = 4
SCALES = (1.0, 30.0, 1e4)


# -- 60-digit references --------------------------------------------------------------

def mpf(values):
    return [v if isinstance(v, mpmath.mpf) else mpmath.mpf(float(v)) for v in np.ravel(values)]


def _top_and_rest(z):
    """max(z) and log1p(sum of the other exp(t - max)): exact when one term dominates."""
    top = max(z)
    others = list(z)
    others.remove(top)
    return top, mpmath.log1p(mpmath.fsum(mpmath.exp(t - top) for t in others))


def lse(z):
    top, rest = _top_and_rest(z)
    return top + rest


def log_softmax(z):
    top, rest = _top_and_rest(z)
    return [(t - top) - rest for t in z]


def softmax(z):
    return [mpmath.exp(t) for t in log_softmax(z)]


def norm(v):
    return mpmath.sqrt(mpmath.fsum(t * t for t in v))


def dot(a, b):
    return mpmath.fsum(s * t for s, t in zip(a, b))


def mean(v):
    return mpmath.fsum(v) / len(v)


def xlogy(x, y):
    return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)


def log_sigmoid(x):
    return -mpmath.log1p(mpmath.exp(-x)) if x > 0 else x - mpmath.log1p(mpmath.exp(x))


def layer_norm(x, eps):
    mu = mean(x)
    scale = mpmath.sqrt(mean([(t - mu) ** 2 for t in x]) + eps)
    return [(t - mu) / scale for t in x]


def rms_norm(x, eps):
    scale = mpmath.sqrt(mean([t * t for t in x]) + eps)
    return [t / scale for t in x]


def cosine(a, b, eps):
    return dot(a, b) / (max(norm(a), eps) * max(norm(b), eps))


def embedding_cosine(a, b):
    tiny = mpmath.mpf(1e-12)
    return dot(a, b) / mpmath.sqrt((dot(a, a) + tiny) * (dot(b, b) + tiny))


def smoothed(y, e):
    return [(1 - e) * t + e / len(y) for t in y]


def p(values, name):
    value = values[name]
    return value if isinstance(value, mpmath.mpf) else mpmath.mpf(float(value))


MP = {
    "softmax": lambda v: softmax(mpf(v["x"])),
    "log_softmax": lambda v: log_softmax(mpf(v["x"])),
    "softmin": lambda v: softmax([-t for t in mpf(v["x"])]),
    "logsumexp": lambda v: lse(mpf(v["x"])),
    "cross_entropy": lambda v: -dot(mpf(v["y_true"]), log_softmax(mpf(v["y_pred"]))),
    "cross_entropy_index": lambda v: -log_softmax(mpf(v["y_pred"]))[int(v["y_true"])],
    "cross_entropy_smooth": lambda v: -dot(smoothed(mpf(v["y_true"]), p(v, "label_smoothing")),
                                           log_softmax(mpf(v["y_pred"]))),
    "cross_entropy_index_smooth": lambda v: (
        -(1 - p(v, "label_smoothing")) * log_softmax(mpf(v["y_pred"]))[int(v["y_true"])]
        - p(v, "label_smoothing") * mean(log_softmax(mpf(v["y_pred"])))),
    "nll": lambda v: -mpf(v["y_pred"])[int(v["y_true"])],
    "categorical_crossentropy": lambda v: -dot(mpf(v["y_true"]), [
        mpmath.log(min(max(t / mpmath.fsum(mpf(v["y_pred"])), p(v, "epsilon")),
                       1 - p(v, "epsilon"))) for t in mpf(v["y_pred"])]),
    "kl_div_distributions": lambda v: mpmath.fsum(
        xlogy(y, y) - y * q for y, q in zip(mpf(v["y_true"]), mpf(v["y_pred"]))),
    "entropy": lambda v: -mpmath.fsum(xlogy(t, t) for t in mpf(v["p"])),
    "cosine_similarity": lambda v: cosine(mpf(v["x1"]), mpf(v["x2"]), p(v, "eps")),
    "cosine_embedding": lambda v: (
        1 - embedding_cosine(mpf(v["x1"]), mpf(v["x2"])) if float(v["y"]) > 0
        else max(0, embedding_cosine(mpf(v["x1"]), mpf(v["x2"])) - p(v, "margin"))),
    "triplet_margin": lambda v: max(
        norm([a - b + p(v, "eps") for a, b in zip(mpf(v["anchor"]), mpf(v["positive"]))])
        - norm([a - b + p(v, "eps") for a, b in zip(mpf(v["anchor"]), mpf(v["negative"]))])
        + p(v, "margin"), 0),
    "margin_ranking": lambda v: max(0, -p(v, "y") * (p(v, "x1") - p(v, "x2")) + p(v, "margin")),
    "multi_margin": lambda v: mpmath.fsum(
        max(0, p(v, "margin") - mpf(v["y_pred"])[int(v["y_true"])] + t) ** int(v["p"])
        for i, t in enumerate(mpf(v["y_pred"])) if i != int(v["y_true"])) / N,
    "multilabel_soft_margin": lambda v: -mean([
        y * log_sigmoid(t) + (1 - y) * log_sigmoid(-t)
        for t, y in zip(mpf(v["y_pred"]), mpf(v["y_true"]))]),
    "categorical_hinge": lambda v: max(0, max((1 - y) * t for t, y in zip(
        mpf(v["y_pred"]), mpf(v["y_true"]))) - dot(mpf(v["y_true"]), mpf(v["y_pred"])) + 1),
    "glu": lambda v: [a / (1 + mpmath.exp(-b)) for a, b in zip(
        mpf(v["x"])[:N // 2], mpf(v["x"])[N // 2:])],
    "layer_norm": lambda v: layer_norm(mpf(v["x"]), p(v, "eps")),
    "layer_norm_affine": lambda v: [t * w + b for t, w, b in zip(
        layer_norm(mpf(v["x"]), p(v, "eps")), mpf(v["weight"]), mpf(v["bias"]))],
    "rms_norm": lambda v: rms_norm(mpf(v["x"]), p(v, "eps")),
    "rms_norm_affine": lambda v: [t * w for t, w in zip(rms_norm(mpf(v["x"]), p(v, "eps")),
                                                        mpf(v["weight"]))],
    "l2_normalize": lambda v: [t / max(norm(mpf(v["x"])), p(v, "eps")) for t in mpf(v["x"])],
    "dice": lambda v: 1 - 2 * dot(mpf(v["y_true"]), mpf(v["y_pred"])) / (
        mpmath.fsum(mpf(v["y_true"])) + mpmath.fsum(mpf(v["y_pred"])) + p(v, "epsilon")),
    "tversky": lambda v: 1 - dot(mpf(v["y_true"]), mpf(v["y_pred"])) / (
        dot(mpf(v["y_true"]), mpf(v["y_pred"]))
        + p(v, "alpha") * dot(mpf(v["y_true"]), [1 - t for t in mpf(v["y_pred"])])
        + p(v, "beta") * dot([1 - t for t in mpf(v["y_true"])], mpf(v["y_pred"]))
        + p(v, "epsilon")),
}

# inputs that are not logits: probabilities, log-probabilities, labels, indices
PROBABILITIES = {("cross_entropy", "y_true"), ("cross_entropy_smooth", "y_true"),
                 ("categorical_crossentropy", "y_pred"), ("categorical_crossentropy", "y_true"),
                 ("kl_div_distributions", "y_true"), ("entropy", "p"), ("dice", "y_pred"),
                 ("dice", "y_true"), ("tversky", "y_pred"), ("tversky", "y_true"),
                 ("categorical_hinge", "y_true")}
BINARY = {("multilabel_soft_margin", "y_true")}
LABELS = {("cosine_embedding", "y"), ("margin_ranking", "y")}
SETTINGS = {"cross_entropy_smooth": {"label_smoothing": 0.1},
            "cross_entropy_index_smooth": {"label_smoothing": 0.1},
            "multi_margin": {"p": 2.0}, "cosine_embedding": {"margin": 0.2}}


def inputs(name, rng, scale, zeros=False):
    """Values of every variable and param of ``name`` (params at their defaults)."""
    expression = FORGE.get(name)
    values = {}
    for variable in expression.variables:
        shape = expression.shapes.get(variable, ())
        if isinstance(expression.symbol(variable), IndexSymbol):
            values[variable] = float(rng.integers(0, N))
        elif (name, variable) in PROBABILITIES:
            probabilities = rng.dirichlet(np.ones(N))
            if zeros:
                probabilities[0] = 0.0
                probabilities /= probabilities.sum()
            values[variable] = probabilities
        elif (name, variable) in BINARY:
            values[variable] = rng.integers(0, 2, N).astype(float)
        elif (name, variable) in LABELS:
            values[variable] = float(rng.choice([-1.0, 1.0]))
        elif name == "kl_div_distributions":
            values[variable] = np.log(rng.dirichlet(np.ones(N)))
        else:
            values[variable] = rng.normal(size=(N,) * len(shape)) * scale
    for param, default in expression.params.items():
        values[param] = rng.normal(size=N) if expression.shapes.get(param) else default
    values.update(SETTINGS.get(name, {}))
    return values


def scales(name):
    logits = any((name, v) not in PROBABILITIES | BINARY | LABELS
                 for v in FORGE.get(name).variables)
    return SCALES if logits and name != "kl_div_distributions" else (1.0,)


def differentiable(name):
    expression = FORGE.get(name)
    names = [v for v in expression.variables
             if (name, v) not in LABELS | BINARY
             and not isinstance(expression.symbol(v), IndexSymbol)]
    return names + [p for p in expression.trainable_params or expression.params
                    if expression.shapes.get(p)]


def seed(*parts) -> int:
    """A fixed seed per test case (str hashes change between runs)."""
    return zlib.crc32(repr(parts).encode())


def close(got, want):
    got = np.atleast_1d(np.asarray(got, dtype=float))
    want = np.atleast_1d(np.array([float(w) for w in np.ravel(want)]))
    return np.all(np.abs(got - want) <= np.maximum(1e-12 * np.abs(want), 1e-300))


def test_every_vector_function_has_a_reference():
    assert set(MP) == set(FORGE.list_all())


def test_vector_functions_have_documentation_and_checked_examples():
    for name in FORGE.list_all():
        meta = FORGE.get(name).metadata
        missing = [key for key in ("description", "usage", "pros", "cons", "latex",
                                   "equivalents", "examples") if not meta.get(key)]
        assert not missing, (name, missing)


CASES = [(name, scale) for name in sorted(MP) for scale in scales(name)]


@pytest.mark.parametrize("name, scale", CASES, ids=[f"{n}-{s:g}" for n, s in CASES])
def test_values_match_60_digits_finite_and_quiet(name, scale):
    mp.dps = 60
    rng = np.random.default_rng(seed(name, scale))
    expression = FORGE.get(name)
    for zeros in (False, True):
        values = inputs(name, rng, scale, zeros)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = expression.eval(**values)
        assert close(got, MP[name](values)), (values, got)
        batch = {k: np.stack([v, v]) if k in expression.variables else v
                 for k, v in values.items()}
        np.testing.assert_allclose(expression.eval(**batch)[1], got, rtol=1e-14, atol=1e-15)


def mp_vjp(name, values, variable, cotangent):
    """d <u, f> / d variable by mpmath, entry by entry."""
    centre = np.atleast_1d(np.asarray(values[variable], dtype=float))
    result = []
    for i in range(centre.size):
        def f(t, i=i):
            moved = [mpmath.mpf(float(c)) for c in centre]
            moved[i] = t
            out = MP[name]({**values, variable: moved if np.ndim(values[variable]) else t})
            return dot(mpf(cotangent), out) if isinstance(out, list) else out
        result.append(mpmath.diff(f, mpmath.mpf(float(centre[i]))))
    return np.array([float(r) for r in result])


@pytest.mark.parametrize("name, scale", CASES, ids=[f"{n}-{s:g}" for n, s in CASES])
def test_derivatives_match_60_digits(name, scale):
    mp.dps = 60
    rng = np.random.default_rng(seed(name, scale, "d"))
    expression = FORGE.get(name)
    values = inputs(name, rng, scale)
    out = expression.eval(**values)
    cotangent = rng.normal(size=np.shape(out))
    for variable in differentiable(name):
        derivative = np.asarray(expression.gradient(variable).eval(**values))
        ours = np.tensordot(cotangent, derivative, axes=np.ndim(out)) if np.ndim(out) \
            else derivative
        exact = mp_vjp(name, values, variable, cotangent)
        bound = 1e-12 * max(np.max(np.abs(exact)), np.max(np.abs(cotangent), initial=1.0))
        assert np.max(np.abs(np.ravel(ours) - exact)) <= bound, (variable, ours, exact)


# -- the frameworks' own functions, float64, reduction "none" ------------------------------

def _torch_counterparts():
    F = pytest.importorskip("torch").nn.functional

    def target(v):
        return v["y_true"].long()
    return {
        "softmax": lambda v: F.softmax(v["x"], -1),
        "log_softmax": lambda v: F.log_softmax(v["x"], -1),
        "softmin": lambda v: F.softmin(v["x"], -1),
        "logsumexp": lambda v: v["x"].logsumexp(-1),
        "cross_entropy": lambda v: F.cross_entropy(v["y_pred"][None], v["y_true"][None],
                                                   reduction="none")[0],
        "cross_entropy_index": lambda v: F.cross_entropy(v["y_pred"][None], target(v)[None],
                                                         reduction="none")[0],
        "cross_entropy_smooth": lambda v: F.cross_entropy(
            v["y_pred"][None], v["y_true"][None], reduction="none",
            label_smoothing=v["label_smoothing"])[0],
        "cross_entropy_index_smooth": lambda v: F.cross_entropy(
            v["y_pred"][None], target(v)[None], reduction="none",
            label_smoothing=v["label_smoothing"])[0],
        "nll": lambda v: F.nll_loss(v["y_pred"][None], target(v)[None], reduction="none")[0],
        "kl_div_distributions": lambda v: F.kl_div(v["y_pred"], v["y_true"],
                                                   reduction="none").sum(-1),
        "cosine_similarity": lambda v: F.cosine_similarity(v["x1"], v["x2"], dim=-1,
                                                           eps=v["eps"]),
        "cosine_embedding": lambda v: F.cosine_embedding_loss(
            v["x1"][None], v["x2"][None], v["y"][None], margin=v["margin"],
            reduction="none")[0],
        "triplet_margin": lambda v: F.triplet_margin_loss(
            v["anchor"][None], v["positive"][None], v["negative"][None], margin=v["margin"],
            eps=v["eps"], reduction="none")[0],
        "margin_ranking": lambda v: F.margin_ranking_loss(
            v["x1"][None], v["x2"][None], v["y"][None], margin=v["margin"],
            reduction="none")[0],
        "multi_margin": lambda v: F.multi_margin_loss(
            v["y_pred"][None], target(v)[None], p=int(v["p"]), margin=v["margin"],
            reduction="none")[0],
        "multilabel_soft_margin": lambda v: F.multilabel_soft_margin_loss(
            v["y_pred"][None], v["y_true"][None], reduction="none")[0],
        "glu": lambda v: F.glu(v["x"], -1),
        "layer_norm": lambda v: F.layer_norm(v["x"], (N,), eps=v["eps"]),
        "layer_norm_affine": lambda v: F.layer_norm(v["x"], (N,), v["weight"], v["bias"],
                                                    eps=v["eps"]),
        "rms_norm": lambda v: F.rms_norm(v["x"], (N,)),
        "rms_norm_affine": lambda v: F.rms_norm(v["x"], (N,), v["weight"]),
        "l2_normalize": lambda v: F.normalize(v["x"], dim=-1, eps=v["eps"]),
    }


def _jax_counterparts():
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    return {
        "softmax": lambda v: jax.nn.softmax(v["x"]),
        "log_softmax": lambda v: jax.nn.log_softmax(v["x"]),
        "logsumexp": lambda v: jax.nn.logsumexp(v["x"]),
        "cross_entropy": lambda v: optax.losses.softmax_cross_entropy(v["y_pred"], v["y_true"]),
        "cross_entropy_index": lambda v: optax.losses.softmax_cross_entropy_with_integer_labels(
            v["y_pred"], v["y_true"].astype(int)),
        "cross_entropy_smooth": lambda v: optax.losses.softmax_cross_entropy(
            v["y_pred"], optax.smooth_labels(v["y_true"], v["label_smoothing"])),
        "kl_div_distributions": lambda v: optax.losses.kl_divergence(v["y_pred"], v["y_true"]),
        "entropy": lambda v: jax.scipy.special.entr(v["p"]).sum(-1),
        "cosine_similarity": lambda v: optax.losses.cosine_similarity(
            v["x1"], v["x2"], epsilon=v["eps"] ** 2),
        "glu": lambda v: jax.nn.glu(v["x"]),
        "layer_norm": lambda v: jax.nn.standardize(v["x"], epsilon=v["eps"]),
    }


def _keras_counterparts():
    keras = pytest.importorskip("keras", reason="the Keras references need keras")
    if keras.backend.backend() != "jax":
        pytest.skip("the Keras references run on Keras' JAX backend")
    keras.config.set_floatx("float64")
    losses = keras.losses
    return {
        "cross_entropy": lambda v: losses.categorical_crossentropy(
            v["y_true"], v["y_pred"], from_logits=True),
        "categorical_crossentropy": lambda v: losses.categorical_crossentropy(
            v["y_true"], v["y_pred"]),
        "categorical_hinge": lambda v: losses.categorical_hinge(v["y_true"], v["y_pred"]),
        "dice": lambda v: losses.dice(v["y_true"], v["y_pred"], axis=-1),
        "tversky": lambda v: losses.tversky(v["y_true"], v["y_pred"], alpha=v["alpha"],
                                            beta=v["beta"], axis=-1),
    }


# Keras computes categorical_hinge in float32 whatever floatx says
KERAS_TOLERANCE = {"categorical_hinge": 1e-6}


def framework_values(framework, name, values):
    """The framework's value and, by each differentiable input, its VJP with a fixed
    cotangent, both as NumPy."""
    if framework == "torch":
        import torch
        table = _torch_counterparts()
        tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in differentiable(name))
                   if np.ndim(v) or k in FORGE.get(name).variables else v
                   for k, v in values.items()}
        out = table[name](tensors)
        cotangent = torch.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape))
        (out * cotangent).sum().backward()
        return (out.detach().numpy(), cotangent.numpy(),
                {k: tensors[k].grad.numpy() for k in differentiable(name)})
    import jax
    table = _jax_counterparts() if framework == "jax" else _keras_counterparts()
    arrays = {k: jax.numpy.asarray(v) if np.ndim(v) or k in FORGE.get(name).variables else v
              for k, v in values.items()}
    wanted = differentiable(name) if framework == "jax" else ["y_pred"]

    def function(*moving):
        return table[name]({**arrays, **dict(zip(wanted, moving))})
    out, pullback = jax.vjp(function, *(arrays[k] for k in wanted))
    cotangent = np.linspace(0.5, 1.5, np.size(out)).reshape(np.shape(out))
    grads = pullback(jax.numpy.asarray(cotangent, dtype=out.dtype))
    return np.asarray(out), cotangent, dict(zip(wanted, map(np.asarray, grads)))


@pytest.fixture(autouse=True)
def _float64_jax():
    """JAX computes in float64 here, and is left as it was found."""
    try:
        import jax
    except ImportError:
        yield
        return
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def counterpart_cases():
    names = {"torch": ["softmax", "log_softmax", "softmin", "logsumexp", "cross_entropy",
                       "cross_entropy_index", "cross_entropy_smooth",
                       "cross_entropy_index_smooth", "nll", "kl_div_distributions",
                       "cosine_similarity", "cosine_embedding", "triplet_margin",
                       "margin_ranking", "multi_margin", "multilabel_soft_margin", "glu",
                       "layer_norm", "layer_norm_affine", "rms_norm", "rms_norm_affine",
                       "l2_normalize"],
             "jax": ["softmax", "log_softmax", "logsumexp", "cross_entropy",
                     "cross_entropy_index", "cross_entropy_smooth", "kl_div_distributions",
                     "entropy", "cosine_similarity", "glu", "layer_norm"],
             "keras": ["cross_entropy", "categorical_crossentropy", "categorical_hinge", "dice",
                       "tversky"]}
    return [(framework, name) for framework, listed in names.items() for name in listed]


@pytest.mark.parametrize("framework, name", counterpart_cases(),
                         ids=[f"{f}-{n}" for f, n in counterpart_cases()])
def test_values_and_gradients_match_the_frameworks(framework, name):
    pytest.importorskip({"torch": "torch", "jax": "jax", "keras": "keras"}[framework])
    rng = np.random.default_rng(seed(framework, name))
    expression = FORGE.get(name)
    values = inputs(name, rng, 1.0)
    out, cotangent, gradients = framework_values(framework, name, values)
    rtol = KERAS_TOLERANCE.get(name, 1e-10) if framework == "keras" else 1e-10
    np.testing.assert_allclose(expression.eval(**values), out, rtol=rtol, atol=1e-14)
    for variable, theirs in gradients.items():
        derivative = np.asarray(expression.gradient(variable).eval(**values))
        ours = np.tensordot(cotangent, derivative, axes=np.ndim(cotangent)) \
            if np.ndim(cotangent) else cotangent * derivative
        np.testing.assert_allclose(ours, theirs, rtol=max(rtol, 1e-9), atol=1e-12,
                                   err_msg=variable)
