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
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui.main_window import MainWindow
from minitorch import io as mio
from minitorch.training import TrainConfig, Trainer

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


def test_invalid_combination_is_explained_inline(qtbot, window):
    pg = window.playground
    pg.controls.loss.setCurrentIndex(pg.controls.loss.findData("hinge"))
    wait_for(qtbot, window, lambda f: f.config["loss"] == "hinge")
    pg.data_panel.dataset.setCurrentIndex(pg.data_panel.dataset.findData("plane"))  # regression + hinge
    qtbot.waitUntil(lambda: pg.error_label.isVisible(), timeout=3000)
    assert "loss" in pg.error_label.text() and "regression" in pg.error_label.text()
    assert window.playground.last_frame.config["dataset"] == "moons"  # the invalid config was not sent
    pg.controls.loss.setCurrentIndex(pg.controls.loss.findData("mse"))
    wait_for(qtbot, window, lambda f: f.config["dataset"] == "plane")
    assert not pg.error_label.isVisible()
    # For regression data the classification losses are greyed out in the combo.
    hinge = pg.controls.loss.model().item(pg.controls.loss.findData("hinge"))
    assert not hinge.isEnabled()


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
