"""minitorch.nn layers against torch.nn: forward/backward, BatchNorm statistics, state_dict both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minitorch
from minitorch import nn, optim
from minitorch.errors import DeviceError, ShapeError, TensorTypeError
from minitorch.ndtensor import tensor

RNG = np.random.default_rng(2)


def torch_state(model: torch.nn.Module) -> dict:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def make_pair(ours: nn.Module, theirs: torch.nn.Module) -> tuple[nn.Module, torch.nn.Module]:
    """Both models in float64 with PyTorch's weights loaded into ours."""
    theirs = theirs.double()
    ours.to(dtype="float64")
    ours.load_state_dict(torch_state(theirs))
    return ours, theirs


def run_both(ours, theirs, x, atol=1e-10):
    """Forward + backward of sum(out * G); outputs, input grads and parameter grads must match."""
    xo = tensor(x, dtype="float64", requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out, ref = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=atol, rtol=1e-9)
    upstream = RNG.standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), atol=atol, rtol=1e-9)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), atol=atol, rtol=1e-9, err_msg=name)


def cnn_pair():
    ours = nn.Sequential(nn.Conv2d(2, 4, 3, stride=1, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 3, 2, stride=2), nn.Tanh(), nn.Flatten(), nn.Linear(3, 5), nn.LeakyReLU(0.1),
                         nn.Dropout(0.0), nn.Linear(5, 2), nn.Sigmoid())
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, stride=1, padding=1), torch.nn.BatchNorm2d(4),
                                 torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 3, 2, stride=2),
                                 torch.nn.Tanh(), torch.nn.Flatten(), torch.nn.Linear(3, 5), torch.nn.LeakyReLU(0.1),
                                 torch.nn.Dropout(0.0), torch.nn.Linear(5, 2), torch.nn.Sigmoid())
    return make_pair(ours, theirs)


def test_cnn_forward_backward_like_torch_in_train_and_eval():
    ours, theirs = cnn_pair()
    x = RNG.standard_normal((3, 2, 4, 4))
    run_both(ours, theirs, x)
    ours.eval()
    theirs.eval()
    for p in ours.parameters():
        p.grad = None
    theirs.zero_grad()
    run_both(ours, theirs, x)


def test_mlp_forward_backward_like_torch():
    ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 1))
    ours, theirs = make_pair(ours, theirs)
    run_both(ours, theirs, RNG.standard_normal((10, 3)))


def test_state_dict_keys_shapes_and_interchange_both_ways():
    ours, theirs = cnn_pair()
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert set(ours_sd) == set(theirs_sd)
    for key in theirs_sd:
        assert tuple(ours_sd[key].shape) == tuple(theirs_sd[key].shape), key
    # ours -> torch: fresh torch model, load our (re-initialised) weights
    minitorch.manual_seed(7)
    fresh = nn.Sequential(*[type(m)(*_ctor_args(m)) for m in ours]).to(dtype="float64")
    fresh_t = cnn_pair()[1]
    fresh_t.load_state_dict({k: torch.tensor(v) for k, v in fresh.state_dict().items()})
    for key, value in fresh_t.state_dict().items():
        np.testing.assert_allclose(value.numpy(), fresh.state_dict()[key])
    # load_state_dict copies into the existing arrays (optimizer state keeps pointing at them)
    weight = ours[0].weight
    before = weight.data
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert ours[0].weight is weight and weight.data is before


def _ctor_args(module):
    if isinstance(module, nn.Conv2d):
        return (module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding)
    if isinstance(module, nn.Linear):
        return (module.in_features, module.out_features)
    if isinstance(module, nn.BatchNorm2d):
        return (module.num_features,)
    if isinstance(module, nn.MaxPool2d):
        return (module.kernel_size,)
    if isinstance(module, nn.LeakyReLU):
        return (module.negative_slope,)
    if isinstance(module, nn.Dropout):
        return (module.p,)
    return ()


