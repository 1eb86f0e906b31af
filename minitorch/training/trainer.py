"""`Trainer`: the one training loop that the GUI, the CLI and the tests all use.

    t = Trainer(TrainConfig(dataset="moons", hidden_layers=[8, 8], lr=0.03))
    t.run(200)
    t.evaluate()          # {"train_loss": ..., "test_loss": ..., "train_acc": ..., "test_acc": ...}
    t.predict_grid((-2, 2), (-2, 2), 100)

Deterministic: the data, the initial weights (Python's ``random`` seeded by ``config.seed``,
or ``config.init_seed`` when set) and the minibatch order (``numpy.random.default_rng``) all
come from the seeds, so the same config gives the same loss sequence, bit for bit.

Divergence: a NaN or infinite loss stops training. The weights go back to the last good
step, ``diverged`` holds the reason and the history never records a NaN.

Threads: a Trainer is not thread-safe. One thread (the GUI's worker) owns it and hands
immutable `Snapshot` objects to the others.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import optim
from ..architecture import ModelSpec
from ..datasets import Dataset, feature_matrix, label_format_for_loss, load_dataset, resolve_features
from ..errors import MinitorchError
from .backends import ModelBackend, ScalarBackend, StepInterrupted, TrainingSpec
from .config import TrainConfig, check_model_size
from .history import HistoryView
from .losses import LOSSES
from .tensor_backend import TensorBackend

__all__ = ["Trainer", "Snapshot", "TrainingDivergedError", "BACKENDS"]

# The engine behind each ``TrainConfig.engine`` name.
BACKENDS: dict[str, type[ModelBackend]] = {"scalar": ScalarBackend, "tensor": TensorBackend}

Range = tuple[float, float]


class TrainingDivergedError(MinitorchError, RuntimeError):
    """``step()`` was called after the loss became NaN or infinite (see ``Trainer.diverged``)."""


@dataclass(frozen=True, eq=False)
class Snapshot:
    """An immutable copy of the trainer's state, safe to hand to another thread.

    ``metrics`` and each ``history`` entry are read-only mappings; ``state_dict`` holds
    read-only numpy copies of the weights; ``config`` is a read-only dict of the config;
    ``architecture`` is what `minitorch.io` needs, so ``io.save(snapshot, path)`` works
    from any thread without touching the live model.
    """

    step: int
    epoch: int
    metrics: MappingProxyType
    history: Sequence[MappingProxyType]  # a `HistoryView`: the records up to this step
    state_dict: MappingProxyType
    diverged: str | None
    lr: float
    config: MappingProxyType
    engine: str
    task: str
    architecture: MappingProxyType


def _frozen(mapping: dict[str, Any]) -> MappingProxyType:
    return MappingProxyType(dict(mapping))


def _readonly(array: np.ndarray) -> np.ndarray:
    out = np.array(array, copy=True)
    out.flags.writeable = False
    return out


class Trainer:
    """Builds data, model and optimizer from a `TrainConfig` and trains them step by step."""

    def __init__(self, config: TrainConfig | dict[str, Any] | None = None) -> None:
        if config is None:
            config = TrainConfig()
        elif isinstance(config, dict):
            config = TrainConfig.from_dict(config)
        elif not isinstance(config, TrainConfig):
            raise TypeError(f"Trainer needs a TrainConfig or a dict, got {type(config).__name__}")
        self.config = config.copy()  # our own validated copy: later edits to the caller's object do nothing
        cfg = self.config
        raw = load_dataset(cfg.dataset, n_samples=cfg.n_samples, noise=cfg.noise, test_fraction=cfg.test_fraction,
                           seed=cfg.seed, csv_path=cfg.csv_path, label_column=cfg.label_column)
        self.data: Dataset = raw.with_label_format(label_format_for_loss(cfg.loss, raw.task))
        self.features = resolve_features(cfg.features, raw.input_dim)
        self._x_train = feature_matrix(self.data.x_train, self.features)
        self._x_test = feature_matrix(self.data.x_test, self.features)
        output_dim = self.data.num_classes if LOSSES[cfg.loss].classes else 1
        if LOSSES[cfg.loss].classes and self.data.task != "classification":
            raise ValueError("TrainConfig.loss: cross_entropy needs a classification dataset")
        self.spec = TrainingSpec(
            architecture=ModelSpec.mlp(self._x_train.shape[1], cfg.hidden_layers, int(output_dim),
                                       cfg.activation, cfg.resolved_output_activation(self.data.task)),
            loss=cfg.loss,
            l2=cfg.l2,
            l1=cfg.l1,
            seed=cfg.seed if cfg.init_seed is None else cfg.init_seed,  # the initial weights
            dtype=cfg.dtype,
            device=cfg.device,
        )
        check_model_size(self.spec.sizes, cfg.engine, min(cfg.batch_size, len(self._x_train)),
                         max(len(self._x_train), len(self._x_test)), cfg.dtype)  # exact now that the data is known
        self._threshold = 0.5 if self.spec.output_activation == "sigmoid" else 0.0
        self._build()

    # --- construction ------------------------------------------------------------------------------
    def _build(self) -> None:
        """(Re)create model, optimizer, schedule and batch order from the config; clear the history."""
        cfg = self.config
        self.backend: ModelBackend = BACKENDS[cfg.engine](self.spec)
        self.optimizer = make_optimizer(cfg.optimizer, self.backend.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                        weight_decay=cfg.weight_decay, betas=cfg.betas)
        self.scheduler = _make_scheduler(cfg, self.optimizer)
        self._batch_rng = np.random.default_rng([cfg.seed, 2])
        self._order = self._batch_rng.permutation(len(self._x_train))
        self._cursor = 0
        self.step_count = 0
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        self._frozen_history: list[MappingProxyType] = []
        self.diverged: str | None = None
        self.last_metrics: dict[str, Any] = {}
        self._good_state = self.backend.state_dict()

    def reset(self, seed: int | None = None) -> None:
        """Start again from fresh weights (the config's seed, or a new ``seed``), emptying the history."""
        if seed is not None and seed != self.config.seed:
            self.__init__(self.config.copy(seed=seed))  # new seed: new data split and weights
            return
        self._build()

    @property
    def model(self) -> Any:
        return self.backend.model

    @property
    def task(self) -> str:
        return self.data.task

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    # --- live hyperparameters ---------------------------------------------------------------------------
    def set_lr(self, lr: float) -> None:
        """Change the learning rate; it takes effect at the next step."""
        self.set_hyperparameters(lr=lr)

    def set_hyperparameters(self, **changes: Any) -> None:
        """Change live settings between steps: lr, momentum, weight_decay, betas, l1, l2, batch_size.

        Everything is validated first (ValueError naming the field); nothing changes on error.
        """
        live = {"lr", "momentum", "weight_decay", "betas", "l1", "l2", "batch_size"}
        unknown = sorted(set(changes) - live)
        if unknown:
            raise ValueError(f"cannot change {', '.join(unknown)} during training (live: {', '.join(sorted(live))}); "
                             "build a new Trainer instead")
        new_config = self.config.copy(**changes)
        self.config = new_config
        for group in self.optimizer.param_groups:
            if "lr" in changes:
                group["lr"] = new_config.lr
            if "weight_decay" in changes:
                group["weight_decay"] = new_config.weight_decay
            if "momentum" in changes and "momentum" in group:
                if group.get("nesterov") and new_config.momentum == 0:
                    group["nesterov"] = False
                group["momentum"] = new_config.momentum
            if "betas" in changes and "betas" in group:
                group["betas"] = tuple(new_config.betas)
        if "l1" in changes or "l2" in changes:
            self.spec = dataclasses.replace(self.spec, l1=new_config.l1, l2=new_config.l2)
            self.backend.spec = self.spec

    # --- training ---------------------------------------------------------------------------------------
    def _next_batch(self) -> np.ndarray:
        n = len(self._x_train)
        if self._cursor >= n:
            self._order = self._batch_rng.permutation(n)
            self._cursor = 0
        batch = self._order[self._cursor:self._cursor + self.config.batch_size]
        self._cursor += len(batch)
        return batch

    def step(self, should_stop: Callable[[], bool] | None = None) -> dict[str, Any] | None:
        """One minibatch update. Returns {"step", "epoch", "loss"} (plus "diverged" if it just did).

        ``loss`` is the minibatch objective that was minimised (data loss + l1 and l2 penalties).
        ``should_stop`` is asked while a long step runs (between chunks of a large
        minibatch); once it returns True the step is abandoned and ``None`` returned, with
        nothing changed: the weights, the optimizer and the batch order are as before.
        """
        if self.diverged:
            raise TrainingDivergedError(f"training has stopped: {self.diverged}; call reset() to start again")
        if should_stop is not None:  # where the batch order stands, to put it back if the step is abandoned
            saved_order = (self._order, self._cursor, self._batch_rng.bit_generator.state)
        batch = self._next_batch()
        self.optimizer.zero_grad()
        x, y = self._x_train[batch], self.data.y_train[batch]
        try:
            if should_stop is None:
                loss = self.backend.loss_and_backward(x, y)
            else:
                loss = self.backend.loss_and_backward(x, y, should_stop=should_stop)
        except StepInterrupted:
            self._order, self._cursor, self._batch_rng.bit_generator.state = saved_order
            self.optimizer.zero_grad()
            return None
        except ArithmeticError as exc:  # overflow or division by zero inside the graph
            loss = math.nan
            reason = f"{type(exc).__name__} ({exc})"
        else:
            reason = f"the loss became {loss}"
        step_number = self.step_count + 1
        if not math.isfinite(loss):
            return self._stop(step_number, loss, reason)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        new_state = self.backend.state_dict()
        if not all(np.all(np.isfinite(v)) for v in new_state.values()):
            return self._stop(step_number, loss, "the update made some weights NaN or infinite")
        metrics = None
        if step_number % self.config.eval_every == 0 or step_number == 1:
            metrics = self.evaluate()
            if not math.isfinite(metrics["train_loss"]):
                reason = f"the training loss became {metrics['train_loss']} after the update"
                return self._stop(step_number, metrics["train_loss"], reason)
        self._good_state = new_state  # the weights to roll back to if a later step diverges
        self.step_count = step_number
        if self._cursor >= len(self._x_train):
            self.epoch += 1
        if metrics is not None:
            entry = {"step": self.step_count, "epoch": self.epoch, **metrics, "lr": self.optimizer.lr,
                     "batch_loss": loss}
            self.history.append(entry)
            self._frozen_history.append(_frozen(entry))
            self.last_metrics = entry
        return {"step": self.step_count, "epoch": self.epoch, "loss": loss}

    def _stop(self, step_number: int, loss: float, reason: str) -> dict[str, Any]:
        """Divergence: back to the last good weights, fresh optimizer moments, and a reason to show."""
        self.backend.load_state_dict(self._good_state)
        self.optimizer.state.clear()  # moments fed by the bad gradients must not steer later steps
        self.diverged = (f"diverged at step {step_number}: {reason}; the weights are those of step "
                         f"{step_number - 1}. Try a lower learning rate (now {self.optimizer.lr:g}).")
        return {"step": self.step_count, "epoch": self.epoch, "loss": loss, "diverged": self.diverged}

    def run(
        self,
        steps: int,
        callback: Callable[[dict[str, Any]], Any] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Up to ``steps`` steps; ``callback(metrics)`` after each; stops early when ``should_stop()``
        returns True (checked inside long steps too) or training diverges. Returns the history."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        for _ in range(steps):
            if self.diverged or (should_stop is not None and should_stop()):
                break
            result = self.step(should_stop)
            if result is None:  # should_stop() became True during the step
                break
            if callback is not None:
                callback({**self.last_metrics, **result})
        return self.history

    # --- evaluation -------------------------------------------------------------------------------------
    def _metrics(self, x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
        if len(x) == 0:
            return None, None
        outputs = self.backend.predict(x)
        loss = LOSSES[self.spec.loss].numpy(outputs, y)
        if self.task != "classification":
            return loss, None
        predicted = self._classes(outputs)
        return loss, float(np.mean(predicted == self.data.class_indices(y)))

    def _classes(self, outputs: np.ndarray) -> np.ndarray:
        if outputs.shape[1] > 1:
            return np.argmax(outputs, axis=1)
        return (outputs[:, 0] > self._threshold).astype(np.int64)

    def evaluate(self) -> dict[str, float | None]:
        """Mean data loss (without the l2 penalty) and accuracy on the train and test sets."""
        train_loss, train_acc = self._metrics(self._x_train, self.data.y_train)
        test_loss, test_acc = self._metrics(self._x_test, self.data.y_test)
        return {"train_loss": train_loss, "test_loss": test_loss, "train_acc": train_acc, "test_acc": test_acc}

    def _features(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(-1, 1) if self.data.input_dim == 1 else x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != self.data.input_dim:
            raise ValueError(f"predict expects inputs of shape (n, {self.data.input_dim}), got {x.shape}")
        return feature_matrix(x, self.features)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Model outputs for raw inputs (n, input_dim): shape (n,) for one output, (n, K) for K classes.

        No graph is built. Features (x1^2, sin(x1), ...) are computed from the raw inputs here.
        """
        outputs = self.backend.predict(self._features(x))
        return outputs[:, 0] if outputs.shape[1] == 1 else outputs

    def predict_classes(self, x: np.ndarray) -> np.ndarray:
        """Predicted class indices for raw inputs (classification only)."""
        if self.task != "classification":
            raise ValueError("predict_classes is for classification; this is a regression task")
        return self._classes(self.backend.predict(self._features(x)))

    def _grid(self, x_range: Range, y_range: Range, resolution: int) -> np.ndarray:
        """Raw inputs for a resolution x resolution grid; row i has y = y_range[i], column j x = x_range[j]."""
        if isinstance(resolution, bool) or not isinstance(resolution, int) or not 2 <= resolution <= 2000:
            raise ValueError(f"resolution must be an integer in [2, 2000], got {resolution!r}")
        if self.data.input_dim > 2:
            raise ValueError(f"a 2-D grid needs 1-D or 2-D inputs; {self.data.name} has {self.data.input_dim}")
        xs = np.linspace(float(x_range[0]), float(x_range[1]), resolution)
        if self.data.input_dim == 1:  # every row is the same curve: f(x) for x along the columns
            return np.tile(xs, resolution).reshape(-1, 1)
        ys = np.linspace(float(y_range[0]), float(y_range[1]), resolution)
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    def predict_grid(self, x_range: Range, y_range: Range, resolution: int = 100) -> np.ndarray:
        """The model over a grid: a (resolution, resolution) array, rows along y, columns along x.

        One output: that output (classes split at 0, or 0.5 with a sigmoid output).
        Several (cross_entropy): the predicted class index. 1-D data: f(x) in every row.
        Vectorised numpy from the current weights; no graph is built.
        """
        features = feature_matrix(self._grid(x_range, y_range, resolution), self.features)
        outputs = self.backend.predict(features)
        values = outputs[:, 0] if outputs.shape[1] == 1 else np.argmax(outputs, axis=1).astype(np.float64)
        return values.reshape(resolution, resolution)

    def neuron_grids(self, x_range: Range, y_range: Range, resolution: int = 30) -> list[list[np.ndarray]]:
        """Each neuron's output over the grid: ``grids[layer][neuron]`` is a (resolution, resolution) array."""
        features = feature_matrix(self._grid(x_range, y_range, resolution), self.features)
        return [[layer[:, k].reshape(resolution, resolution) for k in range(layer.shape[1])]
                for layer in self.backend.layer_outputs(features)]

    def feature_grids(self, x_range: Range, y_range: Range, resolution: int = 30) -> list[np.ndarray]:
        """Each input feature (x1, x1^2, ...) over the grid, in ``features`` order."""
        features = feature_matrix(self._grid(x_range, y_range, resolution), self.features)
        return [features[:, k].reshape(resolution, resolution) for k in range(features.shape[1])]

    @property
    def feature_names(self) -> list[str]:
        """Names of the network's inputs (the chosen features, or the data's columns)."""
        return list(self.features) if self.features is not None else list(self.data.feature_names)

    # --- state -----------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The model's weights under torch Sequential keys, as float64 numpy copies."""
        return self.backend.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load weights (validated, all-or-nothing); clears ``diverged`` and re-evaluates ``last_metrics``."""
        self.backend.load_state_dict(state_dict)
        self._good_state = self.backend.state_dict()
        self.diverged = None
        # The losses shown next are those of the loaded weights, not of the ones they replaced.
        self.last_metrics = {"step": self.step_count, "epoch": self.epoch, **self.evaluate()}

    def architecture(self) -> dict[str, Any]:
        """What `minitorch.io` writes next to the weights."""
        return {"type": "mlp", "sizes": self.spec.sizes, "activation": self.spec.activation,
                "output_activation": self.spec.output_activation}

    def snapshot(self) -> Snapshot:
        """An immutable copy of the current state for another thread (cheap: history entries are shared)."""
        return Snapshot(
            step=self.step_count,
            epoch=self.epoch,
            metrics=_frozen(self.last_metrics),
            history=HistoryView(self._frozen_history),
            state_dict=MappingProxyType({k: _readonly(v) for k, v in self.backend.state_dict().items()}),
            diverged=self.diverged,
            lr=self.optimizer.lr,
            config=_frozen(self.config.to_dict()),
            engine=self.config.engine,
            task=self.task,
            architecture=_frozen(self.architecture()),
        )

    def restore_history(self, history: Sequence[dict[str, Any]], epoch: int | None = None) -> None:
        """Put back a saved history (used when an experiment file is opened)."""
        self.history = [dict(entry) for entry in history]
        self._frozen_history = [_frozen(entry) for entry in self.history]
        self.last_metrics = dict(self.history[-1]) if self.history else {}
        self.step_count = int(self.history[-1]["step"]) if self.history else 0
        self.epoch = int(epoch if epoch is not None else (self.history[-1].get("epoch", 0) if self.history else 0))

    def __repr__(self) -> str:
        return (f"Trainer(dataset={self.config.dataset!r}, sizes={self.spec.sizes}, engine={self.config.engine!r}, "
                f"step={self.step_count})")


def make_optimizer(name: str, params: list[Any], *, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                   betas: Sequence[float] = (0.9, 0.999)) -> optim.Optimizer:
    """The optimizer a config names ("sgd", "adam", "adamw", "rmsprop") over ``params``."""
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


def _make_scheduler(cfg: TrainConfig, optimizer: optim.Optimizer) -> optim.LRScheduler | None:
    if cfg.lr_schedule == "step":
        return optim.StepLR(optimizer, step_size=cfg.lr_step_size, gamma=cfg.lr_gamma)
    if cfg.lr_schedule == "cosine":
        return optim.CosineAnnealingLR(optimizer, T_max=cfg.lr_t_max)
    return None
