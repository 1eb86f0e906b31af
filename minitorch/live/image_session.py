"""A live image-training session: the image playground's training logic without Qt.

An `ImageSession` owns an `ImageTrainer`, runs the Images tab's commands (``configure``,
``play``, ``pause``, ``step``, ``set_probe``, ``predict_drawing``, files, ...) and, while
playing, trains in short slices; after each slice it sends an `ImageFrame`: the snapshot plus
what the views draw, computed here so that the GUI only paints: the conv filters, every
layer's feature maps for the chosen test image, the confusion matrix and the misclassified
test images. The costly ones are refreshed on their own clocks (filters and maps a few times
a second, the confusion matrix and gallery whenever the trainer has evaluated the test set).

It has the contract of `minitorch.live.session.TrainingSession`: ``emit(name, *args)`` sends
a signal, ``should_stop()`` says a command is waiting (checked between steps),
``ready_for_frame()`` says the GUI has painted the last frame (until then training goes on
and no new frame is made). The desktop app runs it in a child process
(`minitorch.live.process`); `ImageFrameEncoder` and `ImageFrameDecoder` carry its frames
there, sending only what changed.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .process import HistoryReceiver, HistorySender, frozen_array
from .session import PacedSession, readonly

GALLERY_SIZE = 40  # misclassified test images a frame carries (most confident first)

# The session's commands (what a host may pass to `ImageSession.run_command`), plus
# "shutdown", which the host handles itself.
COMMANDS = frozenset({"configure", "set_max_epochs", "play", "pause", "toggle", "step", "reset", "set_probe",
                      "predict_drawing", "export_weights", "import_weights", "save_experiment", "open_experiment",
                      "shutdown"})

# What a session emits: the names of the GUI worker's signals.
SIGNALS = frozenset({"frameReady", "runningChanged", "message", "failed", "configRejected", "configAccepted",
                     "configLoaded", "drawingPredicted", "fileSaved", "weightsLoaded"})

DIVERGED_MESSAGE = "Training diverged: lower the learning rate and press Reset."

# The block builder's names for the layer kinds (also its "add a block" menu).
KIND_TITLES = {
    "conv2d": "Conv2d",
    "maxpool2d": "MaxPool2d",
    "batchnorm2d": "BatchNorm2d",
    "activation": "Activation",
    "dropout": "Dropout",
    "flatten": "Flatten",
    "linear": "Linear",
}


def shape_text(shape: Sequence[int]) -> str:
    return "×".join(str(int(s)) for s in shape)


def describe_layer(layer: Any) -> str:
    """A short name for a layer dict or LayerSpec: "Conv2d 8, 3×3, pad 1"."""
    values = layer.to_dict() if hasattr(layer, "to_dict") else dict(layer)
    kind = values.get("kind")
    if kind == "conv2d":
        k = values.get("kernel_size")
        text = f"Conv2d {values.get('out_channels')}, {k}×{k}"
        if values.get("stride", 1) != 1:
            text += f", stride {values['stride']}"
        if values.get("padding", 0):
            text += f", pad {values['padding']}"
        return text
    if kind == "maxpool2d":
        k = values.get("kernel_size")
        return f"MaxPool2d {k}×{k}"
    if kind == "linear":
        return f"Linear {values.get('out_features')}"
    if kind == "activation":
        return str(values.get("name", "activation"))
    if kind == "dropout":
        return f"Dropout {values.get('p', 0.5):g}"
    return KIND_TITLES.get(str(kind), str(kind))


def layer_title(layer: Any, shape: Sequence[int]) -> str:
    """A short caption: the layer and the shape it outputs ("Conv2d 8, 3×3, pad 1 → 8×8×8")."""
    return f"{describe_layer(layer)} → {shape_text(shape)}"


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
    layer_titles: tuple[str, ...]  # "Conv2d 8, 3×3, pad 1 → 8×8×8" for each layer
    filters: tuple[tuple[int, np.ndarray], ...]  # (layer index, (out, in, k, k))
    filters_version: int
    probe_index: int
    feature_maps: tuple[np.ndarray, ...]  # input, then each layer's output, for the probe image
    maps_version: int
    confusion: np.ndarray  # (classes, classes)
    misclassified: tuple[tuple[int, int, int, float], ...]  # (test index, true, predicted, confidence)
    evaluations: int
    stop_reason: str | None = None
    data_version: int = 0  # increases whenever another data set is loaded
    confusion_version: int = 0  # increases whenever confusion / misclassified are recomputed


@dataclass(frozen=True, eq=False)
class DrawingPrediction:
    """The prediction for a drawing: the centred input, class probabilities, feature maps."""

    image: np.ndarray  # (H, W) as the network saw it
    probabilities: np.ndarray
    feature_maps: tuple[np.ndarray, ...]
    generation: int


class ImageSession(PacedSession):
    """Owns an ImageTrainer; runs commands; trains in slices of ``slice_seconds`` and sends frames.

    ``decode(path)`` reads the images of a folder data set (default: Pillow, see
    `minitorch.images.load_image_folder`); the desktop app passes Qt's decoder.
    """

    commands = COMMANDS
    diverged_message = DIVERGED_MESSAGE

    def __init__(self, emit: Callable[..., None] | None = None, *, slice_seconds: float = 1 / 30,
                 filters_interval: float = 0.25, maps_interval: float = 0.3,
                 decode: Callable[[str], np.ndarray] | None = None):
        super().__init__(emit, slice_seconds)
        self.filters_interval = filters_interval
        self.maps_interval = maps_interval
        self.decode = decode
        self._data_cache: tuple[tuple, Any] | None = None
        self._data_version = 0
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
        self._confusion_version = 0
        self._seen_evaluations = -1

    # --- commands -----------------------------------------------------------------------------------------
    def configure(self, config: Mapping[str, Any]) -> None:
        """Build a trainer for this config (the data set is reused when its options are unchanged)."""
        self._guard("Building the network", self._configure, dict(config))

    def _configure(self, config: dict[str, Any]) -> None:
        from ..architecture import ArchitectureError
        from ..images import ImageDataError
        from ..training.image_trainer import ImageConfigError, ImageTrainConfig, ImageTrainer

        try:
            cfg = ImageTrainConfig.from_dict(config)
            data = self._data_for(cfg)
            trainer = ImageTrainer(cfg, data=data)
        except (ImageConfigError, ImageDataError, ArchitectureError, ValueError, OSError) as exc:
            self.emit("configRejected", str(exc))
            return
        self.pause()
        self._install(trainer)
        self.emit("configAccepted", cfg.to_dict())
        self.emit("message", "Network ready: press Play to train.")

    def _data_for(self, cfg: Any) -> Any:
        from ..images import load_image_data

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
        self._data_version += 1
        return data

    def set_max_epochs(self, epochs: int) -> None:
        self._max_epochs = max(0, int(epochs))

    def step(self, count: int = 1) -> None:
        if self._trainer is None:
            return
        self.pause()
        self._guard("Training", self._trainer.run, max(1, int(count)))
        self._send_frame(force=True)

    def reset(self) -> None:
        if self._trainer is None:
            return
        self.pause()
        self._guard("Resetting", self._trainer.reset)
        self._install(self._trainer)

    def set_probe(self, index: int) -> None:
        """Choose the test image whose feature maps are shown."""
        if self._trainer is None:
            return
        self._probe_index = int(np.clip(index, 0, len(self._trainer.data.y_test) - 1))
        self._maps_time = -math.inf
        if not self._running:
            self._send_frame(force=True)

    def predict_drawing(self, canvas: np.ndarray) -> None:
        """Centre a drawing at the training resolution and predict it (answers drawingPredicted)."""
        self._guard("Predicting the drawing", self._predict_drawing, canvas)

    def _predict_drawing(self, canvas: np.ndarray) -> None:
        from ..images import center_drawing

        trainer = self._trainer
        if trainer is None:
            return
        channels, height, _ = trainer.data.image_shape
        image = center_drawing(np.asarray(canvas, dtype=np.float64), height)
        batch = np.repeat(image[None], channels, axis=0)
        probabilities = trainer.predict_proba(batch[None])[0]
        maps = trainer.feature_maps(batch)
        self.emit("drawingPredicted", DrawingPrediction(readonly(image), readonly(probabilities),
                                                        tuple(readonly(m) for m in maps), self._generation))

    def export_weights(self, path: str) -> None:
        from ..training.image_trainer import export_weights

        self._guard("Exporting weights", self._file_command, export_weights, path, "weights")

    def save_experiment(self, path: str) -> None:
        from ..training.image_trainer import save_image_experiment

        self._guard("Saving the experiment", self._file_command, save_image_experiment, path, "experiment")

    def _file_command(self, write: Callable[[Any, str], None], path: str, what: str) -> None:
        if self._trainer is None:
            raise ValueError("there is no network yet")
        write(self._trainer, path)
        self.emit("fileSaved", what, path)

    def import_weights(self, path: str) -> None:
        self._guard("Importing weights", self._import_weights, path)

    def _import_weights(self, path: str) -> None:
        from ..training.image_trainer import load_weights_into

        self.pause()
        load_weights_into(self._trainer, path)  # validated first: on error the model is untouched
        self._trainer.evaluate()
        self._force_views()
        self._send_frame(force=True)
        self.emit("weightsLoaded", path)
        self.emit("message", f"Loaded weights from {os.path.basename(path)}")

    def open_experiment(self, path: str) -> None:
        self._guard("Opening the experiment", self._open_experiment, path)

    def _open_experiment(self, path: str) -> None:
        from ..training.image_trainer import ImageTrainConfig, load_image_experiment

        self.pause()
        document_config = ImageTrainConfig.load(path)
        trainer = load_image_experiment(path, data=self._data_for(document_config))
        self.emit("configLoaded", trainer.config.to_dict())
        self._install(trainer)
        self.emit("message", f"Opened {os.path.basename(path)}")

    # --- the training loop ----------------------------------------------------------------------------------
    # --- frames -----------------------------------------------------------------------------------------------
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
            self._filters = tuple((index, readonly(weights)) for index, weights in trainer.filters())
            self._filters_version += 1
            self._filters_time = now
        if force or now - self._maps_time >= self.maps_interval:
            maps = trainer.feature_maps(trainer.data.x_test[self._probe_index])
            self._maps = tuple(readonly(m) for m in maps)
            self._maps_version += 1
            self._maps_time = now
        if trainer.evaluations != self._seen_evaluations:
            self._confusion = readonly(trainer.confusion_matrix())
            self._misclassified = tuple(trainer.misclassified(GALLERY_SIZE))
            self._confusion_version += 1
            self._seen_evaluations = trainer.evaluations

    def _send_frame(self, force: bool = False) -> None:
        """Send a frame; unforced frames are skipped while the GUI has not painted the last one."""
        if self._trainer is None or not (force or self.ready_for_frame()):
            return
        self._refresh_views(force)
        self.emit("frameReady", self.frame())

    def frame(self) -> ImageFrame:
        """The current state as an `ImageFrame` (with the views last computed)."""
        trainer = self._trainer
        return ImageFrame(
            snapshot=trainer.snapshot(), config=dict(self._config), running=self._running,
            steps_per_second=self._rate if self._running else 0.0, generation=self._generation,
            class_names=trainer.data.class_names, x_test=trainer.data.x_test, y_test=trainer.data.y_test,
            layer_titles=self._titles, filters=self._filters, filters_version=self._filters_version,
            probe_index=self._probe_index, feature_maps=self._maps, maps_version=self._maps_version,
            confusion=self._confusion, misclassified=self._misclassified, evaluations=trainer.evaluations,
            stop_reason=self._stop_reason, data_version=self._data_version,
            confusion_version=self._confusion_version,
        )

# --- what travels --------------------------------------------------------------------------------------------
# ImageFrame fields that travel only when their version changed, by the version that says so.
_VERSIONED = {
    "data_version": ("class_names", "x_test", "y_test"),
    "filters_version": ("filters",),
    "maps_version": ("feature_maps",),
    "confusion_version": ("confusion", "misclassified"),
}


class ImageFrameEncoder:
    """Turns `ImageFrame`s into picklable dicts that carry only what the receiver lacks.

    The history grows by a few entries per frame: only the new ones travel (all of them again
    for a new trainer). The test images travel once per data set; the filters, the feature
    maps and the confusion matrix with its gallery only when they were recomputed (a field
    left out travels as None).
    """

    def __init__(self) -> None:
        self._history = HistorySender()
        self._sent_versions: dict[str, int] = {}

    def encode(self, frame: ImageFrame) -> dict[str, Any]:
        wire = {field.name: getattr(frame, field.name) for field in dataclasses.fields(frame)}
        snapshot = frame.snapshot
        snap = {field.name: getattr(snapshot, field.name) for field in dataclasses.fields(snapshot)}
        snap["metrics"] = dict(snap["metrics"])
        snap.update(self._history.encode(snap.pop("history"), frame.generation))
        wire["snapshot"] = snap
        wire["config"] = dict(frame.config)
        for version, names in _VERSIONED.items():
            if self._sent_versions.get(version) == wire[version]:
                wire.update(dict.fromkeys(names))
            self._sent_versions[version] = wire[version]
        return wire


class ImageFrameDecoder:
    """Puts `ImageFrame`s back together from `ImageFrameEncoder`'s dicts (read-only arrays, as sent)."""

    def __init__(self) -> None:
        self._history = HistoryReceiver()
        self._kept: dict[str, Any] = {}

    def decode(self, wire: dict[str, Any]) -> ImageFrame:
        from ..training.image_trainer import ImageSnapshot

        fields = dict(wire)
        snap = dict(fields.pop("snapshot"))
        history = self._history.decode(snap.pop("history_from"), snap.pop("history_new"))
        snap["metrics"] = MappingProxyType(snap["metrics"])
        kept = self._kept
        for version, names in _VERSIONED.items():
            if kept.get(version) != fields[version]:
                kept[version] = fields[version]
                for name in names:
                    kept[name] = _frozen(name, fields[name])
            fields.update({name: kept[name] for name in names})
        return ImageFrame(snapshot=ImageSnapshot(history=history, **snap), **fields)


def _frozen(name: str, value: Any) -> Any:
    """A field as it arrived, with its arrays made read-only (an unpickled array owns its memory)."""
    if name in ("x_test", "y_test", "confusion"):
        return frozen_array(value)
    if name == "filters":
        return tuple((int(index), frozen_array(weights)) for index, weights in value)
    if name == "feature_maps":
        return tuple(frozen_array(m) for m in value)
    return tuple(value)


