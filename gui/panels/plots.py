"""pyqtgraph views: loss curves, accuracy curves and the output (decision boundary) plot.

They only draw what a `Frame` carries; nothing here runs the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
import PySide6  # noqa: F401  (pyqtgraph picks the binding that is already imported)
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPen, QTransform

from ..colors import (
    ACCURACY_CURVE,
    BLUE,
    CLASS_COLORS,
    ORANGE,
    TEST_CURVE,
    TRAIN_CURVE,
    diverging_lut,
    diverging_rgb,
    symmetric_levels,
)
from ..history import HistoryColumns

pg.setConfigOptions(antialias=True, background="w", foreground=(90, 90, 90))


class CachedAxisItem(pg.AxisItem):
    """An axis (with its grid lines) painted from a cached image.

    pyqtgraph records an axis as a QPicture and replays it on every repaint; with tick
    labels and grid lines that replay took ~2 ms per axis, the largest part of repainting
    the loss plot while training. The picture is rendered once into an image instead, and
    again only when pyqtgraph drops it (``self.picture = None``: a new range, size or style).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._image: QImage | None = None
        self._image_key: tuple[Any, ...] = ()

    def paint(self, p: QPainter, opt: Any, widget: Any) -> None:
        transform = p.transform()
        if not transform.isTranslating() and not transform.isIdentity() or transform.isScaling():
            super().paint(p, opt, widget)  # rotated or scaled (e.g. exported): draw it directly
            return
        rect = self.boundingRect().toAlignedRect()
        ratio = float(p.device().devicePixelRatioF()) if p.device() is not None else 1.0
        key = (rect.x(), rect.y(), rect.width(), rect.height(), ratio)
        if self.picture is None or self._image is None or key != self._image_key:
            self.picture = None  # re-record the picture for this size
            image = QImage(max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio)),
                           QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(0)
            painter = QPainter(image)
            painter.translate(-QPointF(rect.topLeft()))
            super().paint(painter, opt, widget)
            painter.end()
            self._image, self._image_key = image, key
        p.drawImage(QPointF(rect.topLeft()), self._image)


def _axes() -> dict[str, CachedAxisItem]:
    """The two axes shown (a PlotItem shows every axis it is given; it makes the hidden others)."""
    return {side: CachedAxisItem(side) for side in ("left", "bottom")}


