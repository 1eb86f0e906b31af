"""The training worker: a QObject living in its own QThread that owns the `Trainer`.

The GUI never touches the live model. Commands go one way, through one path:
``TrainingController.send(name, *args)`` queues a call of the worker's method ``name``
(one of `COMMANDS`) in the worker thread. Frames come back the other way: immutable
`Frame`s carrying a `Snapshot` from the trainer plus the maps the views draw (decision
boundary, every neuron's output), computed here in the worker thread so the GUI thread
only paints.

Training runs in slices of ``train_seconds`` (as many steps as fit: a fast engine takes
many steps per frame, as the TensorFlow Playground trains an epoch per animation frame).
After each slice the worker sends one frame and rests, its interpreter lock released,
until the GUI has painted it (at most ``gui_wait_limit``): painting and training take
turns instead of fighting for the GIL, and the GUI thread never waits for the worker.
Both directions meet in one `Handshake`, owned by the controller; a command raises its
interrupt first, so a step in progress stops at its next check (between chunks of a
large minibatch) and Pause, Reset, a config change or closing the window take effect
at once even when one step takes seconds.
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
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, QTimer, Signal, Slot

# Config fields the trainer can change between two steps without starting over.
LIVE_FIELDS = ("lr", "momentum", "weight_decay", "l1", "l2", "batch_size", "betas")

# The worker methods a controller may call (through TrainingController.send).
COMMANDS = frozenset({
    "configure", "set_hyperparameters", "set_stop_condition", "play", "pause", "toggle", "step", "reset",
    "export_weights", "import_weights", "save_experiment", "open_experiment", "shutdown", "set_weight",
})


class Handshake:
    """Where the GUI thread and the training thread meet; the controller owns it.

    Each flag is written by one thread and read by the other, so neither side ever
    waits for a lock the other holds:

    - commands (GUI -> worker): ``command_sent()`` before each queued command,
      ``command_taken()`` as the worker runs it. While some are on their way
      ``interrupted()`` is True: the worker stops training (inside a long step too,
      through ``Trainer.step(should_stop=...)``) so that the command runs at once.
    - painted (GUI -> worker): a GUI that paints every frame it is sent sets
      ``gui_paints_frames`` and calls ``frame_painted()`` once it is on screen; after
      sending a frame the worker rests until then (``wait_until_painted``, bounded), so
      painting never competes with training for the interpreter lock, and sends no new
      frame while the last one is unpainted (a slow GUI gets fewer frames, not a queue).
    """

    def __init__(self) -> None:
        self._sent = 0  # written by the GUI thread only
        self._taken = 0  # written by the worker thread only
        self._closing = False
        self._painted = True
        # Wakes a resting worker; held only for a flag change (the worker's wait releases it).
        self._wake = threading.Condition()
        self.gui_paints_frames = False

    # --- GUI side ---------------------------------------------------------------------------
    def command_sent(self) -> None:
        """A command is about to be queued: a resting worker wakes up to run it."""
        with self._wake:
            self._sent += 1
            self._wake.notify_all()

    def frame_painted(self) -> None:
        with self._wake:
            self._painted = True
            self._wake.notify_all()

    def close(self) -> None:
        """From now on the worker stops whatever it does and never waits for a frame."""
        with self._wake:
            self._closing = True
            self._painted = True
            self._wake.notify_all()

    @property
    def closing(self) -> bool:
        return self._closing

    # --- worker side ------------------------------------------------------------------------
    def interrupted(self) -> bool:
        """True while commands are waiting (or the window closes): stop training now."""
        return self._closing or self._sent != self._taken

    def command_taken(self) -> None:
        self._taken += 1

    def ready_for_frame(self) -> bool:
        """The last frame has been painted (always True when no GUI paints frames)."""
        return self._painted

    def frame_sent(self) -> None:
        if self.gui_paints_frames:
            with self._wake:
                self._painted = self._closing

    def wait_until_painted(self, limit: float) -> bool:
        """Rest (GIL released) until the GUI painted the frame just sent, a command comes, or
        ``limit`` seconds pass; True when the frame has been painted."""
        with self._wake:
            self._wake.wait_for(lambda: self._painted or self.interrupted(), limit)
            return self._painted


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


def _readonly(array: Any) -> np.ndarray:
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


class PacedWorker(QObject):
    """What both playgrounds' workers share: the trainer slot, play/pause, training in paced
    slices on a zero-delay timer, the steps-per-second rate, the end of a slice and shutdown.

    A subclass defines ``_train_slice`` (started by the timer) and ``_send_frame(force)``.
    """

    frameReady = Signal(object)  # the subclass's frame type
    runningChanged = Signal(bool)
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (what failed, a readable reason)
    diverged_message = "Training diverged; press Reset (R) to start again."  # what Play says then

    def __init__(self, *, drawing_share: float, min_train_seconds: float, max_train_seconds: float,
                 gui_wait_limit: float):
        super().__init__()
        # Pacing while training: each slice trains long enough that showing its frame (the
        # views, the snapshot, the GUI's painting) takes at most ``drawing_share`` of the
        # time, so training in the window runs at (1 - drawing_share) of its headless speed
        # or better; frames come as often as that allows (never more than 1 / min_train_seconds
        # a second; a slow GUI still gets one per max_train_seconds of training).
        self.drawing_share = drawing_share
        self.min_train_seconds = min_train_seconds
        self.max_train_seconds = max_train_seconds
        self.train_seconds = min_train_seconds
        # How long training rests for the GUI to paint a frame (a GUI busy elsewhere, e.g. in
        # a dialog, never stops training for longer).
        self.gui_wait_limit = gui_wait_limit
        self.handshake = Handshake()  # the controller replaces it with its own
        self._trainer: Any = None
        self._config: dict[str, Any] = {}
        self._running = False
        self._max_epochs = 0  # 0: no limit
        self._generation = 0  # increases whenever a new trainer is installed
        self._stop_reason: str | None = None
        self._rate = 0.0
        self._rate_steps = 0
        self._rate_since = time.perf_counter()
        self._slice_ended = math.nan  # when training last stopped for a frame
        # The timer is a child, so moveToThread() takes it along to the worker thread.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._train_slice)

    # --- read-only helpers (tests call these only after the thread has stopped) ----------
    @property
    def trainer(self) -> Any:
        return self._trainer

    @property
    def running(self) -> bool:
        return self._running

    def play(self) -> None:
        if self._trainer is None or self._running:
            return
        if self._trainer.diverged:
            self.message.emit(self.diverged_message)
            return
        self._stop_reason = None
        self._set_running(True)
        self._rate_steps, self._rate_since = 0, time.perf_counter()
        self._slice_ended = math.nan
        self._timer.start()

    def pause(self) -> None:
        if self._running:
            self._set_running(False)
            self._timer.stop()
            self._send_frame(force=True)

    def toggle(self) -> None:
        self.pause() if self._running else self.play()

    def _train_slice(self) -> None:
        raise NotImplementedError

    def _send_frame(self, force: bool = False) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        """Stop training and hand this object back to the GUI thread (runs in the worker thread).

        Then the thread's event loop quits, and this object (with its timer) can be
        destroyed from the GUI thread without Qt's "Timers cannot be stopped from another
        thread" warnings.
        """
        self._running = False
        self._timer.stop()
        thread = self.thread()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        thread.quit()

    def _end_slice(self) -> None:
        """After a slice: update the rate; then stop with a message, or send a frame and train on."""
        now = time.perf_counter()
        if now - self._rate_since >= 0.5:
            self._rate = self._rate_steps / (now - self._rate_since)
            self._rate_steps, self._rate_since = 0, now
        if self._stop_reason:
            self._set_running(False)
            self.message.emit(self._stop_reason)
            self._send_frame(True)
            return
        self._slice_ended = time.perf_counter()
        if not self.handshake.interrupted():
            self._send_frame()
        self._timer.start(0)  # queued commands run first

    def _pace(self, now: float) -> None:
        """Set ``train_seconds`` from what showing the last frame cost (``drawing_share``)."""
        shown_in = now - self._slice_ended  # views, snapshot, the GUI's turn, queued commands
        self._slice_ended = math.nan
        if not math.isfinite(shown_in):
            return
        wanted = shown_in * (1 - self.drawing_share) / self.drawing_share
        # Smoothed, so that one slow frame (a rescaled axis) does not halve the frame rate.
        smoothed = 0.7 * self.train_seconds + 0.3 * wanted
        self.train_seconds = min(self.max_train_seconds, max(self.min_train_seconds, smoothed))

    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.runningChanged.emit(running)


class TrainingWorker(PacedWorker):
    """Owns a Trainer; lives in a worker thread; talks to the GUI only through signals."""

    configLoaded = Signal(object)  # a config dict, after "open experiment"
    configRejected = Signal(str)  # why a configuration from the form cannot be built
    configAccepted = Signal(object)  # the configuration now in use
    fileSaved = Signal(str, str)  # (what, path)
    weightsLoaded = Signal(str)  # path

    def __init__(
        self,
        trainer_factory: Callable[[Mapping[str, Any]], Any] | None = None,
        *,
        drawing_share: float = 0.2,
        min_train_seconds: float = 0.035,
        max_train_seconds: float = 0.1,
        grid_interval: float = 0.09,
        neuron_interval: float = 0.2,
        grid_resolution: int = 100,
        neuron_resolution: int = 24,
        gui_wait_limit: float = 0.25,
    ):
        super().__init__(drawing_share=drawing_share, min_train_seconds=min_train_seconds,
                         max_train_seconds=max_train_seconds, gui_wait_limit=gui_wait_limit)
        self._trainer_factory = trainer_factory or _default_trainer_factory
        # The 100 x 100 output map and the small maps of every neuron, at most this often, and
        # never so often that they take more than a fifth (output map) or a tenth (neurons) of
        # the time: a large network's maps cost tens of milliseconds.
        self.grid_interval = grid_interval
        self.neuron_interval = neuron_interval
        self._map_seconds = {"grid": 0.0, "neurons": 0.0}  # what computing each took last time
        self.grid_resolution = grid_resolution
        self.neuron_resolution = neuron_resolution
        self._data: DataView | None = None
        self._data_version = 0
        self._target_loss = 0.0  # 0: no target
        self._last_grid_time = -math.inf
        self._last_neuron_time = -math.inf
        self._grid_version = 0
        self._neuron_version = 0
        self._grid: np.ndarray | None = None
        self._neuron_grids: tuple[tuple[np.ndarray, ...], ...] | None = None
        self._curve: tuple[np.ndarray, np.ndarray] | None = None
        self._extent = (-1.0, 1.0, -1.0, 1.0)
        self._feature_names: tuple[str, ...] = ()

    # --- the one command path ----------------------------------------------------------------
    @Slot(str, object)
    def run_command(self, name: str, args: tuple[Any, ...]) -> None:
        """Run one queued command (worker thread); see `TrainingController.send`."""
        self.handshake.command_taken()
        if self.handshake.closing and name != "shutdown":
            return  # the window is closing: nothing else is worth doing
        if name not in COMMANDS:
            self.failed.emit("A command", f"unknown command {name!r}")
            return
        getattr(self, name)(*args)

    # --- commands (run in the worker thread) ---------------------------------------------------
    def configure(self, config: Mapping[str, Any]) -> None:
        """Apply a configuration: live hyperparameters in place, anything else rebuilds the trainer."""
        config = dict(config)
        if self._trainer is not None:
            changed = {k for k in set(config) | set(self._config) if config.get(k) != self._config.get(k)}
            if changed and changed <= set(LIVE_FIELDS):
                try:
                    self._apply_live({k: config[k] for k in changed})
                except ValueError as exc:
                    self.configRejected.emit(_readable(exc))
                else:
                    self.configAccepted.emit(dict(self._config))
                return
            if not changed:
                return
        try:
            self._rebuild(config)
        except (ValueError, TypeError, KeyError, OSError) as exc:  # a bad config or data file: say why
            self.configRejected.emit(_readable(exc).strip("'\""))
        except Exception as exc:
            self.failed.emit("Building the model", _readable(exc))

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
            self.message.emit(self.diverged_message)
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
            self.message.emit("Model reset; press Play to train again.")

    def export_weights(self, path: str) -> None:
        self._guard("Exporting weights", self._export_weights, path)

    def import_weights(self, path: str) -> None:
        self._guard("Importing weights", self._import_weights, path)

    def save_experiment(self, path: str) -> None:
        self._guard("Saving the experiment", self._save_experiment, path)

    def open_experiment(self, path: str) -> None:
        self._guard("Opening the experiment", self._open_experiment, path)

    # --- the training loop ---------------------------------------------------------------------
    @Slot()
    def _train_slice(self) -> None:
        """Train for ``train_seconds`` (stopping early for a command), then send a frame."""
        if not self._running or self._trainer is None:
            return
        handshake = self.handshake
        started = time.perf_counter()
        self._pace(started)
        try:
            while not handshake.interrupted():
                metrics = self._trainer.step(should_stop=handshake.interrupted)
                if metrics is None:  # abandoned for a command; nothing changed
                    break
                self._rate_steps += 1
                reason = self._stop_check(metrics)
                if reason:
                    self._stop_reason = reason
                    break
                if time.perf_counter() - started >= self.train_seconds:
                    break
        except Exception as exc:  # a bug or a numeric error must not kill the thread
            self._stop_reason = f"Training stopped: {exc}"
            self.failed.emit("Training", str(exc))
        self._end_slice()

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

    def _steps(self, count: int) -> None:
        for _ in range(max(1, int(count))):
            metrics = self._trainer.step(should_stop=self.handshake.interrupted)
            if metrics is None:  # a newer command (Reset, a config change, closing) comes first
                break
            reason = self._stop_check(metrics)
            if reason and self._trainer.diverged:
                self.message.emit(reason)
                break

    # --- building, live changes, files -----------------------------------------------------------
    def _rebuild(self, config: Mapping[str, Any], keep_data: bool = False, keep_weights: bool = True) -> None:
        from minitorch.training.carry_over import carry_over

        trainer = self._trainer_factory(config)  # may raise: the old trainer stays
        # Another engine or optimizer keeps the trained weights, step counter and history.
        kept = carry_over(self._trainer, trainer) if keep_weights else None
        self._install(trainer, dict(config), new_data=not keep_data or self._data is None)
        self.configAccepted.emit(dict(config))
        fresh = "New model: training goes on." if self._running else "Model ready: press Play (Space) to train."
        self.message.emit(kept or fresh)

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
                x_train=_readonly(x_train),
                y_train=_readonly(data.y_train),
                x_test=_readonly(np.asarray(data.x_test, dtype=float)),
                y_test=_readonly(data.y_test),
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
            self.message.emit(f"Learning rate set to {float(values['lr']):g}; it applies from the next step.")
        if not self._running:
            self._send_frame()

    def _export_weights(self, path: str) -> None:
        from minitorch import io as mio

        mio.save(self._trainer, path)  # the trainer, so the file records the architecture too
        self.fileSaved.emit("weights", path)

    def _import_weights(self, path: str) -> None:
        from minitorch import io as mio

        self.pause()
        # Validated (format, shapes, architecture) before anything is copied: on error the model is untouched.
        mio.load_into(self._trainer, path)
        self._send_frame(force=True)
        self.weightsLoaded.emit(path)
        self.message.emit(f"Loaded weights from {os.path.basename(path)}")

    def set_weight(self, layer: int, target: int, source: int, value: float) -> None:
        """Set one weight, as clicking an edge of the network drawing does: row ``target``,
        column ``source`` of the ``layer``-th Linear layer (0-based)."""
        self._guard("Setting a weight", self._set_weight, int(layer), int(target), int(source), float(value))

    def _set_weight(self, layer: int, target: int, source: int, value: float) -> None:
        state = self._trainer.state_dict()
        keys = sorted((k for k in state if k.endswith(".weight")), key=lambda k: int(k.split(".")[0]))
        weight = state[keys[layer]]
        weight[target, source] = value  # an IndexError for an edge that is not there: nothing changes
        self._trainer.load_state_dict(state)  # validated, and the shown losses are re-evaluated
        self._send_frame(force=True)
        self.message.emit(f"Weight set to {value:g}.")

    def _save_experiment(self, path: str) -> None:
        from minitorch.training import save_experiment

        save_experiment(self._trainer, path)
        self.fileSaved.emit("experiment", path)

    def _open_experiment(self, path: str) -> None:
        from minitorch.training import load_experiment

        trainer = load_experiment(path)  # an experiment or a bare config; validated
        self.pause()
        config = dict(trainer.config.to_dict())
        self.configLoaded.emit(config)  # first, so the form shows the file before its first frame
        self._install(trainer, config, new_data=True)
        self.message.emit(f"Opened {os.path.basename(path)}")

    # --- frames ----------------------------------------------------------------------------------
    def _send_frame(self, force: bool = False) -> None:
        """Send the GUI a frame; while training, rest until it is painted (see `Handshake`).

        Unforced frames are skipped while the GUI has not painted the last one.
        """
        trainer, data, handshake = self._trainer, self._data, self.handshake
        if trainer is None or data is None or not (force or handshake.ready_for_frame()):
            return
        now = time.perf_counter()
        cost = self._map_seconds
        grid_due = force or now - self._last_grid_time >= max(self.grid_interval, 5 * cost["grid"])
        neurons_due = force or now - self._last_neuron_time >= max(self.neuron_interval, 10 * cost["neurons"])
        if grid_due or neurons_due:
            self._guard("Drawing the model's output", self._compute_maps, grid_due, neurons_due)
            self._last_grid_time = now if grid_due else self._last_grid_time
            self._last_neuron_time = now if neurons_due else self._last_neuron_time
        frame = Frame(
            snapshot=trainer.snapshot(),
            config=dict(self._config),
            data=data,
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
        handshake.frame_sent()
        self.frameReady.emit(frame)
        if self._running:
            handshake.wait_until_painted(self.gui_wait_limit)

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
                neurons = tuple(tuple(_readonly(g) for g in layer) for layer in [inputs, *layers])
            self._neuron_grids = neurons
            self._neuron_version += 1
            self._map_seconds["neurons"] = time.perf_counter() - started
            started = time.perf_counter()
        if grid_due:
            grid = curve = None
            if data.input_dim == 2:
                grid = _readonly(output_map(trainer, self._extent, self.grid_resolution))
            elif data.input_dim == 1:
                xs = np.linspace(x0, x1, 200)
                ys = np.asarray(trainer.predict(xs[:, None]), dtype=float).reshape(len(xs), -1)[:, 0]
                curve = (_readonly(xs), _readonly(ys))
            self._grid, self._curve = grid, curve
            self._grid_version += 1
            self._map_seconds["grid"] = time.perf_counter() - started

    # --- plumbing ----------------------------------------------------------------------------------
    def _guard(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run a command; any exception becomes a `failed` signal instead of a dead thread."""
        try:
            fn(*args, **kwargs)
        except Exception as exc:
            self.failed.emit(what, _readable(exc))


