"""The playground tab: DATA on the left, the network in the middle, OUTPUT on the right.

`Playground` turns form edits into a TrainConfig dict and hands it to the training
worker (through `TrainingController`); it draws whatever `Frame` the worker sends back.
It never builds or runs a model itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .panels import AccuracyPlot, DataPanel, LossPlot, NetworkBuilder, NetworkView, OutputView, TrainingControls
from .panels._widgets import section_title
from .panels.plots import HistoryColumns
from .worker import Frame, TrainingController

# What a first start shows: the TensorFlow Playground's classic small tanh network.
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": "moons",
    "n_samples": 200,
    "noise": 0.1,
    "test_fraction": 0.3,
    "seed": 0,
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
    "l2": 0.0,
    "engine": "scalar",
}


def config_fields() -> set[str] | None:
    """The field names TrainConfig accepts, or None when the training toolkit is missing."""
    try:
        from minitorch.training import TrainConfig
    except ImportError:
        return None
    return {f.name for f in dataclasses.fields(TrainConfig)}


def validate_config(config: Mapping[str, Any]) -> str | None:
    """None when TrainConfig accepts ``config``; otherwise its readable complaint."""
    try:
        from minitorch.training import TrainConfig
    except ImportError as exc:
        return f"The training toolkit is not available: {exc}"
    try:
        TrainConfig.from_dict(dict(config)).validate()
    except (ValueError, TypeError, KeyError) as exc:
        return str(exc).strip("'\"")
    return None


class Playground(QWidget):
    """The main tab. Emits ``frameShown`` after each frame is drawn (tests wait on it)."""

    frameShown = Signal(object)
    configSent = Signal(object)

    def __init__(self, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.last_frame: Frame | None = None
        self.running = False
        self.frames_shown = 0
        self._sent_config: dict[str, Any] | None = None
        self._input_dim = 2
        self._data_version = -1
        self._fields = config_fields()
        self._history = HistoryColumns()

        self.controls = TrainingControls()
        self.data_panel = DataPanel()
        self.builder = NetworkBuilder()
        self.network_view = NetworkView()
        self.loss_plot = LossPlot()
        self.accuracy_plot = AccuracyPlot()
        self.output_view = OutputView()

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self.controls)
        self.error_label = QLabel("")
        self.error_label.setObjectName("errorBanner")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        root.addWidget(self.error_label)

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
        self.splitter.addWidget(middle)

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
        self.loss_plot.setMinimumHeight(110)
        self.accuracy_plot.setMinimumHeight(90)
        out_layout.addWidget(self.loss_plot, 2)
        out_layout.addWidget(self.accuracy_plot, 1)
        self.output_view.setMinimumSize(260, 240)
        out_layout.addWidget(self.output_view, 5)
        options = QHBoxLayout()
        self.show_test = QCheckBox("Show test data")
        self.show_test.setChecked(True)
        self.show_test.setToolTip("Draw the held-out test points (black outline) on the output map")
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setToolTip("Colour each pixel by the predicted class instead of the raw output")
        self.log_scale = QCheckBox("Log-scale loss")
        self.log_scale.setToolTip("Show the loss curves on a logarithmic axis")
        for box in (self.show_test, self.discretize, self.log_scale):
            options.addWidget(box)
        options.addStretch(1)
        out_layout.addLayout(options)
        self.splitter.addWidget(output)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([230, 640, 560])

        # Form edits are collected for a moment so dragging a spin box rebuilds once.
        self._config_timer = QTimer(self)
        self._config_timer.setSingleShot(True)
        self._config_timer.setInterval(150)
        self._config_timer.timeout.connect(self.apply_config)
        self.data_panel.changed.connect(self._config_timer.start)
        self.builder.changed.connect(self._config_timer.start)
        self.controls.changed.connect(self._config_timer.start)
        self.controls.stopConditionChanged.connect(self._send_stop_condition)
        self.controls.playClicked.connect(self.toggle_play)
        self.controls.stepClicked.connect(self.step)
        self.controls.resetClicked.connect(self.reset)
        self.show_test.toggled.connect(self.output_view.set_show_test)
        self.discretize.toggled.connect(self.output_view.set_discretize)
        self.log_scale.toggled.connect(self._set_log_scale)

        worker = controller.worker
        worker.frameReady.connect(self.show_frame)
        worker.runningChanged.connect(self._on_running)
        worker.configLoaded.connect(self._on_config_loaded)
        self._engine_check()

    # --- config ------------------------------------------------------------------------------------
    def current_config(self) -> dict[str, Any]:
        """The TrainConfig dict the form describes."""
        config = dict(DEFAULT_CONFIG)
        for panel in (self.data_panel, self.builder, self.controls):
            config.update(panel.values())
        if config.get("features") is None:
            config.pop("features")
        if self._fields is not None:  # only fields the toolkit knows
            config = {k: v for k, v in config.items() if k in self._fields}
        return config

    def set_config(self, config: Mapping[str, Any]) -> None:
        """Show ``config`` in the form (an opened file, or the remembered one)."""
        merged = dict(DEFAULT_CONFIG)
        merged.update({k: v for k, v in dict(config).items() if k in DEFAULT_CONFIG or k in (self._fields or ())})
        self.data_panel.set_values(merged)
        self.builder.set_values(merged)
        self.controls.set_values(merged)
        self._sent_config = None  # the next apply_config() sends it

    def _on_config_loaded(self, config: Mapping[str, Any]) -> None:
        """The worker opened an experiment: show its config without sending it back."""
        self.set_config(config)
        self._config_timer.stop()
        self._sent_config = self.current_config()

    def apply_config(self) -> bool:
        """Validate the form and send it to the worker; False (with the reason shown) if invalid."""
        self._config_timer.stop()
        config = self.current_config()
        problem = validate_config(config)
        if problem:
            self.error_label.setText(f"⚠ {problem}")
            self.error_label.setVisible(True)
            return False
        self.error_label.setVisible(False)
        if config != self._sent_config:
            self._sent_config = config
            self.controller.configure(config)
            self.configSent.emit(config)
        return True

    def _send_stop_condition(self) -> None:
        self.controller.set_stop_condition(*self.controls.stop_condition())

    def _engine_check(self) -> None:
        try:
            import minitorch.ndtensor  # noqa: F401  (light: numpy only)
        except ImportError:
            self.controls.set_engine_available("tensor", False, "The vectorised tensor engine is not installed")

    # --- commands ---------------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self.running:
            self.controller.pause()
            return
        if self._config_timer.isActive() and not self.apply_config():
            return
        self.controller.set_stop_condition(*self.controls.stop_condition())
        self.controller.play()

    def play(self) -> None:
        if not self.running:
            self.toggle_play()

    def pause(self) -> None:
        self.controller.pause()

    def step(self) -> None:
        if self._config_timer.isActive() and not self.apply_config():
            return
        self.controller.step(1)

    def reset(self) -> None:
        if self._config_timer.isActive():
            self.apply_config()
        self.controller.reset()

    # --- drawing ------------------------------------------------------------------------------------------
    def _on_running(self, running: bool) -> None:
        self.running = running
        self.controls.set_running(running)

    def _set_log_scale(self, enabled: bool) -> None:
        self.loss_plot.set_log_scale(enabled)
        frame = self.last_frame
        if frame is not None:
            self.loss_plot.set_columns(self._history.update(frame.snapshot.history, frame.generation))

    def show_frame(self, frame: Frame) -> None:
        """Draw one frame from the worker (GUI thread).

        The worker waits (GIL released) while we hold its ``gui_turn`` lock, so the views
        are updated and painted right here, without competing with training.
        """
        worker = self.controller.worker
        with worker.gui_turn:
            self._draw(frame)
        worker.frame_consumed()
        self.frames_shown += 1
        self.frameShown.emit(frame)

    def _draw(self, frame: Frame) -> None:
        self.last_frame = frame
        snap = frame.snapshot
        if frame.data.version != self._data_version:
            self._data_version = frame.data.version
            self.builder.set_input_dim(frame.data.input_dim)
            self.controls.set_task(frame.data.task, frame.data.num_classes)
        self.controls.show_progress(int(snap.step), int(snap.epoch), frame.steps_per_second)
        self.loss_text.setText(self._loss_summary(frame))
        columns = self._history.update(snap.history, frame.generation)
        self.loss_plot.set_columns(columns)
        classification = frame.data.task == "classification"
        if self.accuracy_plot.isVisibleTo(self) != classification:
            self.accuracy_plot.setVisible(classification)
        if classification:
            self.accuracy_plot.set_columns(columns)
        grid_changed = self.output_view.show_frame(frame)
        self.network_view.show_frame(frame)
        if self.isVisible():  # paint now, while the worker waits, instead of later against it
            for view in (self.controls, self.loss_text, self.loss_plot, self.accuracy_plot, self.network_view):
                view.repaint()
            if grid_changed:
                self.output_view.repaint()

    @staticmethod
    def _loss_summary(frame: Frame) -> str:
        history = frame.snapshot.history
        last = history[-1] if history else {}
        metrics = getattr(frame.snapshot, "metrics", None) or {}

        def pick(key: str) -> Any:
            value = last.get(key) if hasattr(last, "get") else None
            return metrics.get(key) if value is None and hasattr(metrics, "get") else value

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
