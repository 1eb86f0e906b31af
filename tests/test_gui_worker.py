"""The training worker's hand-shake, command path and cancellation, and the engine the GUI trains with.

Nothing here measures time: a step on the largest settings the form allows takes seconds
with the scalar engine, and a Pause that shows step 0 has abandoned the running step.
Speed and stall numbers come from benchmarks/bench_gui_responsiveness.py.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.main_window import MainWindow
from gui.playground import DEFAULT_CONFIG, LARGEST_CONFIG
from gui.worker import COMMANDS, Handshake, TrainingController
from minitorch.training import TrainConfig, Trainer
from minitorch.training import backends as training_backends

ROOT = Path(__file__).resolve().parent.parent

# The largest settings the form allows: 5,000 samples, 8 hidden layers of 32, every feature, and the
# largest batch the scalar engine accepts for them (TrainConfig refuses graphs over a million nodes).
LARGEST = {**LARGEST_CONFIG, "batch_size": 64, "engine": "scalar"}  # a step: about a million graph nodes, seconds
# Wide enough that a scalar minibatch of 48 is built and back-propagated in several chunks.
CHUNKED = {"dataset": "moons", "n_samples": 100, "seed": 1, "hidden_layers": [24, 24], "batch_size": 48,
           "optimizer": "adam", "lr": 0.01, "loss": "mse"}


# --- the hand-shake ------------------------------------------------------------------------------
def test_commands_on_their_way_interrupt_the_worker_until_taken():
    handshake = Handshake()
    assert not handshake.interrupted()
    handshake.command_sent()
    handshake.command_sent()
    assert handshake.interrupted()
    handshake.command_taken()
    assert handshake.interrupted()  # one is still on its way
    handshake.command_taken()
    assert not handshake.interrupted()
    handshake.close()
    assert handshake.interrupted()  # closing stops everything, for good


def test_the_worker_rests_until_the_gui_painted_its_frame_and_never_for_ever():
    handshake = Handshake()
    handshake.frame_sent()
    assert handshake.ready_for_frame()  # no GUI paints frames: nothing to wait for
    handshake.gui_paints_frames = True
    handshake.frame_sent()
    assert not handshake.ready_for_frame()
    assert handshake.wait_until_painted(0.01) is False  # bounded: training goes on without the GUI

    released = threading.Event()

    def worker() -> None:
        if handshake.wait_until_painted(60):
            released.set()

    thread = threading.Thread(target=worker)
    thread.start()
    handshake.frame_painted()  # the GUI thread: the frame is on screen
    thread.join(60)
    assert released.is_set() and handshake.ready_for_frame()
    handshake.frame_sent()
    handshake.command_sent()  # a command wakes a resting worker (the frame is still unpainted)
    assert handshake.wait_until_painted(60) is False and not handshake.ready_for_frame()
    handshake.command_taken()
    handshake.close()  # closing releases a waiting worker too
    assert handshake.wait_until_painted(60) and handshake.ready_for_frame()


def test_one_command_path_refuses_unknown_commands(qtbot):
    controller = TrainingController()
    try:
        with pytest.raises(ValueError, match="unknown command"):
            controller.send("train_forever")
        assert {"configure", "play", "pause", "reset", "step", "shutdown"} <= COMMANDS
    finally:
        assert controller.shutdown()


# --- cancellation inside a step --------------------------------------------------------------------
def _calls_until(n: int):
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) >= n

    return should_stop, calls


def test_an_abandoned_step_changes_nothing():
    trainer, twin = Trainer(TrainConfig(**CHUNKED)), Trainer(TrainConfig(**CHUNKED))
    before = {k: v.copy() for k, v in trainer.state_dict().items()}
    should_stop, calls = _calls_until(3)
    assert trainer.step(should_stop=should_stop) is None
    assert len(calls) == 3  # asked between chunks, inside the step
    assert trainer.step_count == 0 and trainer.history == []
    for key, value in trainer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    # The batch order was put back: the next step is the step an untouched twin takes.
    assert trainer.step()["loss"] == twin.step()["loss"]
    for key, value in trainer.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key])


def test_run_stops_inside_a_step():
    trainer = Trainer(TrainConfig(**CHUNKED))
    should_stop, _ = _calls_until(3)  # once before the first step, then between its chunks
    trainer.run(5, should_stop=should_stop)
    assert trainer.step_count == 0


def test_a_chunked_scalar_step_equals_the_one_graph_step_and_the_tensor_engine(monkeypatch):
    chunked = Trainer(TrainConfig(**CHUNKED))
    tensor = Trainer(TrainConfig(**CHUNKED, engine="tensor"))
    with monkeypatch.context() as patch:
        patch.setattr(training_backends, "CHUNK_NODES", 10**9)  # the whole minibatch as one graph
        whole = Trainer(TrainConfig(**CHUNKED))
        whole_losses = [whole.step()["loss"] for _ in range(3)]
    assert len(range(0, 48, training_backends.CHUNK_NODES // chunked.backend._nodes_per_row)) > 2
    chunked_losses = [chunked.step()["loss"] for _ in range(3)]
    tensor_losses = [tensor.step()["loss"] for _ in range(3)]
    assert chunked_losses == pytest.approx(whole_losses, abs=1e-12)
    assert chunked_losses == pytest.approx(tensor_losses, abs=1e-9)
    for key, value in chunked.state_dict().items():
        np.testing.assert_allclose(value, whole.state_dict()[key], atol=1e-12)


def test_pause_reaches_a_running_scalar_step_on_the_largest_settings(qtbot):
    controller = TrainingController()
    worker = controller.worker
    try:
        with qtbot.waitSignal(worker.configAccepted, timeout=60000):
            controller.send("configure", LARGEST)
        with qtbot.waitSignal(worker.runningChanged, timeout=10000):
            controller.send("play")  # its first step takes seconds
        with qtbot.waitSignal(worker.frameReady, timeout=20000,
                              check_params_cb=lambda frame: not frame.running) as paused:
            controller.send("pause")
        assert paused.args[0].snapshot.step == 0  # the running step was abandoned, not finished
    finally:
        assert controller.shutdown()


def test_closing_the_window_mid_step_with_the_largest_settings_returns(qtbot, qsettings_file):
    window = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(window)
    window.show()
    pg = window.playground
    pg.set_config(LARGEST)
    pg.apply_config()
    qtbot.waitUntil(lambda: pg.last_frame is not None and pg.last_frame.config.get("batch_size") == 64,
                    timeout=60000)
    pg.play()
    qtbot.waitUntil(lambda: pg.running, timeout=10000)
    thread = window.controller.worker_thread
    window.close()  # shutdown() waits at most 2 s and says whether the thread ended
    assert window.controller.stopped and thread.isFinished()


# --- the maps the worker draws ----------------------------------------------------------------------
@pytest.mark.parametrize("config", [
    {"dataset": "moons", "features": ["x1", "x2", "x1^2", "sin(x2)"], "hidden_layers": [8, 8], "loss": "mse"},
    {"dataset": "spiral", "hidden_layers": [6], "activation": "relu", "loss": "bce_logits", "engine": "tensor"},
    {"dataset": "spiral3", "hidden_layers": [8, 8], "loss": "cross_entropy", "engine": "tensor"},
])
def test_the_float32_output_map_is_the_trainers_predict_grid(config):
    from gui.worker import output_map

    trainer = Trainer(TrainConfig(**config, n_samples=60, seed=2))
    trainer.run(5)
    extent = (-1.5, 2.5, -1.2, 1.3)
    expected = trainer.predict_grid(extent[:2], extent[2:], 100)
    drawn = output_map(trainer, extent, 100)
    assert drawn.shape == expected.shape == (100, 100)
    if config["loss"] == "cross_entropy":  # class indices: equal but for a few pixels on a boundary
        assert np.mean(drawn == expected) > 0.995
    else:
        np.testing.assert_allclose(drawn, expected, atol=1e-4)


# --- the engine the GUI trains with, and what the form and the docs say about it ----------------------
def test_the_default_config_and_every_example_train_with_the_tensor_engine():
    assert DEFAULT_CONFIG["engine"] == "tensor"
    examples = sorted((ROOT / "assets" / "examples").glob("*.json"))
    assert examples
    for path in examples:
        config = json.loads(path.read_text())["config"]
        assert config.get("engine") == "tensor", path.name
        assert TrainConfig.from_dict(config).engine == "tensor"


def test_the_engine_choice_is_labelled_as_the_docs_describe_it(qtbot):
    from gui.panels.training_controls import TrainingControls

    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.set_values(DEFAULT_CONFIG)
    assert controls.engine.currentData() == "tensor"
    items = [(controls.engine.itemData(i), controls.engine.itemText(i)) for i in range(controls.engine.count())]
    assert items == [("tensor", "Tensor (fast)"), ("scalar", "Scalar graph")]
    tip = controls.engine.toolTip()
    assert "same numbers" in tip and "one autograd node per number" in tip
    docs = (ROOT / "docs" / "playground.md").read_text(encoding="utf-8")
    assert "**Tensor (fast)**" in docs and "**Scalar graph**" in docs
    assert "the same numbers" in docs and "default" in docs


def test_the_model_graph_tab_shows_the_scalar_graph_while_the_tensor_engine_trains(qtbot, qsettings_file):
    window = MainWindow(settings=qsettings_file, restore=False)
    qtbot.addWidget(window)
    window.show()
    pg = window.playground
    qtbot.waitUntil(lambda: pg.last_frame is not None and window.model_graph is not None, timeout=30000)
    assert pg.last_frame.config["engine"] == "tensor"
    window.tabs.setCurrentWidget(window.model_graph)
    panel = window.model_graph
    qtbot.waitUntil(lambda: panel._last_request is not None and not panel.busy and panel.view is not None,
                    timeout=30000)
    assert panel.error == ""
    assert panel._last_request.engine == "scalar"
    assert panel.view.description.startswith("scalar graph")
    first = panel._last_request
    qtbot.wait(500)  # the tab refreshes at most every 0.4 s
    qtbot.keyClick(window, Qt.Key.Key_S)  # a step with the tensor engine: the scalar graph follows
    qtbot.waitUntil(lambda: panel._last_request is not first and not panel.busy, timeout=30000)
    assert panel.error == "" and panel._last_request.engine == "scalar"
    assert not np.array_equal(panel._last_request.state_dict["0.weight"], first.state_dict["0.weight"])
    window.tabs.setCurrentIndex(0)  # no further builds start while the window closes
    window.close()