def output_map(trainer: Any, extent: tuple[float, float, float, float], resolution: int) -> np.ndarray:
    """``trainer.predict_grid`` over ``extent`` computed in float32 from the current weights.

    The picture is the same (to ~1e-6), and it is several times cheaper: float64 tanh over a
    100 x 100 grid was most of the worker's drawing time (numpy's float32 tanh is vectorised).
    """
    from minitorch.activations import ACTIVATIONS

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


def _readable(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"No such file: {exc.filename}"
    return text or type(exc).__name__


def _default_trainer_factory(config: Mapping[str, Any]) -> Any:
    from minitorch.training import TrainConfig, Trainer

    return Trainer(TrainConfig.from_dict(dict(config)))


# Posted to the controller once a frame's widgets have changed, at the paint request's own
# (low) priority, so that it is handled after Qt has painted them. Two hops: the first lets
# queued scene updates (pyqtgraph's dirty-item processing, which may post the paint request
# only then) run and the paint follow; the second lands behind that paint request.
_FRAME_PAINTED = QEvent.Type(QEvent.registerEventType())
_PAINT_HOPS = 2


class WorkerController(QObject):
    """GUI-side handle on a worker object: owns its thread and the `Handshake`, sends commands, shuts down.

    ``send("play")``, ``send("configure", config)``, ... queue a call of that worker method
    in the worker thread (``commands`` lists them); the worker answers with its signals
    (``frameReady``, ``message``, ...). A view that paints frames calls ``frame_drawn()``
    after drawing each one.
    """

    _command = Signal(str, object)
    shutdown_timeout_ms = 2000

    def __init__(self, parent: QObject | None, worker: QObject, commands: frozenset[str], thread_name: str):
        super().__init__(parent)
        self.handshake = Handshake()
        self.commands = commands
        self.worker = worker
        self.worker.handshake = self.handshake
        self.worker_thread = QThread()
        self.worker_thread.setObjectName(thread_name)
        self.worker.moveToThread(self.worker_thread)
        self._command.connect(self.worker.run_command)
        self.worker_thread.start()
        self._stopped = False
        self._paint_hops_left = 0

    def send(self, command: str, *args: Any) -> None:
        """Queue ``worker.<command>(*args)``; a step in progress is interrupted so it runs at once."""
        if command not in self.commands:
            raise ValueError(f"unknown command {command!r}; one of {', '.join(sorted(self.commands))}")
        if self._stopped:
            return
        self.handshake.command_sent()
        self._command.emit(command, args)

    def frame_drawn(self) -> None:
        """The GUI changed its widgets for the last frame: training resumes once Qt has painted them."""
        self._paint_hops_left = _PAINT_HOPS
        self._post_paint_hop()

    def _post_paint_hop(self) -> None:
        QCoreApplication.postEvent(self, QEvent(_FRAME_PAINTED), Qt.EventPriority.LowEventPriority.value)

    def event(self, event: QEvent) -> bool:
        if event.type() == _FRAME_PAINTED:
            self._paint_hops_left -= 1
            if self._paint_hops_left > 0:
                self._post_paint_hop()
            elif self._paint_hops_left == 0:
                self.handshake.frame_painted()
            return True
        return super().event(event)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Stop training, end the worker thread and wait for it (bounded); True when it ended.

        The hand-shake's close interrupts a step in progress at its next check, so this
        returns within a fraction of a second even while a large step is running.
        """
        if self._stopped:
            return True
        self.handshake.close()
        self.send("shutdown")
        self._stopped = True
        wait_ms = self.shutdown_timeout_ms if timeout_ms is None else timeout_ms
        ended = bool(self.worker_thread.wait(wait_ms))
        if not ended:  # e.g. a file still being read: keep the thread object alive until it ends
            _UNFINISHED.append((self.worker_thread, self.worker))
        return ended


class TrainingController(WorkerController):
    """The 2-D playground's controller: a `TrainingWorker` in the thread "minitorch-training"."""

    def __init__(self, parent: QObject | None = None, worker: TrainingWorker | None = None):
        super().__init__(parent, worker or TrainingWorker(), COMMANDS, "minitorch-training")


# Worker threads that outlived a bounded shutdown, kept referenced so Qt never destroys a running thread.
_UNFINISHED: list[tuple[QThread, QObject]] = []
