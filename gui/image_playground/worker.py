"""The image playground's training worker: an `ImageTrainer` in its own QThread.

The GUI sends commands as queued signals (`ImageController`); the worker answers with
immutable `ImageFrame`s, at most ``max_fps`` per second and only once the last one was
painted (back-pressure). Besides the curves a frame carries what the views draw, computed
here so the GUI thread only paints: the conv filters, every layer's feature maps for the
chosen test image, the confusion matrix and the misclassified test images. The costly ones
are refreshed on their own clocks (filters and maps a few times a second, the confusion
matrix whenever the trainer has evaluated the test set).

Painting and training take turns through the 2-D playground's `gui.worker.Handshake`: the
worker trains for a slice, sends a frame and rests (its interpreter lock released) until the
GUI has painted it, so the two threads never fight over the GIL. Each slice lasts long
enough that showing a frame takes at most ``drawing_share`` of the time, so training in the
window keeps (1 - drawing_share) of its headless speed. A command raises the hand-shake's
interrupt, so Pause or a new network take effect after the step in progress.
"""

from __future__ import annotations

import gc
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from ..worker import PacedWorker, WorkerController, _readonly

GALLERY_SIZE = 40
COMMANDS = frozenset({"configure", "set_max_epochs", "play", "pause", "toggle", "step", "reset", "set_probe",
                      "predict_drawing", "export_weights", "import_weights", "save_experiment", "open_experiment",
                      "shutdown"})


def qt_decode(path: str) -> np.ndarray:
    """A PNG/JPEG file as a 2-D grey array in [0, 1], decoded by Qt (no Pillow needed)."""
    image = QImage(path)
    if image.isNull():
        raise ValueError("not a readable PNG or JPEG image")
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = grey.width(), grey.height(), grey.bytesPerLine()
    buffer = np.frombuffer(grey.constBits(), dtype=np.uint8, count=stride * height).reshape(height, stride)
    return buffer[:, :width].astype(np.float64) / 255.0


@dataclass(frozen=True, eq=False)
class ImageFrame:
    """One immutable picture of the training state for the views (read-only arrays)."""

    snapshot: Any  # minitorch.training.image_trainer.ImageSnapshot
    config: Mapping[str, Any]
    running: bool
    steps_per_second: float
    generation: int  # increases whenever a new trainer is installed
    class_names: tuple[str, ...]
    x_test: np.ndarray  # (N, C, H, W), shared read-only
    y_test: np.ndarray
    layer_titles: tuple[str, ...]  # "Conv2d 3x3 → 8x8x8" for each layer
    filters: tuple[tuple[int, np.ndarray], ...]  # (layer index, (out, in, k, k))
    filters_version: int
    probe_index: int
    feature_maps: tuple[np.ndarray, ...]  # input, then each layer's output, for the probe image
    maps_version: int
    confusion: np.ndarray  # (classes, classes)
    misclassified: tuple[tuple[int, int, int, float], ...]  # (test index, true, predicted, confidence)
    evaluations: int
    stop_reason: str | None = None


@dataclass(frozen=True, eq=False)
class DrawingPrediction:
    """The prediction for a drawing: the centred input, class probabilities, feature maps."""

    image: np.ndarray  # (H, W) as the network saw it
    probabilities: np.ndarray
    feature_maps: tuple[np.ndarray, ...]
    generation: int


def layer_title(layer: Any, shape: tuple[int, ...]) -> str:
    """A short caption: the layer and the shape it outputs."""
    from .builder import describe_layer, shape_text

    return f"{describe_layer(layer)} → {shape_text(shape)}"


