"""Saving an Expression as a YAML definition and loading it back, and the way
back from PyTorch: the format users share is the format neurogebra saves."""

import contextlib

import numpy as np
import pytest

import neurogebra
from neurogebra import DefinitionError, EvaluationError, Expression, MathForge, Trainer
from neurogebra.catalog import check_examples, read_definitions

FORGE = MathForge(plugins="builtin")
POINTS = np.array([-3.7, -1.0, -0.2, 0.0, 0.3, 1.0, 2.5, 40.0])


@pytest.mark.filterwarnings("ignore:.*non-finite values for finite inputs:RuntimeWarning")
@pytest.mark.parametrize("name", FORGE.list_all())
def test_every_builtin_round_trips_with_identical_values_and_derivatives(name, tmp_path):
    original = FORGE.get(name, trainable=True)
    original.params.update({p: v * 1.1 + 1e-17 for p, v in original.params.items()})
    loaded = neurogebra.load(original.save(tmp_path / f"{name}.yaml"))
    assert loaded == original   # name, formula, variables, params and trainable params
    assert loaded.metadata["description"] == original.metadata["description"]
    inputs = {v: POINTS + 0.5 * i for i, v in enumerate(original.variables)}
    if name in ("binary_crossentropy",):
        inputs["y_pred"] = np.linspace(0.01, 0.99, len(POINTS))
    if original.shapes:   # vectors and matrices: values fit for each function
        from tests.test_vector_catalog import inputs as vector_inputs
        inputs = {k: v for k, v in vector_inputs(name, np.random.default_rng(0), 1.0).items()
                  if k in original.variables}
    # outside a loss's domain both sides give nan (equal_nan)
    assert np.array_equal(loaded.eval(**inputs), original.eval(**inputs), equal_nan=True)
    for variable in original.variables:
        assert np.array_equal(loaded.gradient(variable).eval(**inputs),
                              original.gradient(variable).eval(**inputs), equal_nan=True)


def test_a_trained_model_saves_its_params_and_the_file_is_a_valid_definition(tmp_path):
    model = Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m"],
                       metadata={"description": "A line.", "category": "model",
                                 "param_descriptions": {"m": "slope"},
                                 "examples": [{"x": 2.0, "value": 0.0}]})
    x = np.linspace(-1, 1, 20)
    Trainer(model, "mse", "adam", learning_rate=0.1, forge=FORGE).fit(x, 3 * x, epochs=50,
                                                                       verbose=False)
    text = model.to_yaml()
    definitions, errors = read_definitions(text, "line.yaml")
    assert errors == [] and len(definitions) == 1
    [definition] = definitions
    assert definition.params["m"].default == model.params["m"]
    assert definition.params["m"].description == "slope"
    assert definition.trainable == ("m",) and definition.variables == ("x",)
    # the example is recomputed with the trained params, so the file validates
    assert definition.examples[0]["value"] == model.eval(x=2.0)
    assert check_examples(definition, neurogebra.load(model.save(tmp_path / "line.yaml"))) == []
    assert "formula: m*x + b\n" in text and text.startswith("# line, saved by neurogebra 3.")
    # the catalog reads the same file
    forge = MathForge(plugins="none")
    assert forge.load(tmp_path / "line.yaml") == ["line"]
    assert forge.get("line") == model


def test_saving_under_another_name_and_loading_one_of_several(tmp_path):
    composed = FORGE.get("tanh").compose(Expression("lin", "w*x + c", params={"w": 2.0, "c": 0.5}))
    with pytest.raises(DefinitionError, match=r"'tanh\(lin\)' is not a catalog name.*name=\.\.\."):
        composed.to_yaml()
    text = composed.to_yaml(name="tanh_layer")
    assert "formula: tanh(c + w*x)" in text
    path = tmp_path / "two.yaml"
    second = FORGE.get("relu").to_yaml().split("functions:\n", 1)[1]
    path.write_text(text + second)
    with pytest.raises(DefinitionError, match=r"defines 2 functions \(tanh_layer, relu\); "
                                              r"choose one with name="):
        neurogebra.load(path)
    assert neurogebra.load(path, name="tanh_layer").eval(x=0.25) == pytest.approx(np.tanh(1.0))
    with pytest.raises(DefinitionError, match="defines no function 'gelu'"):
        neurogebra.load(path, name="gelu")


def test_floats_in_formulas_are_saved_exactly():
    f = Expression("f", "0.1*x + 0.123456789012345678*x**2 + 1e-300")
    again = Expression("f", f.to_yaml().split("formula: ")[1].split("\n")[0])
    assert again.symbolic_expr == f.symbolic_expr


def test_a_torch_module_brings_its_trained_params_back():
    torch = pytest.importorskip("torch", reason="needs torch")
    model = Expression("line", "m*x + b", params={"m": 0.0, "b": 0.0}, trainable_params=["m", "b"])
    module = model.to_torch_module(dtype="float32")
    assert {p.dtype for p in module.parameters()} == {torch.float32}
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    x = torch.linspace(-1, 1, 50)
    for _ in range(300):
        optimizer.zero_grad()
        loss = ((module(x) - (3 * x + 2)) ** 2).mean()
        loss.backward()
        optimizer.step()
    trained = module.to_expression()
    assert trained.params == {"m": module.m.item(), "b": module.b.item()}
    assert trained.params["m"] == pytest.approx(3, abs=1e-3)
    assert model.params == {"m": 0.0, "b": 0.0}      # the original is untouched
    model.params.update(trained.params)              # ... until asked
    assert model.eval(x=1.0) == pytest.approx(5, abs=1e-3)
    assert model.to_torch_module().m.dtype == torch.float64
    assert model.to_torch_module(torch.float32).m.dtype == torch.float32
    with pytest.raises(EvaluationError, match="dtype must be float32 or float64, got 'int8'"):
        model.to_torch_module("int8")


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_an_export_constant_for_the_bound_params_keeps_the_input_shape(backend):
    library = pytest.importorskip({"numpy": "numpy", "jax": "jax.numpy", "torch": "torch"}[backend],
                                  reason=f"needs {backend}")
    constant = Expression("c", "a + 0*x", params={"a": 2.0}, variables=["x", "y"])
    float32 = pytest.warns(UserWarning, match="float32") if backend == "jax" else \
        contextlib.nullcontext()
    with float32:   # JAX without x64: the export says so
        function = constant.to_function(backend)
    inputs = library.ones((2, 3)) if backend != "torch" else library.ones(2, 3, dtype=library.float64)
    result = function(inputs, y=inputs[0])
    assert tuple(result.shape) == (2, 3)
    assert np.asarray(result).tolist() == [[2.0] * 3] * 2
    with pytest.warns(UserWarning) if backend == "jax" else contextlib.nullcontext():
        unbound = constant.to_function(backend, bind_params=False)
    assert tuple(unbound(inputs, inputs, 5.0).shape) == (2, 3)
