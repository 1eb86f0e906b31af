"""The desktop playground driven through its real widgets (pytest-qt, offscreen platform).

Every test builds a real MainWindow whose worker thread trains a real minitorch Trainer,
and interacts through buttons, spin boxes, shortcuts and menu actions. Message boxes and
file dialogs are patched so nothing ever blocks.
"""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui.main_window import MainWindow
from gui.playground import DEFAULT_CONFIG
from minitorch import io as mio
from minitorch.training import TrainConfig, Trainer, save_experiment

# A small, fast lesson: 120 moons points, a 2-4-2-1 tanh network.
SMALL = {
    "dataset": "moons",
    "n_samples": 120,
    "noise": 0.1,
    "test_fraction": 0.3,
    "seed": 0,
    "features": ["x1", "x2"],
    "hidden_layers": [4, 2],
    "activation": "tanh",
    "loss": "mse",
    "optimizer": "adam",
    "lr": 0.05,
    "batch_size": 16,
}


class Boxes:
    """Records message boxes instead of showing them."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def __call__(self, parent, title, text, *args, **kwargs):
        self.shown.append((title, text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def boxes(monkeypatch):
    recorder = Boxes()
    for name in ("warning", "critical", "information", "about"):
        monkeypatch.setattr(QMessageBox, name, recorder)
    return recorder


@pytest.fixture
def window(qtbot, qsettings_file, boxes):
    win = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    win.playground.set_config(SMALL)
    win.playground.apply_config()
    wait_for(qtbot, win, lambda f: f.config.get("n_samples") == 120)
    qtbot.waitUntil(lambda: win.playground.plots_ready, timeout=10000)
    yield win
    win.close()
    assert win.controller.stopped


def wait_for(qtbot, win, predicate, timeout=15000):
    """Wait until the latest drawn frame satisfies ``predicate``; returns that frame."""
    def check():
        frame = win.playground.last_frame
        assert frame is not None and predicate(frame)

    qtbot.waitUntil(check, timeout=timeout)
    return win.playground.last_frame


def press_step(qtbot, win, times=1):
    start = win.playground.last_frame.snapshot.step
    for _ in range(times):
        qtbot.mouseClick(win.playground.controls.step_button, Qt.MouseButton.LeftButton)
    return wait_for(qtbot, win, lambda f: f.snapshot.step >= start + times and not f.running)


def play(qtbot, win):
    qtbot.mouseClick(win.playground.controls.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.playground.running, timeout=5000)


def pause(qtbot, win):
    win.playground.pause()
    qtbot.waitUntil(lambda: not win.playground.running, timeout=5000)
    return wait_for(qtbot, win, lambda f: not f.running)


# --- window, data and network form ---------------------------------------------------------------------
def test_title_tabs_and_first_frame(window):
    assert window.windowTitle().startswith("PyTorch Mini")
    assert window.tabs.tabText(0) == "Playground"
    frame = window.playground.last_frame
    assert frame.data.x_train.shape == (84, 2) and frame.data.x_test.shape == (36, 2)
    # The data is drawn at once, before any training: points and an output map.
    assert len(window.playground.output_view.train_points.data) == 84
    assert frame.grid.shape == (100, 100)
    assert window.playground.network_view.layer_sizes == [2, 4, 2, 1]


def test_every_control_has_a_tooltip(window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

    missing = [
        w.objectName() or type(w).__name__
        for kind in (QAbstractButton, QAbstractSpinBox, QComboBox)
        for w in window.playground.findChildren(kind)
        if w.isVisibleTo(window) and not w.toolTip()
    ]
    assert missing == []


def test_pick_dataset_add_layer_change_neurons(qtbot, window):
    pg = window.playground
    pg.data_panel.dataset.setCurrentIndex(pg.data_panel.dataset.findData("circles"))
    qtbot.mouseClick(pg.builder.add_layer, Qt.MouseButton.LeftButton)
    assert pg.builder.hidden_layers == [4, 2, 2]
    pg.builder.set_neurons(0, 6)
    frame = wait_for(qtbot, window,
                     lambda f: f.config["dataset"] == "circles" and f.config["hidden_layers"] == [6, 2, 2])
    assert pg.network_view.layer_sizes == [2, 6, 2, 2, 1]
    assert frame.snapshot.state_dict["0.weight"].shape == (6, 2)
    qtbot.mouseClick(pg.builder.remove_layer, Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, lambda f: f.config["hidden_layers"] == [6, 2])
    assert pg.network_view.layer_sizes == [2, 6, 2, 1]


def test_extra_features_become_network_inputs(qtbot, window):
    pg = window.playground
    pg.builder.feature_boxes["x1^2"].setChecked(True)
    pg.builder.feature_boxes["sin(x2)"].setChecked(True)
    frame = wait_for(qtbot, window, lambda f: len(f.feature_names) == 4)
    assert frame.feature_names == ("x1", "x2", "x1^2", "sin(x2)")
    assert pg.network_view.layer_sizes[0] == 4
    assert len(frame.neuron_grids[0]) == 4  # one small map per input feature


def choose(combo, value):
    combo.setCurrentIndex(combo.findData(value))


def test_a_three_class_dataset_switches_the_loss_to_cross_entropy(qtbot, window):
    pg = window.playground
    choose(pg.data_panel.dataset, "spiral3")
    assert pg.controls.loss.currentData() == "cross_entropy"  # at once: the form never shows an invalid pair
    assert "Loss: Cross-entropy" in window.status_label.text()  # said at once (it gives way after a while)
    frame = wait_for(qtbot, window, lambda f: f.config["dataset"] == "spiral3")
    assert frame.config["loss"] == "cross_entropy" and frame.data.num_classes == 3
    assert not pg.error_label.isVisible()
    mse = pg.controls.loss.model().item(pg.controls.loss.findData("mse"))
    assert not mse.isEnabled()  # mse cannot be picked for three classes


def test_a_regression_dataset_switches_a_classification_loss_to_mse(qtbot, window):
    pg = window.playground
    choose(pg.controls.loss, "hinge")
    wait_for(qtbot, window, lambda f: f.config["loss"] == "hinge")
    choose(pg.data_panel.dataset, "plane")
    assert pg.controls.loss.currentData() == "mse"
    assert "Loss: Mean squared error" in window.status_label.text()  # said at once (it gives way after a while)
    frame = wait_for(qtbot, window, lambda f: f.config["dataset"] == "plane")
    assert frame.config["loss"] == "mse"
    assert not pg.error_label.isVisible()
    hinge = pg.controls.loss.model().item(pg.controls.loss.findData("hinge"))
    assert not hinge.isEnabled()


def test_one_input_data_unticks_and_disables_the_x2_features(qtbot, window):
    pg = window.playground
    pg.builder.feature_boxes["x1^2"].setChecked(True)
    wait_for(qtbot, window, lambda f: "x1^2" in f.feature_names)
    choose(pg.data_panel.dataset, "sine")
    boxes = pg.builder.feature_boxes
    assert not boxes["x2"].isChecked() and not boxes["x2"].isEnabled()
    assert boxes["x1"].isChecked() and boxes["x1^2"].isChecked() and boxes["x1^2"].isEnabled()
    assert "x₂" in window.status_label.text()  # said at once (it gives way after a while)
    frame = wait_for(qtbot, window, lambda f: f.config["dataset"] == "sine")
    assert list(frame.feature_names) == ["x1", "x1^2"] == pg.builder.features


def test_the_features_shown_are_those_of_the_model_after_a_csv(qtbot, window, tmp_path, monkeypatch):
    pg = window.playground
    choose(pg.data_panel.dataset, "sine")
    wait_for(qtbot, window, lambda f: f.config["dataset"] == "sine")
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{x:.3f},{y:.3f},{int(x * y > 0)}" for x, y in rng.uniform(-1, 1, (60, 2))]
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    pg.data_panel.set_csv_path(str(path))
    frame = wait_for(qtbot, window, lambda f: f.config["dataset"] == "csv")
    assert list(frame.feature_names) == ["x1", "x2"]
    qtbot.waitUntil(lambda: pg.builder.features == ["x1", "x2"], timeout=3000)
    assert all(box.isEnabled() for box in pg.builder.feature_boxes.values())


def test_a_rejected_config_leaves_the_form_showing_the_model_that_trains(qtbot, window, tmp_path):
    pg = window.playground
    bad = tmp_path / "broken.csv"
    bad.write_text("a,b\n1,x\n", encoding="utf-8")
    pg.data_panel.set_csv_path(str(bad))
    qtbot.waitUntil(lambda: pg.error_label.isVisible(), timeout=10000)
    assert pg.data_panel.dataset.currentData() == "moons" == pg.last_frame.config["dataset"]
    text = pg.error_label.text()
    assert "TrainConfig" not in text and text.count("'") % 2 == 0
    # The banner floats: the columns below did not move.
    assert pg.splitter.geometry().top() == pg.controls.geometry().bottom() + 1


def test_screen_text_uses_the_names_on_screen():
    from gui.playground import screen_text

    text = screen_text("TrainConfig.loss: 'spiral3' has 3 classes; use 'cross_entropy")
    assert text == "Loss: Spiral, 3 classes has 3 classes; use cross-entropy"
    assert screen_text("TrainConfig.hidden_layers: bad") == "Neurons: bad"


# --- what carries over ------------------------------------------------------------------------------------
@pytest.mark.parametrize("field, value", [("engine", "scalar"), ("optimizer", "sgd")])
def test_engine_or_optimizer_change_keeps_the_trained_weights(qtbot, window, field, value):
    pg = window.playground
    trained = press_step(qtbot, window, times=6)
    combo = pg.controls.engine if field == "engine" else pg.controls.optimizer
    choose(combo, value)
    frame = wait_for(qtbot, window, lambda f: f.config[field] == value)
    assert frame.generation != trained.generation  # a new trainer ...
    assert frame.snapshot.step == 6  # ... that carries on from step 6
    assert len(frame.snapshot.history) == len(trained.snapshot.history)
    for key, weight in trained.snapshot.state_dict.items():
        np.testing.assert_allclose(frame.snapshot.state_dict[key], weight, rtol=0, atol=1e-12)
    qtbot.waitUntil(lambda: "kept the trained weights" in window.status_label.text(), timeout=5000)
    after = press_step(qtbot, window, times=1)
    assert after.snapshot.step == 7 and after.snapshot.history[-1]["step"] == 7


def test_an_architecture_change_starts_from_new_weights_and_says_so(qtbot, window):
    press_step(qtbot, window, times=3)
    window.playground.builder.set_neurons(0, 5)
    frame = wait_for(qtbot, window, lambda f: f.config["hidden_layers"] == [5, 2])
    assert frame.snapshot.step == 0
    assert "kept" not in window.status_label.text()


def test_an_experiment_wider_than_the_form_keeps_its_weights_on_edits(qtbot, window, tmp_path):
    trainer = Trainer(TrainConfig.from_dict({**SMALL, "hidden_layers": [64], "seed": 3_000_000_000}))
    trainer.run(3)
    path = str(tmp_path / "wide.json")
    save_experiment(trainer, path)
    with qtbot.waitSignal(window.controller.worker.configLoaded, timeout=10000):
        window.open_path(path)
    opened = wait_for(qtbot, window, lambda f: list(f.config["hidden_layers"]) == [64])
    pg = window.playground
    assert pg.builder.hidden_layers == [64]
    assert pg.data_panel.seed.value() == 3_000_000_000
    pg.controls.lr.setValue(0.02)  # a live edit: the same model trains on
    frame = wait_for(qtbot, window, lambda f: f.config["lr"] == pytest.approx(0.02))
    assert frame.generation == opened.generation and frame.config["hidden_layers"] == [64]
    assert frame.config["seed"] == 3_000_000_000


# --- start-up and opening edge cases ------------------------------------------------------------------------
@pytest.mark.parametrize("stored", [{"seed": 3_000_000_000, "n_samples": 120}, {"hidden_layers": ["a"]},
                                    {"hidden_layers": 5}, {"lr": "fast"}, "not json {", [1, 2]])
def test_a_corrupt_remembered_config_is_ignored_with_a_note(qtbot, qsettings_file, boxes, stored):
    qsettings_file.setValue("config/last", stored if isinstance(stored, str) else json.dumps(stored))
    qsettings_file.setValue("window/geometry", "garbage")
    qsettings_file.sync()
    win = MainWindow(settings=qsettings_file, restore=True)
    qtbot.addWidget(win)
    win.show()
    try:
        frame = wait_for(qtbot, win, lambda f: True)
        if isinstance(stored, dict) and "seed" in stored:
            assert frame.config["seed"] == 3_000_000_000  # big but valid: kept
        else:
            assert frame.config["hidden_layers"] == DEFAULT_CONFIG["hidden_layers"]
            assert "Ignored the remembered settings" in win.settings_note
    finally:
        win.close()
    assert win.controller.stopped


def test_train_flag_with_a_corrupt_file_does_not_start(qtbot, qsettings_file, boxes, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    win = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(win)
    win.show()
    try:
        wait_for(qtbot, win, lambda f: True)
        win.open_path(str(bad), play=True)
        qtbot.waitUntil(lambda: win.last_error is not None, timeout=10000)
        qtbot.wait(300)
        assert not win.playground.running and win.playground.last_frame.snapshot.step == 0
        assert "not started" in win.status_label.text()
    finally:
        win.close()


def test_train_flag_with_a_good_file_trains_it(qtbot, qsettings_file, boxes, tmp_path):
    path = tmp_path / "cfg.json"
    TrainConfig.from_dict({**SMALL, "hidden_layers": [3]}).save(path)
    win = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(win)
    win.show()
    try:
        win.open_path(str(path), play=True)
        wait_for(qtbot, win, lambda f: f.config["hidden_layers"] == [3] and f.snapshot.step > 0)
    finally:
        win.close()


# --- training --------------------------------------------------------------------------------------------
def test_play_shows_progress_and_the_loss_falls_then_pause(qtbot, window):
    pg = window.playground
    play(qtbot, window)
    frame = wait_for(qtbot, window, lambda f: f.snapshot.step >= 120, timeout=30000)
    assert frame.running
    history = frame.snapshot.history
    assert history[-1]["train_loss"] < 0.7 * history[0]["train_loss"]
    assert pg.loss_plot.train_curve.getData()[0] is not None
    assert "step" in pg.controls.step_label.text()
    paused = pause(qtbot, window)
    time.sleep(0.3)
    qtbot.wait(100)
    assert pg.last_frame.snapshot.step == paused.snapshot.step  # paused means paused
    assert pg.controls.play_button.text() == "▶"


def test_frames_are_throttled_to_30_per_second(qtbot, window):
    pg = window.playground
    play(qtbot, window)
    start_frames, start = pg.frames_shown, time.perf_counter()
    qtbot.wait(1500)
    rate = (pg.frames_shown - start_frames) / (time.perf_counter() - start)
    pause(qtbot, window)
    assert 0 < rate <= 31


def test_shortcuts_space_s_and_r(qtbot, window):
    pg = window.playground
    qtbot.keyClick(window, Qt.Key.Key_S)
    wait_for(qtbot, window, lambda f: f.snapshot.step == 1)
    qtbot.keyClick(window, Qt.Key.Key_S)
    first_weights = wait_for(qtbot, window, lambda f: f.snapshot.step == 2).snapshot.state_dict["0.weight"]
    qtbot.keyClick(window, Qt.Key.Key_R)
    frame = wait_for(qtbot, window, lambda f: f.snapshot.step == 0)
    assert not np.array_equal(frame.snapshot.state_dict["0.weight"], first_weights)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: pg.running, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not pg.running, timeout=5000)


def test_learning_rate_changes_during_training(qtbot, window):
    pg = window.playground
    play(qtbot, window)
    wait_for(qtbot, window, lambda f: f.snapshot.step >= 10)
    pg.controls.lr.setValue(0.2)
    frame = wait_for(qtbot, window, lambda f: f.running and f.snapshot.lr == pytest.approx(0.2) and
                     any(h["lr"] == pytest.approx(0.2) for h in f.snapshot.history))
    rates = [h["lr"] for h in frame.snapshot.history]
    assert rates[0] == pytest.approx(0.05) and rates[-1] == pytest.approx(0.2)
    assert rates == sorted(rates)  # the change took effect at one step and stayed
    assert frame.generation == pg.last_frame.generation  # the same model kept training (no reset)
    pause(qtbot, window)


def test_stop_condition_max_epochs(qtbot, window):
    pg = window.playground
    pg.controls.max_epochs.setValue(2)
    qtbot.mouseClick(pg.controls.play_button, Qt.MouseButton.LeftButton)  # it may stop before we look
    frame = wait_for(qtbot, window, lambda f: not f.running and f.snapshot.epoch >= 2, timeout=30000)
    assert frame.snapshot.epoch == 2
    assert "2 epochs" in window.status_label.text()


def test_divergence_stops_with_a_visible_message(qtbot, window):
    pg = window.playground
    pg.set_config({**SMALL, "dataset": "plane", "activation": "linear", "optimizer": "sgd", "lr": 90.0,
                   "hidden_layers": [8, 8]})
    pg.apply_config()
    wait_for(qtbot, window, lambda f: f.config["dataset"] == "plane")
    qtbot.mouseClick(pg.controls.play_button, Qt.MouseButton.LeftButton)  # diverges within a few steps
    frame = wait_for(qtbot, window, lambda f: f.snapshot.diverged is not None and not f.running, timeout=20000)
    assert "diverged" in window.status_label.text().lower()
    assert "diverged" in pg.loss_text.text()
    assert all(np.isfinite(h["train_loss"]) for h in frame.snapshot.history)


def test_regression_1d_draws_the_predicted_curve(qtbot, window):
    pg = window.playground
    pg.set_config({**SMALL, "dataset": "sine"})
    pg.apply_config()
    frame = wait_for(qtbot, window, lambda f: f.config["dataset"] == "sine")
    assert frame.grid is None and frame.curve is not None
    xs, ys = pg.output_view.curve.getData()
    assert len(xs) == 200 and np.all(np.isfinite(ys))
    assert not pg.accuracy_plot.isVisible()


# --- files ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".json", ".safetensors", ".pt"])
def test_export_then_import_gives_identical_predictions(qtbot, window, tmp_path, suffix):
    trained = press_step(qtbot, window, times=5)
    path = str(tmp_path / f"weights{suffix}")
    with qtbot.waitSignal(window.controller.worker.fileSaved, timeout=10000):
        window.export_weights(path)
    qtbot.keyClick(window, Qt.Key.Key_R)  # new random weights: different predictions
    reset = wait_for(qtbot, window, lambda f: f.snapshot.step == 0)
    assert not np.array_equal(reset.grid, trained.grid)
    with qtbot.waitSignal(window.controller.worker.weightsLoaded, timeout=10000):
        window.import_weights(path)
    loaded = wait_for(qtbot, window, lambda f: f.grid_version > reset.grid_version)
    assert np.array_equal(loaded.grid, trained.grid)
    for key, value in trained.snapshot.state_dict.items():
        assert np.array_equal(loaded.snapshot.state_dict[key], value)


def test_export_weights_through_the_menu_and_dialog(qtbot, window, tmp_path, monkeypatch):
    target = str(tmp_path / "from_menu")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target, "JSON weights (*.json)"))
    with qtbot.waitSignal(window.controller.worker.fileSaved, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    checkpoint = mio.load(target + ".json")
    assert set(checkpoint.state_dict) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    # fileSaved can end waitSignal's loop before the window's own (queued) slot has run.
    qtbot.waitUntil(lambda: "Saved weights" in window.status_label.text(), timeout=5000)


def test_import_corrupt_file_shows_error_and_keeps_the_model(qtbot, window, tmp_path, boxes):
    before = press_step(qtbot, window, times=2)
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "minitorch-weights", "state_dict": [1, 2', encoding="utf-8")
    window.import_weights(str(bad))
    qtbot.waitUntil(lambda: len(boxes.shown) > 0, timeout=10000)
    title, text = boxes.shown[-1]
    assert "Importing weights failed" in title and "broken.json" in text
    press_step(qtbot, window, times=0)
    qtbot.wait(200)
    after = window.playground.last_frame
    for key, value in before.snapshot.state_dict.items():
        assert np.array_equal(after.snapshot.state_dict[key], value)


def test_import_weights_of_another_architecture_is_refused(qtbot, window, tmp_path, boxes):
    other = Trainer(TrainConfig.from_dict({**SMALL, "hidden_layers": [3]}))
    path = str(tmp_path / "other.json")
    mio.save(other, path)
    before = window.playground.last_frame.snapshot.state_dict
    window.import_weights(path)
    qtbot.waitUntil(lambda: len(boxes.shown) > 0, timeout=10000)
    assert "MLP" in boxes.shown[-1][1]
    qtbot.wait(200)
    assert np.array_equal(window.playground.last_frame.snapshot.state_dict["0.weight"], before["0.weight"])


def test_save_and_open_experiment(qtbot, window, tmp_path):
    pg = window.playground
    saved = press_step(qtbot, window, times=4)
    path = str(tmp_path / "lesson.json")
    with qtbot.waitSignal(window.controller.worker.fileSaved, timeout=10000):
        window.save_experiment(path)
    assert json.loads(open(path, encoding="utf-8").read())["format"] == "minitorch-experiment"
    pg.builder.set_neurons(0, 7)  # change the form: a different network
    wait_for(qtbot, window, lambda f: f.config["hidden_layers"] == [7, 2])
    with qtbot.waitSignal(window.controller.worker.configLoaded, timeout=10000):
        window.open_path(path)
    opened = wait_for(qtbot, window, lambda f: f.config["hidden_layers"] == [4, 2])
    qtbot.waitUntil(lambda: pg.builder.hidden_layers == [4, 2], timeout=5000)  # the form follows the file
    assert opened.snapshot.step == saved.snapshot.step == 4
    assert np.array_equal(opened.grid, saved.grid)
    assert len(opened.snapshot.history) == len(saved.snapshot.history)


def test_open_a_bad_experiment_file_shows_the_reason(qtbot, window, tmp_path, boxes):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"dataset": "moons", "hidden_layers": "lots"}), encoding="utf-8")
    window.open_path(str(path))
    qtbot.waitUntil(lambda: len(boxes.shown) > 0, timeout=10000)
    assert "hidden_layers" in boxes.shown[-1][1]
    assert window.playground.last_frame.config["hidden_layers"] == [4, 2]


def test_export_loss_history_csv_and_plots_png(qtbot, window, tmp_path):
    press_step(qtbot, window, times=3)
    csv_path = tmp_path / "history.csv"
    window.export_csv(str(csv_path))
    rows = list(csv.DictReader(open(csv_path, encoding="utf-8")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert all(float(r["train_loss"]) > 0 for r in rows)
    png = tmp_path / "plots.png"
    window.export_png(str(png))
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 400
    assert not list(tmp_path.glob(".tmp-*"))  # atomic writes leave no temporary files


# --- lifetime and settings -------------------------------------------------------------------------------------
def test_close_during_training_stops_the_worker_cleanly(qtbot, qsettings_file, boxes):
    win = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(win)
    win.show()
    win.playground.set_config(SMALL)
    win.playground.apply_config()
    wait_for(qtbot, win, lambda f: f.config["n_samples"] == 120)
    play(qtbot, win)
    wait_for(qtbot, win, lambda f: f.snapshot.step >= 5)
    thread = win.controller.worker_thread
    start = time.perf_counter()
    win.close()
    assert time.perf_counter() - start < 5
    assert win.controller.stopped and thread.isFinished() and not thread.isRunning()


def test_settings_remember_the_last_config(qtbot, qsettings_file, boxes):
    first = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(first)
    first.playground.set_config({**SMALL, "hidden_layers": [5, 3, 2], "dataset": "xor", "lr": 0.007})
    first.close()
    second = MainWindow(settings=qsettings_file, restore=True)
    qtbot.addWidget(second)
    try:
        assert second.playground.builder.hidden_layers == [5, 3, 2]
        assert second.playground.data_panel.dataset.currentData() == "xor"
        assert second.playground.controls.lr.value() == pytest.approx(0.007)
    finally:
        second.close()


def test_model_graph_tab_refreshes_only_when_visible(qtbot, window, monkeypatch):
    if window.model_graph is None:
        pytest.skip("the graph explorer (gui/explorer) is not available in this checkout")
    calls = []
    monkeypatch.setattr(window.model_graph, "update_model", lambda *args: calls.append(args))
    press_step(qtbot, window, times=2)
    assert calls == []  # hidden tab: no work
    window.tabs.setCurrentWidget(window.model_graph)
    qtbot.waitUntil(lambda: len(calls) > 0, timeout=5000)
    config, state_dict, sample = calls[-1]
    assert config["hidden_layers"] == [4, 2] and "0.weight" in state_dict and len(sample) == 2


def test_open_csv_trains_on_your_own_file(qtbot, window, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 2))
    lines = ["a,b,label"] + [f"{x:.4f},{y:.4f},{int(x * y > 0)}" for x, y in points]
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    pg = window.playground
    qtbot.mouseClick(pg.data_panel.open_csv, Qt.MouseButton.LeftButton)
    frame = wait_for(qtbot, window, lambda f: f.config.get("dataset") == "csv")
    assert frame.config["csv_path"] == str(path)
    assert len(frame.data.x_train) + len(frame.data.x_test) == 60
    assert pg.data_panel.csv_label.text() == "mine.csv"


def test_cancelled_csv_dialog_keeps_the_dataset(qtbot, window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    combo = window.playground.data_panel.dataset
    combo.setCurrentIndex(combo.findData("csv"))
    assert combo.currentData() == "moons"
    assert not window.playground.error_label.isVisible()


def test_fields_the_form_does_not_show_survive_edits(qtbot, window):
    pg = window.playground
    pg.set_config({**SMALL, "weight_decay": 0.01, "betas": [0.8, 0.99]})
    pg.apply_config()
    wait_for(qtbot, window, lambda f: f.config.get("weight_decay") == 0.01)
    pg.builder.set_neurons(1, 3)
    frame = wait_for(qtbot, window, lambda f: f.config["hidden_layers"] == [4, 3])
    assert frame.snapshot.config["weight_decay"] == 0.01 and list(frame.snapshot.config["betas"]) == [0.8, 0.99]


def test_model_graph_tab_forwards_the_chosen_sample_with_its_features(qtbot, window):
    pg = window.playground
    pg.builder.feature_boxes["x1^2"].setChecked(True)
    frame = wait_for(qtbot, window, lambda f: len(f.feature_names) == 3)
    window.tabs.setCurrentWidget(window.model_graph)
    panel = window.model_graph
    qtbot.waitUntil(lambda: panel.view is not None and panel._last_request is not None, timeout=15000)
    assert panel.error == ""
    x = frame.data.x_train
    assert panel._last_request.sample == pytest.approx((x[0, 0], x[0, 1], x[0, 0] ** 2))
    assert panel.sample_spin.maximum() == len(x) - 1
    panel.sample_spin.setValue(5)  # the user picks another sample: the graph follows
    qtbot.waitUntil(lambda: panel._last_request.sample == pytest.approx((x[5, 0], x[5, 1], x[5, 0] ** 2)),
                    timeout=15000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=15000)
    assert panel.error == ""


# --- keys, plots and status while training ------------------------------------------------------------------
def settled_step(qtbot, win):
    """The step count once paused frames stop changing it (a slow machine draws the pause frame late)."""
    previous = -1
    for _ in range(50):
        frame = wait_for(qtbot, win, lambda f: not f.running)
        if frame.snapshot.step == previous:
            return previous
        previous = frame.snapshot.step
        qtbot.wait(300)
    return previous

def test_space_plays_even_when_the_csv_button_has_the_focus(qtbot, window, tmp_path, monkeypatch):
    pg = window.playground
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{i % 7 - 3},{i % 5 - 2},{i % 2}" for i in range(40)) + "\n")
    asked = []

    def fake_dialog(*args, **kwargs):
        asked.append(args)
        return str(path), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_dialog)
    qtbot.mouseClick(pg.data_panel.open_csv, Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, lambda f: f.config["dataset"] == "csv")
    window.activateWindow()
    pg.data_panel.open_csv.setFocus()
    qtbot.keyClick(pg.data_panel.open_csv, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: pg.running, timeout=5000)
    assert len(asked) == 1  # the dialog did not open again
    qtbot.keyClick(pg.data_panel.open_csv, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not pg.running, timeout=5000)
    step = settled_step(qtbot, window)
    # A text field keeps its keys: typing "s" in the label column does not step.
    qtbot.keyClicks(pg.data_panel.label_column, "s r")
    qtbot.wait(200)
    assert pg.data_panel.label_column.text() == "s r" and pg.last_frame.snapshot.step == step
    # S on a check box steps instead of doing nothing.
    box = pg.show_test
    qtbot.keyClick(box, Qt.Key.Key_S)
    wait_for(qtbot, window, lambda f: f.snapshot.step == step + 1)


def test_the_accuracy_plot_fills_while_slow_training_redraws_the_map_every_frame(qtbot, window):
    import dataclasses

    pg = window.playground
    trained = press_step(qtbot, window, times=6)
    rows = trained.snapshot.history

    def frame_with(k, running, grid_version):
        snapshot = dataclasses.replace(trained.snapshot, history=rows[:k], step=k)
        return dataclasses.replace(trained, snapshot=snapshot, running=running, grid_version=grid_version)

    pg._draw(frame_with(1, False, 1000))
    assert len(pg.accuracy_plot.train_curve.getData()[0]) == 1
    for k in range(2, 7):  # a slow run: a new output map in every frame, ~6 frames a second
        qtbot.wait(150)
        pg._draw(frame_with(k, True, 1000 + k))
    assert len(pg.accuracy_plot.train_curve.getData()[0]) >= 4


def test_a_typed_learning_rate_beyond_the_range_is_reported(qtbot, window):
    pg = window.playground
    window.activateWindow()
    pg.controls.lr.setFocus()
    pg.controls.lr.lineEdit().selectAll()
    qtbot.keyClicks(pg.controls.lr.lineEdit(), "1000")
    qtbot.keyClick(pg.controls.lr.lineEdit(), Qt.Key.Key_Return)
    assert pg.controls.lr.value() == 10.0
    qtbot.waitUntil(lambda: "is beyond the maximum; set to 10" in window.status_label.text(), timeout=5000)


def test_losses_are_shown_at_once_after_importing_weights(qtbot, window, tmp_path):
    trainer = Trainer(TrainConfig.from_dict(SMALL))
    trainer.run(30)
    path = str(tmp_path / "w.json")
    mio.save(trainer, path)
    with qtbot.waitSignal(window.controller.worker.weightsLoaded, timeout=10000):
        window.import_weights(path)
    qtbot.waitUntil(lambda: "—" not in window.playground.loss_text.text(), timeout=5000)
    expected = trainer.evaluate()
    assert f"Training loss {expected['train_loss']:.3f}" in window.playground.loss_text.text()


def test_the_status_shows_the_current_state_not_an_old_hint(qtbot, window):
    assert "press Play" in window.status_label.text()
    play(qtbot, window)
    qtbot.waitUntil(lambda: window.status_label.text().startswith("Training"), timeout=5000)
    wait_for(qtbot, window, lambda f: f.snapshot.step > 0)  # a loaded machine may not have stepped yet
    pause(qtbot, window)
    window._show_state()  # what the status timer does once a message has been up long enough
    assert window.status_label.text().startswith("Paused at step")


def test_cross_entropy_output_map_shades_by_confidence_unless_discretized(qtbot, window):
    pg = window.playground
    choose(pg.data_panel.dataset, "spiral3")
    wait_for(qtbot, window, lambda f: f.config["dataset"] == "spiral3")
    press_step(qtbot, window, times=5)
    image = pg.output_view.image.image
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    assert len(colours) > 10  # shades of three class colours
    pg.discretize.setChecked(True)
    hard = {tuple(c) for c in pg.output_view.image.image.reshape(-1, 3)}
    assert len(hard) <= 3


# --- the network drawing: neurons and edges ---------------------------------------------------------------
def click_neuron(qtbot, window, column, index):
    view = window.playground.network_view
    view.repaint()
    centre = view._node_rects[column][index].center().toPoint()
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=centre)


def test_clicking_a_neuron_shows_its_map_in_the_output_view_and_back(qtbot, window):
    from gui.colors import diverging_rgb, symmetric_levels

    pg = window.playground
    frame = press_step(qtbot, window, times=2)
    output_image = pg.output_view.image.image.copy()
    click_neuron(qtbot, window, 1, 2)  # hidden layer 1, neuron 3
    assert pg.network_view.selected == (1, 2) and pg.output_caption.isVisible()
    assert "hidden layer 1, neuron 3" in pg.output_caption.text()
    neuron_map = np.asarray(frame.neuron_grids[1][2])
    expected = diverging_rgb(neuron_map, symmetric_levels(neuron_map))
    np.testing.assert_array_equal(pg.output_view.image.image, expected)
    click_neuron(qtbot, window, 1, 2)  # again: back to the model's output
    assert pg.network_view.selected is None and not pg.output_caption.isVisible()
    np.testing.assert_array_equal(pg.output_view.image.image, output_image)


def test_hovering_an_edge_names_its_weight(qtbot, window):
    from PySide6.QtCore import QPointF

    view = window.playground.network_view
    frame = press_step(qtbot, window, times=1)
    view.repaint()
    source, target = view._node_rects[1][3], view._node_rects[2][0]
    (x0, y0), (x1, y1) = (source.right(), source.center().y()), (target.left(), target.center().y())
    t = 0.3  # a point on the drawn curve (a cubic with horizontal ends), away from where edges cross
    x = (1 - t) ** 3 * x0 + 3 * (1 - t) ** 2 * t * (x0 + (x1 - x0) / 2) + 3 * (1 - t) * t ** 2 * (x1 - (x1 - x0) / 2) \
        + t ** 3 * x1
    y = (1 - t) ** 3 * y0 + 3 * (1 - t) ** 2 * t * y0 + 3 * (1 - t) * t ** 2 * y1 + t ** 3 * y1
    assert view.edge_at(QPointF(x, y), tolerance=2.5) == (1, 0, 3)
    weight = frame.snapshot.state_dict["2.weight"][0, 3]
    assert f"{weight:+.4f}" in view.describe_edge(1, 0, 3)
    assert view.edge_at(QPointF(source.right() + 2, view.height() - 2)) is None


# --- reset, help, examples, recent files -------------------------------------------------------------------
def test_reset_draws_new_weights_and_the_weights_seed_repeats_a_run(qtbot, window):
    pg = window.playground
    first = press_step(qtbot, window, times=2).snapshot.state_dict["0.weight"].copy()
    data = pg.last_frame.data.x_train.copy()
    qtbot.keyClick(window, Qt.Key.Key_R)
    second = wait_for(qtbot, window, lambda f: f.config.get("init_seed") == 1 and f.snapshot.step == 0)
    assert pg.data_panel.init_seed.value() == 1 and pg.data_panel.seed.value() == 0
    assert not np.array_equal(second.snapshot.state_dict["0.weight"], first)
    np.testing.assert_array_equal(second.data.x_train, data)  # the same data
    qtbot.keyClick(window, Qt.Key.Key_R)
    third = wait_for(qtbot, window, lambda f: f.config.get("init_seed") == 2)
    assert not np.array_equal(third.snapshot.state_dict["0.weight"], second.snapshot.state_dict["0.weight"])
    pg.data_panel.init_seed.setValue(1)  # typed back: the run repeats
    again = wait_for(qtbot, window, lambda f: f.config.get("init_seed") == 1)
    np.testing.assert_array_equal(again.snapshot.state_dict["0.weight"], second.snapshot.state_dict["0.weight"])


def test_help_menu_explains_keys_and_screen(qtbot, window, boxes):
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in titles
    window.show_shortcuts()
    window.show_guide()
    shown = dict(boxes.shown)
    assert "Space" in shown["Keyboard shortcuts"] and "reset" in shown["Keyboard shortcuts"]
    assert "blue positive" in shown["How to read this screen"]
    assert not window.windowIcon().isNull()


def test_examples_are_bundled_in_the_package_and_open(qtbot, window):
    from pathlib import Path

    from gui.main_window import example_files

    files = example_files()
    assert {p.name for p in files} >= {"moons.json", "spiral.json", "xor.json"}
    assert all(Path(p).is_relative_to(Path(__file__).resolve().parent.parent / "gui") for p in files)
    titles = [a.text() for a in window.examples_menu.actions()]
    assert "Spiral" in titles
    spiral = next(a for a in window.examples_menu.actions() if a.text() == "Spiral")
    spiral.trigger()
    wait_for(qtbot, window, lambda f: f.config["dataset"] == "spiral")
    window._fill_recent_menu()
    assert [a.text() for a in window.recent_menu.actions()][0] == "spiral.json"


def test_bundled_examples_match_the_repository_examples():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in (root / "assets" / "examples").glob("*.json"):
        assert (root / "gui" / "resources" / "examples" / path.name).read_bytes() == path.read_bytes()


def test_open_recent_lists_opened_files_newest_first(qtbot, window, tmp_path):
    paths = []
    for name, layers in (("a.json", [3]), ("b.json", [5])):
        path = tmp_path / name
        TrainConfig.from_dict({**SMALL, "hidden_layers": layers}).save(path)
        window.open_path(str(path))
        wait_for(qtbot, window, lambda f, layers=layers: f.config["hidden_layers"] == layers)
        paths.append(str(path))
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10000)
    assert window.recent_files() == [paths[1], paths[0]]  # a file that failed to open is not listed
    window._fill_recent_menu()
    first = window.recent_menu.actions()[1]
    assert first.text() == "a.json"
    first.trigger()
    wait_for(qtbot, window, lambda f: f.config["hidden_layers"] == [3])


def test_l1_or_l2_regularisation_with_a_rate_changes_live(qtbot, window):
    pg = window.playground
    trained = press_step(qtbot, window, times=2)
    assert not pg.controls.reg_rate.isEnabled()  # "None": no rate to set
    accepted = window.controller.worker.configAccepted
    with qtbot.waitSignal(accepted, timeout=15000, check_params_cb=lambda c: c.get("l1") == pytest.approx(0.01)):
        choose(pg.controls.regularisation, "l1")
        pg.controls.reg_rate.setValue(0.01)
    frame = press_step(qtbot, window)
    assert frame.config["l1"] == pytest.approx(0.01) and frame.config["l2"] == 0.0
    assert frame.generation == trained.generation and frame.snapshot.step == 3  # the same model trains on
    with qtbot.waitSignal(accepted, timeout=15000, check_params_cb=lambda c: c.get("l2") == pytest.approx(0.01)):
        choose(pg.controls.regularisation, "l2")
    assert press_step(qtbot, window).config["l1"] == 0.0


def test_clicking_an_edge_edits_its_weight(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    view = window.playground.network_view
    press_step(qtbot, window, times=1)
    asked = []

    def fake_get_double(parent, title, label, value, *args):
        asked.append((title, label, value))
        return 0.75, True

    monkeypatch.setattr(QInputDialog, "getDouble", fake_get_double)
    view.repaint()
    source, target = view._node_rects[1][3], view._node_rects[2][0]
    (x0, y0), (x1, y1) = (source.right(), source.center().y()), (target.left(), target.center().y())
    t = 0.3
    x = (1 - t) ** 3 * x0 + 3 * (1 - t) ** 2 * t * (x0 + (x1 - x0) / 2) + 3 * (1 - t) * t ** 2 * (x1 - (x1 - x0) / 2) \
        + t ** 3 * x1
    y = (1 - t) ** 3 * y0 + 3 * (1 - t) ** 2 * t * y0 + 3 * (1 - t) * t ** 2 * y1 + t ** 3 * y1
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert asked and asked[0][0] == "Edit weight" and "hidden layer 2, neuron 1" in asked[0][1]
    frame = wait_for(qtbot, window, lambda f: f.snapshot.state_dict["2.weight"][0, 3] == 0.75)
    assert frame.snapshot.step == 1  # the same model, one weight changed
    qtbot.waitUntil(lambda: "Weight set to 0.75" in window.status_label.text(), timeout=5000)


@pytest.mark.parametrize("width, height", [(1280, 720), (1024, 700)])
def test_the_window_fits_small_screens_without_clipped_labels(qtbot, window, width, height):
    from PySide6.QtWidgets import QLabel

    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.height() == height, timeout=3000)
    bar = window.playground.controls
    for label in bar.findChildren(QLabel):
        if label.isVisible() and label.objectName() == "caption":
            assert label.width() >= label.sizeHint().width(), label.text()  # no "L2 REGULARISATIC"
            assert bar.rect().contains(label.geometry().translated(label.parentWidget().pos()).center())
    for combo in (bar.loss, bar.engine, bar.optimizer, bar.output_activation):
        assert combo.width() >= combo.sizeHint().width()  # "Binary cross-entro" would not fit



def test_the_training_keys_watch_the_focused_widget_not_every_event(qtbot, window, monkeypatch):
    # An application-wide Python event filter makes every event in the app wait for the interpreter
    # lock while the scalar engine trains (GUI stalls of ~100 ms): only the focused widget is watched.
    from PySide6.QtCore import QObject, QTimer

    watched = []
    original = window._training_key

    def counting(obj, event):
        watched.append(obj)
        return original(obj, event)

    monkeypatch.setattr(window, "_training_key", counting)
    unrelated = QObject()
    for _ in range(5):
        QTimer.singleShot(0, unrelated, lambda: None)
        qtbot.wait(10)
    assert unrelated not in watched
    button = window.playground.data_panel.open_csv
    window.activateWindow()
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    watched.clear()
    qtbot.keyClick(button, Qt.Key.Key_S)
    assert button in watched  # the focused widget's keys still reach the filter
