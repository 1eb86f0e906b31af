"""The image playground tab, driven with pytest-qt: builder, live training, views, pad, files, folders."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from gui.image_playground import ImagePlayground
from gui.image_playground.builder import BlockBuilder
from minitorch.architecture import LayerSpec, ModelSpec
from minitorch.images import center_drawing

WAIT = 60_000  # ms: the machine may be busy


@pytest.fixture
def playground(qtbot):
    tab = ImagePlayground()
    qtbot.addWidget(tab)
    tab.resize(1280, 720)
    tab.show()
    qtbot.waitUntil(lambda: tab.last_frame is not None and tab.play_button.isEnabled(), timeout=WAIT)
    yield tab
    assert tab.shutdown()


def _step_and_wait(qtbot, tab, count):
    target = tab.last_frame.snapshot.step + count
    tab.controller.step(count)
    qtbot.waitUntil(lambda: tab.last_frame.snapshot.step >= target, timeout=WAIT)


def _exported_weights(qtbot, tab, path) -> dict[str, np.ndarray]:
    """The network's weights as a user gets them (the trainer lives in the training process):
    exported to a .safetensors file there, read back here."""
    from safetensors.numpy import load_file

    with qtbot.waitSignal(tab.worker.fileSaved, timeout=WAIT):
        tab.controller.export_weights(str(path))
    return load_file(str(path))


def _twin_trainer(frame, weights_path):
    """A trainer for the frame's config with the weights of ``weights_path``: the network the tab trains."""
    from minitorch.training.image_trainer import ImageTrainer, load_weights_into

    trainer = ImageTrainer(dict(frame.config))
    load_weights_into(trainer, str(weights_path))
    return trainer


# --- the builder ----------------------------------------------------------------------------------------------
def test_builder_shows_shapes_and_parameter_count(qtbot):
    builder = BlockBuilder()
    qtbot.addWidget(builder)
    builder.set_input((1, 8, 8), 10)
    builder.apply_preset("tiny LeNet")
    spec = ModelSpec((1, 8, 8), tuple(LayerSpec.from_dict(layer) for layer in builder.layers()))
    assert builder.shape_texts == ["×".join(map(str, s)) for s in spec.output_shapes()]
    assert builder.error is None and builder.parameter_count == spec.num_parameters()
    assert f"{spec.num_parameters():,} parameters" in builder.summary_label.text()


def test_builder_add_remove_and_reorder_blocks(qtbot):
    builder = BlockBuilder()
    qtbot.addWidget(builder)
    builder.set_input((1, 8, 8), 10)
    builder.set_layers([{"kind": "flatten"}, {"kind": "linear", "out_features": 10}])
    changes = []
    builder.changed.connect(lambda: changes.append(1))
    builder.add_block("conv2d", index=0)
    assert [layer["kind"] for layer in builder.layers()] == ["conv2d", "flatten", "linear"]
    assert builder.shape_texts[0] == "8×8×8"  # the default block: 8 channels, 3x3, padding 1
    builder.rows[0].editors["out_channels"].setValue(4)
    assert builder.shape_texts == ["4×8×8", "256", "10"]
    builder.add_block("activation", index=1)
    builder.rows[0].down_button.click()  # conv below the activation
    assert [layer["kind"] for layer in builder.layers()] == ["activation", "conv2d", "flatten", "linear"]
    builder.rows[1].up_button.click()
    assert [layer["kind"] for layer in builder.layers()] == ["conv2d", "activation", "flatten", "linear"]
    builder.rows[1].remove_button.click()
    assert [layer["kind"] for layer in builder.layers()] == ["conv2d", "flatten", "linear"]
    assert builder.error is None and len(changes) >= 5


def test_builder_explains_impossible_stacks_on_the_block_at_fault(qtbot):
    builder = BlockBuilder()
    qtbot.addWidget(builder)
    builder.set_input((1, 8, 8), 10)
    builder.apply_preset("tiny LeNet")
    builder.rows[0].editors["kernel_size"].setValue(11)  # 11 > 8 + 2 * 1
    assert builder.error.startswith("Layer 1 (Conv2d 11x11): kernel 11 is larger than the 8x8 input")
    assert builder.rows[0].error_label.isVisibleTo(builder) and "larger" in builder.rows[0].error_label.text()
    assert not builder.rows[1].error_label.isVisibleTo(builder)
    builder.rows[0].editors["kernel_size"].setValue(3)
    assert builder.error is None
    builder.add_block("maxpool2d", index=6)  # a third pool on a 2x2 map is fine; a fourth is not
    builder.add_block("maxpool2d", index=7)
    assert builder.error.startswith("Layer 8 (MaxPool2d 2x2)") and "larger than the 1x1 input" in builder.error
    assert builder.shape_texts[6] == "16×1×1" and builder.shape_texts[7] == "—"
    builder.remove_block(7)
    builder.remove_block(6)
    builder.move_block(6, -5)  # Flatten before the second conv: Conv2d needs an image
    assert "needs a (channels, height, width) input" in builder.error
    builder.move_block(1, 5)
    builder.rows[-1].editors["out_features"].setValue(7)
    assert "10 classes" in builder.error and builder.rows[-1].error_label.isVisibleTo(builder)


