"""The DATA column: which data set, how many points, noise, train/test split, seed."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ._widgets import labelled, section_title, select_data, show_value

# Shown names of the data sets the training toolkit generates (minitorch.datasets.DATASETS).
DATASET_TITLES = {
    "moons": "Two moons",
    "circles": "Circles",
    "xor": "XOR",
    "gaussians": "Two Gaussians",
    "spiral": "Spiral",
    "spiral3": "Spiral, 3 classes",
    "plane": "Plane (regression)",
    "multi_gaussian": "Multi-Gaussian (regression)",
    "sine": "Sine wave (1-D regression)",
    "iris": "Iris (4 features, 3 classes)",
    "wine": "Wine (13 features, 3 classes)",
    "breast_cancer": "Breast cancer (30 features)",
    "digits": "Digits (64 features, 10 classes)",
    "diabetes": "Diabetes (regression)",
    "csv": "Your CSV file…",
}
# Data sets from files or scikit-learn: their size and noise are fixed.
FIXED_DATASETS = {"csv", "iris", "wine", "breast_cancer", "digits", "diabetes"}


def available_datasets() -> list[str]:
    """Names from minitorch.datasets, in its order, with "csv" last."""
    from minitorch.datasets import DATASETS

    names = list(DATASETS.keys() if hasattr(DATASETS, "keys") else DATASETS)
    if "csv" not in names:
        names.append("csv")
    return names


def _whole(value: Any) -> int:
    """An integer field of a config; ValueError for anything else (a float, a bool, text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


class SeedEdit(QLineEdit):
    """A non-negative whole number of any size (a seed from a file may exceed a spin box's 32 bits)."""

    valueChanged = Signal(object)  # an int of any size (None: empty, where allowed)

    def __init__(self, parent: QWidget | None = None, allow_empty: bool = False):
        super().__init__("" if allow_empty else "0", parent)
        self.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,30}"), self))
        self.allow_empty = allow_empty
        self._value: int | None = None if allow_empty else 0
        self.editingFinished.connect(self._commit)

    def value(self) -> int | None:
        return self._value

    def setValue(self, value: int | None) -> None:
        if value is None and not self.allow_empty:
            value = 0
        value = None if value is None else max(0, int(value))
        self.setText("" if value is None else str(value))
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def _commit(self) -> None:
        text = self.text().strip()
        self.setValue(int(text) if text else (None if self.allow_empty else self._value))


