"""The image playground's Qt-free training session: commands, slices, frames and what travels.

The session runs in a child process in the app; here it is driven directly (and once through
a real child process) with no Qt at all.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from minitorch.live.image_session import COMMANDS, ImageFrameDecoder, ImageFrameEncoder, ImageSession
from minitorch.live.process import SessionProcess
from minitorch.training.image_trainer import ImageTrainConfig, ImageTrainer

SMALL = {"dataset": "digits", "batch_size": 16}  # 8x8 images, 10 classes: the default network fits


def _session(**options):
    signals, frames = [], []

    def emit(name, *args):
        (frames.append(args[0]) if name == "frameReady" else signals.append((name, args)))

    session = ImageSession(emit, **options)
    return session, signals, frames


def test_a_session_trains_in_slices_and_frames_wait_until_painted():
    session, signals, frames = _session(slice_seconds=0.0)
    session.run_command("configure", (SMALL,))
    assert ("message", ("Network ready: press Play to train.",)) in signals and len(frames) == 1
    assert frames[0].snapshot.step == 0 and frames[0].class_names == tuple("0123456789")
    painted = [False]
    session.ready_for_frame = lambda: painted[0]
    session.run_command("play")
    session.train_slice()
    session.train_slice()
    assert len(frames) == 1  # training went on, but the GUI has not painted the last frame
    painted[0] = True
    session.train_slice()
    assert len(frames) == 2 and frames[-1].snapshot.step == 3 and frames[-1].running
    session.should_stop = lambda: True  # a command waits: the slice takes no step
    session.train_slice()
    assert session.trainer.step_count == 3
    session.should_stop = lambda: False
    session.run_command("pause")
    assert not frames[-1].running and ("runningChanged", (False,)) in signals
    # The same network trained headless takes the same steps.
    twin = ImageTrainer(ImageTrainConfig.from_dict(dict(frames[-1].config)))
    twin.run(3)
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(session.trainer.state_dict()[key], value)


def test_a_session_refuses_unknown_commands_and_reports_bad_configs():
    session, signals, frames = _session()
    session.run_command("train_forever")
    assert signals[-1] == ("failed", ("A command", "unknown command 'train_forever'"))
    session.run_command("configure", ({**SMALL, "lr": -1},))
    assert signals[-1][0] == "configRejected" and "lr" in signals[-1][1][0] and not frames
    assert {"configure", "play", "pause", "step", "set_probe", "predict_drawing", "shutdown"} <= COMMANDS


def test_image_frames_travel_with_history_deltas_and_views_once():
    session, _, frames = _session(slice_seconds=0.0, filters_interval=1e9, maps_interval=1e9)
    session.run_command("configure", (SMALL,))
    session.run_command("play")
    session.train_slice()  # step 1: the test set is evaluated (a new confusion matrix)
    session.train_slice()  # step 2: no evaluation
    session.run_command("set_probe", (5,))
    session.run_command("pause")  # a forced frame: every view recomputed
    session.run_command("reset")  # a new trainer: the whole history again
    encoder, decoder = ImageFrameEncoder(), ImageFrameDecoder()
    wires = [pickle.loads(pickle.dumps(encoder.encode(frame))) for frame in frames]
    first, one, two = wires[:3]
    assert first["x_test"] is not None and first["filters"] and first["feature_maps"] and first["confusion"] is not None
    for wire in (one, two):
        assert wire["x_test"] is None and wire["y_test"] is None and wire["class_names"] is None  # sent once
        assert wire["filters"] is None and wire["feature_maps"] is None  # not recomputed
        assert len(wire["snapshot"]["history_new"]) == 1
    assert one["snapshot"]["history_from"] == 0 and two["snapshot"]["history_from"] == 1
    assert one["confusion"] is not None and two["confusion"] is None and two["misclassified"] is None
    assert wires[-1]["snapshot"]["history_from"] == 0 and wires[-1]["x_test"] is None  # the same data set
    assert len(pickle.dumps(two)) < len(pickle.dumps(first)) / 5
    for frame, wire in zip(frames, wires):
        got = decoder.decode(wire)
        assert [dict(e) for e in got.snapshot.history] == [dict(e) for e in frame.snapshot.history]
        assert (got.snapshot.step, got.generation, got.probe_index) == (frame.snapshot.step, frame.generation,
                                                                       frame.probe_index)
        assert got.class_names == frame.class_names and got.layer_titles == frame.layer_titles
        assert got.misclassified == frame.misclassified and got.evaluations == frame.evaluations
        for name in ("x_test", "y_test", "confusion"):
            np.testing.assert_array_equal(getattr(got, name), getattr(frame, name))
            assert not getattr(got, name).flags.writeable
        assert [i for i, _ in got.filters] == [i for i, _ in frame.filters]
        for (_, mine), (_, theirs) in zip(got.filters, frame.filters):
            np.testing.assert_array_equal(mine, theirs)
        assert len(got.feature_maps) == len(frame.feature_maps)
        for mine, theirs in zip(got.feature_maps, frame.feature_maps):
            np.testing.assert_array_equal(mine, theirs)
    assert decoder.decode(encoder.encode(frames[-1])).probe_index == 5


def test_the_image_session_runs_in_a_child_process():
    process = SessionProcess("image")
    decoder = ImageFrameDecoder()
    try:
        process.send("configure", SMALL)
        process.send("step", 4)
        frames, signals = [], []
        while not frames or frames[-1].snapshot.step < 4:
            message = process.receive()
            if message[0] == "frame":
                frames.append(decoder.decode(message[1]))
                process.painted()
            else:
                signals.append(message[1])
        assert "configAccepted" in signals and frames[-1].x_test.shape[1:] == (1, 8, 8)
        assert len(frames[-1].snapshot.history) == 4
    finally:
        process.close()
    assert not process.alive


@pytest.mark.parametrize("canvas_value", [0.0, 1.0])
def test_a_drawing_is_centred_and_predicted_by_the_network(canvas_value):
    from minitorch.images import center_drawing

    session, signals, _ = _session()
    session.run_command("configure", (SMALL,))
    canvas = np.full((64, 64), canvas_value)
    canvas[20:44, 30:34] = 1.0 - canvas_value
    session.run_command("predict_drawing", (canvas,))
    name, (prediction,) = signals[-1]
    assert name == "drawingPredicted"
    expected = center_drawing(canvas, 8)
    np.testing.assert_allclose(prediction.image, expected)
    np.testing.assert_allclose(prediction.probabilities, session.trainer.predict_proba(expected[None, None])[0])
    assert len(prediction.feature_maps) == len(session.trainer.spec.layers) + 1
