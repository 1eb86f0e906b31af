"""The image playground's views: plain QPainter widgets (cheap to repaint while training).

- `MosaicView`: sections of small images (filters, feature maps, the misclassified gallery),
  each section composed into one image with numpy and painted in one call.
- `ConfusionView`: the confusion matrix with counts.
- `ProbabilityBars`: class probabilities as horizontal bars.
- `DrawingPad`: draw with the mouse; emits the canvas as a numpy array.
- `LinePlot` / `CurvePlots`: loss and accuracy against the step, train and test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget
from shiboken6 import VoidPtr

TITLE_HEIGHT = 18
CAPTION_HEIGHT = 14
GAP = 3


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an (h, w, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def colorize(tiles: np.ndarray, signed: bool) -> np.ndarray:
    """(n, h, w) values -> (n, h, w, 3) uint8: signed as blue-white-red around 0, else black-white."""
    tiles = np.asarray(tiles, dtype=np.float64)
    if signed:
        scale = float(np.abs(tiles).max(initial=0.0)) or 1.0
        t = np.clip(tiles / scale, -1.0, 1.0)[..., None]
        red, blue, white = np.array([215, 48, 39.0]), np.array([33, 102, 172.0]), np.full(3, 247.0)
        out = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    else:
        low = tiles.min(axis=(1, 2), keepdims=True) if tiles.size else 0.0
        high = tiles.max(axis=(1, 2), keepdims=True) if tiles.size else 1.0
        span = np.where(high - low > 1e-12, high - low, 1.0)
        out = np.repeat(((tiles - low) / span * 255.0)[..., None], 3, axis=-1)
    return np.clip(out, 0, 255).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class Section:
    """A titled group of equally sized tiles: (n, h, w) values, optional captions under each tile."""

    title: str
    tiles: np.ndarray
    signed: bool = False
    captions: tuple[str, ...] = ()
    tile_pixels: int = 40
    columns: int | None = None  # default: as many as fit the width
    caption_colors: tuple[str, ...] = ()


@dataclass
class _Placed:
    section: Section
    image: QImage
    top: int
    tile_rects: list[QRect]


class MosaicView(QWidget):
    """Sections of small images, composed with numpy and painted one QImage per section."""

    tileClicked = Signal(int, int)  # (section index, tile index)

    def __init__(self, parent: QWidget | None = None, empty_text: str = ""):
        super().__init__(parent)
        self.sections: list[Section] = []
        self._placed: list[_Placed] = []
        self._composed_width = -1
        self.empty_text = empty_text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.updates = 0  # how many times new content arrived (tests read it)

    def set_sections(self, sections: Sequence[Section]) -> None:
        self.sections = list(sections)
        self.updates += 1
        self._compose()
        self.update()

    def _compose(self) -> None:
        width = max(self.width(), 120)
        placed, y = [], 2
        for section in self.sections:
            tiles = np.asarray(section.tiles)
            if tiles.ndim != 3 or not len(tiles):
                continue
            count, height, tile_width = tiles.shape
            factor = max(1, round(section.tile_pixels / max(height, tile_width)))
            cell_w, cell_h = tile_width * factor, height * factor
            caption = CAPTION_HEIGHT if section.captions else 0
            fit = max(1, (width - 4 + GAP) // (cell_w + GAP))
            columns = min(count, fit if section.columns is None else max(1, min(section.columns, fit)))
            rows = -(-count // columns)
            canvas = np.full((rows * (cell_h + caption + GAP), columns * (cell_w + GAP), 3), 255, dtype=np.uint8)
            colored = colorize(tiles, section.signed)
            big = colored.repeat(factor, axis=1).repeat(factor, axis=2)
            rects = []
            for index in range(count):
                r, c = divmod(index, columns)
                top, left = r * (cell_h + caption + GAP), c * (cell_w + GAP)
                canvas[top:top + cell_h, left:left + cell_w] = big[index]
                rects.append(QRect(2 + left, y + TITLE_HEIGHT + top, cell_w, cell_h))
            placed.append(_Placed(section, rgb_image(canvas), y + TITLE_HEIGHT, rects))
            y += TITLE_HEIGHT + canvas.shape[0] + 6
        self._placed = placed
        self._composed_width = width
        self.setMinimumHeight(max(y, 40))

    def resizeEvent(self, event: QResizeEvent) -> None:
        if abs(self.width() - self._composed_width) > 8 and self.sections:
            self._compose()
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(360, max(self.minimumHeight(), 120))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        if not self._placed:
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, small.pointSizeF() - 1.5))
        for placed in self._placed:
            painter.setPen(QColor(60, 60, 60))
            painter.setFont(self.font())
            painter.drawText(QRect(2, placed.top - TITLE_HEIGHT, self.width() - 4, TITLE_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, placed.section.title)
            painter.drawImage(QPointF(2, placed.top), placed.image)
            if placed.section.captions:
                painter.setFont(small)
                colors = placed.section.caption_colors
                for index, (rect, text) in enumerate(zip(placed.tile_rects, placed.section.captions)):
                    painter.setPen(QColor(colors[index]) if index < len(colors) else QColor(60, 60, 60))
                    painter.drawText(QRect(rect.left() - 6, rect.bottom() + 1, rect.width() + 12, CAPTION_HEIGHT),
                                     Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        point = event.position().toPoint()
        for section_index, placed in enumerate(self._placed):
            for tile_index, rect in enumerate(placed.tile_rects):
                if rect.contains(point):
                    self.tileClicked.emit(section_index, tile_index)
                    return
        super().mousePressEvent(event)


class ConfusionView(QWidget):
    """A (classes x classes) confusion matrix: rows are the true class, columns the prediction."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.class_names: tuple[str, ...] = ()
        self.updates = 0
        self.setMinimumSize(220, 220)

    def set_matrix(self, matrix: np.ndarray, class_names: Sequence[str]) -> None:
        self.matrix = np.asarray(matrix)
        self.class_names = tuple(class_names)
        self.updates += 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        n = len(self.matrix)
        if not n:
            return
        margin = 34
        side = max(1, min(self.width() - margin - 4, self.height() - margin - 4) // n)
        left, top = margin, margin
        totals = np.maximum(self.matrix.sum(axis=1, keepdims=True), 1)
        fraction = self.matrix / totals
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, min(9.0, side / 3.2)))
        painter.setFont(small)
        for row in range(n):
            for col in range(n):
                share = float(fraction[row, col])
                if row == col:
                    color = QColor.fromRgbF(1 - 0.75 * share, 1 - 0.35 * share, 1 - 0.7 * share)
                else:
                    color = QColor.fromRgbF(1, 1 - 0.8 * min(1.0, 3 * share), 1 - 0.8 * min(1.0, 3 * share))
                rect = QRect(left + col * side, top + row * side, side - 1, side - 1)
                painter.fillRect(rect, color)
                count = int(self.matrix[row, col])
                if count and side >= 14:
                    painter.setPen(QColor(30, 30, 30))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
        painter.setPen(QColor(80, 80, 80))
        for index, name in enumerate(self.class_names[:n]):
            label = name[:4]
            painter.drawText(QRect(left + index * side, top - 16, side, 14), Qt.AlignmentFlag.AlignCenter, label)
            painter.drawText(QRect(2, top + index * side, margin - 4, side), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, label)
        painter.drawText(QRect(left, 0, n * side, 16), Qt.AlignmentFlag.AlignCenter, "predicted →")
        painter.save()
        painter.translate(10, top + n * side / 2)
        painter.rotate(-90)
        painter.drawText(QRect(-60, -8, 120, 14), Qt.AlignmentFlag.AlignCenter, "true →")
        painter.restore()


