"""Run a training session in a child process, so training never waits for the window.

Python runs one thread at a time per process (the interpreter lock). In one process a
training thread and the GUI thread take turns: every millisecond the window paints is a
millisecond training stops, and a pure-Python step holds the GUI back. In two processes
they run side by side on two cores: the window trains at headless speed and stays smooth.

The parent holds a `SessionProcess`: it starts ``python -m minitorch.live.process``
connected by a socket pair, sends commands, receives messages, and stops the child at once
(killing it if it does not end within a fraction of a second). The child runs `serve`:
commands first; while playing, training slices with a frame after each one that the parent
has acknowledged the last (``frame_painted``). Messages are pickled tuples:

- parent -> child: ``("command", name, args)``, ``("painted",)``
- child -> parent: ``("signal", name, args)`` and ``("frame", wire)``, where ``wire`` is a
  `Frame` as `FrameEncoder` sends it (only what changed: new history entries, new maps, the
  data set once) and `FrameDecoder` puts back together.

Both sides are Qt-free; the GUI wraps the parent side in `gui.worker`.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from types import MappingProxyType
from typing import Any

import numpy as np

from .session import Frame, TrainingSession

# How long `SessionProcess.stop` waits for the child to end by itself before killing it.
STOP_WAIT_SECONDS = 0.25

# Snapshot fields that are read-only mappings (sent as dicts, frozen again on arrival).
_MAPPING_FIELDS = ("metrics", "state_dict", "config", "architecture")


class SessionEnded(Exception):
    """The other side of a session connection is gone."""


# --- the child --------------------------------------------------------------------------------------
def serve(connection: Connection, session_factory: Callable[..., Any] = TrainingSession,
          encoder_factory: Callable[[], Any] | None = None) -> None:
    """Run a session on ``connection`` until "shutdown" or until the parent is gone.

    Commands run in the order they came; a command waiting stops training (between steps,
    and inside a long step between its chunks). While playing, each slice of training ends
    with a frame, unless the parent has not yet painted the last one: then training goes on
    and the next slice offers a frame again.
    """
    pending: deque[tuple[str, tuple[Any, ...]]] = deque()
    painted = True
    encoder = (encoder_factory or FrameEncoder)()
    arrived = _arrival_check(connection)

    def pump(block: bool = False) -> bool:
        """Read what has arrived (waiting for one message when ``block``); True when commands wait."""
        nonlocal painted
        while block or arrived():
            block = False
            message = connection.recv()
            if message[0] == "painted":
                painted = True
            else:
                pending.append((message[1], tuple(message[2])))
        return bool(pending)

    def emit(name: str, *args: Any) -> None:
        nonlocal painted
        if name == "frameReady":
            connection.send(("frame", encoder.encode(args[0])))
            painted = False
        else:
            connection.send(("signal", name, args))

    session = session_factory(emit)
    session.should_stop = pump
    session.ready_for_frame = lambda: painted
    try:
        while True:
            if pending:
                name, args = pending.popleft()
                if name == "shutdown":
                    return
                session.run_command(name, args)
            elif session.running:
                session.train_slice()
                pump()
            else:
                pump(block=True)
    except (EOFError, OSError):  # the window is gone: nothing left to do
        return


def _arrival_check(connection: Connection) -> Callable[[], bool]:
    """A function telling whether a message waits on ``connection``, without waiting.

    Asked between training steps (a thousand times a second): a poll object registered once
    costs ~0.6 us per question, `Connection.poll` builds a selector each time (~4 us).
    """
    import select

    if not hasattr(select, "poll"):  # Windows
        return connection.poll
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return lambda: bool(poller.poll(0))


def main(argv: list[str] | None = None, session_factory: Callable[..., Any] | None = None,
         encoder_factory: Callable[[], Any] | None = None) -> int:
    """``python -m minitorch.live.process FD [image]``: serve on the inherited socket FD.

    A host's own child module may call this with its own ``session_factory`` and
    ``encoder_factory`` (e.g. the desktop app's image session with Qt's image decoder); they
    replace the ones the kind names.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m minitorch.live.process FD [image]", file=sys.stderr)
        return 2
    if args[0] == "share":  # Windows: the socket comes as shared bytes on stdin
        sock = socket.fromshare(sys.stdin.buffer.read())  # type: ignore[attr-defined]
        fd = sock.detach()
    else:
        fd = int(args[0])
    connection = Connection(fd)
    kind = args[1] if len(args) > 1 else "playground"
    if session_factory is not None:
        serve(connection, session_factory, encoder_factory)
    elif kind == "image":
        from .image_session import ImageFrameEncoder, ImageSession

        serve(connection, ImageSession, ImageFrameEncoder)
    else:
        serve(connection)
    connection.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # nothing to tear down: ending now makes closing the window instant


