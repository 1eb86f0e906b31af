"""`GraphCanvas`: draws a laid-out computation graph with pan, zoom, hover and click.

One widget paints every node and edge itself with QPainter (no QGraphicsItem per node), so
a graph of thousands of nodes is set up in milliseconds: edges are baked into one path,
nodes outside the window are skipped, and text is left out when zoomed far out. The same
painting code renders the PNG and SVG exports.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import networkx as nx
import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolButton, QToolTip, QWidget

from minitorch.fileio import atomic_write
from minitorch.graph import describe_value, node_caption

from ..colors import BLUE, ORANGE

NODE_WIDTH = 150.0
NODE_HEIGHT = 58.0
LAYER_GAP = 215.0  # scene units between layers (left to right)
ROW_GAP = 78.0  # scene units between rows inside a layer
ARROW_SIZE = 7.0
WEIGHT_LEVELS = 6  # edge strengths drawn for weighted edges
READABLE_SCALE = 0.8  # the smallest zoom a first view uses: node text stays about 9 px or more
TEXT_MIN_PIXELS = 22.0  # below this on-screen node height, text is not drawn (level of detail)

# Colours: calm for the graph, warm for what backward is doing right now.
COLOR_BACKGROUND = QColor("#fbfbfd")
COLOR_OP = QColor("#e8eefc")
COLOR_LEAF = QColor("#e3f4e8")
COLOR_GROUP = QColor("#efe7fb")
COLOR_GROUP_BORDER = QColor("#8e6bc4")
COLOR_DONE = QColor("#fff1cc")
COLOR_CURRENT = QColor("#ffb347")
COLOR_BORDER = QColor("#6b7794")
COLOR_EDGE = QColor("#9aa4bb")
COLOR_EDGE_HOT = QColor("#e8590c")
COLOR_TEXT = QColor("#1d2333")
COLOR_GRAD = QColor("#b3400a")
COLOR_MUTED = QColor("#8a90a0")


def _grad_known(value: Any) -> bool:
    return value is not None


class GraphCanvas(QWidget):
    """Shows a `networkx.DiGraph` from `minitorch.graph` at positions from `layered_layout`.

    - drag to pan, mouse wheel to zoom (around the cursor), double-click to fit
    - hover a node for a tooltip with full precision; click emits `nodeClicked(node)`
    - `set_gradients` / `set_highlight` show the step-by-step backward state
    """

    nodeClicked = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.graph: nx.DiGraph = nx.DiGraph()
        self.nodes: list[Hashable] = []
        self.centers = np.zeros((0, 2))
        self._index: dict[Hashable, int] = {}
        self._edge_lines = _LineArray(np.zeros((0, 4)))
        self._weighted_lines: list[tuple[QPen, _LineArray]] = []  # edges coloured by their weight
        self._arrow_lines = _LineArray(np.zeros((0, 4)))
        self._routes: dict[tuple[Hashable, Hashable], list[tuple[float, float]]] = {}
        self._edge_counts: list[tuple[QPointF, str]] = []
        self._grads: dict[Hashable, Any] | None = None  # None: show the graph's own grad attribute
        self._done: set[Hashable] = set()
        self._current: Hashable | None = None
        self._hot_edges: list[tuple[Hashable, Hashable]] = []
        self._scale = 1.0
        self._offset = QPointF(0, 0)
        self._drag_start: QPointF | None = None
        self._auto_fit = True  # fit again on resize, until the user zooms or pans
        self._fit_readable = False
        # A big graph's first view: zoomed for readable text (True) or showing everything (False).
        self.readable_first_view = False
        self._drag_moved = False
        self._bounds = QRectF()
        self._message = ""
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._bold = QFont(self._font)
        self._bold.setBold(True)

    # --- data ------------------------------------------------------------------------------------
    def set_graph(
        self,
        graph: nx.DiGraph,
        positions: Mapping[Hashable, tuple[float, float]],
        fit: bool = True,
        routes: Mapping[tuple[Hashable, Hashable], list[tuple[float, float]]] | None = None,
    ) -> None:
        """Show ``graph`` with ``positions`` in layout units (layer, row); keeps the view unless ``fit``.

        ``routes`` (from `layered_layout_with_routes`) give waypoints for edges that skip layers.
        """
        self.graph = graph
        self._routes = {
            edge: [(x * LAYER_GAP, y * ROW_GAP) for x, y in points] for edge, points in (routes or {}).items()
        }
        self.nodes = list(graph.nodes)
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self.centers = np.array(
            [(positions[n][0] * LAYER_GAP, positions[n][1] * ROW_GAP) for n in self.nodes], dtype=float
        ).reshape(-1, 2)
        self._grads = None
        self._done = set()
        self._current = None
        self._hot_edges = []
        self._message = ""
        self._build_edge_paths()
        if len(self.nodes):
            extent = [self.centers] + [np.array(p) for p in self._routes.values()]
            low = np.concatenate(extent).min(axis=0)
            high = np.concatenate(extent).max(axis=0)
            self._bounds = QRectF(
                low[0] - NODE_WIDTH / 2 - 20,
                low[1] - NODE_HEIGHT / 2 - 20,
                high[0] - low[0] + NODE_WIDTH + 40,
                high[1] - low[1] + NODE_HEIGHT + 40,
            )
        else:
            self._bounds = QRectF()
        if fit:
            self.fit_view(readable=self.readable_first_view)
        self.update()

    def set_message(self, text: str) -> None:
        """A line of text drawn over an empty canvas (e.g. why there is nothing to show)."""
        self._message = text
        self.update()

    def set_gradients(self, grads: Mapping[Hashable, Any] | None, done: set[Hashable] | None = None) -> None:
        """Gradients to display (None = unknown, drawn as '?'); ``done`` nodes are tinted as finished."""
        self._grads = None if grads is None else dict(grads)
        self._done = set(done or ())
        self.update()

    def set_highlight(self, node: Hashable | None, edges: list[tuple[Hashable, Hashable]] = ()) -> None:
        """Mark the node being processed and the edges its gradient flows back along."""
        self._current = node
        self._hot_edges = list(edges)
        self.update()

    def _edge_pieces(self, a: Hashable, b: Hashable) -> list[tuple[bool, tuple[float, float], tuple[float, float]]]:
        """An edge as pieces ``(is_curve, start, end)``: S-curves between columns and, where it skips
        layers, straight runs through its waypoints' slots (so it passes between boxes)."""
        ax, ay = self.centers[self._index[a]]
        bx, by = self.centers[self._index[b]]
        pieces = []
        start = (ax + NODE_WIDTH / 2, ay)
        for x, y in self._routes.get((a, b), ()):
            pieces.append((True, start, (x - NODE_WIDTH / 2, y)))
            pieces.append((False, (x - NODE_WIDTH / 2, y), (x + NODE_WIDTH / 2, y)))
            start = (x + NODE_WIDTH / 2, y)
        pieces.append((True, start, (bx - NODE_WIDTH / 2, by)))
        return pieces

    def _edge_path(self, path: QPainterPath, a: Hashable, b: Hashable) -> QPointF:
        """Add the edge's exact curves to ``path``; returns where it ends (for the arrowhead)."""
        end = QPointF()
        for is_curve, (sx, sy), (ex, ey) in self._edge_pieces(a, b):
            path.moveTo(sx, sy)
            if is_curve:
                bend = max(30.0, (ex - sx) * 0.45)
                path.cubicTo(QPointF(sx + bend, sy), QPointF(ex - bend, ey), QPointF(ex, ey))
            else:
                path.lineTo(ex, ey)
            end = QPointF(ex, ey)
        return end

    def _arrow(self, path: QPainterPath, end: QPointF) -> None:
        size = ARROW_SIZE
        path.addPolygon(
            QPolygonF([end, QPointF(end.x() - size * 1.4, end.y() - size * 0.7),
                       QPointF(end.x() - size * 1.4, end.y() + size * 0.7), end])
        )

    def _build_edge_paths(self) -> None:
        """Every edge as a few straight segments along its curves, computed with numpy in one go.

        Stroking one big QPainterPath of thousands of curves takes seconds; a flat array of line
        segments handed to ``drawLines`` takes milliseconds (see benchmarks/bench_graph_layout.py).
        """
        edges = list(self.graph.edges)
        self._edge_counts: list[tuple[QPointF, str]] = []
        if not edges:
            self._edge_lines = _LineArray(np.zeros((0, 4)))
            self._arrow_lines = _LineArray(np.zeros((0, 4)))
            return
        index = self._index
        sources = self.centers[[index[a] for a, _ in edges]] + (NODE_WIDTH / 2, 0)
        targets = self.centers[[index[b] for _, b in edges]] - (NODE_WIDTH / 2, 0)
        straight = []
        if self._routes:  # routed edges: curve pieces join the plain edges, runs become lines
            curve_starts, curve_ends = [], []
            plain = []
            for k, (a, b) in enumerate(edges):
                if (a, b) not in self._routes:
                    plain.append(k)
                    continue
                for is_curve, start, end in self._edge_pieces(a, b):
                    if is_curve:
                        curve_starts.append(start)
                        curve_ends.append(end)
                    else:
                        straight.append((*start, *end))
            curve_sources = np.concatenate([sources[plain], np.array(curve_starts).reshape(-1, 2)])
            curve_targets = np.concatenate([targets[plain], np.array(curve_ends).reshape(-1, 2)])
        else:
            curve_sources, curve_targets = sources, targets
        pieces = 12 if len(edges) < 500 else 8
        segments = _bezier_segments(curve_sources, curve_targets, pieces)
        if straight:
            segments = np.concatenate([segments, np.array(straight)])
        self._edge_lines = _LineArray(segments)
        self._weighted_lines = self._weight_buckets(edges, sources, targets, pieces)
        # an input used more than once (x * x) is one edge labelled with the count
        self._edge_counts = [
            (QPointF(targets[k][0] - 30, targets[k][1] - 8), f"×{count}")
            for k, (a, b) in enumerate(edges)
            if (count := self.graph.edges[a, b].get("multiplicity", 1)) > 1
        ]
        # arrowheads as open chevrons: two short segments per edge, drawn by the same fast call
        tip = targets
        upper = np.concatenate([tip + (-ARROW_SIZE * 1.4, -ARROW_SIZE * 0.7), tip], axis=1)
        lower = np.concatenate([tip + (-ARROW_SIZE * 1.4, ARROW_SIZE * 0.7), tip], axis=1)
        self._arrow_lines = _LineArray(np.concatenate([upper, lower]))

    def _weight_buckets(self, edges: list, sources: np.ndarray, targets: np.ndarray,
                        pieces: int) -> list[tuple[QPen, _LineArray]]:
        """With a "weight" on every edge (the model graph): blue for positive, orange for negative,
        wider and stronger for a larger magnitude, as in the playground's network drawing."""
        weights = [self.graph.edges[a, b].get("weight") for a, b in edges]
        weighted = np.array([w is not None for w in weights], dtype=bool)
        if self._routes or not weighted.any():
            return []
        if weighted.all():
            self._edge_lines = _LineArray(np.zeros((0, 4)))
        else:  # an expanded neuron's inner edges: grey, the weighted ones coloured
            plain = np.flatnonzero(~weighted)
            self._edge_lines = _LineArray(_bezier_segments(sources[plain], targets[plain], pieces))
            edges = [edges[k] for k in np.flatnonzero(weighted)]
            sources, targets = sources[weighted], targets[weighted]
            weights = [w for w in weights if w is not None]
        values = np.array(weights, dtype=float)
        largest = float(np.max(np.abs(values[np.isfinite(values)]), initial=0.0)) or 1.0
        strength = np.clip(np.abs(np.nan_to_num(values)) / largest, 0, 1)
        level = np.round(strength * (WEIGHT_LEVELS - 1)).astype(int)
        buckets = []
        for positive in (True, False):
            for k in range(WEIGHT_LEVELS):
                chosen = np.flatnonzero((level == k) & ((values >= 0) == positive))
                if not len(chosen):
                    continue
                colour = QColor(*(BLUE if positive else ORANGE), int(60 + 195 * k / (WEIGHT_LEVELS - 1)))
                pen = QPen(colour, 1.0 + 3.0 * k / (WEIGHT_LEVELS - 1))
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                buckets.append((pen, _LineArray(_bezier_segments(sources[chosen], targets[chosen], pieces))))
        return buckets

    # --- what a node shows (also read by the tests) -----------------------------------------
    def grad_of(self, node: Hashable) -> Any:
        if self._grads is not None:
            return self._grads.get(node)
        return self.graph.nodes[node].get("grad")

    def node_lines(self, node: Hashable) -> tuple[str, str, str]:
        """The three lines drawn in a node's box: caption, value, gradient."""
        attrs = self.graph.nodes[node]
        shape = attrs.get("shape")
        if attrs.get("kind") == "group":  # a whole neuron: its name and activation
            op = attrs.get("op") or ""
            activation = op if op.isidentifier() else "linear"
            caption = f"{attrs.get('label')} · {activation}"
        else:
            caption = node_caption(attrs)
        if shape is not None and len(shape) > 0:  # n-d: shape in the title, ranges below
            caption = f"{caption}  {'x'.join(map(str, shape))}"
            return (caption, f"data {_range_text(attrs.get('value'))}",
                    f"grad {_range_text(self.grad_of(node))}")
        return caption, f"data {describe_value(attrs.get('value'))}", f"grad {describe_value(self.grad_of(node))}"

    def tooltip_text(self, node: Hashable) -> str:
        """Full-precision description of a node, shown on hover."""
        attrs = self.graph.nodes[node]
        lines = [node_caption(attrs)]
        if attrs.get("expr"):
            lines.append(f"computes: {attrs['expr']}")
        if attrs.get("op"):
            lines.append(f"operation: {attrs['op']}")
        if attrs.get("kind") == "group":
            lines.append(f"one neuron: {attrs.get('size', 0)} nodes (click to expand)")
        elif attrs.get("group") is not None:
            lines.append(f"part of neuron {attrs['group']} (click to collapse)")
        if attrs.get("shape") is not None:
            lines.append(f"shape: {tuple(attrs['shape'])}")
        lines.append(f"data: {_full(attrs.get('value'))}")
        grad = self.grad_of(node)
        lines.append(f"grad: {_full(grad)}" if _grad_known(grad) else "grad: not computed yet")
        return "\n".join(lines)

    # --- view ------------------------------------------------------------------------------------
    def fit_view(self, readable: bool = False) -> None:
        """Zoom and pan so that the whole graph fits the widget (capped at 1:1 for small graphs).

        ``readable``: never so small that the text cannot be read; a bigger graph then starts at
        its left (the inputs), vertically centred, and the rest is a drag away. Until the user
        zooms or pans, the view fits again whenever the widget is resized.
        """
        self._auto_fit = True
        self._fit_readable = readable
        if self._bounds.isEmpty():
            self._scale, self._offset = 1.0, QPointF(0, 0)
            return
        width, height = max(1, self.width()), max(1, self.height())
        scale = min(width / self._bounds.width(), height / self._bounds.height(), 1.25)
        center = self._bounds.center()
        if readable and scale < READABLE_SCALE:
            scale = READABLE_SCALE
            left = self._bounds.left() * scale
            self._offset = QPointF(8 - left, height / 2 - center.y() * scale)
        else:
            self._offset = QPointF(width / 2 - center.x() * scale, height / 2 - center.y() * scale)
        self._scale = scale
        self.update()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit_view(self._fit_readable)

    @property
    def zoom(self) -> float:
        return self._scale

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        self._auto_fit = False
        new_scale = min(8.0, max(0.01, self._scale * factor))
        factor = new_scale / self._scale
        self._offset = anchor - (anchor - self._offset) * factor
        self._scale = new_scale
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        self._auto_fit = False
        self._offset += QPointF(dx, dy)
        self.update()

    def scene_to_widget(self, x: float, y: float) -> QPointF:
        return QPointF(x * self._scale + self._offset.x(), y * self._scale + self._offset.y())

    def node_center_in_widget(self, node: Hashable) -> QPointF:
        x, y = self.centers[self._index[node]]
        return self.scene_to_widget(x, y)

    def node_at(self, point: QPointF) -> Hashable | None:
        """The node under a widget position, or None."""
        if not len(self.nodes):
            return None
        x = (point.x() - self._offset.x()) / self._scale
        y = (point.y() - self._offset.y()) / self._scale
        inside = (np.abs(self.centers[:, 0] - x) <= NODE_WIDTH / 2) & (
            np.abs(self.centers[:, 1] - y) <= NODE_HEIGHT / 2
        )
        hits = np.flatnonzero(inside)
        return self.nodes[int(hits[0])] if len(hits) else None

    # --- events ----------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, 500)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_start = event.position()
            self._drag_moved = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_start is not None:
            delta = event.position() - self._drag_start
            if self._drag_moved or abs(delta.x()) + abs(delta.y()) > 3:
                self._drag_moved = True
                self.pan_by(delta.x(), delta.y())
                self._drag_start = event.position()
            return
        node = self.node_at(event.position())
        if node is None:
            QToolTip.hideText()
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_text(node), self)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drag_start is not None:
            if not self._drag_moved:
                node = self.node_at(event.position())
                if node is not None:
                    self.nodeClicked.emit(node)
            self._drag_start = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit_view()

    # --- painting --------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), COLOR_BACKGROUND)
        if not len(self.nodes):
            painter.setPen(COLOR_MUTED)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._message or "No graph to show")
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(self.nodes) < 3000)
        painter.translate(self._offset)
        painter.scale(self._scale, self._scale)
        visible = QRectF(
            -self._offset.x() / self._scale,
            -self._offset.y() / self._scale,
            self.width() / self._scale,
            self.height() / self._scale,
        )
        self.paint_scene(painter, visible, self._scale)
        painter.end()

    def paint_scene(self, painter: QPainter, visible: QRectF, scale: float) -> None:
        """Draw edges and the nodes inside ``visible`` (scene units) with a painter in scene units."""
        edge_pen = QPen(COLOR_EDGE, 1.2)
        edge_pen.setCosmetic(scale < 1)
        edge_pen.setCapStyle(Qt.PenCapStyle.FlatCap)  # segments meet without overlapping dots
        painter.setPen(edge_pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        many = len(self.graph.edges) > 1500 and scale < 0.5
        if many:  # antialiasing thousands of tiny edges costs more than it shows
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._edge_lines.draw(painter)  # every edge, or those without a weight when some have one
        if self._weighted_lines:
            for pen, lines in self._weighted_lines:
                pen.setCosmetic(scale < 1)
                painter.setPen(pen)
                lines.draw(painter)
            painter.setPen(edge_pen)
        if ARROW_SIZE * scale >= 2.5:  # arrowheads only where they are big enough to see
            self._arrow_lines.draw(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._hot_edges:  # the edges carrying the current node's gradient back to its inputs
            hot = QPainterPath()
            arrows = QPainterPath()
            for a, b in self._hot_edges:
                if a in self._index and b in self._index:
                    self._arrow(arrows, self._edge_path(hot, a, b))
            painter.setPen(QPen(COLOR_EDGE_HOT, 3.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(hot)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(COLOR_EDGE_HOT))
            painter.drawPath(arrows)

        margin_x, margin_y = NODE_WIDTH / 2, NODE_HEIGHT / 2
        with_text = NODE_HEIGHT * scale >= TEXT_MIN_PIXELS
        if with_text and self._edge_counts:
            painter.setPen(COLOR_MUTED)
            painter.setFont(self._font)
            for point, text in self._edge_counts:
                painter.drawText(point, text)
        xs, ys = self.centers[:, 0], self.centers[:, 1]
        mask = (
            (xs + margin_x >= visible.left()) & (xs - margin_x <= visible.right())
            & (ys + margin_y >= visible.top()) & (ys - margin_y <= visible.bottom())
        )
        border = QPen(COLOR_BORDER, 1.0)
        border.setCosmetic(True)
        group_border = QPen(COLOR_GROUP_BORDER, 1.6, Qt.PenStyle.DashLine)
        for i in np.flatnonzero(mask):
            node = self.nodes[int(i)]
            attrs = self.graph.nodes[node]
            rect = QRectF(xs[i] - margin_x, ys[i] - margin_y, NODE_WIDTH, NODE_HEIGHT)
            kind = attrs.get("kind")
            fill = COLOR_LEAF if kind == "leaf" else COLOR_GROUP if kind == "group" else COLOR_OP
            if node == self._current:
                fill = COLOR_CURRENT
            elif node in self._done:
                fill = COLOR_DONE
            painter.setBrush(QBrush(fill))
            if node == self._current:
                painter.setPen(QPen(COLOR_EDGE_HOT, 2.5))
            elif attrs.get("group") is not None and kind != "group":
                painter.setPen(group_border)  # part of an expanded neuron: click collapses it
            else:
                painter.setPen(border)
            radius = 14.0 if kind == "leaf" else 5.0
            painter.drawRoundedRect(rect, radius, radius)
            if not with_text:
                continue
            caption, value, grad = self.node_lines(node)
            inner = rect.adjusted(6, 3, -6, -3)
            third = inner.height() / 3
            painter.setPen(COLOR_TEXT)
            painter.setFont(self._bold)
            painter.drawText(QRectF(inner.left(), inner.top(), inner.width(), third),
                             Qt.AlignmentFlag.AlignCenter, _elide(caption, 22))
            painter.setFont(self._font)
            painter.drawText(QRectF(inner.left(), inner.top() + third, inner.width(), third),
                             Qt.AlignmentFlag.AlignCenter, _elide(value, 26))
            known = _grad_known(self.grad_of(node))
            painter.setPen(COLOR_GRAD if known else COLOR_MUTED)
            painter.drawText(QRectF(inner.left(), inner.top() + 2 * third, inner.width(), third),
                             Qt.AlignmentFlag.AlignCenter, _elide(grad, 26))

    # --- export ----------------------------------------------------------------------------------
    def render_image(self, max_side: int = 4000) -> QImage:
        """The whole graph (not only the visible part) as an image, at most ``max_side`` pixels wide/high."""
        bounds = self._bounds if not self._bounds.isEmpty() else QRectF(0, 0, 400, 200)
        scale = min(1.5, max_side / bounds.width(), max_side / bounds.height())
        image = QImage(max(1, int(bounds.width() * scale)), max(1, int(bounds.height() * scale)),
                       QImage.Format.Format_ARGB32)
        image.fill(COLOR_BACKGROUND)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        painter.translate(-bounds.left(), -bounds.top())
        self.paint_scene(painter, bounds, max(scale, 1.0))
        painter.end()
        return image

    def export_png(self, path: str | os.PathLike) -> None:
        """Save the whole graph as a PNG image (written atomically)."""
        image = self.render_image()
        atomic_write(path, lambda tmp: _check(image.save(tmp, "PNG"), path))

    def export_svg(self, path: str | os.PathLike) -> None:
        """Save the whole graph as an SVG drawing (written atomically)."""
        from PySide6.QtSvg import QSvgGenerator

        bounds = self._bounds if not self._bounds.isEmpty() else QRectF(0, 0, 400, 200)

        def write(tmp: str) -> None:
            generator = QSvgGenerator()
            generator.setFileName(tmp)
            generator.setSize(QSize(int(bounds.width()), int(bounds.height())))
            generator.setViewBox(QRectF(0, 0, bounds.width(), bounds.height()))
            generator.setTitle("Computation graph")
            generator.setDescription("Drawn by the PyTorch Mini graph explorer")
            painter = QPainter()
            if not painter.begin(generator):
                raise OSError(f"could not write an SVG file at {os.fspath(path)!r}")
            painter.fillRect(QRectF(0, 0, bounds.width(), bounds.height()), COLOR_BACKGROUND)
            painter.translate(-bounds.left(), -bounds.top())
            self.paint_scene(painter, bounds, 1.0)
            painter.end()

        atomic_write(path, write)


def _bezier_segments(starts: np.ndarray, ends: np.ndarray, pieces: int) -> np.ndarray:
    """S-shaped cubic curves (horizontal at both ends) from each start to its end, as N x 4 segments."""
    bend = np.maximum(30.0, (ends[:, 0] - starts[:, 0]) * 0.45)
    control1 = starts.copy()
    control1[:, 0] += bend
    control2 = ends.copy()
    control2[:, 0] -= bend
    t = np.linspace(0.0, 1.0, pieces + 1)[None, :, None]
    points = ((1 - t) ** 3 * starts[:, None] + 3 * (1 - t) ** 2 * t * control1[:, None]
              + 3 * (1 - t) * t**2 * control2[:, None] + t**3 * ends[:, None])
    return np.concatenate([points[:, :-1], points[:, 1:]], axis=2).reshape(-1, 4)


class _LineArray:
    """Line segments (N x 4 array: x1, y1, x2, y2) drawn with one ``QPainter.drawLines`` call.

    Uses pyqtgraph's numpy-backed QLineF array when available (no Python object per line);
    otherwise falls back to a list of QLineF.
    """

    def __init__(self, segments: np.ndarray):
        self.count = len(segments)
        try:
            from pyqtgraph.Qt.internals import PrimitiveArray

            array = PrimitiveArray(QLineF, 4)
            array.resize(self.count)
            if self.count:
                array.ndarray()[:] = segments
            self._array = array  # drawargs() points into this buffer: keep it alive
            self._args: tuple = array.drawargs()
        except (ImportError, AttributeError, TypeError):
            self._args = ([QLineF(*row) for row in segments.tolist()],)

    def draw(self, painter: QPainter) -> None:
        if self.count:
            painter.drawLines(*self._args)


def _range_text(value: Any) -> str:
    """An array in a few characters: its value if it has one element, else [min, max]."""
    if value is None:
        return "?"
    array = np.asarray(value, dtype=float)
    if array.size == 1:
        return f"{float(array.reshape(-1)[0]):.4g}"
    if array.size == 0:
        return "[]"
    return f"[{array.min():.3g}, {array.max():.3g}]"


def _full(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(float(value))
    if hasattr(value, "shape"):
        with np.printoptions(precision=17, threshold=50):
            return "\n" + str(np.asarray(value))
    return str(value)


def _elide(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check(ok: bool, path: Any) -> None:
    if not ok:
        raise OSError(f"could not write an image at {os.fspath(path)!r}")


def make_export_button(on_export: Callable[[str], None]) -> QToolButton:
    """The "Export…" menu both explorer views share: the view as PNG/SVG, the graph as GraphML/DOT."""
    button = QToolButton()
    button.setText("Export…")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    for text, kind in (("View as PNG…", "png"), ("View as SVG…", "svg"),
                       ("Graph as GraphML…", "graphml"), ("Graph as DOT…", "dot")):
        menu.addAction(text, lambda k=kind: on_export(k))
    button.setMenu(menu)
    return button


__all__ = ["GraphCanvas", "make_export_button", "NODE_WIDTH", "NODE_HEIGHT", "LAYER_GAP", "ROW_GAP"]
