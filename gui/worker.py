"""Training behind the window: the GUI side of a training session.

Both playgrounds train in a child process (`minitorch.live.process`): two
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

The image playground's `gui.image_playground.worker.ImageController` is a `TrainingController`
with its own kind of session, signals, commands and frame decoder.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal

from minitorch.live.process import FrameDecoder, SessionEnded, SessionProcess
from minitorch.live.session import COMMANDS, Frame

__all__ = ["COMMANDS", "Frame", "TrainingController", "TrainingWorker"]

# Posted to the controller once a frame's widgets have changed, at the paint request's own
# (low) priority, so that it is handled after Qt has painted them. Two hops: the first lets
# queued scene updates (pyqtgraph's dirty-item processing, which may post the paint request
# only then) run and the paint follow; the second lands behind that paint request.
_FRAME_PAINTED = QEvent.Type(QEvent.registerEventType())
_PAINT_HOPS = 2


# --- a session in a child process, seen from the GUI ------------------------------------------------
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

    If the child ends unexpectedly (killed, out of memory) a new one starts and gets the latest
    arguments of the `restored_commands` again (the configuration, the stop condition), and
    ``worker.failed`` says so.
    """

    kind = "playground"
    thread_name = "minitorch-training"
    child_module = "minitorch.live.process"  # what the child runs (``python -m``)
    # Commands whose latest arguments a restarted child gets again, in this order.
    restored_commands: tuple[str, ...] = ("configure", "set_stop_condition")

    def __init__(self, parent: QObject | None = None, worker: QObject | None = None,
                 commands: frozenset[str] = COMMANDS):
        super().__init__(parent)
        self.commands = commands
        self.worker = worker if worker is not None else TrainingWorker()
        self._stopped = False
        self._paint_hops_left = 0
        self._restored: dict[str, tuple[Any, ...]] = {}  # command -> its latest arguments
        self.restarts = 0
        self._start()

    def _new_decoder(self) -> Any:
        return FrameDecoder().decode

    def _start(self) -> None:
        self.process = SessionProcess(self.kind, self.child_module)
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
        if command in self.restored_commands:
            self._restored[command] = args
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
        # The old reader emitted `ended` as its last act, but its thread may still be returning:
        # Qt aborts the program when a running QThread object is destroyed, so it stays referenced
        # until it has finished.
        self._ended_reader = self.worker_thread
        self._ended_reader.wait(2000)
        self._start()
        for command in self.restored_commands:
            if command in self._restored:
                self.process.send(command, *self._restored[command])
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
