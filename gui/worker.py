"""The training worker: a QObject living in its own QThread that owns the `Trainer`.

The GUI never touches the live model. It sends commands (play, pause, step, reset,
configure, set hyperparameters, load/save files) as queued signals through
`TrainingController`; the worker answers with immutable `Frame`s, at most
``max_fps`` per second, each carrying a `Snapshot` from the trainer plus the maps the
views draw (decision boundary, every neuron's output), computed here in the worker
thread so the GUI thread only paints.

Training runs in short time slices (a few milliseconds of ``trainer.step()`` calls)
driven by a zero-delay timer, so queued commands are handled between slices and a
``QThread.quit()`` takes effect promptly.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

# Config fields the trainer can change between two steps without starting over.
LIVE_FIELDS = ("lr", "momentum", "weight_decay", "l1", "l2", "batch_size", "betas")


class TurnTaking:
    """Lets the GUI thread draw a frame while the worker thread waits, fairly.

    The worker wraps every training step in ``worker()``. The GUI calls ``begin_gui()``
    when a frame arrives (it returns once the current step has finished; with
    ``hand_over_with_frames`` the worker has already stopped between steps as it sent the
    frame) and ``end_gui()`` once that frame has been painted. In between, the worker blocks before
    its next step in ``Event.wait``, which releases the GIL, so painting never competes
    with training for the interpreter lock (two Python threads that both want the GIL
    stall each other for milliseconds per hand-over). A plain lock around drawing would
    not do: the worker releases and re-takes it between steps faster than the waiting GUI
    thread wakes up, and Qt paints after the slot that changed the widgets has returned.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gui_idle = threading.Event()
        self._gui_idle.set()
        # Set by a GUI that draws every frame it is sent and then calls end_gui() (the
        # playground): the worker then hands the turn over as it sends a frame, so the
        # GUI's begin_gui() finds no step in progress and never waits for one (a scalar
        # step can take 10-20 ms, all of it a stall of the GUI thread).
        self.hand_over_with_frames = False

    def hand_over(self) -> None:
        """Worker side, between steps: the GUI's turn starts now (it ends with end_gui())."""
        if self.hand_over_with_frames:
            self._gui_idle.clear()

    def begin_gui(self) -> None:
        self._gui_idle.clear()
        with self._lock:  # wait for the step in progress, if any
            pass

    def end_gui(self) -> None:
        self._gui_idle.set()

    @contextmanager
    def gui(self) -> Iterator[None]:
        """For GUI work done entirely inside one call."""
        self.begin_gui()
        try:
            yield
        finally:
            self.end_gui()

    @contextmanager
    def worker(self) -> Iterator[None]:
        self._gui_idle.wait(0.5)  # bounded: a GUI stuck elsewhere never freezes training for good
        with self._lock:
            yield


class NoTurnTaking(TurnTaking):
    """The naive alternative (for the benchmark): both threads simply run."""

    def begin_gui(self) -> None:
        pass

    def hand_over(self) -> None:
        pass

    @contextmanager
    def worker(self) -> Iterator[None]:
        yield


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
    grid_version: int = 0  # increases whenever grid / neuron_grids / curve are recomputed
    generation: int = 0  # increases whenever a new trainer is installed (build, reset, open)
    stop_reason: str | None = None


def _readonly(array: Any) -> np.ndarray:
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


