"""The one architecture object: shapes, parameter counts, seeded weights and the three builders
(scalar MLP, n-d Sequential, torch Sequential) agree with PyTorch and with each other."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

import minitorch
from minitorch.architecture import ArchitectureError, LayerSpec, ModelSpec
from minitorch.errors import MinitorchError, ShapeError
from minitorch.nn import MLP


def _conv_spec(pool: str = "maxpool2d") -> ModelSpec:
    return ModelSpec((2, 9, 8), (
        LayerSpec("conv2d", out_channels=4, kernel_size=3, padding=1),
        LayerSpec("batchnorm2d"),
        LayerSpec("activation", name="relu"),
        LayerSpec("maxpool2d", kernel_size=2),
        LayerSpec("conv2d", out_channels=3, kernel_size=(2, 3), stride=2),
        LayerSpec(pool, kernel_size=1),
        LayerSpec("flatten"),
        LayerSpec("dropout", p=0.25),
        LayerSpec("linear", out_features=6),
        LayerSpec("batchnorm1d"),
        LayerSpec("activation", name="tanh"),
        LayerSpec("linear", out_features=3),
    ))


def _torch_state(state):
    return {k: torch.from_numpy(np.array(minitorch.backend.as_numpy(v))) for k, v in state.items()}


# --- MLPs -----------------------------------------------------------------------------------------------
def test_mlp_layers_shapes_and_parameters_match_torch():
    spec = ModelSpec.mlp(3, [5, 4], 2, activation="relu", output_activation="sigmoid")
    assert [layer.kind for layer in spec.layers] == ["linear", "activation"] * 3
    assert spec.output_shapes() == [(5,), (5,), (4,), (4,), (2,), (2,)]
    net = spec.build_torch()
    assert spec.num_parameters() == sum(p.numel() for p in net.parameters()) == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Sigmoid"]
    assert spec.is_mlp and spec.sizes == [3, 5, 4, 2]
    assert (spec.activation, spec.output_activation) == ("relu", "sigmoid")


def test_a_hidden_linear_activation_keeps_its_index():
    spec = ModelSpec.mlp(2, [3], 1, activation="linear")
    assert list(spec.state_dict_shapes()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [type(m).__name__ for m in spec.build_torch()] == ["Linear", "Identity", "Linear"]


def test_seeded_weights_are_the_seed_mlps_and_leave_random_alone():
    spec = ModelSpec.mlp(2, [4, 3], 1, activation="tanh", output_activation="tanh")
    random.seed(7)
    reference = MLP(2, [4, 3, 1], "tanh", "tanh").state_dict()
    random.seed(123)
    before = random.random()
    random.seed(123)
    model = spec.build_scalar(seed=7)
    assert random.random() == before  # the global generator was not advanced
    assert model.state_dict() == reference
    for key, value in spec.initial_state_dict(7).items():
        np.testing.assert_array_equal(value, np.array(reference[key]))


def test_the_three_builders_compute_the_same_function():
    spec = ModelSpec.mlp(3, [6, 5], 2, activation="leaky_relu", output_activation="linear")
    x = np.random.default_rng(0).normal(size=(7, 3))
    scalar = spec.build_scalar(seed=2)
    tensor_model = spec.build_tensor(seed=2)
    torch_model = spec.build_torch()
    assert torch_model.load_state_dict(_torch_state(tensor_model.state_dict())).missing_keys == []
    expected = torch_model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(tensor_model(minitorch.tensor(x)).numpy(), expected, rtol=0, atol=1e-12)
    got = np.array([[v.data for v in scalar(list(row))] for row in x])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_from_state_dict_reads_a_sequential_of_linear():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    spec = ModelSpec.from_state_dict(net.state_dict(), "tanh", "linear")
    assert spec == ModelSpec.mlp(3, [4], 2, "tanh", "linear")
    model = spec.build_tensor()
    model.load_state_dict(net.state_dict())


@pytest.mark.parametrize("state, error, message", [
    ({}, ArchitectureError, "empty"),
    ({"0.weight": np.ones((2, 3)), "0.bias": np.ones(2), "1.weight": np.ones((1, 2)), "1.bias": np.ones(1)},
     ArchitectureError, r"indices \[0, 1\]"),
    ({"0.weight": np.ones((2, 3)), "0.bias": np.ones(2), "2.weight": np.ones((1, 5)), "2.bias": np.ones(1)},
     ShapeError, "layer 2 takes 5 inputs but the previous layer gives 2"),
    ({"0.weight": np.ones((2, 3))}, ArchitectureError, "needs both"),
    ({"0.weight": np.ones(3), "0.bias": np.ones(3)}, ShapeError, "do not form a Linear layer"),
    ({"fc.weight": np.ones((2, 3))}, ArchitectureError, "not a Linear layer's"),
])
def test_from_state_dict_names_what_breaks_the_chain(state, error, message):
    with pytest.raises(error, match=message):
        ModelSpec.from_state_dict(state)


# --- conv nets ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pool", ["maxpool2d", "avgpool2d"])
def test_conv_spec_shapes_and_parameters_match_torch(pool):
    spec = _conv_spec(pool)
    net = spec.build_torch()
    x = torch.zeros(1, 2, 9, 8, dtype=torch.float64)
    shapes = []
    for module in net:
        x = module(x) if not isinstance(module, torch.nn.BatchNorm1d) else module.eval()(x)
        shapes.append(tuple(x.shape[1:]))
    assert spec.output_shapes() == shapes
    assert spec.num_parameters() == sum(p.numel() for p in net.parameters())
    assert dict(spec.state_dict_shapes()) == {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert not spec.is_mlp


@pytest.mark.parametrize("pool", ["maxpool2d", "avgpool2d"])
def test_conv_builders_agree_and_keys_match_torch(pool):
    spec = _conv_spec(pool)
    ours = spec.build_tensor(seed=5)
    theirs = spec.build_torch()
    result = theirs.load_state_dict(_torch_state(ours.state_dict()))
    assert not result.missing_keys and not result.unexpected_keys
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).normal(size=(4, 2, 9, 8))
    np.testing.assert_allclose(ours(minitorch.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=0, atol=1e-12)


def test_seeded_conv_weights_are_reproducible_and_use_torchs_bounds():
    spec = _conv_spec()
    a, b = spec.initial_state_dict(3), spec.initial_state_dict(3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], spec.initial_state_dict(4)["0.weight"])
    bound = 1 / np.sqrt(2 * 3 * 3)
    assert np.abs(a["0.weight"]).max() <= bound and np.abs(a["0.weight"]).max() > bound / 2
    np.testing.assert_array_equal(a["1.running_var"], np.ones(4))
    with pytest.raises(ArchitectureError, match="not an MLP"):
        spec.build_scalar()


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "softplus", "leaky_relu", "sigmoid"])
def test_every_activation_in_the_table_builds_on_both_n_d_and_torch(name):
    spec = ModelSpec((1, 5, 5), (LayerSpec("conv2d", out_channels=2, kernel_size=2),
                                 LayerSpec("activation", name=name), LayerSpec("flatten"),
                                 LayerSpec("linear", out_features=2)))
    ours, theirs = spec.build_tensor(seed=0), spec.build_torch()
    theirs.load_state_dict(_torch_state(ours.state_dict()))
    x = np.random.default_rng(2).normal(size=(3, 1, 5, 5))
    np.testing.assert_allclose(ours(minitorch.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=0, atol=1e-12)


def test_layer_only_activations_are_not_scalar_mlps():
    spec = ModelSpec.mlp(2, [3], 1, activation="gelu")
    assert not spec.is_mlp
    with pytest.raises(ArchitectureError, match="not an MLP"):
        spec.build_scalar()
    assert spec.build_torch()[1].__class__.__name__ == "GELU"


# --- errors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("input_shape, layers, message", [
    ((1, 4, 4), [LayerSpec("conv2d", out_channels=2, kernel_size=3), LayerSpec("activation", name="relu"),
                 LayerSpec("conv2d", out_channels=2, kernel_size=5)],
     r"^Layer 3 \(Conv2d 5x5\): kernel 5 is larger than the 2x2 input$"),
    ((1, 4, 4), [LayerSpec("conv2d", out_channels=2, kernel_size=7, padding=1)], r"\(padded to 6x6\)"),
    ((1, 4, 4), [LayerSpec("linear", out_features=3)], r"^Layer 1 \(Linear 3\): needs a flat input.*Flatten"),
    ((5,), [LayerSpec("conv2d", out_channels=2, kernel_size=1)], r"^Layer 1 \(Conv2d 1x1\): needs a \(channels"),
    ((5,), [LayerSpec("maxpool2d", kernel_size=2)], "Layer 1 .MaxPool2d 2x2."),
    ((5,), [LayerSpec("batchnorm2d")], "Layer 1 .BatchNorm2d."),
    ((1, 3, 3), [LayerSpec("maxpool2d", kernel_size=(1, 4))], "kernel 1x4 is larger than the 3x3 input"),
])
def test_output_shapes_names_the_layer_that_does_not_fit(input_shape, layers, message):
    spec = ModelSpec(input_shape, tuple(layers))
    with pytest.raises(ArchitectureError, match=message):
        spec.output_shapes()
    with pytest.raises(ArchitectureError):
        spec.build_tensor()


@pytest.mark.parametrize("kind, params, message", [
    ("dense", {}, "unknown layer kind 'dense'"),
    ("linear", {}, "missing out_features"),
    ("linear", {"out_features": 0}, "out_features must be an integer >= 1"),
    ("linear", {"out_features": True}, "out_features must be an integer"),
    ("linear", {"out_features": 3, "units": 2}, "unknown parameter"),
    ("conv2d", {"out_channels": 2, "kernel_size": (3, 3, 3)}, "pair"),
    ("conv2d", {"out_channels": 2, "kernel_size": 3, "padding": -1}, "padding must be an integer >= 0"),
    ("dropout", {"p": 1.5}, "probability"),
    ("activation", {"name": "swish"}, "'swish' is not one of tanh"),
])
def test_bad_layers_are_refused(kind, params, message):
    with pytest.raises(ArchitectureError, match=message) as info:
        LayerSpec(kind, **params)
    assert isinstance(info.value, (MinitorchError, ValueError))


def test_specs_are_frozen_and_validated():
    layer = LayerSpec("linear", out_features=2)
    with pytest.raises(AttributeError):
        layer.out_features = 3
    with pytest.raises(ArchitectureError, match="input_shape"):
        ModelSpec((0,), (layer,))
    with pytest.raises(ArchitectureError, match="non-empty"):
        ModelSpec((2,), ())
    with pytest.raises(ArchitectureError, match="not a LayerSpec"):
        ModelSpec((2,), ({"kind": "linear"},))


# --- files ------------------------------------------------------------------------------------------------------
def test_to_dict_round_trips_through_json():
    for spec in (_conv_spec(), ModelSpec.mlp(2, [8, 8], 1)):
        again = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
        assert again == spec and hash(again) == hash(spec)
    assert LayerSpec("conv2d", out_channels=8, kernel_size=5).to_dict() == {
        "kind": "conv2d", "out_channels": 8, "kernel_size": 5, "stride": 1, "padding": 0}


@pytest.mark.parametrize("data, message", [
    ([], "must be an object"),
    ({"input_shape": [2]}, "must be an object"),
    ({"input_shape": [2], "layers": [{"kind": "linear", "out_features": "8"}]}, "Layer 1: linear layer"),
    ({"input_shape": [2], "layers": [7]}, "Layer 1: a layer must be an object"),
    ({"input_shape": "2", "layers": []}, "must be lists"),
])
def test_from_dict_refuses_bad_documents(data, message):
    with pytest.raises(ArchitectureError, match=message):
        ModelSpec.from_dict(data)


def test_check_state_dict_names_missing_and_misshapen_keys():
    spec = ModelSpec.mlp(2, [3], 1)
    good = spec.initial_state_dict(0)
    spec.check_state_dict(good)
    with pytest.raises(ArchitectureError, match="missing keys: 2.bias"):
        spec.check_state_dict({k: v for k, v in good.items() if k != "2.bias"})
    with pytest.raises(ShapeError, match=r"'0.weight' has shape \(3, 3\)"):
        spec.check_state_dict({**good, "0.weight": np.ones((3, 3))})
