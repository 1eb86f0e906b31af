"""Optimizers and schedulers follow torch.optim's trajectories to 1e-12 in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minitorch.engine import Scalar
from minitorch.optim import SGD, Adam, AdamW, CosineAnnealingLR, RMSprop, StepLR

START = np.array([1.5, -0.7, 0.2, 3.0, -2.2])
CURVATURE = np.array([1.0, 0.5, 2.0, 0.1, 1.3])
CENTRE = np.array([0.3, 0.1, -0.4, 1.0, 0.0])
STEPS = 50


class ArrayParam:
    """A stand-in for an n-d parameter: ``.data`` a numpy array, ``.grad`` an array or None."""

    def __init__(self, values: np.ndarray) -> None:
        self.data = values.astype(np.float64).copy()
        self.grad = None


def _grad(values: np.ndarray) -> np.ndarray:
    return CURVATURE * (values - CENTRE)  # gradient of 0.5 * sum(a * (p - c)^2)


CASES = [
    (SGD, torch.optim.SGD, dict(lr=0.1)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    (Adam, torch.optim.Adam, dict(lr=0.05)),
    (Adam, torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    (Adam, torch.optim.Adam, dict(lr=0.02, amsgrad=True)),
    (AdamW, torch.optim.AdamW, dict(lr=0.05)),
    (AdamW, torch.optim.AdamW, dict(lr=0.03, weight_decay=0.2, betas=(0.85, 0.98))),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.02)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.005, centered=True, momentum=0.3)),
]
IDS = [f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, _, kw in CASES]


def _torch_trajectory(torch_cls, kwargs, change_lr_at=None):
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch_cls([p], **kwargs)
    out = []
    for i in range(STEPS):
        if i == change_lr_at:
            opt.param_groups[0]["lr"] = 0.5 * opt.param_groups[0]["lr"]
        p.grad = torch.from_numpy(_grad(p.detach().numpy()))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=IDS)
def test_array_parameters_follow_torch(ours, theirs, kwargs):
    p = ArrayParam(START)
    opt = ours([p], **kwargs)
    out = []
    for i in range(STEPS):
        if i == 25:
            opt.lr = 0.5 * opt.lr  # a live change, as the playground makes
        p.grad = _grad(p.data)
        opt.step()
        out.append(p.data.copy())
    np.testing.assert_allclose(np.array(out), _torch_trajectory(theirs, kwargs, change_lr_at=25), rtol=0, atol=1e-12)


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=IDS)
def test_scalar_tensors_follow_torch(ours, theirs, kwargs):
    params = [Scalar(float(v)) for v in START]
    opt = ours(params, **kwargs)
    out = []
    for i in range(STEPS):
        if i == 25:
            opt.param_groups[0]["lr"] *= 0.5  # PyTorch's way
        opt.zero_grad()
        assert all(p.grad == 0 for p in params)
        for p, g in zip(params, _grad(np.array([q.data for q in params]))):
            p.grad = float(g)
        opt.step()
        out.append([p.data for p in params])
    np.testing.assert_allclose(np.array(out), _torch_trajectory(theirs, kwargs, change_lr_at=25), rtol=0, atol=1e-12)


def test_none_gradients_are_skipped_and_zero_grad_sets_none():
    used, unused = ArrayParam(START), ArrayParam(START)
    opt = Adam([used, unused], lr=0.1)
    used.grad = _grad(used.data)
    opt.step()
    assert not np.array_equal(used.data, START)
    np.testing.assert_array_equal(unused.data, START)
    opt.zero_grad()
    assert used.grad is None


def test_param_groups_have_their_own_lr():
    a, b = Scalar(1.0), Scalar(1.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == (pytest.approx(0.9), pytest.approx(0.5))
    opt.lr = 0.01
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]


def test_bad_hyperparameters_are_rejected():
    p = [Scalar(1.0)]
    with pytest.raises(ValueError, match="learning rate"):
        SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        Adam(p, betas=(0.9, 1.5))
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam([])
    with pytest.raises(ValueError, match="alpha"):
        RMSprop(p, alpha=2.0)
    opt = SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = float("nan")


def test_optimizer_state_dict_round_trip():
    p = ArrayParam(START)
    opt = Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = _grad(p.data)
        opt.step()
    saved = opt.state_dict()
    q = ArrayParam(p.data)
    other = Adam([q], lr=0.1)
    other.load_state_dict(saved)
    p.grad, q.grad = _grad(p.data), _grad(q.data)
    opt.step()
    other.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [(StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=7, gamma=0.5)),
     (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, dict(T_max=10, eta_min=0.001))],
)
def test_schedulers_match_torch(ours, theirs, kwargs):
    opt = SGD([Scalar(1.0)], lr=0.1)
    sched = ours(opt, **kwargs)
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.1)
    tsched = theirs(topt, **kwargs)
    ours_lrs, torch_lrs = [], []
    for _ in range(45):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        ours_lrs.append(sched.get_last_lr()[0])
        torch_lrs.append(tsched.get_last_lr()[0])
    np.testing.assert_allclose(ours_lrs, torch_lrs, rtol=1e-12, atol=1e-15)
    assert opt.lr == ours_lrs[-1]


@pytest.mark.parametrize("ours, theirs, kwargs", [CASES[2], CASES[5], CASES[8], CASES[11]],
                         ids=[IDS[2], IDS[5], IDS[8], IDS[11]])
def test_n_d_layer_parameters_follow_torch(ours, theirs, kwargs):
    """The optimizers update minitorch.nn.Linear's Parameters in place, as torch updates nn.Linear's."""
    from minitorch.nn import Linear

    layer = Linear(3, 2, dtype="float64")
    tlayer = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tlayer.weight.copy_(torch.from_numpy(np.asarray(layer.weight.data)))
        tlayer.bias.copy_(torch.from_numpy(np.asarray(layer.bias.data)))
    opt, topt = ours(layer.parameters(), **kwargs), theirs(tlayer.parameters(), **kwargs)
    for _ in range(STEPS):
        opt.zero_grad()
        topt.zero_grad()
        for p, tp in zip(layer.parameters(), tlayer.parameters()):
            grad = 0.7 * np.asarray(p.data) - 0.2  # a fixed quadratic's gradient
            p.grad = grad
            tp.grad = torch.from_numpy(grad.copy())
        opt.step()
        topt.step()
    for p, tp in zip(layer.parameters(), tlayer.parameters()):
        np.testing.assert_allclose(np.asarray(p.data), tp.detach().numpy(), rtol=0, atol=1e-12)
