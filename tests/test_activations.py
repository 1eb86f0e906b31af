"""GELU, SiLU, ELU, Softplus and softmax over any dim against PyTorch (float64): values, gradients, dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.errors import ShapeError, TensorTypeError
from minitorch.nn.tensor_functional import erf

RNG = np.random.default_rng(14)


def check_like_torch(ours_fn, torch_fn, x, atol=1e-12):
    ours = minitorch.tensor(x, dtype="float64", requires_grad=True)
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out, ref = ours_fn(ours), torch_fn(theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=atol, rtol=1e-12)
    upstream = RNG.standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=atol, rtol=1e-11)


# values from -40 to 40 cover every branch: erf's series and continued fraction, softplus's
# linear region, ELU's two sides, saturation of tanh and sigmoid
WIDE = np.concatenate([np.linspace(-40, 40, 801), RNG.standard_normal(200) * 3, [0.0, -0.0, 1e-8, -1e-8]])

CASES = {
    "gelu": (lambda a: F.gelu(a), lambda a: torch.nn.functional.gelu(a)),
    "gelu_tanh": (lambda a: F.gelu(a, approximate="tanh"), lambda a: torch.nn.functional.gelu(a, approximate="tanh")),
    "silu": (F.silu, torch.nn.functional.silu),
    "elu": (F.elu, torch.nn.functional.elu),
    "elu_alpha": (lambda a: F.elu(a, alpha=0.3), lambda a: torch.nn.functional.elu(a, alpha=0.3)),
    "softplus": (F.softplus, torch.nn.functional.softplus),
    "softplus_beta": (lambda a: F.softplus(a, beta=2.5, threshold=7.0),
                      lambda a: torch.nn.functional.softplus(a, beta=2.5, threshold=7.0)),
    "softplus_negative_beta": (lambda a: F.softplus(a, beta=-0.5),
                               lambda a: torch.nn.functional.softplus(a, beta=-0.5)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_activation_values_and_gradients_like_torch(name):
    ours, theirs = CASES[name]
    check_like_torch(ours, theirs, WIDE)
    check_like_torch(ours, theirs, RNG.standard_normal((2, 3, 4)))  # any shape


@pytest.mark.parametrize("name", list(CASES))
def test_activation_on_0d_and_empty_tensors(name):
    ours, theirs = CASES[name]
    check_like_torch(ours, theirs, np.array(0.7))
    out = ours(minitorch.zeros(0, 3, dtype="float64"))
    assert out.shape == (0, 3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_activation_keeps_dtype_and_gradient_dtype(name, dtype):
    ours, _ = CASES[name]
    x = minitorch.tensor(RNG.standard_normal(5), dtype=dtype, requires_grad=True)
    out = ours(x)
    assert out.dtype == np.dtype(dtype)
    out.sum().backward()
    assert x.grad.dtype == np.dtype(dtype)


def test_erf_matches_libm_everywhere():
    x = np.concatenate([np.linspace(-9, 9, 40001), [0.0, 2.0, -2.0, 1.9999999999, 40.0, -40.0]])
    np.testing.assert_allclose(erf(x), [math.erf(v) for v in x], atol=2e-15, rtol=0)
    assert erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]


def test_gelu_rejects_unknown_approximation_and_integer_input():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(minitorch.tensor([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(TensorTypeError, match="floating-point"):
        F.silu(minitorch.tensor([1, 2]))


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_softmax_and_log_softmax_over_any_dim(dim):
    x = RNG.standard_normal((2, 3, 4)) * 5
    check_like_torch(lambda a: F.softmax(a, dim), lambda a: torch.softmax(a, dim), x)
    check_like_torch(lambda a: F.log_softmax(a, dim=dim), lambda a: torch.log_softmax(a, dim=dim), x)
    check_like_torch(nn.Softmax(dim), torch.nn.Softmax(dim), x)
    check_like_torch(nn.LogSoftmax(dim=dim), torch.nn.LogSoftmax(dim=dim), x)


def test_softmax_dtype_argument_casts_first_as_torch():
    x = minitorch.tensor([1.0, 2.0, 3.0], dtype="float32")
    out = F.softmax(x, dim=0, dtype="float64")
    assert out.dtype == np.float64
    ref = torch.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0, dtype=torch.float64)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-15)


def test_softmax_needs_dim_and_refuses_an_out_of_range_dim():
    with pytest.raises(TypeError, match="dim"):
        nn.Softmax()(minitorch.tensor([1.0, 2.0]))
    with pytest.raises((IndexError, ShapeError), match="out of range"):  # IndexError in PyTorch
        F.softmax(minitorch.tensor([[1.0, 2.0]]), dim=2)


@pytest.mark.parametrize(
    "ours, theirs",
    [(nn.GELU(), torch.nn.GELU()), (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.SiLU(), torch.nn.SiLU()),
     (nn.ELU(0.5), torch.nn.ELU(0.5)), (nn.Softplus(2.0, 5.0), torch.nn.Softplus(2.0, 5.0))],
    ids=lambda m: repr(m),
)
def test_activation_modules_like_torch(ours, theirs):
    check_like_torch(ours, theirs, RNG.standard_normal((3, 5)) * 4)
    assert ours.state_dict() == {}
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_of_a_0d_tensor_like_torch(dim):
    check_like_torch(lambda a: F.softmax(a, dim), lambda a: torch.softmax(a, dim), np.array(0.7))
    check_like_torch(lambda a: F.log_softmax(a, dim), lambda a: torch.log_softmax(a, dim), np.array(0.7))
    empty = np.zeros((3, 0)) if dim == 0 else np.zeros((0, 3))  # empty, but not along dim
    check_like_torch(lambda a: F.softmax(a, dim), lambda a: torch.softmax(a, dim), empty)


def test_erf_in_float32_is_as_close_as_float32_allows():
    x = np.linspace(-9, 9, 20001).astype(np.float32)
    got = erf(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [math.erf(v) for v in x.astype(np.float64)], atol=4e-7, rtol=0)