def _nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5 x 10^k at or above ``value`` (at least 10)."""
    value = max(float(value), 10.0)
    base = 10 ** np.floor(np.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * base >= value:
            return float(factor * base)
    return float(10 * base)


def _fix_x_range(item: Any, steps: np.ndarray) -> bool:
    """Grow the step axis in 1-2-5 jumps: the axis (slow to redraw) changes rarely, not every frame.

    True when the axis changed (the whole plot is then repainted).
    """
    last = float(steps[-1]) if len(steps) else 0.0
    right = _nice_ceiling(last)
    # Compared with the last value set (the view's range includes the padding, never equal to it).
    if getattr(item, "_step_axis_right", None) != right or item.viewRange()[0][1] < right:
        item.setXRange(0, right, padding=0.02)
        item._step_axis_right = right
        return True
    return False


CURVE_POINTS = 600  # at most this many points per curve are handed to pyqtgraph (~2 per pixel)


def decimate(steps: np.ndarray, *columns: np.ndarray, points: int = CURVE_POINTS) -> list[np.ndarray]:
    """A long history thinned to about ``points`` points: the min and max of each bin of steps.

    The curves look the same (spikes stay), and a frame costs the same after an hour of
    training as after a minute, instead of pyqtgraph going through every step on every frame.
    """
    n = len(steps)
    if n <= points:
        return [steps, *columns]
    size = -(-n // (points // 2))  # steps per bin
    bins = n // size
    used = bins * size
    out = [np.asarray(steps[:used]).reshape(bins, size)[:, [0, -1]].ravel()]  # each bin's first and last step
    for column in columns:
        binned = np.asarray(column[:used]).reshape(bins, size)
        low, high = np.fmin.reduce(binned, axis=1), np.fmax.reduce(binned, axis=1)  # NaN only if all NaN
        out.append(np.stack([low, high], axis=1).ravel())
    tail = [steps[used:], *(column[used:] for column in columns)]
    return [np.concatenate([head, rest]) for head, rest in zip(out, tail)]


class StrandedCurve(pg.PlotCurveItem):
    """A 2-px curve stroked as two 1-px strands, one pixel apart.

    Qt's raster engine strokes a 1-px cosmetic line about six times faster than a wider
    one (a 2-px loss curve took ~4 ms to paint, most of repainting the plot); side by side,
    the strands look the same as the wide line. The wide pen stays the curve's pen, for the
    legend and the bounding box.
    """

    def __init__(self, pen: Any, name: str):
        super().__init__(pen=pen, name=name, antialias=False, skipFiniteCheck=True)
        self._strand = QPen(pen)
        self._strand.setWidthF(1.0)
        self._strand.setCosmetic(True)

    def paint(self, p: QPainter, opt: Any, widget: Any) -> None:
        if self.xData is None or len(self.xData) == 0:
            return
        path = self.getPath()  # built once per setData
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(self._strand)
        p.drawPath(path)
        p.setTransform(p.transform() * QTransform.fromTranslate(1, 1))  # one device pixel right and down
        p.drawPath(path)
        p.restore()


class _StepPlot(pg.PlotWidget):
    """A fixed (no mouse, no menu) plot of two curves, train and test, against the step number."""

    def __init__(self, parent: Any, ylabel: str, train_pen: Any, test_pen: Any, legend: bool = False):
        super().__init__(parent, axisItems=_axes())
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", "step")
        item.setLabel("left", ylabel)
        if legend:
            item.addLegend(offset=(-6, 6), labelTextSize="8pt")
        # No antialiasing for the live curves: with thousands of points it dominates the repaint.
        self.train_curve = StrandedCurve(train_pen, "train")
        self.test_curve = StrandedCurve(test_pen, "test")
        item.addItem(self.train_curve)
        item.addItem(self.test_curve)


class LossPlot(_StepPlot):
    """Train and test loss against the step number; optional log scale."""

    def __init__(self, parent: Any = None):
        super().__init__(parent, "loss", pg.mkPen(TRAIN_CURVE, width=2),
                         pg.mkPen(TEST_CURVE, width=2, style=Qt.PenStyle.DashLine), legend=True)
        self.getPlotItem().getAxis("left").enableAutoSIPrefix(False)  # "0.002", not "2 (x0.001)"
        self.setToolTip("Training (solid) and test (dashed) loss after each step")
        self.refresh_count = 0
        self._log = False
        self._y_range: tuple[float, float] | None = None

    def set_log_scale(self, enabled: bool) -> None:
        self._log = bool(enabled)
        self._y_range = None
        self.getPlotItem().setLogMode(y=self._log)

    def _fix_y_range(self, train: np.ndarray, test: np.ndarray) -> bool:
        """Change the loss axis only when the curves leave it or use under half of it.

        Auto-ranging would move the axis (and make pyqtgraph rebuild its ticks and labels,
        the slowest part of a repaint) on nearly every frame as the loss falls.
        """
        values = np.concatenate([train, test])
        values = values[np.isfinite(values)]
        if values.size == 0:
            return False
        if self._log:
            values = np.log10(values)
        low, high = float(values.min()), float(values.max())
        span = max(high - low, 1e-9)
        current = self._y_range
        if current is not None:
            c_low, c_high = current
            inside = c_low <= low and high <= c_high
            if inside and (high - low) >= 0.5 * (c_high - c_low):
                return False
        new = (low - 0.05 * span, high + 0.05 * span)
        self._y_range = new
        self.getPlotItem().setYRange(*new, padding=0)
        return True

    @property
    def log_scale(self) -> bool:
        return self._log

    def set_history(self, history: Sequence[Any]) -> None:
        self.set_columns(HistoryColumns().update(history))

    def set_columns(self, columns: dict[str, np.ndarray]) -> bool:
        """Show the curves; True when an axis changed, so that the whole plot is repainted (~15 ms)."""
        steps, train, test = columns["step"], columns["train_loss"], columns["test_loss"]
        rescaled = _fix_x_range(self.getPlotItem(), steps)
        if self._log:  # log10 of zero or a negative loss is undefined: clip to a tiny positive value
            train, test = np.maximum(train, 1e-12), np.maximum(test, 1e-12)
        rescaled = self._fix_y_range(train, test) or rescaled
        steps, train, test = decimate(steps, train, test)
        if self._log:  # the curves are drawn in log10 units on the log axis (as pyqtgraph's log mode does)
            train, test = np.log10(train), np.log10(test)
        self.train_curve.setData(steps, train, connect="finite")
        self.test_curve.setData(steps, test, connect="finite")
        self.refresh_count += 1
        return rescaled


class AccuracyPlot(_StepPlot):
    """Train and test accuracy (classification only) against the step number."""

    def __init__(self, parent: Any = None):
        super().__init__(parent, "accuracy", pg.mkPen(ACCURACY_CURVE, width=2),
                         pg.mkPen(ORANGE, width=2, style=Qt.PenStyle.DashLine))
        self.getPlotItem().setYRange(0, 1.02, padding=0)
        self.setToolTip("Training (blue) and test (orange, dashed) accuracy; empty for regression")

    def set_history(self, history: Sequence[Any]) -> None:
        self.set_columns(HistoryColumns().update(history))

    def set_columns(self, columns: dict[str, np.ndarray]) -> None:
        steps, train, test = columns["step"], columns["train_acc"], columns["test_acc"]
        _fix_x_range(self.getPlotItem(), steps)
        steps, train, test = decimate(steps, train, test)
        self.train_curve.setData(steps, train, connect="finite")
        self.test_curve.setData(steps, test, connect="finite")


def _class_index_grid(frame: Any) -> bool:
    """Whether the frame's output grid holds class indices (a cross-entropy model)."""
    return frame.config.get("loss") == "cross_entropy"


