"""The image playground's training worker: an `ImageTrainer` in its own QThread.

The GUI sends commands as queued signals (`ImageController`); the worker answers with
immutable `ImageFrame`s, at most ``max_fps`` per second and only once the last one was
painted (back-pressure). Besides the curves a frame carries what the views draw, computed
here so the GUI thread only paints: the conv filters, every layer's feature maps for the
chosen test image, the confusion matrix and the misclassified test images. The costly ones
are refreshed on their own clocks (filters and maps a few times a second, the confusion
matrix whenever the trainer has evaluated the test set).

Painting and training take turns (`gui.worker.TurnTaking`, as in the 2-D playground): the
worker waits between two steps while the GUI paints a frame, so the two threads never fight
over the GIL and the window stays responsive.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from ..worker import TurnTaking

GALLERY_SIZE = 40


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


def _readonly(array: Any) -> np.ndarray:
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


def layer_title(layer: Any, shape: tuple[int, ...]) -> str:
    """A short caption: the layer and the shape it outputs."""
    from .builder import describe_layer, shape_text

    return f"{describe_layer(layer)} → {shape_text(shape)}"


class ImageWorker(QObject):
    """Owns an ImageTrainer; lives in a worker thread; talks to the GUI only through signals."""

    frameReady = Signal(object)  # ImageFrame
    runningChanged = Signal(bool)
    message = Signal(str)
    failed = Signal(str, str)  # (what failed, why)
    configRejected = Signal(str)
    configAccepted = Signal(object)
    configLoaded = Signal(object)  # after "open experiment": the config to show in the form
    drawingPredicted = Signal(object)  # DrawingPrediction
    fileSaved = Signal(str, str)  # (what, path)
    weightsLoaded = Signal(str)

    def __init__(self, *, max_fps: float = 20.0, slice_seconds: float = 0.03, filters_interval: float = 0.25,
                 maps_interval: float = 0.3, decode: Callable[[str], np.ndarray] | None = qt_decode):
        super().__init__()
        self.min_frame_interval = 1.0 / max_fps
        self.slice_seconds = slice_seconds
        self.filters_interval = filters_interval
        self.maps_interval = maps_interval
        self.decode = decode
        self.gui_turn = TurnTaking()
        self.gui_turn.hand_over_with_frames = True  # the tab ends each turn once the frame is painted
        self._trainer: Any = None
        self._config: dict[str, Any] = {}
        self._data_cache: tuple[tuple, Any] | None = None
        self._running = False
        self._max_epochs = 0
        self._generation = 0
        self._stop_reason: str | None = None
        self._probe_index = 0
        self._filters: tuple = ()
        self._filters_version = 0
        self._filters_time = -math.inf
        self._maps: tuple = ()
        self._maps_version = 0
        self._maps_time = -math.inf
        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self._misclassified: tuple = ()
        self._seen_evaluations = -1
        self._rate = 0.0
        self._rate_steps = 0
        self._rate_since = time.perf_counter()
        self._last_frame_time = -math.inf
        self._frame_pending = threading.Event()
        self._timer = QTimer(self)  # a child: moveToThread() takes it along
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._train_slice)

    # --- read-only helpers (tests call these once the thread has stopped or between frames) ---------
    @property
    def trainer(self) -> Any:
        return self._trainer

    @property
    def running(self) -> bool:
        return self._running

    def frame_consumed(self) -> None:
        """Called by the GUI thread once a frame is painted: the next one may be sent."""
        self._frame_pending.clear()

    # --- commands (run in the worker thread) ------------------------------------------------------------------
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
        if self._trainer is None or self._running:
            return
        if self._trainer.diverged:
            self.message.emit("Training diverged: lower the learning rate and press Reset.")
            return
        self._stop_reason = None
        self._set_running(True)
        self._rate_steps, self._rate_since = 0, time.perf_counter()
        self._timer.start()

    @Slot()
    def pause(self) -> None:
        if self._running:
            self._set_running(False)
            self._timer.stop()
            self._emit_frame(force=True)

    @Slot()
    def toggle(self) -> None:
        self.pause() if self._running else self.play()

    @Slot(int)
    def step(self, count: int = 1) -> None:
        if self._trainer is None:
            return
        self.pause()
        self._guard("Training", self._trainer.run, max(1, int(count)))
        self._emit_frame(force=True)

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
            self._emit_frame(force=True)

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
        with self.gui_turn.worker():
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
        with self.gui_turn.worker():
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
        self._emit_frame(force=True)
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

    @Slot()
    def shutdown(self) -> None:
        """Stop training and move back to the GUI thread (so the thread can quit cleanly)."""
        self._running = False
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())

    # --- the training loop ---------------------------------------------------------------------------------
    @Slot()
    def _train_slice(self) -> None:
        if not self._running or self._trainer is None:
            return
        started = time.perf_counter()
        trainer = self._trainer
        try:
            while time.perf_counter() - started < self.slice_seconds:
                with self.gui_turn.worker():
                    metrics = trainer.step()
                self._rate_steps += 1
                if trainer.diverged:
                    self._stop_reason = (f"Training diverged: {trainer.diverged}. "
                                         "Lower the learning rate and press Reset.")
                elif self._max_epochs and int(metrics.get("epoch", 0)) >= self._max_epochs:
                    self._stop_reason = f"Reached the stop condition: {self._max_epochs} epochs."
                if self._stop_reason:
                    break
                if self._frame_due():
                    self._emit_frame()
        except Exception as exc:  # a numeric error must not kill the thread
            self._stop_reason = f"Training stopped: {exc}"
            self.failed.emit("Training", str(exc))
        now = time.perf_counter()
        if now - self._rate_since >= 0.5:
            self._rate = self._rate_steps / (now - self._rate_since)
            self._rate_steps, self._rate_since = 0, now
        if self._stop_reason:
            self._set_running(False)
            self.message.emit(self._stop_reason)
            self._emit_frame(force=True)
            return
        self._timer.start(1)

    def _frame_due(self) -> bool:
        return (not self._frame_pending.is_set()
                and time.perf_counter() - self._last_frame_time >= self.min_frame_interval)

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
        self._emit_frame(force=True)

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

    def _emit_frame(self, force: bool = False) -> None:
        trainer = self._trainer
        if trainer is None:
            return
        with self.gui_turn.worker():
            self._refresh_views(force)
            snapshot = trainer.snapshot()
        frame = ImageFrame(
            snapshot=snapshot, config=dict(self._config), running=self._running,
            steps_per_second=self._rate if self._running else 0.0, generation=self._generation,
            class_names=trainer.data.class_names, x_test=trainer.data.x_test, y_test=trainer.data.y_test,
            layer_titles=self._titles, filters=self._filters, filters_version=self._filters_version,
            probe_index=self._probe_index, feature_maps=self._maps, maps_version=self._maps_version,
            confusion=self._confusion, misclassified=self._misclassified, evaluations=trainer.evaluations,
            stop_reason=self._stop_reason,
        )
        self._last_frame_time = time.perf_counter()
        self._frame_pending.set()
        self.gui_turn.hand_over()
        self.frameReady.emit(frame)

    # --- plumbing ------------------------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.runningChanged.emit(running)

    def _guard(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            text = str(exc).strip().strip("'\"") or type(exc).__name__
            self.failed.emit(what, text)


class ImageController(QObject):
    """GUI-side handle: starts the worker thread, forwards commands, shuts down cleanly."""

    _configure = Signal(object)
    _play = Signal()
    _pause = Signal()
    _toggle = Signal()
    _step = Signal(int)
    _reset = Signal()
    _probe = Signal(int)
    _draw = Signal(object)
    _export = Signal(str)
    _import = Signal(str)
    _save = Signal(str)
    _open = Signal(str)
    _max_epochs = Signal(int)

    def __init__(self, parent: QObject | None = None, worker: ImageWorker | None = None):
        super().__init__(parent)
        self.worker = worker or ImageWorker()
        self.thread = QThread()
        self.thread.setObjectName("minitorch-image-training")
        self.worker.moveToThread(self.thread)
        for signal, slot in ((self._configure, self.worker.configure), (self._play, self.worker.play),
                             (self._pause, self.worker.pause), (self._toggle, self.worker.toggle),
                             (self._step, self.worker.step), (self._reset, self.worker.reset),
                             (self._probe, self.worker.set_probe), (self._draw, self.worker.predict_drawing),
                             (self._export, self.worker.export_weights), (self._import, self.worker.import_weights),
                             (self._save, self.worker.save_experiment), (self._open, self.worker.open_experiment),
                             (self._max_epochs, self.worker.set_max_epochs)):
            signal.connect(slot)
        self.thread.start()
        self._stopped = False

    def configure(self, config: Mapping[str, Any]) -> None:
        self._configure.emit(dict(config))

    def play(self) -> None:
        self._play.emit()

    def pause(self) -> None:
        self._pause.emit()

    def toggle(self) -> None:
        self._toggle.emit()

    def step(self, count: int = 1) -> None:
        self._step.emit(int(count))

    def reset(self) -> None:
        self._reset.emit()

    def set_probe(self, index: int) -> None:
        self._probe.emit(int(index))

    def predict_drawing(self, canvas: np.ndarray) -> None:
        self._draw.emit(np.array(canvas, copy=True))

    def export_weights(self, path: str) -> None:
        self._export.emit(os.fspath(path))

    def import_weights(self, path: str) -> None:
        self._import.emit(os.fspath(path))

    def save_experiment(self, path: str) -> None:
        self._save.emit(os.fspath(path))

    def open_experiment(self, path: str) -> None:
        self._open.emit(os.fspath(path))

    def set_max_epochs(self, epochs: int) -> None:
        self._max_epochs.emit(int(epochs))

    @property
    def stopped(self) -> bool:
        return self._stopped

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        if self._stopped:
            return True
        self._stopped = True
        if self.thread.isRunning():
            QMetaObject.invokeMethod(self.worker, "shutdown", Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.quit()
        return bool(self.thread.wait(timeout_ms))
