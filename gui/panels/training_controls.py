"""The top bar: reset / play-pause / step, counters, and the training hyperparameters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ._widgets import FlowLayout, caption, labelled, section_title, select_data, set_item_enabled, show_value

OPTIMIZERS = (("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"))
LOSSES = (
    ("mse", "Mean squared error"),
    ("l1", "Mean absolute error (L1)"),
    ("bce_logits", "Binary cross-entropy"),
    ("cross_entropy", "Cross-entropy"),
    ("hinge", "Hinge (max-margin)"),
)
OUTPUT_ACTIVATIONS = (
    (None, "Auto"),
    ("tanh", "Tanh"),
    ("linear", "Linear"),
    ("sigmoid", "Sigmoid"),
    ("relu", "ReLU"),
    ("leaky_relu", "Leaky ReLU"),
)
ENGINES = (("tensor", "Tensor (fast)"), ("scalar", "Scalar graph"))
ENGINE_TIP = ("Tensor: each minibatch as n-d arrays, one graph node per layer operation (fast, the default).\n"
              "Scalar graph: the seed's engine, one autograd node per number (slow; every value inspectable).\n"
              "Both compute the same numbers from the same starting weights.")
REGULARISATIONS = ((None, "None"), ("l1", "L1"), ("l2", "L2"))
# Losses that only make sense for classification targets.
CLASSIFICATION_LOSSES = {"bce_logits", "cross_entropy", "hinge"}


class BoundedSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that says when a typed value was beyond its range (Qt clamps it silently)."""

    clamped = Signal(str)  # a sentence for the status bar

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self._typed: float | None = None
        self.editingFinished.connect(self._report)

    def validate(self, text: str, pos: int) -> object:
        # Qt refuses a keystroke that leaves the range ("1000" stops at "100" with a maximum of 10):
        # remember the refused number, to say so once editing ends.
        try:
            typed = float(text.strip().replace(self.suffix(), "").replace(",", ""))
        except ValueError:
            typed = None
        if typed is not None and not self.minimum() <= typed <= self.maximum():
            self._typed = typed
        return super().validate(text, pos)

    def focusInEvent(self, event: Any) -> None:
        self._typed = None
        super().focusInEvent(event)

    def _report(self) -> None:
        if self._typed is None:
            return
        typed, self._typed = self._typed, None
        bound = "maximum" if typed > self.maximum() else "minimum"
        self.clamped.emit(f"{self.name} {typed:g} is beyond the {bound}; set to {self.value():g}.")


def _vline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setObjectName("separator")
    return line


