"""Image data sets, the image trainer, its files and the headless CLI (no Qt)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from minitorch.architecture import ArchitectureError
from minitorch.errors import ShapeError
from minitorch.images import (
    SHAPE_CLASSES,
    ImageDataError,
    center_drawing,
    folder_classes,
    load_digits,
    load_image_folder,
    make_shapes,
    resize,
)
from minitorch.training.image_trainer import (
    ImageConfigError,
    ImageTrainConfig,
    ImageTrainer,
    export_weights,
    load_image_experiment,
    load_weights_into,
    preset_layers,
    save_image_experiment,
)

DIGITS = load_digits()  # shared: read-only arrays


def small_config(**changes) -> ImageTrainConfig:
    return ImageTrainConfig(**{"dtype": "float64", "eval_every": 5, **changes})


# --- data -----------------------------------------------------------------------------------------------
def test_digits_are_scaled_split_and_read_only():
    data = DIGITS
    assert data.x_train.shape[1:] == (1, 8, 8) and data.image_shape == (1, 8, 8)
    assert len(data.y_train) + len(data.y_test) == 1797
    assert len(data.y_test) == round(0.25 * 1797)
    assert data.x_train.min() >= 0.0 and data.x_train.max() == pytest.approx(1.0)
    assert data.num_classes == 10 and set(np.unique(data.y_train)) == set(range(10))
    assert not data.x_train.flags.writeable
    again = load_digits(seed=0)
    assert np.array_equal(again.x_test, data.x_test)
    assert not np.array_equal(load_digits(seed=1).y_test, data.y_test)


@pytest.mark.parametrize("size", [16, 28])
def test_shapes_are_balanced_seeded_and_placed_at_random(size):
    data = make_shapes(n_samples=200, size=size, noise=0.0, seed=3)
    assert data.class_names == SHAPE_CLASSES and data.image_shape == (1, size, size)
    labels = np.concatenate([data.y_train, data.y_test])
    assert np.bincount(labels).tolist() == [50, 50, 50, 50]
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    assert np.array_equal(make_shapes(200, size, 0.0, seed=3).x_train, data.x_train)
    # translation: the centres of mass of the circles spread over the image
    circles = data.x_train[data.y_train == 0, 0]
    ys, xs = np.indices((size, size))
    centres = np.array([[(ys * c).sum() / c.sum(), (xs * c).sum() / c.sum()] for c in circles])
    assert centres.std(axis=0).min() > size / 12
    noisy = make_shapes(n_samples=200, size=size, noise=0.2, seed=3)
    assert np.abs(noisy.x_train - data.x_train).mean() > 0.05


def test_shapes_reject_bad_options():
    with pytest.raises(ImageDataError, match="16 or 28"):
        make_shapes(size=20)
    with pytest.raises(ImageDataError, match="n_samples"):
        make_shapes(n_samples=3)
    with pytest.raises(ImageDataError, match="noise"):
        make_shapes(noise=2.0)


def test_resize_averages_areas():
    image = np.arange(64, dtype=float).reshape(8, 8)
    assert np.allclose(resize(image, (4, 4)), image.reshape(4, 2, 4, 2).mean(axis=(1, 3)))
    odd = np.random.default_rng(0).random((7, 5))
    assert resize(odd, (3, 4)).mean() == pytest.approx(odd.mean())
    assert np.allclose(resize(np.ones((3, 3)), (9, 9)), 1.0)


def test_center_drawing_moves_the_centre_of_mass_to_the_middle():
    canvas = np.zeros((200, 200))
    canvas[10:60, 120:140] = 1.0  # a bar in the top-right corner
    image = center_drawing(canvas, 28)
    ys, xs = np.indices(image.shape)
    assert (ys * image).sum() / image.sum() == pytest.approx(13.5, abs=0.75)
    assert (xs * image).sum() / image.sum() == pytest.approx(13.5, abs=0.75)
    assert image.max() == pytest.approx(1.0)
    rows = np.nonzero(image.max(axis=1) > 0.05)[0]
    assert rows.max() - rows.min() + 1 == 20  # the longer side spans 20 of 28 pixels, like MNIST
    assert np.array_equal(center_drawing(np.zeros((50, 50)), 8), np.zeros((8, 8)))


def _write_npy_images(root, counts, shapes):
    """Folder images as .npy data under .png names, read by np.load (the decoder is pluggable)."""
    rng = np.random.default_rng(0)
    for (name, count), shape in zip(counts.items(), shapes):
        (root / name).mkdir()
        for k in range(count):
            with open(root / name / f"{k}.png", "wb") as handle:
                np.save(handle, rng.random(shape))


def test_folder_classes_sizes_and_limit(tmp_path):
    _write_npy_images(tmp_path, {"cats": 6, "dogs": 5}, [(20, 30), (40, 12)])  # mixed sizes
    (tmp_path / "notes.txt").write_text("ignored")
    assert [(name, len(files)) for name, files in folder_classes(tmp_path)] == [("cats", 6), ("dogs", 5)]
    data = load_image_folder(tmp_path, size=12, decode=lambda path: np.load(path), test_fraction=0.3)
    assert data.class_names == ("cats", "dogs") and data.image_shape == (1, 12, 12)
    assert len(data.y_train) + len(data.y_test) == 11
    with pytest.raises(ImageDataError, match="more than the limit of 10"):
        load_image_folder(tmp_path, size=12, max_images=10, decode=lambda path: np.load(path))


def test_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(ImageDataError, match="not found"):
        folder_classes(tmp_path / "missing")
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "a.png").write_bytes(b"x")
    with pytest.raises(ImageDataError, match="at least two sub-folders"):
        folder_classes(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageDataError, match="'empty'.*no PNG or JPEG"):
        folder_classes(tmp_path)
    (tmp_path / "empty" / "b.jpg").write_bytes(b"not an image")

    def refuse(path):
        raise ValueError("bad header")

    with pytest.raises(ImageDataError, match=r"cannot read .*b\.jpg: bad header"):
        load_image_folder(tmp_path, size=8, decode=refuse)


def test_headless_decoding_without_pillow_says_how_to_get_it(tmp_path, monkeypatch):
    import sys

    from minitorch.images import decode_with_pillow

    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    with pytest.raises(ImageDataError, match=r"needs Pillow: pip install 'pytorch-mini-playground\[images\]'"):
        decode_with_pillow(str(tmp_path / "a.png"))


# --- config and trainer ---------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, message", [
    ({"lr": -1.0}, "lr"),
    ({"dataset": "mnist"}, "dataset"),
    ({"layers": []}, "layers"),
    ({"layers": [{"kind": "conv2d", "out_channels": 4}]}, "layer 1"),
    ({"dataset": "folder"}, "folder"),
    ({"batch_size": 0}, "batch_size"),
])
def test_config_rejects_bad_fields(changes, message):
    with pytest.raises(ImageConfigError, match=message):
        ImageTrainConfig.from_dict(changes)


def test_config_rejects_unknown_fields_and_round_trips(tmp_path):
    with pytest.raises(ImageConfigError, match="unknown field"):
        ImageTrainConfig.from_dict({"hidden_layers": [8]})
    config = ImageTrainConfig(lr=0.02, layers=preset_layers("one conv layer", 10))
    config.save(tmp_path / "c.json")
    assert ImageTrainConfig.load(tmp_path / "c.json") == config


def test_a_net_with_the_wrong_number_of_outputs_is_refused():
    layers = preset_layers("tiny LeNet", 4)  # 4 outputs, but digits have 10 classes
    with pytest.raises(ArchitectureError, match="10 classes"):
        ImageTrainer(small_config(layers=layers), data=DIGITS)
    with pytest.raises(ArchitectureError, match="Layer 1"):
        ImageTrainer(small_config(layers=[{"kind": "conv2d", "out_channels": 4, "kernel_size": 9}, FLAT, LIN10]),
                     data=DIGITS)


FLAT = {"kind": "flatten"}
LIN10 = {"kind": "linear", "out_features": 10}


def test_forward_pass_and_feature_maps_agree_with_torch():
    trainer = ImageTrainer(small_config(layers=preset_layers("conv + batch norm", 10)), data=DIGITS)
    trainer.run(12)  # batch norm's running statistics move away from their start
    net = trainer.spec.build_torch()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in trainer.state_dict().items()})
    net.eval()
    x = DIGITS.x_test[:20].astype(np.float64)
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(x)), dim=1).numpy()
        outputs = [torch.from_numpy(x[:1])]
        for module in net:
            outputs.append(module(outputs[-1]))
    assert np.allclose(trainer.predict_proba(x), expected, atol=1e-10)
    maps = trainer.feature_maps(x[0])
    assert len(maps) == len(trainer.spec.layers) + 1
    for ours, theirs in zip(maps, outputs):
        assert np.allclose(ours, theirs[0].numpy(), atol=1e-5)  # maps are float32 for the views


def test_training_learns_digits_and_is_reproducible():
    first = ImageTrainer(small_config(), data=DIGITS)
    first.run(80)
    second = ImageTrainer(small_config(), data=DIGITS)
    second.run(80)
    assert [h["train_loss"] for h in first.history] == [h["train_loss"] for h in second.history]
    assert first.last_metrics["test_acc"] > 0.6
    assert first.history[0]["test_acc"] < 0.3  # the untrained net guesses
    matrix = first.confusion_matrix()
    assert matrix.shape == (10, 10) and matrix.sum() == len(DIGITS.y_test)
    assert np.trace(matrix) / matrix.sum() == pytest.approx(first.last_metrics["test_acc"])
    wrong = first.misclassified(limit=500)
    assert len(wrong) == matrix.sum() - np.trace(matrix)
    for index, true, predicted, _ in wrong[:10]:
        assert DIGITS.y_test[index] == true != predicted
    assert [w[3] for w in wrong] == sorted((w[3] for w in wrong), reverse=True)
    filters = first.filters()
    assert [index for index, _ in filters] == [0, 3] and filters[0][1].shape == (8, 1, 3, 3)


def test_epoch_counts_completed_passes():
    trainer = ImageTrainer(small_config(batch_size=100), data=DIGITS)
    per_epoch = len(DIGITS.y_train) // 100
    trainer.run(per_epoch)
    assert trainer.epoch == 1
    trainer.run(per_epoch)
    assert trainer.epoch == 2


# --- files ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".pt", ".json", ".safetensors"])
def test_export_round_trips_and_torch_loads_the_pt_file(tmp_path, suffix):
    trainer = ImageTrainer(small_config(layers=preset_layers("conv + batch norm", 10)), data=DIGITS)
    trainer.run(6)
    path = tmp_path / f"net{suffix}"
    export_weights(trainer, path)
    if suffix == ".pt":
        net = trainer.spec.build_torch()
        result = net.load_state_dict(torch.load(path, weights_only=True))
        assert not result.missing_keys and not result.unexpected_keys
        assert net[1].num_batches_tracked.item() == 6
    fresh = ImageTrainer(small_config(layers=preset_layers("conv + batch norm", 10)), data=DIGITS)
    load_weights_into(fresh, path)
    for key, value in trainer.state_dict().items():
        assert np.array_equal(fresh.state_dict()[key], value), key


def test_weights_for_another_net_are_refused_and_leave_the_model_alone(tmp_path):
    trainer = ImageTrainer(small_config(), data=DIGITS)
    export_weights(trainer, tmp_path / "tiny.json")
    export_weights(trainer, tmp_path / "tiny.pt")
    other = ImageTrainer(small_config(layers=preset_layers("one conv layer", 10)), data=DIGITS)
    before = other.state_dict()
    with pytest.raises(ShapeError, match="not for this network"):
        load_weights_into(other, tmp_path / "tiny.json")
    with pytest.raises((KeyError, ShapeError)):
        load_weights_into(other, tmp_path / "tiny.pt")
    assert all(np.array_equal(before[k], v) for k, v in other.state_dict().items())
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(ImageConfigError, match="not valid JSON"):
        load_weights_into(other, tmp_path / "junk.json")
    with pytest.raises(ImageConfigError, match="unknown weights format"):
        export_weights(other, tmp_path / "net.onnx")


def test_experiment_round_trip(tmp_path):
    trainer = ImageTrainer(small_config(), data=DIGITS)
    trainer.run(15)
    save_image_experiment(trainer, tmp_path / "exp.json")
    restored = load_image_experiment(tmp_path / "exp.json", data=DIGITS)
    assert restored.step_count == 15 and restored.history == trainer.history
    assert restored.config == trainer.config
    assert np.allclose(restored.predict_proba(DIGITS.x_test), trainer.predict_proba(DIGITS.x_test))
    restored.run(1)
    assert restored.step_count == 16
    document = json.loads((tmp_path / "exp.json").read_text())
    document["history"] = "nonsense"
    (tmp_path / "bad.json").write_text(json.dumps(document))
    with pytest.raises(ImageConfigError, match="history"):
        load_image_experiment(tmp_path / "bad.json", data=DIGITS)


# --- headless CLI -------------------------------------------------------------------------------------------
def test_minitorch_train_trains_an_image_config(tmp_path, capsys):
    from minitorch.cli import main

    config = tmp_path / "digits.json"
    ImageTrainConfig(eval_every=10).save(config)
    out = tmp_path / "cnn.pt"
    assert main([str(config), "--steps", "30", "--export", str(out), "--save-experiment",
                 str(tmp_path / "run.json"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 30 and 0.0 <= summary["test_acc"] <= 1.0
    spec_net = ImageTrainer(ImageTrainConfig(), data=DIGITS).spec.build_torch()
    assert not spec_net.load_state_dict(torch.load(out, weights_only=True)).missing_keys
    assert main([str(tmp_path / "run.json"), "--steps", "5", "--quiet"]) == 0  # resumes the experiment
    assert load_image_experiment(tmp_path / "run.json", data=DIGITS).step_count == 30


def test_minitorch_train_reports_a_bad_image_config_in_one_line(tmp_path, capsys):
    from minitorch.cli import main

    config = tmp_path / "folder.json"
    config.write_text(json.dumps({"dataset": "folder", "folder": str(tmp_path / "nowhere"), "layers": [FLAT, LIN10]}))
    with pytest.raises(SystemExit) as exit_info:
        main([str(config)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"minitorch-train: error: image folder not found: {tmp_path / 'nowhere'}"
