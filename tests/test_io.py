"""Weight export/import in every format, PyTorch equivalence, bad files, atomic writes, experiments."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
import torch

from minitorch import io
from minitorch.errors import ShapeError
from minitorch.fileio import FormatError
from minitorch.nn import MLP
from minitorch.training import TrainConfig, Trainer, load_experiment, save_experiment

FORMATS = ["json", "safetensors", "pt"]


def _mlp(activation="tanh", output_activation="linear", seed=0, sizes=(3, [5, 4, 2])):
    random.seed(seed)
    return MLP(sizes[0], sizes[1], activation, output_activation)


def _weights(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


def _assert_same(a, b):
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_a_model(tmp_path, fmt):
    model = _mlp("relu", "sigmoid")
    path = tmp_path / f"model.{fmt}"
    io.save(model, path, metadata={"note": "hello"})
    ckpt = io.load(path)
    _assert_same(ckpt.state_dict, _weights(model))
    assert ckpt.format == fmt
    assert ckpt.architecture["sizes"] == [3, 5, 4, 2]
    if fmt != "pt":  # a .pt file is a plain state_dict: no room for metadata
        assert ckpt.architecture["activation"] == "relu" and ckpt.metadata["note"] == "hello"
        rebuilt = ckpt.build_model()
        x = [0.1, -0.2, 0.3]
        assert [v.data for v in rebuilt(x)] == [v.data for v in model(x)]
    other = _mlp("relu", "sigmoid", seed=1)
    io.load_into(other, path)
    _assert_same(_weights(other), _weights(model))


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_a_trainer_and_a_state_dict(tmp_path, fmt):
    trainer = Trainer(TrainConfig(n_samples=40, hidden_layers=[4], activation="relu"))
    trainer.run(3)
    path = tmp_path / f"t.{fmt}"
    io.save(trainer, path)
    fresh = Trainer(TrainConfig(n_samples=40, hidden_layers=[4], activation="relu", seed=3))
    io.load_into(fresh, path)
    np.testing.assert_array_equal(fresh.predict(trainer.data.x_test), trainer.predict(trainer.data.x_test))
    if fmt == "json":
        assert json.loads(path.read_text())["metadata"]["training"]["step"] == 3
    raw = tmp_path / f"raw.{fmt}"
    io.save(trainer.state_dict(), raw)
    ckpt = io.load(raw)
    _assert_same(ckpt.state_dict, trainer.state_dict())
    assert ckpt.architecture["activation"] is None  # a bare state_dict does not know its activations


def test_json_is_human_readable(tmp_path):
    path = tmp_path / "m.json"
    io.save(_mlp(), path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "minitorch-weights" and doc["format_version"] == 1
    assert doc["architecture"] == {"type": "mlp", "sizes": [3, 5, 4, 2], "activation": "tanh",
                                   "output_activation": "linear"}
    assert doc["shapes"]["0.weight"] == [5, 3] and len(doc["state_dict"]["0.weight"]) == 5
    assert "saved_at" in doc["metadata"]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu", "linear"])
@pytest.mark.parametrize("output_activation", ["linear", "tanh"])
def test_to_torch_matches_our_outputs(activation, output_activation):
    model = _mlp(activation, output_activation)
    net = io.to_torch(model)
    assert isinstance(net, torch.nn.Sequential)
    xs = np.random.default_rng(0).normal(size=(20, 3))
    theirs = net(torch.from_numpy(xs)).detach().numpy()
    ours = np.array([[v.data for v in model(x.tolist())] for x in xs])
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)


def test_to_torch_of_a_trainer_matches_predict():
    trainer = Trainer(TrainConfig(n_samples=40, hidden_layers=[6, 6], loss="bce_logits"))
    trainer.run(2)
    net = io.to_torch(trainer)
    x = trainer.data.x_test
    np.testing.assert_allclose(net(torch.from_numpy(x)).detach().numpy()[:, 0], trainer.predict(x), atol=1e-12)


def test_pt_file_loads_into_torch_sequential_with_weights_only(tmp_path):
    model = _mlp("relu", "linear")
    path = tmp_path / "m.pt"
    io.save(model, path)
    state = torch.load(path, weights_only=True)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4), torch.nn.ReLU(),
                              torch.nn.Linear(4, 2)).double()
    net.load_state_dict(state)
    x = [0.5, -1.0, 2.0]
    np.testing.assert_allclose(net(torch.tensor([x], dtype=torch.float64)).detach().numpy()[0],
                               [v.data for v in model(x)], atol=1e-12)
    # and the other way: weights trained in torch come in through the same door
    torch.save(net.state_dict(), tmp_path / "from_torch.pt")
    other = _mlp("relu", "linear", seed=5)
    io.load_into(other, tmp_path / "from_torch.pt")
    _assert_same(_weights(other), {k: v.numpy() for k, v in net.state_dict().items()})


def test_safetensors_metadata_holds_the_architecture(tmp_path):
    from safetensors import safe_open

    path = tmp_path / "m.safetensors"
    io.save(_mlp(), path)
    with safe_open(str(path), framework="np") as handle:
        meta = handle.metadata()
        assert json.loads(meta["architecture"])["sizes"] == [3, 5, 4, 2]
        assert handle.get_tensor("2.weight").shape == (4, 5)


# --- bad files: each a clear error, the model untouched --------------------------------------------------
def _json_doc(tmp_path):
    path = tmp_path / "good.json"
    io.save(_mlp(), path)
    return json.loads(path.read_text())


def _edit(doc, change):
    doc = json.loads(json.dumps(doc))
    change(doc)
    return doc


BAD_JSON = [
    ("missing key", lambda d: (d["state_dict"].pop("2.bias"), d["shapes"].pop("2.bias")), FormatError,
     "missing keys: 2.bias"),
    ("extra key", lambda d: (d["state_dict"].update({"9.weight": [[1.0]]}), d["shapes"].update({"9.weight": [1, 1]})),
     FormatError, "unexpected keys: 9.weight"),
    ("wrong shape", lambda d: (d["state_dict"].update({"0.bias": [1.0] * 4}), d["shapes"].update({"0.bias": [4]})),
     ShapeError, r"'0.bias' has shape \(4,\)"),
    ("shape lie", lambda d: d["shapes"].update({"0.bias": [6]}), ShapeError, "the file says"),
    ("infinite", lambda d: d["state_dict"]["0.bias"].__setitem__(0, 1e999), ValueError, "NaN or infinite"),
    ("string", lambda d: d["state_dict"]["0.bias"].__setitem__(0, "x"), FormatError, "not numeric"),
    ("ragged", lambda d: d["state_dict"]["0.weight"][1].pop(), FormatError, "ragged"),
    ("version", lambda d: d.update({"format_version": 7}), FormatError, "unsupported format_version 7"),
    ("not ours", lambda d: d.pop("format"), FormatError, "not a minitorch weights file"),
    ("architecture", lambda d: d["architecture"].update({"activation": "swish"}), FormatError, "swish"),
    ("no state", lambda d: d.pop("state_dict"), FormatError, "no 'state_dict'"),
]


@pytest.mark.parametrize("name, change, error, message", BAD_JSON, ids=[b[0] for b in BAD_JSON])
def test_bad_json_files(tmp_path, name, change, error, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_edit(_json_doc(tmp_path), change)))
    target = _mlp(seed=3)
    before = _weights(target)
    with pytest.raises(error, match=message):
        io.load_into(target, path)
    _assert_same(_weights(target), before)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_literals_in_json(tmp_path, literal):
    doc = _json_doc(tmp_path)
    doc["state_dict"]["0.bias"][0] = 12345.5
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(doc).replace("12345.5", literal))
    with pytest.raises(ValueError, match="NaN or infinite"):
        io.load(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_and_corrupt_files(tmp_path, fmt):
    path = tmp_path / f"m.{fmt}"
    io.save(_mlp(), path)
    data = path.read_bytes()
    truncated = tmp_path / f"cut.{fmt}"
    truncated.write_bytes(data[: len(data) // 2])
    target = _mlp(seed=4)
    before = _weights(target)
    with pytest.raises(FormatError):
        io.load_into(target, truncated)
    garbage = tmp_path / f"junk.{fmt}"
    garbage.write_bytes(os.urandom(300))
    with pytest.raises(FormatError):
        io.load_into(target, garbage)
    empty = tmp_path / f"empty.{fmt}"
    empty.write_bytes(b"")
    with pytest.raises(FormatError):
        io.load(empty)
    _assert_same(_weights(target), before)


def test_files_that_are_not_ours(tmp_path):
    import safetensors.numpy

    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(safetensors.numpy.save({"0.weight": np.zeros((2, 2))}))
    with pytest.raises(FormatError, match="not one written by minitorch"):
        io.load(foreign)
    tensor_only = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor_only)
    with pytest.raises(FormatError, match="does not hold a state_dict"):
        io.load(tensor_only)
    conv = tmp_path / "conv.pt"
    torch.save(torch.nn.Conv2d(1, 2, 3).state_dict(), conv)
    with pytest.raises((FormatError, ShapeError)):
        io.load(conv)
    other_keys = tmp_path / "keys.pt"
    torch.save({"encoder.weight": torch.zeros(2, 2)}, other_keys)
    with pytest.raises(FormatError, match="not those of a torch.nn.Sequential"):
        io.load(other_keys)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2, 3]")
    with pytest.raises(FormatError, match="not a minitorch file"):
        io.load(listing)
    with pytest.raises(ValueError, match="unknown weights format '.h5'"):
        io.save(_mlp(), tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "missing.json")


def test_architecture_mismatch_with_the_target(tmp_path):
    path = tmp_path / "m.json"
    io.save(_mlp("relu"), path)
    wrong_size = MLP(3, [5, 2])
    with pytest.raises(ShapeError, match=r"MLP\(3, 5, 4, 2\)"):
        io.load_into(wrong_size, path)
    wrong_activation = _mlp("tanh")
    before = _weights(wrong_activation)
    with pytest.raises(ValueError, match="activation 'relu'"):
        io.load_into(wrong_activation, path)
    _assert_same(_weights(wrong_activation), before)
    io.load_into(wrong_activation, path, check_activations=False)


def test_saving_non_finite_weights_is_refused(tmp_path):
    state = _weights(_mlp())
    state["0.bias"][0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        io.save(state, tmp_path / "nan.json")
    assert not list(tmp_path.iterdir())


# --- atomic writes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"m.{fmt}"
    io.save(_mlp(seed=0), path)
    original = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        io.save(_mlp(seed=1), path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


# --- experiments ------------------------------------------------------------------------------------------
def test_experiment_round_trip_and_continue(tmp_path):
    cfg = TrainConfig(dataset="circles", n_samples=60, hidden_layers=[5], features=["x1", "x2", "x1^2", "x2^2"],
                      loss="bce_logits", seed=4)
    trainer = Trainer(cfg)
    trainer.run(6)
    path = tmp_path / "run.json"
    save_experiment(trainer, path, metadata={"title": "lesson 1"})
    again = load_experiment(path)
    assert again.config == trainer.config
    assert again.history == trainer.history and again.step_count == 6 and again.epoch == trainer.epoch
    np.testing.assert_array_equal(again.predict(trainer.data.x_test), trainer.predict(trainer.data.x_test))
    again.run(2)
    assert again.history[-1]["step"] == 8
    assert io.load(path).state_dict.keys() == trainer.state_dict().keys()  # weights readable on their own


def test_config_files_open_as_fresh_trainers(tmp_path):
    cfg = TrainConfig(dataset="xor", hidden_layers=[3])
    saved = tmp_path / "cfg.json"
    cfg.save(saved)
    assert load_experiment(saved).config == cfg
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"dataset": "xor", "hidden_layers": [3]}))
    assert load_experiment(bare).config == cfg


def test_bad_experiment_files(tmp_path):
    trainer = Trainer(TrainConfig(n_samples=40, hidden_layers=[3]))
    trainer.run(2)
    path = tmp_path / "run.json"
    save_experiment(trainer, path)
    doc = json.loads(path.read_text())

    def write(change):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(_edit(doc, change)))
        return bad

    with pytest.raises(FormatError, match="invalid config.*TrainConfig.lr"):
        load_experiment(write(lambda d: d["config"].update({"lr": -3})))
    with pytest.raises(FormatError, match="history entry 1 has a bad train_loss"):
        load_experiment(write(lambda d: d["history"][1].update({"train_loss": "low"})))
    with pytest.raises(ShapeError, match="config builds"):
        load_experiment(write(lambda d: d["config"].update({"hidden_layers": [4]})))
    with pytest.raises(FormatError, match="holds weights only"):
        weights = tmp_path / "w.json"
        io.save(trainer, weights)
        load_experiment(weights)
    with pytest.raises(FormatError, match="not a minitorch experiment"):
        load_experiment(write(lambda d: (d.clear(), d.update({"hello": 1}))))
    truncated = tmp_path / "cut.json"
    truncated.write_text(path.read_text()[:200])
    with pytest.raises(FormatError, match="truncated"):
        load_experiment(truncated)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_snapshot_saves_like_its_trainer(tmp_path, fmt):
    trainer = Trainer(TrainConfig(n_samples=40, hidden_layers=[3], activation="leaky_relu"))
    trainer.run(2)
    snap = trainer.snapshot()
    trainer.run(2)  # the live model moves on; the snapshot does not
    io.save(snap, tmp_path / f"s.{fmt}")
    ckpt = io.load(tmp_path / f"s.{fmt}")
    _assert_same(ckpt.state_dict, dict(snap.state_dict))
    if fmt != "pt":
        assert ckpt.architecture == dict(snap.architecture)


def test_n_d_sequential_round_trip_and_to_torch(tmp_path):
    import minitorch
    from minitorch.nn import layers as L

    net = L.Sequential(L.Linear(2, 3, dtype="float64"), L.ReLU(), L.Linear(3, 1, dtype="float64"), L.Tanh())
    io.save(net, tmp_path / "nd.safetensors")
    assert io.load(tmp_path / "nd.safetensors").architecture["activation"] == "relu"
    x = np.random.default_rng(1).normal(size=(6, 2))
    theirs = io.to_torch(net)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(theirs, np.asarray(net(minitorch.tensor(x)).data), atol=1e-12)
    other = L.Sequential(L.Linear(2, 3, dtype="float64"), L.ReLU(), L.Linear(3, 1, dtype="float64"), L.Tanh())
    io.load_into(other, tmp_path / "nd.safetensors")
    ours, loaded = net(minitorch.tensor(x)).data, other(minitorch.tensor(x)).data
    np.testing.assert_array_equal(np.asarray(loaded), np.asarray(ours))
