"""Scalar-engine losses and activations against torch.nn.functional (float64)."""

from __future__ import annotations

import random

import pytest
import torch

import minitorch.nn.functional as F
from minitorch.engine import Tensor
from minitorch.errors import ShapeError, TensorTypeError
from minitorch.nn import MLP, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss

TOL = 1e-12


def _leaves(values):
    return [Tensor(float(v)) for v in values]


def _torch_leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


PREDS = [0.3, -1.2, 2.5, 0.0, -0.7]
TARGETS = [0.1, -1.0, 3.0, 0.5, -0.7]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(
    "ours, theirs",
    [(F.mse_loss, torch.nn.functional.mse_loss), (F.l1_loss, torch.nn.functional.l1_loss)],
)
def test_regression_losses_match_torch(ours, theirs, reduction):
    xs = _leaves(PREDS)
    loss = ours(xs, TARGETS, reduction=reduction)
    loss.backward()
    tx = _torch_leaf(PREDS)
    tloss = theirs(tx, torch.tensor(TARGETS, dtype=torch.float64), reduction=reduction)
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), abs=TOL)
    assert [x.grad for x in xs] == pytest.approx(tx.grad.tolist(), abs=TOL)


def test_reduction_none_returns_per_sample_terms():
    terms = F.mse_loss(_leaves([1.0, 2.0]), [0.0, 0.0], reduction="none")
    assert [t.data for t in terms] == [1.0, 4.0]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_with_logits_matches_torch_and_is_stable(reduction):
    logits = [1000.0, -1000.0, 0.5, -2.0, 0.0, 30.0]
    targets = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    xs = _leaves(logits)
    loss = F.binary_cross_entropy_with_logits(xs, targets, reduction=reduction)
    loss.backward()
    tx = _torch_leaf(logits)
    tloss = torch.nn.functional.binary_cross_entropy_with_logits(
        tx, torch.tensor(targets, dtype=torch.float64), reduction=reduction)
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), abs=TOL, rel=TOL)
    assert [x.grad for x in xs] == pytest.approx(tx.grad.tolist(), abs=TOL)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_matches_torch_even_for_huge_logits(reduction):
    rows = [[1.0, 2.0, 0.5], [1000.0, -1000.0, 0.0], [-3.0, 0.0, 3.0], [0.1, 0.1, 0.1]]
    labels = [1, 0, 0, 2]
    xs = [_leaves(r) for r in rows]
    loss = F.cross_entropy(xs, labels, reduction=reduction)
    loss.backward()
    tx = _torch_leaf(rows)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(labels), reduction=reduction)
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), abs=TOL, rel=TOL)
    assert [x.grad for r in xs for x in r] == pytest.approx(tx.grad.flatten().tolist(), abs=TOL)


def test_softmax_and_log_softmax_match_torch():
    row = [1.0, -2.0, 700.0, 3.0]
    xs = _leaves(row)
    probs = F.softmax(xs)
    weighted = sum(p * (i + 1) for i, p in enumerate(probs))
    weighted.backward()
    tx = _torch_leaf(row)
    tprobs = torch.softmax(tx, dim=-1)
    (tprobs * torch.arange(1, 5, dtype=torch.float64)).sum().backward()
    assert [p.data for p in probs] == pytest.approx(tprobs.tolist(), abs=TOL)
    assert [x.grad for x in xs] == pytest.approx(tx.grad.tolist(), abs=TOL)
    logs = F.log_softmax(_leaves(row))
    assert [v.data for v in logs] == pytest.approx(torch.log_softmax(tx, -1).tolist(), abs=TOL)
    batch = F.softmax([_leaves([0.0, 1.0]), _leaves([2.0, 2.0])])
    expected = torch.softmax(torch.tensor([[0.0, 1.0], [2.0, 2.0]], dtype=torch.float64), -1)
    assert [v.data for r in batch for v in r] == pytest.approx(expected.flatten().tolist(), abs=TOL)


def test_hinge_is_micrograd_max_margin():
    preds, labels = [0.5, -2.0, 1.5, -0.2], [1, -1, -1, -1]
    xs = _leaves(preds)
    loss = F.hinge_loss(xs, labels)
    loss.backward()
    tx = _torch_leaf(preds)
    tloss = torch.relu(1 - torch.tensor(labels, dtype=torch.float64) * tx).mean()
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), abs=TOL)
    assert [x.grad for x in xs] == pytest.approx(tx.grad.tolist(), abs=TOL)


def test_l2_penalty():
    params = _leaves([1.0, -2.0, 3.0])
    penalty = F.l2_penalty(params, alpha=1e-2)
    penalty.backward()
    assert penalty.data == pytest.approx(0.14)
    assert [p.grad for p in params] == pytest.approx([0.02, -0.04, 0.06])


def test_activations_on_scalars_and_lists():
    x = Tensor(-0.5)
    assert F.relu(x).data == 0
    assert F.leaky_relu(x, 0.1).data == pytest.approx(-0.05)
    assert [v.data for v in F.tanh(_leaves([0.0, 1.0]))] == pytest.approx([0.0, torch.tanh(torch.tensor(1.0)).item()])
    assert F.sigmoid(Tensor(0.0)).data == 0.5


@pytest.mark.parametrize("cls, fn", [(MSELoss, F.mse_loss), (L1Loss, F.l1_loss),
                                     (BCEWithLogitsLoss, F.binary_cross_entropy_with_logits),
                                     (HingeLoss, F.hinge_loss)])
