"""Small helpers shared by the form panels."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLayout,
    QLayoutItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


def caption(text: str) -> QLabel:
    """A small upper-case heading, as the TensorFlow Playground labels its controls."""
    label = QLabel(text.upper())
    label.setObjectName("caption")
    return label


def section_title(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("sectionTitle")
    return label


def labelled(text: str, widget: QWidget, tooltip: str) -> QWidget:
    """``widget`` with a caption above it; the tooltip goes on both."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    label = caption(text)
    label.setToolTip(tooltip)
    label.setBuddy(widget)
    widget.setToolTip(tooltip)
    layout.addWidget(label)
    layout.addWidget(widget)
    layout.setAlignment(Qt.AlignmentFlag.AlignTop)
    return box


def show_value(spin: QSpinBox | QDoubleSpinBox, value: float) -> None:
    """Show ``value`` exactly, widening the box's range when a file holds a value beyond it.

    A spin box would clamp it, and the next edit would then silently change the model.
    """
    if value < spin.minimum():
        spin.setMinimum(value)
    if value > spin.maximum():
        spin.setMaximum(value)
    spin.setValue(value)


def fill_combo(combo: QComboBox, items: Iterable[tuple[str, str]]) -> None:
    """Fill a combo with (value, shown text) pairs; the value goes in the item data."""
    combo.clear()
    for value, text in items:
        combo.addItem(text, value)


def select_data(combo: QComboBox, value: object) -> bool:
    """Select the item whose data is ``value``; False when there is none."""
    index = combo.findData(value)
    if index < 0:
        return False
    combo.setCurrentIndex(index)
    return True


def set_item_enabled(combo: QComboBox, value: object, enabled: bool, reason: str = "") -> None:
    """Grey out one combo item (and say why in its tooltip) without removing it."""
    index = combo.findData(value)
    if index < 0:
        return
    item = combo.model().item(index)  # QStandardItemModel for a plain QComboBox
    if item is None:
        return
    item.setEnabled(enabled)
    item.setToolTip("" if enabled else reason)


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps to a new row when the width runs out.

    A narrow window gets a taller top bar instead of clipped labels (Qt's flow-layout example).
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 12, row_spacing: int = 6):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._row_spacing = row_spacing

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, row_height = area.x(), area.y(), 0
        rows: list[list[tuple[QLayoutItem, int]]] = [[]]
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and row_height > 0:
                x, y, row_height = area.x(), y + row_height + self._row_spacing, 0
                rows.append([])
            rows[-1].append((item, y))
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        if move:  # centre each item vertically in its row
            for row in rows:
                height = max((item.sizeHint().height() for item, _ in row), default=0)
                for item, top in row:
                    geometry = item.geometry()
                    geometry.moveTop(top + (height - item.sizeHint().height()) // 2)
                    item.setGeometry(geometry)
        return y + row_height - rect.y() + margins.bottom()