class DataPanel(QWidget):
    """Form for the data fields of the TrainConfig; emits ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("column")
        self.csv_path: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(10)
        layout.addWidget(section_title("Data"))

        self.dataset = QComboBox()
        self.dataset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset.setMinimumContentsLength(12)
        for name in available_datasets():
            self.dataset.addItem(DATASET_TITLES.get(name, name.replace("_", " ").title()), name)
        layout.addWidget(
            labelled("Which dataset?", self.dataset, "The data set to learn. Pick 'Your CSV file…' to load your own.")
        )

        self.open_csv = QPushButton("Open CSV…")
        self.open_csv.setToolTip("Load your own data: a CSV file with a header row; one column is the label")
        self.csv_label = QLabel("no file")
        self.csv_label.setObjectName("hint")
        self.csv_label.setWordWrap(True)
        self.label_column = QLineEdit()
        self.label_column.setPlaceholderText("last column")
        csv_row = QHBoxLayout()
        csv_row.addWidget(self.open_csv)
        csv_row.addWidget(self.csv_label, 1)
        layout.addLayout(csv_row)
        self.label_box = labelled(
            "Label column", self.label_column, "The CSV column holding the target (empty: the last column)"
        )
        layout.addWidget(self.label_box)

        self.test_percent = QSpinBox()
        self.test_percent.setRange(10, 90)
        self.test_percent.setSingleStep(5)
        self.test_percent.setSuffix(" %")
        self.test_percent.setValue(30)
        layout.addWidget(labelled("Test data", self.test_percent, "Share of the points held out to test the model"))

        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 2.0)
        self.noise.setDecimals(2)
        self.noise.setSingleStep(0.05)
        self.noise.setValue(0.1)
        layout.addWidget(labelled("Noise", self.noise, "How much random noise is added to the generated points"))

        self.n_samples = QSpinBox()
        self.n_samples.setRange(10, 5000)
        self.n_samples.setSingleStep(50)
        self.n_samples.setValue(200)
        layout.addWidget(labelled("Points", self.n_samples, "How many points to generate (train + test)"))

        self.seed = SeedEdit()
        self.seed.setMaximumWidth(110)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw new data and new initial weights (the seed goes up by one)")
        seed_row = QHBoxLayout()
        seed_row.setSpacing(6)
        seed_row.addWidget(labelled("Seed", self.seed, "Random seed: the same seed gives the same data and weights"))
        seed_row.addWidget(self.regenerate, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(seed_row)
        self.init_seed = SeedEdit(allow_empty=True)
        self.init_seed.setPlaceholderText("as the seed")
        self.init_seed.setMaximumWidth(110)
        layout.addWidget(labelled("Weights seed", self.init_seed,
                                  "Seed of the initial weights alone (empty: the seed above). Reset (R) draws "
                                  "new weights by moving it on by one; type a number to repeat a run."))

        self._last_index = self.dataset.currentIndex()
        self.dataset.currentIndexChanged.connect(self._on_dataset)
        self.open_csv.clicked.connect(self.choose_csv)
        self.label_column.editingFinished.connect(self.changed)
        for spin in (self.test_percent, self.n_samples, self.seed, self.init_seed):
            spin.valueChanged.connect(self.changed)
        self.noise.valueChanged.connect(self.changed)
        self.regenerate.clicked.connect(self.regenerate_data)
        self._update_enabled()

    # --- values ------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        name = self.dataset.currentData()
        return {
            "dataset": name,
            "n_samples": self.n_samples.value(),
            "noise": round(self.noise.value(), 4),
            "test_fraction": self.test_percent.value() / 100.0,
            "seed": self.seed.value(),
            "init_seed": self.init_seed.value(),
            "csv_path": self.csv_path if name == "csv" else None,
            "label_column": (self.label_column.text().strip() or None) if name == "csv" else None,
        }

    def set_values(self, config: dict[str, Any]) -> None:
        """Show a config's data fields (signals blocked: this is not a user edit)."""
        widgets = (self.dataset, self.n_samples, self.noise, self.test_percent, self.seed, self.init_seed,
                   self.label_column)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if config.get("csv_path"):
                self.csv_path = str(config["csv_path"])
                self.csv_label.setText(os.path.basename(self.csv_path))
            select_data(self.dataset, config.get("dataset", "moons"))
            self._last_index = self.dataset.currentIndex()
            show_value(self.n_samples, _whole(config.get("n_samples", 200)))
            show_value(self.noise, float(config.get("noise", 0.1)))
            show_value(self.test_percent, round(float(config.get("test_fraction", 0.3)) * 100))
            self.seed.setValue(_whole(config.get("seed", 0)))
            init_seed = config.get("init_seed")
            self.init_seed.setValue(None if init_seed is None else _whole(init_seed))
            self.label_column.setText(str(config.get("label_column") or ""))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._update_enabled()

    # --- interaction ---------------------------------------------------------------------------
    def regenerate_data(self) -> None:
        """New data and new weights: the next seed, the weights following it."""
        self.init_seed.blockSignals(True)
        self.init_seed.setValue(None)
        self.init_seed.blockSignals(False)
        self.seed.setValue(self.seed.value() + 1)

    def next_weights_seed(self) -> None:
        """Reset's new random weights: the weights seed moves on by one (the data stays)."""
        current = self.init_seed.value()
        self.init_seed.setValue((self.seed.value() if current is None else current) + 1)

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV data file", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.set_csv_path(path)

    def set_csv_path(self, path: str) -> None:
        self.csv_path = path
        self.csv_label.setText(os.path.basename(path))
        self.csv_label.setToolTip(path)
        self.dataset.blockSignals(True)
        if not select_data(self.dataset, "csv"):
            self.dataset.addItem(DATASET_TITLES["csv"], "csv")
            select_data(self.dataset, "csv")
        self.dataset.blockSignals(False)
        self._last_index = self.dataset.currentIndex()
        self._update_enabled()
        self.changed.emit()

    def _on_dataset(self) -> None:
        if self.dataset.currentData() == "csv" and not self.csv_path:
            self.choose_csv()  # selects "csv" and emits changed when a file is chosen
            if not self.csv_path:  # cancelled: back to the data set shown before
                self.dataset.blockSignals(True)
                self.dataset.setCurrentIndex(self._last_index)
                self.dataset.blockSignals(False)
            self._update_enabled()
            return
        self._last_index = self.dataset.currentIndex()
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        name = self.dataset.currentData()
        # A narrow column may clip the name in the box: the tooltip always has it whole.
        self.dataset.setToolTip(f"{self.dataset.currentText()}: the data set to learn. "
                                "Pick 'Your CSV file…' to load your own.")
        fixed = name in FIXED_DATASETS
        self.noise.setEnabled(not fixed)
        self.n_samples.setEnabled(not fixed)
        is_csv = name == "csv"
        self.label_box.setVisible(is_csv)
        self.csv_label.setVisible(is_csv)