# --- what travels --------------------------------------------------------------------------------
class HistorySender:
    """The sending half of a history that travels as deltas: only records the receiver lacks."""

    def __init__(self) -> None:
        self._generation = -1
        self._length = 0

    def encode(self, history: Sequence[Any], generation: int) -> dict[str, Any]:
        """``{"history_from": n, "history_new": [...]}``: keep the first n records, append the new ones
        (all of them again for a new trainer, or a history that got shorter)."""
        fresh = generation != self._generation or len(history) < self._length
        start = 0 if fresh else self._length
        self._generation, self._length = generation, len(history)
        return {"history_from": start, "history_new": [dict(entry) for entry in history[start:]]}


class HistoryReceiver:
    """The receiving half: the whole history again, as a `HistoryView` (no copy per frame)."""

    def __init__(self) -> None:
        self._records: list[MappingProxyType] = []

    def decode(self, history_from: int, history_new: list[dict[str, Any]]) -> Any:
        from ..training.history import HistoryView  # the training toolkit loads with the first frame

        if history_from < len(self._records):  # a new list: views handed out earlier keep theirs
            self._records = self._records[:history_from]
        self._records.extend(MappingProxyType(entry) for entry in history_new)
        return HistoryView(self._records)


class FrameEncoder:
    """Turns `Frame`s into picklable dicts that carry only what the receiver lacks.

    The history grows by a few entries per frame: only the new ones travel (all of them
    again for a new trainer). The data set travels once per version, and the output map and
    neuron maps only when they were recomputed.
    """

    def __init__(self) -> None:
        self._history = HistorySender()
        self._data_version = -1
        self._grid_version = -1
        self._neuron_version = -1

    def encode(self, frame: Frame) -> dict[str, Any]:
        wire = {field.name: getattr(frame, field.name) for field in dataclasses.fields(frame)}
        snapshot = frame.snapshot
        snap = {field.name: getattr(snapshot, field.name) for field in dataclasses.fields(snapshot)}
        for name in _MAPPING_FIELDS:
            snap[name] = dict(snap[name])
        snap.update(self._history.encode(snap.pop("history"), frame.generation))
        wire["snapshot"] = snap
        if frame.data.version == self._data_version:
            wire["data"] = None
        self._data_version = frame.data.version
        if frame.grid_version == self._grid_version:
            wire["grid"] = wire["curve"] = None
        self._grid_version = frame.grid_version
        if frame.neuron_version == self._neuron_version:
            wire["neuron_grids"] = None
        self._neuron_version = frame.neuron_version
        return wire


