"""`TrainConfig`: everything that defines a training run, as a plain, validated dataclass.

It round-trips through JSON (``to_dict``/``from_dict``, ``save``/``load``); every bad value
raises a `ConfigError` (a ``ValueError``) that names the field, so a hand-edited file gets a
readable message.

Validation also estimates what the network will cost on the chosen engine
(`check_model_size`) and refuses what cannot run: a scalar-engine graph of more than
`MAX_SCALAR_GRAPH_NODES` nodes per training step, or a tensor-engine model needing more than
`MAX_MODEL_BYTES` for weights, gradients, optimizer state and activations.
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
from ..errors import MinitorchError
from ..fileio import CONFIG_FORMAT, EXPERIMENT_FORMAT, atomic_write_text, read_json
from .losses import LOSSES

__all__ = ["TrainConfig", "ConfigError", "LOSSES", "OPTIMIZERS", "ENGINES", "LR_SCHEDULES", "CONFIG_FORMAT",
           "MAX_SCALAR_GRAPH_NODES", "MAX_MODEL_BYTES", "check_model_size"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
ENGINES = ("scalar", "tensor")
LR_SCHEDULES = (None, "step", "cosine")
DTYPES = ("float64", "float32")
MAX_SAMPLES = 100_000  # a typo like 10**9 must not freeze the playground
MAX_SEED = 2**63 - 1
CONFIG_VERSION = 1
# What a network may cost per training step. The scalar engine makes one graph node (about
# 300 bytes and tens of microseconds) per multiply, add and activation of every sample.
MAX_SCALAR_GRAPH_NODES = 1_000_000
# The tensor engine: weights, gradients, two optimizer moments and the activations of a
# batch and of an evaluation pass over the data.
MAX_MODEL_BYTES = 2 * 1024**3


class ConfigError(MinitorchError, ValueError):
    """A training config with a bad or unusable value; the message names the field."""


def _fail(name: str, message: str) -> None:
    raise ConfigError(f"TrainConfig.{name}: {message}")


def _short(value: Any, limit: int = 60) -> str:
    """repr(value), cut short: a hand-edited file can hold a huge value and the message stays one line."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return f"an integer with {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(name, f"must be an integer >= {minimum}, got {_short(value)}")


def _check_float(name: str, value: Any, low: float, high: float = math.inf, high_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        _fail(name, f"must be a finite number, got {_short(value)}")
    if value < low or value > high or (high_open and value == high):
        bound = f"[{low:g}, {high:g}{')' if high_open else ']'}" if math.isfinite(high) else f">= {low:g}"
        _fail(name, f"must be in {bound}, got {_short(value)}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if not (value is None or isinstance(value, str)) or value not in choices:
        shown = ", ".join("None" if c is None else repr(c) for c in choices)
        _fail(name, f"must be one of {shown}, got {_short(value)}")


def _scalar_graph_nodes(sizes: list[int], batch: int) -> int:
    """Nodes one scalar-engine step builds: per sample and neuron, a multiply and an add per input
    and the activation; plus one node per parameter (the weights themselves)."""
    per_sample = sum(n_out * (2 * n_in + 1) for n_in, n_out in zip(sizes, sizes[1:]))
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    return batch * per_sample + parameters


def _tensor_model_bytes(sizes: list[int], batch: int, n_eval: int, dtype: str) -> int:
    """Weights, gradients and two optimizer moments; three arrays per layer output of a batch
    (pre-activation, activation, gradient); float64 layer outputs of an evaluation pass."""
    itemsize = 4 if dtype == "float32" else 8
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    widths = sum(sizes[1:])
    return itemsize * (4 * parameters + 3 * batch * widths) + 8 * n_eval * widths


def _format_bytes(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover


def check_model_size(sizes: list[int], engine: str, batch: int, n_eval: int, dtype: str = "float64") -> None:
    """Raise `ConfigError` if an MLP with these layer ``sizes`` cannot be trained on ``engine``.

    ``batch`` is the number of samples per step and ``n_eval`` the largest set evaluated at
    once. The limits are `MAX_SCALAR_GRAPH_NODES` (scalar engine) and `MAX_MODEL_BYTES`
    (tensor engine); the arithmetic is exact integers, so this takes microseconds.
    """
    shown = f"MLP({', '.join(map(str, sizes))})" if len(sizes) <= 6 else (
        f"MLP({sizes[0]}, {len(sizes) - 2} hidden layers up to {max(sizes[1:-1])} wide, {sizes[-1]})")
    if engine == "scalar":
        nodes = _scalar_graph_nodes(sizes, batch)
        if nodes > MAX_SCALAR_GRAPH_NODES:
            _fail("hidden_layers", f"the scalar engine would build about {nodes:,} graph nodes per step for {shown} "
                                   f"with {batch} samples per batch (limit {MAX_SCALAR_GRAPH_NODES:,}); use "
                                   "engine='tensor', fewer or narrower layers, or a smaller batch_size")
    else:
        needed = _tensor_model_bytes(sizes, batch, n_eval, dtype)
        if needed > MAX_MODEL_BYTES:
            _fail("hidden_layers", f"the tensor engine would need about {_format_bytes(needed)} for {shown} "
                                   f"(weights, gradients, optimizer state and activations; limit "
                                   f"{_format_bytes(MAX_MODEL_BYTES)}); use fewer or narrower layers")


@dataclass
class TrainConfig:
    """A training run: data, network, loss, optimizer and seed. Every field has a default."""

    # data
    dataset: str = "moons"
    n_samples: int = 200
    noise: float = 0.1
    test_fraction: float = 0.3
    seed: int = 0
    init_seed: int | None = None  # seed of the initial weights alone; None: ``seed``
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
    l1: float = 0.0  # weight of sum(|w|) in the objective (L1 regularisation)
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
        if self.seed > MAX_SEED:
            _fail("seed", f"must be at most 2**63 - 1, got {self.seed}")
        if self.init_seed is not None:
            _check_int("init_seed", self.init_seed, 0)
            if self.init_seed > MAX_SEED:
                _fail("init_seed", f"must be at most 2**63 - 1, got {self.init_seed}")
        if self.dataset == "csv" and not self.csv_path:
            _fail("csv_path", "dataset 'csv' needs the path of a CSV file")
        if self.csv_path is not None and not isinstance(self.csv_path, str):
            _fail("csv_path", f"must be a path string or None, got {_short(self.csv_path)}")
        if self.label_column is not None and (isinstance(self.label_column, bool)
                                              or not isinstance(self.label_column, (str, int))):
            _fail("label_column", f"must be a column name, a column index or None, got {_short(self.label_column)}")
        if not isinstance(self.features, (list, tuple)) or not self.features:
            _fail("features", f"must be a non-empty list of feature names, got {_short(self.features)}")
        for name in self.features:
            if not isinstance(name, str) or name not in FEATURES:
                _fail("features", f"unknown feature {_short(name)}; choose from {', '.join(FEATURES)}")
        if len(set(self.features)) != len(self.features):
            _fail("features", f"lists a feature twice: {_short(list(self.features))}")
        if not isinstance(self.hidden_layers, (list, tuple)):
            _fail("hidden_layers", f"must be a list of layer widths, got {_short(self.hidden_layers)}")
        if len(self.hidden_layers) > 16:
            _fail("hidden_layers", f"at most 16 hidden layers, got {len(self.hidden_layers)}")
        for width in self.hidden_layers:
            if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 4096:
                _fail("hidden_layers", f"each width must be an integer in [1, 4096], got {_short(width)}")
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
            _fail("betas", f"must be two numbers, got {_short(self.betas)}")
        for beta in self.betas:
            _check_float("betas", beta, 0.0, 1.0, high_open=True)
        _check_int("batch_size", self.batch_size, 1)
        _check_float("l1", self.l1, 0.0, 10.0)
        _check_float("l2", self.l2, 0.0, 10.0)
        _check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _check_int("lr_step_size", self.lr_step_size, 1)
        _check_float("lr_gamma", self.lr_gamma, 0.0, 1.0)
        _check_int("lr_t_max", self.lr_t_max, 1)
        _check_choice("engine", self.engine, ENGINES)
        _check_choice("dtype", self.dtype, DTYPES)
        if not isinstance(self.device, str) or not self.device:
            _fail("device", f"must be a device name such as 'cpu' or 'cuda', got {_short(self.device)}")
        if self.engine == "scalar" and self.device != "cpu":
            _fail("device", "the scalar engine runs on the CPU only; use engine='tensor' for 'cuda'")
        _check_int("eval_every", self.eval_every, 1)
        self._check_size_lower_bound()
        return self

    def _check_size_lower_bound(self) -> None:
        """Refuse a network that cannot run whatever the data: the smallest sizes the dataset allows.

        A CSV file's width, class count and row count are known only once it is read; the
        `Trainer` checks again with the real numbers (`check_model_size`).
        """
        info = DATASETS[self.dataset]
        n_samples = self.n_samples if info.synthetic else info.n_samples or 2
        n_train = n_samples - min(int(round(n_samples * self.test_fraction)), n_samples - 1)
        n_eval = max(n_train, n_samples - n_train)
        if info.synthetic:
            input_dim = 1 if info.input_dim == 1 and list(self.features) == ["x1", "x2"] else len(self.features)
        else:
            input_dim = info.input_dim or 1
        output_dim = (info.num_classes or 2) if self.loss == "cross_entropy" else 1
        check_model_size([input_dim, *self.hidden_layers, output_dim], self.engine,
                         min(self.batch_size, n_train), n_eval, self.dtype)

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
        """Build and validate a config; unknown keys and bad values raise `ConfigError` naming them."""
        if not isinstance(data, dict):
            raise ConfigError(f"a TrainConfig must be a JSON object, got {type(data).__name__}")
        if data.get("format") == CONFIG_FORMAT:  # the wrapper written by save()
            version = data.get("format_version")
            if version != CONFIG_VERSION:
                raise ConfigError(f"unsupported config format_version {_short(version)} (this version reads "
                                  f"{CONFIG_VERSION})")
            data = data.get("config")
            if not isinstance(data, dict):
                raise ConfigError("the config file has no 'config' object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = [key for key in data if not isinstance(key, str) or key not in known]
        if unknown:
            raise ConfigError(f"TrainConfig: unknown field(s) {', '.join(sorted(map(repr, unknown)))}")
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
        """Read a config JSON (the wrapper written by ``save``, a bare object of fields, or an
        experiment file's config); a file that is not JSON raises `FormatError` naming it."""
        data = read_json(path, "config")
        if data.get("format") == EXPERIMENT_FORMAT:
            data = data.get("config")
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{os.fspath(path)}: {exc}") from None
