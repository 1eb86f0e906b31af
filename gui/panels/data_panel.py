"""The DATA column: which data set, how many points, noise, train/test split, seed."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
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

from ._widgets import labelled, section_title, select_data

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

        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setMaximumWidth(90)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw new data and new initial weights (the seed goes up by one)")
        seed_row = QHBoxLayout()
        seed_row.setSpacing(6)
        seed_row.addWidget(labelled("Seed", self.seed, "Random seed: the same seed gives the same data and weights"))
        seed_row.addWidget(self.regenerate, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(seed_row)

        self._last_index = self.dataset.currentIndex()
        self.dataset.currentIndexChanged.connect(self._on_dataset)
        self.open_csv.clicked.connect(self.choose_csv)
        self.label_column.editingFinished.connect(self.changed)
        for spin in (self.test_percent, self.n_samples, self.seed):
            spin.valueChanged.connect(self.changed)
        self.noise.valueChanged.connect(self.changed)
        self.regenerate.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 1))
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
            "csv_path": self.csv_path if name == "csv" else None,
            "label_column": (self.label_column.text().strip() or None) if name == "csv" else None,
        }

    def set_values(self, config: dict[str, Any]) -> None:
        """Show a config's data fields (signals blocked: this is not a user edit)."""
        widgets = (self.dataset, self.n_samples, self.noise, self.test_percent, self.seed, self.label_column)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if config.get("csv_path"):
                self.csv_path = str(config["csv_path"])
                self.csv_label.setText(os.path.basename(self.csv_path))
            select_data(self.dataset, config.get("dataset", "moons"))
            self._last_index = self.dataset.currentIndex()
            self.n_samples.setValue(int(config.get("n_samples", 200)))
            self.noise.setValue(float(config.get("noise", 0.1)))
            self.test_percent.setValue(round(float(config.get("test_fraction", 0.3)) * 100))
            self.seed.setValue(int(config.get("seed", 0)))
            self.label_column.setText(str(config.get("label_column") or ""))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._update_enabled()

    # --- interaction ---------------------------------------------------------------------------
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
        fixed = name in FIXED_DATASETS
        self.noise.setEnabled(not fixed)
        self.n_samples.setEnabled(not fixed)
        is_csv = name == "csv"
        self.label_box.setVisible(is_csv)
        self.csv_label.setVisible(is_csv)
