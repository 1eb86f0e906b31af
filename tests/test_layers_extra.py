"""LayerNorm, Embedding, AvgPool2d, Conv2d(groups, dilation), F.pad, F.one_hot and the class losses
against PyTorch in float64: values, gradients, dtypes, errors, and state_dicts torch loads with every key matched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.errors import ShapeError, TensorTypeError

RNG = np.random.default_rng(41)
TF = torch.nn.functional


def compare(fn_ours, fn_torch, *arrays, grads=None, atol=1e-11):
    """Outputs and the gradients of the float inputs (``grads`` picks which) agree with PyTorch."""
    grads = grads if grads is not None else [a.dtype.kind == "f" for a in arrays]
    ours = [minitorch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    theirs = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    out, ref = fn_ours(*ours), fn_torch(*theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=atol, rtol=1e-10)
    assert out.dtype == np.dtype(str(ref.dtype).removeprefix("torch."))
    if ref.requires_grad:
        upstream = RNG.standard_normal(ref.shape)
        out.backward(upstream)
        ref.backward(torch.tensor(upstream))
        for mine, expected, g in zip(ours, theirs, grads):
            if g:
                np.testing.assert_allclose(mine.grad, expected.grad.numpy(), atol=atol, rtol=1e-10)
    return out


def randn(*shape):
    return RNG.standard_normal(shape)


# --- Conv2d: groups, dilation, 'same' ---------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, in_ch, out_ch, kernel",
    [
        ({"groups": 2}, 4, 6, (3, 3)),
        ({"groups": 4, "padding": 1}, 4, 4, (3, 3)),  # depthwise
        ({"dilation": 2, "padding": 2}, 3, 2, (3, 3)),
        ({"dilation": (2, 1), "stride": (1, 2)}, 2, 3, (2, 3)),
        ({"padding": "same", "dilation": 2}, 2, 2, (4, 3)),  # even kernel: extra padding bottom/right
        ({"padding": "valid", "groups": 3, "stride": 2}, 3, 3, (2, 2)),
    ],
    ids=str,
)
def test_conv2d_groups_dilation_padding_like_torch(kwargs, in_ch, out_ch, kernel):
    groups = kwargs.get("groups", 1)
    x, w, b = randn(2, in_ch, 7, 8), randn(out_ch, in_ch // groups, *kernel), randn(out_ch)
    compare(lambda a, c, d: F.conv2d(a, c, d, **kwargs), lambda a, c, d: TF.conv2d(a, c, d, **kwargs), x, w, b)


def test_conv2d_module_with_groups_matches_torch_through_its_state_dict():
    ours = nn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, dtype="float64")
    theirs = torch.nn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)
    x = randn(2, 4, 6, 6)
    np.testing.assert_allclose(ours(minitorch.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-12)


def test_conv2d_default_init_bounds_follow_fan_in_per_group():
    minitorch.manual_seed(0)
    conv = nn.Conv2d(8, 4, 3, groups=4)
    bound = 1 / np.sqrt(2 * 9)  # fan_in = in_channels / groups * kh * kw
    assert conv.weight.shape == (4, 2, 3, 3)
    assert np.abs(conv.weight.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.8 * bound


def test_conv2d_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ShapeError, match="groups=2 expects 4"):
        F.conv2d(minitorch.zeros(1, 3, 5, 5), minitorch.zeros(2, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ShapeError, match="dilated kernel 5x5"):
        F.conv2d(minitorch.zeros(1, 1, 4, 4), minitorch.zeros(1, 1, 3, 3), dilation=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")


# --- AvgPool2d -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
     {"kernel_size": (3, 2), "stride": 1, "padding": (1, 1), "count_include_pad": False},
     {"kernel_size": 2, "divisor_override": 3}],
    ids=str,
)
def test_avg_pool2d_like_torch(kwargs):
    x = randn(2, 3, 7, 6)
    compare(lambda a: F.avg_pool2d(a, **kwargs), lambda a: TF.avg_pool2d(a, **kwargs), x)
    compare(nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), x)
    compare(lambda a: F.avg_pool2d(a, **kwargs), lambda a: TF.avg_pool2d(a, **kwargs), randn(3, 5, 4))  # unbatched


def test_avg_pool2d_errors():
    with pytest.raises(ValueError, match="padding"):
        F.avg_pool2d(minitorch.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="ceil_mode"):
        nn.AvgPool2d(2, ceil_mode=True)
    with pytest.raises(ShapeError, match="larger than"):
        F.avg_pool2d(minitorch.zeros(1, 1, 2, 2), 3)


# --- LayerNorm --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, normalized", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((6,), [6]), ((2, 0, 3), 3)],
                         ids=str)
def test_layer_norm_like_torch(shape, normalized):
    norm = tuple(normalized) if not isinstance(normalized, int) else (normalized,)
    x, w, b = randn(*shape) * 3 + 1, randn(*norm), randn(*norm)
    compare(lambda a, c, d: F.layer_norm(a, normalized, c, d, eps=1e-3),
            lambda a, c, d: TF.layer_norm(a, norm, c, d, eps=1e-3), x, w, b)
    compare(lambda a: F.layer_norm(a, normalized), lambda a: TF.layer_norm(a, norm), x)


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}], ids=str)
def test_layer_norm_module_state_dict_and_gradients_like_torch(kwargs):
    ours = nn.LayerNorm((3, 4), **kwargs, dtype="float64")
    theirs = torch.nn.LayerNorm((3, 4), **kwargs, dtype=torch.float64)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    for p in ours.parameters():  # non-trivial affine parameters
        p.data[...] = randn(*p.shape)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)
    x = randn(2, 3, 4)
    compare(ours, theirs, x)
    if kwargs == {}:
        ours.zero_grad()
        theirs.zero_grad()
        xo, xt = minitorch.tensor(x), torch.tensor(x)
        ours(xo).sum().backward()
        theirs(xt).sum().backward()
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), atol=1e-12)


def test_layer_norm_float32_and_errors():
    ln = nn.LayerNorm(4)
    x = minitorch.randn(2, 4, requires_grad=True)
    out = ln(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and ln.weight.grad.dtype == np.float32
    with pytest.raises(ShapeError, match="normalized_shape"):
        ln(minitorch.randn(4, 3))
    with pytest.raises(TensorTypeError, match="float64"):
        ln(minitorch.randn(2, 4, dtype="float64"))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(0)


# --- Embedding -------------------------------------------------------------------------------------------
def test_embedding_like_torch_with_repeated_indices_and_padding_idx():
    weight = randn(7, 3)
    idx = np.array([[0, 2, 2, 6], [1, 0, 6, 6]])
    for padding_idx in (None, 2, -1):
        compare(lambda w, i, pi=padding_idx: F.embedding(i, w, padding_idx=pi),
                lambda w, i, pi=padding_idx: TF.embedding(i, w, padding_idx=pi), weight, idx, grads=[True, False])
    compare(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), weight, np.array(4), grads=[True, False])


def test_embedding_module_init_and_state_dict_like_torch():
    minitorch.manual_seed(3)
    ours = nn.Embedding(50, 8, padding_idx=1)
    assert ours.weight.dtype == np.float32 and ours.weight.shape == (50, 8)
    assert np.all(ours.weight.numpy()[1] == 0)
    values = ours.weight.numpy()
    assert abs(values.std() - 1) < 0.1  # N(0, 1), as torch
    theirs = torch.nn.Embedding(50, 8, padding_idx=1)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)
    idx = RNG.integers(0, 50, (4, 5))
    np.testing.assert_array_equal(ours(minitorch.tensor(idx)).numpy(), theirs(torch.tensor(idx)).detach().numpy())


def test_embedding_errors():
    emb = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        emb(minitorch.tensor([1, 5]))
    with pytest.raises(IndexError, match="out of range"):
        emb(minitorch.tensor([-1]))
    with pytest.raises(TensorTypeError, match="integers"):
        emb(minitorch.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="max_norm"):
        nn.Embedding(5, 2, max_norm=1.0)


# --- F.pad ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pad, mode, value, shape",
    [((1, 2), "constant", None, (2, 3, 4)), ((1, 0, 2, 1), "constant", 1.5, (2, 3, 4)),
     ((-1, 2, 0, -1), "constant", None, (2, 3, 4)), ((1, 1, 1, 1, 1, 1), "constant", None, (2, 3, 4)),
     ((2, 1), "reflect", None, (2, 3, 4)), ((1, 2, 2, 1), "reflect", None, (1, 2, 3, 4)),
     ((3, 1), "replicate", None, (2, 3, 4)), ((2, 2, 1, 0), "replicate", None, (1, 2, 3, 4)),
     ((2, 3), "circular", None, (2, 3, 4)), ((1, 2, 3, 1), "circular", None, (1, 2, 3, 4))],
    ids=str,
)
def test_pad_like_torch(pad, mode, value, shape):
    compare(lambda a: F.pad(a, pad, mode=mode, value=value), lambda a: TF.pad(a, pad, mode=mode, value=value),
            randn(*shape))


def test_pad_on_empty_and_0d_like_torch():
    compare(lambda a: F.pad(a, (1, 1)), lambda a: TF.pad(a, (1, 1)), randn(2, 0))
    compare(lambda a: F.pad(a, ()), lambda a: TF.pad(a, ()), np.array(3.0))


def test_pad_errors():
    x = minitorch.zeros(2, 3)
    with pytest.raises(ValueError, match="even-length"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="even-length"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="mode"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ShapeError, match="reflect"):
        F.pad(minitorch.zeros(1, 2, 3), (3, 0), mode="reflect")
    with pytest.raises(ShapeError, match="cropping"):
        F.pad(x, (-2, -2))


# --- one_hot ----------------------------------------------------------------------------------------------
def test_one_hot_like_torch():
    idx = np.array([[0, 3], [2, 2]])
    for classes in (-1, 5):
        ours = F.one_hot(minitorch.tensor(idx), classes)
        ref = TF.one_hot(torch.tensor(idx), classes)
        assert ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert F.one_hot(minitorch.tensor(np.zeros(0, dtype=np.int64)), 3).shape == (0, 3)
    with pytest.raises(ValueError, match="out of range"):
        F.one_hot(minitorch.tensor([3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(minitorch.tensor([-1]))
    with pytest.raises(TensorTypeError, match="integers"):
        F.one_hot(minitorch.tensor([1.0]))


# --- losses ----------------------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_like_torch_including_the_clamped_logs(reduction):
    p = np.concatenate([RNG.uniform(0.01, 0.99, 6), [0.0, 1.0, 1e-50, 1 - 1e-12]])
    t = np.concatenate([RNG.uniform(0, 1, 6), [1.0, 0.0, 1.0, 0.0]])
    compare(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, t, atol=1e-9)
    w = RNG.uniform(0.5, 2, 10)
    compare(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, torch.tensor(w), reduction=reduction), p, t, atol=1e-9)
    compare(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), p[:6], t[:6])


def test_binary_cross_entropy_target_gradient_like_torch():
    p, t = RNG.uniform(0.05, 0.95, (3, 2)), RNG.uniform(0, 1, (3, 2))
    compare(F.binary_cross_entropy, TF.binary_cross_entropy, p, t, grads=[True, True])


def test_binary_cross_entropy_refuses_non_probabilities():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(minitorch.tensor([1.5]), minitorch.tensor([1.0]))
    with pytest.raises(ShapeError):
        F.binary_cross_entropy(minitorch.tensor([0.5, 0.5]), minitorch.tensor([1.0]))


CLASS_CASES = [
    {},
    {"weight": [0.2, 1.0, 3.0, 0.5]},
    {"ignore_index": 1},
    {"label_smoothing": 0.2},
    {"label_smoothing": 0.3, "weight": [0.2, 1.0, 3.0, 0.5], "ignore_index": 2},
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_CASES, ids=str)
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2, 2)], ids=str)
def test_cross_entropy_and_nll_loss_options_like_torch(case, reduction, shape):
    logits = randn(*shape) * 2
    target_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    labels = RNG.integers(0, 4, target_shape)
    if labels.ndim:
        labels.reshape(-1)[0] = 1  # some rows use the ignored class
    ours_kw = dict(case)
    theirs_kw = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in case.items()}
    compare(lambda a, y: F.cross_entropy(a, y, reduction=reduction, **ours_kw),
            lambda a, y: TF.cross_entropy(a, y, reduction=reduction, **theirs_kw), logits, labels, grads=[True, False])
    if "label_smoothing" not in case:
        compare(lambda a, y: F.nll_loss(a.log_softmax(0 if len(shape) == 1 else 1), y, reduction=reduction, **ours_kw),
                lambda a, y: TF.nll_loss(a.log_softmax(0 if len(shape) == 1 else 1), y, reduction=reduction,
                                         **theirs_kw), logits, labels, grads=[True, False])


@pytest.mark.parametrize("case", [{}, {"label_smoothing": 0.25}, {"weight": [1.0, 2.0, 0.5]},
                                  {"weight": [1.0, 2.0, 0.5], "label_smoothing": 0.1}], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets_and_options_like_torch(case, reduction):
    logits, probs = randn(4, 3), RNG.dirichlet(np.ones(3), 4)
    theirs_kw = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in case.items()}
    compare(lambda a, y: F.cross_entropy(a, y, reduction=reduction, **case),
            lambda a, y: TF.cross_entropy(a, y, reduction=reduction, **theirs_kw), logits, probs, grads=[True, True])


def test_cross_entropy_when_every_target_is_ignored_is_nan_as_torch():
    logits = randn(3, 2)
    ours = F.cross_entropy(minitorch.tensor(logits), minitorch.tensor([-100, -100, -100]))
    ref = TF.cross_entropy(torch.tensor(logits), torch.tensor([-100, -100, -100]))
    assert np.isnan(ours.item()) and np.isnan(ref.item())
    x = minitorch.tensor(logits, requires_grad=True)
    F.cross_entropy(x, minitorch.tensor([-100, -100, -100])).backward()
    assert np.all(x.grad == 0)


def test_class_loss_errors():
    x = minitorch.randn(3, 4)
    with pytest.raises(ShapeError, match="one entry per class"):
        F.cross_entropy(x, minitorch.tensor([0, 1, 2]), [1.0, 2.0])
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, minitorch.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=-0.1)
    with pytest.raises(ValueError, match="out of range"):
        F.nll_loss(x, minitorch.tensor([0, 1, 4]))


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.CrossEntropyLoss(weight=[1.0, 2.0, 0.5], label_smoothing=0.1, ignore_index=0),
         torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), label_smoothing=0.1,
                                   ignore_index=0)),
        (nn.NLLLoss(weight=[1.0, 2.0, 0.5], reduction="sum"),
         torch.nn.NLLLoss(weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), reduction="sum")),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
    ],
    ids=lambda m: type(m).__name__,
)
def test_class_loss_modules_like_torch_with_matching_state_dicts(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)
    compare(ours, theirs, randn(5, 3), RNG.integers(0, 3, 5), grads=[True, False])


def test_bce_modules_state_dicts_like_torch():
    w, pw = np.array([1.0, 2.0]), np.array([3.0, 0.5])
    pairs = [(nn.BCELoss(weight=w), torch.nn.BCELoss(weight=torch.tensor(w))),
             (nn.BCEWithLogitsLoss(weight=w, pos_weight=pw),
              torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw))),
             (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss())]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()}, strict=True)
    p, t = RNG.uniform(0.1, 0.9, (4, 2)), RNG.uniform(0, 1, (4, 2))
    compare(pairs[0][0], pairs[0][1], p, t)
    compare(pairs[1][0], pairs[1][1], randn(4, 2), t)


# --- every layer: torch loads our state_dict with all keys matched, outputs agree ------------------------
LAYER_PAIRS = {
    "linear": (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (2, 4)),
    "conv": (lambda: nn.Conv2d(2, 4, 3, padding=1, groups=2), lambda: torch.nn.Conv2d(2, 4, 3, padding=1, groups=2),
             (2, 2, 5, 5)),
    "batchnorm1d": (lambda: nn.BatchNorm1d(4), lambda: torch.nn.BatchNorm1d(4), (3, 4)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(2), lambda: torch.nn.BatchNorm2d(2), (3, 2, 3, 3)),
    "layernorm": (lambda: nn.LayerNorm(4), lambda: torch.nn.LayerNorm(4), (3, 4)),
    "embedding": (lambda: nn.Embedding(6, 3, padding_idx=0), lambda: torch.nn.Embedding(6, 3, padding_idx=0), None),
    "sequential": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.GELU(), nn.AvgPool2d(2), nn.Flatten(),
                                         nn.LayerNorm(2), nn.Linear(2, 3), nn.SiLU()),
                   lambda: torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.GELU(), torch.nn.AvgPool2d(2),
                                               torch.nn.Flatten(), torch.nn.LayerNorm(2), torch.nn.Linear(2, 3),
                                               torch.nn.SiLU()),
                   (2, 1, 4, 4)),
}


@pytest.mark.parametrize("name", list(LAYER_PAIRS))
def test_torch_loads_our_state_dict_with_every_key_and_computes_the_same(name):
    make_ours, make_theirs, shape = LAYER_PAIRS[name]
    minitorch.manual_seed(1)
    ours, theirs = make_ours().double(), make_theirs().double()
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert all(tuple(ours_state[k].shape) == tuple(theirs_state[k].shape) for k in ours_state)
    result = theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours_state.items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    if shape is None:
        x = RNG.integers(0, 6, (2, 5))
        compare(ours, theirs, x, grads=[False])
    else:
        ours.eval()
        theirs.eval()
        compare(ours, theirs, randn(*shape))


@pytest.mark.parametrize(
    "loss",
    [lambda x, y, p: F.cross_entropy(x, y, [1.0, 2.0, 3.0], label_smoothing=0.1),
     lambda x, y, p: F.nll_loss(x.log_softmax(1), y),
     lambda x, y, p: F.binary_cross_entropy(x.sigmoid(), p),
     lambda x, y, p: F.cross_entropy(x, p.softmax(1))],
)
def test_float32_losses_give_float32_values_and_gradients(loss):
    x = minitorch.randn(4, 3, requires_grad=True)
    value = loss(x, minitorch.tensor([0, 1, 2, -100]), minitorch.rand(4, 3))
    value.backward()
    assert value.dtype == np.float32 and x.grad.dtype == np.float32


def test_state_dict_keys_come_in_torchs_order_for_nested_modules_with_buffers():
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 3), nn.LayerNorm(3),
                         nn.BatchNorm1d(3))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(2, 3), torch.nn.LayerNorm(3), torch.nn.BatchNorm1d(3))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_binary_cross_entropy_weight_broadcasts_as_torch():
    p, t, w = RNG.uniform(0.1, 0.9, (4, 3)), RNG.uniform(0, 1, (4, 3)), RNG.uniform(0.5, 2, 3)
    compare(lambda a, b: F.binary_cross_entropy(a, b, w), lambda a, b: TF.binary_cross_entropy(a, b, torch.tensor(w)),
            p, t)
    with pytest.raises(ShapeError, match="broadcast"):
        F.binary_cross_entropy(minitorch.tensor(p), minitorch.tensor(t), np.ones((2, 4, 3)))


def test_losses_on_0d_and_empty_inputs_like_torch():
    compare(lambda a, b: F.binary_cross_entropy(a, b), lambda a, b: TF.binary_cross_entropy(a, b),
            np.array(0.3), np.array(1.0))
    compare(lambda a, b: F.cross_entropy(a, b, reduction="sum"), lambda a, b: TF.cross_entropy(a, b, reduction="sum"),
            randn(0, 3), np.zeros(0, dtype=np.int64), grads=[True, False])


@pytest.mark.parametrize(
    "layer, shape",
    [(nn.Conv2d(4, 2, 3, groups=2, dilation=2, padding="same"), (1, 4, 5, 5)),
     (nn.AvgPool2d(2, padding=1), (1, 2, 4, 4)), (nn.LayerNorm(4), (2, 4)), (nn.GELU(), (3,)), (nn.Softplus(), (3,))],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else str(v),
)
def test_float32_layers_give_float32_outputs_and_gradients(layer, shape):
    x = minitorch.randn(*shape, requires_grad=True)
    out = F.pad(layer(x), (1, 1, 2, 0), mode="replicate") if len(shape) == 4 else F.pad(layer(x), (1, 1))
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_embedding_float32_weight_gradient():
    emb = nn.Embedding(4, 2)
    emb(minitorch.tensor([[0, 3, 3]])).sum().backward()
    assert emb.weight.grad.dtype == np.float32
    np.testing.assert_array_equal(emb.weight.grad, [[1, 1], [0, 0], [0, 0], [2, 2]])


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained_like_torch(freeze):
    table = randn(5, 3)
    ours = nn.Embedding.from_pretrained(minitorch.tensor(table), freeze=freeze, padding_idx=0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze, padding_idx=0)
    assert ours.weight.dtype == np.float64 and ours.weight.requires_grad == theirs.weight.requires_grad
    np.testing.assert_array_equal(ours.weight.numpy(), table)  # a copy of the values, padding row included
    idx = np.array([[0, 4, 4]])
    compare(lambda i: ours(i), lambda i: theirs(i), idx, grads=[False])
    with pytest.raises(ShapeError, match="2-d"):
        nn.Embedding.from_pretrained(minitorch.zeros(3))


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_checks_its_geometry(pool):
    x = minitorch.zeros(1, 1, 4, 4)
    for bad in ({"stride": 0}, {"padding": -1}, {"padding": 2}):
        with pytest.raises(ValueError, match="kernel and stride >= 1"):
            pool(x, 2, **bad)
    with pytest.raises(ShapeError, match="larger than the padded input"):
        pool(x, 5)
