"""``minitorch-playground [FILE] [--train]``: open the desktop playground.

FILE is a saved experiment or a TrainConfig JSON file; ``--train`` starts training as
soon as the window is up (handy for lessons and for the README screenshot). Start-up
imports only Qt, pyqtgraph and numpy; the training toolkit loads its heavier optional
parts (scikit-learn, torch) lazily, in the worker thread, when a config needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

STYLE_SHEET = Path(__file__).with_name("style.qss")
RESOURCES = Path(__file__).with_name("resources")  # arrows, the application icon, bundled examples


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="minitorch-playground",
        description="PyTorch Mini playground: build a network, watch it train live, export the weights.",
    )
    parser.add_argument("file", nargs="?", help="an experiment or config JSON file to open")
    parser.add_argument("--train", action="store_true", help="start training as soon as the window is shown")
    # For start-up checks (benchmarks, CI): print "shown" once the window is up, then quit.
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def load_style_sheet() -> str:
    """The shipped style sheet, its image URLs pointing into the installed package."""
    try:
        text = STYLE_SHEET.read_text(encoding="utf-8")
    except OSError:
        return ""  # the app still works, only plainer
    return text.replace("@RESOURCES@", RESOURCES.as_posix())


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.file and not os.path.exists(args.file):
        print(f"minitorch-playground: no such file: {args.file}", file=sys.stderr)
        return 2

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PyTorch Mini Playground")
    app.setOrganizationName("PyTorchMini")
    app.setStyle("Fusion")
    app.setStyleSheet(load_style_sheet())
    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(RESOURCES / "icon.svg")))

    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    if args.file:
        window.open_path(args.file, play=args.train)  # a file that cannot be opened never trains
    elif args.train:
        window.playground.play()
    if args.exit_when_shown:
        from PySide6.QtCore import QTimer

        def report_and_quit() -> None:
            print("shown", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report_and_quit)  # runs once the event loop has shown the window
    run_event_loop = app.exec  # Qt's event loop
    return run_event_loop()


if __name__ == "__main__":
    sys.exit(main())
