"""TrainConfig validation and JSON, Trainer determinism, divergence, live lr, grids and snapshots."""

from __future__ import annotations

import dataclasses
import json
import math
import random

import numpy as np
import pytest

import minitorch
from minitorch.architecture import ModelSpec
from minitorch.engine import Scalar
from minitorch.training import (
    BACKENDS,
    ENGINES,
    LOSSES,
    ScalarBackend,
    Snapshot,
    TensorBackend,
    TrainConfig,
    Trainer,
    TrainingDivergedError,
    TrainingSpec,
    load_experiment,
)
from minitorch.training import trainer as trainer_module

SMALL = dict(n_samples=60, hidden_layers=[4], batch_size=16)


# --- config ------------------------------------------------------------------------------------------
def test_config_defaults_follow_the_contract():
    cfg = TrainConfig()
    assert (cfg.dataset, cfg.n_samples, cfg.features, cfg.hidden_layers, cfg.loss, cfg.optimizer, cfg.engine) == (
        "moons", 200, ["x1", "x2"], [8, 8], "mse", "adam", "scalar")
    assert cfg.validate() is cfg
    assert cfg.resolved_output_activation() == "tanh"
    assert TrainConfig(loss="bce_logits").resolved_output_activation() == "linear"
    assert TrainConfig(dataset="sine").resolved_output_activation() == "linear"
    assert TrainConfig(loss="hinge", output_activation="tanh").resolved_output_activation() == "tanh"


def test_config_json_round_trip(tmp_path):
    cfg = TrainConfig(dataset="spiral3", loss="cross_entropy", hidden_layers=[5, 3], betas=(0.8, 0.99),
                      features=["x1", "x2", "sin(x1)"], lr=0.003, seed=9)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    json.dumps(cfg.to_dict())  # plain JSON values
    path = tmp_path / "cfg.json"
    cfg.save(path)
    assert TrainConfig.load(path) == cfg
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"dataset": "mnist"}, "dataset"),
        ({"n_samples": 2}, "n_samples"),
        ({"n_samples": 10**9}, "n_samples"),
        ({"noise": -0.1}, "noise"),
        ({"test_fraction": 0.95}, "test_fraction"),
        ({"features": ["x1", "x9"]}, "features"),
        ({"features": []}, "features"),
        ({"hidden_layers": [8, 0]}, "hidden_layers"),
        ({"hidden_layers": "8,8"}, "hidden_layers"),
        ({"activation": "gelu"}, "activation"),
        ({"loss": "kl"}, "loss"),
        ({"dataset": "sine", "loss": "hinge"}, "loss"),
        ({"dataset": "spiral3", "loss": "mse"}, "loss"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": -1}, "lr"),
        ({"momentum": 1.0}, "momentum"),
        ({"betas": (0.9,)}, "betas"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"engine": "jax"}, "engine"),
        ({"dataset": "csv"}, "csv_path"),
        ({"device": "cuda"}, "device"),
        ({"lr_schedule": "linear"}, "lr_schedule"),
    ],
)
def test_config_validation_names_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"TrainConfig\.{field}"):
        TrainConfig(**changes).validate()
    with pytest.raises(ValueError, match=rf"TrainConfig\.{field}"):
        TrainConfig.from_dict({**TrainConfig().to_dict(), **changes})


def test_config_rejects_unknown_keys_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="unknown field.*'learning_rate'"):
        TrainConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="JSON object"):
        TrainConfig.from_dict([1, 2])
    bad = tmp_path / "bad.json"
    bad.write_text('{"dataset": "moons",')
    with pytest.raises(ValueError, match="not valid JSON"):
        TrainConfig.load(bad)
    wrapped = tmp_path / "v9.json"
    wrapped.write_text(json.dumps({"format": "minitorch-config", "format_version": 9, "config": {}}))
    with pytest.raises(ValueError, match="format_version 9"):
        TrainConfig.load(wrapped)


# --- determinism and learning ----------------------------------------------------------------------------
def _losses(cfg, steps):
    t = Trainer(cfg)
    return [t.step()["loss"] for _ in range(steps)], t


def test_same_config_same_losses_bit_for_bit():
    cfg = TrainConfig(**SMALL, seed=5, optimizer="sgd", momentum=0.9, lr=0.05)
    state = random.getstate()
    first, t1 = _losses(cfg, 12)
    second, t2 = _losses(cfg, 12)
    assert random.getstate() == state  # building a model leaves the global random state alone
    assert first == second
    assert t1.history == t2.history
    other, _ = _losses(dataclasses.replace(cfg, seed=6), 12)
    assert other != first


