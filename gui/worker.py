"""Training behind the window: the GUI side of a training session.

The 2-D playground trains in a child process (`minitorch.live.process`): two
processes run side by side on two cores, so training in the window runs at headless speed
and the GUI thread never waits for the interpreter lock while a step runs. Here, in the GUI
process:

- `TrainingController.send(name, *args)` is the one command path (``configure``, ``play``,
  ``pause``, ... : `COMMANDS`); `stop`/`shutdown` ends the child at once, even mid-step.
- A reader thread receives the child's messages and re-emits them as the signals of
  `TrainingWorker` (``frameReady`` with a `Frame`, ``message``, ``failed``, ...), delivered
  in the GUI thread.
- After painting a frame the GUI calls ``frame_drawn()``; once Qt has painted it, the child
  may send the next one (a slow GUI gets fewer frames, never a queue).

`Handshake`, `PacedWorker` and `WorkerController` are the in-process variant (a worker
QObject in a QThread taking turns with painting) that the image playground still uses.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, QTimer, Signal

from minitorch.live.process import FrameDecoder, SessionEnded, SessionProcess
from minitorch.live.session import COMMANDS, LIVE_FIELDS, DataView, Frame, output_map

__all__ = ["COMMANDS", "LIVE_FIELDS", "DataView", "Frame", "output_map", "TrainingController", "TrainingWorker",
           "Handshake", "PacedWorker", "WorkerController"]

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


# Worker threads that outlived a bounded shutdown, kept referenced so Qt never destroys a running thread.
_UNFINISHED: list[tuple[QThread, QObject]] = []


# --- the 2-D playground: a session in a child process ------------------------------------------------
class TrainingWorker(QObject):
    """The training session's signals, emitted in the GUI process (the session itself runs in a
    child process; see `TrainingController`)."""

    frameReady = Signal(object)  # Frame
    runningChanged = Signal(bool)
    message = Signal(str)  # a line for the status bar
    failed = Signal(str, str)  # (what failed, a readable reason)
    configLoaded = Signal(object)  # a config dict, after "open experiment"
    configRejected = Signal(str)  # why a configuration from the form cannot be built
    configAccepted = Signal(object)  # the configuration now in use
    fileSaved = Signal(str, str)  # (what, path)
    weightsLoaded = Signal(str)  # path


class SessionReader(QThread):
    """Receives the child's messages and emits them as ``worker``'s signals (queued to the GUI thread)."""

    ended = Signal(int)  # the child's exit code, when it ends without being asked to

    def __init__(self, process: SessionProcess, worker: QObject, decode: Any) -> None:
        super().__init__()
        self.process = process
        self.worker = worker
        self._decode = decode

    def run(self) -> None:
        process = self.process
        try:
            while True:
                message = process.receive()
                if message[0] == "frame":
                    self.worker.frameReady.emit(self._decode(message[1]))
                else:
                    _, name, args = message
                    getattr(self.worker, name).emit(*args)
        except SessionEnded:
            pass
        finally:
            process.close_connection()
        if not process.stopped:
            process.process.wait()
            self.ended.emit(int(process.process.returncode or 0))


class TrainingController(QObject):
    """GUI-side handle on the training session: starts its child process, sends commands,
    re-emits its messages through ``worker``, and stops it at once on shutdown.

    If the child ends unexpectedly (killed, out of memory) a new one starts with the last
    configuration, and ``worker.failed`` says so.
    """

    kind = "playground"
    thread_name = "minitorch-training"

    def __init__(self, parent: QObject | None = None, worker: QObject | None = None,
                 commands: frozenset[str] = COMMANDS):
        super().__init__(parent)
        self.commands = commands
        self.worker = worker if worker is not None else TrainingWorker()
        self._stopped = False
        self._paint_hops_left = 0
        self._last_config: tuple[Any, ...] | None = None
        self.restarts = 0
        self._start()

    def _new_decoder(self) -> Any:
        return FrameDecoder().decode

    def _start(self) -> None:
        self.process = SessionProcess(self.kind)
        self.worker_thread = SessionReader(self.process, self.worker, self._new_decoder())
        self.worker_thread.setObjectName(self.thread_name)
        self.worker_thread.ended.connect(self._on_ended)
        self.worker_thread.start()

    def send(self, command: str, *args: Any) -> None:
        """Queue ``command`` for the session; a step in progress is interrupted so it runs at once."""
        if command not in self.commands:
            raise ValueError(f"unknown command {command!r}; one of {', '.join(sorted(self.commands))}")
        if self._stopped:
            return
        if command == "configure":
            self._last_config = args
        self.process.send(command, *args)

    def frame_drawn(self) -> None:
        """The GUI changed its widgets for the last frame: the next frame may come once Qt has painted them."""
        self._paint_hops_left = _PAINT_HOPS
        self._post_paint_hop()

    def _post_paint_hop(self) -> None:
        QCoreApplication.postEvent(self, QEvent(_FRAME_PAINTED), Qt.EventPriority.LowEventPriority.value)

    def event(self, event: QEvent) -> bool:
        if event.type() == _FRAME_PAINTED:
            self._paint_hops_left -= 1
            if self._paint_hops_left > 0:
                self._post_paint_hop()
            elif self._paint_hops_left == 0 and not self._stopped:
                self.process.painted()
            return True
        return super().event(event)

    def _on_ended(self, code: int) -> None:
        if self._stopped or self.sender() is not self.worker_thread:
            return
        self.restarts += 1
        self._start()
        if self._last_config is not None:
            self.process.send("configure", *self._last_config)
        self.worker.failed.emit("Training", f"The training process ended unexpectedly (exit code {code}); "
                                           "a new one started with the last configuration.")

    @property
    def stopped(self) -> bool:
        return self._stopped

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """End the session's child process at once (killed if it does not end within 0.25 s) and
        the reader thread; True when both ended."""
        if self._stopped:
            return True
        self._stopped = True
        self.process.stop()
        return bool(self.worker_thread.wait(2000 if timeout_ms is None else timeout_ms))