def test_an_impossible_network_cannot_be_trained(playground, qtbot):
    playground.builder.rows[0].editors["kernel_size"].setValue(15)
    playground.apply_config()
    assert not playground.play_button.isEnabled()
    assert "Fix the network first" in playground.status_label.text()
    playground.builder.rows[0].editors["kernel_size"].setValue(3)
    playground.apply_config()
    qtbot.waitUntil(playground.play_button.isEnabled, timeout=WAIT)


# --- training and the views -------------------------------------------------------------------------------------
def test_training_updates_curves_filters_maps_and_confusion(playground, qtbot):
    first = playground.last_frame
    filters_before = {i: w.copy() for i, w in first.filters}
    assert first.confusion.sum() == len(first.y_test)
    _step_and_wait(qtbot, playground, 25)
    frame = playground.last_frame
    assert frame.generation == first.generation and frame.snapshot.step >= 25
    assert playground.curves.points >= 25
    assert set(filters_before) == {i for i, _ in frame.filters} == {0, 3}
    assert any(not np.allclose(filters_before[i], w) for i, w in frame.filters)
    assert playground.filter_view.updates >= 2 and len(playground.filter_view.sections) == 2
    assert len(frame.feature_maps) == len(playground.builder.rows) + 1
    assert frame.maps_version > first.maps_version
    assert frame.evaluations > first.evaluations
    playground.pages.setCurrentIndex(1)
    qtbot.waitUntil(lambda: playground.confusion_view.updates >= 1, timeout=WAIT)
    assert playground.confusion_view.matrix.shape == (10, 10)
    assert np.array_equal(playground.confusion_view.matrix, frame.confusion)
    assert not np.array_equal(frame.confusion, first.confusion)
    gallery = playground.gallery_view.sections
    wrong = int(frame.confusion.sum() - np.trace(frame.confusion))
    assert gallery and len(gallery[0].tiles) == min(wrong, 40)
    assert all("→" in caption and caption.endswith("%") for caption in gallery[0].captions)


def test_choosing_a_test_image_shows_its_feature_maps(playground, qtbot):
    playground.probe_spin.setValue(7)
    qtbot.waitUntil(lambda: playground.last_frame.probe_index == 7, timeout=WAIT)
    frame = playground.last_frame
    assert np.allclose(frame.feature_maps[0], frame.x_test[7])
    qtbot.waitUntil(lambda: playground.map_view.sections[0].tiles.shape == (1, 8, 8), timeout=WAIT)


def test_play_trains_until_paused(playground, qtbot):
    playground.toggle_play()
    qtbot.waitUntil(lambda: playground.running and playground.last_frame.snapshot.step >= 10, timeout=WAIT)
    playground.toggle_play()
    qtbot.waitUntil(lambda: not playground.running and not playground.last_frame.running, timeout=WAIT)
    assert "steps/s" not in playground.progress_label.text()
    assert playground.play_button.text() == "▶ Play"


def test_drawing_pad_predicts_what_was_drawn(playground, qtbot, tmp_path):
    _step_and_wait(qtbot, playground, 10)
    _exported_weights(qtbot, playground, tmp_path / "drawn.safetensors")
    playground.pages.setCurrentIndex(2)
    with qtbot.waitSignal(playground.drawingShown, timeout=WAIT):
        playground.pad.draw_stroke([(112, 30), (112, 195)])  # a "1"
    prediction = playground.last_drawing
    assert prediction.probabilities.shape == (10,) and prediction.probabilities.sum() == pytest.approx(1.0)
    expected_input = center_drawing(playground.pad.canvas(), 8)
    assert np.allclose(prediction.image, expected_input)
    trainer = _twin_trainer(playground.last_frame, tmp_path / "drawn.safetensors")
    assert np.allclose(prediction.probabilities, trainer.predict_proba(expected_input[None, None])[0], atol=1e-6)
    assert playground.predicted_class() == str(int(np.argmax(prediction.probabilities)))
    assert playground.predicted_class() in playground.prediction_label.text()
    assert len(playground.drawing_maps.sections) == len(playground.builder.rows) + 1


