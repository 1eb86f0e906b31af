"""Experiments: a trainer's config, weights, history and progress in one JSON file.

    save_experiment(trainer, "run.json", metadata={"title": "lesson 1"})
    trainer = load_experiment("run.json")     # same config, weights, history and step count

``load_experiment`` also opens a config file (written by ``TrainConfig.save`` or a bare object
of config fields, like the examples in assets/examples) as a fresh Trainer. The optimizer's
internal state (momenta) is not saved: training resumes with fresh momenta. The weights part
of an experiment file is readable on its own by ``minitorch.io.load``.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from typing import Any

from .._version import __version__
from ..errors import MinitorchError, ShapeError
from ..fileio import (
    CONFIG_FORMAT,
    EXPERIMENT_FORMAT,
    WEIGHTS_FORMAT,
    FormatError,
    as_float64,
    atomic_write_text,
    errors_naming,
    read_json,
    tensors_from_json,
    tensors_to_json,
)
from .config import TrainConfig
from .trainer import Trainer

__all__ = ["save_experiment", "load_experiment", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_HISTORY_NUMBERS = ("train_loss", "test_loss", "train_acc", "test_acc", "lr", "batch_loss")


def save_experiment(trainer: Trainer, path: str | os.PathLike, metadata: dict[str, Any] | None = None) -> None:
    """Write the trainer's config, weights, history and progress to one JSON file (atomically)."""
    if not isinstance(trainer, Trainer):
        raise TypeError(f"save_experiment takes a Trainer, got {type(trainer).__name__}")
    state = {key: as_float64(value, key) for key, value in trainer.state_dict().items()}
    meta: dict[str, Any] = {"saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                            "minitorch_version": __version__}
    if metadata:
        if not isinstance(metadata, dict):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        meta.update(metadata)
    for entry in trainer.history:
        for key, value in entry.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"history entry at step {entry.get('step')} has a non-finite {key}")
    document = {
        "format": EXPERIMENT_FORMAT,
        "format_version": FORMAT_VERSION,
        "config": trainer.config.to_dict(),
        "architecture": trainer.architecture(),
        **tensors_to_json(state),
        "step": trainer.step_count,
        "epoch": trainer.epoch,
        "diverged": trainer.diverged,
        "history": trainer.history,
        "metadata": meta,
    }
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-serialisable with finite numbers: {exc}") from None
    atomic_write_text(path, text + "\n")


def load_experiment(path: str | os.PathLike) -> Trainer:
    """A `Trainer` rebuilt from an experiment file (or a fresh one from a config file); every
    refusal is a project error naming the file, and nothing half-loaded is returned."""
    path = os.fspath(path)
    with errors_naming(path):
        return _load_experiment(path)


def _load_experiment(path: str) -> Trainer:
    data = read_json(path, "experiment")
    kind = data.get("format")
    if kind == WEIGHTS_FORMAT:
        raise FormatError(f"{path} holds weights only; open it with Import weights (minitorch.io.load)")
    if kind not in (EXPERIMENT_FORMAT, CONFIG_FORMAT, None):
        raise FormatError(f"{path} is not a minitorch experiment or config file (format {kind!r})")
    if kind != EXPERIMENT_FORMAT:
        try:
            return Trainer(TrainConfig.from_dict(data))
        except (TypeError, ValueError) as exc:
            if kind is None and not (set(data) & {"dataset", "hidden_layers", "loss"}):
                raise FormatError(f"{path} is not a minitorch experiment or config file") from None
            raise type(exc)(f"{path}: {exc}") from None
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise FormatError(f"{path}: unsupported format_version {version!r} (this minitorch reads {FORMAT_VERSION})")
    try:
        config = TrainConfig.from_dict(data.get("config"))
    except ValueError as exc:
        raise FormatError(f"{path}: invalid config: {exc}") from None
    state = tensors_from_json(data, path)
    history = _validate_history(data.get("history", []), path)
    step, epoch = data.get("step", 0), data.get("epoch", 0)
    for name, value in (("step", step), ("epoch", epoch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FormatError(f"{path}: '{name}' must be a non-negative integer, got {value!r}")
    trainer = Trainer(config)
    sizes = _recorded_sizes(data.get("architecture"), path)
    if sizes is not None and sizes != trainer.spec.sizes:
        raise ShapeError(f"{path}: the weights are for MLP{tuple(sizes)} but the config builds "
                         f"MLP{tuple(trainer.spec.sizes)}")
    try:
        trainer.load_state_dict(state)  # validated against the model (a float32 one: the range too), all-or-nothing
    except (KeyError, ValueError) as exc:
        if isinstance(exc, MinitorchError):
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise FormatError(f"{path}: the weights do not fit the model: {message}") from None
    trainer.restore_history(history, epoch=epoch)
    trainer.step_count = step
    diverged = data.get("diverged")
    trainer.diverged = diverged if isinstance(diverged, str) else None
    return trainer


def _recorded_sizes(architecture: Any, path: str) -> list[int] | None:
    if architecture is None:
        return None
    sizes = architecture.get("sizes") if isinstance(architecture, dict) else None
    if not isinstance(sizes, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        raise FormatError(f"{path}: 'architecture' must record the layer sizes, got {architecture!r}")
    return sizes


def _validate_history(history: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(history, list):
        raise FormatError(f"{path}: 'history' must be a list")
    out = []
    for i, entry in enumerate(history):
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), int):
            raise FormatError(f"{path}: history entry {i} is not an object with an integer 'step'")
        for key in _HISTORY_NUMBERS:
            value = entry.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                raise FormatError(f"{path}: history entry {i} has a bad {key} {value!r}")
        out.append(dict(entry))
    return out
