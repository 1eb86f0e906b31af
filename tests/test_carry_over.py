"""Carrying a trained model over to a new Trainer when only training settings change."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minitorch.training import TrainConfig, Trainer
from minitorch.training.carry_over import carry_over

BASE = {"dataset": "moons", "n_samples": 60, "hidden_layers": [4, 3], "lr": 0.05, "batch_size": 8, "seed": 1}


def trained(**changes) -> Trainer:
    trainer = Trainer(TrainConfig.from_dict({**BASE, **changes}))
    trainer.run(7)
    return trainer


def torch_outputs(state, x):
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3), torch.nn.Tanh(),
                              torch.nn.Linear(3, 1), torch.nn.Tanh()).double()
    net.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in state.items()})
    with torch.no_grad():
        return net(torch.tensor(x)).numpy()


@pytest.mark.parametrize("engines", [("scalar", "tensor"), ("tensor", "scalar")])
def test_another_engine_continues_with_the_same_weights_step_and_history(engines):
    old = trained(engine=engines[0])
    new = Trainer(TrainConfig.from_dict({**BASE, "engine": engines[1]}))
    note = carry_over(old, new)
    assert note is not None and "engine" in note and "step 7" in note
    assert new.step_count == 7 and new.epoch == old.epoch and new.history == old.history
    for key, value in old.state_dict().items():
        np.testing.assert_array_equal(new.state_dict()[key], value)
    x = old.data.x_test
    np.testing.assert_allclose(new.predict(x), old.predict(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.ravel(new.predict(x)), np.ravel(torch_outputs(old.state_dict(), x)), atol=1e-12)
    new.step()
    assert new.step_count == 8 and new.history[-1]["step"] == 8


def test_another_optimizer_keeps_the_weights_with_fresh_moments():
    old = trained(optimizer="adam")
    new = Trainer(TrainConfig.from_dict({**BASE, "optimizer": "sgd"}))
    note = carry_over(old, new)
    assert "optimizer" in note and "fresh moments" in note
    assert new.step_count == 7 and not new.optimizer.state


@pytest.mark.parametrize("changes", [{"hidden_layers": [5, 3]}, {"dataset": "circles"}, {"activation": "relu"},
                                     {"seed": 2}, {"loss": "bce_logits"}])
def test_a_different_model_or_data_starts_fresh(changes):
    old = trained()
    new = Trainer(TrainConfig.from_dict({**BASE, **changes}))
    before = new.state_dict()
    assert carry_over(old, new) is None
    assert new.step_count == 0 and new.history == []
    for key, value in before.items():
        np.testing.assert_array_equal(new.state_dict()[key], value)


def test_nothing_to_carry_without_an_old_trainer():
    assert carry_over(None, Trainer(TrainConfig.from_dict(BASE))) is None


def test_loading_weights_refreshes_the_latest_metrics():
    source = trained()
    target = Trainer(TrainConfig.from_dict(BASE))
    assert target.last_metrics == {}
    target.load_state_dict(source.state_dict())
    expected = source.evaluate()
    assert target.last_metrics["train_loss"] == pytest.approx(expected["train_loss"], rel=1e-12)
    assert target.last_metrics["test_acc"] == pytest.approx(expected["test_acc"])
