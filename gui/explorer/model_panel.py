"""The "Model graph" tab: the computation graph of the current network for one sample.

`ModelGraphPanel.update_model(config, state_dict, sample)` may be called several times a
second while training runs. The graph is built and laid out on a worker thread; while one
build runs, only the newest request waits (older ones are dropped), so the window never
freezes and never falls behind. Each neuron is one box until it is clicked.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import networkx as nx
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from minitorch.graph import write_dot, write_graphml
from minitorch.model_graph import (
    MAX_SCALAR_NODES,
    ModelRequest,
    ModelView,
    build_model_view,
    model_request,
    relayout,
)

from .canvas import GraphCanvas, make_export_button

#: Expanding or collapsing a graph bigger than this is done on the worker thread.
SYNC_RELAYOUT_NODES = 3_000


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(int, str)


class _BuildJob(QRunnable):
    def __init__(self, request: ModelRequest, signals: _Signals):
        super().__init__()
        self.request = request
        self.signals = signals  # kept alive by this job even if the panel goes away first

    def run(self) -> None:
        try:
            view = build_model_view(self.request)
        except Exception as err:  # any failure becomes a message in the panel, never a crash
            self.signals.failed.emit(self.request.token, str(err))
            return
        self.signals.done.emit(view)


class ModelGraphPanel(QWidget):
    """Shows the network's forward graph for one sample; call `update_model` with each snapshot."""

    viewChanged = Signal()
    sampleChanged = Signal(int)  # the user picked another training sample to forward

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._signals = _Signals()
        self._signals.done.connect(self._build_done)
        self._signals.failed.connect(self._build_failed)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._token = 0
        self._running = False
        self._pending: ModelRequest | None = None
        self._last_request: ModelRequest | None = None
        self.expanded: set[str] = set()
        self.view: ModelView | None = None
        self.error: str = ""

        self.status_label = QLabel("No model yet: start training or load a network.")
        self.status_label.setWordWrap(True)
        self.expand_all_button = QPushButton("Expand all")
        self.collapse_all_button = QPushButton("Collapse all")
        self.fit_button = QPushButton("Fit")
        self.expand_all_button.clicked.connect(self.expand_all)
        self.collapse_all_button.clicked.connect(self.collapse_all)
        self.export_button = make_export_button(self._export_dialog)
        self.canvas = GraphCanvas()
        self.canvas.readable_first_view = True  # a network's boxes are many: start readable, drag for the rest
        self.canvas.set_message("No model yet")
        self.canvas.nodeClicked.connect(self.toggle_node)
        self.fit_button.clicked.connect(self.canvas.fit_view)
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(0, 0)
        self.sample_spin.setPrefix("sample #")
        self.sample_spin.setToolTip("Which training sample's forward pass to draw")
        self.sample_spin.valueChanged.connect(self.sampleChanged.emit)

        row = QHBoxLayout()
        row.addWidget(self.sample_spin)
        row.addWidget(self.expand_all_button)
        row.addWidget(self.collapse_all_button)
        row.addWidget(self.fit_button)
        row.addWidget(self.export_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.canvas, 1)

    # --- the chosen sample --------------------------------------------------------------------------------
    @property
    def sample_index(self) -> int:
        return self.sample_spin.value()

    def set_sample_count(self, count: int) -> None:
        """Let the user pick among ``count`` samples (keeps the current pick when it still exists)."""
        top = max(0, int(count) - 1)
        if self.sample_spin.maximum() != top:
            self.sample_spin.blockSignals(True)
            self.sample_spin.setMaximum(top)
            self.sample_spin.blockSignals(False)

    # --- requests -------------------------------------------------------------------------------------
    def update_model(self, config: Any, state_dict: Mapping[str, Any], sample: Sequence[float] | None) -> None:
        """Draw ``config``'s network with ``state_dict``'s weights, forwarding ``sample``.

        Returns at once; the graph appears when the worker is done. Calls arriving while a build
        runs replace each other, so only the newest is built next.
        """
        try:
            request = self._make_request(config, state_dict, sample)
        except (TypeError, ValueError) as err:
            self._build_failed(-1, str(err))
            return
        self._last_request = request
        self._pending = request
        self._start_next()

    def _make_request(self, config: Any, state_dict: Mapping[str, Any], sample: Sequence[float] | None) -> ModelRequest:
        request = model_request(config, state_dict, sample, token=self._token + 1, expanded=frozenset(self.expanded))
        self._token += 1
        return request

    def _start_next(self) -> None:
        if self._running or self._pending is None:
            return
        request, self._pending = self._pending, None
        self._running = True
        self._pool.start(_BuildJob(request, self._signals))

    @property
    def busy(self) -> bool:
        """True while a build runs or waits."""
        return self._running or self._pending is not None

    def wait_until_idle(self, timeout_ms: int = 10_000) -> bool:
        """Block until no build is left (for scripts and tests); returns False on timeout."""
        from PySide6.QtCore import QCoreApplication, QElapsedTimer

        clock = QElapsedTimer()
        clock.start()
        while self.busy and clock.elapsed() < timeout_ms:
            self._pool.waitForDone(20)
            QCoreApplication.processEvents()
        return not self.busy

    def _build_done(self, view: ModelView) -> None:
        self._running = False
        if view.token >= (self.view.token if self.view else -1):
            self._show(view)
        self._start_next()

    def _build_failed(self, token: int, message: str) -> None:
        if token >= 0:
            self._running = False
        self.error = message
        self.status_label.setText(f"<span style='color:#c0392b'>⚠ cannot draw the model: {message}</span>")
        if self.view is None:
            self.canvas.set_message(message)
        self._start_next()

    def _show(self, view: ModelView) -> None:
        same_nodes = self.view is not None and set(self.view.shown.nodes) == set(view.shown.nodes)
        self.view = view
        self.error = ""
        self.status_label.setText(view.description)
        self.canvas.set_graph(view.shown, view.positions, fit=not same_nodes, routes=view.routes)
        self.viewChanged.emit()

    # --- expand / collapse -----------------------------------------------------------------------------
    def toggle_node(self, node: Hashable) -> None:
        """Expand a collapsed neuron, or collapse the neuron an expanded node belongs to."""
        if self.view is None:
            return
        attrs = self.view.shown.nodes[node]
        if attrs.get("kind") == "group":
            self.expanded.add(str(node)[len("group:"):])
        elif attrs.get("group") is not None:
            self.expanded.discard(attrs["group"])
        else:
            return
        self._relayout()

    def expand_all(self) -> None:
        if self.view is not None:
            self.expanded = {g for _, g in self.view.full.nodes(data="group") if g is not None}
            self._relayout()

    def collapse_all(self) -> None:
        self.expanded = set()
        self._relayout()

    def _relayout(self) -> None:
        """Re-collapse the cached full graph with the new expanded set.

        Small graphs are redone at once (a few milliseconds); big ones go to the worker thread,
        like an update, so expanding thousands of nodes never freezes the window.
        """
        if self.view is None:
            return
        full = self.view.full
        if full.number_of_nodes() > SYNC_RELAYOUT_NODES and self._last_request is not None:
            self._token += 1
            self._pending = dataclasses.replace(
                self._last_request, token=self._token, expanded=frozenset(self.expanded)
            )
            self.status_label.setText("laying out…")
            self._start_next()
            return
        view = relayout(self.view, self.expanded)
        self.view = None  # force a fit: the set of boxes changed
        self._show(view)

    # --- export ------------------------------------------------------------------------------------------
    def export_png(self, path: str | os.PathLike) -> None:
        self.canvas.export_png(path)

    def export_svg(self, path: str | os.PathLike) -> None:
        self.canvas.export_svg(path)

    def export_graphml(self, path: str | os.PathLike) -> None:
        """The full graph (every scalar node), whatever is collapsed on screen."""
        write_graphml(self.view.full if self.view else nx.DiGraph(), path)

    def export_dot(self, path: str | os.PathLike) -> None:
        write_dot(self.view.shown if self.view else nx.DiGraph(), path, name="model")

    def _export_dialog(self, kind: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)",
                   "graphml": "GraphML (*.graphml)", "dot": "Graphviz DOT (*.dot *.gv)"}
        path, _ = QFileDialog.getSaveFileName(self, "Export model graph", f"model.{kind}", filters[kind])
        if path:
            try:
                getattr(self, f"export_{kind}")(path)
            except OSError as err:
                self.status_label.setText(f"could not export: {err}")


__all__ = ["ModelGraphPanel", "MAX_SCALAR_NODES"]