def _confidence(frame: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """How sure the model is at each pixel, from the output neurons' maps (softmax of the logits).

    0 where all classes are equally likely, 1 where one class has all the probability; the
    coarse neuron maps are stretched to ``shape``. None when the frame has no such maps.
    """
    layers = frame.neuron_grids
    if not layers or len(layers[-1]) < 2:
        return None
    logits = np.stack([np.asarray(g, dtype=float) for g in layers[-1]])
    if logits.ndim != 3:
        return None
    logits = logits - np.max(logits, axis=0, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=0)
    count = logits.shape[0]
    sure = (probabilities.max(axis=0) - 1 / count) / (1 - 1 / count)
    rows = np.arange(shape[0]) * sure.shape[0] // shape[0]
    cols = np.arange(shape[1]) * sure.shape[1] // shape[1]
    return sure[np.ix_(rows, cols)]


class OutputView(pg.PlotWidget):
    """The model's output over the input plane (a heatmap) with the train and test points.

    For 2-D inputs the frame's grid is drawn with an ImageItem in row-major order
    (row = y, column = x, row 0 at the bottom); for 1-D regression the predicted curve.
    """

    def __init__(self, parent: Any = None):
        super().__init__(parent, axisItems=_axes())
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        item = self.getPlotItem()
        item.setAspectLocked(False)
        item.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(diverging_lut())
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.curve = item.plot(pen=pg.mkPen((30, 30, 30), width=2.5))
        self.train_points = pg.ScatterPlotItem(size=7, pxMode=True)
        self.test_points = pg.ScatterPlotItem(size=7, pxMode=True)
        item.addItem(self.train_points)
        item.addItem(self.test_points)
        self.message = pg.TextItem("", color=(90, 90, 90), anchor=(0.5, 0.5))
        item.addItem(self.message)
        self.show_test = True
        self.discretize = False
        self.neuron: tuple[int, int] | None = None  # a neuron whose map is shown instead of the output
        self.refresh_count = 0
        self._data_version = -1
        self._grid_version = -1
        self._last_frame: Any = None
        self.setToolTip(
            "The model's output over the input plane: orange is negative, blue positive.\n"
            "Points: training data (white outline) and test data (black outline)."
        )

    # --- options ------------------------------------------------------------------------------
    def set_show_test(self, show: bool) -> None:
        self.show_test = bool(show)
        self.test_points.setVisible(self.show_test)

    def set_discretize(self, enabled: bool) -> None:
        self.discretize = bool(enabled)
        if self._last_frame is not None:
            self._grid_version = -1
            self.show_frame(self._last_frame)

    def show_neuron(self, neuron: tuple[int, int] | None) -> None:
        """Show one neuron's map (column, index in the network drawing), or None: the model's output."""
        self.neuron = neuron
        if self._last_frame is not None:
            self._grid_version = -1
            self.show_frame(self._last_frame)

    # --- drawing -------------------------------------------------------------------------------
    def is_stale(self, frame: Any) -> bool:
        """Whether ``show_frame(frame)`` would redraw the output map (new data or a new map)."""
        return frame.data.version != self._data_version or frame.grid_version != self._grid_version

    def show_frame(self, frame: Any) -> bool:
        """Draw what changed in ``frame``; True when the output map was redrawn."""
        self._last_frame = frame
        data = frame.data
        if data.version != self._data_version:
            self._data_version = data.version
            self._draw_points(frame)
            self._grid_version = -1
        if frame.grid_version == self._grid_version:
            return False
        self._grid_version = frame.grid_version
        self._draw_output(frame)
        self.refresh_count += 1
        return True

    def _levels(self, frame: Any) -> tuple[float, float]:
        """The values at the orange and blue ends: the two labels, or the target range."""
        data = frame.data
        targets = np.concatenate([np.ravel(data.y_train), np.ravel(data.y_test)]).astype(float)
        if targets.size == 0:
            return (-1.0, 1.0)
        low, high = float(np.min(targets)), float(np.max(targets))
        if data.task == "classification" and data.num_classes <= 2 and low == 0 and high == 1:
            return (0.0, 1.0)
        if data.task == "classification":
            return (-1.0, 1.0) if low >= -1 and high <= 1 else (low, high)
        return (low, high) if high > low else (low - 1, high + 1)

    def _draw_output(self, frame: Any) -> None:
        data = frame.data
        x0, x1, y0, y1 = frame.extent
        if self.message.toPlainText():
            self.message.setText("")
        neuron_map = self._neuron_map(frame)
        if neuron_map is not None:
            self.curve.setData([], [])
            rect = QRectF(x0, y0, x1 - x0, y1 - y0)
            self.image.setImage(diverging_rgb(neuron_map, symmetric_levels(neuron_map)), autoLevels=False,
                                levels=(0, 255), lut=None, rect=rect)
            self.image.setVisible(True)
            self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        elif frame.grid is not None:
            grid = np.asarray(frame.grid, dtype=float)
            self.curve.setData([], [])
            rect = QRectF(x0, y0, x1 - x0, y1 - y0)
            if data.task == "classification" and (data.num_classes > 2 or _class_index_grid(frame)):
                # The grid holds the predicted class; unless discretized, paler where the model is less sure.
                confidence = None if self.discretize else _confidence(frame, grid.shape)
                image = self._class_image(grid, confidence)
                self.image.setImage(image, autoLevels=False, levels=(0, 255), lut=None, rect=rect)
            else:
                low, high = self._levels(frame)
                if self.discretize:
                    middle = (low + high) / 2
                    grid = np.where(grid >= middle, high, low)
                rgb = diverging_rgb(grid, (low, high))
                self.image.setImage(rgb, autoLevels=False, levels=(0, 255), lut=None, rect=rect)
            self.image.setVisible(True)
            self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        elif frame.curve is not None:
            self.image.setVisible(False)
            xs, ys = frame.curve
            self.curve.setData(xs, ys)
            self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        else:
            self.image.setVisible(False)
            self.curve.setData([], [])
            self.message.setText(f"{data.input_dim}-D inputs: the output map is shown for 1-D and 2-D data")
            self.message.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def _neuron_map(self, frame: Any) -> np.ndarray | None:
        """The chosen neuron's output over the plane, or None (none chosen, or not in this model)."""
        if self.neuron is None or not frame.neuron_grids or frame.data.input_dim != 2:
            return None
        column, index = self.neuron
        layers = frame.neuron_grids
        if column >= len(layers) or index >= len(layers[column]):
            return None
        grid = np.asarray(layers[column][index], dtype=float)
        return grid if grid.ndim == 2 else None

    @staticmethod
    def _class_image(classes: np.ndarray, confidence: np.ndarray | None = None) -> np.ndarray:
        """Class colours for a grid of predicted class indices (NaN: grey).

        ``confidence`` (0 = a coin toss, 1 = certain) shades each pixel from white to its
        class colour; without it every pixel gets the same pale colour.
        """
        palette = np.array(CLASS_COLORS, dtype=float)
        finite = np.isfinite(classes)
        index = np.where(finite, classes, 0).astype(np.intp) % len(palette)
        colours = palette[index]
        white = np.full_like(colours, 245.0)
        strength = 0.55 if confidence is None else (0.08 + 0.72 * np.clip(confidence, 0, 1))[..., None]
        pale = white + (colours - white) * strength
        pale[~finite] = 200.0
        return np.round(pale).astype(np.uint8)

    def _draw_points(self, frame: Any) -> None:
        data = frame.data
        low, high = self._levels(frame)
        for scatter, x, y, outline in (
            (self.train_points, data.x_train, data.y_train, (255, 255, 255)),
            (self.test_points, data.x_test, data.y_test, (20, 20, 20)),
        ):
            if len(x) == 0:
                scatter.setData([], [])
                continue
            if data.input_dim == 1:
                xs, ys = x[:, 0], np.ravel(y).astype(float)
                brushes = [pg.mkBrush(*BLUE, 200)] * len(xs)
            else:
                xs, ys = x[:, 0], x[:, 1] if data.input_dim >= 2 else np.zeros(len(x))
                brushes = self._point_brushes(data, np.asarray(y), low, high)
            scatter.setData(xs, ys, brush=brushes, pen=pg.mkPen(outline, width=1))
        self.test_points.setVisible(self.show_test)

    @staticmethod
    def _point_brushes(data: Any, labels: np.ndarray, low: float, high: float) -> list[Any]:
        labels = labels.reshape(len(labels), -1)
        if data.task == "classification" and data.num_classes > 2:
            classes = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0].astype(int)
            return [pg.mkBrush(*CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in classes]
        values = labels[:, 0].astype(float)
        rgb = diverging_rgb(values, (low, high))
        if data.task == "classification":  # full-strength colours for the two labels
            rgb = np.where((values >= (low + high) / 2)[:, None], np.array(BLUE), np.array(ORANGE))
        return [pg.mkBrush(int(r), int(g), int(b)) for r, g, b in rgb]
