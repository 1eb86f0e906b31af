"""The seed's Neuron / Layer / MLP against the equivalent torch.nn.Sequential built from our state_dict.

Also runs on its own: ``python tests/test_nn.py``.
"""

import math
import random
import sys

import numpy as np
import pytest
import torch

from minitorch.engine import Scalar
from minitorch.errors import ShapeError
from minitorch.nn import MLP, Layer, Module, Neuron

TORCH_ACT = {
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "sigmoid": torch.nn.Sigmoid,
    "leaky_relu": torch.nn.LeakyReLU,
    "linear": torch.nn.Identity,
}


def torch_twin(model: MLP) -> torch.nn.Sequential:
    """torch.nn.Sequential(Linear, act, Linear, act, ...) loaded from our state_dict."""
    sizes = model.sizes
    layers = []
    for k in range(len(sizes) - 1):
        act = model.activation if k < len(sizes) - 2 else model.output_activation
        layers += [torch.nn.Linear(sizes[k], sizes[k + 1]), TORCH_ACT[act]()]
    net = torch.nn.Sequential(*layers).double()
    net.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in model.state_dict().items()})
    return net


def test_neuron_draws_weights_then_bias_uniformly_and_reproducibly():
    random.seed(7)
    n = Neuron(3)
    random.seed(7)
    expected = [random.uniform(-1, 1) for _ in range(4)]
    assert [w.data for w in n.weights] + [n.bias.data] == expected
    assert n.parameters() == n.weights + [n.bias]
    assert all(-1 <= p.data <= 1 for p in n.parameters())


def test_neuron_forward_is_tanh_of_affine():
    random.seed(0)
    n = Neuron(2)
    x = [0.3, -1.2]
    expected = math.tanh(sum(w.data * xi for w, xi in zip(n.weights, x)) + n.bias.data)
    assert n(x).data == pytest.approx(expected, rel=1e-15)


def test_layer_returns_single_tensor_or_list():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Scalar)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_mlp_parameters_order_is_each_neuron_weights_then_bias_layer_by_layer():
    model = MLP(3, [4, 4, 1])
    expected = [p for layer in model.layers for n in layer.neurons for p in n.weights + [n.bias]]
    assert model.parameters() == expected
    assert len(model.parameters()) == 4 * 4 + 4 * 5 + 5
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "layers.0.neurons.0.weights.0" and names[3] == "layers.0.neurons.0.bias"


def test_state_dict_keys_and_shapes_follow_torch_sequential():
    model = MLP(3, [4, 2, 1], activation="relu", output_activation="linear")
    sd = model.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert np.shape(sd["0.weight"]) == (4, 3) and np.shape(sd["2.bias"]) == (2,)
    assert sd["0.weight"][1] == [w.data for w in model.layers[0].neurons[1].weights]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu", "linear"])
@pytest.mark.parametrize("output_activation", [None, "linear", "sigmoid"])
def test_mlp_forward_and_backward_match_torch(activation, output_activation):
    random.seed(3)
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation)
    net = torch_twin(model)
    xs = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [1.5, 0.0, -2.5]]
    outs = [model(x) for x in xs]
    loss = sum(((o[0] - 0.5) ** 2 + o[1] * 0.25) for o in outs)
    loss.backward()
    tx = torch.tensor(xs, dtype=torch.float64)
    tout = net(tx)
    tloss = ((tout[:, 0] - 0.5) ** 2 + tout[:, 1] * 0.25).sum()
    tloss.backward()
    for o, t in zip(outs, tout.tolist()):
        assert [v.data for v in o] == pytest.approx(t, rel=1e-12, abs=1e-14)
    assert loss.data == pytest.approx(tloss.item(), rel=1e-12)
    for k, layer in enumerate(model.layers):
        w_grad = net[2 * k].weight.grad.numpy()
        b_grad = net[2 * k].bias.grad.numpy()
        for i, neuron in enumerate(layer.neurons):
            np.testing.assert_allclose([w.grad for w in neuron.weights], w_grad[i], rtol=1e-11, atol=1e-14)
            assert neuron.bias.grad == pytest.approx(b_grad[i], rel=1e-11, abs=1e-14)


def test_load_state_dict_round_trip_and_from_torch():
    a, b = MLP(2, [3, 1]), MLP(2, [3, 1])
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1), torch.nn.Tanh()).double()
    a.load_state_dict(net.state_dict())
    x = [0.7, -0.2]
    assert a(x).data == pytest.approx(net(torch.tensor([x], dtype=torch.float64)).item(), rel=1e-12)