def test_a_killed_training_process_is_restarted_with_the_last_config(playground, qtbot):
    playground.lr_spin.setValue(0.003)
    playground.apply_config()
    qtbot.waitUntil(lambda: playground.last_frame.config["lr"] == pytest.approx(0.003), timeout=WAIT)
    generation = playground.last_frame.generation
    old = playground.controller.process
    with qtbot.waitSignal(playground.worker.failed, timeout=WAIT) as blocker:
        old.process.kill()
    assert blocker.args[0] == "Training" and "ended unexpectedly" in blocker.args[1]
    assert "last configuration" in blocker.args[1] and playground.controller.restarts == 1
    assert playground.controller.process is not old and playground.controller.process.alive
    # The new process builds the last configuration and trains on.
    qtbot.waitUntil(lambda: playground.last_frame.generation != generation and playground.play_button.isEnabled(),
                    timeout=WAIT)
    assert playground.last_frame.config["lr"] == pytest.approx(0.003) and playground.last_frame.snapshot.step == 0
    _step_and_wait(qtbot, playground, 3)


# --- files ------------------------------------------------------------------------------------------------------
def test_export_and_import_weights(playground, qtbot, tmp_path):
    import torch

    from minitorch.training.image_trainer import ImageTrainConfig

    _step_and_wait(qtbot, playground, 8)
    trained = _exported_weights(qtbot, playground, tmp_path / "trained.safetensors")
    assert trained and all(np.isfinite(value).all() for value in trained.values())
    for suffix in (".pt", ".json", ".safetensors"):
        with qtbot.waitSignal(playground.worker.fileSaved, timeout=WAIT):
            playground.controller.export_weights(str(tmp_path / f"net{suffix}"))
    frame = playground.last_frame
    spec = ModelSpec(frame.x_test.shape[1:], ImageTrainConfig.from_dict(dict(frame.config)).layer_specs())
    net = spec.build_torch()
    state = torch.load(tmp_path / "net.pt", weights_only=True)
    result = net.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys
    for key, value in trained.items():
        assert np.array_equal(state[key].double().numpy(), value), key
    playground.controller.reset()
    qtbot.waitUntil(lambda: playground.last_frame.snapshot.step == 0, timeout=WAIT)
    reset = _exported_weights(qtbot, playground, tmp_path / "reset.safetensors")
    assert not np.array_equal(reset["0.weight"], trained["0.weight"])
    with qtbot.waitSignal(playground.worker.weightsLoaded, timeout=WAIT):
        playground.controller.import_weights(str(tmp_path / "net.safetensors"))
    imported = _exported_weights(qtbot, playground, tmp_path / "imported.safetensors")
    assert imported.keys() == trained.keys()
    for key, value in trained.items():
        assert np.array_equal(imported[key], value), key


def test_save_and_open_experiment(playground, qtbot, tmp_path):
    _step_and_wait(qtbot, playground, 6)
    path = tmp_path / "experiment.json"
    with qtbot.waitSignal(playground.worker.fileSaved, timeout=WAIT):
        playground.controller.save_experiment(str(path))
    playground.lr_spin.setValue(0.002)
    playground.apply_config()
    qtbot.waitUntil(lambda: playground.last_frame.snapshot.step == 0, timeout=WAIT)
    generation = playground.last_frame.generation
    playground.controller.open_experiment(str(path))
    qtbot.waitUntil(lambda: playground.last_frame.generation > generation, timeout=WAIT)
    assert playground.last_frame.snapshot.step == 6
    assert playground.lr_spin.value() == pytest.approx(0.01)


def test_a_bad_file_is_reported_and_the_model_kept(playground, qtbot, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    _step_and_wait(qtbot, playground, 3)
    before = _exported_weights(qtbot, playground, tmp_path / "before.safetensors")
    with qtbot.waitSignal(playground.worker.failed, timeout=WAIT) as blocker:
        playground.controller.import_weights(str(bad))
    assert "not valid JSON" in blocker.args[1]
    qtbot.waitUntil(lambda: "Importing weights failed" in playground.status_label.text(), timeout=WAIT)
    after = _exported_weights(qtbot, playground, tmp_path / "after.safetensors")
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], v) for k, v in after.items())


