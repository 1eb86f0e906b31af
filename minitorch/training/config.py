"""`TrainConfig`: everything that defines a training run, as a plain, validated dataclass.

It round-trips through JSON (``to_dict``/``from_dict``, ``save``/``load``); every bad value
raises a ``ValueError`` that names the field, so a hand-edited file gets a readable message.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from ..activations import SCALAR_ACTIVATIONS
from ..datasets import DATASETS, FEATURES
from ..fileio import CONFIG_FORMAT, EXPERIMENT_FORMAT, atomic_write_text
from .losses import LOSSES

__all__ = ["TrainConfig", "LOSSES", "OPTIMIZERS", "ENGINES", "LR_SCHEDULES", "CONFIG_FORMAT"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
ENGINES = ("scalar", "tensor")
LR_SCHEDULES = (None, "step", "cosine")
DTYPES = ("float64", "float32")
MAX_SAMPLES = 100_000  # a typo like 10**9 must not freeze the playground
CONFIG_VERSION = 1


def _fail(name: str, message: str) -> None:
    raise ValueError(f"TrainConfig.{name}: {message}")


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(name, f"must be an integer >= {minimum}, got {value!r}")


def _check_float(name: str, value: Any, low: float, high: float = math.inf, high_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(name, f"must be a finite number, got {value!r}")
    if value < low or value > high or (high_open and value == high):
        bound = f"[{low:g}, {high:g}{')' if high_open else ']'}" if math.isfinite(high) else f">= {low:g}"
        _fail(name, f"must be in {bound}, got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        shown = ", ".join("None" if c is None else repr(c) for c in choices)
        _fail(name, f"must be one of {shown}, got {value!r}")


@dataclass
class TrainConfig:
    """A training run: data, network, loss, optimizer and seed. Every field has a default."""

    # data
    dataset: str = "moons"
    n_samples: int = 200
    noise: float = 0.1
    test_fraction: float = 0.3
    seed: int = 0
    csv_path: str | None = None
    label_column: str | int | None = None
    features: list[str] = field(default_factory=lambda: ["x1", "x2"])
    # network
    hidden_layers: list[int] = field(default_factory=lambda: [8, 8])
    activation: str = "tanh"
    output_activation: str | None = None  # None: chosen from the loss (see default_output_activation)
    # objective and optimizer
    loss: str = "mse"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.0
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    batch_size: int = 32
    l2: float = 0.0
    lr_schedule: str | None = None  # None, "step" (StepLR) or "cosine" (CosineAnnealingLR), per step
    lr_step_size: int = 100
    lr_gamma: float = 0.5
    lr_t_max: int = 1000
    # execution
    engine: str = "scalar"
    dtype: str = "float64"  # the tensor engine's dtype; the scalar engine always uses Python floats
    device: str = "cpu"  # the tensor engine's device ("cpu" or "cuda")
    eval_every: int = 1  # record train/test metrics in the history every this many steps

    # --- validation -------------------------------------------------------------------------
    def validate(self) -> TrainConfig:
        """Raise ValueError naming the first bad field; return self when all is well."""
        _check_choice("dataset", self.dataset, tuple(DATASETS))
        _check_int("n_samples", self.n_samples, 4)
        if self.n_samples > MAX_SAMPLES:
            _fail("n_samples", f"at most {MAX_SAMPLES} points can be generated, got {self.n_samples}")
        _check_float("noise", self.noise, 0.0, 10.0)
        _check_float("test_fraction", self.test_fraction, 0.0, 0.9)
        _check_int("seed", self.seed, 0)
        if self.dataset == "csv" and not self.csv_path:
            _fail("csv_path", "dataset 'csv' needs the path of a CSV file")
        if self.csv_path is not None and not isinstance(self.csv_path, str):
            _fail("csv_path", f"must be a path string or None, got {self.csv_path!r}")
        if self.label_column is not None and (isinstance(self.label_column, bool)
                                              or not isinstance(self.label_column, (str, int))):
            _fail("label_column", f"must be a column name, a column index or None, got {self.label_column!r}")
        if not isinstance(self.features, (list, tuple)) or not self.features:
            _fail("features", f"must be a non-empty list of feature names, got {self.features!r}")
        for name in self.features:
            if name not in FEATURES:
                _fail("features", f"unknown feature {name!r}; choose from {', '.join(FEATURES)}")
        if len(set(self.features)) != len(self.features):
            _fail("features", f"lists a feature twice: {list(self.features)!r}")
        if not isinstance(self.hidden_layers, (list, tuple)):
            _fail("hidden_layers", f"must be a list of layer widths, got {self.hidden_layers!r}")
        if len(self.hidden_layers) > 16:
            _fail("hidden_layers", f"at most 16 hidden layers, got {len(self.hidden_layers)}")
        for width in self.hidden_layers:
            if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 4096:
                _fail("hidden_layers", f"each width must be an integer in [1, 4096], got {width!r}")
        _check_choice("activation", self.activation, SCALAR_ACTIVATIONS)
        _check_choice("output_activation", self.output_activation, (None, *SCALAR_ACTIVATIONS))
        _check_choice("loss", self.loss, tuple(LOSSES))
        task = DATASETS[self.dataset].task
        if task == "regression" and not LOSSES[self.loss].regression:
            _fail("loss", f"{self.dataset!r} is a regression dataset; use 'mse' or 'l1', not {self.loss!r}")
        if DATASETS[self.dataset].num_classes not in (None, 2) and self.loss != "cross_entropy":
            _fail("loss", f"{self.dataset!r} has {DATASETS[self.dataset].num_classes} classes; use 'cross_entropy'")
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_float("lr", self.lr, 0.0, 100.0)
        _check_float("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _check_float("weight_decay", self.weight_decay, 0.0, 10.0)
        if not isinstance(self.betas, (list, tuple)) or len(self.betas) != 2:
            _fail("betas", f"must be two numbers, got {self.betas!r}")
        for beta in self.betas:
            _check_float("betas", beta, 0.0, 1.0, high_open=True)
        _check_int("batch_size", self.batch_size, 1)
        _check_float("l2", self.l2, 0.0, 10.0)
        _check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _check_int("lr_step_size", self.lr_step_size, 1)
        _check_float("lr_gamma", self.lr_gamma, 0.0, 1.0)
        _check_int("lr_t_max", self.lr_t_max, 1)
        _check_choice("engine", self.engine, ENGINES)
        _check_choice("dtype", self.dtype, DTYPES)
        if not isinstance(self.device, str) or not self.device:
            _fail("device", f"must be a device name such as 'cpu' or 'cuda', got {self.device!r}")
        if self.engine == "scalar" and self.device != "cpu":
            _fail("device", "the scalar engine runs on the CPU only; use engine='tensor' for 'cuda'")
        _check_int("eval_every", self.eval_every, 1)
        return self

    # --- derived choices ------------------------------------------------------------------------
    @property
    def task(self) -> str:
        return DATASETS[self.dataset].task

    def resolved_output_activation(self, task: str | None = None) -> str:
        """The output activation actually used: the user's, or the loss's natural one.

        Losses that take raw scores (bce_logits, cross_entropy, hinge) and regression get a
        linear output; mse/l1 on +-1 class labels get tanh, as in the seed and the TF playground.
        ``task`` is the loaded data's task (a CSV file's is known only once it is read).
        """
        if self.output_activation is not None:
            return self.output_activation
        if LOSSES[self.loss].regression and (task or self.task) == "classification":
            return "tanh"
        return "linear"

    # --- (de)serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible values (lists instead of tuples)."""
        out = dataclasses.asdict(self)
        out["betas"] = list(self.betas)
        out["features"] = list(self.features)
        out["hidden_layers"] = list(self.hidden_layers)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build and validate a config; unknown keys and bad values raise ValueError naming them."""
        if not isinstance(data, dict):
            raise ValueError(f"a TrainConfig must be a JSON object, got {type(data).__name__}")
        if data.get("format") == CONFIG_FORMAT:  # the wrapper written by save()
            version = data.get("format_version")
            if version != CONFIG_VERSION:
                raise ValueError(f"unsupported config format_version {version!r} (this version reads {CONFIG_VERSION})")
            data = data.get("config")
            if not isinstance(data, dict):
                raise ValueError("the config file has no 'config' object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"TrainConfig: unknown field(s) {', '.join(map(repr, unknown))}")
        values = dict(data)
        for name in ("features", "hidden_layers"):
            if isinstance(values.get(name), tuple):
                values[name] = list(values[name])
        if isinstance(values.get("betas"), list):
            values["betas"] = tuple(values["betas"])
        return cls(**values).validate()

    def copy(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed."""
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def to_json(self) -> str:
        return json.dumps({"format": CONFIG_FORMAT, "format_version": CONFIG_VERSION, "config": self.to_dict()},
                          indent=2)

    def save(self, path: str | os.PathLike) -> None:
        """Write the config as JSON, atomically (a crash never leaves a half-written file)."""
        self.validate()
        atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> TrainConfig:
        """Read a config JSON (the wrapper written by ``save`` or a bare object of fields)."""
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{os.fspath(path)} is not valid JSON: {exc}") from None
        except UnicodeDecodeError:
            raise ValueError(f"{os.fspath(path)} is not a text JSON file") from None
        if isinstance(data, dict) and data.get("format") == EXPERIMENT_FORMAT:
            data = data.get("config")
        return cls.from_dict(data)
