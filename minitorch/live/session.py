"""A live training session: the playground's training logic without Qt.

A `TrainingSession` owns a `Trainer`, runs the playground's commands (``configure``, ``play``,
``pause``, ``step``, ``reset``, files, ...) and, while playing, trains in short slices; after
each slice it sends a `Frame`: a snapshot of the trainer plus the maps the views draw (the
decision boundary, every neuron's output), computed here so that the GUI only paints.

It talks through two callables its host supplies: ``emit(name, *args)`` sends a signal
("frameReady", "message", "failed", ...), and ``should_stop()`` says a command is waiting
(checked between steps and inside long steps, so Pause or closing takes effect at once).
``ready_for_frame()`` says the GUI has painted the last frame; until then no new frame is
made (a slow GUI gets fewer frames, not a queue) and training simply goes on.

The desktop app runs a session in a child process (`minitorch.live.process`), so
training and painting never share an interpreter lock: training runs at headless speed while
the window paints on another core. Tests and scripts can drive a session directly.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Config fields the trainer can change between two steps without starting over.
LIVE_FIELDS = ("lr", "momentum", "weight_decay", "l1", "l2", "batch_size", "betas")

# The session's commands (what a host may pass to `TrainingSession.run_command`), plus
# "shutdown", which the host handles itself.
COMMANDS = frozenset({
    "configure", "set_hyperparameters", "set_stop_condition", "play", "pause", "toggle", "step", "reset",
    "export_weights", "import_weights", "save_experiment", "open_experiment", "shutdown", "set_weight",
})

# What a session emits: the names of the GUI worker's signals.
SIGNALS = frozenset({"frameReady", "runningChanged", "message", "failed", "configLoaded", "configRejected",
                     "configAccepted", "fileSaved", "weightsLoaded"})

DIVERGED_MESSAGE = "Training diverged; press Reset (R) to start again."


@dataclass(frozen=True)
class DataView:
    """The current data set as read-only arrays (raw inputs, before extra features)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    num_classes: int
    input_dim: int
    version: int  # increases whenever the data set is regenerated

    extent: tuple[float, float, float, float]  # (x_min, x_max, y_min, y_max) of the plane shown


@dataclass(frozen=True)
class Frame:
    """One immutable picture of the training state, safe to read from any thread."""

    snapshot: Any  # minitorch.training.Snapshot
    config: Mapping[str, Any]
    data: DataView
    running: bool
    steps_per_second: float
    # Decision boundary / regression surface over ``extent`` for 2-D inputs, (res, res),
    # row i is y, column j is x. None for other input dimensions.
    grid: np.ndarray | None = None
    # Every neuron's output over the same plane: [layer][neuron] -> (r, r) array;
    # layer 0 are the input features.
    neuron_grids: tuple[tuple[np.ndarray, ...], ...] | None = None
    # For 1-D regression: the predicted curve (xs, ys).
    curve: tuple[np.ndarray, np.ndarray] | None = None
    extent: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
    feature_names: tuple[str, ...] = ()  # the network's inputs (x1, x1^2, ... or the data's columns)
    grid_version: int = 0  # increases whenever grid / curve are recomputed
    neuron_version: int = 0  # increases whenever neuron_grids are recomputed
    generation: int = 0  # increases whenever a new trainer is installed (build, reset, open)
    stop_reason: str | None = None


def readonly(array: Any) -> np.ndarray:
    """A read-only copy of ``array``."""
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


def _no(*_: Any) -> bool:
    return False


def _yes() -> bool:
    return True


