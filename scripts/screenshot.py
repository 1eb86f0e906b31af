"""Screenshot the playground mid-training: ``python scripts/screenshot.py [OUT.png] [--seconds N]``.

Starts the real window (under Xvfb or any display; ``QT_QPA_PLATFORM=offscreen`` works too),
opens the lesson config given with ``--config`` (default: a spiral with extra features),
presses Play, waits, and saves the window as a PNG (atomically). ``scripts/screenshot.sh``
runs it under Xvfb to refresh docs/images/playground.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CONFIG = {
    "dataset": "spiral",
    "n_samples": 300,
    "noise": 0.05,
    "test_fraction": 0.3,
    "seed": 3,
    "features": ["x1", "x2", "x1^2", "x2^2", "sin(x1)", "sin(x2)"],
    "hidden_layers": [8, 6, 4],
    "activation": "tanh",
    "loss": "mse",
    "optimizer": "adam",
    "lr": 0.03,
    "batch_size": 16,
    "engine": "tensor",  # the vectorised engine: well into training within the few seconds we wait
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "images" / "playground.png"))
    parser.add_argument("--seconds", type=float, default=8.0, help="how long to train before the shot")
    parser.add_argument("--config", help="a config or experiment JSON to open instead of the built-in lesson")
    parser.add_argument("--size", default="1560x940", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app import load_style_sheet
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    app.setStyleSheet(load_style_sheet())
    settings_dir = tempfile.mkdtemp(prefix="playground-shot-")
    settings = QSettings(os.path.join(settings_dir, "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, restore=False)
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()

    config_path = args.config
    if config_path is None:
        config_path = os.path.join(settings_dir, "lesson.json")
        with open(config_path, "w", encoding="utf-8") as handle:
            json.dump(DEFAULT_CONFIG, handle)
    window.open_path(config_path, play=True)  # trains once the file is open

    def shoot() -> None:
        image = window.grab()
        out = os.path.abspath(args.out)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".png", dir=os.path.dirname(out))
        os.close(fd)
        if image.save(tmp, "PNG"):
            os.replace(tmp, out)
            frame = window.playground.last_frame
            step = frame.snapshot.step if frame is not None else 0
            print(f"saved {out} ({image.width()}x{image.height()}, step {step})")
        else:
            os.unlink(tmp)
            print(f"could not save {out}", file=sys.stderr)
        window.close()
        app.quit()

    QTimer.singleShot(int(args.seconds * 1000), shoot)
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
