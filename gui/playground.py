"""The playground tab: DATA on the left, the network in the middle, OUTPUT on the right.

`Playground` turns form edits into a TrainConfig dict and hands it to the training
worker (through `TrainingController`); it draws whatever `Frame` the worker sends back.
It never builds or runs a model itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .history import HistoryColumns
from .panels import DataPanel, NetworkBuilder, NetworkView, TrainingControls
from .panels._widgets import FlowLayout, section_title
from .worker import Frame, TrainingController

NETWORK_HZ = 6  # refresh rate of the network drawing (and the accuracy plot) while training
STARVED_SECONDS = 0.5  # a view not redrawn for this long while training is redrawn with the next frame

# What a first start shows: the TensorFlow Playground's classic small tanh network.
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": "moons",
    "n_samples": 200,
    "noise": 0.1,
    "test_fraction": 0.3,
    "seed": 0,
    "init_seed": None,
    "csv_path": None,
    "label_column": None,
    "features": ["x1", "x2"],
    "hidden_layers": [4, 2],
    "activation": "tanh",
    "output_activation": None,
    "loss": "mse",
    "optimizer": "adam",
    "lr": 0.03,
    "momentum": 0.0,
    "batch_size": 16,
    "l1": 0.0,
    "l2": 0.0,
    "engine": "tensor",  # fast; the scalar engine (the same numbers, one graph node per number) is one click away
}

# The largest settings the form allows (most points, layers, neurons, features; the largest batch).
LARGEST_CONFIG: dict[str, Any] = {
    "dataset": "spiral",
    "n_samples": 5000,
    "noise": 0.1,
    "seed": 0,
    "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"],
    "hidden_layers": [32] * 8,
    "activation": "tanh",
    "loss": "mse",
    "optimizer": "adam",
    "lr": 0.01,
    "batch_size": 4096,
}


# Config fields as the form labels them, and internal values as the form shows them.
_FIELD_NAMES = {
    "dataset": "Which dataset", "n_samples": "Points", "noise": "Noise", "test_fraction": "Test data",
    "seed": "Seed", "csv_path": "CSV file", "label_column": "Label column", "features": "Features",
    "hidden_layers": "Neurons", "activation": "Activation", "output_activation": "Output", "loss": "Loss",
    "optimizer": "Optimizer", "lr": "Learning rate", "momentum": "Momentum", "batch_size": "Batch size",
    "l1": "L1 regularisation", "l2": "L2 regularisation", "engine": "Engine",
}
_VALUE_NAMES = {
    "mse": "mean squared error", "l1": "mean absolute error", "bce_logits": "binary cross-entropy",
    "cross_entropy": "cross-entropy", "hinge": "hinge", "sgd": "SGD", "adam": "Adam", "adamw": "AdamW",
    "rmsprop": "RMSprop", "spiral3": "Spiral, 3 classes", "multi_gaussian": "Multi-Gaussian",
}


def screen_text(message: str) -> str:
    """A worker or TrainConfig message in the words on screen.

    ``TrainConfig.loss: 'spiral3' has 3 classes; use 'cross_entropy`` becomes
    ``Loss: Spiral, 3 classes has 3 classes; use cross-entropy``.
    """
    def field(match: re.Match[str]) -> str:
        return _FIELD_NAMES.get(match.group(1), match.group(1).replace("_", " ")) + ":"

    def value(match: re.Match[str]) -> str:
        word = match.group(1)
        return _VALUE_NAMES.get(word, word)

    text = re.sub(r"TrainConfig\.(\w+):", field, message)
    text = re.sub(r"TrainConfig: ?", "", text)
    # Quoted internal names lose their quotes (also a quote left unbalanced by trimming).
    text = re.sub(r"'([\w.\-]+)'?", value, text)
    return text[:1].upper() + text[1:]


def _scrolling(column: QWidget) -> QScrollArea:
    """``column`` in a vertical scroll area: on a small screen it scrolls instead of forcing the window taller."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(column)
    scroll.setMinimumWidth(column.minimumSizeHint().width())
    return scroll