class TrainingControls(QWidget):
    """Play controls, progress counters and the optimiser form; emits ``changed`` on edits."""

    playClicked = Signal()
    stepClicked = Signal()
    resetClicked = Signal()
    changed = Signal()
    stopConditionChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("topBar")
        # A flow: on a narrow window the fields wrap to a second row instead of being clipped.
        outer = FlowLayout(self, spacing=14, row_spacing=8)
        outer.setContentsMargins(16, 10, 16, 10)

        style = QApplication.style()
        self.reset_button = QPushButton()
        self.reset_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.reset_button.setObjectName("smallRound")
        self.reset_button.setToolTip("Reset: new random weights for the same network (R)")
        self.play_button = QPushButton("▶")
        self.play_button.setObjectName("playButton")
        self.play_button.setToolTip("Play / pause training (Space)")
        self.step_button = QPushButton()
        self.step_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.step_button.setObjectName("smallRound")
        self.step_button.setToolTip("Step: one optimisation step on one minibatch (S)")
        play_group = QWidget()
        play_row = QHBoxLayout(play_group)
        play_row.setContentsMargins(0, 0, 0, 0)
        play_row.setSpacing(14)
        for button in (self.reset_button, self.play_button, self.step_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for the play shortcut
            play_row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)

        counters = QVBoxLayout()
        counters.setSpacing(0)
        counters.addWidget(caption("Epoch"))
        self.epoch_label = QLabel("000,000")
        self.epoch_label.setObjectName("epochCounter")
        self.epoch_label.setToolTip("Epochs completed (passes over the training data)")
        self.epoch_label.setMinimumWidth(120)  # a fixed footprint: changing digits never re-lays out the bar
        counters.addWidget(self.epoch_label)
        self.step_label = QLabel("step 0 · 0 steps/s")
        self.step_label.setObjectName("hint")
        self.step_label.setToolTip("Optimisation steps taken, and the current training speed")
        self.step_label.setFixedWidth(150)
        counters.addWidget(self.step_label)
        play_row.addLayout(counters)
        play_row.addWidget(_vline())
        outer.addWidget(play_group)

        self.lr = BoundedSpinBox("Learning rate")
        self.lr.setDecimals(5)
        self.lr.setRange(0.00001, 10.0)
        self.lr.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr.setValue(0.03)
        self.lr.setKeyboardTracking(False)
        self.optimizer = QComboBox()
        for value, text in OPTIMIZERS:
            self.optimizer.addItem(text, value)
        self.momentum = QDoubleSpinBox()
        self.momentum.setRange(0.0, 0.999)
        self.momentum.setDecimals(3)
        self.momentum.setSingleStep(0.05)
        self.momentum.setKeyboardTracking(False)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        self.batch_size.setValue(16)
        self.batch_size.setKeyboardTracking(False)
        # As in the TensorFlow Playground: which penalty, and its rate.
        self.regularisation = QComboBox()
        for value, text in REGULARISATIONS:
            self.regularisation.addItem(text, value)
        self.reg_rate = BoundedSpinBox("Regularisation rate")
        self.reg_rate.setDecimals(5)
        self.reg_rate.setRange(0.0, 10.0)
        self.reg_rate.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.reg_rate.setValue(0.001)
        self.reg_rate.setKeyboardTracking(False)
        self.loss = QComboBox()
        for value, text in LOSSES:
            self.loss.addItem(text, value)
        self.output_activation = QComboBox()
        for value, text in OUTPUT_ACTIVATIONS:
            self.output_activation.addItem(text, value)
        self.engine = QComboBox()
        for value, text in ENGINES:
            self.engine.addItem(text, value)

        form = (
            ("Learning rate", self.lr, "Step size of the optimiser; changes apply from the next step"),
            ("Optimizer", self.optimizer, "The update rule: SGD, Adam, AdamW or RMSprop"),
            ("Momentum", self.momentum, "SGD and RMSprop momentum (0: none)"),
            ("Batch size", self.batch_size, "Training points per optimisation step"),
            ("Regularisation", self.regularisation,
             "A penalty on the weights added to the loss: L1 = rate * sum |w|, L2 = rate * sum w²"),
            ("Rate", self.reg_rate, "How strongly the regularisation penalty counts"),
            ("Loss", self.loss, "What the network minimises"),
            ("Output", self.output_activation, "Activation of the output layer; Auto picks the one the loss expects"),
            ("Engine", self.engine, ENGINE_TIP),
        )
        # Spin boxes get a fixed width; combos fit their longest item (nothing is clipped).
        widths = {self.lr: 96, self.momentum: 76, self.batch_size: 70, self.reg_rate: 92}
        for text, widget, tip in form:
            if widget in widths:
                widget.setFixedWidth(widths[widget])
            else:
                widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            outer.addWidget(labelled(text, widget, tip))

        # The stop condition lives in its own small box (the playground puts it in the left column).
        self.max_epochs = QSpinBox()
        self.max_epochs.setRange(0, 1_000_000)
        self.max_epochs.setSpecialValueText("no limit")
        self.max_epochs.setKeyboardTracking(False)
        self.target_loss = QDoubleSpinBox()
        self.target_loss.setDecimals(4)
        self.target_loss.setRange(0.0, 100.0)
        self.target_loss.setSingleStep(0.01)
        self.target_loss.setSpecialValueText("none")
        self.target_loss.setKeyboardTracking(False)
        self.stop_box = QWidget()
        stop_layout = QVBoxLayout(self.stop_box)
        stop_layout.setContentsMargins(12, 0, 12, 12)
        stop_layout.setSpacing(10)
        stop_layout.addWidget(section_title("Stop"))
        stop_layout.addWidget(labelled("After epochs", self.max_epochs, "Pause training after this many epochs"))
        stop_layout.addWidget(labelled("At loss", self.target_loss, "Pause once the training loss reaches this value"))

        self.play_button.clicked.connect(self.playClicked)
        self.step_button.clicked.connect(self.stepClicked)
        self.reset_button.clicked.connect(self.resetClicked)
        for spin in (self.lr, self.momentum, self.reg_rate):
            spin.valueChanged.connect(self.changed)
        self.batch_size.valueChanged.connect(self.changed)
        for combo in (self.optimizer, self.loss, self.output_activation, self.engine, self.regularisation):
            combo.currentIndexChanged.connect(self.changed)
        self.regularisation.currentIndexChanged.connect(self._update_enabled)
        self.optimizer.currentIndexChanged.connect(self._update_enabled)
        self.max_epochs.valueChanged.connect(self.stopConditionChanged)
        self.target_loss.valueChanged.connect(self.stopConditionChanged)
        self._update_enabled()

    # --- display ----------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.play_button.setText("❚❚" if running else "▶")
        self.play_button.setProperty("running", running)
        self.play_button.setToolTip(("Pause" if running else "Play") + " training (Space)")

    def show_progress(self, step: int, epoch: int, steps_per_second: float) -> None:
        self.epoch_label.setText(f"{epoch:07,d}")
        rate = f"{steps_per_second:,.0f} steps/s" if steps_per_second else "paused"
        self.step_label.setText(f"step {step:,d} · {rate}")

    def set_task(self, task: str, num_classes: int) -> None:
        """Grey out the losses that do not fit the data, with the reason in the item's tooltip."""
        regression = task != "classification"
        for value in CLASSIFICATION_LOSSES:
            set_item_enabled(self.loss, value, not regression, "Needs class labels; this data is regression")
        if not regression:
            set_item_enabled(
                self.loss, "bce_logits", num_classes <= 2, "Binary cross-entropy needs two classes; use Cross-entropy"
            )
            set_item_enabled(self.loss, "hinge", num_classes <= 2, "Hinge loss needs two classes")
        for value in ("mse", "l1"):
            set_item_enabled(self.loss, value, regression or num_classes <= 2,
                             "More than two classes need Cross-entropy")

    def show_loss(self, value: str) -> None:
        """Select a loss without it counting as an edit (the caller sends the config)."""
        self.loss.blockSignals(True)
        select_data(self.loss, value)
        self.loss.blockSignals(False)

    def _update_enabled(self) -> None:
        self.momentum.setEnabled(self.optimizer.currentData() in ("sgd", "rmsprop"))
        self.reg_rate.setEnabled(self.regularisation.currentData() is not None)

    # --- values -------------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {
            "lr": self.lr.value(),
            "optimizer": self.optimizer.currentData(),
            "momentum": self.momentum.value(),
            "batch_size": self.batch_size.value(),
            "l1": self.reg_rate.value() if self.regularisation.currentData() == "l1" else 0.0,
            "l2": self.reg_rate.value() if self.regularisation.currentData() == "l2" else 0.0,
            "loss": self.loss.currentData(),
            "output_activation": self.output_activation.currentData(),
            "engine": self.engine.currentData(),
        }

    def stop_condition(self) -> tuple[int, float]:
        return self.max_epochs.value(), self.target_loss.value()

    def set_values(self, config: dict[str, Any]) -> None:
        widgets = (
            self.lr, self.optimizer, self.momentum, self.batch_size, self.regularisation, self.reg_rate, self.loss,
            self.output_activation, self.engine,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            show_value(self.lr, float(config.get("lr", 0.03)))
            select_data(self.optimizer, config.get("optimizer", "adam"))
            show_value(self.momentum, float(config.get("momentum", 0.0)))
            show_value(self.batch_size, int(config.get("batch_size", 16)))
            l1, l2 = float(config.get("l1", 0.0)), float(config.get("l2", 0.0))
            kind = "l1" if l1 > 0 else "l2" if l2 > 0 else None
            select_data(self.regularisation, kind)
            if kind is not None:
                show_value(self.reg_rate, l1 if kind == "l1" else l2)
            select_data(self.loss, config.get("loss", "mse"))
            select_data(self.output_activation, config.get("output_activation"))
            select_data(self.engine, config.get("engine", "tensor"))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._update_enabled()
