"""The CuPy backend: every test runs the same computation on "cuda" and on "cpu" and compares.

Without CuPy or a CUDA device the GPU tests skip with the reason; ``benchmarks/gpu_check.sh``
runs them (and the GPU benchmark) on a CUDA machine. So that the device-dispatch logic of the
array-module seam is exercised everywhere, the last test reruns the GPU tests in a subprocess
against a numpy-backed stand-in for CuPy (a distinct array class, so every "is this on the
GPU?" branch is taken); that proves the seam, not CuPy itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest


def _install_numpy_backed_fake_cupy() -> None:
    """Put a minimal CuPy look-alike in sys.modules: arrays are an ndarray subclass "on the device"."""

    class FakeDeviceArray(np.ndarray):
        __cuda_array_interface__ = property(lambda self: {})
        device = property(lambda self: types.SimpleNamespace(id=0))

        def __array_wrap__(self, arr, context=None, return_scalar=False):
            return np.asarray(arr).view(FakeDeviceArray) if isinstance(arr, np.ndarray) else arr

    def wrap(x):
        if isinstance(x, (np.ndarray, np.generic)) and not isinstance(x, FakeDeviceArray):
            return np.asarray(x).view(FakeDeviceArray)
        if isinstance(x, (list, tuple)) and x and all(isinstance(i, np.ndarray) for i in x):
            return type(x)(wrap(i) for i in x)
        return x

    def unwrap(x):
        if isinstance(x, FakeDeviceArray):
            return np.asarray(x)
        return type(x)(unwrap(i) for i in x) if isinstance(x, (list, tuple)) else x

    class DeviceUfunc:
        """A numpy ufunc that takes and gives device arrays, with ``at`` for in-place scatter."""

        def __init__(self, ufunc):
            self.ufunc = ufunc

        def __call__(self, *args, **kwargs):
            return wrap(self.ufunc(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()}))

        def at(self, a, index, values):
            assert isinstance(a, FakeDeviceArray), "ufunc.at must scatter into a device array"
            self.ufunc.at(a.view(np.ndarray), unwrap(index), unwrap(values))

    def numpy_function(name):
        function = getattr(np, name)
        if isinstance(function, np.ufunc):
            return DeviceUfunc(function)
        if not callable(function):
            return function
        return lambda *args, **kwargs: wrap(function(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()}))

    cupy = types.ModuleType("cupy")
    cupy.ndarray = FakeDeviceArray
    cupy.__getattr__ = numpy_function
    cupy.asarray = lambda a, dtype=None: np.array(np.asarray(a), dtype=dtype).view(FakeDeviceArray)
    cupy.asnumpy = lambda a: np.array(a).view(np.ndarray)
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
                                      Device=lambda index=0: contextlib.nullcontext())
    def default_rng(seed=None):
        rng = np.random.default_rng(seed)
        return types.SimpleNamespace(random=lambda shape: wrap(rng.random(shape)))

    cupy.random = types.SimpleNamespace(default_rng=default_rng)
    sys.modules["cupy"] = cupy


if os.environ.get("MINITORCH_TEST_FAKE_CUPY") == "1":
    _install_numpy_backed_fake_cupy()

import minitorch  # noqa: E402
import minitorch.nn.functional as F  # noqa: E402
from minitorch import backend, nn, optim  # noqa: E402
from minitorch.errors import DeviceError  # noqa: E402
from minitorch.ndtensor import tensor  # noqa: E402

needs_cuda = pytest.mark.skipif(
    not backend.cuda_available(), reason=backend.cuda_unavailable_reason() or "CUDA present"
)

RNG = np.random.default_rng(5)


def both(*arrays):
    """The arrays as float64 leaves requiring grad, once on the CPU and once on the GPU."""
    cpu = [tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    gpu = [tensor(a, dtype="float64", requires_grad=True, device="cuda") for a in arrays]
    return cpu, gpu


def assert_same(fn, *arrays):
    cpu, gpu = both(*arrays)
    out_cpu, out_gpu = fn(*cpu), fn(*gpu)
    assert out_gpu.device == "cuda"
    np.testing.assert_allclose(out_gpu.cpu().data, out_cpu.data, rtol=1e-9, atol=1e-12)
    upstream = RNG.standard_normal(out_cpu.shape)
    out_cpu.backward(upstream)
    out_gpu.backward(tensor(upstream, dtype="float64", device="cuda"))
    for c, g in zip(cpu, gpu):
        assert backend.device_of(g.grad) == "cuda"
        np.testing.assert_allclose(backend.to_numpy(g.grad), c.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.gpu
@needs_cuda
def test_round_trip_and_device_property():
    x = tensor([[1.0, 2.0]], device="cuda")
    assert x.device == "cuda" and x.is_cuda
    y = x.cpu()
    assert y.device == "cpu" and isinstance(y.data, np.ndarray)
    np.testing.assert_array_equal(y.data, [[1.0, 2.0]])
    assert tensor([1.0]).to("cuda").device == "cuda"
    with pytest.raises(DeviceError, match="cpu"):
        x.numpy()


@pytest.mark.gpu
@needs_cuda
def test_elementwise_matmul_reductions_on_gpu():
    assert_same(lambda a, b: ((a @ b.T).tanh() + b.sum(dim=1) * 2).softmax(1).log().mean(), RNG.standard_normal((4, 3)),
                RNG.standard_normal((5, 3)))
    assert_same(lambda a: a.max(dim=1).values.sum() + a.amax() + a[[0, 0, 2]].sum() + a[a > 0].sum(),
                RNG.standard_normal((3, 4)))
    assert_same(lambda a, b: minitorch.cat([a, b]).exp().clamp(0.5, 2.0).sqrt(), RNG.standard_normal((2, 3)),
                RNG.standard_normal((1, 3)))


@pytest.mark.gpu
@needs_cuda
def test_everyday_ops_on_gpu():
    """The elementwise, reduction, sorting, indexing and shape ops run on the GPU and agree with the CPU."""
    index = RNG.integers(0, 4, (3, 5))
    assert_same(lambda a, b: (a.sin() * b.cos() + a.maximum(b) - a.minimum(b) + a.abs().sqrt() + (a * a + 1).rsqrt()
                              + a.floor() + a.ceil() + a.round() + a.sign()).sum(1),
                RNG.standard_normal((3, 4)), RNG.standard_normal(4))
    assert_same(lambda a: a.std(1) + a.var(0, correction=0).sum() + a.prod(1) + a.logsumexp(1) + a.cumsum(1)[:, -1]
                + a.masked_fill(a > 0.5, 0.0).sum(1) + minitorch.where(a > 0, a, 0.25).sum(1),
                RNG.standard_normal((3, 4)))
    assert_same(lambda a: a.sort(dim=1, descending=True).values[:, :2] * a.topk(2, dim=1).values
                + a.gather(1, tensor(index[:, :2], device=a.device)),
                RNG.permutation(12).reshape(3, 4) / 5.0)
    assert_same(lambda a, b: a.scatter_add(1, tensor(index, device=a.device), b).tril() + a.scatter(
                1, tensor(index[:, :1], device=a.device), 2.0).triu(1), RNG.standard_normal((3, 4)),
                RNG.standard_normal((3, 5)))
    assert_same(lambda a, b: minitorch.ndtensor.einsum("bij,bjk->bik", a, b).flip(0).repeat(1, 2, 1)
                + a.mT.contiguous().view(2, 6).sum() + sum(p.sum() for p in a.split(1, dim=1))
                + sum(p.sum() for p in a.chunk(2, dim=2)),
                RNG.standard_normal((2, 3, 2)), RNG.standard_normal((2, 2, 4)))
    a = tensor(RNG.standard_normal((3, 4)), device="cuda")
    assert (a > 0).any().device == "cuda" and (a > 0).all(dim=1).device == "cuda" and a.argmax(1).device == "cuda"
    assert a.isclose(a).all().item() and a.allclose(a * (1 + 1e-9))
    a[a > 0] = 0.0
    assert a.max().item() <= 0 and a.device == "cuda"
    from minitorch import ndtensor

    for made in (ndtensor.eye(3, device="cuda"), ndtensor.linspace(0, 1, 5, device="cuda"),
                 ndtensor.full_like(a, 2.0), ndtensor.randint(0, 5, (4,), device="cuda"),
                 ndtensor.empty(2, device="cuda")):
        assert made.device == "cuda"


@pytest.mark.gpu
@needs_cuda
def test_fused_layers_and_losses_on_gpu():
    assert_same(lambda x, w, b: F.max_pool2d(F.conv2d(x, w, b, stride=1, padding=1).relu(), 2),
                RNG.standard_normal((2, 3, 6, 6)), RNG.standard_normal((4, 3, 3, 3)), RNG.standard_normal(4))
    labels = RNG.integers(0, 3, 5)
    assert_same(lambda a: F.cross_entropy(a, tensor(labels, device=a.device)), RNG.standard_normal((5, 3)))
    assert_same(lambda a, b: F.mse_loss(a, b) + F.binary_cross_entropy_with_logits(a, b.sigmoid()),
                RNG.standard_normal((4, 2)), RNG.standard_normal((4, 2)))
    assert_same(lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True), RNG.standard_normal((6, 3)),
                RNG.standard_normal(3), RNG.standard_normal(3))


@pytest.mark.gpu
@needs_cuda
def test_module_to_cuda_trains_like_cpu():
    minitorch.manual_seed(0)
    model_cpu = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                              nn.Linear(4 * 5 * 5, 3)).double()
    model_gpu = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                              nn.Linear(4 * 5 * 5, 3)).double()
    model_gpu.load_state_dict(model_cpu.state_dict())
    model_gpu.to("cuda")
    assert all(p.device == "cuda" for p in model_gpu.parameters())
    opt_cpu, opt_gpu = optim.Adam(model_cpu.parameters(), lr=0.01), optim.Adam(model_gpu.parameters(), lr=0.01)
    x, y = RNG.standard_normal((8, 1, 5, 5)), RNG.integers(0, 3, 8)
    for _ in range(3):
        for model, opt, device in ((model_cpu, opt_cpu, "cpu"), (model_gpu, opt_gpu, "cuda")):
            opt.zero_grad()
            loss = F.cross_entropy(model(tensor(x, dtype="float64", device=device)), tensor(y, device=device))
            loss.backward()
            opt.step()
    for key, value in model_cpu.state_dict().items():
        np.testing.assert_allclose(backend.to_numpy(model_gpu.state_dict()[key]), value, rtol=1e-8, atol=1e-10)
    model_gpu.cpu()
    assert all(p.device == "cpu" for p in model_gpu.parameters())


@pytest.mark.gpu
@needs_cuda
def test_manual_seed_makes_gpu_dropout_reproducible():
    def mask(seed):
        minitorch.manual_seed(seed)
        x = tensor(np.ones((64, 64)), device="cuda")
        first = F.dropout(x, 0.5, training=True)
        second = F.dropout(x, 0.5, training=True)
        return backend.to_numpy(first.data), backend.to_numpy(second.data)

    a1, a2 = mask(3)
    b1, b2 = mask(3)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2) and not np.array_equal(a1, mask(4)[0])
    assert set(np.unique(a1)) == {0.0, 2.0} and 0.4 < (a1 == 0).mean() < 0.6


@pytest.mark.gpu
@needs_cuda
def test_mixing_devices_is_a_device_error():
    with pytest.raises(DeviceError, match="different devices"):
        tensor([1.0]) + tensor([1.0], device="cuda")


@pytest.mark.gpu
@needs_cuda
def test_trainer_tensor_engine_on_cuda_matches_cpu():
    from minitorch.training import TrainConfig, Trainer

    common = dict(dataset="moons", n_samples=60, hidden_layers=[8], engine="tensor", dtype="float64", seed=1)
    cpu, gpu = Trainer(TrainConfig(**common)), Trainer(TrainConfig(device="cuda", **common))
    for _ in range(5):
        assert abs(cpu.step()["loss"] - gpu.step()["loss"]) < 1e-9


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("preset", ["tiny LeNet", "conv + batch norm"])
def test_the_image_playgrounds_conv_net_trains_on_cuda_like_on_the_cpu(preset):
    """The Images tab's device menu: the same conv net (Conv2d, pooling, BatchNorm2d) on "cuda"
    takes the same steps as on the CPU, and its weights and buffers come back as host arrays."""
    from minitorch.images import load_digits
    from minitorch.training.image_trainer import ImageTrainConfig, ImageTrainer, preset_layers

    digits = load_digits()
    # Dropout draws its masks from the device's own generator (as in PyTorch), so it is left out here.
    layers = [layer for layer in preset_layers(preset, 10) if layer["kind"] != "dropout"]
    common = dict(dtype="float64", eval_every=2, batch_size=16, seed=3, layers=layers)
    cpu = ImageTrainer(ImageTrainConfig(**common), data=digits)
    gpu = ImageTrainer(ImageTrainConfig(device="cuda", **common), data=digits)
    for _ in range(4):
        on_cpu, on_gpu = cpu.step(), gpu.step()
        assert abs(on_cpu["train_loss"] - on_gpu["train_loss"]) < 1e-9 and on_cpu["train_acc"] == on_gpu["train_acc"]
    assert abs(cpu.evaluate()["test_acc"] - gpu.evaluate()["test_acc"]) < 1e-12
    gpu_state = gpu.state_dict()
    for key, value in cpu.state_dict().items():
        assert type(gpu_state[key]) is np.ndarray, key  # host arrays, as the files and the views need
        np.testing.assert_allclose(gpu_state[key], value, atol=1e-9, err_msg=key)


@pytest.mark.gpu
@needs_cuda
def test_cli_trains_on_cuda_and_exports_host_weights(tmp_path, capsys):
    from minitorch import io
    from minitorch.cli import main

    path = tmp_path / "model.safetensors"
    argv = ["--engine", "tensor", "--dtype", "float64", "--layers", "4", "--steps", "5", "--quiet", "--json"]
    assert main(argv + ["--device", "cuda", "--export", str(path)]) == 0
    on_gpu = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(argv) == 0
    on_cpu = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert abs(on_gpu["train_loss"] - on_cpu["train_loss"]) < 1e-9
    checkpoint = io.load(path)
    assert checkpoint.state_dict["0.weight"].shape == (4, 2)
    assert all(isinstance(v, np.ndarray) for v in checkpoint.state_dict.values())


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_kernels_agree_with_the_plain_expressions(dtype):
    import cupy

    a, g = RNG.standard_normal((7, 5)).astype(dtype), RNG.standard_normal((7, 5)).astype(dtype)
    a[0, :2] = 0.0  # relu's gradient at 0 is 0, as in PyTorch
    relu_out = np.maximum(a, 0)
    expected = {
        "relu": g * (a > 0),
        "scaled": np.asarray(g[0, 0]) * dtype_type(dtype)(0.25) * a,
        "sgd": a - dtype_type(dtype)(0.1) * g,
    }
    for fused in (True, False):
        previous = backend.set_fused_kernels(fused)
        try:
            used = backend._cuda_kernels(cupy.asarray(a)) is not None
            assert used == (fused and hasattr(cupy, "ElementwiseKernel"))
            da, dg = cupy.asarray(a), cupy.asarray(g)
            got = {
                "relu": backend.relu_backward(cupy.asarray(relu_out), dg),
                "scaled": backend.scaled_product(cupy.asarray(g[0, 0]), 0.25, da),
            }
            backend.sgd_update_(da, dg, 0.1)
            got["sgd"] = da
        finally:
            backend.set_fused_kernels(previous)
        for name, value in got.items():
            assert backend.device_of(value) == "cuda" and value.dtype == np.dtype(dtype)
            tolerance = 1e-6 if dtype == "float32" else 1e-15
            np.testing.assert_allclose(backend.to_numpy(value), expected[name], rtol=tolerance)


def dtype_type(dtype):
    return np.dtype(dtype).type


@pytest.mark.gpu
@needs_cuda
def test_activations_layers_and_losses_of_nn_functional_on_gpu():
    """GELU/SiLU/ELU/Softplus, LayerNorm, Embedding, pooling, grouped/dilated conv, pad and the class losses."""
    assert_same(lambda a: (F.gelu(a) + F.gelu(a, approximate="tanh") + F.silu(a) + F.elu(a, 0.5)
                           + F.softplus(a, beta=2.0, threshold=3.0)).sum(1), RNG.standard_normal((3, 4)) * 3)
    assert_same(lambda a, w, b: F.layer_norm(a, (4,), w, b), RNG.standard_normal((2, 3, 4)), RNG.standard_normal(4),
                RNG.standard_normal(4))
    idx = RNG.integers(0, 5, (2, 3))
    assert_same(lambda w: F.embedding(tensor(idx, device=w.device), w, padding_idx=1), RNG.standard_normal((5, 3)))
    assert_same(lambda a, w: F.avg_pool2d(F.conv2d(F.pad(a, (1, 1, 2, 0), mode="reflect"), w, groups=2, dilation=2,
                                                   padding="same"), 2, padding=1, count_include_pad=False),
                RNG.standard_normal((2, 4, 5, 5)), RNG.standard_normal((4, 2, 3, 3)))
    labels = RNG.integers(0, 3, 4)
    assert_same(lambda a, p: F.cross_entropy(a, tensor(labels, device=a.device), [1.0, 2.0, 0.5],
                                             label_smoothing=0.1, ignore_index=0)
                + F.nll_loss(a.log_softmax(1), tensor(labels, device=a.device), reduction="sum")
                + F.binary_cross_entropy(a.sigmoid(), p.sigmoid()),
                RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)))
    hot = F.one_hot(tensor(labels, device="cuda"), 3)
    assert hot.device == "cuda"
    np.testing.assert_array_equal(backend.to_numpy(hot.data), np.eye(3, dtype=np.int64)[labels])


def test_gpu_tests_pass_on_a_numpy_backed_stand_in_for_cupy():
    env = dict(os.environ, MINITORCH_TEST_FAKE_CUPY="1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "gpu", __file__],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and "14 passed" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
