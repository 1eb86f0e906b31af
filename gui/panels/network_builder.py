"""The network form: input features, hidden layers (+ / -), neurons per layer, activation."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ._widgets import caption, labelled, select_data

# The TensorFlow Playground's extra input features, in TrainConfig's spelling.
FEATURES = (
    ("x1", "x₁", "The first input coordinate"),
    ("x2", "x₂", "The second input coordinate"),
    ("x1^2", "x₁²", "The first coordinate squared"),
    ("x2^2", "x₂²", "The second coordinate squared"),
    ("x1*x2", "x₁x₂", "The product of both coordinates"),
    ("sin(x1)", "sin x₁", "The sine of the first coordinate"),
    ("sin(x2)", "sin x₂", "The sine of the second coordinate"),
)
HIDDEN_ACTIVATIONS = (
    ("tanh", "Tanh"),
    ("relu", "ReLU"),
    ("leaky_relu", "Leaky ReLU"),
    ("sigmoid", "Sigmoid"),
    ("linear", "Linear"),
)
USES_X2 = ("x2", "x2^2", "x1*x2", "sin(x2)")  # features that need a second input
MAX_LAYERS = 8  # what + allows; a file may hold more, and the form then shows them all
MAX_NEURONS = 32  # what a spin box steps up to; a wider layer from a file widens that box


class NetworkBuilder(QWidget):
    """Form for the network fields of the TrainConfig; emits ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        # Hidden layers: "+", "-" and a count, then one neuron spin box per layer.
        header = QHBoxLayout()
        header.setSpacing(6)
        self.add_layer = QPushButton("+")
        self.add_layer.setObjectName("roundButton")
        self.add_layer.setToolTip("Add a hidden layer")
        self.remove_layer = QPushButton("−")
        self.remove_layer.setObjectName("roundButton")
        self.remove_layer.setToolTip("Remove the last hidden layer")
        self.layer_count = QLabel()
        self.layer_count.setObjectName("layerCount")
        header.addWidget(self.add_layer)
        header.addWidget(self.remove_layer)
        header.addWidget(self.layer_count)
        header.addSpacing(16)
        self.activation = QComboBox()
        for value, text in HIDDEN_ACTIVATIONS:
            self.activation.addItem(text, value)
        header.addWidget(labelled("Activation", self.activation, "The activation function of every hidden layer"))
        header.addStretch(1)
        layout.addLayout(header)

        self.sizes_row = QHBoxLayout()
        self.sizes_row.setSpacing(6)
        self.sizes_caption = caption("Neurons")
        self.sizes_row.addWidget(self.sizes_caption)
        self.sizes_row.addStretch(1)
        layout.addLayout(self.sizes_row)
        self.layer_spins: list[QSpinBox] = []

        # Input features: available for 2-D data only.
        features = QGridLayout()
        features.setHorizontalSpacing(10)
        features.setVerticalSpacing(2)
        features.addWidget(caption("Features"), 0, 0, 1, 4)
        self.feature_boxes: dict[str, QCheckBox] = {}
        for k, (name, text, tip) in enumerate(FEATURES):
            box = QCheckBox(text)
            box.setToolTip(f"{tip} as an input to the network")
            box.setChecked(name in ("x1", "x2"))
            box.toggled.connect(self._on_feature)
            self.feature_boxes[name] = box
            features.addWidget(box, 1 + k // 4, k % 4)
        layout.addLayout(features)
        self.features_hint = QLabel("")
        self.features_hint.setObjectName("hint")
        self.features_hint.setWordWrap(True)
        layout.addWidget(self.features_hint)

        self.add_layer.clicked.connect(self.add_hidden_layer)
        self.remove_layer.clicked.connect(self.remove_hidden_layer)
        self.activation.currentIndexChanged.connect(self.changed)
        self.input_dim = 2
        self._set_sizes([4, 2], emit=False)

    # --- layers ------------------------------------------------------------------------------------
    @property
    def hidden_layers(self) -> list[int]:
        return [spin.value() for spin in self.layer_spins]

    def add_hidden_layer(self) -> None:
        if len(self.layer_spins) < MAX_LAYERS:
            sizes = self.hidden_layers
            self._set_sizes(sizes + [sizes[-1] if sizes else 4])

    def remove_hidden_layer(self) -> None:
        if self.layer_spins:
            self._set_sizes(self.hidden_layers[:-1])

    def set_neurons(self, layer: int, count: int) -> None:
        """Set the width of hidden layer ``layer`` (0-based), as the spin box would."""
        self.layer_spins[layer].setValue(count)

    def _set_sizes(self, sizes: list[int], emit: bool = True) -> None:
        for spin in self.layer_spins:
            self.sizes_row.removeWidget(spin)
            spin.deleteLater()
        self.layer_spins = []
        for k, size in enumerate(sizes):
            spin = QSpinBox()
            spin.setRange(1, max(MAX_NEURONS, int(size)))
            spin.setValue(int(size))
            spin.setToolTip(f"Neurons in hidden layer {k + 1}")
            spin.setObjectName(f"layer{k + 1}Neurons")
            spin.valueChanged.connect(self.changed)
            self.sizes_row.insertWidget(1 + k, spin)
            self.layer_spins.append(spin)
        count = len(sizes)
        self.layer_count.setText(f"{count} hidden layer{'s' if count != 1 else ''}")
        self.sizes_caption.setVisible(count > 0)
        self.add_layer.setEnabled(count < MAX_LAYERS)
        self.remove_layer.setEnabled(count > 0)
        if emit:
            self.changed.emit()

    # --- features ----------------------------------------------------------------------------------------
    @property
    def features(self) -> list[str]:
        return [name for name, box in self.feature_boxes.items() if box.isChecked()]

    def _on_feature(self) -> None:
        if not self.features:  # at least one input: undo the last untick and say why
            sender = self.sender()
            if isinstance(sender, QCheckBox):
                sender.blockSignals(True)
                sender.setChecked(True)
                sender.blockSignals(False)
            self.features_hint.setText("The network needs at least one input feature.")
            return
        self.features_hint.setText("")
        self.changed.emit()

    def set_input_dim(self, input_dim: int | None) -> str:
        """Offer the features the data allows; returns a note when boxes had to be unticked.

        2-D data: all seven. 1-D data: those of x1 only (x2's are unticked and disabled).
        Wider data uses its own columns. None: not known yet (a CSV file not read yet).
        """
        self.input_dim = input_dim
        note = ""
        if input_dim == 1:
            dropped = [name for name in USES_X2 if self.feature_boxes[name].isChecked()]
            if dropped:
                shown = ", ".join(self.feature_boxes[name].text() for name in dropped)
                note = f"Features: {shown} switched off (this data has one input)."
        for name, box in self.feature_boxes.items():
            usable = input_dim == 2 or input_dim is None or (input_dim == 1 and name not in USES_X2)
            box.blockSignals(True)
            if input_dim == 1 and name in USES_X2:
                box.setChecked(False)
            box.setEnabled(usable)
            box.blockSignals(False)
        if input_dim == 1 and not self.features:
            self.feature_boxes["x1"].setChecked(True)
        if input_dim is not None and input_dim > 2:
            self.features_hint.setText(f"This data has {input_dim} input columns; extra features apply to "
                                       "1-D and 2-D data only.")
        elif input_dim == 1:
            self.features_hint.setText("One input: the x₂ features need a second input.")
        else:
            self.features_hint.setText("")
        return note

    def show_features(self, names: list[str]) -> None:
        """Tick exactly the features the network uses (signals blocked: not a user edit)."""
        if not names or any(name not in self.feature_boxes for name in names):
            return
        for name, box in self.feature_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in names)
            box.blockSignals(False)

    # --- values -------------------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {
            "hidden_layers": self.hidden_layers,
            "activation": self.activation.currentData(),
            "features": self.features if self.input_dim in (1, 2) else (["x1", "x2"] if self.input_dim is None
                                                                       else None),
        }

    def set_values(self, config: dict[str, Any]) -> None:
        self.blockSignals(True)
        try:
            self._set_sizes([int(s) for s in config.get("hidden_layers", [4, 2])], emit=False)
            select_data(self.activation, config.get("activation", "tanh"))
            chosen = config.get("features") or ["x1", "x2"]
            for name, box in self.feature_boxes.items():
                box.blockSignals(True)
                box.setChecked(name in chosen)
                box.blockSignals(False)
        finally:
            self.blockSignals(False)