# --- other data --------------------------------------------------------------------------------------------------
def _write_png(path, size, color):
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor(*color))
    assert image.save(str(path))


def test_a_folder_of_images_trains_and_a_bad_one_is_refused(playground, qtbot, tmp_path):
    for name, color in (("dark", (20, 20, 20)), ("light", (230, 230, 230))):
        (tmp_path / name).mkdir()
        for k in range(6):
            _write_png(tmp_path / name / f"{k}.png", (10 + 7 * k, 14 + 3 * k), color)  # mixed sizes
    playground.dataset_combo.setCurrentIndex(playground.dataset_combo.findData("folder"))
    playground.size_spin.setValue(12)
    playground.folder_edit.setText(str(tmp_path))
    playground._data_changed()
    assert "2 classes: dark (6), light (6)" in playground.data_message.text()
    assert playground.builder.layers()[-1]["out_features"] == 2  # the output layer follows the data
    playground.apply_config()
    qtbot.waitUntil(lambda: playground.last_frame.class_names == ("dark", "light"), timeout=WAIT)
    assert playground.last_frame.x_test.shape[1:] == (1, 12, 12)

    (tmp_path / "light" / "broken.png").write_bytes(b"\x89PNG not really")
    playground.max_images_spin.setValue(100)  # a new data key: the folder is read again
    playground.apply_config()
    qtbot.waitUntil(lambda: "broken.png" in playground.data_message.text(), timeout=WAIT)
    assert "cannot read" in playground.data_message.text()
    assert not playground.play_button.isEnabled()


def test_shapes_data_set_sets_four_classes(playground, qtbot):
    playground.dataset_combo.setCurrentIndex(playground.dataset_combo.findData("shapes"))
    playground.samples_spin.setValue(200)
    playground.apply_config()
    qtbot.waitUntil(lambda: playground.last_frame.class_names == ("circle", "square", "triangle", "line"),
                    timeout=WAIT)
    assert playground.last_frame.x_test.shape[1:] == (1, 16, 16)
    assert playground.builder.shape_texts[-1] == "4"


def test_cuda_choice_is_greyed_out_with_the_reason_when_unavailable(playground):
    from minitorch import backend

    item = playground.device_combo.model().item(1)
    if backend.cuda_available():
        assert item.isEnabled()
    else:
        assert not item.isEnabled()
        assert backend.cuda_unavailable_reason() in item.toolTip()


def test_main_window_has_an_images_tab(qtbot, qsettings_file):
    from gui.main_window import MainWindow

    window = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.image_tab is not None, timeout=WAIT)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Images" in titles
    assert window.image_tab.playground is None  # nothing loads until the tab is shown
    window.show()
    window.tabs.setCurrentWidget(window.image_tab)
    qtbot.waitUntil(lambda: window.image_tab.playground is not None, timeout=WAIT)
    images = window.image_tab.playground
    qtbot.waitUntil(lambda: images.last_frame is not None and images.play_button.isEnabled(), timeout=WAIT)
    window.play_action.trigger()  # Space acts on the tab shown
    qtbot.waitUntil(lambda: images.running, timeout=WAIT)
    assert not window.playground.last_frame or not window.playground.last_frame.running
    # The status bar speaks for the tab on screen, not for the 2-D playground behind it.
    window._show_state()
    assert window.status_label.text() == images.status_label.text()
    assert "press Play" not in window.status_label.text() and window.speed_label.text() == ""
    window.tabs.setCurrentWidget(window.playground)
    assert window.speed_label.text() == "paused" and "Play" in window.status_label.text()
    window.tabs.setCurrentWidget(window.image_tab)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: not images.running, timeout=WAIT)
    assert window.shutdown()


def test_main_window_opens_an_image_experiment_in_the_images_tab(qtbot, qsettings_file, tmp_path):
    from gui.main_window import MainWindow
    from minitorch.images import load_digits
    from minitorch.training.image_trainer import ImageTrainConfig, ImageTrainer, save_image_experiment

    trainer = ImageTrainer(ImageTrainConfig(lr=0.005), data=load_digits())
    trainer.run(4)
    path = tmp_path / "images.json"
    save_image_experiment(trainer, path)
    window = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(window)
    window.show()
    window.open_path(str(path))
    assert window.tabs.currentWidget() is window.image_tab
    images = window.image_tab.playground
    qtbot.waitUntil(lambda: images.last_frame is not None and images.last_frame.snapshot.step == 4, timeout=WAIT)
    assert images.lr_spin.value() == pytest.approx(0.005)
    assert window.shutdown()