def test_initial_weights_come_from_the_seeded_mlp():
    t = Trainer(TrainConfig(**SMALL, seed=11))
    expected = t.spec.architecture.initial_state_dict(11)
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(value, expected[key])
    assert list(expected) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert expected["0.weight"].shape == (4, 2)


@pytest.mark.parametrize("loss", ["mse", "l1", "bce_logits", "cross_entropy", "hinge"])
def test_moons_learns_with_every_loss(loss):
    t = Trainer(TrainConfig(n_samples=80, hidden_layers=[8], loss=loss, lr=0.05, batch_size=20, seed=1))
    before = t.evaluate()
    t.run(60)
    after = t.evaluate()
    assert after["train_loss"] < before["train_loss"]
    assert after["train_acc"] >= 0.8
    assert len(t.history) == 60 and t.history[-1]["step"] == 60


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_every_optimizer_trains(optimizer):
    lr = 0.1 if optimizer == "sgd" else 0.02
    t = Trainer(TrainConfig(**SMALL, optimizer=optimizer, lr=lr, momentum=0.5 if optimizer != "adam" else 0.0))
    start = t.evaluate()["train_loss"]
    t.run(30)
    assert t.evaluate()["train_loss"] < start


def test_regression_and_multiclass_tasks():
    reg = Trainer(TrainConfig(dataset="sine", n_samples=60, hidden_layers=[8], lr=0.03, batch_size=20))
    reg.run(40)
    metrics = reg.evaluate()
    assert metrics["train_acc"] is None and metrics["test_acc"] is None and metrics["train_loss"] < 0.5
    multi = Trainer(TrainConfig(dataset="spiral3", loss="cross_entropy", n_samples=60, hidden_layers=[6]))
    assert multi.spec.output_dim == 3
    multi.run(3)
    assert multi.predict(multi.data.x_test).shape == (len(multi.data.x_test), 3)
    assert set(multi.predict_classes(multi.data.x_test)) <= {0, 1, 2}


def test_graph_loss_equals_numpy_loss_on_a_batch():
    for loss in ["mse", "l1", "bce_logits", "hinge", "cross_entropy"]:
        t = Trainer(TrainConfig(**SMALL, loss=loss))
        x, y = t._x_train[:16], t.data.y_train[:16]
        graph_value = t.backend.loss_and_backward(x, y)
        assert graph_value == pytest.approx(LOSSES[loss].numpy(t.backend.predict(x), y), abs=1e-12)


def test_l2_penalty_is_added_to_the_minibatch_objective():
    plain = Trainer(TrainConfig(**SMALL))
    penalised = Trainer(TrainConfig(**SMALL, l2=0.01))
    x, y = plain._x_train[:16], plain.data.y_train[:16]
    weights = sum(float((v ** 2).sum()) for v in plain.state_dict().values())
    assert penalised.backend.loss_and_backward(x, y) == pytest.approx(
        plain.backend.loss_and_backward(x, y) + 0.01 * weights, abs=1e-12)


def test_epochs_and_minibatches_cover_the_training_set():
    t = Trainer(TrainConfig(n_samples=50, test_fraction=0.2, hidden_layers=[3], batch_size=16))
    seen = []
    for _ in range(3):
        seen.extend(t._next_batch().tolist())
    assert sorted(seen) == list(range(40))
    t = Trainer(TrainConfig(n_samples=50, test_fraction=0.2, hidden_layers=[3], batch_size=16))
    epochs = [t.step()["epoch"] for _ in range(6)]
    assert epochs == [0, 0, 1, 1, 1, 2]


# --- divergence ---------------------------------------------------------------------------------------
def test_divergence_stops_training_with_a_reason_and_keeps_good_weights():
    cfg = TrainConfig(dataset="plane", loss="mse", hidden_layers=[8, 8], activation="relu", optimizer="sgd",
                      lr=50.0, n_samples=60)
    t = Trainer(cfg)
    t.run(200)
    assert t.diverged is not None and "diverged at step" in t.diverged and "learning rate" in t.diverged
    assert 0 < len(t.history) < 200
    for entry in t.history:
        assert all(math.isfinite(v) for k, v in entry.items() if isinstance(v, float))
    assert all(np.all(np.isfinite(v)) for v in t.state_dict().values())
    with pytest.raises(TrainingDivergedError, match="reset"):
        t.step()
    assert t.run(10) == t.history  # run() returns at once
    t.reset()
    assert t.diverged is None and t.history == [] and t.step_count == 0