def test_load_state_dict_rejects_bad_input_without_changing_anything():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    bad = dict(before)
    bad["0.weight"] = np.zeros((4, 2))
    with pytest.raises(ShapeError, match="0.weight"):
        model.load_state_dict(bad)
    with pytest.raises(KeyError, match="missing"):
        model.load_state_dict({"0.weight": before["0.weight"]})
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_statistics_over_several_steps(momentum):
    ours = nn.BatchNorm1d(3, momentum=momentum).to(dtype="float64")
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    for _ in range(4):
        x = RNG.standard_normal((8, 3)) * 2 + 1
        ours(tensor(x, dtype="float64"))
        theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)
    assert int(ours.num_batches_tracked) == 4
    ours.eval()
    theirs.eval()
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(ours(tensor(x, dtype="float64")).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)
    before = ours.running_mean.copy()
    ours(tensor(x, dtype="float64"))
    np.testing.assert_array_equal(ours.running_mean, before)  # eval never updates the statistics


def test_batchnorm_without_running_stats_and_errors():
    ours = nn.BatchNorm2d(2, track_running_stats=False, affine=False)
    theirs = torch.nn.BatchNorm2d(2, track_running_stats=False, affine=False)
    x = RNG.standard_normal((3, 2, 2, 2))
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(tensor(x, dtype="float64")).data, theirs(torch.tensor(x)).numpy(), rtol=1e-10)
    assert ours.state_dict() == {}
    with pytest.raises(ShapeError, match="channels"):
        nn.BatchNorm1d(3)(tensor(np.zeros((4, 2))))
    with pytest.raises(ShapeError, match="2-d or 3-d"):
        nn.BatchNorm1d(3)(tensor(np.zeros((4, 3, 2, 2))))
    with pytest.raises(ShapeError, match="more than 1 value"):
        nn.BatchNorm1d(3)(tensor(np.zeros((1, 3))))


def test_default_initialisation_matches_pytorchs_bounds():
    minitorch.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.abs(layer.bias.data).max() <= bound
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound
    conv = nn.Conv2d(3, 16, 5)
    conv_bound = 1 / math.sqrt(3 * 25)
    assert np.abs(conv.weight.data).max() <= conv_bound and np.abs(conv.weight.data).max() > 0.9 * conv_bound
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad and layer.weight.is_leaf
    minitorch.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, layer.weight.data)


def test_dropout_module_train_and_eval():
    drop = nn.Dropout(0.5)
    x = tensor(np.ones((100, 100)))
    assert 0.4 < (drop(x).data == 0).mean() < 0.6
    drop.eval()
    assert drop(x) is x


def test_sequential_container():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and isinstance(model[-1], nn.Linear)
    assert len(model[:2]) == 2
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and model(minitorch.ones(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError):
        model[9]
    assert "Linear(in_features=2, out_features=3, bias=True)" in repr(model)


def test_module_to_dtype_and_unknown_device():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64
    with pytest.raises(DeviceError):
        model.to("tpu")
    with pytest.raises(DeviceError):
        nn.Linear(2, 2, device="cuda:x")
    scalar_mlp = nn.MLP(2, [3, 1])
    assert scalar_mlp.to("cpu") is scalar_mlp
    with pytest.raises(DeviceError):
        scalar_mlp.to("tpu")
    with pytest.raises(TensorTypeError, match="scalar Tensors"):
        scalar_mlp.to(dtype="float32")


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_optimizers_train_our_parameters_like_torch(name):
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    ours, theirs = make_pair(ours, theirs)
    kwargs = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    x, y = RNG.standard_normal((16, 3)), RNG.standard_normal((16, 1))
    for _ in range(5):
        opt.zero_grad()
        opt_t.zero_grad()
        loss = nn.functional.mse_loss(ours(tensor(x, dtype="float64")), tensor(y, dtype="float64"))
        loss_t = torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        loss_t.backward()
        opt.step()
        opt_t.step()
        np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-9, atol=1e-12)


def test_loss_modules_work_on_nd_tensors():
    logits, labels = RNG.standard_normal((4, 3)), RNG.integers(0, 3, 4)
    ours = nn.CrossEntropyLoss()(tensor(logits, dtype="float64"), labels)
    theirs = torch.nn.CrossEntropyLoss()(torch.tensor(logits), torch.tensor(labels))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


def test_parameter_basics():
    p = nn.Parameter(tensor([1.0, 2.0]))
    assert p.requires_grad and p._is_parameter and "Parameter containing" in repr(p)
    p._load_array(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(p.data, [3.0, 4.0])
    with pytest.raises(ShapeError):
        p._load_array(np.zeros(3))
    assert not isinstance(p * 2, nn.Parameter)
