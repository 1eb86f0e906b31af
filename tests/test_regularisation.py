"""L1 and L2 regularisation in the trainer, against PyTorch (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minitorch.training import TrainConfig, Trainer

BASE = {"dataset": "moons", "n_samples": 40, "hidden_layers": [3], "activation": "tanh", "loss": "mse",
        "optimizer": "sgd", "lr": 0.1, "batch_size": 40, "test_fraction": 0.25, "seed": 4}


def torch_step(trainer: Trainer, l1: float, l2: float) -> dict[str, np.ndarray]:
    """One full-batch SGD step of the same model in torch, from the trainer's current weights."""
    state = trainer.state_dict()
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1), torch.nn.Tanh()).double()
    net.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    x = torch.tensor(trainer._x_train)
    y = torch.tensor(np.asarray(trainer.data.y_train, dtype=float)).reshape(-1, 1)
    loss = torch.nn.functional.mse_loss(net(x), y)
    params = list(net.parameters())
    loss = loss + l1 * sum(p.abs().sum() for p in params) + l2 * sum((p * p).sum() for p in params)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    return {k: v.detach().numpy() for k, v in net.state_dict().items()}


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("l1, l2", [(0.05, 0.0), (0.0, 0.05), (0.02, 0.03)])
def test_one_regularised_step_matches_torch(engine, l1, l2):
    trainer = Trainer(TrainConfig.from_dict({**BASE, "engine": engine, "l1": l1, "l2": l2}))
    expected = torch_step(trainer, l1, l2)
    trainer.step()
    for key, value in trainer.state_dict().items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-10, atol=1e-12)


def test_l1_is_validated_and_live():
    with pytest.raises(ValueError, match="TrainConfig.l1"):
        TrainConfig.from_dict({**BASE, "l1": -1.0})
    trainer = Trainer(TrainConfig.from_dict(BASE))
    trainer.set_hyperparameters(l1=0.5)
    assert trainer.config.l1 == 0.5 and trainer.spec.l1 == 0.5
    with_penalty = trainer.step()["loss"]
    data_only = Trainer(TrainConfig.from_dict(BASE)).step()["loss"]
    assert with_penalty > data_only  # the objective now includes 0.5 * sum(|w|)


def test_init_seed_changes_the_weights_and_not_the_data():
    first = Trainer(TrainConfig.from_dict(BASE))
    other = Trainer(TrainConfig.from_dict({**BASE, "init_seed": 9}))
    same = Trainer(TrainConfig.from_dict({**BASE, "init_seed": 9}))
    np.testing.assert_array_equal(first.data.x_train, other.data.x_train)
    assert not np.array_equal(first.state_dict()["0.weight"], other.state_dict()["0.weight"])
    np.testing.assert_array_equal(other.state_dict()["0.weight"], same.state_dict()["0.weight"])
    with pytest.raises(ValueError, match="TrainConfig.init_seed"):
        TrainConfig.from_dict({**BASE, "init_seed": -2})