def test_nan_loss_from_the_backend_is_caught(monkeypatch):
    t = Trainer(TrainConfig(**SMALL))
    t.run(3)
    before = t.state_dict()
    monkeypatch.setattr(t.backend, "loss_and_backward", lambda x, y: float("nan"))
    result = t.step()
    assert result["diverged"] == t.diverged and "nan" in t.diverged
    assert len(t.history) == 3 and t.step_count == 3
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


# --- live hyperparameters -------------------------------------------------------------------------------
def test_set_lr_takes_effect_at_the_next_step():
    cfg = TrainConfig(**SMALL, optimizer="sgd", lr=0.1)
    t = Trainer(cfg)
    t.run(2)
    t.set_lr(0.0)
    frozen = t.state_dict()
    t.step()
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(value, frozen[key])
    assert t.lr == 0.0 and t.config.lr == 0.0 and t.history[-1]["lr"] == 0.0
    t.set_hyperparameters(lr=0.2, momentum=0.5, l2=0.01, batch_size=8)
    assert t.optimizer.param_groups[0]["momentum"] == 0.5 and t.spec.l2 == 0.01
    assert len(t._next_batch()) == 8
    with pytest.raises(ValueError, match="TrainConfig.lr"):
        t.set_lr(-1.0)
    assert t.lr == 0.2
    with pytest.raises(ValueError, match="cannot change hidden_layers"):
        t.set_hyperparameters(hidden_layers=[3])


def test_run_callback_and_cancellation():
    t = Trainer(TrainConfig(**SMALL))
    seen = []
    t.run(50, callback=seen.append, should_stop=lambda: len(seen) >= 7)
    assert len(seen) == 7 and t.step_count == 7
    assert {"step", "epoch", "loss", "train_loss", "test_loss", "train_acc", "test_acc"} <= set(seen[-1])
    with pytest.raises(ValueError, match="steps"):
        t.run(-1)


def test_eval_every_thins_the_history():
    t = Trainer(TrainConfig(**SMALL, eval_every=5))
    t.run(12)
    assert [h["step"] for h in t.history] == [1, 5, 10]


def test_lr_schedules():
    t = Trainer(TrainConfig(**SMALL, optimizer="sgd", lr=0.1, lr_schedule="step", lr_step_size=2, lr_gamma=0.5))
    t.run(4)
    assert [h["lr"] for h in t.history] == pytest.approx([0.1, 0.05, 0.05, 0.025])
    c = Trainer(TrainConfig(**SMALL, lr=0.1, lr_schedule="cosine", lr_t_max=4))
    c.run(4)
    assert c.lr == pytest.approx(0.0, abs=1e-15)


# --- prediction without a graph ----------------------------------------------------------------------------
def test_predict_matches_the_scalar_graph_forward():
    t = Trainer(TrainConfig(**SMALL, features=["x1", "x2", "x1*x2", "sin(x2)"], activation="relu"))
    t.run(3)
    x = np.array([[0.3, -0.2], [1.5, 0.7], [-1.0, -1.0]])
    feats = np.column_stack([x[:, 0], x[:, 1], x[:, 0] * x[:, 1], np.sin(x[:, 1])])
    graph = [t.model(row.tolist()).data for row in feats]
    np.testing.assert_allclose(t.predict(x), graph, rtol=0, atol=1e-12)


def test_predict_grid_and_neuron_grids():
    t = Trainer(TrainConfig(**{**SMALL, "hidden_layers": [8, 8]}))
    grads_before = [p.grad for p in t.model.parameters()]
    grid = t.predict_grid((-2, 2), (-1, 1), 100)
    assert grid.shape == (100, 100)
    assert [p.grad for p in t.model.parameters()] == grads_before  # nothing touched the graph
    xs, ys = np.linspace(-2, 2, 100), np.linspace(-1, 1, 100)
    assert grid[7, 42] == pytest.approx(float(t.predict(np.array([[xs[42], ys[7]]]))[0]), abs=1e-12)
    maps = t.neuron_grids((-2, 2), (-1, 1), 20)
    assert [len(layer) for layer in maps] == [8, 8, 1]
    assert all(m.shape == (20, 20) for layer in maps for m in layer)
    np.testing.assert_allclose(maps[-1][0], t.predict_grid((-2, 2), (-1, 1), 20), atol=1e-12)
    features = t.feature_grids((-2, 2), (-1, 1), 10)
    np.testing.assert_allclose(features[0][3], np.linspace(-2, 2, 10))
    with pytest.raises(ValueError, match="resolution"):
        t.predict_grid((-1, 1), (-1, 1), 1)


