"""Training conv nets on image data: `ImageTrainConfig` (what to train) and `ImageTrainer` (how).

The network is a `ModelSpec` (minitorch.architecture): the config lists its layers as dicts
(``{"kind": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}``), the input shape
comes from the data. The trainer runs the n-d tensor engine one minibatch per ``step()``,
evaluates the test set every ``eval_every`` steps, and answers the questions the image
playground asks while it trains: the conv filters, every layer's feature maps for one
image, class probabilities, the confusion matrix and the misclassified test images.

Files: `export_weights` writes JSON, safetensors or a PyTorch ``.pt`` state dict whose keys
are those of ``spec.build_torch()`` (a ``torch.nn.Sequential`` of the same layers loads it
with all keys matched); `save_image_experiment` / `load_image_experiment` keep config,
weights and history in one JSON file. All writes are atomic, all loads validated.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import backend as array_backend
from ..architecture import ArchitectureError, LayerSpec, ModelSpec
from ..autograd import no_grad
from ..errors import MinitorchError, ShapeError
from ..fileio import (
    MAX_WEIGHTS_BYTES,
    FormatError,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    check_file,
    import_safetensors_numpy,
    import_torch,
    parse_json,
    read_json,
    tensors_to_json,
    torch_to_numpy,
    weights_extension,
)
from ..images import IMAGE_DATASETS, ImageData, load_image_data
from ..ndtensor import Tensor
from ..nn import functional as F
from .history import HistoryView
from .trainer import make_optimizer

__all__ = [
    "ImageTrainConfig", "ImageTrainer", "ImageSnapshot", "ImageConfigError", "PRESETS", "preset_layers",
    "DEFAULT_PRESET", "limit_blas_threads", "check_spec", "export_weights", "load_weights_into",
    "save_image_experiment", "load_image_experiment",
    "is_image_document", "is_image_file", "IMAGE_CONFIG_FORMAT", "IMAGE_EXPERIMENT_FORMAT", "IMAGE_WEIGHTS_FORMAT",
]

IMAGE_CONFIG_FORMAT = "minitorch-image-config"
IMAGE_EXPERIMENT_FORMAT = "minitorch-image-experiment"
IMAGE_WEIGHTS_FORMAT = "minitorch-image-weights"
FORMAT_VERSION = 1
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
DTYPES = ("float32", "float64")
MAX_LAYERS = 32
EVAL_CHUNK = 512  # test images per forward pass when evaluating


class ImageConfigError(MinitorchError, ValueError):
    """A bad field in an image training config, or a file that is not one."""


def limit_blas_threads(threads: int = 1) -> bool:
    """Run BLAS (numpy's matrix products) on ``threads`` threads; True when the limit was applied.

    A small conv net's matrix products are tiny: extra BLAS threads only spin and wait, and on a
    busy 2-core machine they made each training step about 6x slower. It also leaves a core to a
    GUI thread. Uses threadpoolctl when installed (it comes with scikit-learn); a no-op otherwise.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=threads, user_api="blas")
    return True


# --- presets: layer lists that fit any input size from 8x8 up ------------------------------------------------
def _conv(channels: int, kernel: int = 3, padding: int = 1, stride: int = 1) -> dict[str, Any]:
    return {"kind": "conv2d", "out_channels": channels, "kernel_size": kernel, "stride": stride, "padding": padding}


def _act(name: str = "relu") -> dict[str, Any]:
    return {"kind": "activation", "name": name}


def _pool(size: int = 2) -> dict[str, Any]:
    return {"kind": "maxpool2d", "kernel_size": size}


def _linear(width: int) -> dict[str, Any]:
    return {"kind": "linear", "out_features": width}


FLATTEN = {"kind": "flatten"}