class Playground(QWidget):
    """The main tab. Emits ``frameShown`` after each frame is drawn (tests wait on it)."""

    frameShown = Signal(object)
    configSent = Signal(object)
    note = Signal(str)  # a one-line status note: what the form changed by itself, and why

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.last_frame: Frame | None = None
        self.running = False
        self.frames_shown = 0
        self._sent_config: dict[str, Any] | None = None
        self._input_dim = 2
        self._data_version = -1
        self._shown_generation = -1
        self._history = HistoryColumns()
        self._extra_config: dict[str, Any] = {}
        self._network_generation = -1
        self._output_drawn = -1.0
        self._network_drawn = -1.0
        self._accuracy_drawn = -1.0

        self.controls = TrainingControls()
        self.data_panel = DataPanel()
        self.builder = NetworkBuilder()
        self.network_view = NetworkView()
        # The pyqtgraph views are built by build_plots() once the window is up (a faster start);
        # until then plain placeholders hold their places in the layout.
        self.loss_plot: Any = None
        self.accuracy_plot: Any = None
        self.output_view: Any = None
        self._placeholders = [QWidget(), QWidget(), QWidget()]

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self.controls)
        # The banner floats over the top of the columns (see resizeEvent): showing or hiding
        # it never moves the rest of the layout.
        self.error_label = QLabel("", self)
        self.error_label.setObjectName("errorBanner")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        root.addWidget(self.splitter, 1)

        data_scroll = QScrollArea()
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left = QWidget()
        left.setObjectName("column")
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(self.data_panel)
        left_layout.addWidget(self.controls.stop_box)
        left_layout.addStretch(1)
        data_scroll.setWidget(left)
        data_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        data_scroll.setMinimumWidth(210)
        self.splitter.addWidget(data_scroll)

        middle = QWidget()
        middle.setObjectName("column")
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(12, 8, 12, 8)
        middle_layout.setSpacing(8)
        middle_layout.addWidget(section_title("Network"))
        middle_layout.addWidget(self.builder)
        middle_layout.addWidget(self.network_view, 1)
        self.splitter.addWidget(_scrolling(middle))

        output = QWidget()
        output.setObjectName("column")
        out_layout = QVBoxLayout(output)
        out_layout.setContentsMargins(12, 8, 12, 8)
        out_layout.setSpacing(6)
        out_layout.addWidget(section_title("Output"))
        self.loss_text = QLabel("Test loss —\nTraining loss —")
        self.loss_text.setObjectName("lossText")
        self.loss_text.setToolTip("The latest losses (and accuracy, for classification)")
        self.loss_text.setMinimumHeight(52)  # room for three lines: new text never re-lays out the column
        out_layout.addWidget(self.loss_text)
        self.output_caption = QLabel("")
        self.output_caption.setObjectName("hint")
        self.output_caption.setWordWrap(True)
        self.output_caption.setVisible(False)
        out_layout.addWidget(self.output_caption)
        self._out_layout = out_layout
        for placeholder, stretch in zip(self._placeholders, (3, 2, 6)):
            out_layout.addWidget(placeholder, stretch)
        self._placeholders[0].setMinimumHeight(90)
        self._placeholders[1].setMinimumHeight(90)
        self._placeholders[2].setMinimumSize(240, 220)
        options = FlowLayout(spacing=12, row_spacing=2)
        self.show_test = QCheckBox("Show test data")
        self.show_test.setChecked(True)
        self.show_test.setToolTip("Draw the held-out test points (black outline) on the output map")
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setToolTip("Colour each pixel by the predicted class instead of the raw output")
        self.log_scale = QCheckBox("Log-scale loss")
        self.log_scale.setToolTip("Show the loss curves on a logarithmic axis")
        for box in (self.show_test, self.discretize, self.log_scale):
            options.addWidget(box)
        out_layout.addLayout(options)
        self.splitter.addWidget(_scrolling(output))
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([230, 640, 560])

        # Form edits are collected for a moment so dragging a spin box rebuilds once.
        self._config_timer = QTimer(self)
        self._config_timer.setSingleShot(True)
        self._config_timer.setInterval(150)
        self._config_timer.timeout.connect(self.apply_config)
        self.data_panel.changed.connect(self._on_data_changed)
        self.builder.changed.connect(self._config_timer.start)
        self.controls.changed.connect(self._config_timer.start)
        self.controls.stopConditionChanged.connect(self._send_stop_condition)
        self.controls.lr.clamped.connect(self.note)
        self.controls.reg_rate.clamped.connect(self.note)
        self.controls.playClicked.connect(self.toggle_play)
        self.controls.stepClicked.connect(self.step)
        self.controls.resetClicked.connect(self.reset)
        self.log_scale.toggled.connect(self._set_log_scale)
        self.network_view.neuronClicked.connect(lambda node: self.select_neuron(*(node or (None,))))
        self.network_view.edgeClicked.connect(self.edit_weight)

        worker = controller.worker
        worker.frameReady.connect(self.show_frame)
        worker.runningChanged.connect(self._on_running)
        worker.configLoaded.connect(self._on_config_loaded)
        worker.configRejected.connect(self._on_config_rejected)
        worker.configAccepted.connect(self._on_config_accepted)

    # --- the plots, built after start-up ----------------------------------------------------------------
    @property
    def plots_ready(self) -> bool:
        return self.output_view is not None

    def build_plots(self) -> None:
        """Create the pyqtgraph views in place of their placeholders (imports pyqtgraph)."""
        if self.plots_ready:
            return
        from .panels.plots import AccuracyPlot, LossPlot, OutputView

        views = (LossPlot(), AccuracyPlot(), OutputView())
        for placeholder, view in zip(self._placeholders, views):
            view.setMinimumSize(placeholder.minimumSize())
            self._out_layout.replaceWidget(placeholder, view)
            placeholder.deleteLater()
        self._placeholders = []
        self.loss_plot, self.accuracy_plot, self.output_view = views
        self.loss_plot.set_log_scale(self.log_scale.isChecked())
        self.output_view.set_show_test(self.show_test.isChecked())
        self.output_view.set_discretize(self.discretize.isChecked())
        self.output_view.show_neuron(self.network_view.selected)
        self.show_test.toggled.connect(self.output_view.set_show_test)
        self.discretize.toggled.connect(self.output_view.set_discretize)
        if self.last_frame is not None:
            self._draw(self.last_frame)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._place_banner()

    def _place_banner(self) -> None:
        top = self.controls.geometry().bottom() + 1
        width = self.width()
        self.error_label.setFixedWidth(width)
        self.error_label.move(0, top)
        self.error_label.adjustSize()
        self.error_label.raise_()

    def show_banner(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:
            self._place_banner()

    # --- config ------------------------------------------------------------------------------------
    def _on_data_changed(self) -> None:
        """Another data set: make the rest of the form fit it at once, then send the config."""
        notes = self.fit_form_to_data()
        if notes:
            self.note.emit(" ".join(notes))
        self._config_timer.start()

    def fit_form_to_data(self) -> list[str]:
        """Change the loss and features so that the form describes a model the data allows.

        As in the TensorFlow Playground, no invalid combination can be reached: a data set with
        three classes switches to cross-entropy, a regression set to mean squared error, 1-D
        data unticks the features that need x2. Returns one note per change, in screen words.
        """
        from minitorch.datasets import DATASETS

        info = DATASETS.get(self.data_panel.dataset.currentData())
        if info is None or info.name == "csv":
            self.builder.set_input_dim(None if info is not None else self.builder.input_dim)
            return []  # a CSV file's shape is known once the worker has read it: see _draw
        notes = []
        task, classes = info.task, info.num_classes or 0
        self.controls.set_task(task, classes)
        loss = self.controls.loss.currentData()
        wanted = None
        if task == "regression" and loss not in ("mse", "l1"):
            wanted = "mse"
        elif classes > 2 and loss != "cross_entropy":
            wanted = "cross_entropy"
        if wanted is not None:
            self.controls.show_loss(wanted)
            reason = "regression data" if wanted == "mse" else f"this data has {classes} classes"
            notes.append(f"Loss: {self.controls.loss.currentText()} ({reason}).")
        note = self.builder.set_input_dim(info.input_dim)
        if note:
            notes.append(note)
        return notes

    def current_config(self) -> dict[str, Any]:
        """The TrainConfig dict the form describes."""
        config = dict(DEFAULT_CONFIG)
        config.update(self._extra_config)  # fields of an opened file that the form does not show
        for panel in (self.data_panel, self.builder, self.controls):
            config.update(panel.values())
        if config.get("features") is None:
            config.pop("features")
        return config

    def set_config(self, config: Mapping[str, Any]) -> None:
        """Show ``config`` in the form (an opened file, or the remembered one)."""
        merged = dict(DEFAULT_CONFIG)
        merged.update({k: v for k, v in dict(config).items() if k in DEFAULT_CONFIG})
        # Kept as they are (weight_decay, betas, lr_schedule, ...): not shown, never lost.
        self._extra_config = {k: v for k, v in dict(config).items() if k not in DEFAULT_CONFIG}
        self.data_panel.set_values(merged)
        self.builder.set_values(merged)
        self.controls.set_values(merged)
        self._sent_config = None  # the next apply_config() sends it

    def _on_config_loaded(self, config: Mapping[str, Any]) -> None:
        """The worker opened an experiment: show its config without sending it back."""
        self.set_config(config)
        self._config_timer.stop()
        self._sent_config = self.current_config()

    def apply_config(self) -> None:
        """Send the form's config to the worker, which validates it (TrainConfig) and builds the model.

        A config it cannot build comes back through ``configRejected`` and is explained in
        the banner under the top bar; the previous model stays in place.
        """
        self._config_timer.stop()
        config = self.current_config()
        if config != self._sent_config:
            self._sent_config = config
            self.controller.send("configure", config)
            self.configSent.emit(config)

    def _on_config_rejected(self, reason: str) -> None:
        """The worker could not build the form's config: say why, and show the model that still trains."""
        frame = self.last_frame
        kept = " The previous model is kept." if frame is not None else ""
        self.show_banner(f"⚠ {screen_text(reason).rstrip('.')}.{kept}")
        self._config_timer.stop()
        if frame is None:  # nothing to show yet (e.g. a stale remembered config): use defaults
            self.set_config(DEFAULT_CONFIG)
            self.apply_config()
            return
        # The form goes back to what is training, so it never shows a model that does not exist.
        self.set_config(frame.config)
        self.builder.set_input_dim(frame.data.input_dim)
        self.controls.set_task(frame.data.task, frame.data.num_classes)
        self._sent_config = self.current_config()

    def _on_config_accepted(self, config: Mapping[str, Any]) -> None:
        if dict(config) == self._sent_config:
            self.show_banner("")

    def _send_stop_condition(self) -> None:
        self.controller.send("set_stop_condition", *self.controls.stop_condition())

    # --- the big output view ---------------------------------------------------------------------------
    def select_neuron(self, column: int | None, index: int = 0) -> None:
        """Show one neuron's map in the big output view (as the drawing numbers it); None: the model's output."""
        node = None if column is None else (int(column), int(index))
        self.network_view.select(node)
        if node is None:
            self.output_caption.setVisible(False)
        else:
            last = len(self.network_view.layer_sizes) - 1
            kind = "Input" if node[0] == 0 else ("Output" if node[0] == last else f"Hidden layer {node[0]}")
            name = self.network_view.feature_names[node[1]] if node[0] == 0 and node[1] < len(
                self.network_view.feature_names) else f"neuron {node[1] + 1}"
            self.output_caption.setText(f"Showing {kind.lower() if node[0] else kind}, {name}. "
                                        "Click it again in the network for the model's output.")
            self.output_caption.setVisible(True)
        if self.plots_ready:
            self.output_view.show_neuron(node)

    def edit_weight(self, layer: int, target: int, source: int) -> None:
        """Ask for a new value of the weight of a clicked edge, and set it (training pauses)."""
        from PySide6.QtWidgets import QInputDialog

        current = self.network_view.weight(layer, target, source)
        where = self.network_view.describe_edge(layer, target, source).splitlines()[1]
        value, ok = QInputDialog.getDouble(self, "Edit weight", f"Weight {where}:", current, -1e6, 1e6, 4)
        if ok and value != current:
            self.controller.send("pause")
            self.controller.send("set_weight", layer, target, source, value)

    # --- commands ---------------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.running:
            self.controller.send("pause")
            return
        if self._config_timer.isActive():
            self.apply_config()
        self.controller.send("set_stop_condition", *self.controls.stop_condition())
        self.controller.send("play")

    def play(self) -> None:
        if not self.running:
            self.toggle_play()

    def pause(self) -> None:
        self.controller.send("pause")

    def step(self) -> None:
        if self._config_timer.isActive():
            self.apply_config()
        self.controller.send("step", 1)

    def reset(self) -> None:
        """New random weights for the same network and data, as the TensorFlow Playground's reset:
        the weights seed moves on by one (shown in the form, so a run can be repeated)."""
        self.data_panel.next_weights_seed()
        self.apply_config()

    # --- drawing ------------------------------------------------------------------------------------------
    def _on_running(self, running: bool) -> None:
        self.running = running
        self.controls.set_running(running)

    def _set_log_scale(self, enabled: bool) -> None:
        if not self.plots_ready:
            return  # build_plots() applies the checkbox
        self.loss_plot.set_log_scale(enabled)
        frame = self.last_frame
        if frame is not None:
            self.loss_plot.set_columns(self._history.update(frame.snapshot.history, frame.generation))

    def show_frame(self, frame: Frame) -> None:
        """Draw one frame from the worker (GUI thread).

        The session sends its next frame once this one has been painted (``frame_drawn``):
        training goes on meanwhile in its own process.
        """
        try:
            self._draw(frame)
        finally:
            self.controller.frame_drawn()
        self.frames_shown += 1
        self.frameShown.emit(frame)

    def _draw(self, frame: Frame) -> None:
        self.last_frame = frame
        snap = frame.snapshot
        if frame.data.version != self._data_version or frame.generation != self._shown_generation:
            self._data_version, self._shown_generation = frame.data.version, frame.generation
            self.builder.set_input_dim(frame.data.input_dim)
            self.controls.set_task(frame.data.task, frame.data.num_classes)
            if frame.data.input_dim <= 2:  # tick exactly the features this model uses
                self.builder.show_features(list(frame.feature_names))
            chosen = self.network_view.selected
            grids = frame.neuron_grids or ()
            if chosen is not None and (chosen[0] >= len(grids) or chosen[1] >= len(grids[chosen[0]])):
                self.select_neuron(None)  # that neuron is gone with the old network
        self.controls.show_progress(int(snap.step), int(snap.epoch), frame.steps_per_second)
        self.loss_text.setText(self._loss_summary(frame))
        now = time.perf_counter()
        # While training the loss curve is redrawn every frame, the accuracy plot (as light: a
        # thinned curve) NETWORK_HZ times a second, and of the heavy repaints (the output map
        # and the network drawing; for a large network or data set each costs 5-20 ms) at
        # most one per frame, so that no frame adds them up: a view not redrawn for
        # STARVED_SECONDS first, then the output map whenever the session sent a new one, then
        # the network NETWORK_HZ times a second. A loss plot that rescaled its axes counts as
        # the frame's heavy repaint. Paused frames draw everything.
        running = frame.running and frame.generation == self._network_generation
        classification = frame.data.task == "classification"
        columns = self._history.update(snap.history, frame.generation) if self.plots_ready else None
        heavy_drawn = columns is not None and self.loss_plot.set_columns(columns) and running
        if columns is not None and self.accuracy_plot.isVisibleTo(self) != classification:
            self.accuracy_plot.setVisible(classification)
        output_new = columns is not None and self.output_view.is_stale(frame)
        network_age, output_age = now - self._network_drawn, now - self._output_drawn
        if not running:
            draw_output, draw_network = columns is not None, True
        elif output_new and output_age >= STARVED_SECONDS and output_age >= network_age:
            draw_output, draw_network = True, False
        elif network_age >= STARVED_SECONDS:
            draw_output, draw_network = False, True
        else:
            draw_output = output_new and not heavy_drawn
            draw_network = not heavy_drawn and not draw_output and network_age >= 1 / NETWORK_HZ
        if draw_output:
            self.output_view.show_frame(frame)
            self._output_drawn = now
        if draw_network:
            self.network_view.show_frame(frame)
            self._network_generation, self._network_drawn = frame.generation, now
        if columns is not None and classification and (not running or now - self._accuracy_drawn >= 1 / NETWORK_HZ):
            self.accuracy_plot.set_columns(columns)
            self._accuracy_drawn = now

    @staticmethod
    def _loss_summary(frame: Frame) -> str:
        history = frame.snapshot.history
        last = history[-1] if history else {}
        metrics = getattr(frame.snapshot, "metrics", None) or {}

        def pick(key: str) -> Any:
            # The latest metrics first: after loading weights they are newer than the history.
            value = metrics.get(key) if hasattr(metrics, "get") else None
            return last.get(key) if value is None and hasattr(last, "get") else value

        def fmt(value: Any) -> str:
            return "—" if value is None else f"{float(value):.3f}"

        text = f"Test loss {fmt(pick('test_loss'))}\nTraining loss {fmt(pick('train_loss'))}"
        train_acc, test_acc = pick("train_acc"), pick("test_acc")
        if frame.data.task == "classification" and train_acc is not None:
            text += f"\nAccuracy {100 * float(train_acc):.1f} % train"
            if test_acc is not None:
                text += f" · {100 * float(test_acc):.1f} % test"
        if frame.snapshot.diverged:
            text += "\n⚠ diverged"
        return text