def test_predict_grid_for_1d_multiclass_and_wide_data():
    sine = Trainer(TrainConfig(dataset="sine", n_samples=30, hidden_layers=[4]))
    grid = sine.predict_grid((-3, 3), (-1, 1), 12)
    assert np.all(grid == grid[0])
    np.testing.assert_allclose(grid[0], sine.predict(np.linspace(-3, 3, 12)), atol=1e-12)
    multi = Trainer(TrainConfig(dataset="spiral3", loss="cross_entropy", n_samples=30, hidden_layers=[4]))
    assert set(np.unique(multi.predict_grid((-1, 1), (-1, 1), 10))) <= {0.0, 1.0, 2.0}
    iris = Trainer(TrainConfig(dataset="iris", loss="cross_entropy", hidden_layers=[4]))
    with pytest.raises(ValueError, match="1-D or 2-D inputs"):
        iris.predict_grid((-1, 1), (-1, 1), 10)
    with pytest.raises(ValueError, match=r"shape \(n, 4\)"):
        iris.predict(np.zeros((2, 3)))


# --- snapshots and state ------------------------------------------------------------------------------------
def test_a_snapshots_history_is_a_view_that_keeps_its_length_and_survives_a_restart():
    from minitorch.live.process import HistoryReceiver, HistorySender

    t = Trainer(TrainConfig(**SMALL))
    t.run(3)
    view = t.snapshot().history
    first = [dict(entry) for entry in view]
    t.run(2)
    assert len(view) == 3 and [dict(entry) for entry in view] == first  # training went on; the view did not
    assert view == tuple(t.history[:3]) and view != tuple(t.history) and view[-1]["step"] == 3
    assert view[0:3:2] == (view[0], view[2]) and list(view[::-1]) == [view[2], view[1], view[0]]
    with pytest.raises(IndexError):
        view[3]
    t.reset()
    assert len(view) == 3 and view[-1]["step"] == 3  # a new trainer history is a new list
    # What the window receives: deltas rebuilt into views; a restart (a new generation) leaves old views alone.
    sender, receiver = HistorySender(), HistoryReceiver()
    records = [{"step": i} for i in range(1, 6)]
    old = receiver.decode(**sender.encode(records[:3], generation=1))
    grown = receiver.decode(**sender.encode(records, generation=1))
    assert [r["step"] for r in old] == [1, 2, 3] and [r["step"] for r in grown] == [1, 2, 3, 4, 5]
    restarted = receiver.decode(**sender.encode(records[:1], generation=2))
    assert [r["step"] for r in restarted] == [1] and [r["step"] for r in grown] == [1, 2, 3, 4, 5]


def test_snapshot_is_an_immutable_copy():
    t = Trainer(TrainConfig(**SMALL))
    t.run(4)
    snap = t.snapshot()
    assert isinstance(snap, Snapshot) and snap.step == 4 and len(snap.history) == 4 and snap.lr == t.lr
    assert snap.engine == "scalar" and snap.task == "classification" and snap.diverged is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.step = 9
    with pytest.raises(TypeError):
        snap.metrics["train_loss"] = 0.0
    with pytest.raises(TypeError):
        snap.history[0]["step"] = 0
    with pytest.raises(ValueError):
        snap.state_dict["0.weight"][0, 0] = 1.0
    kept = {k: v.copy() for k, v in snap.state_dict.items()}
    t.run(3)
    assert snap.step == 4 and len(snap.history) == 4
    for key, value in snap.state_dict.items():
        np.testing.assert_array_equal(value, kept[key])


def test_state_dict_round_trip_and_validation():
    a = Trainer(TrainConfig(**SMALL, seed=1))
    b = Trainer(TrainConfig(**SMALL, seed=2))
    a.run(3)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.predict(a.data.x_test), b.predict(a.data.x_test))
    before = b.state_dict()
    bad = dict(a.state_dict())
    bad["2.weight"] = np.zeros((1, 5))
    with pytest.raises(ValueError, match="shape"):
        b.load_state_dict(bad)
    for key, value in b.state_dict().items():
        np.testing.assert_array_equal(value, before[key])  # all-or-nothing


def test_reset_with_a_new_seed_changes_the_weights():
    t = Trainer(TrainConfig(**SMALL, seed=1))
    first = t.state_dict()
    t.run(2)
    t.reset()
    np.testing.assert_array_equal(t.state_dict()["0.weight"], first["0.weight"])
    t.reset(seed=2)
    assert t.config.seed == 2 and not np.array_equal(t.state_dict()["0.weight"], first["0.weight"])


