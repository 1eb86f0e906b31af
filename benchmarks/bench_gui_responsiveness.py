"""How responsive is the playground while it trains at full speed? And how fast does it start?

Drives the real window offscreen (QT_QPA_PLATFORM=offscreen unless a display is set):

1. Start-up: ``python -m gui --exit-when-shown`` in a fresh process, timed from process
   start to the window being shown (median and max of several runs).
2. Responsiveness: press Play and let a 5 ms QTimer probe run on the GUI thread. Every
   gap between two probe ticks beyond 5 ms is time the GUI thread was blocked. Reports the
   largest stall and the 99th percentile, how often the loss plot and the 100x100 decision
   boundary were redrawn, and the training speed. Two variants side by side:

   - "playground": the shipped design (the GUI draws each frame while the worker waits on
     its turn (``gui_turn``), so painting never fights training for the GIL);
   - "no gui_turn": the same window with that hand-over disabled, i.e. a plain worker
     thread competing with the GUI thread for the interpreter;

   plus the headless trainer (``Trainer.step`` in a loop, no GUI) as the speed reference.

    python benchmarks/bench_gui_responsiveness.py [--seconds 6] [--startup-runs 5]

Numbers depend on the machine and its load (print ``uptime`` next to them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

CONFIG = {
    "dataset": "moons",
    "n_samples": 200,
    "noise": 0.1,
    "seed": 0,
    "hidden_layers": [8, 8],
    "activation": "tanh",
    "loss": "mse",
    "optimizer": "adam",
    "lr": 0.03,
    "batch_size": 16,
}
PROBE_MS = 5


def startup_times(runs: int) -> list[float]:
    """Seconds from process start to "shown" for ``python -m gui --exit-when-shown``."""
    env = {**os.environ}
    times = []
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home  # a fresh QSettings location: no remembered window or config
        env["XDG_CONFIG_HOME"] = home
        for _ in range(runs):
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "gui", "--exit-when-shown"], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = proc.stdout.readline()
            elapsed = time.perf_counter() - start
            proc.wait(timeout=60)
            if line.strip() != "shown":
                raise RuntimeError("the playground did not report being shown")
            times.append(elapsed)
    return times


def headless_steps_per_second(seconds: float) -> float:
    from minitorch.training import TrainConfig, Trainer

    trainer = Trainer(TrainConfig.from_dict(CONFIG))  # the same config the window trains
    trainer.step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def run_window(app, seconds: float, hand_over: bool) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from gui.main_window import MainWindow
    from gui.worker import NoTurnTaking

    folder = tempfile.mkdtemp(prefix="bench-gui-")
    window = MainWindow(settings=QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat),
                        restore=False)
    window.resize(1500, 900)
    window.show()
    pg = window.playground
    pg.set_config(CONFIG)
    pg.apply_config()
    if not hand_over:
        window.controller.worker.gui_turn = NoTurnTaking()

    def spin(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    while not (pg.plots_ready and pg.last_frame is not None and pg.last_frame.config == pg.current_config()):
        spin(50)
    pg.play()
    spin(1000)  # warm up

    gaps: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(timer.timerType().PreciseTimer)
    timer.timeout.connect(probe)
    loss0, out0 = pg.loss_plot.refresh_count, pg.output_view.refresh_count
    step0 = pg.last_frame.snapshot.step
    start = time.perf_counter()
    last[0] = start
    timer.start(PROBE_MS)
    spin(int(seconds * 1000))
    timer.stop()
    elapsed = time.perf_counter() - start
    step1 = pg.last_frame.snapshot.step
    loss_hz = (pg.loss_plot.refresh_count - loss0) / elapsed
    out_hz = (pg.output_view.refresh_count - out0) / elapsed
    window.close()
    stalls = sorted(max(0.0, g * 1000 - PROBE_MS) for g in gaps)
    p99 = stalls[min(len(stalls) - 1, int(0.99 * len(stalls)))] if stalls else float("nan")
    return {
        "max_ms": stalls[-1] if stalls else float("nan"),
        "p99_ms": p99,
        "median_ms": statistics.median(stalls) if stalls else float("nan"),
        "loss_hz": loss_hz,
        "boundary_hz": out_hz,
        "steps_per_s": (step1 - step0) / elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="probe time per variant")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--engine", choices=("scalar", "tensor"), default="scalar",
                        help="the trainer's engine (tensor: ~10x more steps per second)")
    args = parser.parse_args()
    CONFIG["engine"] = args.engine

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; Python {sys.version.split()[0]}")
    times = startup_times(args.startup_runs)
    print(f"start-up to window shown: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"({len(times)} runs; budget 1.5 s)")

    from PySide6.QtWidgets import QApplication

    import gui  # noqa: F401  (installs the PySide6 reference-count guard)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    headless = headless_steps_per_second(args.seconds / 2)
    rows = [("playground", run_window(app, args.seconds, hand_over=True)),
            ("no gui_turn", run_window(app, args.seconds, hand_over=False))]
    print(f"\nwhile training {CONFIG['dataset']} {CONFIG['hidden_layers']} ({args.engine} engine) "
          f"for {args.seconds:g} s, probe every {PROBE_MS} ms:")
    print(f"{'variant':<14}{'max stall':>11}{'p99 stall':>11}{'median':>9}{'loss plot':>11}{'boundary':>10}"
          f"{'steps/s':>9}")
    for name, r in rows:
        print(f"{name:<14}{r['max_ms']:>9.1f}ms{r['p99_ms']:>9.1f}ms{r['median_ms']:>7.1f}ms"
              f"{r['loss_hz']:>9.1f}Hz{r['boundary_hz']:>8.1f}Hz{r['steps_per_s']:>9.0f}")
    print(f"{'headless':<14}{'':>11}{'':>11}{'':>9}{'':>11}{'':>10}{headless:>9.0f}")
    ours, naive = rows[0][1], rows[1][1]
    print(f"\nratios: max stall no-gui_turn/playground = {naive['max_ms'] / max(ours['max_ms'], 1e-9):.1f}x; "
          f"training speed playground/headless = {ours['steps_per_s'] / headless:.2f}")
    print("bars: max stall <= 50 ms, loss plot >= 20 Hz, 100x100 boundary >= 5 Hz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
