"""The network drawn as the TensorFlow Playground draws it: neurons and weighted edges.

Each neuron is a small heatmap of its own output over the input plane (from the
worker's ``neuron_grids``); each edge is blue for a positive weight and orange for a
negative one, thicker for a larger magnitude. Hover a neuron to see its bias.
Everything comes from the frame's snapshot; the view never runs the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from minitorch.model_graph import linear_layers

from ..colors import BLUE, NEUTRAL, ORANGE, TEXT, diverging_lut, heatmap_image, qcolor, symmetric_levels

_PRETTY = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin(x1)": "sin x₁",
           "sin(x2)": "sin x₂"}


def pretty_feature(name: str) -> str:
    """How an input feature is labelled in the drawing (x1^2 -> x₁²)."""
    return _PRETTY.get(name, name)


EDGE_BUCKETS = 8  # distinct edge widths drawn (strongest weights on top)
MAX_CURVED_EDGES = 600  # larger networks get straight edges ...
MAX_DRAWN_EDGES = 1500  # ... and only their strongest ones


def _strongest(level: np.ndarray, limit: int) -> np.ndarray:
    """Which edges to draw (a boolean mask): the strongest, at most about ``limit`` of them.

    Whole strength buckets are kept from the strongest down; the bucket that overflows keeps
    an evenly spread part of its edges, so the thinned-out network still covers every layer.
    """
    keep = np.zeros(level.shape, dtype=bool)
    total = 0
    for bucket in np.unique(level)[::-1]:
        members = np.flatnonzero(level == bucket)
        if total + len(members) > limit:
            room = limit - total
            if room > 0:
                keep[members[:: max(1, len(members) // room)][:room]] = True
            break
        keep[members] = True
        total += len(members)
    return keep


def _edge_arrays(rects: list[list[QRectF]], buckets: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """Every drawn edge as arrays: start x, y (a source's right side), end x, y (a target's left
    side), sign (True: positive) and strength bucket; NaN weights are left out."""
    parts = []
    for c, (positive, level) in enumerate(buckets):
        sources, targets = rects[c], rects[c + 1]
        rows, cols = min(level.shape[0], len(targets)), min(level.shape[1], len(sources))
        if not rows or not cols:
            continue
        source_y = np.array([r.center().y() for r in sources[:cols]])
        target_y = np.array([r.center().y() for r in targets[:rows]])
        target, source = np.nonzero(level[:rows, :cols] >= 0)  # row-major: targets in order, as before
        count = len(source)
        parts.append((np.full(count, sources[0].right()), source_y[source], np.full(count, targets[0].left()),
                      target_y[target], positive[target, source], level[target, source]))
    if not parts:
        empty = np.zeros(0)
        return empty, empty, empty, empty, np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int8)
    return tuple(np.concatenate(column) for column in zip(*parts))


def _groups(positive: np.ndarray, level: np.ndarray) -> list[tuple[bool, int]]:
    """The (sign, bucket) groups present, weakest first (the strongest are drawn on top)."""
    keys = np.unique(positive.astype(np.int16) * EDGE_BUCKETS + level).tolist()
    return sorted(((k >= EDGE_BUCKETS, k % EDGE_BUCKETS) for k in keys), key=lambda key: key[1])


_LUT = diverging_lut()


def _layer_images(grids: np.ndarray, bounded: bool) -> list[tuple[QImage, QRectF] | None]:
    """Heatmaps of a layer's (n, rows, cols) neuron grids, as `heatmap_image` draws each one:
    levels (-1, 1) when ``bounded``, else symmetric around zero per neuron.

    One image holds the whole layer (tiles stacked top to bottom); each neuron gets that image
    and its tile's rectangle. In float32 and with one image per layer, a network of hundreds
    of neurons is coloured in a few milliseconds.
    """
    values = np.asarray(grids, dtype=np.float32)
    finite = np.isfinite(values)
    all_finite = bool(finite.all())
    if not bounded:
        largest = (np.abs(values) if all_finite else np.where(finite, np.abs(values), 0.0)).max(axis=(1, 2))
        values = values / np.maximum(largest, np.float32(1e-6))[:, None, None]
    top = len(_LUT) - 1
    index = (values + 1) * np.float32(top / 2)  # -1 -> 0, 0 -> the middle (grey), 1 -> top
    if not all_finite:  # NaN: grey; +-inf: the ends (as `diverging_rgb`)
        index = np.nan_to_num(index, nan=top / 2, posinf=top, neginf=0)
    np.clip(np.rint(index, out=index), 0, top, out=index)
    rgb = _LUT[index.astype(np.intp)[:, ::-1]]  # image row 0 is the top edge
    count, rows, cols = rgb.shape[:3]
    pixels = np.ascontiguousarray(rgb.reshape(count * rows, cols, 3))
    image = QImage(pixels.data, cols, count * rows, 3 * cols, QImage.Format.Format_RGB888).copy()
    return [(image, QRectF(0, k * rows, cols, rows)) for k in range(count)]


def _distance_to_edge(point: QPointF, source: QRectF, target: QRectF, samples: int = 64) -> float:
    """Distance from ``point`` to the curve drawn from ``source`` to ``target`` (sampled)."""
    start = np.array([source.right(), source.center().y()])
    end = np.array([target.left(), target.center().y()])
    bend = np.array([(end[0] - start[0]) * 0.5, 0.0])
    t = np.linspace(0.0, 1.0, samples)[:, None]
    c1, c2 = start + bend, end - bend
    curve = ((1 - t) ** 3) * start + 3 * ((1 - t) ** 2) * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * end
    return float(np.min(np.hypot(curve[:, 0] - point.x(), curve[:, 1] - point.y())))


class NetworkView(QWidget):
    """Paints inputs, hidden layers and outputs as columns of neuron heatmaps joined by edges.

    Click a neuron to show its map in the big output view (``neuronClicked``; clicking it
    again, or the output neuron, goes back). Hover an edge to read its weight, click it to edit it.
    """

    neuronClicked = Signal(object)  # (column, index), or None for "the model's output"
    edgeClicked = Signal(int, int, int)  # (layer, target neuron, source neuron): edit that weight

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setToolTip("")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel: no background pass
        self.feature_names: list[str] = []
        self.activation = "tanh"
        self._layers: list[tuple[np.ndarray, np.ndarray]] = []
        self._images: list[list[tuple[QImage, QRectF] | None]] = []  # per neuron: image, source rect
        self._neuron_version = -1
        self._node_rects: list[list[QRectF]] = []
        self.selected: tuple[int, int] | None = None
        self.paint_count = 0
        # The page with the edges and labels drawn last, as an image, and what it showed: edges
        # are drawn only by sign and strength bucket, so many repaints find the same picture.
        self._edge_image: QImage | None = None
        self._edge_key: tuple[Any, ...] = ()

    def sizeHint(self) -> QSize:
        return QSize(520, 420)

    def minimumSizeHint(self) -> QSize:
        return QSize(260, 220)

    # --- data ------------------------------------------------------------------------------------
    def show_frame(self, frame: Any) -> None:
        """Take weights and neuron maps from a frame and schedule a repaint."""
        config = frame.config
        self.feature_names = list(frame.feature_names or config.get("features") or [])
        self.activation = str(config.get("activation", "tanh"))
        self._layers = linear_layers(frame.snapshot.state_dict)
        if frame.neuron_version != self._neuron_version:
            self._neuron_version = frame.neuron_version
            self._images = self._make_images(frame.neuron_grids)
        self.update()

    @property
    def layer_sizes(self) -> list[int]:
        """[inputs, hidden..., outputs] as drawn."""
        if not self._layers:
            return []
        return [self._layers[0][0].shape[1]] + [w.shape[0] for w, _ in self._layers]

    def _make_images(self, grids: Sequence[Sequence[np.ndarray]] | None) -> list[list[tuple[QImage, QRectF] | None]]:
        if not grids:
            return []
        images: list[list[tuple[QImage, QRectF] | None]] = []
        last = len(grids) - 1
        for index, layer in enumerate(grids):
            row: list[tuple[QImage, QRectF] | None] = []
            bounded = 0 < index < last and self.activation == "tanh"
            arrays = [np.asarray(grid, dtype=float) for grid in layer]
            if arrays and arrays[0].ndim == 2 and all(a.shape == arrays[0].shape for a in arrays):
                images.append(_layer_images(np.stack(arrays), bounded))  # one numpy pass per layer
                continue
            for grid in layer:
                array = np.asarray(grid, dtype=float)
                if array.ndim != 2:
                    row.append(None)
                    continue
                levels = (-1.0, 1.0) if bounded else symmetric_levels(array)
                image = heatmap_image(array, levels)
                row.append((image, QRectF(image.rect())))
            images.append(row)
        return images

    # --- geometry ----------------------------------------------------------------------------------
    def _layout(self) -> list[list[QRectF]]:
        sizes = self.layer_sizes
        if not sizes:
            return []
        margin_x, top, bottom = 64.0, 30.0, 10.0
        width = max(self.width() - 2 * margin_x, 10.0)
        height = max(self.height() - top - bottom, 10.0)
        columns = len(sizes)
        tallest = max(sizes)
        node = float(np.clip(min(height / (tallest * 1.25), width / (columns * 2.2)), 10.0, 46.0))
        rects: list[list[QRectF]] = []
        for c, count in enumerate(sizes):
            x = margin_x + (width * c / (columns - 1) if columns > 1 else width / 2) - node / 2
            gap = min(node * 0.35, (height - count * node) / max(count, 1))
            total = count * node + (count - 1) * gap
            y0 = top + (height - total) / 2
            rects.append([QRectF(x, y0 + i * (node + gap), node, node) for i in range(count)])
        return rects

    # --- painting ------------------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rects = self._layout()
        self._node_rects = rects
        if not rects:
            painter.fillRect(self.rect(), QColor(255, 255, 255))
            painter.setPen(qcolor(TEXT))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The network appears here")
            painter.end()
            return
        self._paint_background(painter, rects)
        self._paint_nodes(painter, rects)
        painter.end()
        self.paint_count += 1

    def _edge_buckets(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer: each edge's sign (True: positive; NaN weights are left out) and strength bucket."""
        largest = max((float(np.max(np.abs(w))) for w, _ in self._layers if w.size), default=1.0) or 1.0
        if not np.isfinite(largest):
            largest = 1.0
        buckets = []
        with np.errstate(invalid="ignore"):
            for weight, _ in self._layers:
                strength = np.clip(np.abs(weight) / largest, 0.0, 1.0)
                level = np.where(np.isfinite(weight), np.round(np.nan_to_num(strength) * (EDGE_BUCKETS - 1)), -1)
                buckets.append((weight >= 0, level.astype(np.int8)))
        return buckets

    def _paint_background(self, painter: QPainter, rects: list[list[QRectF]]) -> None:
        """The page, the edges and the labels, from a cached opaque image redrawn only when some
        edge changes sign or bucket (or the size or the labels change): copying an opaque image
        costs a fraction of blending a transparent one over a filled page and laying out the text."""
        buckets = self._edge_buckets()
        ratio = float(self.devicePixelRatioF())
        key = (self.width(), self.height(), ratio, tuple(self.feature_names), self.font().key(),
               tuple((sign.shape, sign.tobytes(), level.tobytes()) for sign, level in buckets))
        if key != self._edge_key or self._edge_image is None:
            image = QImage(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)),
                           QImage.Format.Format_RGB32)
            image.setDevicePixelRatio(ratio)
            image.fill(QColor(255, 255, 255))
            image_painter = QPainter(image)
            image_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._draw_edges(image_painter, rects, buckets)
            self._paint_labels(image_painter, rects)
            image_painter.end()
            self._edge_image, self._edge_key = image, key
        painter.drawImage(QPointF(0, 0), self._edge_image)

    def _draw_edges(self, painter: QPainter, rects: list[list[QRectF]],
                    buckets: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Edges as curves; colour by sign, width and opacity by |weight|.

        Edges are grouped by sign and strength bucket and each group is drawn as one path,
        so a frame costs a handful of draw calls instead of one per weight.
        """
        x0, y0, x1, y1, positive, level = _edge_arrays(rects, buckets)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if len(level) > MAX_CURVED_EDGES:
            keep = _strongest(level, MAX_DRAWN_EDGES)
            self._draw_straight_edges(painter, x0[keep], y0[keep], x1[keep], y1[keep], positive[keep], level[keep])
            return
        levels = EDGE_BUCKETS - 1
        # A thick edge is drawn as a few 1-px curves side by side: Qt's raster engine strokes
        # thin antialiased curves about ten times faster than wide ones, and the result looks
        # the same at this size.
        for sign, bucket in _groups(positive, level):
            strength = bucket / levels
            strands = 1 + round(3 * strength)  # 1 to 4 px wide
            path = QPainterPath()
            members = (positive == sign) & (level == bucket)
            for a_x, a_y, b_x, b_y in zip(x0[members].tolist(), y0[members].tolist(), x1[members].tolist(),
                                          y1[members].tolist()):
                bend = (b_x - a_x) * 0.5
                for k in range(strands):
                    shift = k - (strands - 1) / 2
                    path.moveTo(a_x, a_y + shift)
                    path.cubicTo(a_x + bend, a_y + shift, b_x - bend, b_y + shift, b_x, b_y + shift)
            painter.setPen(QPen(qcolor(BLUE if sign else ORANGE, int(70 + 150 * strength)), 1.0))
            painter.drawPath(path)

    @staticmethod
    def _draw_straight_edges(painter: QPainter, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                             positive: np.ndarray, level: np.ndarray) -> None:
        """A large network's edges: straight 1-px lines in opaque colours, one path per group,
        built from the arrays without a Python loop per edge (thousands of translucent curves
        took seconds to stroke, and a loop over them tens of milliseconds)."""
        from pyqtgraph import arrayToQPath

        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        white = np.array([255.0, 255.0, 255.0])
        for sign, bucket in _groups(positive, level):
            members = (positive == sign) & (level == bucket)
            strength = 0.25 + 0.75 * bucket / (EDGE_BUCKETS - 1)  # translucency, mixed with the white page
            rgb = white + (np.array(BLUE if sign else ORANGE) - white) * strength
            painter.setPen(QPen(QColor(*(int(round(c)) for c in rgb)), 1.0))
            xs = np.column_stack([x0[members], x1[members]]).ravel()
            ys = np.column_stack([y0[members], y1[members]]).ravel()
            painter.drawPath(arrayToQPath(xs, ys, connect="pairs"))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

    def _paint_nodes(self, painter: QPainter, rects: list[list[QRectF]]) -> None:
        """Each neuron's map with a grey frame (the chosen one black and thick) and a small square at
        its lower left for the bias' sign and size; frames and squares are drawn a few calls for all."""
        frames: list[QRectF] = []
        bias_squares: dict[bool, list[QRectF]] = {True: [], False: []}
        neutral = qcolor(NEUTRAL)
        for c, column in enumerate(rects):
            images = self._images[c] if c < len(self._images) else []
            biases = self._layers[c - 1][1] if c >= 1 else None
            for i, rect in enumerate(column):
                tile = images[i] if i < len(images) else None
                if tile is not None:
                    painter.drawImage(rect, *tile)
                else:
                    painter.fillRect(rect, neutral)
                frames.append(rect)
                if biases is not None and i < len(biases) and np.isfinite(biases[i]):
                    size = max(4.0, rect.width() * 0.22)
                    bias_squares[bool(biases[i] >= 0)].append(
                        QRectF(rect.left() - size * 0.6, rect.bottom() - size * 0.6, size, size))
        # Axis-aligned 1-px frames need no antialiasing (it tripled their cost).
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRects(frames)
        for positive, squares in bias_squares.items():
            if squares:
                painter.setBrush(qcolor(BLUE if positive else ORANGE))
                painter.drawRects(squares)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        chosen = self.selected
        if chosen is not None and chosen[0] < len(rects) and chosen[1] < len(rects[chosen[0]]):
            painter.setPen(QPen(QColor(20, 20, 20), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rects[chosen[0]][chosen[1]])

    def _paint_labels(self, painter: QPainter, rects: list[list[QRectF]]) -> None:
        font = QFont(self.font())
        # In pixels: drawn into the cached image, whose resolution need not be the screen's.
        font.setPixelSize(max(1, round(max(7.5, font.pointSizeF() - 1) * self.logicalDpiY() / 72)))
        painter.setFont(font)
        painter.setPen(qcolor(TEXT))
        last = len(rects) - 1
        for c, column in enumerate(rects):
            if not column:
                continue
            title = "Input" if c == 0 else ("Output" if c == last else f"Hidden {c}")
            centre_x = column[0].center().x()
            painter.drawText(QRectF(centre_x - 60, 4, 120, 18), Qt.AlignmentFlag.AlignCenter, title)
        for i, rect in enumerate(rects[0]):
            name = pretty_feature(self.feature_names[i] if i < len(self.feature_names) else f"x{i + 1}")
            painter.drawText(
                QRectF(rect.left() - 64, rect.top(), 60, rect.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )

    # --- hover -------------------------------------------------------------------------------------------
    def node_at(self, point: QPointF) -> tuple[int, int] | None:
        """(column, index) of the neuron under ``point`` (widget coordinates), if any."""
        for c, column in enumerate(self._node_rects):
            for i, rect in enumerate(column):
                if rect.adjusted(-2, -2, 2, 2).contains(point):
                    return c, i
        return None

    def edge_at(self, point: QPointF, tolerance: float = 4.0) -> tuple[int, int, int] | None:
        """(layer, target neuron, source neuron) of the edge under ``point``, if any."""
        rects = self._node_rects
        best, found = tolerance, None
        for c, (weight, _) in enumerate(self._layers):
            if c + 1 >= len(rects):
                break
            sources, targets = rects[c], rects[c + 1]
            if not sources or not targets or not sources[0].right() <= point.x() <= targets[0].left():
                continue
            if weight.size > MAX_CURVED_EDGES:  # drawn straight and thinned out: no picking
                continue
            for j in range(min(weight.shape[0], len(targets))):
                for i in range(min(weight.shape[1], len(sources))):
                    distance = _distance_to_edge(point, sources[i], targets[j])
                    if distance < best:
                        best, found = distance, (c, j, i)
        return found

    def describe_edge(self, layer: int, target: int, source: int) -> str:
        weight = self._layers[layer][0][target, source]
        source_name = (self.feature_names[source] if layer == 0 and source < len(self.feature_names)
                       else f"neuron {source + 1}")
        kind = "output" if layer == len(self._layers) - 1 else f"hidden layer {layer + 1}"
        return (f"Weight {weight:+.4f}\nfrom {pretty_feature(source_name)} to {kind}, neuron {target + 1}"
                "\n(click: edit it)")

    def mousePressEvent(self, event: Any) -> None:
        hit = self.node_at(QPointF(event.position()))
        if hit is None or event.button() != Qt.MouseButton.LeftButton:
            edge = self.edge_at(QPointF(event.position())) if event.button() == Qt.MouseButton.LeftButton else None
            if edge is not None:
                self.edgeClicked.emit(*edge)
                return
            super().mousePressEvent(event)
            return
        last = len(self._node_rects) - 1
        # The output neuron of a one-output model is the output view's own map: clicking it goes back.
        back = hit == self.selected or (hit[0] == last and len(self._node_rects[last]) == 1)
        self.select(None if back else hit)
        self.neuronClicked.emit(self.selected)

    def weight(self, layer: int, target: int, source: int) -> float:
        return float(self._layers[layer][0][target, source])

    def select(self, node: tuple[int, int] | None) -> None:
        self.selected = node
        self.update()

    def describe_node(self, column: int, index: int) -> str:
        if column == 0:
            name = self.feature_names[index] if index < len(self.feature_names) else f"x{index + 1}"
            return f"Input feature {name}"
        weight, bias = self._layers[column - 1]
        kind = "Output" if column == len(self._layers) else f"Hidden layer {column}"
        incoming = ", ".join(f"{w:+.3f}" for w in weight[index][:8])
        more = " ..." if weight.shape[1] > 8 else ""
        return f"{kind}, neuron {index + 1}\nbias {bias[index]:+.4f}\nweights in: {incoming}{more}"

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            hit = self.node_at(QPointF(event.pos()))
            edge = None if hit is not None else self.edge_at(QPointF(event.pos()))
            if hit is not None:
                QToolTip.showText(event.globalPos(), self.describe_node(*hit) + "\n(click: show it large)", self)
            elif edge is not None:
                QToolTip.showText(event.globalPos(), self.describe_edge(*edge), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