class ProbabilityBars(QWidget):
    """Class probabilities as horizontal bars; the most likely class highlighted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.probabilities = np.zeros(0)
        self.class_names: tuple[str, ...] = ()
        self.setMinimumSize(160, 160)

    def set_probabilities(self, probabilities: np.ndarray, class_names: Sequence[str]) -> None:
        self.probabilities = np.asarray(probabilities, dtype=float)
        self.class_names = tuple(class_names)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(255, 255, 255))
        n = len(self.probabilities)
        if not n:
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Draw on the pad")
            return
        row = max(8, (self.height() - 4) // n)
        label_w, text_w = 56, 44
        best = int(np.argmax(self.probabilities))
        for index, p in enumerate(self.probabilities):
            y = 2 + index * row
            painter.setPen(QColor(60, 60, 60))
            painter.drawText(QRect(0, y, label_w - 6, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.class_names[index] if index < len(self.class_names) else str(index))
            width = int((self.width() - label_w - text_w) * float(p))
            painter.fillRect(QRect(label_w, y + 2, max(1, width), row - 4),
                             QColor(26, 115, 232) if index == best else QColor(160, 180, 210))
            painter.drawText(QRect(label_w + width + 4, y, text_w, row), Qt.AlignmentFlag.AlignVCenter,
                             f"{100 * float(p):.0f}%")


class DrawingPad(QWidget):
    """A square canvas to draw on with the mouse (white strokes on black), like the digits.

    ``strokeFinished`` carries the canvas as an (n, n) float array in [0, 1] when the mouse
    is released; `draw_stroke` draws programmatically (tests, demos).
    """

    strokeFinished = Signal(object)
    CANVAS = 224

    def __init__(self, parent: QWidget | None = None, pen_width: float = 18.0):
        super().__init__(parent)
        self.pen_width = pen_width
        self.image = QImage(self.CANVAS, self.CANVAS, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPointF | None = None
        self.setFixedSize(self.CANVAS, self.CANVAS)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit or a shape; the prediction updates when you release the mouse")

    def clear(self) -> None:
        self.image.fill(0)
        self.update()
        self.strokeFinished.emit(self.canvas())

    def canvas(self) -> np.ndarray:
        width, height, stride = self.image.width(), self.image.height(), self.image.bytesPerLine()
        buffer = np.frombuffer(self.image.constBits(), dtype=np.uint8, count=stride * height).reshape(height, stride)
        return buffer[:, :width].astype(np.float64) / 255.0

    def _line(self, start: QPointF, end: QPointF) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(255, 255, 255), self.pen_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawLine(start, end)
        painter.end()
        self.update()

    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Draw a polyline through ``points`` (canvas pixels) and emit strokeFinished."""
        points = [QPointF(float(x), float(y)) for x, y in points]
        for start, end in zip(points, points[1:] or points):
            self._line(start, end)
        self.strokeFinished.emit(self.canvas())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
            return
        self._last = event.position()
        self._line(self._last, self._last)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is not None:
            point = event.position()
            self._line(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._last is not None:
            self._last = None
            self.strokeFinished.emit(self.canvas())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawImage(0, 0, self.image)
        painter.setPen(QColor(90, 90, 90))
        painter.drawRect(0, 0, self.width() - 1, self.height() - 1)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [low, high]."""
    span = high - low
    if span <= 0 or not np.isfinite(span):
        return [low]
    raw = span / count
    base = 10 ** np.floor(np.log10(raw))
    step = next(f * base for f in (1, 2, 5, 10) if f * base >= raw)
    first = np.ceil(low / step) * step
    return [float(v) for v in np.arange(first, high + step * 0.5, step) if v <= high + 1e-12]


def _nice_ceiling(value: float, minimum: float = 10.0) -> float:
    """The next of 1, 2, 5 x 10^k at or above ``value`` (at least ``minimum``)."""
    value = max(float(value), minimum) if np.isfinite(value) else minimum
    base = 10 ** np.floor(np.log10(value))
    return float(next(f * base for f in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if f * base >= value * (1 - 1e-9)))


class LinePlot(QWidget):
    """A small line chart painted with QPainter: a few series against the step, ticks, a legend.

    pyqtgraph took ~40 ms to repaint one plot here (axes, legend, antialiasing); this takes
    about a millisecond, which matters because training waits while a frame is painted.
    """

    def __init__(self, ylabel: str, parent: QWidget | None = None, y_range: tuple[float, float] | None = None,
                 legend_at_bottom: bool = False):
        super().__init__(parent)
        self.ylabel = ylabel
        self.legend_at_bottom = legend_at_bottom  # where the curves are not (accuracy rises to the top)
        self.fixed_y = y_range
        self.series: list[tuple[str, QColor, float, np.ndarray, np.ndarray]] = []
        self.setMinimumSize(200, 120)
        self._background: QImage | None = None
        self._background_key: tuple = ()

    def set_series(self, series: Sequence[tuple[str, QColor, float, np.ndarray, np.ndarray]]) -> None:
        self.series = list(series)
        self.update()

    def _ranges(self) -> tuple[float, float, float]:
        """(x_high, y_low, y_high), rounded to 1-2-5 steps so the axes change rarely."""
        xs = [x for _, _, _, x, _ in self.series if len(x)]
        x_high = _nice_ceiling(max((float(x[-1]) for x in xs), default=10.0))
        if self.fixed_y is not None:
            return x_high, self.fixed_y[0], self.fixed_y[1]
        finite = [y[np.isfinite(y)] for _, _, _, _, y in self.series if len(y)]
        y_high = max((float(v.max()) for v in finite if len(v)), default=1.0)
        y_low = min(0.0, min((float(v.min()) for v in finite if len(v)), default=0.0))
        return x_high, y_low, max(_nice_ceiling(y_high, minimum=0.1), y_low + 0.1)

    def _frame_geometry(self) -> tuple[int, int, int, int]:
        return 46, self.width() - 8, 8, self.height() - 22

    def _paint_background(self, x_high: float, y_low: float, y_high: float) -> QImage:
        """Ticks, grid, labels and legend: drawn once per size and range (text is the slow part)."""
        image = QImage(self.size(), QImage.Format.Format_RGB32)
        image.fill(QColor(255, 255, 255))
        painter = QPainter(image)
        left, right, top, bottom = self._frame_geometry()
        grid = QPen(QColor(232, 232, 232))
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, small.pointSizeF() - 1.5))
        painter.setFont(small)
        for value in _nice_ticks(y_low, y_high, 4):
            y = bottom - (value - y_low) / (y_high - y_low) * (bottom - top)
            painter.setPen(grid)
            painter.drawLine(QPointF(left, y), QPointF(right, y))
            painter.setPen(QColor(90, 90, 90))
            painter.drawText(QRect(0, int(y) - 7, left - 4, 14), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, f"{value:g}")
        for value in _nice_ticks(0.0, x_high, 5):
            x = left + value / x_high * (right - left)
            painter.setPen(grid)
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.setPen(QColor(90, 90, 90))
            painter.drawText(QRect(int(x) - 30, bottom + 2, 60, 14), Qt.AlignmentFlag.AlignHCenter, f"{value:g}")
        painter.setPen(QColor(150, 150, 150))
        painter.drawRect(QRect(left, top, right - left, bottom - top))
        painter.save()
        painter.translate(10, (top + bottom) / 2)
        painter.rotate(-90)
        painter.setPen(QColor(90, 90, 90))
        painter.drawText(QRect(-50, -8, 100, 14), Qt.AlignmentFlag.AlignCenter, self.ylabel)
        painter.restore()
        legend_x = right - 70
        legend_top = bottom - 8 - 14 * len(self.series) if self.legend_at_bottom else top + 10
        for index, (name, color, width, _, _) in enumerate(self.series):
            y = legend_top + 14 * index
            painter.setPen(QPen(color, max(2.0, width)))
            painter.drawLine(QPointF(legend_x, y), QPointF(legend_x + 16, y))
            painter.setPen(QColor(60, 60, 60))
            painter.drawText(QRect(legend_x + 20, int(y) - 7, 50, 14), Qt.AlignmentFlag.AlignVCenter, name)
        painter.end()
        return image

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        left, right, top, bottom = self._frame_geometry()
        if right - left < 20 or bottom - top < 20:
            painter.fillRect(self.rect(), QColor(255, 255, 255))
            return
        x_high, y_low, y_high = self._ranges()
        key = (self.width(), self.height(), x_high, y_low, y_high, tuple(name for name, *_ in self.series))
        if self._background is None or key != self._background_key:
            self._background, self._background_key = self._paint_background(x_high, y_low, y_high), key
        painter.drawImage(0, 0, self._background)
        painter.setClipRect(QRect(left, top, right - left + 1, bottom - top + 1))
        for _, color, width, x, y in self.series:
            if len(x) < 1:
                continue
            stride = max(1, len(x) // max(1, 2 * (right - left)))  # at most ~2 points per pixel
            points_x = left + np.asarray(x[::stride], float) / x_high * (right - left)
            points_y = bottom - (np.asarray(y[::stride], float) - y_low) / (y_high - y_low) * (bottom - top)
            painter.setPen(QPen(color, width))
            painter.drawPolyline(_polyline(points_x, points_y))


def _polyline(xs: np.ndarray, ys: np.ndarray) -> QPolygonF:
    """A QPolygonF filled through a numpy view of its memory: a thousand QPointF objects made one by
    one took about a millisecond per curve and frame, this a few microseconds."""
    polygon = QPolygonF()
    polygon.resize(len(xs))
    points = np.frombuffer(VoidPtr(polygon.data(), len(xs) * 16, True), dtype=np.float64).reshape(-1, 2)
    points[:, 0] = xs
    points[:, 1] = ys
    return polygon


TRAIN_COLOR = QColor(26, 115, 232)
TEST_COLOR = QColor(230, 120, 20)


class CurvePlots(QWidget):
    """Loss and accuracy against the step: train (smoothed minibatches) and test (each evaluation)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtWidgets import QHBoxLayout

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = LinePlot("loss")
        self.accuracy_plot = LinePlot("accuracy", y_range=(0.0, 1.0), legend_at_bottom=True)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)
        self.points = 0

    def set_history(self, steps: np.ndarray, train_loss: np.ndarray, train_acc: np.ndarray, test_steps: np.ndarray,
                    test_loss: np.ndarray, test_acc: np.ndarray) -> None:
        self.loss_plot.set_series([("train", TRAIN_COLOR, 1.0, steps, train_loss),
                                   ("test", TEST_COLOR, 2.0, test_steps, test_loss)])
        self.accuracy_plot.set_series([("train", TRAIN_COLOR, 1.0, steps, train_acc),
                                       ("test", TEST_COLOR, 2.0, test_steps, test_acc)])
        self.points = len(steps)