class FrameDecoder:
    """Puts `Frame`s back together from `FrameEncoder`'s dicts (read-only, as the session made them)."""

    def __init__(self) -> None:
        self._history = HistoryReceiver()
        self._data: Any = None
        self._grid: Any = None
        self._curve: Any = None
        self._neuron_grids: Any = None
        self._grid_version = -1
        self._neuron_version = -1

    def decode(self, wire: dict[str, Any]) -> Frame:
        from ..training.trainer import Snapshot

        snap = dict(wire["snapshot"])
        history = self._history.decode(snap.pop("history_from"), snap.pop("history_new"))
        for name in _MAPPING_FIELDS:
            snap[name] = MappingProxyType(snap[name])
        snap["state_dict"] = MappingProxyType({k: frozen_array(v) for k, v in snap["state_dict"].items()})
        snapshot = Snapshot(history=history, **snap)
        if wire["data"] is not None:
            data = wire["data"]
            self._data = dataclasses.replace(data, **{name: frozen_array(getattr(data, name))
                                                      for name in ("x_train", "y_train", "x_test", "y_test")})
        if wire["grid_version"] != self._grid_version:
            self._grid_version = wire["grid_version"]
            self._grid = None if wire["grid"] is None else frozen_array(wire["grid"])
            self._curve = None if wire["curve"] is None else tuple(frozen_array(a) for a in wire["curve"])
        if wire["neuron_version"] != self._neuron_version:
            self._neuron_version = wire["neuron_version"]
            grids = wire["neuron_grids"]
            self._neuron_grids = None if grids is None else tuple(
                tuple(frozen_array(g) for g in layer) for layer in grids)
        return dataclasses.replace(Frame(snapshot=snapshot, config=wire["config"], data=self._data,
                                         running=wire["running"], steps_per_second=wire["steps_per_second"]),
                                   grid=self._grid, curve=self._curve, neuron_grids=self._neuron_grids,
                                   extent=tuple(wire["extent"]), feature_names=tuple(wire["feature_names"]),
                                   grid_version=wire["grid_version"], neuron_version=wire["neuron_version"],
                                   generation=wire["generation"], stop_reason=wire["stop_reason"])


def frozen_array(array: Any) -> np.ndarray:
    """``array`` made read-only in place (an unpickled array owns its memory: no copy needed)."""
    out = np.asarray(array)
    out.setflags(write=False)
    return out


# --- the parent --------------------------------------------------------------------------------------
class SessionProcess:
    """The parent's handle on a session running in a child process.

    ``send(name, *args)`` queues a command; ``painted()`` acknowledges a frame; ``receive()``
    blocks for the next message (call it from one thread only); ``stop()`` ends the child at
    once. Sending is safe from one thread while another receives.
    """

    def __init__(self, kind: str = "playground", module: str = "minitorch.live.process") -> None:
        """Start ``python -m <module> FD <kind>``; ``module`` is this one or a host's own child
        module that calls `main` with its session factory."""
        parent_end, child_end = socket.socketpair()
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        # The child imports the same minitorch as this process (a checkout or an installed copy).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", module]
        if hasattr(socket.socket, "share"):  # Windows: no inherited descriptors; share the socket
            self.process = subprocess.Popen([*command, "share", kind], env=env, stdin=subprocess.PIPE)
            assert self.process.stdin is not None
            self.process.stdin.write(child_end.share(self.process.pid))
            self.process.stdin.close()
        else:
            self.process = subprocess.Popen([*command, str(child_end.fileno()), kind], env=env,
                                            pass_fds=(child_end.fileno(),))
        child_end.close()  # the child holds its end: when it ends, receive() sees the end
        self._connection = Connection(parent_end.detach())
        self.stopped = False

    def send(self, name: str, *args: Any) -> None:
        """Queue a command for the session (ignored once stopped or when the child is gone)."""
        self._post(("command", name, args))

    def painted(self) -> None:
        """The last frame is on screen: the session may send the next one."""
        self._post(("painted",))

    def _post(self, message: tuple[Any, ...]) -> None:
        if self.stopped:
            return
        try:
            self._connection.send(message)
        except OSError:  # the child is gone; receive() reports it
            pass

    def receive(self) -> tuple[Any, ...]:
        """The next message from the child; `SessionEnded` once it is gone."""
        try:
            return self._connection.recv()
        except (EOFError, OSError) as exc:
            raise SessionEnded(str(exc)) from exc

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, wait: float = STOP_WAIT_SECONDS) -> None:
        """Ask the session to end; kill the child if it has not ended within ``wait`` seconds.

        A step in progress stops at its next check, so the child usually ends in milliseconds;
        a child busy elsewhere (e.g. reading a large file) is killed: nothing it holds is the
        user's only copy (files are written atomically).
        """
        if self.stopped:
            return
        self._post(("command", "shutdown", ()))
        self.stopped = True
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def close_connection(self) -> None:
        """Close this end of the connection (after `receive` said the child is gone)."""
        self._connection.close()

    def close(self) -> None:
        """Stop the child and close the connection (when no thread is receiving)."""
        self.stop()
        self.close_connection()


if __name__ == "__main__":
    sys.exit(main())
