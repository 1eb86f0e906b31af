"""The training process's protocol (frames, "painted", restarts), the command path, cancellation,
and the engine the GUI trains with.

Nothing here measures time: a step on the largest settings the form allows takes seconds
with the scalar engine, and a Pause that shows step 0 has abandoned the running step.
Speed and stall numbers come from benchmarks/bench_gui_responsiveness.py.
"""

from __future__ import annotations

import json
import pickle
import threading
import time
from multiprocessing.connection import Pipe
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui.main_window import MainWindow
from gui.playground import DEFAULT_CONFIG, LARGEST_CONFIG
from gui.worker import COMMANDS, TrainingController
from minitorch.live.process import FrameDecoder, FrameEncoder, serve
from minitorch.live.session import TrainingSession
from minitorch.training import TrainConfig, Trainer
from minitorch.training import backends as training_backends

ROOT = Path(__file__).resolve().parent.parent

# The largest settings the form allows: 5,000 samples, 8 hidden layers of 32, every feature, and the
# largest batch the scalar engine accepts for them (TrainConfig refuses graphs over a million nodes).
LARGEST = {**LARGEST_CONFIG, "batch_size": 64, "engine": "scalar"}  # a step: about a million graph nodes, seconds
# Wide enough that a scalar minibatch of 48 is built and back-propagated in several chunks.
CHUNKED = {"dataset": "moons", "n_samples": 100, "seed": 1, "hidden_layers": [24, 24], "batch_size": 48,
           "optimizer": "adam", "lr": 0.01, "loss": "mse"}


# --- the protocol between the window and the training process -------------------------------------
SMALL = {"dataset": "moons", "n_samples": 60, "seed": 1, "hidden_layers": [4], "batch_size": 16, "engine": "tensor",
         "loss": "mse"}


def test_frames_travel_as_history_deltas_with_maps_and_data_sent_once():
    frames = []
    session = TrainingSession(lambda name, *args: frames.append(args[0]) if name == "frameReady" else None,
                              slice_seconds=0.0)
    session.configure(SMALL)  # a frame with everything
    session.grid_interval = session.neuron_interval = 1e9  # the maps are not due again
    session.play()
    session.train_slice()  # one step each (slice_seconds 0), a frame after each
    session.train_slice()
    session.reset()  # a new trainer: its history travels whole
    encoder, decoder = FrameEncoder(), FrameDecoder()
    wires = [pickle.loads(pickle.dumps(encoder.encode(frame))) for frame in frames]
    first, second, third = wires[:3]
    assert first["data"] is not None and first["grid"] is not None and first["neuron_grids"] is not None
    for wire, before in ((second, frames[0]), (third, frames[1])):
        assert wire["data"] is None and wire["grid"] is None and wire["neuron_grids"] is None  # unchanged
        assert wire["snapshot"]["history_from"] == len(before.snapshot.history)
        assert len(wire["snapshot"]["history_new"]) == 1  # only the step just taken
    assert wires[-1]["snapshot"]["history_from"] == 0 and wires[-1]["grid"] is not None
    for frame, wire in zip(frames, wires):
        got = decoder.decode(wire)
        assert [dict(e) for e in got.snapshot.history] == [dict(e) for e in frame.snapshot.history]
        assert got.snapshot.step == frame.snapshot.step and got.generation == frame.generation
        np.testing.assert_array_equal(got.grid, frame.grid)
        np.testing.assert_array_equal(got.data.x_train, frame.data.x_train)
        for mine, theirs in zip(got.neuron_grids, frame.neuron_grids):
            for a, b in zip(mine, theirs):
                np.testing.assert_array_equal(a, b)
        for key, value in frame.snapshot.state_dict.items():
            np.testing.assert_array_equal(got.snapshot.state_dict[key], value)
        assert not got.grid.flags.writeable and not got.data.x_train.flags.writeable


class _SameFrame:
    def encode(self, frame):
        return frame


class _CountingSession:
    """A stand-in session for `serve`: each slice records whether it was told to stop and
    offers a numbered frame when the last one has been painted."""

    running = True

    def __init__(self, emit):
        self.emit = emit
        self.slices: list[bool] = []
        self.frames = 0

    def run_command(self, name, args):
        self.emit("message", f"ran {name}{args}")

    def train_slice(self):
        self.slices.append(self.should_stop())
        if self.ready_for_frame():
            self.frames += 1
            self.emit("frameReady", self.frames)
        time.sleep(0.002)


def test_serve_waits_for_painted_before_the_next_frame_and_painted_never_interrupts_training():
    parent, child = Pipe()
    sessions = []
    thread = threading.Thread(target=serve, args=(child, lambda emit: sessions.append(_CountingSession(emit))
                                                  or sessions[0], _SameFrame))
    thread.start()
    try:
        assert parent.recv() == ("frame", 1)
        assert not parent.poll(0.3)  # no frame while the last one is unpainted ...
        session = sessions[0]
        unpainted = len(session.slices)
        assert unpainted > 2  # ... and training went on meanwhile
        parent.send(("painted",))
        assert parent.recv() == ("frame", 2)
        sent_at = len(session.slices)
        parent.send(("command", "pause", ()))
        assert parent.recv() == ("signal", "message", ("ran pause()",))
        assert True not in session.slices[:sent_at]  # "painted" took no slice short
    finally:
        parent.send(("command", "shutdown", ()))
        thread.join(10)
    assert not thread.is_alive()


def test_a_killed_training_process_is_restarted_with_the_last_config(qtbot):
    controller = TrainingController()
    worker = controller.worker
    accepted, failures, frames, messages = [], [], [], []
    worker.configAccepted.connect(accepted.append)
    worker.failed.connect(lambda what, why: failures.append((what, why)))
    worker.frameReady.connect(frames.append)
    worker.message.connect(messages.append)
    try:
        controller.send("configure", SMALL)
        controller.send("set_stop_condition", 2, 0.0)  # stop after two epochs: the new process too
        qtbot.waitUntil(lambda: len(accepted) == 1, timeout=60000)
        old = controller.process
        old.process.kill()
        qtbot.waitUntil(lambda: len(accepted) == 2, timeout=60000)  # the new process built the last config
        assert failures and failures[0][0] == "Training" and "ended unexpectedly" in failures[0][1]
        assert "a new one started with the last configuration" in failures[0][1]
        assert controller.restarts == 1 and controller.process is not old and controller.process.alive
        assert accepted[1]["hidden_layers"] == SMALL["hidden_layers"]
        controller.send("step", 2)
        qtbot.waitUntil(lambda: frames and frames[-1].snapshot.step == 2, timeout=60000)
        controller.send("play")
        qtbot.waitUntil(lambda: "Reached the stop condition: 2 epochs." in messages, timeout=60000)
        qtbot.waitUntil(lambda: not frames[-1].running and frames[-1].snapshot.epoch == 2, timeout=10000)
    finally:
        assert controller.shutdown()


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
    from minitorch.live.session import output_map

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
