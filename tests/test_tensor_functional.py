"""minitorch.nn.tensor_functional against torch.nn.functional (float64), forward and backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _helpers import assert_finite_difference_grads

import minitorch.nn.functional as F
from minitorch.errors import ShapeError, TensorTypeError
from minitorch.ndtensor import tensor

RNG = np.random.default_rng(1)


def compare(fn_ours, fn_torch, *arrays, grads=None, atol=1e-10):
    """Forward values and the gradients of the float inputs (``grads`` selects which) match PyTorch."""
    grads = grads if grads is not None else [a.dtype.kind == "f" for a in arrays]
    ours = [tensor(a, dtype="float64" if g else None, requires_grad=g) for a, g in zip(arrays, grads)]
    theirs = [torch.tensor(a, dtype=torch.float64 if g else None, requires_grad=g) for a, g in zip(arrays, grads)]
    out, ref = fn_ours(*ours), fn_torch(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=atol, rtol=1e-9)
    upstream = RNG.standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for mine, expected, g in zip(ours, theirs, grads):
        if g:
            np.testing.assert_allclose(mine.grad, expected.grad.numpy(), atol=atol, rtol=1e-9)


def finite_difference(fn, *arrays):
    assert_finite_difference_grads(fn, *arrays, rng=RNG)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_like_torch(reduction):
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    compare(lambda a, b: F.mse_loss(a, b, reduction=reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction),
            x, y)
    compare(lambda a, b: F.l1_loss(a, b, reduction=reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction),
            x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_like_torch(reduction):
    x, y = RNG.standard_normal((5, 2)) * 3, RNG.uniform(0, 1, (5, 2))
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y)
    w, pw = RNG.uniform(0.5, 2, (5, 2)), RNG.uniform(0.5, 2, (2,))
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, weight=torch.tensor(w), reduction=reduction,
                                                             pos_weight=torch.tensor(pw)), x, y)


def test_bce_with_logits_is_stable_for_huge_logits():
    out = F.binary_cross_entropy_with_logits(tensor([1000.0, -1000.0], dtype="float64"), np.array([0.0, 1.0]))
    assert np.isfinite(out.item()) and abs(out.item() - 1000.0) < 1e-9


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_indices_like_torch(reduction):
    x, t = RNG.standard_normal((6, 4)), RNG.integers(0, 4, 6)
    compare(lambda a, b: F.cross_entropy(a, b, reduction=reduction),
            lambda a, b: TF.cross_entropy(a, b, reduction=reduction), x, t)
    compare(lambda a, b: F.nll_loss(a.log_softmax(1), b, reduction=reduction),
            lambda a, b: TF.nll_loss(a.log_softmax(1), b, reduction=reduction), x, t)


def test_cross_entropy_spatial_ignore_index_and_probabilities():
    x, t = RNG.standard_normal((2, 3, 4, 5)), RNG.integers(0, 3, (2, 4, 5))
    compare(F.cross_entropy, TF.cross_entropy, x, t)
    t_ignored = t.copy()
    t_ignored[0, 0, :3] = -100
    compare(F.cross_entropy, TF.cross_entropy, x, t_ignored)
    probs = RNG.dirichlet(np.ones(4), size=5)
    logits = RNG.standard_normal((5, 4))
    compare(F.cross_entropy, TF.cross_entropy, logits, probs, grads=[True, False])
    compare(F.cross_entropy, TF.cross_entropy, RNG.standard_normal(4), np.int64(2))


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match="out of range"):
        F.cross_entropy(tensor(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ShapeError, match="shape"):
        F.cross_entropy(tensor(np.zeros((2, 3))), np.array([0, 1, 2]))
    with pytest.raises(TensorTypeError, match="integers"):
        F.cross_entropy(tensor(np.zeros((2, 3))), np.array([0.5, 1.0]))


def test_loss_shape_mismatch_is_an_error_not_a_silent_broadcast():
    with pytest.raises(ShapeError, match=r"\(4, 1\).*\(4,\)"):
        F.mse_loss(tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(tensor(np.zeros(4)), np.zeros(4), reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_is_micrograds_max_margin(reduction):
    x, y = RNG.standard_normal(7), np.sign(RNG.standard_normal(7))

    def reference(a, b):
        m = torch.relu(1 - b * a)
        return m.mean() if reduction == "mean" else m.sum() if reduction == "sum" else m

    compare(lambda a, b: F.hinge_loss(a, b, reduction=reduction), reference, x, y, grads=[True, False])


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
def test_activations_like_torch(name):
    compare(getattr(F, name), getattr(TF, name) if name != "tanh" else torch.tanh, RNG.standard_normal((3, 4)))


def test_softmax_family_and_leaky_relu_like_torch():
    x = RNG.standard_normal((3, 4))
    compare(lambda a: F.softmax(a, dim=1), lambda a: TF.softmax(a, dim=1), x)
    compare(lambda a: F.log_softmax(a, dim=0), lambda a: TF.log_softmax(a, dim=0), x)
    compare(lambda a: F.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1), x)
    with pytest.raises(TypeError, match="dim"):
        F.softmax(tensor(x))


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)], ids=str)
def test_linear_like_torch(shape):
    x, w, b = RNG.standard_normal(shape), RNG.standard_normal((2, 3)), RNG.standard_normal(2)
    compare(F.linear, TF.linear, x, w, b)
    compare(F.linear, TF.linear, x, w)


def test_linear_shape_and_dtype_errors():
    with pytest.raises(ShapeError, match="3 features"):
        F.linear(tensor(np.zeros((2, 4))), tensor(np.zeros((5, 3))))
    with pytest.raises(TensorTypeError, match="float64.*float32"):
        F.linear(tensor(np.zeros((2, 3))), tensor(np.zeros((5, 3), dtype=np.float32)))
    with pytest.raises(TensorTypeError, match="dtype"):
        F.conv2d(tensor(np.zeros((1, 1, 3, 3))), tensor(np.zeros((1, 1, 2, 2), dtype=np.float32)))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (2, 0)), (3, 2)])
def test_conv2d_like_torch(stride, padding):
    x, w, b = RNG.standard_normal((2, 3, 7, 6)), RNG.standard_normal((4, 3, 3, 2)), RNG.standard_normal(4)
    compare(lambda a, c, d: F.conv2d(a, c, d, stride=stride, padding=padding),
            lambda a, c, d: TF.conv2d(a, c, d, stride=stride, padding=padding), x, w, b)


def test_conv2d_unbatched_without_bias_and_finite_differences():
    x, w = RNG.standard_normal((2, 4, 4)), RNG.standard_normal((3, 2, 2, 2))
    compare(lambda a, c: F.conv2d(a, c, padding=1), lambda a, c: TF.conv2d(a, c, padding=1), x, w)
    finite_difference(lambda a, c: F.conv2d(a, c, stride=2, padding=1), RNG.standard_normal((1, 2, 3, 3)),
                      RNG.standard_normal((2, 2, 2, 2)))


def test_conv2d_errors():
    with pytest.raises(ShapeError, match="channels"):
        F.conv2d(tensor(np.zeros((1, 2, 5, 5))), tensor(np.zeros((4, 3, 3, 3))))
    with pytest.raises(ShapeError, match="larger"):
        F.conv2d(tensor(np.zeros((1, 3, 2, 2))), tensor(np.zeros((4, 3, 3, 3))))


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 1))])
def test_max_pool2d_like_torch(kernel, stride, padding):
    x = RNG.standard_normal((2, 3, 7, 6))
    compare(lambda a: F.max_pool2d(a, kernel, stride, padding), lambda a: TF.max_pool2d(a, kernel, stride, padding),
            x)


def test_max_pool2d_finite_differences():
    finite_difference(lambda a: F.max_pool2d(a, 2, 1), RNG.standard_normal((1, 2, 3, 3)))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)], ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_like_torch(shape, training):
    x, w, b = RNG.standard_normal(shape), RNG.standard_normal(3), RNG.standard_normal(3)
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    rm_ours, rv_ours = rm.copy(), rv.copy()
    compare(lambda a, c, d: F.batch_norm(a, rm_ours, rv_ours, c, d, training=training, momentum=0.2, eps=1e-3),
            lambda a, c, d: TF.batch_norm(a, rm_t, rv_t, c, d, training=training, momentum=0.2, eps=1e-3), x, w, b)
    np.testing.assert_allclose(rm_ours, rm_t.numpy(), atol=1e-12)
    np.testing.assert_allclose(rv_ours, rv_t.numpy(), atol=1e-12)


def test_batch_norm_finite_differences():
    finite_difference(lambda a, c, d: F.batch_norm(a, None, None, c, d, training=True),
                      RNG.standard_normal((4, 2)), RNG.standard_normal(2), RNG.standard_normal(2))


def test_dropout_scales_and_masks():
    x = tensor(np.ones((200, 50)), requires_grad=True)
    y = F.dropout(x, p=0.3, training=True)
    kept = y.data != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)
    assert F.dropout(x, 0.3, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_functional_dispatches_nd_tensors_here():
    x, y = RNG.standard_normal((4, 2)), RNG.standard_normal((4, 2))
    ours = F.mse_loss(tensor(x, dtype="float64"), tensor(y, dtype="float64"))
    np.testing.assert_allclose(ours.item(), float(((x - y) ** 2).mean()), rtol=1e-12)
    logits, labels = RNG.standard_normal((5, 3)), RNG.integers(0, 3, 5)
    ce = F.cross_entropy(tensor(logits, dtype="float64"), labels)
    np.testing.assert_allclose(ce.item(), TF.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item())


LABELS = np.array([0, 2, 1, 2])
FD_LOSSES = {
    "mse": lambda a, b: F.mse_loss(a, b),
    "l1": lambda a, b: F.l1_loss(a, b, reduction="sum"),
    "bce_logits": lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid()),
    "cross_entropy": lambda a, b: F.cross_entropy(a - b, LABELS),
    "cross_entropy_probs": lambda a, b: F.cross_entropy(a, b.softmax(1)),
    "nll": lambda a, b: F.nll_loss((a * b).log_softmax(1), LABELS, reduction="sum"),
    "hinge": lambda a, b: F.hinge_loss(a, np.sign(b.data)),
    "linear": lambda a, b: F.linear(a, b, b[0]),
}


@pytest.mark.parametrize("name", FD_LOSSES)
def test_losses_and_linear_finite_differences(name):
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    if name == "l1":
        b = a + np.where(RNG.random((4, 3)) > 0.5, 0.5, -0.5)  # away from the kink
    if name == "hinge":
        a = np.where(np.abs(np.abs(a) - 1) < 0.1, 0.5, a)
    if name == "linear":
        b = RNG.standard_normal((3, 3))
    finite_difference(FD_LOSSES[name], a, b)