# --- the backend seam -------------------------------------------------------------------------------------
def test_every_engine_has_a_backend():
    assert BACKENDS == {"scalar": ScalarBackend, "tensor": TensorBackend}
    assert tuple(BACKENDS) == ENGINES
    with pytest.raises(ValueError, match="TrainConfig.engine: must be one of 'scalar', 'tensor', got 'jax'"):
        Trainer(TrainConfig(**SMALL, engine="jax"))


def test_a_registered_backend_is_used(monkeypatch):
    class CountingBackend(ScalarBackend):
        calls = 0

        def loss_and_backward(self, x, y):
            CountingBackend.calls += 1
            return super().loss_and_backward(x, y)

    monkeypatch.setitem(trainer_module.BACKENDS, "scalar", CountingBackend)
    Trainer(TrainConfig(**SMALL)).run(2)
    assert CountingBackend.calls == 2


def test_training_spec():
    spec = TrainingSpec(ModelSpec.mlp(3, (4, 5), 2, activation="relu", output_activation="linear"),
                        loss="cross_entropy")
    assert spec.sizes == [3, 4, 5, 2] and spec.activations() == ["relu", "relu", "linear"]
    assert isinstance(ScalarBackend(spec).parameters()[0], Scalar)
    assert TensorBackend(spec).state_dict().keys() == ScalarBackend(spec).state_dict().keys()


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spiral", "regression"])
def test_example_configs_open_and_train(name):
    t = load_experiment(f"assets/examples/{name}.json")
    t.set_hyperparameters(batch_size=8)
    t.run(2)
    assert t.step_count == 2 and t.diverged is None


def test_tensor_engine_starts_from_the_same_weights_and_follows_the_scalar_losses():
    cfg = TrainConfig(**SMALL, seed=3, optimizer="adam", lr=0.05)
    scalar, tensor = Trainer(cfg), Trainer(dataclasses.replace(cfg, engine="tensor"))
    for key, value in scalar.state_dict().items():
        np.testing.assert_array_equal(tensor.state_dict()[key], value)
    for _ in range(8):
        assert tensor.step()["loss"] == pytest.approx(scalar.step()["loss"], abs=1e-9)
    np.testing.assert_allclose(tensor.predict_grid((-1, 1), (-1, 1), 10),
                               scalar.predict_grid((-1, 1), (-1, 1), 10), atol=1e-9)


def test_divergence_between_evaluations_rolls_back_to_finite_weights():
    cfg = TrainConfig(dataset="plane", loss="mse", hidden_layers=[8, 8], activation="relu", optimizer="sgd",
                      lr=50.0, n_samples=60, eval_every=50)
    t = Trainer(cfg)
    t.run(200)
    assert t.diverged is not None
    assert all(np.all(np.isfinite(v)) for v in t.state_dict().values())
    assert t.optimizer.state == {}
    assert all(math.isfinite(h["train_loss"]) for h in t.history)


@pytest.mark.parametrize("name", ["tanh", "relu", "sigmoid", "leaky_relu", "linear"])
def test_numpy_activations_match_the_engine(name):
    from minitorch.activations import ACTIVATIONS

    entry = ACTIVATIONS[name]
    z = np.array([-800.0, -2.0, -0.0, 0.0, 1e-300, 1.5, 800.0])
    engine = [entry.apply(Scalar(float(v))).data for v in z]
    np.testing.assert_allclose(entry.numpy(z.copy()), engine, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(entry.apply_numpy_inplace(z.copy()), entry.numpy(z.copy()))
    tensor_values = entry.apply(minitorch.tensor(z)).numpy()
    np.testing.assert_allclose(tensor_values, engine, rtol=1e-15, atol=0)


def test_csv_regression_gets_a_linear_output(tmp_path):
    path = tmp_path / "reg.csv"
    rows = "\n".join(f"{x / 10:.2f},{3 * x / 10 + 5:.3f}" for x in range(30))
    path.write_text("x,y\n" + rows + "\n")
    t = Trainer(TrainConfig(dataset="csv", csv_path=str(path), hidden_layers=[4]))
    assert t.task == "regression" and t.spec.output_activation == "linear"
    t.run(3)
    assert t.evaluate()["train_acc"] is None


def test_the_playgrounds_loss_labels_are_the_tables():
    from gui.panels.training_controls import CLASSIFICATION_LOSSES
    from gui.panels.training_controls import LOSSES as SHOWN

    assert SHOWN == tuple((name, loss.label) for name, loss in LOSSES.items())
    assert CLASSIFICATION_LOSSES == {name for name, loss in LOSSES.items() if not loss.regression}
