"""The image playground's speed: headless epoch time, in-window speed ratio, seconds to 97 %.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_image_playground.py [--rounds 3] [--seconds 12]

Each round trains the default network (the "tiny LeNet" preset on scikit-learn's 8x8
digits, Adam, lr 0.01, batch 32, float32, CPU) twice, side by side under the same load:

- headless: `ImageTrainer.step()` in a loop, as ``minitorch-train`` runs it;
- in the window: the Images tab (offscreen), Play pressed, every view updating.

Reported (medians over rounds): seconds per epoch headless; steps per second both ways and
their ratio; seconds from the first step (headless) or from pressing Play (window) until the
test accuracy first reaches 97 %; the GUI thread's longest stall while training and, for
comparison, during 2 s with nothing training (a 5 ms timer in the GUI thread measures the
gaps between its ticks); frames painted per second. The test set is evaluated every 20
steps in both, so both do the same work.

Where the time goes (medians over rounds): how long the window takes to draw and paint one
frame (median and longest), the window process's full garbage collections while training
(how many, the longest), and what preparing, encoding and pickling one frame costs the
training session (`ImageSession` without a window, a frame every 38 ms). ``--no-freeze``
runs the window without the tab's ``gc.freeze()`` at Play, for comparison.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET = 0.97


def headless(seconds: float, data) -> dict[str, float]:
    from minitorch.training.image_trainer import ImageTrainConfig, ImageTrainer

    trainer = ImageTrainer(ImageTrainConfig(), data=data)
    per_epoch = len(data.y_train) // trainer.config.batch_size
    started = time.perf_counter()
    reached = None
    while time.perf_counter() - started < seconds:
        metrics = trainer.step()
        if reached is None and metrics.get("test_acc", 0.0) >= TARGET:
            reached = time.perf_counter() - started
    elapsed = time.perf_counter() - started
    rate = trainer.step_count / elapsed
    return {"steps_per_second": rate, "epoch_seconds": per_epoch / rate, "seconds_to_97": reached or float("nan"),
            "final_acc": trainer.last_metrics.get("test_acc", 0.0)}


def session_frame_cost(seconds: float) -> dict[str, float]:
    """Train an `ImageSession` without a window; a frame (encoded and pickled) every 38 ms."""
    from minitorch.live.image_session import ImageFrameEncoder, ImageSession

    encoder = ImageFrameEncoder()
    spent = [0.0, 0]

    def emit(name, *args):
        if name == "frameReady":
            pickle.dumps(encoder.encode(args[0]))

    session = ImageSession(emit)
    session.configure({})
    send_frame = session._send_frame
    last = [0.0]

    def timed_send_frame(force: bool = False) -> None:
        started = time.perf_counter()
        count = spent[1]
        send_frame(force)
        spent[0] += time.perf_counter() - started
        if session.ready_for_frame():
            spent[1] = count + 1
            last[0] = time.perf_counter()

    session._send_frame = timed_send_frame
    session.ready_for_frame = lambda: time.perf_counter() - last[0] >= 0.038
    session.play()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        session.train_slice()
    elapsed = time.perf_counter() - started
    return {"frame_ms": 1000 * spent[0] / max(1, spent[1]), "frame_share": spent[0] / elapsed}


def in_window(app, seconds: float, freeze: bool = True) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QTimer

    import gui.image_playground.tab as tab_module

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    class TimedPlayground(tab_module.ImagePlayground):
        paint_ms: list[float] = []

        def show_frame(self, frame) -> None:
            started = time.perf_counter()
            super().show_frame(frame)
            self.paint_ms.append(1000 * (time.perf_counter() - started))

    if not freeze:
        tab_module.gc = type("NoFreeze", (), {"freeze": staticmethod(lambda: None)})
    tab = TimedPlayground()
    tab.resize(1600, 1000)
    tab.show()
    while tab.last_frame is None or not tab.play_button.isEnabled():
        wait(50)
    wait(300)
    ticks: list[float] = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start()
    wait(2000)  # the same clock with nothing training: what the machine's load alone costs
    idle_stall = 1000 * max((b - a for a, b in zip(ticks, ticks[1:])), default=0.0)
    ticks.clear()
    reached: list[float] = []
    started = time.perf_counter()
    tab.frameShown.connect(lambda frame: reached.append(time.perf_counter() - started)
                           if not reached and frame.snapshot.metrics.get("test_acc", 0.0) >= TARGET else None)
    collections: list[float] = []
    collection_started = [0.0]

    def on_collection(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                collection_started[0] = time.perf_counter()
            else:
                collections.append(1000 * (time.perf_counter() - collection_started[0]))

    tab.paint_ms.clear()
    gc.callbacks.append(on_collection)
    tab.toggle_play()
    wait(int(seconds * 1000))
    steps = tab.last_frame.snapshot.step
    elapsed = time.perf_counter() - started
    ticker.stop()
    gc.callbacks.remove(on_collection)
    tab.toggle_play()
    tab_module.gc = gc
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert tab.shutdown()
    tab.deleteLater()
    wait(100)
    return {"steps_per_second": steps / elapsed, "seconds_to_97": reached[0] if reached else float("nan"),
            "max_stall_ms": 1000 * max(gaps, default=0.0), "idle_stall_ms": idle_stall,
            "frames": float(tab.frames_shown) / elapsed, "paint_ms": statistics.median(tab.paint_ms or [0.0]),
            "paint_max_ms": max(tab.paint_ms, default=0.0), "collections": float(len(collections)),
            "collection_ms": max(collections, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=12.0, help="training time per run")
    parser.add_argument("--no-freeze", action="store_true", help="the window without the tab's gc.freeze() at Play")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from minitorch.images import load_digits
    from minitorch.training.image_trainer import limit_blas_threads

    app = QApplication.instance() or QApplication(sys.argv)
    limit_blas_threads()
    data = load_digits()
    rows = []
    for round_number in range(1, args.rounds + 1):
        quiet = headless(args.seconds, data)
        window = in_window(app, args.seconds, freeze=not args.no_freeze)
        window.update(session_frame_cost(min(args.seconds, 5.0)))
        rows.append((quiet, window))
        print(f"round {round_number}: headless {quiet['steps_per_second']:.1f} steps/s "
              f"({quiet['epoch_seconds']:.2f} s/epoch, 97% after {quiet['seconds_to_97']:.2f} s); "
              f"window {window['steps_per_second']:.1f} steps/s (97% after {window['seconds_to_97']:.2f} s, "
              f"max GUI stall {window['max_stall_ms']:.0f} ms (paused: {window['idle_stall_ms']:.0f} ms), "
              f"{window['frames']:.1f} frames/s)", flush=True)
        print(f"         a frame: painted in {window['paint_ms']:.1f} ms (longest {window['paint_max_ms']:.1f}); "
              f"{window['collections']:.0f} full collections in the window process (longest "
              f"{window['collection_ms']:.1f} ms); prepared and sent by the session in {window['frame_ms']:.2f} ms "
              f"({100 * window['frame_share']:.1f} % of its time)", flush=True)

    def median(side: int, key: str) -> float:
        return statistics.median(row[side][key] for row in rows)

    ratio = statistics.median(w["steps_per_second"] / q["steps_per_second"] for q, w in rows)
    print()
    print("| headless epoch | headless steps/s | window steps/s | in-window ratio | 97% headless | 97% in window "
          "| max GUI stall training / paused | frames/s |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {median(0, 'epoch_seconds'):.2f} s | {median(0, 'steps_per_second'):.0f} | "
          f"{median(1, 'steps_per_second'):.0f} | {ratio:.2f} | {median(0, 'seconds_to_97'):.1f} s | "
          f"{median(1, 'seconds_to_97'):.1f} s | {median(1, 'max_stall_ms'):.0f} / {median(1, 'idle_stall_ms'):.0f} ms "
          f"| {median(1, 'frames'):.1f} |")
    print(f"(medians of {args.rounds} rounds of {args.seconds:g} s; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores)")
    print(f"a frame: painted in {median(1, 'paint_ms'):.1f} ms (longest {median(1, 'paint_max_ms'):.1f}); "
          f"full collections while training {median(1, 'collections'):.0f} (longest {median(1, 'collection_ms'):.1f} ms"
          f"{', no gc.freeze at Play' if args.no_freeze else ''}); the session's cost per frame "
          f"{median(1, 'frame_ms'):.2f} ms ({100 * median(1, 'frame_share'):.1f} % of its time)")


if __name__ == "__main__":
    main()
