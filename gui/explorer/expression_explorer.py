"""The "Expression explorer" tab: type an expression, see its graph, step through backward.

The expression is checked by `minitorch.expression.parse` (an `ast` whitelist, never eval),
evaluated with the scalar engine, turned into a graph by `minitorch.graph`, and drawn by
`GraphCanvas`. Backward is replayed one node at a time by `minitorch.graph.BackwardStepper`
so the chain rule can be followed by eye; "Verify with PyTorch" recomputes everything with
torch float64 (imported only when the button is pressed).
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Hashable

import networkx as nx
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from minitorch.errors import MinitorchError
from minitorch.expression import Expression, ExpressionError, parse, verify_with_torch
from minitorch.graph import (
    BackwardStep,
    BackwardStepper,
    layered_layout_with_routes,
    node_caption,
    to_networkx,
    write_dot,
)
from minitorch.graph import write_graphml as _write_graphml

from .canvas import GraphCanvas, make_export_button

EXAMPLES = (
    "tanh(w1*x1 + w2*x2 + b)",
    "(x**2 + y).relu()",
    "exp(z) / (z + 1)",
    "sigmoid(a * b - c) * log(a)",
    "x * x + x.tanh() - 3 / x",
)

# micrograd's classic neuron, so the first graph a person sees is a familiar one
DEFAULT_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432,
                  "x": 1.5, "y": -0.5, "z": 0.7, "a": 2.0, "c": 0.5}
NEW_VARIABLE_VALUE = 1.0
TYPING_PAUSE_MS = 350  # the graph is rebuilt once typing has paused this long
ECHO_CHARS = 60  # at most this much of the expression is echoed under a syntax error


def echo_window(source: str, column: int, width: int = ECHO_CHARS) -> tuple[str, int]:
    """The part of ``source`` around 1-based ``column`` to echo (elided with …), and the caret's offset in it."""
    index = max(0, column - 1)
    if len(source) <= width:
        return source, index
    start = min(max(0, index - width // 2), len(source) - width)
    piece = source[start:start + width]
    caret = index - start
    if start > 0:
        piece, caret = "…" + piece[1:], caret
    if start + width < len(source):
        piece = piece[:-1] + "…"
    return piece, caret
DIFFERENCE_OK = 1e-9  # largest |ours - torch| still called "agrees"


class ExpressionExplorer(QWidget):
    """Expression playground: editor, variable table, graph view, step-by-step backward, verify."""

    graphChanged = Signal()

    def __init__(self, parent: QWidget | None = None, expression: str = EXAMPLES[0]):
        super().__init__(parent)
        self.expression: Expression | None = None
        self.graph: nx.DiGraph = nx.DiGraph()
        self.stepper: BackwardStepper | None = None
        self.values: dict[str, float] = {}
        self._updating_table = False
        self._build_ui()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._play_tick)
        self.expression_edit.setText(expression)
        self.rebuild()

    # --- UI --------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.expression_edit = QLineEdit()
        self.expression_edit.setPlaceholderText("an expression such as tanh(w1*x1 + w2*x2 + b)")
        self.expression_edit.setToolTip(
            "Numbers, variable names, + - * / **, and exp log relu tanh sigmoid leaky_relu\n"
            "as functions, tanh(x), or as methods, x.tanh()"
        )
        font = self.expression_edit.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.expression_edit.setFont(font)
        # The graph follows the text after a pause in typing: half-typed words ("tan" on the
        # way to "tanh(") never replace the last graph.
        self._typing_timer = QTimer(self)
        self._typing_timer.setSingleShot(True)
        self._typing_timer.setInterval(TYPING_PAUSE_MS)
        self._typing_timer.timeout.connect(self.rebuild)
        self.expression_edit.textChanged.connect(self._typing_timer.start)
        self.expression_edit.returnPressed.connect(self.rebuild)
        self.examples = QComboBox()
        self.examples.addItem("Examples…")
        self.examples.addItems(EXAMPLES)
        self.examples.activated.connect(self._choose_example)
        top = QHBoxLayout()
        top.addWidget(QLabel("f ="))
        top.addWidget(self.expression_edit, 1)
        top.addWidget(self.examples)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        # However long the message, the label never asks for more width (the window keeps its size).
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error_label.setMinimumWidth(1)
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # left column: variables, backward controls, verification, export
        self.variables_table = QTableWidget(0, 2)
        self.variables_table.setHorizontalHeaderLabels(["variable", "value"])
        self.variables_table.verticalHeader().setVisible(False)
        self.variables_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.variables_table.itemChanged.connect(self._value_edited)
        variables_box = QGroupBox("Variables (double-click a value to edit)")
        vb = QVBoxLayout(variables_box)
        vb.addWidget(self.variables_table)

        self.step_button = QPushButton("Step ▶|")
        self.step_button.setToolTip("Process the next node of the backward pass")
        self.play_button = QPushButton("Play ▶")
        self.play_button.setCheckable(True)
        self.reset_button = QPushButton("Reset ⟲")
        self.finish_button = QPushButton("Finish")
        self.step_button.clicked.connect(self.step)
        self.play_button.toggled.connect(self._set_playing)
        self.reset_button.clicked.connect(self.reset_backward)
        self.finish_button.clicked.connect(self.finish_backward)
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(1, 10)
        self.speed_slider.setValue(5)
        self.speed_slider.setToolTip("Playback speed")
        self.speed_slider.valueChanged.connect(self._speed_changed)
        self.progress_label = QLabel()
        backward_box = QGroupBox("Backward, step by step")
        bb = QVBoxLayout(backward_box)
        row = QHBoxLayout()
        for button in (self.step_button, self.play_button, self.reset_button, self.finish_button):
            row.addWidget(button)
        bb.addLayout(row)
        speed_row = QHBoxLayout()
        speed_row.addWidget(QLabel("speed"))
        speed_row.addWidget(self.speed_slider, 1)
        bb.addLayout(speed_row)
        bb.addWidget(self.progress_label)

        self.verify_button = QPushButton("Verify with PyTorch")
        self.verify_button.clicked.connect(self.verify)
        self.verify_table = QTableWidget(0, 4)
        self.verify_table.setHorizontalHeaderLabels(["", "minitorch", "PyTorch", "|difference|"])
        self.verify_table.verticalHeader().setVisible(False)
        self.verify_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verify_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verify_label = QLabel("Compare value and gradients with PyTorch (float64).")
        self.verify_label.setWordWrap(True)
        verify_box = QGroupBox("Check")
        cb = QVBoxLayout(verify_box)
        cb.addWidget(self.verify_button)
        cb.addWidget(self.verify_table)
        cb.addWidget(self.verify_label)

        self.export_button = make_export_button(self._export_dialog)
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(lambda: self.canvas.fit_view())
        view_row = QHBoxLayout()
        view_row.addWidget(self.fit_button)
        view_row.addWidget(self.export_button)
        view_row.addStretch(1)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(variables_box, 2)
        lv.addWidget(backward_box)
        lv.addWidget(verify_box, 2)
        lv.addLayout(view_row)

        self.canvas = GraphCanvas()
        self.explanation_label = QLabel()
        self.explanation_label.setWordWrap(True)
        self.explanation_label.setTextFormat(Qt.TextFormat.RichText)
        self.explanation_label.setMinimumHeight(40)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.canvas, 1)
        rv.addWidget(self.explanation_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 800])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)

    # --- expression and values ------------------------------------------------------------------------
    def set_expression(self, text: str) -> None:
        """Type ``text`` into the expression field (the graph updates at once)."""
        self.expression_edit.setText(text)
        self.rebuild()

    @property
    def typing(self) -> bool:
        """True while the graph waits for a pause in typing."""
        return self._typing_timer.isActive()

    def set_variable(self, name: str, value: float) -> None:
        """Set a variable's value as if typed into the table."""
        for row in range(self.variables_table.rowCount()):
            if self.variables_table.item(row, 0).text() == name:
                self.variables_table.item(row, 1).setText(repr(float(value)))
                return
        raise KeyError(f"no variable named {name!r} in the table")

    def _choose_example(self, index: int) -> None:
        if index > 0:
            self.set_expression(self.examples.itemText(index))
        self.examples.setCurrentIndex(0)

    def _show_error(self, message: str, column: int | None = None) -> None:
        text = html.escape(message)
        if column is not None:
            source, caret = echo_window(self.expression_edit.text(), column)
            pointer = " " * caret + "^"
            text += (f"<pre style='margin:0'>{html.escape(source)}\n{pointer}</pre>")
        self.error_label.setText(f"<span style='color:#c0392b'>⚠ {text}</span>")
        self.error_label.setVisible(True)

    def _clear_error(self) -> None:
        self.error_label.setText("")
        self.error_label.setVisible(False)

    @property
    def error_text(self) -> str:
        """The error message currently shown ('' when the expression is fine)."""
        return html.unescape(_strip_tags(self.error_label.text())).replace("⚠ ", "")

    def rebuild(self) -> None:
        """Parse the text, evaluate with the table's values, lay out and show the graph."""
        self._typing_timer.stop()
        self._set_playing(False)
        text = self.expression_edit.text()
        try:
            expression = parse(text)
        except ExpressionError as err:
            self._show_error(err.message, err.column)
            return
        self.expression = expression
        self._sync_table(expression.variables)
        self._evaluate()

    def _sync_table(self, names: tuple[str, ...]) -> None:
        """One row per variable of the expression; values typed earlier are kept."""
        self._updating_table = True
        try:
            self.variables_table.setRowCount(len(names))
            for row, name in enumerate(names):
                value = self.values.get(name, DEFAULT_VALUES.get(name, NEW_VARIABLE_VALUE))
                self.values[name] = value
                name_item = QTableWidgetItem(name)
                name_item.setFlags(name_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.variables_table.setItem(row, 0, name_item)
                self.variables_table.setItem(row, 1, QTableWidgetItem(repr(value)))
        finally:
            self._updating_table = False

    def _value_edited(self, item: QTableWidgetItem) -> None:
        if self._updating_table or item.column() != 1:
            return
        name = self.variables_table.item(item.row(), 0).text()
        text = item.text().strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self._show_error(f"the value of {name!r} must be a finite number, not {text!r}")
            self._updating_table = True
            item.setText(repr(self.values[name]))
            self._updating_table = False
            return
        self.values[name] = value
        self._evaluate()

    def _evaluate(self) -> None:
        assert self.expression is not None
        try:
            root, _, texts = self.expression.evaluate_traced(self.values)
        # DomainError (log(-1)), DivisionByZeroError, ..., and the float errors of extreme
        # values (1/1e-170 overflows, (-x)**exp(1000)): all become a message in the view.
        except (MinitorchError, ArithmeticError, ValueError) as err:
            self._show_error(f"math error: {err}")
            self.graph = nx.DiGraph()
            self.stepper = None
            self.canvas.set_graph(self.graph, {})
            self.canvas.set_message(f"math error: {err}")
            self._refresh_progress()
            return
        value = getattr(root, "data", 0.0)
        if isinstance(value, float) and not math.isfinite(value):  # the graph is drawn, with a warning
            self._show_error(f"math warning: f = {value}: a value overflowed or is undefined")
        else:
            self._clear_error()
        self.graph = to_networkx(root, attributes={"expr": texts})
        self.stepper = BackwardStepper(self.graph)
        positions, routes = layered_layout_with_routes(self.graph)
        self.canvas.set_graph(self.graph, positions, routes=routes)
        self._clear_verify()
        self._show_backward_state(None)
        self.graphChanged.emit()

    # --- step-by-step backward ------------------------------------------------------------------------
    def step(self) -> BackwardStep | None:
        """Process one node of the backward pass; returns what happened (None when finished)."""
        if self.stepper is None:
            return None
        result = self.stepper.step()
        self._show_backward_state(result)
        if self.stepper.finished:
            self._set_playing(False)
        return result

    def reset_backward(self) -> None:
        self._set_playing(False)
        if self.stepper is not None:
            self.stepper.reset()
        self._show_backward_state(None)

    def finish_backward(self) -> None:
        self._set_playing(False)
        if self.stepper is None:
            return
        last = None
        while not self.stepper.finished:
            last = self.stepper.step()
        self._show_backward_state(last)

    def _set_playing(self, playing: bool) -> None:
        playing = bool(playing) and self.stepper is not None and not self.stepper.finished
        if self.play_button.isChecked() != playing:
            self.play_button.blockSignals(True)
            self.play_button.setChecked(playing)
            self.play_button.blockSignals(False)
        self.play_button.setText("Pause ⏸" if playing else "Play ▶")
        if playing:
            self._timer.start(self._interval_ms())
        else:
            self._timer.stop()

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _interval_ms(self) -> int:
        return int(1600 / self.speed_slider.value())

    def _speed_changed(self) -> None:
        if self._timer.isActive():
            self._timer.setInterval(self._interval_ms())

    def _play_tick(self) -> None:
        self.step()

    def displayed_gradients(self) -> dict[Hashable, float | None]:
        """What each node's box shows as its gradient right now (None = not computed yet)."""
        return {node: self.canvas.grad_of(node) for node in self.graph.nodes}

    def _show_backward_state(self, step: BackwardStep | None) -> None:
        stepper = self.stepper
        if stepper is None:
            return
        shown = {node: (stepper.grads[node] if node in stepper.done else None) for node in self.graph.nodes}
        self.canvas.set_gradients(shown, stepper.done)
        if step is None:
            self.canvas.set_highlight(None)
            self.explanation_label.setText(
                "Press <b>Step</b> to start backpropagation at the output: d(f)/d(f) = 1. "
                "Each step takes the next node in reverse topological order and passes its gradient "
                "to its inputs: input.grad += local derivative × node.grad."
            )
        else:
            self.canvas.set_highlight(step.node, [(source, step.node) for source, _, _ in step.contributions])
            self.explanation_label.setText(self._explain(step))
        self._refresh_progress()

    def _caption(self, node: Hashable) -> str:
        """How the explanation names a node: its source text (``w1*x1``), or a leaf's name."""
        attrs = self.graph.nodes[node]
        text = attrs.get("expr") or node_caption(attrs)
        if len(text) > 40:
            text = text[:39] + "…"
        return html.escape(text)

    def _grad_name(self, node: Hashable) -> str:
        caption = self._caption(node)
        return f"{caption}.grad" if _is_atom(html.unescape(caption)) else f"({caption}).grad"

    def _explain(self, step: BackwardStep) -> str:
        head = f"Step {step.index + 1}: <b>{self._caption(step.node)}</b> has grad <b>{step.grad:.6g}</b>"
        if step.index == 0:
            head += " (the output: d(f)/d(f) = 1)"
        if not step.contributions:
            return head + " — a leaf, nothing further to pass back."
        parts = [
            f"{self._grad_name(source)} += {local:.6g} × {step.grad:.6g} = {added:.6g}"
            for source, local, added in step.contributions
        ]
        return head + " → " + "; ".join(parts)

    def _refresh_progress(self) -> None:
        stepper = self.stepper
        if stepper is None:
            self.progress_label.setText("")
            for button in (self.step_button, self.play_button, self.finish_button, self.reset_button):
                button.setEnabled(False)
            return
        self.progress_label.setText(f"{stepper.position} of {stepper.total_steps} nodes done")
        self.step_button.setEnabled(not stepper.finished)
        self.play_button.setEnabled(not stepper.finished)
        self.finish_button.setEnabled(not stepper.finished)
        self.reset_button.setEnabled(stepper.position > 0)

    # --- verify with PyTorch -------------------------------------------------------------------------
    def _clear_verify(self) -> None:
        self.verify_table.setRowCount(0)
        self.verify_label.setText("Compare value and gradients with PyTorch (float64).")

    def verify(self) -> float | None:
        """Compare with PyTorch; fills the table and returns the largest difference (None on failure)."""
        if self.expression is None or self.stepper is None:
            self.verify_label.setText("Fix the expression first.")
            return None
        try:
            result = verify_with_torch(self.expression, self.values)
        except ImportError as err:
            self.verify_table.setRowCount(0)
            self.verify_label.setText(str(err))
            return None
        except MinitorchError as err:
            self.verify_label.setText(f"math error: {err}")
            return None
        rows = [("value", result.value, result.torch_value)] + [
            (f"∂f/∂{name}", result.gradients[name], result.torch_gradients[name]) for name in result.gradients
        ]
        self.verify_table.setRowCount(len(rows))
        for r, (name, ours, theirs) in enumerate(rows):
            difference = 0.0 if ours == theirs or (math.isnan(ours) and math.isnan(theirs)) else abs(ours - theirs)
            cells = ((name, name), (f"{ours:.8g}", f"{ours!r}"), (f"{theirs:.8g}", f"{theirs!r}"),
                     (f"{difference:.3g}", f"{difference!r}"))
            for c, (text, full) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(full)
                self.verify_table.setItem(r, c, item)
        worst = result.max_abs_difference
        verdict = "agrees with PyTorch" if worst <= DIFFERENCE_OK else "DIFFERS from PyTorch"
        self.verify_label.setText(f"Largest difference: {worst:.3g} — {verdict} (float64).")
        return worst

    # --- export ----------------------------------------------------------------------------------------
    def export_png(self, path: str | os.PathLike) -> None:
        self.canvas.export_png(path)

    def export_svg(self, path: str | os.PathLike) -> None:
        self.canvas.export_svg(path)

    def export_graphml(self, path: str | os.PathLike) -> None:
        _write_graphml(self._graph_as_shown(), path)

    def export_dot(self, path: str | os.PathLike) -> None:
        write_dot(self._graph_as_shown(), path)

    def _graph_as_shown(self) -> nx.DiGraph:
        """The graph with the gradients the view shows: those the backward steps have computed
        so far (none is written for a node not reached yet)."""
        graph = self.graph.copy()
        stepper = self.stepper
        for node, attrs in graph.nodes(data=True):
            done = stepper is not None and node in stepper.done
            attrs["grad"] = float(stepper.grads[node]) if done else None
        return graph

    def _export_dialog(self, kind: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)",
                   "graphml": "GraphML (*.graphml)", "dot": "Graphviz DOT (*.dot *.gv)"}
        path, _ = QFileDialog.getSaveFileName(self, "Export graph", f"graph.{kind}", filters[kind])
        if not path:
            return
        try:
            getattr(self, f"export_{kind}")(path)
        except OSError as err:
            self._show_error(f"could not export: {err}")


def _is_atom(text: str) -> bool:
    """True for text that needs no parentheses before ``.grad``: a name, or one call like ``log(a)``."""
    if text.isidentifier():
        return True
    head, paren, _ = text.partition("(")
    if not paren or not head.isidentifier() or not text.endswith(")"):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and position > len(head) and position < len(text) - 1:
            return False  # the first call closes before the end: "f(a) * g(b)"
    return True


def _strip_tags(text: str) -> str:
    out, inside = [], False
    for ch in text:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)
