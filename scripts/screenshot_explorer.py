"""Screenshot of the expression explorer mid-way through step-by-step backward -> docs/images/explorer.png.

Needs a display; on a headless machine run it under Xvfb:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_explorer.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import PySide6  # noqa: E402,F401  (Qt binding before anything else)
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.explorer import ExpressionExplorer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "docs" / "images" / "explorer.png"))
    parser.add_argument("--expression", default="tanh(w1*x1 + w2*x2 + b)")
    parser.add_argument("--steps", type=int, default=5, help="backward steps to take before the shot")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv)
    window = ExpressionExplorer(expression=args.expression)
    window.setWindowTitle("PyTorch Mini — Expression explorer")
    window.resize(1440, 820)
    window.show()
    app.processEvents()
    window.verify()
    for _ in range(args.steps):
        window.step()
    window.canvas.fit_view()
    for _ in range(5):
        app.processEvents()

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=output.parent)
    os.close(fd)
    try:
        if not window.grab().save(tmp, "PNG"):
            raise OSError(f"could not write {tmp}")
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
