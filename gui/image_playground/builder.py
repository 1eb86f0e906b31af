"""The block builder: a conv net as a vertical list of blocks edited with form controls.

Each block shows its settings, the shape it outputs and buttons to move it up or down or
remove it; "+ Add block" inserts a new one after the selected block. Every edit re-checks
the stack with `ModelSpec.output_shapes()` at once, so an impossible stack (a kernel larger
than its input, one pool too many, a Linear before Flatten, the wrong number of outputs)
is explained on the block at fault before training starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from minitorch.activations import ACTIVATIONS
from minitorch.live.image_session import KIND_TITLES, shape_text

ACTIVATION_NAMES = tuple(ACTIVATIONS)
DEFAULT_BLOCKS: dict[str, dict[str, Any]] = {
    "conv2d": {"kind": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 1, "padding": 1},
    "maxpool2d": {"kind": "maxpool2d", "kernel_size": 2},
    "batchnorm2d": {"kind": "batchnorm2d"},
    "activation": {"kind": "activation", "name": "relu"},
    "dropout": {"kind": "dropout", "p": 0.2},
    "flatten": {"kind": "flatten"},
    "linear": {"kind": "linear", "out_features": 32},
}
# (parameter, label, minimum, maximum) of the integer settings of each kind
INT_FIELDS: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    "conv2d": (("out_channels", "ch", 1, 256), ("kernel_size", "k", 1, 15), ("stride", "s", 1, 8),
               ("padding", "pad", 0, 8)),
    "maxpool2d": (("kernel_size", "size", 1, 8),),
    "linear": (("out_features", "out", 1, 4096),),
}
FIELD_TIPS = {"out_channels": "output channels (filters)", "kernel_size": "kernel size (pixels)", "stride": "stride",
              "padding": "zero padding on each side", "out_features": "output features"}
ERROR_STYLE = "color: #b3261e;"
_LAYER_NUMBER = re.compile(r"^Layer (\d+)\b")


class BlockRow(QFrame):
    """One block: its kind, settings, output shape, ▲ ▼ − buttons and an inline error."""

    edited = Signal()
    moveRequested = Signal(object, int)  # (row, -1 or +1)
    removeRequested = Signal(object)
    selected = Signal(object)

    def __init__(self, layer: Mapping[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("blockRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.kind = str(layer["kind"])
        self.editors: dict[str, QWidget] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 3, 6, 3)
        outer.setSpacing(1)
        row = QHBoxLayout()
        row.setSpacing(4)
        outer.addLayout(row)
        self.title = QLabel(f"<b>{KIND_TITLES.get(self.kind, self.kind)}</b>")
        self.title.setMinimumWidth(80)
        row.addWidget(self.title)
        for name, label, low, high in INT_FIELDS.get(self.kind, ()):
            box = QSpinBox()
            box.setRange(low, high)
            box.setValue(int(layer.get(name, DEFAULT_BLOCKS[self.kind].get(name, low)) or low))
            box.setToolTip(FIELD_TIPS.get(name, label))
            box.setPrefix(f"{label} ")
            box.setMaximumWidth(56 if self.kind == "conv2d" else 90)
            box.valueChanged.connect(self.edited)
            self.editors[name] = box
            row.addWidget(box)
        if self.kind == "activation":
            combo = QComboBox()
            combo.addItems(ACTIVATION_NAMES)
            name = str(layer.get("name", "relu"))
            if combo.findText(name) < 0:
                combo.addItem(name)
            combo.setCurrentText(name)
            combo.currentTextChanged.connect(self.edited)
            self.editors["name"] = combo
            row.addWidget(combo)
        if self.kind == "dropout":
            box = QDoubleSpinBox()
            box.setRange(0.0, 0.95)
            box.setSingleStep(0.05)
            box.setPrefix("p ")
            box.setValue(float(layer.get("p", 0.5)))
            box.valueChanged.connect(self.edited)
            self.editors["p"] = box
            row.addWidget(box)
        row.addStretch(1)
        self.shape_label = QLabel("")
        self.shape_label.setMinimumWidth(62)
        self.shape_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.shape_label.setToolTip("the shape this block outputs (channels × height × width)")
        row.addWidget(self.shape_label)
        self.up_button = self._button("▲", "Move this block up", lambda: self.moveRequested.emit(self, -1))
        self.down_button = self._button("▼", "Move this block down", lambda: self.moveRequested.emit(self, +1))
        self.remove_button = self._button("−", "Remove this block", lambda: self.removeRequested.emit(self))
        for button in (self.up_button, self.down_button, self.remove_button):
            row.addWidget(button)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        outer.addWidget(self.error_label)

    def _button(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setFixedWidth(20)
        button.clicked.connect(slot)
        return button

    def mousePressEvent(self, event: Any) -> None:
        self.selected.emit(self)
        super().mousePressEvent(event)

    def layer(self) -> dict[str, Any]:
        """The block as a layer dict."""
        values: dict[str, Any] = {"kind": self.kind}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                values[name] = editor.currentText()
            elif isinstance(editor, QDoubleSpinBox):
                values[name] = round(float(editor.value()), 4)
            else:
                values[name] = int(editor.value())
        return values

    def set_state(self, shape: tuple[int, ...] | None, error: str | None, is_selected: bool) -> None:
        self.shape_label.setText(shape_text(shape) if shape is not None else "—")
        self.error_label.setText(error or "")
        self.error_label.setVisible(bool(error))
        self.setProperty("selectedBlock", is_selected)
        self.setStyleSheet("#blockRow { border: 1px solid %s; }" % ("#b3261e" if error else
                                                                    "#1a73e8" if is_selected else "#c8c8c8"))


class BlockBuilder(QWidget):
    """The layer list with presets, + / − / reorder, live shapes, parameter count and inline errors."""

    changed = Signal()  # the layer list changed (valid or not)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.input_shape: tuple[int, int, int] = (1, 8, 8)
        self.num_classes = 10
        self.rows: list[BlockRow] = []
        self.selected_index: int | None = None
        self.error: str | None = None
        self.shapes: list[tuple[int, ...]] = []
        self.parameter_count: int | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preset"))
        from minitorch.training.image_trainer import PRESETS

        self.preset_combo = QComboBox()
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.setToolTip("Replace the blocks with a ready-made network")
        self.preset_combo.activated.connect(lambda _i: self.apply_preset(self.preset_combo.currentText()))
        top.addWidget(self.preset_combo, 1)
        self.add_button = QToolButton()
        self.add_button.setText("+ Add block")
        self.add_button.setToolTip("Insert a block after the selected one (or at the end)")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind, title in KIND_TITLES.items():
            menu.addAction(title, lambda k=kind: self.add_block(k))
        self.add_button.setMenu(menu)
        top.addWidget(self.add_button)
        layout.addLayout(top)

        self.input_label = QLabel("")
        layout.addWidget(self.input_label)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.setSpacing(3)
        self._list_layout.addStretch(1)
        scroll = _RowsScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout.addWidget(scroll, 1)
        self.summary_label = QLabel("")
        layout.addWidget(self.summary_label)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.error_label)

    # --- editing ----------------------------------------------------------------------------------------
    def set_input(self, input_shape: Sequence[int], num_classes: int) -> None:
        """The data's image shape (C, H, W) and class count; shapes and errors are re-checked."""
        self.input_shape = tuple(int(s) for s in input_shape)  # type: ignore[assignment]
        self.num_classes = int(num_classes)
        self._update()

    def set_layers(self, layers: Sequence[Mapping[str, Any]]) -> None:
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        self.selected_index = None
        for layer in layers:
            self._insert_row(len(self.rows), layer)
        self._update()
        self.changed.emit()

    def layers(self) -> list[dict[str, Any]]:
        return [row.layer() for row in self.rows]

    def apply_preset(self, name: str) -> None:
        from minitorch.training.image_trainer import preset_layers

        self.preset_combo.setCurrentText(name)
        self.set_layers(preset_layers(name, self.num_classes))

    def add_block(self, kind: str, index: int | None = None) -> None:
        """Insert a block of ``kind`` at ``index`` (default: after the selected block, or at the end)."""
        if index is None:
            index = len(self.rows) if self.selected_index is None else self.selected_index + 1
        index = max(0, min(int(index), len(self.rows)))
        self._insert_row(index, DEFAULT_BLOCKS[kind])
        self.selected_index = index
        self._edited()

    def remove_block(self, index: int) -> None:
        row = self.rows.pop(index)
        row.setParent(None)
        row.deleteLater()
        if self.selected_index is not None:
            self.selected_index = None if not self.rows else min(self.selected_index, len(self.rows) - 1)
        self._edited()

    def move_block(self, index: int, delta: int) -> None:
        target = index + delta
        if not 0 <= target < len(self.rows) or index == target:
            return
        row = self.rows.pop(index)
        self.rows.insert(target, row)
        self._list_layout.removeWidget(row)
        self._list_layout.insertWidget(target, row)
        self.selected_index = target
        self._edited()

    def _insert_row(self, index: int, layer: Mapping[str, Any]) -> BlockRow:
        row = BlockRow(layer)
        row.edited.connect(self._edited)
        row.moveRequested.connect(lambda r, d: self.move_block(self.rows.index(r), d))
        row.removeRequested.connect(lambda r: self.remove_block(self.rows.index(r)))
        row.selected.connect(self._select)
        self.rows.insert(index, row)
        self._list_layout.insertWidget(index, row)
        return row

    def _select(self, row: BlockRow) -> None:
        self.selected_index = self.rows.index(row)
        self._update()

    def _edited(self) -> None:
        self._update()
        self.changed.emit()

    # --- checking -------------------------------------------------------------------------------------------
    def _update(self) -> None:
        """Re-check the stack: shapes after each block, the parameter count, the first problem."""
        from minitorch.architecture import ArchitectureError, LayerSpec, ModelSpec
        from minitorch.training.image_trainer import check_spec

        self.input_label.setText(f"Input: {shape_text(self.input_shape)} images, {self.num_classes} classes")
        self.shapes, self.error, self.parameter_count = [], None, None
        error_row = None
        if not self.rows:
            self.error = "Add at least one block (the last one a Linear with one output per class)."
        else:
            layers = self.layers()
            try:
                spec = ModelSpec(input_shape=self.input_shape, layers=tuple(LayerSpec.from_dict(x) for x in layers))
                self.shapes = spec.output_shapes()
                self.parameter_count = spec.num_parameters()
                check_spec(spec, self.num_classes)
            except (ArchitectureError, ValueError) as exc:
                self.error = str(exc)
                match = _LAYER_NUMBER.match(self.error)
                error_row = int(match.group(1)) - 1 if match else len(self.rows) - 1
                if match:  # the shapes before the bad block still show
                    self.parameter_count = None
                    try:
                        partial = ModelSpec(input_shape=self.input_shape,
                                            layers=tuple(LayerSpec.from_dict(x) for x in layers[:error_row]))
                        self.shapes = partial.output_shapes() if error_row else []
                    except (ArchitectureError, ValueError):
                        self.shapes = []
        for index, row in enumerate(self.rows):
            shape = self.shapes[index] if index < len(self.shapes) else None
            row.set_state(shape, self.error if index == error_row else None, index == self.selected_index)
            row.up_button.setEnabled(index > 0)
            row.down_button.setEnabled(index < len(self.rows) - 1)
        if self.parameter_count is not None and self.shapes:
            self.summary_label.setText(f"{len(self.rows)} blocks · {self.parameter_count:,} parameters · "
                                       f"output {shape_text(self.shapes[-1])}")
        else:
            self.summary_label.setText(f"{len(self.rows)} blocks")
        self.error_label.setText(self.error or "")
        self.error_label.setVisible(bool(self.error))

    @property
    def shape_texts(self) -> list[str]:
        """What each block's shape label shows (for tests and screenshots)."""
        return [row.shape_label.text() for row in self.rows]


class _RowsScrollArea(QScrollArea):
    """Scrolls the block rows vertically only, so it is never narrower than a row plus its scroll bar
    (otherwise the ▲ ▼ − buttons are cut off once the list is taller than the panel)."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        rows = self.widget()
        if rows is not None:
            hint.setWidth(rows.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                          + 2 * self.frameWidth())
        return hint
