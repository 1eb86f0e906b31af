"""The trainer's engine="tensor": same architecture and start as engine="scalar", same losses in float64."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from minitorch.nn import Sequential
from minitorch.training import TrainConfig, Trainer

CASES = [
    dict(dataset="moons", loss="mse", activation="tanh", optimizer="sgd", lr=0.1),
    dict(dataset="circles", loss="bce_logits", activation="relu", optimizer="adam", lr=0.02, l2=1e-3),
    dict(dataset="spiral3", loss="cross_entropy", activation="leaky_relu", optimizer="adam", lr=0.01),
    dict(dataset="moons", loss="hinge", activation="sigmoid", optimizer="sgd", lr=0.05, momentum=0.9),
    dict(dataset="sine", loss="l1", activation="tanh", optimizer="rmsprop", lr=0.01),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["loss"])
def test_tensor_engine_matches_scalar_engine_in_float64(case):
    common = dict(n_samples=60, hidden_layers=[6, 5], batch_size=16, seed=3, dtype="float64", **case)
    scalar = Trainer(TrainConfig(engine="scalar", **common))
    tensor = Trainer(TrainConfig(engine="tensor", **common))
    assert isinstance(tensor.model, Sequential)
    for key, value in scalar.state_dict().items():
        np.testing.assert_array_equal(tensor.state_dict()[key], value)  # the same start
    for _ in range(12):
        a, b = scalar.step()["loss"], tensor.step()["loss"]
        assert math.isfinite(a) and abs(a - b) <= 1e-9 * max(1.0, abs(a)), (a, b)
    for key, value in scalar.state_dict().items():
        np.testing.assert_allclose(tensor.state_dict()[key], value, rtol=1e-8, atol=1e-10)
    grid_x = np.array([[0.1, 0.2], [-0.5, 0.3]]) if case["dataset"] != "sine" else np.array([[0.1], [0.5]])
    np.testing.assert_allclose(tensor.predict(grid_x), scalar.predict(grid_x), rtol=1e-8, atol=1e-10)
    scalar_eval, tensor_eval = scalar.evaluate(), tensor.evaluate()
    assert abs(scalar_eval["test_loss"] - tensor_eval["test_loss"]) < 1e-8


def test_tensor_engine_trains_a_bigger_net_quickly_and_exposes_layer_maps():
    cfg = TrainConfig(dataset="moons", n_samples=200, hidden_layers=[32, 32], activation="relu", loss="bce_logits",
                      optimizer="adam", lr=0.02, batch_size=64, engine="tensor", seed=0)
    trainer = Trainer(cfg)
    trainer.run(200)
    assert trainer.evaluate()["test_acc"] > 0.9
    grids = trainer.neuron_grids((-1, 2), (-1, 1), 10)
    assert len(grids) == 3 and len(grids[0]) == 32 and grids[0][0].shape == (10, 10)
    snap = trainer.snapshot()
    assert set(snap.state_dict) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}


def test_tensor_engine_float32():
    cfg = TrainConfig(dataset="moons", n_samples=50, hidden_layers=[4], engine="tensor", dtype="float32")
    trainer = Trainer(cfg)
    assert trainer.model[0].weight.dtype == np.float32
    assert math.isfinite(trainer.step()["loss"])


def test_digits_example_short_run():
    """The examples/digits_cnn.py script's pieces work end to end (a short run; the full one is in docs)."""
    path = Path(__file__).resolve().parents[1] / "examples" / "digits_cnn.py"
    spec = importlib.util.spec_from_file_location("digits_cnn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accuracy = module.main(epochs=1, quiet=True)
    assert 0.5 < accuracy <= 1.0


def test_digits_example_reports_a_bad_device_without_a_traceback():
    import subprocess
    import sys

    path = Path(__file__).resolve().parents[1] / "examples" / "digits_cnn.py"
    result = subprocess.run([sys.executable, str(path), "--device", "tpu", "--epochs", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "unknown device 'tpu'" in result.stderr and "Traceback" not in result.stderr


def test_tensor_engine_rejects_unknown_devices_clearly():
    from minitorch.errors import DeviceError

    with pytest.raises(DeviceError, match="tpu"):
        Trainer(TrainConfig(dataset="moons", n_samples=20, engine="tensor", device="tpu"))