@pytest.mark.parametrize(
    "mutate, error, message",
    [
        (lambda sd: sd.pop("2.bias"), KeyError, "missing keys: 2.bias"),
        (lambda sd: sd.update({"9.weight": [[1.0]]}), KeyError, "unexpected keys: 9.weight"),
        (lambda sd: sd.update({"0.weight": [[1.0, 2.0]]}), ShapeError, "shape"),
        (lambda sd: sd.update({"0.bias": [1.0, float("nan"), 0.0]}), ValueError, "NaN"),
        (lambda sd: sd.update({"0.bias": [1.0, "x", 0.0]}), ValueError, "non-numeric"),
    ],
)
def test_bad_state_dict_is_rejected_and_model_untouched(mutate, error, message):
    model = MLP(2, [3, 1])
    before = model.state_dict()
    sd = model.state_dict()
    sd["2.weight"] = [[9.0, 9.0, 9.0]]  # a valid change that must not be applied
    mutate(sd)
    with pytest.raises(error, match=message):
        model.load_state_dict(sd)
    assert model.state_dict() == before


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="activation"):
        MLP(2, [3, 1], activation="swish")
    with pytest.raises(ValueError, match="layer size"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP(2, [])
    with pytest.raises(ShapeError, match="expects 2 inputs"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])


def test_module_zero_grad_and_named_parameters():
    model = MLP(2, [2, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    assert isinstance(model, Module)
    assert len(dict(model.named_parameters())) == len(model.parameters())


def test_scalar_models_register_through_module():
    model = MLP(2, [3, 1])
    for cls in (Neuron, Layer, MLP):  # one implementation: Module's
        assert not {"parameters", "named_parameters", "zero_grad"} & set(vars(cls))
    kinds = [type(m).__name__ for m in model.modules()]
    assert kinds.count("Layer") == 2 and kinds.count("Neuron") == 4
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    named = dict(model.named_parameters())
    assert list(named.values()) == model.parameters()
    neuron = model.layers[0].neurons[2]
    assert named["layers.0.neurons.2.weights.1"] is neuron.weights[1]
    assert named["layers.0.neurons.2.bias"] is neuron.bias
    # a Neuron's own state_dict uses the same names as named_parameters
    assert neuron.state_dict() == {"weights.0": neuron.weights[0].data, "weights.1": neuron.weights[1].data,
                                   "bias": neuron.bias.data}
    # the MLP's state_dict groups the same numbers under torch Sequential keys
    sd = model.state_dict()
    for name, p in named.items():
        parts = name.split(".")
        k, i = int(parts[1]), int(parts[3])
        if parts[4] == "bias":
            assert sd[f"{2 * k}.bias"][i] == p.data
        else:
            assert sd[f"{2 * k}.weight"][i][int(parts[5])] == p.data


def test_reassigned_bias_stays_a_parameter():
    n = Neuron(2)
    n.bias = Scalar(0.25)
    assert n.parameters()[-1] is n.bias and n.parameters() == n.weights + [n.bias]
    assert n([0.0, 0.0]).data == pytest.approx(math.tanh(0.25))


def test_scalar_model_moves_only_to_the_cpu():
    from minitorch.errors import TensorTypeError

    model = MLP(2, [2, 1])
    assert model.to("cpu") is model and model.cpu() is model
    with pytest.raises(TensorTypeError, match="scalar Tensors"):
        model.double()


def test_module_moves_go_through_one_apply_and_keep_parameter_identity():
    import minitorch

    lin = minitorch.nn.Linear(2, 2)
    weight = lin.weight
    lin(minitorch.tensor([[1.0, 2.0]])).sum().backward()
    seen = []
    lin._apply(lambda a: seen.append(a.shape) or a)
    assert seen == [(2, 2), (2, 2), (2,), (2,)]  # weight, its grad, bias, its grad
    assert lin.double() is lin and lin.weight is weight
    assert weight.dtype == np.float64 and weight.grad.dtype == np.float64


def test_same_seed_same_model():
    random.seed(42)
    a = MLP(2, [4, 1]).state_dict()
    random.seed(42)
    b = MLP(2, [4, 1]).state_dict()
    assert a == b


def seed_training_losses(model, steps=100, lr=0.01):
    xs = [[0.5, 0.5, 0.5], [0.5, 0.5, 1.0], [1.0, 0.5, 0.5], [1.0, 1.0, 1.0]]
    ys = [-1.0, 1.0, -1.0, 1.0]
    losses = []
    for _ in range(steps):
        for p in model.parameters():
            p.grad = 0
        preds = [model(x) for x in xs]
        loss = sum((p - y) ** 2 for p, y in zip(preds, ys))
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


def test_seed_training_loop_lowers_the_loss_like_torch():
    random.seed(1)
    model = MLP(3, [4, 4, 1])
    net = torch_twin(model)
    losses = seed_training_losses(model)
    assert losses[-1] < losses[0] * 0.8
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    tx = torch.tensor([[0.5, 0.5, 0.5], [0.5, 0.5, 1.0], [1.0, 0.5, 0.5], [1.0, 1.0, 1.0]], dtype=torch.float64)
    ty = torch.tensor([-1.0, 1.0, -1.0, 1.0], dtype=torch.float64)
    tlosses = []
    for _ in range(100):
        opt.zero_grad()
        loss = ((net(tx)[:, 0] - ty) ** 2).sum()
        loss.backward()
        opt.step()
        tlosses.append(loss.item())
    np.testing.assert_allclose(losses, tlosses, rtol=1e-10)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