class TrainingWorker(QObject):
    """Owns a Trainer; lives in a worker thread; talks to the GUI only through signals."""

    frameReady = Signal(object)  # Frame
    runningChanged = Signal(bool)
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (what failed, a readable reason)
    configLoaded = Signal(object)  # a config dict, after "open experiment"
    configRejected = Signal(str)  # why a configuration from the form cannot be built
    configAccepted = Signal(object)  # the configuration now in use
    fileSaved = Signal(str, str)  # (what, path)
    weightsLoaded = Signal(str)  # path

    def __init__(
        self,
        trainer_factory: Callable[[Mapping[str, Any]], Any] | None = None,
        *,
        max_fps: float = 30.0,
        grid_interval: float = 0.1,
        grid_resolution: int = 100,
        neuron_resolution: int = 24,
        slice_seconds: float = 0.008,
        rest_ms: int = 1,
    ):
        super().__init__()
        self._trainer_factory = trainer_factory or _default_trainer_factory
        self.min_frame_interval = 1.0 / max_fps
        self.grid_interval = grid_interval
        self.grid_resolution = grid_resolution
        self.neuron_resolution = neuron_resolution
        self.slice_seconds = slice_seconds
        # Between two slices the worker rests (GIL released) so the GUI thread can run
        # its Python callbacks without waiting for the interpreter lock.
        self.rest_ms = rest_ms
        self._trainer: Any = None
        self._config: dict[str, Any] = {}
        self._data: DataView | None = None
        self._data_version = 0
        self._running = False
        self._max_epochs = 0  # 0: no limit
        self._target_loss = 0.0  # 0: no target
        self._last_frame_time = -math.inf
        self._last_grid_time = -math.inf
        self._grid_version = 0
        self._generation = 0
        self._grid: np.ndarray | None = None
        self._neuron_grids: tuple[tuple[np.ndarray, ...], ...] | None = None
        self._curve: tuple[np.ndarray, np.ndarray] | None = None
        self._extent = (-1.0, 1.0, -1.0, 1.0)
        self._feature_names: tuple[str, ...] = ()
        self._rate = 0.0
        self._rate_steps = 0
        self._rate_since = time.perf_counter()
        self._stop_reason: str | None = None
        # Back-pressure: set while the GUI has not drawn the last frame yet, so a slow
        # GUI gets fewer frames instead of a growing queue of stale ones.
        self._frame_pending = threading.Event()
        self._consumed_at = -math.inf
        # The GUI draws each frame in gui_turn.gui() while training waits (see TurnTaking).
        self.gui_turn: TurnTaking | NoTurnTaking = TurnTaking()
        self.min_gap_after_draw = 0.005
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

    def frame_consumed(self) -> None:
        """Called by the GUI thread after drawing a frame: the next one may be sent."""
        self._consumed_at = time.perf_counter()
        self._frame_pending.clear()

    # --- commands (slots, run in the worker thread) ------------------------------------------
    @Slot(object)
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

    @Slot(object)
    def set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        """Change live hyperparameters (e.g. {"lr": 0.1}); they take effect at the next step."""
        self._guard("Changing hyperparameters", self._apply_live, dict(values))

    @Slot(int, float)
    def set_stop_condition(self, max_epochs: int, target_loss: float) -> None:
        """Stop (pause) once ``max_epochs`` epochs are done or the loss reaches ``target_loss`` (0: off)."""
        self._max_epochs = max(0, int(max_epochs))
        self._target_loss = max(0.0, float(target_loss))

    @Slot()
    def play(self) -> None:
        if self._trainer is None or self._running:
            return
        if self._trainer.diverged:
            self.message.emit("Training diverged; press Reset (R) to start again.")
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
            self._emit_frame(force_grid=True)

    @Slot()
    def toggle(self) -> None:
        self.pause() if self._running else self.play()

    @Slot(int)
    def step(self, count: int = 1) -> None:
        """Pause, then take ``count`` optimisation steps (minibatches) and show the result."""
        if self._trainer is None:
            return
        self.pause()
        if self._trainer.diverged:
            self.message.emit("Training diverged; press Reset (R) to start again.")
            return
        self._guard("Training", self._steps, count)
        self._emit_frame(force_grid=True)

    @Slot()
    def reset(self) -> None:
        """New random weights (the same config and seed give the same start, as in PyTorch)."""
        was_running = self._running
        self.pause()
        if self._config:
            self._guard("Resetting the model", self._rebuild, self._config, keep_data=True, keep_weights=False)
        if was_running:
            self.message.emit("Model reset; press Play to train again.")

    @Slot(str)
    def export_weights(self, path: str) -> None:
        self._guard("Exporting weights", self._export_weights, path)

    @Slot(str)
    def import_weights(self, path: str) -> None:
        self._guard("Importing weights", self._import_weights, path)

    @Slot(str)
    def save_experiment(self, path: str) -> None:
        self._guard("Saving the experiment", self._save_experiment, path)

    @Slot(str)
    def open_experiment(self, path: str) -> None:
        self._guard("Opening the experiment", self._open_experiment, path)

    @Slot()
    def shutdown(self) -> None:
        """Stop training and hand this object back to the GUI thread (runs in the worker thread).

        Afterwards the worker thread can quit, and this object (with its timer) can be
        destroyed from the GUI thread without Qt's "Timers cannot be stopped from another
        thread" warnings.
        """
        self._running = False
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())

    # --- the training loop ---------------------------------------------------------------------
    @Slot()
    def _train_slice(self) -> None:
        if not self._running or self._trainer is None:
            return
        started = time.perf_counter()
        try:
            while time.perf_counter() - started < self.slice_seconds:
                with self.gui_turn.worker():
                    metrics = self._trainer.step()
                self._rate_steps += 1
                reason = self._stop_check(metrics)
                if reason:
                    self._stop_reason = reason
                    break
                if self._frame_due():  # as soon as the GUI can take one: smooth curves
                    self._emit_frame()
        except Exception as exc:  # a bug or a numeric error must not kill the thread
            self._stop_reason = f"Training stopped: {exc}"
            self.failed.emit("Training", str(exc))
        now = time.perf_counter()
        if now - self._rate_since >= 0.5:
            self._rate = self._rate_steps / (now - self._rate_since)
            self._rate_steps, self._rate_since = 0, now
        if self._stop_reason:
            self._set_running(False)
            self.message.emit(self._stop_reason)
            self._emit_frame(force_grid=True)
            return
        self._timer.start(self.rest_ms)

    def _frame_due(self) -> bool:
        """A new frame is wanted: the last one was drawn, and not too recently."""
        now = time.perf_counter()
        return (
            not self._frame_pending.is_set()
            and now - self._last_frame_time >= self.min_frame_interval
            and now - self._consumed_at >= self.min_gap_after_draw
        )

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
            metrics = self._trainer.step()
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
        self.message.emit(kept or "Model ready: press Play (Space) to train.")

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
        self._emit_frame(force_grid=True)

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
            self._emit_frame()

    def _export_weights(self, path: str) -> None:
        from minitorch import io as mio

        mio.save(self._trainer, path)  # the trainer, so the file records the architecture too
        self.fileSaved.emit("weights", path)

    def _import_weights(self, path: str) -> None:
        from minitorch import io as mio

        self.pause()
        # Validated (format, shapes, architecture) before anything is copied: on error the model is untouched.
        mio.load_into(self._trainer, path)
        self._emit_frame(force_grid=True)
        self.weightsLoaded.emit(path)
        self.message.emit(f"Loaded weights from {os.path.basename(path)}")

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
    def _emit_frame(self, force_grid: bool = False) -> None:
        trainer, data = self._trainer, self._data
        if trainer is None or data is None:
            return
        now = time.perf_counter()
        with self.gui_turn.worker():
            if force_grid or now - self._last_grid_time >= self.grid_interval:
                self._guard("Drawing the model's output", self._compute_maps)
                self._last_grid_time = time.perf_counter()
            snapshot = trainer.snapshot()
        frame = Frame(
            snapshot=snapshot,
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
            generation=self._generation,
            stop_reason=self._stop_reason,
        )
        self._last_frame_time = time.perf_counter()
        self._frame_pending.set()
        self.gui_turn.hand_over()
        self.frameReady.emit(frame)

    def _compute_maps(self) -> None:
        trainer, data = self._trainer, self._data
        x0, x1, y0, y1 = self._extent
        grid = neurons = curve = None
        if data.input_dim <= 2:
            # Every neuron's output over the plane (1-D data: over x, the same in every row).
            small = self.neuron_resolution
            inputs = trainer.feature_grids((x0, x1), (y0, y1), small)
            layers = trainer.neuron_grids((x0, x1), (y0, y1), small)
            neurons = tuple(tuple(_readonly(g) for g in layer) for layer in [inputs, *layers])
        if data.input_dim == 2:
            grid = _readonly(trainer.predict_grid((x0, x1), (y0, y1), self.grid_resolution))
        elif data.input_dim == 1:
            xs = np.linspace(x0, x1, 200)
            ys = np.asarray(trainer.predict(xs[:, None]), dtype=float).reshape(len(xs), -1)[:, 0]
            curve = (_readonly(xs), _readonly(ys))
        self._grid, self._neuron_grids, self._curve = grid, neurons, curve
        self._grid_version += 1

    # --- plumbing ----------------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.runningChanged.emit(running)

    def _guard(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run a command; any exception becomes a `failed` signal instead of a dead thread."""
        try:
            fn(*args, **kwargs)
        except Exception as exc:
            self.failed.emit(what, _readable(exc))


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


class TrainingController(QObject):
    """GUI-side handle: starts the worker thread, forwards commands, shuts down cleanly."""

    # Commands, delivered to the worker thread as queued calls.
    _configure = Signal(object)
    _set_hyper = Signal(object)
    _set_stop = Signal(int, float)
    _play = Signal()
    _pause = Signal()
    _toggle = Signal()
    _step = Signal(int)
    _reset = Signal()
    _export = Signal(str)
    _import = Signal(str)
    _save_exp = Signal(str)
    _open_exp = Signal(str)

    def __init__(self, parent: QObject | None = None, worker: TrainingWorker | None = None):
        super().__init__(parent)
        self.worker = worker or TrainingWorker()
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("minitorch-training")
        self.worker.moveToThread(self.worker_thread)
        pairs = (
            (self._configure, self.worker.configure),
            (self._set_hyper, self.worker.set_hyperparameters),
            (self._set_stop, self.worker.set_stop_condition),
            (self._play, self.worker.play),
            (self._pause, self.worker.pause),
            (self._toggle, self.worker.toggle),
            (self._step, self.worker.step),
            (self._reset, self.worker.reset),
            (self._export, self.worker.export_weights),
            (self._import, self.worker.import_weights),
            (self._save_exp, self.worker.save_experiment),
            (self._open_exp, self.worker.open_experiment),
        )
        for signal, slot in pairs:
            signal.connect(slot)
        self.worker_thread.start()
        self._stopped = False

    # Public command methods (thread-safe: they only emit queued signals).
    def configure(self, config: Mapping[str, Any]) -> None:
        self._configure.emit(dict(config))

    def set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        self._set_hyper.emit(dict(values))

    def set_stop_condition(self, max_epochs: int, target_loss: float) -> None:
        self._set_stop.emit(int(max_epochs), float(target_loss))

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

    def export_weights(self, path: str) -> None:
        self._export.emit(path)

    def import_weights(self, path: str) -> None:
        self._import.emit(path)

    def save_experiment(self, path: str) -> None:
        self._save_exp.emit(path)

    def open_experiment(self, path: str) -> None:
        self._open_exp.emit(path)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop training, end the thread's event loop and wait for it; True when it ended."""
        if self._stopped:
            return True
        self._stopped = True
        if self.worker_thread.isRunning():
            # Blocking: when this returns the worker has stopped its timer and moved back here.
            QMetaObject.invokeMethod(self.worker, "shutdown", Qt.ConnectionType.BlockingQueuedConnection)
        self.worker_thread.quit()
        return bool(self.worker_thread.wait(timeout_ms))