def test_loss_modules_call_functional(cls, fn):
    preds, targets = [0.2, -0.4], [1.0, 0.0]
    assert cls(reduction="sum")(_leaves(preds), targets).data == fn(_leaves(preds), targets, reduction="sum").data
    assert "reduction='mean'" in repr(cls())


def test_cross_entropy_module():
    rows = [[0.0, 1.0], [2.0, -1.0]]
    assert CrossEntropyLoss()([_leaves(r) for r in rows], [1, 0]).data == pytest.approx(
        torch.nn.functional.cross_entropy(torch.tensor(rows, dtype=torch.float64), torch.tensor([1, 0])).item())


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ShapeError, match="3 predictions but 2 targets"):
        F.mse_loss(_leaves([1, 2, 3]), [1, 2])
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(_leaves([1]), [1], reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        MSELoss(reduction="max")
    with pytest.raises(ValueError, match="out of range for 2 classes"):
        F.cross_entropy([_leaves([1, 2])], [2])
    with pytest.raises(TensorTypeError, match="integer class indices"):
        F.cross_entropy([_leaves([1, 2])], [0.5])
    with pytest.raises(TensorTypeError, match="must be a Scalar"):
        F.mse_loss([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ShapeError, match="empty batch"):
        F.mse_loss([], [])
    with pytest.raises(ShapeError, match="same, non-zero length"):
        F.cross_entropy([_leaves([1, 2]), _leaves([1])], [0, 0])


def _seed_example(use_toolkit: bool) -> list[float]:
    """The seed's training loop: MLP(3, [4, 4, 1]) on four samples, lr 0.01, 100 iterations."""
    from minitorch.optim import SGD

    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    opt = SGD(model.parameters(), lr=0.01)
    for _ in range(100):
        ypred = [model(x) for x in xs]
        if use_toolkit:
            loss = F.mse_loss(ypred, ys, reduction="sum")
            opt.zero_grad()
            loss.backward()
            opt.step()
        else:
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            for p in model.parameters():
                p.grad = 0.0
            loss.backward()
            for p in model.parameters():
                p.data += -0.01 * p.grad
        losses.append(loss.data)
    return losses


def test_seed_training_example_with_toolkit_gives_identical_losses():
    manual = _seed_example(use_toolkit=False)
    toolkit = _seed_example(use_toolkit=True)
    assert manual[-1] < manual[0]
    assert toolkit == manual  # bit for bit


# --- the same functions on n-d tensors (dispatch to minitorch.nn.tensor_functional) ---------------------
def test_functional_dispatches_n_d_tensors_to_tensor_functional():
    import numpy as np

    import minitorch

    preds = [0.3, -1.2, 2.5, 0.0]
    labels = [1.0, -1.0, -1.0, 1.0]
    nd = minitorch.tensor(np.array(preds), dtype="float64", requires_grad=True)
    target = minitorch.tensor(np.array(labels), dtype="float64")
    for fn in (F.mse_loss, F.l1_loss, F.hinge_loss):
        nd_value = float(fn(nd, target, reduction="sum").data)
        assert nd_value == pytest.approx(fn(_leaves(preds), labels, reduction="sum").data, abs=TOL)
    assert float(HingeLoss()(nd, target).data) == pytest.approx(F.hinge_loss(_leaves(preds), labels).data, abs=TOL)
    rows = [[1.0, 2.0, 0.5], [-3.0, 0.0, 3.0]]
    logits = minitorch.tensor(np.array(rows), dtype="float64")
    classes = minitorch.tensor(np.array([1, 2]))
    assert float(F.cross_entropy(logits, classes).data) == pytest.approx(
        F.cross_entropy([_leaves(r) for r in rows], [1, 2]).data, abs=TOL)
    np.testing.assert_allclose(np.asarray(F.softmax(logits, dim=-1).data)[0],
                               [p.data for p in F.softmax(_leaves(rows[0]))], atol=TOL)


# --- property checks against torch on random inputs ---------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

finite = st.floats(min_value=-50, max_value=50, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, st.sampled_from([0.0, 1.0])), min_size=1, max_size=6))
def test_bce_with_logits_property(pairs):
    logits, targets = [p[0] for p in pairs], [p[1] for p in pairs]
    xs = _leaves(logits)
    loss = F.binary_cross_entropy_with_logits(xs, targets)
    loss.backward()
    tx = _torch_leaf(logits)
    torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(targets, dtype=torch.float64)).backward()
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(logits, dtype=torch.float64), torch.tensor(targets, dtype=torch.float64)).item()
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert [x.grad for x in xs] == pytest.approx(tx.grad.tolist(), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=5).flatmap(
    lambda k: st.lists(st.tuples(st.lists(finite, min_size=k, max_size=k), st.integers(0, k - 1)),
                       min_size=1, max_size=4)))
def test_cross_entropy_property(samples):
    rows, labels = [s[0] for s in samples], [s[1] for s in samples]
    xs = [_leaves(r) for r in rows]
    loss = F.cross_entropy(xs, labels)
    loss.backward()
    tx = _torch_leaf(rows)
    torch.nn.functional.cross_entropy(tx, torch.tensor(labels)).backward()
    expected = torch.nn.functional.cross_entropy(torch.tensor(rows, dtype=torch.float64), torch.tensor(labels))
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    assert [x.grad for r in xs for x in r] == pytest.approx(tx.grad.flatten().tolist(), abs=1e-12)