PRESETS: dict[str, Callable[[int], list[dict[str, Any]]]] = {
    "tiny LeNet": lambda classes: [
        _conv(8), _act(), _pool(), _conv(16), _act(), _pool(), FLATTEN, _linear(32), _act(), _linear(classes)],
    "conv + batch norm": lambda classes: [
        _conv(16), {"kind": "batchnorm2d"}, _act(), _pool(), _conv(32), _act(), _pool(), FLATTEN,
        _linear(64), _act(), {"kind": "dropout", "p": 0.1}, _linear(classes)],
    "one conv layer": lambda classes: [_conv(8), _act(), _pool(), FLATTEN, _linear(classes)],
    "MLP (no convolution)": lambda classes: [FLATTEN, _linear(64), _act(), _linear(classes)],
}
DEFAULT_PRESET = "tiny LeNet"


def preset_layers(name: str, num_classes: int) -> list[dict[str, Any]]:
    """The layer dicts of preset ``name`` ending in a Linear with ``num_classes`` outputs."""
    if name not in PRESETS:
        raise ImageConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return [dict(layer) for layer in PRESETS[name](num_classes)]


# --- the config ------------------------------------------------------------------------------------------------
def _fail(name: str, message: str) -> None:
    raise ImageConfigError(f"ImageTrainConfig.{name}: {message}")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(name, f"must be an integer in [{low}, {high}], got {value!r}")


