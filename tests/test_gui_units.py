"""Small, Qt-light checks of the playground's helpers: colours, history columns, start-up, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QColor

from gui import colors
from gui.history import HistoryColumns

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_diverging_map_ends_and_middle():
    rgb = colors.diverging_rgb(np.array([-1.0, 0.0, 1.0, -5.0, np.nan]))
    assert tuple(rgb[0]) == colors.ORANGE
    assert tuple(rgb[1]) == colors.NEUTRAL
    assert tuple(rgb[2]) == colors.BLUE
    assert tuple(rgb[3]) == colors.ORANGE  # clipped below the orange end
    assert tuple(rgb[4]) == colors.NEUTRAL  # NaN (a diverged model) is grey, not an error


def test_heatmap_image_puts_row_zero_at_the_bottom(qapp):
    grid = np.array([[-1.0, -1.0], [1.0, 1.0]])  # row 0 is the lowest y
    image = colors.heatmap_image(grid)
    top, bottom = image.pixelColor(0, 0), image.pixelColor(0, 1)
    assert (top.red(), top.green(), top.blue()) == colors.BLUE
    assert (bottom.red(), bottom.green(), bottom.blue()) == colors.ORANGE


@pytest.mark.parametrize("bounded", [True, False])
def test_a_layers_neuron_images_are_each_neurons_heatmap(qapp, bounded):
    """The network drawing colours a whole layer at once (float32, one image); every tile must be
    the picture `heatmap_image` makes of that neuron alone, NaN and infinities included."""
    from PySide6.QtCore import QRect

    from gui.panels.network_view import _layer_images

    grids = np.random.default_rng(0).normal(0.0, 0.7, size=(5, 6, 7))
    grids[1, 2, 3], grids[2, 0, 0], grids[3, 5, 6] = np.nan, np.inf, -np.inf
    grids[4] *= 40.0  # far outside (-1, 1): clipped when bounded, scaled when not
    tiles = _layer_images(grids, bounded)
    assert len(tiles) == 5
    for k, (image, source) in enumerate(tiles):
        finite = grids[k][np.isfinite(grids[k])]
        levels = (-1.0, 1.0) if bounded else (-np.abs(finite).max(), np.abs(finite).max())
        expected = colors.heatmap_image(grids[k], levels)
        tile = image.copy(QRect(int(source.x()), int(source.y()), int(source.width()), int(source.height())))
        differences = [abs(QColor(tile.pixel(x, y)).red() - QColor(expected.pixel(x, y)).red())
                       + abs(QColor(tile.pixel(x, y)).blue() - QColor(expected.pixel(x, y)).blue())
                       for y in range(6) for x in range(7)]
        assert max(differences) <= 2, k  # float32 may round a value on a half-step to the next colour


def test_history_columns_grow_incrementally_and_restart():
    columns = HistoryColumns()
    history = [{"step": i, "train_loss": 1.0 / i, "test_loss": None} for i in range(1, 4)]
    first = columns.update(history, generation=1)
    assert first["step"].tolist() == [1, 2, 3] and np.isnan(first["test_loss"]).all()
    history.append({"step": 4, "train_loss": 0.25, "test_loss": 0.3})
    assert columns.update(history, generation=1)["test_loss"][-1] == 0.3
    restarted = columns.update(history[:1], generation=2)
    assert restarted["step"].tolist() == [1]


def test_start_up_imports_nothing_heavy():
    code = (
        "import sys, gui.app, gui.main_window; "
        "print(sorted(m for m in ('torch', 'sklearn', 'networkx', 'pyqtgraph', 'minitorch.training') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_command_line_opens_a_config_and_reports_missing_files(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    missing = subprocess.run([sys.executable, "-m", "gui", str(tmp_path / "nope.json")], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    config = tmp_path / "lesson.json"
    config.write_text(json.dumps({"dataset": "xor", "hidden_layers": [3]}), encoding="utf-8")
    shown = subprocess.run([sys.executable, "-m", "gui", str(config), "--train", "--exit-when-shown"], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "shown" in shown.stdout


def test_loss_plot_reports_axis_rescales_only_when_they_happen(qapp):
    from gui.panels.plots import CachedAxisItem, LossPlot

    plot = LossPlot()
    assert isinstance(plot.getPlotItem().getAxis("left"), CachedAxisItem)
    assert not plot.getPlotItem().getAxis("top").isVisible()  # only left and bottom are shown

    def columns(n: int) -> dict[str, np.ndarray]:
        steps = np.arange(1, n + 1, dtype=float)
        loss = 1.0 / steps
        return {"step": steps, "train_loss": loss, "test_loss": loss * 1.1}

    assert plot.set_columns(columns(5)) is True  # first data: both axes set
    assert plot.set_columns(columns(6)) is False  # same 0..10 step axis, loss inside its range
    assert plot.set_columns(columns(11)) is True  # past 10 steps: the step axis grows to 20


def test_spin_box_arrows_are_drawn_with_the_shipped_style_sheet(qapp):
    from PySide6.QtWidgets import QSpinBox

    from gui.app import load_style_sheet

    spin = QSpinBox()
    spin.setStyleSheet(load_style_sheet())
    spin.setRange(0, 10)
    spin.setValue(5)
    spin.resize(90, 28)
    spin.show()
    qapp.processEvents()
    image = spin.grab().toImage()
    width, height = image.width(), image.height()
    ratio = image.devicePixelRatio()

    def dark_pixels(top: int, bottom: int) -> int:
        return sum(1 for x in range(int(width - 14 * ratio), int(width - 3 * ratio)) for y in range(top, bottom)
                   if image.pixelColor(x, y).lightness() < 150)

    assert dark_pixels(2, height // 2 - 1) >= 4  # the up arrow
    assert dark_pixels(height // 2 + 1, height - 2) >= 4  # the down arrow
    spin.close()
