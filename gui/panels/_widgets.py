"""Small helpers shared by the form panels."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QVBoxLayout, QWidget


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
