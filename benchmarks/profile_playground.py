"""Where the playground's time goes while it trains: both sides of the window, per frame.

1. The training session (the child process's work), run here in-process without Qt: the
   share of its time spent in training steps and in making frames (snapshot, output and
   neuron maps, encoding and pickling what travels), and frames per second.
2. The window (offscreen): per frame, what the GUI thread spends drawing it (``show_frame``),
   painting each view (the pyqtgraph plots and the network drawing) and decoding frames in
   the reader thread; and the GUI thread's CPU share.

    QT_QPA_PLATFORM=offscreen python benchmarks/profile_playground.py [--engine tensor] [--largest] [--seconds 5]

``--largest`` uses the largest settings the form allows (see bench_gui_responsiveness.py).
"""

from __future__ import annotations

import argparse
import collections
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import bench_gui_responsiveness as bench  # noqa: E402  (sets up gui first, as the window does)


class Timings:
    """Total seconds and calls per name, from wrapped methods."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter[str] = collections.Counter()
        self.worst: dict[str, float] = collections.defaultdict(float)

    def wrap(self, owner: object, method: str, name: str | None = None) -> None:
        original = getattr(owner, method)
        label = name or method

        def timed(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self.seconds[label] += spent
                self.calls[label] += 1
                self.worst[label] = max(self.worst[label], spent)

        setattr(owner, method, timed)

    def report(self, elapsed: float, per: str | None = None) -> None:
        frames = self.calls[per] if per else 0
        for label in sorted(self.seconds, key=lambda k: -self.seconds[k]):
            total = self.seconds[label]
            each = 1000 * total / max(1, self.calls[label])
            line = (f"  {label:<34}{100 * total / elapsed:6.1f} % of the time {self.calls[label]:6d} calls, "
                    f"{each:6.2f} ms each, worst {1000 * self.worst[label]:5.1f} ms")
            if frames:
                line += f", {1000 * total / frames:5.2f} ms per frame"
            print(line)


def profile_session(config: dict, seconds: float) -> None:
    from minitorch.live.process import FrameEncoder
    from minitorch.live.session import TrainingSession
    from minitorch.training import Trainer

    timings = Timings()
    encoder = FrameEncoder()
    sent = []

    def emit(name: str, *args: object) -> None:
        if name == "frameReady":
            start = time.perf_counter()
            sent.append(len(pickle.dumps(("frame", encoder.encode(args[0])), protocol=pickle.HIGHEST_PROTOCOL)))
            spent = time.perf_counter() - start
            timings.seconds["encode + pickle"] += spent
            timings.calls["encode + pickle"] += 1
            timings.worst["encode + pickle"] = max(timings.worst["encode + pickle"], spent)

    session = TrainingSession(emit)
    session.configure(config)
    timings.wrap(Trainer, "step", "training steps")
    timings.wrap(Trainer, "snapshot", "snapshot")
    timings.wrap(session, "_compute_maps", "output and neuron maps")
    timings.wrap(session, "_send_frame", "frames (all of it)")
    session.play()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.train_slice()
    elapsed = time.perf_counter() - start
    print(f"session ({config['engine']}): {timings.calls['training steps'] / elapsed:.0f} steps/s, "
          f"{timings.calls['frames (all of it)'] / elapsed:.1f} frames/s, "
          f"median frame {sorted(sent)[len(sent) // 2] / 1024:.1f} KiB pickled")
    timings.report(elapsed)


def profile_window(config: dict, seconds: float) -> None:
    import pyqtgraph as pg

    from gui.panels.network_view import NetworkView
    from gui.playground import Playground
    from gui.worker import SessionReader

    timings = Timings()
    timings.wrap(Playground, "show_frame", "show_frame (all views updated)")
    for cls in (pg.GraphicsView, NetworkView):
        original = cls.paintEvent

        def paint(self: object, event: object, _original=original) -> None:
            start = time.perf_counter()
            try:
                _original(self, event)
            finally:
                spent = time.perf_counter() - start
                label = f"paint {type(self).__name__}"
                timings.seconds[label] += spent
                timings.calls[label] += 1
                timings.worst[label] = max(timings.worst[label], spent)

        cls.paintEvent = paint
    window = bench.open_window(config)
    reader = window.controller.worker_thread
    timings.wrap(reader, "_decode", "decode frames (reader thread)")
    assert isinstance(reader, SessionReader)
    playground = window.playground
    playground.play()
    bench.spin(1000)
    timings.seconds.clear()
    timings.calls.clear()
    timings.worst.clear()
    cpu = time.thread_time()
    start = time.perf_counter()
    probe = bench.Probe().run(seconds)
    elapsed = time.perf_counter() - start
    cpu = time.thread_time() - cpu
    window.close()
    frames = timings.calls["show_frame (all views updated)"]
    print(f"window ({config['engine']}): {frames / elapsed:.1f} frames/s; GUI thread busy {100 * cpu / elapsed:.0f} % "
          f"(CPU); stall max {probe['max_ms']:.1f} ms, p99 {probe['p99_ms']:.1f} ms")
    timings.report(elapsed, per="show_frame (all views updated)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="tensor", choices=["tensor", "scalar"])
    parser.add_argument("--largest", action="store_true", help="the largest settings the form allows")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    config = {**(bench.LARGEST if args.largest else bench.CONFIG), "engine": args.engine}
    if args.largest and args.engine == "scalar":
        config["batch_size"] = bench.LARGEST_SCALAR_BATCH
    print(f"load average {os.getloadavg()[0]:.2f}; {'largest settings' if args.largest else 'moons 2-8-8-1'}")
    profile_session(dict(config), args.seconds)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841  (kept alive)
    profile_window(dict(config), args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