def _check_float(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        _fail(name, f"must be a number in [{low:g}, {high:g}], got {value!r}")


@dataclass
class ImageTrainConfig:
    """An image training run: data, the layer list, optimizer and seed. Every field has a default."""

    dataset: str = "digits"
    image_size: int = 16  # shapes (16 or 28) and folder images (8..64); digits are always 8x8
    n_samples: int = 2000  # shapes only
    noise: float = 0.1  # shapes only
    folder: str | None = None
    max_images: int = 2000  # folder only: more files than this is an error, not a long wait
    test_fraction: float = 0.25
    seed: int = 0
    layers: list[dict[str, Any]] = field(default_factory=lambda: preset_layers(DEFAULT_PRESET, 10))
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 32
    dtype: str = "float32"
    device: str = "cpu"
    eval_every: int = 20  # steps between two evaluations of the test set

    def validate(self) -> ImageTrainConfig:
        if self.dataset not in IMAGE_DATASETS:
            _fail("dataset", f"must be one of {', '.join(IMAGE_DATASETS)}, got {self.dataset!r}")
        _check_int("image_size", self.image_size, 8, 64)
        _check_int("n_samples", self.n_samples, 8, 20_000)
        _check_float("noise", self.noise, 0.0, 1.0)
        if self.folder is not None and not isinstance(self.folder, str):
            _fail("folder", f"must be a folder path or null, got {self.folder!r}")
        if self.dataset == "folder" and not self.folder:
            _fail("folder", "the 'folder' data set needs the path of a folder with one sub-folder per class")
        _check_int("max_images", self.max_images, 2, 20_000)
        _check_float("test_fraction", self.test_fraction, 0.05, 0.9)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        if not isinstance(self.layers, (list, tuple)) or not self.layers:
            _fail("layers", "must be a non-empty list of layer objects")
        if len(self.layers) > MAX_LAYERS:
            _fail("layers", f"at most {MAX_LAYERS} layers, got {len(self.layers)}")
        for number, layer in enumerate(self.layers, 1):
            try:
                LayerSpec.from_dict(dict(layer) if isinstance(layer, Mapping) else layer)
            except (ArchitectureError, TypeError, ValueError) as exc:
                _fail("layers", f"layer {number}: {exc}")
        if self.optimizer not in OPTIMIZERS:
            _fail("optimizer", f"must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        _check_float("lr", self.lr, 0.0, 10.0)
        _check_float("momentum", self.momentum, 0.0, 0.999)
        _check_float("weight_decay", self.weight_decay, 0.0, 1.0)
        _check_int("batch_size", self.batch_size, 1, 4096)
        if self.dtype not in DTYPES:
            _fail("dtype", f"must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not isinstance(self.device, str) or not self.device:
            _fail("device", f"must be 'cpu' or 'cuda', got {self.device!r}")
        _check_int("eval_every", self.eval_every, 1, 100_000)
        return self

    def layer_specs(self) -> tuple[LayerSpec, ...]:
        return tuple(LayerSpec.from_dict(dict(layer)) for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["layers"] = [dict(layer) for layer in self.layers]
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ImageTrainConfig:
        """Build and validate; accepts the wrapper ``save`` writes or a bare object of fields."""
        if not isinstance(data, dict):
            raise ImageConfigError(f"an image config must be a JSON object, got {type(data).__name__}")
        if data.get("format") in (IMAGE_CONFIG_FORMAT, IMAGE_EXPERIMENT_FORMAT):
            data = data.get("config")
            if not isinstance(data, dict):
                raise ImageConfigError("the file has no 'config' object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ImageConfigError(f"ImageTrainConfig: unknown field(s) {', '.join(map(repr, unknown))}")
        values = dict(data)
        if isinstance(values.get("layers"), (list, tuple)):
            values["layers"] = [dict(layer) if isinstance(layer, Mapping) else layer for layer in values["layers"]]
        return cls(**values).validate()

    def copy(self, **changes: Any) -> ImageTrainConfig:
        return ImageTrainConfig.from_dict({**self.to_dict(), **changes})

    def to_json(self) -> str:
        return json.dumps({"format": IMAGE_CONFIG_FORMAT, "format_version": FORMAT_VERSION, "config": self.to_dict()},
                          indent=2)

    def save(self, path: str | os.PathLike) -> None:
        self.validate()
        atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> ImageTrainConfig:
        return cls.from_dict(_read_json(path))


def _read_json(path: str | os.PathLike) -> Any:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ImageConfigError(f"no such file: {path}")
    try:
        return read_json(path, "image config")  # size, digit and nesting limits; no NaN
    except FormatError as exc:
        raise ImageConfigError(str(exc)) from None


def is_image_document(data: Any) -> bool:
    """True for an image config or experiment (the wrapper or a bare object of image fields)."""
    if not isinstance(data, dict):
        return False
    if data.get("format") in (IMAGE_CONFIG_FORMAT, IMAGE_EXPERIMENT_FORMAT):
        return True
    return data.get("format") is None and data.get("dataset") in IMAGE_DATASETS and "layers" in data


def is_image_file(path: str | os.PathLike) -> bool:
    """True for a readable JSON file holding an image config or experiment (False for anything else)."""
    path = os.fspath(path)
    if not path.lower().endswith(".json") or not os.path.isfile(path):
        return False
    try:
        return is_image_document(_read_json(path))
    except (MinitorchError, OSError, ValueError):
        return False  # whoever opens it next reports the bad file


# --- the trainer --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ImageSnapshot:
    """An immutable summary of the training state, safe to hand to another thread."""

    step: int
    epoch: int
    metrics: MappingProxyType
    history: Sequence[MappingProxyType]  # a `HistoryView`: the records up to this step
    diverged: str | None
    evaluations: int  # how many times the test set has been evaluated


def _numpy(value: Any) -> np.ndarray:
    """A state_dict entry (a parameter Tensor, or a buffer array on any device) as a numpy array."""
    return array_backend.as_numpy(value)


def check_spec(spec: ModelSpec, num_classes: int) -> list[tuple[int, ...]]:
    """The output shape after each layer; ArchitectureError if the stack is impossible or ends wrong."""
    shapes = spec.output_shapes()
    if shapes[-1] != (num_classes,):
        raise ArchitectureError(f"the last layer outputs {_shape_text(shapes[-1])} but the data has {num_classes} "
                                f"classes: end with Linear({num_classes})")
    return shapes


def _shape_text(shape: Sequence[int]) -> str:
    return "x".join(str(s) for s in shape)


class ImageTrainer:
    """Builds the data set, the conv net and the optimizer from an `ImageTrainConfig`; trains step by step.

    ``data`` reuses an already loaded `ImageData` (the GUI keeps it across rebuilds);
    ``decode`` reads folder images (see minitorch.images.load_image_folder).
    """

    def __init__(self, config: ImageTrainConfig | dict[str, Any] | None = None, data: ImageData | None = None,
                 decode: Callable[[str], np.ndarray] | None = None) -> None:
        if config is None:
            config = ImageTrainConfig()
        elif isinstance(config, dict):
            config = ImageTrainConfig.from_dict(config)
        self.config = config.copy()
        cfg = self.config
        self.data = data if data is not None else load_image_data(
            cfg.dataset, image_size=cfg.image_size, n_samples=cfg.n_samples, noise=cfg.noise, folder=cfg.folder,
            max_images=cfg.max_images, test_fraction=cfg.test_fraction, seed=cfg.seed, decode=decode)
        self.spec = ModelSpec(input_shape=self.data.image_shape, layers=cfg.layer_specs())
        self.shapes = check_spec(self.spec, self.data.num_classes)
        self._device = array_backend.parse_device(cfg.device)
        self._dtype = np.dtype(cfg.dtype)
        self._build()

    def _build(self) -> None:
        cfg = self.config
        self.model = self.spec.build_tensor(seed=cfg.seed, dtype=cfg.dtype, device=cfg.device)
        self.optimizer = make_optimizer(cfg.optimizer, self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                        weight_decay=cfg.weight_decay)
        self._x_train = np.ascontiguousarray(self.data.x_train, dtype=self._dtype)
        self._x_test = np.ascontiguousarray(self.data.x_test, dtype=self._dtype)
        self._batch_rng = np.random.default_rng([cfg.seed, 2])
        self._order = self._batch_rng.permutation(len(self._x_train))
        self._cursor = 0
        self.step_count = 0
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        self._frozen_history: list[MappingProxyType] = []
        self.last_metrics: dict[str, Any] = {}
        self.diverged: str | None = None
        self.evaluations = 0
        self.test_probabilities: np.ndarray | None = None  # (n_test, classes) at the last evaluation

    def reset(self) -> None:
        """Fresh weights from the config's seed (the same start every time), empty history."""
        self._build()

    # --- training -------------------------------------------------------------------------------------------
    def _tensor(self, array: np.ndarray) -> Tensor:
        return Tensor(array, device=self._device)

    def _next_batch(self) -> np.ndarray:
        """The next minibatch; ``epoch`` counts the passes over the training set completed so far."""
        size = min(self.config.batch_size, len(self._order))
        batch = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        if self._cursor + size > len(self._order):  # the rest is smaller than a batch: a new pass begins
            self._order = self._batch_rng.permutation(len(self._x_train))
            self._cursor = 0
            self.epoch += 1
        return batch

    def step(self) -> dict[str, Any]:
        """One minibatch of cross-entropy training; every ``eval_every`` steps also the test set."""
        if self.diverged:
            raise MinitorchError(f"training diverged ({self.diverged}); reset first")
        batch = self._next_batch()
        self.model.train()
        self.optimizer.zero_grad()
        logits = self.model(self._tensor(self._x_train[batch]))
        labels = self.data.y_train[batch]
        loss = F.cross_entropy(logits, self._tensor(labels))
        loss.backward()
        loss_value = float(loss.item())
        if not math.isfinite(loss_value):
            self.diverged = f"the loss became {loss_value} at step {self.step_count + 1}"
            return self._record({"step": self.step_count + 1, "epoch": self.epoch, "train_loss": loss_value})
        self.optimizer.step()
        self.step_count += 1
        predicted = array_backend.to_numpy(logits.data).argmax(axis=1)
        entry: dict[str, Any] = {"step": self.step_count, "epoch": self.epoch, "train_loss": loss_value,
                                 "train_acc": float((predicted == labels).mean())}
        if self.step_count % self.config.eval_every == 0 or self.step_count == 1:
            entry.update(self.evaluate())
        return self._record(entry)

    def _record(self, entry: dict[str, Any]) -> dict[str, Any]:
        self.history.append(entry)
        self._frozen_history.append(MappingProxyType(dict(entry)))
        self.last_metrics = {**self.last_metrics, **entry}
        return entry

    def run(self, steps: int, callback: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        for _ in range(steps):
            metrics = self.step()
            if callback is not None:
                callback(metrics)
            if self.diverged:
                break
        return metrics

    def evaluate(self) -> dict[str, float]:
        """Test loss and accuracy (eval mode: dropout off, batch-norm running statistics)."""
        probabilities = self.predict_proba(self._x_test)
        labels = self.data.y_test
        picked = probabilities[np.arange(len(labels)), labels]
        test_loss = float(-np.log(np.clip(picked, 1e-12, None)).mean())
        test_acc = float((probabilities.argmax(axis=1) == labels).mean())
        probabilities.setflags(write=False)
        self.test_probabilities = probabilities
        self.evaluations += 1
        return {"test_loss": test_loss, "test_acc": test_acc}

    # --- what the views show ----------------------------------------------------------------------------
    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes) for images (N, C, H, W), in eval mode."""
        images = np.asarray(images, dtype=self._dtype)
        if images.ndim == 3:
            images = images[None]
        was_training = self.model.training
        self.model.eval()
        try:
            parts = []
            with no_grad():
                for first in range(0, len(images), EVAL_CHUNK):
                    logits = self.model(self._tensor(images[first:first + EVAL_CHUNK]))
                    parts.append(array_backend.to_numpy(logits.softmax(1).data).astype(np.float64))
        finally:
            self.model.train(was_training)
        return np.concatenate(parts) if parts else np.zeros((0, self.data.num_classes))

    def feature_maps(self, image: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for one image (C, H, W): [input, after layer 1, after layer 2, ...]."""
        x = np.asarray(image, dtype=self._dtype)
        if x.ndim == 2:
            x = x[None]
        outputs = [np.array(x, dtype=np.float32)]
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                h = self._tensor(x[None])
                for module in self.model:
                    h = module(h)
                    outputs.append(array_backend.to_numpy(h.data)[0].astype(np.float32))
        finally:
            self.model.train(was_training)
        return outputs

    def filters(self) -> list[tuple[int, np.ndarray]]:
        """(layer index, weights (out, in, k, k)) for each Conv2d layer."""
        return [(index, array_backend.to_numpy(module.weight.data).astype(np.float32))
                for index, (layer, module) in enumerate(zip(self.spec.layers, self.model))
                if layer.kind == "conv2d"]

    def confusion_matrix(self) -> np.ndarray:
        """(classes, classes) counts at the last evaluation: row = true class, column = predicted."""
        classes = self.data.num_classes
        matrix = np.zeros((classes, classes), dtype=np.int64)
        if self.test_probabilities is not None:
            np.add.at(matrix, (self.data.y_test, self.test_probabilities.argmax(axis=1)), 1)
        return matrix

    def misclassified(self, limit: int = 48) -> list[tuple[int, int, int, float]]:
        """Up to ``limit`` (test index, true, predicted, confidence) at the last evaluation, most confident first."""
        if self.test_probabilities is None:
            return []
        predicted = self.test_probabilities.argmax(axis=1)
        wrong = np.nonzero(predicted != self.data.y_test)[0]
        confidence = self.test_probabilities[wrong, predicted[wrong]]
        order = wrong[np.argsort(-confidence, kind="stable")][:limit]
        return [(int(i), int(self.data.y_test[i]), int(predicted[i]), float(self.test_probabilities[i, predicted[i]]))
                for i in order]

    # --- state ----------------------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Float64 numpy copies under torch.nn.Sequential's keys."""
        return OrderedDict((k, np.array(_numpy(v), dtype=np.float64)) for k, v in self.model.state_dict().items())

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Validated and all-or-nothing (keys, shapes, finiteness)."""
        current = self.model.state_dict()
        converted = {}
        for key, value in state_dict.items():
            array = np.asarray(value)
            if key in current:
                array = array.astype(_numpy(current[key]).dtype)
            converted[key] = array
        self.model.load_state_dict(converted)

    def snapshot(self) -> ImageSnapshot:
        return ImageSnapshot(step=self.step_count, epoch=self.epoch, metrics=MappingProxyType(dict(self.last_metrics)),
                             history=HistoryView(self._frozen_history), diverged=self.diverged,
                             evaluations=self.evaluations)

    def restore_history(self, history: Sequence[Mapping[str, Any]], epoch: int) -> None:
        self.history = [dict(entry) for entry in history]
        self._frozen_history = [MappingProxyType(dict(entry)) for entry in self.history]
        self.last_metrics = {}
        for entry in self.history:
            self.last_metrics.update(entry)
        self.step_count = int(self.history[-1]["step"]) if self.history else 0
        self.epoch = int(epoch)

    def __repr__(self) -> str:
        return f"ImageTrainer(dataset={self.config.dataset!r}, layers={len(self.spec.layers)}, step={self.step_count})"


# --- files ------------------------------------------------------------------------------------------------------
def export_weights(trainer: ImageTrainer, path: str | os.PathLike) -> None:
    """Save the weights as .json / .safetensors (with the layer list) or a PyTorch .pt state dict."""
    ext = weights_extension(path, ImageConfigError)
    state = trainer.state_dict()
    model = trainer.spec.to_dict()
    if ext == ".json":
        document = {"format": IMAGE_WEIGHTS_FORMAT, "format_version": FORMAT_VERSION, "model": model,
                    **tensors_to_json(state)}
        atomic_write_text(path, json.dumps(document, allow_nan=False) + "\n")
    elif ext == ".safetensors":
        stnp = import_safetensors_numpy()
        header = {"format": IMAGE_WEIGHTS_FORMAT, "format_version": str(FORMAT_VERSION), "model": json.dumps(model)}
        atomic_write_bytes(path, stnp.save({k: np.array(v, order="C") for k, v in state.items()}, metadata=header))
    else:
        torch = import_torch()
        tensors = OrderedDict()
        for key, value in state.items():
            tensor = torch.from_numpy(np.array(value, order="C"))  # keeps 0-d counters 0-d
            if key.endswith("num_batches_tracked"):
                tensor = tensor.to(torch.int64)  # torch keeps this counter as an integer
            tensors[key] = tensor
        atomic_write(path, lambda tmp: torch.save(tensors, tmp))


def _read_weights(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    ext = weights_extension(path, ImageConfigError)
    if not os.path.isfile(path):
        raise ImageConfigError(f"no such file: {path}")
    if ext == ".json":
        data = _read_json(path)
        if not isinstance(data, dict) or data.get("format") not in (IMAGE_WEIGHTS_FORMAT, IMAGE_EXPERIMENT_FORMAT):
            raise ImageConfigError(f"{path} is not an image-net weights file (no 'format': '{IMAGE_WEIGHTS_FORMAT}')")
        return _state_from_document(data, path), data.get("model")

    if ext != ".json":
        try:
            check_file(path, "weights", MAX_WEIGHTS_BYTES)  # before reading it all
        except FormatError as exc:
            raise ImageConfigError(str(exc)) from None
    if ext == ".safetensors":
        stnp = import_safetensors_numpy()
        from safetensors import safe_open
        try:
            with safe_open(path, framework="numpy") as handle:
                meta = handle.metadata() or {}
            tensors = stnp.load_file(path)
        except Exception as exc:  # the Rust side raises its own error type; all mean "corrupt"
            raise ImageConfigError(f"{path} is corrupt or not a safetensors file ({exc})") from None
        if meta.get("format") != IMAGE_WEIGHTS_FORMAT:
            raise ImageConfigError(f"{path} is a safetensors file but not image-net weights from minitorch")
        try:
            model = parse_json(meta.get("model", "null"), f"{path} (model description)")
        except FormatError as exc:
            raise ImageConfigError(str(exc)) from None
        return {k: np.asarray(v) for k, v in tensors.items()}, model
    torch = import_torch()
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ImageConfigError(f"{path} is corrupt or not a PyTorch weights file ({type(exc).__name__})") from None
    if not isinstance(obj, Mapping) or not all(hasattr(v, "detach") for v in obj.values()):
        raise ImageConfigError(f"{path} does not hold a state_dict (a dict of tensors)")
    try:
        return {str(k): torch_to_numpy(v, str(k), path) for k, v in obj.items()}, None
    except FormatError as exc:
        raise ImageConfigError(str(exc)) from None


def _state_from_document(data: Mapping[str, Any], path: str) -> dict[str, np.ndarray]:
    raw, shapes = data.get("state_dict"), data.get("shapes")
    if not isinstance(raw, dict) or not isinstance(shapes, dict) or set(raw) != set(shapes):
        raise ImageConfigError(f"{path}: needs a 'state_dict' and the 'shapes' of all its tensors")
    state = {}
    for key, value in raw.items():
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ImageConfigError(f"{path}: tensor {key!r} is not numeric or is ragged") from None
        if list(array.shape) != shapes[key]:
            raise ShapeError(f"{path}: tensor {key!r} has shape {list(array.shape)} but the file says {shapes[key]}")
        state[key] = array
    return state


def load_weights_into(trainer: ImageTrainer, path: str | os.PathLike) -> None:
    """Load a weights file into the trainer's model: validated first, the model untouched on error."""
    path = os.fspath(path)
    state, model = _read_weights(path)
    if model is not None and model != trainer.spec.to_dict():
        try:
            theirs = ModelSpec.from_dict(model)
            described = f"{len(theirs.layers)} layers on {_shape_text(theirs.input_shape)} images"
        except Exception:
            described = "another network"
        raise ShapeError(f"{path} holds weights for {described}, not for this network "
                         f"({len(trainer.spec.layers)} layers on {_shape_text(trainer.spec.input_shape)} images)")
    trainer.load_state_dict(state)


def save_image_experiment(trainer: ImageTrainer, path: str | os.PathLike) -> None:
    """Config, weights, history and progress in one JSON file (optimizer momenta are not kept)."""
    state = trainer.state_dict()
    document = {
        "format": IMAGE_EXPERIMENT_FORMAT, "format_version": FORMAT_VERSION,
        "config": trainer.config.to_dict(), "model": trainer.spec.to_dict(),
        "shapes": {k: list(v.shape) for k, v in state.items()},
        "state_dict": {k: v.tolist() for k, v in state.items()},
        "step": trainer.step_count, "epoch": trainer.epoch, "history": trainer.history,
    }
    try:
        text = json.dumps(document, allow_nan=False)
    except ValueError:
        raise ImageConfigError("the history holds a non-finite number (the run diverged); "
                               "reset before saving") from None
    atomic_write_text(path, text + "\n")


def load_image_experiment(path: str | os.PathLike, decode: Callable[[str], np.ndarray] | None = None,
                          data: ImageData | None = None) -> ImageTrainer:
    """An `ImageTrainer` rebuilt from an experiment (config, weights, history) or a bare config file."""
    path = os.fspath(path)
    document = _read_json(path)
    if not is_image_document(document):
        raise ImageConfigError(f"{path} is neither an image experiment nor an image config")
    trainer = ImageTrainer(ImageTrainConfig.from_dict(document), data=data, decode=decode)
    if document.get("format") == IMAGE_EXPERIMENT_FORMAT:
        trainer.load_state_dict(_state_from_document(document, path))
        history = document.get("history")
        if not isinstance(history, list) or not all(isinstance(entry, dict) and isinstance(entry.get("step"), int)
                                                    for entry in history):
            raise ImageConfigError(f"{path}: 'history' must be a list of objects with a 'step'")
        epoch = document.get("epoch", 0)
        trainer.restore_history(history, epoch if isinstance(epoch, int) else 0)
        trainer.evaluate()
    return trainer
