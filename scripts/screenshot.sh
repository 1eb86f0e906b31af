#!/usr/bin/env bash
# Refresh docs/images/playground.png and docs/images/explorer.png: run the app under Xvfb, screenshot.
# Needs Xvfb (`WITH_XVFB=1 bash scripts/install-system-deps.sh` installs it); without it,
# falls back to Qt's offscreen platform (same pixels, no window manager).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYQTGRAPH_QT_LIB=PySide6
if command -v xvfb-run >/dev/null 2>&1; then
  xvfb-run -a -s "-screen 0 1600x1000x24" "$PY" scripts/screenshot.py "$@"
  exec xvfb-run -a -s "-screen 0 1600x1000x24" "$PY" scripts/screenshot_explorer.py
fi
echo "xvfb-run not found: using QT_QPA_PLATFORM=offscreen" >&2
QT_QPA_PLATFORM=offscreen "$PY" scripts/screenshot.py "$@"
QT_QPA_PLATFORM=offscreen exec "$PY" scripts/screenshot_explorer.py
