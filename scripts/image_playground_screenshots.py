"""Screenshot the Images tab mid-training: ``python scripts/image_playground_screenshots.py``.

Starts the real window (under Xvfb or any display; ``QT_QPA_PLATFORM=offscreen`` works too),
switches to the Images tab, presses Play and, while the default digits net trains, saves:

- docs/images/image_playground.png: 1600x1000, "Inside the network" (filters, feature maps);
- docs/images/image_playground_results.png: 1280x720, "Results" (confusion matrix, mistakes);
- docs/images/image_playground_draw.png: 1280x720, "Draw" (a 7 drawn on the pad, its prediction).

The 1280x720 pictures show the tab alone: the whole window is wider than 1280 pixels at its
smallest (the 2-D playground tab needs about 1420).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", default=str(ROOT / "docs" / "images"))
    parser.add_argument("--seconds", type=float, default=4.0, help="training time before the first picture")
    args = parser.parse_args()
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.image_playground import ImagePlayground
    from gui.main_window import MainWindow
    from minitorch.fileio import atomic_write

    _app = QApplication.instance() or QApplication(sys.argv)  # kept alive until the end

    def wait(ms: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(ms), loop.quit)
        loop.exec()

    def save(widget, name: str) -> None:
        wait(400)
        image = widget.grab()
        path = os.path.join(args.out_dir, name)

        def write(tmp: str) -> None:
            if not image.save(tmp, "PNG"):
                raise OSError(f"could not write {path}")

        atomic_write(path, write)
        print(f"saved {path} ({image.width()}x{image.height()})")

    def start(tab) -> None:
        while tab.last_frame is None or not tab.play_button.isEnabled():
            wait(50)
        tab.probe_spin.setValue(3)
        tab.toggle_play()
        wait(1000 * args.seconds)

    with tempfile.TemporaryDirectory() as settings_dir:
        settings = QSettings(os.path.join(settings_dir, "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, restore=False)
        window.resize(1600, 1000)
        window.show()
        while window.image_tab is None:
            wait(50)
        window.tabs.setCurrentWidget(window.image_tab)
        tab = window.image_tab.ensure_built()
        start(tab)
        save(window, "image_playground.png")
        tab.toggle_play()
        window.shutdown()

    tab = ImagePlayground()
    tab.resize(1280, 720)
    tab.show()
    start(tab)
    tab.pages.setCurrentIndex(1)
    save(tab, "image_playground_results.png")
    tab.pages.setCurrentIndex(2)
    tab.pad.draw_stroke([(50, 45), (175, 45), (150, 90), (115, 150), (95, 195)])  # a 7, as a user draws it
    save(tab, "image_playground_draw.png")
    tab.toggle_play()
    tab.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