class ImageWorker(PacedWorker):
    """Owns an ImageTrainer; lives in a worker thread; talks to the GUI only through signals."""

    configRejected = Signal(str)
    configAccepted = Signal(object)
    configLoaded = Signal(object)  # after "open experiment": the config to show in the form
    drawingPredicted = Signal(object)  # DrawingPrediction
    fileSaved = Signal(str, str)  # (what, path)
    weightsLoaded = Signal(str)
    diverged_message = "Training diverged: lower the learning rate and press Reset."

    def __init__(self, *, drawing_share: float = 0.2, min_train_seconds: float = 0.04,
                 max_train_seconds: float = 0.25, filters_interval: float = 0.25, maps_interval: float = 0.3,
                 gui_wait_limit: float = 0.25, decode: Callable[[str], np.ndarray] | None = qt_decode):
        super().__init__(drawing_share=drawing_share, min_train_seconds=min_train_seconds,
                         max_train_seconds=max_train_seconds, gui_wait_limit=gui_wait_limit)
        self.filters_interval = filters_interval
        self.maps_interval = maps_interval
        self.decode = decode
        self._data_cache: tuple[tuple, Any] | None = None
        self._probe_index = 0
        self._titles: tuple[str, ...] = ()
        self._filters: tuple = ()
        self._filters_version = 0
        self._filters_time = -math.inf
        self._maps: tuple = ()
        self._maps_version = 0
        self._maps_time = -math.inf
        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self._misclassified: tuple = ()
        self._seen_evaluations = -1

    # --- commands (run in the worker thread) ------------------------------------------------------------------
    @Slot(str, object)
    def run_command(self, name: str, args: tuple[Any, ...]) -> None:
        """Run one queued command (see `ImageController.send`)."""
        self.handshake.command_taken()
        if name not in COMMANDS:
            self.failed.emit("A command", f"unknown command {name!r}")
            return
        getattr(self, name)(*args)

    @Slot(object)
    def configure(self, config: Mapping[str, Any]) -> None:
        """Build a trainer for this config (the data set is reused when its options are unchanged)."""
        self._guard("Building the network", self._configure, dict(config))

    def _configure(self, config: dict[str, Any]) -> None:
        from minitorch.architecture import ArchitectureError
        from minitorch.images import ImageDataError
        from minitorch.training.image_trainer import ImageConfigError, ImageTrainConfig, ImageTrainer

        try:
            cfg = ImageTrainConfig.from_dict(config)
            data = self._data_for(cfg)
            trainer = ImageTrainer(cfg, data=data)
        except (ImageConfigError, ImageDataError, ArchitectureError, ValueError, OSError) as exc:
            self.configRejected.emit(str(exc))
            return
        self.pause()
        self._install(trainer)
        self.configAccepted.emit(cfg.to_dict())
        self.message.emit("Network ready: press Play to train.")

    def _data_for(self, cfg: Any) -> Any:
        from minitorch.images import load_image_data

        key = (cfg.dataset, cfg.image_size, cfg.n_samples, cfg.noise, cfg.folder, cfg.max_images, cfg.test_fraction,
               cfg.seed)
        if cfg.dataset == "digits":
            key = (cfg.dataset, cfg.test_fraction, cfg.seed)
        if self._data_cache is not None and self._data_cache[0] == key:
            return self._data_cache[1]
        data = load_image_data(cfg.dataset, image_size=cfg.image_size, n_samples=cfg.n_samples, noise=cfg.noise,
                               folder=cfg.folder, max_images=cfg.max_images, test_fraction=cfg.test_fraction,
                               seed=cfg.seed, decode=self.decode)
        self._data_cache = (key, data)
        return data

    @Slot(int)
    def set_max_epochs(self, epochs: int) -> None:
        self._max_epochs = max(0, int(epochs))

    @Slot()
    def play(self) -> None:
        if self._trainer is not None and not self._running and not self._trainer.diverged:
            # Move everything alive now (the modules, Qt wrappers, the data set, the network) out of
            # the cyclic collector's sight: otherwise a full collection, triggered now and then by
            # training's short-lived objects, walks them all while holding the interpreter lock and
            # stalls the GUI for 100+ ms under load. Freezing costs nothing; only reference cycles
            # already unreachable at this moment stay uncollected.
            gc.freeze()
        super().play()

    @Slot(int)
    def step(self, count: int = 1) -> None:
        if self._trainer is None:
            return
        self.pause()
        self._guard("Training", self._trainer.run, max(1, int(count)))
        self._send_frame(force=True)

    @Slot()
    def reset(self) -> None:
        if self._trainer is None:
            return
        self.pause()
        self._guard("Resetting", self._trainer.reset)
        self._install(self._trainer)

    @Slot(int)
    def set_probe(self, index: int) -> None:
        """Choose the test image whose feature maps are shown."""
        if self._trainer is None:
            return
        self._probe_index = int(np.clip(index, 0, len(self._trainer.data.y_test) - 1))
        self._maps_time = -math.inf
        if not self._running:
            self._send_frame(force=True)

    @Slot(object)
    def predict_drawing(self, canvas: np.ndarray) -> None:
        """Centre a drawing at the training resolution and predict it (answers drawingPredicted)."""
        self._guard("Predicting the drawing", self._predict_drawing, canvas)

    def _predict_drawing(self, canvas: np.ndarray) -> None:
        from minitorch.images import center_drawing

        trainer = self._trainer
        if trainer is None:
            return
        channels, height, _ = trainer.data.image_shape
        image = center_drawing(np.asarray(canvas, dtype=np.float64), height)
        batch = np.repeat(image[None], channels, axis=0)
        probabilities = trainer.predict_proba(batch[None])[0]
        maps = trainer.feature_maps(batch)
        self.drawingPredicted.emit(DrawingPrediction(_readonly(image), _readonly(probabilities),
                                                     tuple(_readonly(m) for m in maps), self._generation))

    @Slot(str)
    def export_weights(self, path: str) -> None:
        from minitorch.training.image_trainer import export_weights

        self._guard("Exporting weights", self._file_command, export_weights, path, "weights")

    @Slot(str)
    def save_experiment(self, path: str) -> None:
        from minitorch.training.image_trainer import save_image_experiment

        self._guard("Saving the experiment", self._file_command, save_image_experiment, path, "experiment")

    def _file_command(self, write: Callable[[Any, str], None], path: str, what: str) -> None:
        if self._trainer is None:
            raise ValueError("there is no network yet")
        write(self._trainer, path)
        self.fileSaved.emit(what, path)

    @Slot(str)
    def import_weights(self, path: str) -> None:
        self._guard("Importing weights", self._import_weights, path)

    def _import_weights(self, path: str) -> None:
        from minitorch.training.image_trainer import load_weights_into

        self.pause()
        load_weights_into(self._trainer, path)  # validated first: on error the model is untouched
        self._trainer.evaluate()
        self._force_views()
        self._send_frame(force=True)
        self.weightsLoaded.emit(path)
        self.message.emit(f"Loaded weights from {os.path.basename(path)}")

    @Slot(str)
    def open_experiment(self, path: str) -> None:
        self._guard("Opening the experiment", self._open_experiment, path)

    def _open_experiment(self, path: str) -> None:
        from minitorch.training.image_trainer import ImageTrainConfig, load_image_experiment

        self.pause()
        document_config = ImageTrainConfig.load(path)
        trainer = load_image_experiment(path, data=self._data_for(document_config))
        self.configLoaded.emit(trainer.config.to_dict())
        self._install(trainer)
        self.message.emit(f"Opened {os.path.basename(path)}")

    # --- the training loop ---------------------------------------------------------------------------------
    @Slot()
    def _train_slice(self) -> None:
        """Train for ``train_seconds`` (stopping early for a command), then send a frame."""
        if not self._running or self._trainer is None:
            return
        handshake, trainer = self.handshake, self._trainer
        started = time.perf_counter()
        self._pace(started)
        try:
            while not handshake.interrupted():
                metrics = trainer.step()
                self._rate_steps += 1
                if trainer.diverged:
                    self._stop_reason = (f"Training diverged: {trainer.diverged}. "
                                         "Lower the learning rate and press Reset.")
                elif self._max_epochs and int(metrics.get("epoch", 0)) >= self._max_epochs:
                    self._stop_reason = f"Reached the stop condition: {self._max_epochs} epochs."
                if self._stop_reason or time.perf_counter() - started >= self.train_seconds:
                    break
        except Exception as exc:  # a numeric error must not kill the thread
            self._stop_reason = f"Training stopped: {exc}"
            self.failed.emit("Training", str(exc))
        self._end_slice()

    # --- frames --------------------------------------------------------------------------------------------
    def _install(self, trainer: Any) -> None:
        self._trainer = trainer
        self._config = trainer.config.to_dict()
        self._generation += 1
        self._probe_index = min(self._probe_index, len(trainer.data.y_test) - 1)
        self._titles = tuple(layer_title(layer, shape) for layer, shape in zip(trainer.spec.layers, trainer.shapes))
        if trainer.test_probabilities is None:
            trainer.evaluate()  # so the confusion matrix and gallery start from the untrained net
        self._rate = 0.0
        self._stop_reason = None
        self._force_views()
        self._send_frame(force=True)

    def _force_views(self) -> None:
        self._filters_time = self._maps_time = -math.inf
        self._seen_evaluations = -1

    def _refresh_views(self, force: bool) -> None:
        trainer = self._trainer
        now = time.perf_counter()
        if force or now - self._filters_time >= self.filters_interval:
            self._filters = tuple((index, _readonly(weights)) for index, weights in trainer.filters())
            self._filters_version += 1
            self._filters_time = now
        if force or now - self._maps_time >= self.maps_interval:
            maps = trainer.feature_maps(trainer.data.x_test[self._probe_index])
            self._maps = tuple(_readonly(m) for m in maps)
            self._maps_version += 1
            self._maps_time = now
        if trainer.evaluations != self._seen_evaluations:
            self._confusion = _readonly(trainer.confusion_matrix())
            self._misclassified = tuple(trainer.misclassified(GALLERY_SIZE))
            self._seen_evaluations = trainer.evaluations

    def _send_frame(self, force: bool = False) -> None:
        """Send a frame; while training, rest until it is painted. Unforced frames wait for the last paint."""
        trainer, handshake = self._trainer, self.handshake
        if trainer is None or not (force or handshake.ready_for_frame()):
            return
        self._refresh_views(force)
        frame = ImageFrame(
            snapshot=trainer.snapshot(), config=dict(self._config), running=self._running,
            steps_per_second=self._rate if self._running else 0.0, generation=self._generation,
            class_names=trainer.data.class_names, x_test=trainer.data.x_test, y_test=trainer.data.y_test,
            layer_titles=self._titles, filters=self._filters, filters_version=self._filters_version,
            probe_index=self._probe_index, feature_maps=self._maps, maps_version=self._maps_version,
            confusion=self._confusion, misclassified=self._misclassified, evaluations=trainer.evaluations,
            stop_reason=self._stop_reason,
        )
        handshake.frame_sent()
        self.frameReady.emit(frame)
        if self._running:
            handshake.wait_until_painted(self.gui_wait_limit)

    # --- plumbing ------------------------------------------------------------------------------------------
    def _guard(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            text = str(exc).strip().strip("'\"") or type(exc).__name__
            self.failed.emit(what, text)


class ImageController(WorkerController):
    """The image playground's controller: an `ImageWorker` in the thread "minitorch-image-training"."""

    shutdown_timeout_ms = 5000  # a big image folder may still be being read

    def __init__(self, parent: QObject | None = None, worker: ImageWorker | None = None):
        super().__init__(parent, worker or ImageWorker(), COMMANDS, "minitorch-image-training")
        self.handshake.gui_paints_frames = True  # the tab paints every frame and says so (frame_drawn)

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