class PacedSession:
    """What both playgrounds' sessions share: the host's callables (``emit``, ``should_stop``,
    ``ready_for_frame``), the trainer slot, play/pause, the steps-per-second rate, the end of a
    slice and the one command path. A subclass names its ``commands`` and defines
    ``train_slice()`` and ``_send_frame(force)``.
    """

    commands: frozenset[str] = frozenset()
    diverged_message = DIVERGED_MESSAGE  # what Play says after training diverged

    def __init__(self, emit: Callable[..., None] | None, slice_seconds: float):
        self.emit: Callable[..., None] = emit or _no
        self.should_stop: Callable[[], bool] = _no
        self.ready_for_frame: Callable[[], bool] = _yes
        # A frame after each slice of training (when the GUI has painted the last one): up to
        # 1 / slice_seconds frames a second.
        self.slice_seconds = slice_seconds
        self._trainer: Any = None
        self._config: dict[str, Any] = {}
        self._running = False
        self._max_epochs = 0  # 0: no limit
        self._target_loss = 0.0  # 0: no target
        self._generation = 0  # increases whenever a new trainer is installed
        self._stop_reason: str | None = None
        self._rate = 0.0
        self._rate_steps = 0
        self._rate_since = time.perf_counter()

    @property
    def trainer(self) -> Any:
        return self._trainer

    @property
    def running(self) -> bool:
        return self._running

    def run_command(self, name: str, args: tuple[Any, ...] = ()) -> None:
        """Run one command (a method named in ``commands``); failures become a ``failed`` signal."""
        if name not in self.commands or name == "shutdown":
            self.emit("failed", "A command", f"unknown command {name!r}")
            return
        self._guard("A command", getattr(self, name), *args)

    def play(self) -> None:
        if self._trainer is None or self._running:
            return
        if self._trainer.diverged:
            self.emit("message", self.diverged_message)
            return
        self._stop_reason = None
        self._set_running(True)
        self._rate_steps, self._rate_since = 0, time.perf_counter()

    def pause(self) -> None:
        if self._running:
            self._set_running(False)
            self._send_frame(force=True)

    def toggle(self) -> None:
        self.pause() if self._running else self.play()

    def train_slice(self) -> None:
        """Train for ``slice_seconds`` (stopping early when a command waits), then send a frame."""
        if not self._running or self._trainer is None:
            return
        started = time.perf_counter()
        should_stop = self.should_stop
        try:
            while not should_stop():
                metrics = self._take_step()
                if metrics is None:  # abandoned for a command; nothing changed
                    break
                self._rate_steps += 1
                reason = self._stop_check(metrics)
                if reason:
                    self._stop_reason = reason
                    break
                if time.perf_counter() - started >= self.slice_seconds:
                    break
        except Exception as exc:  # a bug or a numeric error must not end the session
            self._stop_reason = f"Training stopped: {exc}"
            self.emit("failed", "Training", readable_error(exc))
        self._end_slice()

    def _take_step(self) -> Mapping[str, Any] | None:
        """One optimisation step: its metrics, or None when it was abandoned for a command."""
        return self._trainer.step()

    def _stop_check(self, metrics: Mapping[str, Any]) -> str | None:
        trainer = self._trainer
        if trainer.diverged:
            return f"Training diverged: {trainer.diverged}. Lower the learning rate and press Reset."
        if self._max_epochs and int(metrics.get("epoch", 0)) >= self._max_epochs:
            return f"Reached the stop condition: {self._max_epochs} epochs."
        loss = metrics.get("loss")
        if self._target_loss and loss is not None and float(loss) <= self._target_loss:
            return f"Reached the target loss {self._target_loss:g}."
        return None

    def _send_frame(self, force: bool = False) -> None:
        raise NotImplementedError

    def _end_slice(self) -> None:
        """After a slice: update the rate; then stop with a message, or send a frame."""
        now = time.perf_counter()
        if now - self._rate_since >= 0.5:
            self._rate = self._rate_steps / (now - self._rate_since)
            self._rate_steps, self._rate_since = 0, now
        if self._stop_reason:
            self._set_running(False)
            self.emit("message", self._stop_reason)
            self._send_frame(force=True)
        elif not self.should_stop():
            self._send_frame()

    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.emit("runningChanged", running)

    def _guard(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run a command; any exception becomes a ``failed`` signal instead of an ended session."""
        try:
            fn(*args, **kwargs)
        except Exception as exc:
            self.emit("failed", what, readable_error(exc).strip("'\""))


class TrainingSession(PacedSession):
    """Owns a Trainer; runs commands; trains in slices of ``slice_seconds`` and sends frames.

    ``emit(name, *args)`` sends one of `SIGNALS`. The host sets ``should_stop`` (a command is
    waiting) and ``ready_for_frame`` (the last frame has been painted).
    """

    commands = COMMANDS

    def __init__(
        self,
        emit: Callable[..., None] | None = None,
        trainer_factory: Callable[[Mapping[str, Any]], Any] | None = None,
        *,
        slice_seconds: float = 1 / 30,
        grid_interval: float = 0.07,
        neuron_interval: float = 0.2,
        grid_resolution: int = 100,
        neuron_resolution: int = 24,
    ):
        super().__init__(emit, slice_seconds)
        self._trainer_factory = trainer_factory or _default_trainer_factory
        # The 100 x 100 output map and the small maps of every neuron, at most this often, and
        # never so often that computing them takes more than a fifth (output map) or a tenth
        # (neurons) of the training time: a large network's maps cost tens of milliseconds.
        self.grid_interval = grid_interval
        self.neuron_interval = neuron_interval
        self.grid_resolution = grid_resolution
        self.neuron_resolution = neuron_resolution
        self._map_seconds = {"grid": 0.0, "neurons": 0.0}  # what computing each took last time
        self._data: DataView | None = None
        self._data_version = 0
        self._last_grid_time = -math.inf
        self._last_neuron_time = -math.inf
        self._grid_version = 0
        self._neuron_version = 0
        self._grid: np.ndarray | None = None
        self._neuron_grids: tuple[tuple[np.ndarray, ...], ...] | None = None
        self._curve: tuple[np.ndarray, np.ndarray] | None = None
        self._extent = (-1.0, 1.0, -1.0, 1.0)
        self._feature_names: tuple[str, ...] = ()

    # --- commands --------------------------------------------------------------------------------
    def configure(self, config: Mapping[str, Any]) -> None:
        """Apply a configuration: live hyperparameters in place, anything else rebuilds the trainer."""
        config = dict(config)
        if self._trainer is not None:
            changed = {k for k in set(config) | set(self._config) if config.get(k) != self._config.get(k)}
            if changed and changed <= set(LIVE_FIELDS):
                try:
                    self._apply_live({k: config[k] for k in changed})
                except ValueError as exc:
                    self.emit("configRejected", readable_error(exc))
                else:
                    self.emit("configAccepted", dict(self._config))
                return
            if not changed:
                return
        try:
            self._rebuild(config)
        except (ValueError, TypeError, KeyError, OSError) as exc:  # a bad config or data file: say why
            self.emit("configRejected", readable_error(exc).strip("'\""))
        except Exception as exc:
            self.emit("failed", "Building the model", readable_error(exc))

    def set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        """Change live hyperparameters (e.g. {"lr": 0.1}); they take effect at the next step."""
        self._guard("Changing hyperparameters", self._apply_live, dict(values))

    def set_stop_condition(self, max_epochs: int, target_loss: float) -> None:
        """Stop (pause) once ``max_epochs`` epochs are done or the loss reaches ``target_loss`` (0: off)."""
        self._max_epochs = max(0, int(max_epochs))
        self._target_loss = max(0.0, float(target_loss))

    def step(self, count: int = 1) -> None:
        """Pause, then take ``count`` optimisation steps (minibatches) and show the result."""
        if self._trainer is None:
            return
        self.pause()
        if self._trainer.diverged:
            self.emit("message", DIVERGED_MESSAGE)
            return
        self._guard("Training", self._steps, count)
        self._send_frame(force=True)

    def reset(self) -> None:
        """New random weights (the same config and seed give the same start, as in PyTorch)."""
        was_running = self._running
        self.pause()
        if self._config:
            self._guard("Resetting the model", self._rebuild, self._config, keep_data=True, keep_weights=False)
        if was_running:
            self.emit("message", "Model reset; press Play to train again.")

    def export_weights(self, path: str) -> None:
        self._guard("Exporting weights", self._export_weights, path)

    def import_weights(self, path: str) -> None:
        self._guard("Importing weights", self._import_weights, path)

    def save_experiment(self, path: str) -> None:
        self._guard("Saving the experiment", self._save_experiment, path)

    def open_experiment(self, path: str) -> None:
        self._guard("Opening the experiment", self._open_experiment, path)

    def set_weight(self, layer: int, target: int, source: int, value: float) -> None:
        """Set one weight, as clicking an edge of the network drawing does: row ``target``,
        column ``source`` of the ``layer``-th Linear layer (0-based)."""
        self._guard("Setting a weight", self._set_weight, int(layer), int(target), int(source), float(value))

    # --- the training loop ---------------------------------------------------------------------
    def _take_step(self) -> Mapping[str, Any] | None:
        return self._trainer.step(should_stop=self.should_stop)  # asked inside a long step too

    def _steps(self, count: int) -> None:
        for _ in range(max(1, int(count))):
            metrics = self._trainer.step(should_stop=self.should_stop)
            if metrics is None:  # a newer command (Reset, a config change, closing) comes first
                break
            reason = self._stop_check(metrics)
            if reason and self._trainer.diverged:
                self.emit("message", reason)
                break

    # --- building, live changes, files -----------------------------------------------------------
    def _rebuild(self, config: Mapping[str, Any], keep_data: bool = False, keep_weights: bool = True) -> None:
        from ..training.carry_over import carry_over

        trainer = self._trainer_factory(config)  # may raise: the old trainer stays
        # Another engine or optimizer keeps the trained weights, step counter and history.
        kept = carry_over(self._trainer, trainer) if keep_weights else None
        self._install(trainer, dict(config), new_data=not keep_data or self._data is None)
        self.emit("configAccepted", dict(config))
        fresh = "New model: training goes on." if self._running else "Model ready: press Play (Space) to train."
        self.emit("message", kept or fresh)

    def _install(self, trainer: Any, config: dict[str, Any], new_data: bool = True) -> None:
        self._trainer = trainer
        self._config = config
        self._generation += 1
        self._feature_names = tuple(getattr(trainer, "feature_names", ()) or ())
        data = trainer.data
        if new_data or self._data is None or self._data_changed(data):
            self._data_version += 1
            x_train = np.asarray(data.x_train, dtype=float)
            self._data = DataView(
                x_train=readonly(x_train),
                y_train=readonly(data.y_train),
                x_test=readonly(np.asarray(data.x_test, dtype=float)),
                y_test=readonly(data.y_test),
                task=str(data.task),
                num_classes=int(getattr(data, "num_classes", 0) or 0),
                input_dim=int(x_train.shape[1]) if x_train.ndim == 2 else 1,
                version=self._data_version,
                extent=_plane(data),
            )
            self._extent = self._data.extent
        self._stop_reason = None
        self._rate = 0.0
        self._send_frame(force=True)

    def _data_changed(self, data: Any) -> bool:
        old = self._data
        assert old is not None
        return old.x_train.shape != np.shape(data.x_train) or not np.array_equal(old.x_train, data.x_train)

    def _apply_live(self, values: Mapping[str, Any]) -> None:
        trainer = self._trainer
        if trainer is None:
            return
        new_config = dict(self._config)
        new_config.update(values)
        trainer.set_hyperparameters(**values)  # validated: raises (changing nothing) on a bad value
        self._config = new_config
        if "lr" in values:
            self.emit("message", f"Learning rate set to {float(values['lr']):g}; it applies from the next step.")
        if not self._running:
            self._send_frame()

    def _export_weights(self, path: str) -> None:
        from .. import io as mio

        mio.save(self._trainer, path)  # the trainer, so the file records the architecture too
        self.emit("fileSaved", "weights", path)

    def _import_weights(self, path: str) -> None:
        from .. import io as mio

        self.pause()
        # Validated (format, shapes, architecture) before anything is copied: on error the model is untouched.
        mio.load_into(self._trainer, path)
        self._send_frame(force=True)
        self.emit("weightsLoaded", path)
        self.emit("message", f"Loaded weights from {os.path.basename(path)}")

    def _set_weight(self, layer: int, target: int, source: int, value: float) -> None:
        state = self._trainer.state_dict()
        keys = sorted((k for k in state if k.endswith(".weight")), key=lambda k: int(k.split(".")[0]))
        weight = state[keys[layer]]
        weight[target, source] = value  # an IndexError for an edge that is not there: nothing changes
        self._trainer.load_state_dict(state)  # validated, and the shown losses are re-evaluated
        self._send_frame(force=True)
        self.emit("message", f"Weight set to {value:g}.")

    def _save_experiment(self, path: str) -> None:
        from ..training.experiment import save_experiment

        save_experiment(self._trainer, path)
        self.emit("fileSaved", "experiment", path)

    def _open_experiment(self, path: str) -> None:
        from ..training.experiment import load_experiment

        trainer = load_experiment(path)  # an experiment or a bare config; validated
        self.pause()
        config = dict(trainer.config.to_dict())
        self.emit("configLoaded", config)  # first, so the form shows the file before its first frame
        self._install(trainer, config, new_data=True)
        self.emit("message", f"Opened {os.path.basename(path)}")

    # --- frames ----------------------------------------------------------------------------------
    def _send_frame(self, force: bool = False) -> None:
        """Send a frame; unforced frames are skipped while the GUI has not painted the last one."""
        trainer, data = self._trainer, self._data
        if trainer is None or data is None or not (force or self.ready_for_frame()):
            return
        now = time.perf_counter()
        cost = self._map_seconds
        grid_due = force or now - self._last_grid_time >= max(self.grid_interval, 5 * cost["grid"])
        neurons_due = force or now - self._last_neuron_time >= max(self.neuron_interval, 10 * cost["neurons"])
        if grid_due or neurons_due:
            self._guard("Drawing the model's output", self._compute_maps, grid_due, neurons_due)
            self._last_grid_time = now if grid_due else self._last_grid_time
            self._last_neuron_time = now if neurons_due else self._last_neuron_time
        self.emit("frameReady", self.frame())

    def frame(self) -> Frame:
        """The current state as a `Frame` (with the maps last computed)."""
        assert self._data is not None
        return Frame(
            snapshot=self._trainer.snapshot(),
            config=dict(self._config),
            data=self._data,
            running=self._running,
            steps_per_second=self._rate if self._running else 0.0,
            grid=self._grid,
            neuron_grids=self._neuron_grids,
            curve=self._curve,
            extent=self._extent,
            feature_names=self._feature_names,
            grid_version=self._grid_version,
            neuron_version=self._neuron_version,
            generation=self._generation,
            stop_reason=self._stop_reason,
        )

    def _compute_maps(self, grid_due: bool = True, neurons_due: bool = True) -> None:
        trainer, data = self._trainer, self._data
        x0, x1, y0, y1 = self._extent
        started = time.perf_counter()
        if neurons_due:
            neurons = None
            if data.input_dim <= 2:
                # Every neuron's output over the plane (1-D data: over x, the same in every row).
                small = self.neuron_resolution
                inputs = trainer.feature_grids((x0, x1), (y0, y1), small)
                layers = trainer.neuron_grids((x0, x1), (y0, y1), small)
                neurons = tuple(tuple(readonly(g) for g in layer) for layer in [inputs, *layers])
            self._neuron_grids = neurons
            self._neuron_version += 1
            self._map_seconds["neurons"] = time.perf_counter() - started
            started = time.perf_counter()
        if grid_due:
            grid = curve = None
            if data.input_dim == 2:
                grid = readonly(output_map(trainer, self._extent, self.grid_resolution))
            elif data.input_dim == 1:
                xs = np.linspace(x0, x1, 200)
                ys = np.asarray(trainer.predict(xs[:, None]), dtype=float).reshape(len(xs), -1)[:, 0]
                curve = (readonly(xs), readonly(ys))
            self._grid, self._curve = grid, curve
            self._grid_version += 1
            self._map_seconds["grid"] = time.perf_counter() - started

def output_map(trainer: Any, extent: tuple[float, float, float, float], resolution: int) -> np.ndarray:
    """``trainer.predict_grid`` over ``extent`` computed in float32 from the current weights.

    The picture is the same (to ~1e-6), and it is several times cheaper: float64 tanh over a
    100 x 100 grid was most of the drawing time (numpy's float32 tanh is vectorised).
    """
    from ..activations import ACTIVATIONS

    x0, x1, y0, y1 = extent
    inputs = np.stack([g.ravel() for g in trainer.feature_grids((x0, x1), (y0, y1), resolution)], axis=1)
    h = inputs.astype(np.float32)
    state = trainer.state_dict()
    layers = [(state[key], state[key[: -len("weight")] + "bias"]) for key in state if key.endswith(".weight")]
    with np.errstate(over="ignore", invalid="ignore"):
        for (weight, bias), activation in zip(layers, trainer.spec.activations()):
            z = h @ weight.T.astype(np.float32)
            z += bias.astype(np.float32)
            h = ACTIVATIONS[activation].apply_numpy_inplace(z)
    values = h[:, 0] if h.shape[1] == 1 else np.argmax(h, axis=1).astype(np.float32)
    return values.reshape(resolution, resolution)


def _plane(data: Any) -> tuple[float, float, float, float]:
    """The plane the output map covers: the data's padded extent (1-D data: x and the target)."""
    (x_low, x_high), (y_low, y_high) = data.extent(padding=0.08)
    return (float(x_low), float(x_high), float(y_low), float(y_high))


def readable_error(exc: BaseException) -> str:
    """An exception as one line for the status bar."""
    text = str(exc).strip()
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"No such file: {exc.filename}"
    return text or type(exc).__name__


def _default_trainer_factory(config: Mapping[str, Any]) -> Any:
    from ..training import TrainConfig, Trainer

    return Trainer(TrainConfig.from_dict(dict(config)))
