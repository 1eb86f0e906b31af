"""Walk through the playground's flows and save a screenshot after each: ``python scripts/walkthrough.py``.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/walkthrough.py --out /tmp/walk
    QT_QPA_PLATFORM=offscreen python scripts/walkthrough.py --sizes 1024x700

For every window size (default 1600x1000, 1280x720 and 1024x700) it starts a fresh window
and goes through: start-up, training the spiral, a 3-class data set (the loss follows),
1-D data (the x2 features switch off), another engine (the weights carry over), a neuron
clicked into the big output view, the Help screen, a long syntax error in the Expression
explorer, and the Model graph. The PNGs are named SIZE-NN-flow.png; look at each one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LESSON = {
    "dataset": "spiral", "n_samples": 300, "noise": 0.05, "test_fraction": 0.3, "seed": 3,
    "features": ["x1", "x2", "x1^2", "x2^2", "sin(x1)", "sin(x2)"], "hidden_layers": [8, 6, 4],
    "activation": "tanh", "loss": "mse", "optimizer": "adam", "lr": 0.03, "batch_size": 16, "engine": "tensor",
}


def flows(window: object) -> list[tuple[str, Callable[[], None], int]]:
    """(name, action, milliseconds to wait before the screenshot)."""
    pg = window.playground

    def choose(combo, value):
        return lambda: combo.setCurrentIndex(combo.findData(value))

    def show_tab(index):
        return lambda: window.tabs.setCurrentIndex(index)

    def long_error():
        window.tabs.setCurrentIndex(1)
        window.expression_explorer.set_expression("x + " * 100 + "*")

    def neuron_in_output_view():
        pg.select_neuron(2, 1)

    return [
        ("start", lambda: None, 600),
        ("training", lambda: (pg.set_config(LESSON), pg.apply_config(), pg.play()), 5000),
        ("paused", pg.pause, 600),
        ("neuron-output", neuron_in_output_view, 600),
        ("back-to-output", lambda: pg.select_neuron(None), 300),
        ("engine-carries-over", choose(pg.controls.engine, "scalar"), 1500),
        ("three-classes", choose(pg.data_panel.dataset, "spiral3"), 1500),
        ("one-input", choose(pg.data_panel.dataset, "sine"), 1500),
        ("expression-error", long_error, 800),
        ("model-graph", show_tab(2), 2500),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "walkthrough"))
    parser.add_argument("--sizes", default="1600x1000,1280x720,1024x700")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app import load_style_sheet
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    app.setStyleSheet(load_style_sheet())
    app.setQuitOnLastWindowClosed(False)  # each size closes its window before the next one opens
    os.makedirs(args.out, exist_ok=True)
    sizes = [tuple(int(v) for v in size.lower().split("x")) for size in args.sizes.split(",")]
    saved: list[str] = []

    def run_size(index: int) -> None:
        if index >= len(sizes):
            app.quit()
            return
        width, height = sizes[index]
        settings = QSettings(os.path.join(tempfile.mkdtemp(prefix="walk-"), "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, restore=False)
        window.resize(width, height)
        window.show()
        steps = flows(window)

        def run_step(k: int) -> None:
            if k >= len(steps):
                window.close()
                QTimer.singleShot(100, lambda: run_size(index + 1))
                return
            name, action, wait_ms = steps[k]
            action()

            def shoot() -> None:
                path = os.path.join(args.out, f"{width}x{height}-{k:02d}-{name}.png")
                window.grab().save(path, "PNG")
                saved.append(path)
                print(f"{path}: {window.status_label.text()}", flush=True)
                run_step(k + 1)

            QTimer.singleShot(wait_ms, shoot)

        QTimer.singleShot(1200, lambda: run_step(0))  # the plots and tabs load just after start-up

    QTimer.singleShot(0, lambda: run_size(0))
    app.exec()
    print(f"{len(saved)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
