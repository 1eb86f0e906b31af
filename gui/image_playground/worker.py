"""The image playground's training behind the window: an `ImageSession` in a child process.

The session (`minitorch.live.image_session`) owns the `ImageTrainer` and computes what the
views draw; it runs in a child process (`gui.image_playground.child`), so training and
painting run side by side on two cores and never take turns for the interpreter lock. Here,
in the GUI process, `ImageController` (a `gui.worker.TrainingController`) sends the tab's
commands and re-emits the session's messages as `ImageWorker`'s signals; frames arrive as
`ImageFrame`s put back together by `ImageFrameDecoder` (only what changed travels).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from minitorch.live.image_session import (
    COMMANDS,
    GALLERY_SIZE,
    DrawingPrediction,
    ImageFrame,
    ImageFrameDecoder,
    layer_title,
)

from ..worker import TrainingController

__all__ = ["COMMANDS", "GALLERY_SIZE", "DrawingPrediction", "ImageController", "ImageFrame", "ImageWorker",
           "layer_title"]


class ImageWorker(QObject):
    """The image session's signals, emitted in the GUI thread (the session runs in a child process)."""

    frameReady = Signal(object)  # ImageFrame
    runningChanged = Signal(bool)
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (what failed, a readable reason)
    configRejected = Signal(str)
    configAccepted = Signal(object)
    configLoaded = Signal(object)  # after "open experiment": the config to show in the form
    drawingPredicted = Signal(object)  # DrawingPrediction
    fileSaved = Signal(str, str)  # (what, path)
    weightsLoaded = Signal(str)


class ImageController(TrainingController):
    """The image playground's controller: an `ImageSession` in a child process, read by the thread
    "minitorch-image-training"."""

    kind = "image"
    thread_name = "minitorch-image-training"
    child_module = "gui.image_playground.child"  # the session with Qt's decoder for image folders
    restored_commands = ("configure", "set_max_epochs", "set_probe")

    def __init__(self, parent: QObject | None = None, worker: ImageWorker | None = None):
        super().__init__(parent, worker if worker is not None else ImageWorker(), COMMANDS)

    def _new_decoder(self) -> Any:
        return ImageFrameDecoder().decode

    def configure(self, config: Mapping[str, Any]) -> None:
        self.send("configure", dict(config))

    def play(self) -> None:
        self.send("play")

    def pause(self) -> None:
        self.send("pause")

    def toggle(self) -> None:
        self.send("toggle")

    def step(self, count: int = 1) -> None:
        self.send("step", int(count))

    def reset(self) -> None:
        self.send("reset")

    def set_probe(self, index: int) -> None:
        self.send("set_probe", int(index))

    def predict_drawing(self, canvas: np.ndarray) -> None:
        self.send("predict_drawing", np.array(canvas, copy=True))

    def export_weights(self, path: str) -> None:
        self.send("export_weights", os.fspath(path))

    def import_weights(self, path: str) -> None:
        self.send("import_weights", os.fspath(path))

    def save_experiment(self, path: str) -> None:
        self.send("save_experiment", os.fspath(path))

    def open_experiment(self, path: str) -> None:
        self.send("open_experiment", os.fspath(path))

    def set_max_epochs(self, epochs: int) -> None:
        self.send("set_max_epochs", int(epochs))
