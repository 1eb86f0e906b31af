"""`ImagePlayground`: the image tab — pick image data, build a conv net from blocks, train it live.

Left: the data picker, the block builder and the training controls. Right: loss and
accuracy curves on top; below, "Inside the network" (every conv layer's filters and every
layer's feature maps for a chosen test image), "Results" (the confusion matrix and the
misclassified test images) and "Draw" (a pad whose drawing is centred at the training
resolution and classified, with its feature maps). Only the visible page is repainted.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from minitorch.live.image_session import describe_layer, shape_text

from .builder import ERROR_STYLE, BlockBuilder
from .views import ConfusionView, CurvePlots, DrawingPad, MosaicView, ProbabilityBars, Section
from .worker import DrawingPrediction, ImageController, ImageFrame, ImageWorker

MAX_MAP_CHANNELS = 16  # feature-map tiles shown per layer
MAX_FILTER_COLUMNS = 8  # input channels shown per filter row
WEIGHT_FILTERS = "JSON weights (*.json);;safetensors (*.safetensors);;PyTorch state dict (*.pt)"
EXPERIMENT_FILTER = "Image experiment (*.json);;All files (*)"
SMOOTHING = 0.9  # exponential smoothing of the per-minibatch train curves


class ImagePlayground(QWidget):
    """The image tab. It owns its training process; call `shutdown()` before closing."""

    frameShown = Signal(object)
    drawingShown = Signal(object)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None, worker: ImageWorker | None = None):
        super().__init__(parent)
        from minitorch.training.image_trainer import limit_blas_threads

        limit_blas_threads()
        self.controller = ImageController(self, worker=worker)
        self.worker = self.controller.worker
        self.last_frame: ImageFrame | None = None
        self.last_drawing: DrawingPrediction | None = None
        self.last_error: tuple[str, str] | None = None
        self.frames_shown = 0
        self.running = False
        self.config_error: str | None = None
        self._history_cache: dict[str, Any] = {"generation": -1, "count": 0}
        self._drawn_versions: dict[str, int] = {}
        self._changed: list[QWidget] = []  # views given new content by the frame being drawn
        self._config_timer = QTimer(self)
        self._config_timer.setSingleShot(True)
        self._config_timer.setInterval(250)
        self._config_timer.timeout.connect(self.apply_config)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(splitter)
        splitter.addWidget(self._build_left())
        splitter.addWidget(self._build_right())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([490, 1000])
        self.splitter = splitter

        worker = self.worker
        worker.frameReady.connect(self.show_frame)
        worker.runningChanged.connect(self._on_running)
        worker.configRejected.connect(self._on_rejected)
        worker.configAccepted.connect(self._on_accepted)
        worker.configLoaded.connect(self._on_config_loaded)
        worker.drawingPredicted.connect(self._show_drawing)
        worker.message.connect(self._status)
        worker.failed.connect(self._on_failed)
        worker.fileSaved.connect(lambda what, path: self._status(f"Saved the {what} to {path}"))
        worker.weightsLoaded.connect(lambda path: self._status(f"Imported weights from {os.path.basename(path)}"))

        from minitorch.training.image_trainer import DEFAULT_PRESET

        self._data_changed(initial=True)
        self.builder.apply_preset(DEFAULT_PRESET)
        self.apply_config()

    # --- layout ---------------------------------------------------------------------------------------------
    def _build_left(self) -> QWidget:
        panel = QWidget()
        panel.setMinimumWidth(480)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)

        data_box = QGroupBox("Data")
        form = self.data_form = QFormLayout(data_box)
        form.setContentsMargins(6, 4, 6, 4)
        self.dataset_combo = QComboBox()
        self.dataset_combo.addItem("Digits 8×8 (scikit-learn)", "digits")
        self.dataset_combo.addItem("Shapes (generated)", "shapes")
        self.dataset_combo.addItem("My folder of images", "folder")
        form.addRow("Images", self.dataset_combo)
        self.size_spin = QSpinBox()
        self.size_spin.setRange(8, 64)
        self.size_spin.setValue(16)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Shapes: 16 or 28 pixels; folder images are resized to this size")
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(8, 20000)
        self.samples_spin.setSingleStep(500)
        self.samples_spin.setValue(2000)
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, 1.0)
        self.noise_spin.setSingleStep(0.05)
        self.noise_spin.setValue(0.1)
        options = QHBoxLayout()
        for label, widget in (("size", self.size_spin), ("n", self.samples_spin), ("noise", self.noise_spin)):
            options.addWidget(QLabel(label))
            options.addWidget(widget, 1)
        self.options_row = QWidget()
        self.options_row.setLayout(options)
        options.setContentsMargins(0, 0, 0, 0)
        form.addRow("", self.options_row)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("a folder with one sub-folder of PNG/JPEG images per class")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse_folder)
        self.max_images_spin = QSpinBox()
        self.max_images_spin.setRange(2, 20000)
        self.max_images_spin.setValue(2000)
        self.max_images_spin.setPrefix("max ")
        self.max_images_spin.setToolTip("The most images the folder may hold (a safety limit)")
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.max_images_spin)
        folder_row.addWidget(self.browse_button)
        self.folder_row = QWidget()
        self.folder_row.setLayout(folder_row)
        form.addRow("Folder", self.folder_row)
        self.data_message = QLabel("")
        self.data_message.setWordWrap(True)
        form.addRow(self.data_message)
        layout.addWidget(data_box)

        net_box = QGroupBox("Network")
        net_layout = QVBoxLayout(net_box)
        net_layout.setContentsMargins(6, 4, 6, 4)
        self.builder = BlockBuilder()
        net_layout.addWidget(self.builder)
        layout.addWidget(net_box, 1)

        train_box = QGroupBox("Training")
        grid = QGridLayout(train_box)
        grid.setContentsMargins(6, 4, 6, 4)
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.addItems(["adam", "adamw", "sgd", "rmsprop"])
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(4)
        self.lr_spin.setRange(0.0001, 1.0)
        self.lr_spin.setSingleStep(0.001)
        self.lr_spin.setValue(0.01)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 1024)
        self.batch_spin.setValue(32)
        self.device_combo = QComboBox()
        self.device_combo.addItems(["cpu", "cuda"])
        self._check_cuda()
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(0, 1000)
        self.epochs_spin.setSpecialValueText("no limit")
        self.epochs_spin.setToolTip("Pause after this many epochs (0: no limit)")
        self.epochs_spin.valueChanged.connect(self.controller.set_max_epochs)
        for column, (label, widget) in enumerate((("optimizer", self.optimizer_combo), ("lr", self.lr_spin),
                                                  ("batch", self.batch_spin))):
            grid.addWidget(QLabel(label), 0, 2 * column)
            grid.addWidget(widget, 0, 2 * column + 1)
        grid.addWidget(QLabel("device"), 1, 0)
        grid.addWidget(self.device_combo, 1, 1)
        grid.addWidget(QLabel("stop"), 1, 2)
        grid.addWidget(self.epochs_spin, 1, 3)
        buttons = QHBoxLayout()
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Start or pause training")
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("One minibatch")
        self.step_button.clicked.connect(self.step)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Fresh random weights (the same seed gives the same start)")
        self.reset_button.clicked.connect(self.reset)
        for button in (self.play_button, self.step_button, self.reset_button):
            buttons.addWidget(button)
        grid.addLayout(buttons, 2, 0, 1, 6)
        files = QHBoxLayout()
        for text, slot in (("Export…", self.export_dialog), ("Import…", self.import_dialog),
                           ("Save…", self.save_dialog), ("Open…", self.open_dialog)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            files.addWidget(button)
        grid.addLayout(files, 3, 0, 1, 6)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        grid.addWidget(self.status_label, 4, 0, 1, 6)
        layout.addWidget(train_box)

        self.dataset_combo.currentIndexChanged.connect(lambda _i: self._data_changed())
        for spin in (self.size_spin, self.samples_spin, self.max_images_spin):
            spin.valueChanged.connect(lambda _v: self._data_changed())
        self.noise_spin.valueChanged.connect(lambda _v: self._data_changed())
        self.folder_edit.editingFinished.connect(self._data_changed)
        self.builder.changed.connect(self._config_timer.start)
        for combo in (self.optimizer_combo, self.device_combo):
            combo.currentIndexChanged.connect(lambda _i: self._config_timer.start())
        self.lr_spin.valueChanged.connect(lambda _v: self._config_timer.start())
        self.batch_spin.valueChanged.connect(lambda _v: self._config_timer.start())
        return panel

    def _build_right(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.curves = CurvePlots()
        self.curves.setMinimumHeight(170)
        self.progress_label = QLabel("")
        self.progress_label.setFixedHeight(20)  # a new text never re-lays out the page
        layout.addWidget(self.progress_label)
        layout.addWidget(self.curves, 2)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        layout.addWidget(self.pages, 5)

        inside = QSplitter(Qt.Orientation.Horizontal)
        self.filter_view = MosaicView(empty_text="No Conv2d layer: add one to see its filters")
        self.map_view = MosaicView(empty_text="Build a network to see its feature maps")
        maps_panel = QWidget()
        maps_layout = QVBoxLayout(maps_panel)
        maps_layout.setContentsMargins(0, 0, 0, 0)
        probe_row = QHBoxLayout()
        probe_row.addWidget(QLabel("Feature maps of test image"))
        self.probe_spin = QSpinBox()
        self.probe_spin.setRange(0, 0)
        self.probe_spin.valueChanged.connect(self.controller.set_probe)
        probe_row.addWidget(self.probe_spin)
        self.probe_label = QLabel("")
        probe_row.addWidget(self.probe_label, 1)
        maps_layout.addLayout(probe_row)
        maps_layout.addWidget(_scrolling(self.map_view), 1)
        filters_panel = QWidget()
        filters_layout = QVBoxLayout(filters_panel)
        filters_layout.setContentsMargins(0, 0, 0, 0)
        filters_layout.addWidget(QLabel("Conv filters (red +, blue −; one row per output channel)"))
        filters_layout.addWidget(_scrolling(self.filter_view), 1)
        inside.addWidget(filters_panel)
        inside.addWidget(maps_panel)
        inside.setSizes([380, 620])
        self.pages.addTab(inside, "Inside the network")

        results = QSplitter(Qt.Orientation.Horizontal)
        confusion_panel = QWidget()
        confusion_layout = QVBoxLayout(confusion_panel)
        confusion_layout.setContentsMargins(0, 0, 0, 0)
        confusion_layout.addWidget(QLabel("Confusion matrix (test set)"))
        self.confusion_view = ConfusionView()
        confusion_layout.addWidget(self.confusion_view, 1)
        self.gallery_view = MosaicView(empty_text="No misclassified test images")
        self.gallery_view.tileClicked.connect(self._gallery_clicked)
        gallery_panel = QWidget()
        gallery_layout = QVBoxLayout(gallery_panel)
        gallery_layout.setContentsMargins(0, 0, 0, 0)
        gallery_layout.addWidget(QLabel("Misclassified test images: true → predicted (confidence); click one "
                                        "to see its feature maps"))
        gallery_layout.addWidget(_scrolling(self.gallery_view), 1)
        results.addWidget(confusion_panel)
        results.addWidget(gallery_panel)
        results.setSizes([420, 580])
        self.pages.addTab(results, "Results")

        draw = QWidget()
        draw_layout = QHBoxLayout(draw)
        pad_column = QVBoxLayout()
        pad_column.addWidget(QLabel("Draw here (right-click clears)"))
        self.pad = DrawingPad()
        self.pad.strokeFinished.connect(self.controller.predict_drawing)
        pad_column.addWidget(self.pad)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.pad.clear)
        pad_column.addWidget(clear)
        pad_column.addStretch(1)
        draw_layout.addLayout(pad_column)
        self.prediction_bars = ProbabilityBars()
        self.prediction_label = QLabel("")
        bars_column = QVBoxLayout()
        bars_column.addWidget(self.prediction_label)
        bars_column.addWidget(self.prediction_bars, 1)
        draw_layout.addLayout(bars_column, 1)
        self.drawing_maps = MosaicView(empty_text="Feature maps of your drawing")
        draw_layout.addWidget(_scrolling(self.drawing_maps), 2)
        self.pages.addTab(draw, "Draw")
        self.pages.currentChanged.connect(lambda _i: self._redraw_page())
        return panel

    # --- device menu ----------------------------------------------------------------------------------------
    def _check_cuda(self) -> None:
        from minitorch import backend

        self.cuda_reason = None if backend.cuda_available() else backend.cuda_unavailable_reason()
        item = self.device_combo.model().item(1)
        if self.cuda_reason:
            item.setEnabled(False)
            item.setToolTip(f"Unavailable: {self.cuda_reason}")
            self.device_combo.setItemText(1, "cuda (unavailable)")
            self.device_combo.setToolTip(f"cuda is unavailable: {self.cuda_reason}")

    # --- config -------------------------------------------------------------------------------------------
    def dataset(self) -> str:
        return str(self.dataset_combo.currentData())

    def current_config(self) -> dict[str, Any]:
        """The ImageTrainConfig dict the form describes."""
        dataset = self.dataset()
        size = self.size_spin.value()
        if dataset == "shapes":
            size = 16 if size < 22 else 28
        return {
            "dataset": dataset, "image_size": size, "n_samples": self.samples_spin.value(),
            "noise": round(self.noise_spin.value(), 4), "folder": self.folder_edit.text().strip() or None,
            "max_images": self.max_images_spin.value(), "layers": self.builder.layers(),
            "optimizer": self.optimizer_combo.currentText(), "lr": round(self.lr_spin.value(), 6),
            "batch_size": self.batch_spin.value(), "device": "cuda" if self.device_combo.currentIndex() == 1 else "cpu",
        }

    def set_config(self, config: dict[str, Any]) -> None:
        """Show a config in the form (after opening an experiment)."""
        widgets = (self.dataset_combo, self.size_spin, self.samples_spin, self.noise_spin, self.max_images_spin,
                   self.optimizer_combo, self.lr_spin, self.batch_spin, self.folder_edit, self.builder)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.dataset_combo.setCurrentIndex(max(0, self.dataset_combo.findData(config.get("dataset", "digits"))))
            self.size_spin.setValue(int(config.get("image_size", 16)))
            self.samples_spin.setValue(int(config.get("n_samples", 2000)))
            self.noise_spin.setValue(float(config.get("noise", 0.1)))
            self.max_images_spin.setValue(int(config.get("max_images", 2000)))
            self.folder_edit.setText(config.get("folder") or "")
            self.optimizer_combo.setCurrentText(str(config.get("optimizer", "adam")))
            self.lr_spin.setValue(float(config.get("lr", 0.01)))
            self.batch_spin.setValue(int(config.get("batch_size", 32)))
            self._data_changed(initial=True)
            self.builder.set_layers(config.get("layers", []))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._config_timer.stop()

    def _data_changed(self, initial: bool = False) -> None:
        """Show the options of the chosen data set and tell the builder its image shape and classes."""
        from minitorch.images import SHAPE_CLASSES, ImageDataError, folder_classes

        dataset = self.dataset()
        self.samples_spin.setEnabled(dataset == "shapes")
        self.noise_spin.setEnabled(dataset == "shapes")
        self.data_form.setRowVisible(self.folder_row, dataset == "folder")
        self.data_form.setRowVisible(self.options_row, dataset != "digits")
        self.data_message.setStyleSheet("")
        message = ""
        if dataset == "digits":
            shape, classes = (1, 8, 8), 10
            message = "1797 handwritten digits from scikit-learn, 8×8 pixels."
        elif dataset == "shapes":
            size = 16 if self.size_spin.value() < 22 else 28
            shape, classes = (1, size, size), len(SHAPE_CLASSES)
            message = f"Circles, squares, triangles and lines at random places, {size}×{size}."
        else:
            size = self.size_spin.value()
            shape, classes = (1, size, size), self.builder.num_classes
            folder = self.folder_edit.text().strip()
            if folder:
                try:
                    found = folder_classes(folder)
                    classes = len(found)
                    message = f"{classes} classes: " + ", ".join(f"{name} ({len(files)})" for name, files in found)
                except ImageDataError as exc:
                    message = str(exc)
                    self.data_message.setStyleSheet(ERROR_STYLE)
            else:
                message = "Choose a folder with one sub-folder of PNG/JPEG images per class."
        self.data_message.setText(message)
        old_classes = self.builder.num_classes
        self.builder.set_input(shape, classes)
        rows = self.builder.rows
        if not initial and rows and rows[-1].kind == "linear" and classes != old_classes:
            rows[-1].editors["out_features"].setValue(classes)  # the output layer follows the data
        if not initial:
            self._config_timer.start()

    def apply_config(self) -> None:
        """Send the form's config to the worker (unless the network is impossible)."""
        self._config_timer.stop()
        if self.builder.error:
            self.config_error = self.builder.error
            self._set_trainable(False)
            self._status("Fix the network first: " + self.builder.error)
            return
        self.config_error = None
        self.controller.configure(self.current_config())

    def _set_trainable(self, trainable: bool) -> None:
        for button in (self.play_button, self.step_button, self.reset_button):
            button.setEnabled(trainable)

    def _on_rejected(self, reason: str) -> None:
        self.config_error = reason
        self._set_trainable(False)
        if self.dataset() == "folder" or "folder" in reason or "image" in reason:
            self.data_message.setText(reason)
            self.data_message.setStyleSheet(ERROR_STYLE)
        self._status(f"Cannot build: {reason}")

    def _on_accepted(self, config: dict[str, Any]) -> None:
        self.config_error = None
        self._set_trainable(True)

    def _on_config_loaded(self, config: dict[str, Any]) -> None:
        self.set_config(config)

    def _status(self, text: str) -> None:
        self.status_label.setText(text)
        self.statusMessage.emit(text)

    def _on_failed(self, what: str, reason: str) -> None:
        self.last_error = (what, reason)
        self._status(f"{what} failed: {reason}")

    # --- commands -------------------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self._config_timer.isActive():
            self.apply_config()  # pending edits first: Play trains what the form shows
        self.controller.toggle()

    def step(self) -> None:
        """One minibatch (the S key)."""
        self.controller.step(1)

    def reset(self) -> None:
        """Fresh weights from the seed (the R key)."""
        self.controller.reset()

    def _on_running(self, running: bool) -> None:
        self.running = running
        self.play_button.setText("❚❚ Pause" if running else "▶ Play")
        if running:
            # Move everything alive now (modules, widgets' wrappers, the test images, the curves)
            # out of the cyclic collector's sight: the frames' history entries pile up while
            # training, and each full collection then walked all of it holding the interpreter
            # lock (50-60 ms GUI stalls measured; about 6 ms frozen). Freezing costs nothing.
            gc.freeze()
            self._status("Training: every view updates as the network learns.")

    def _gallery_clicked(self, _section: int, tile: int) -> None:
        frame = self.last_frame
        if frame is not None and tile < len(frame.misclassified):
            self.probe_spin.setValue(frame.misclassified[tile][0])
            self.pages.setCurrentIndex(0)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of images (one sub-folder per class)")
        if path:
            self.folder_edit.setText(path)
            self._data_changed()

    def _ask_save(self, title: str, filters: str, suffix: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(self, title, "", filters)
        if path and not os.path.splitext(path)[1]:
            path += ".safetensors" if "safetensors" in chosen else ".pt" if "*.pt" in chosen else suffix
        return path or None

    def export_dialog(self) -> None:
        path = self._ask_save("Export weights", WEIGHT_FILTERS, ".json")
        if path:
            self.controller.export_weights(path)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", "", WEIGHT_FILTERS)
        if path:
            self.controller.import_weights(path)

    def save_dialog(self) -> None:
        path = self._ask_save("Save experiment", EXPERIMENT_FILTER, ".json")
        if path:
            self.controller.save_experiment(path)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image experiment or config", "", EXPERIMENT_FILTER)
        if path:
            self.controller.open_experiment(path)

    # --- frames -----------------------------------------------------------------------------------------------
    def show_frame(self, frame: ImageFrame) -> None:
        """Draw a frame from the training process; the next one comes once Qt has painted this one."""
        try:
            self._draw(frame)
            # Paint the changed views now rather than at Qt's deferred update, so that the
            # "painted" acknowledgement (frame_drawn) follows the painting at once and the next
            # frame is not held back. One repaint() paints every view marked dirty in the window
            # (each view once), not just its own.
            visible = [widget for widget in self._changed if widget.isVisible()]
            if visible:
                visible[0].repaint()
        finally:
            self._changed = []
            self.controller.frame_drawn()
        self.frames_shown += 1
        self.frameShown.emit(frame)

    def _draw(self, frame: ImageFrame) -> None:
        previous = self.last_frame
        self.last_frame = frame
        if previous is None or previous.generation != frame.generation:
            self._drawn_versions = {}
            self.probe_spin.blockSignals(True)
            self.probe_spin.setRange(0, max(0, len(frame.y_test) - 1))
            self.probe_spin.setValue(frame.probe_index)
            self.probe_spin.blockSignals(False)
        self._draw_curves(frame)
        self._redraw_page()
        self._changed.extend((self.progress_label, self.curves))

    def _redraw_page(self) -> None:
        frame = self.last_frame
        if frame is None:
            return
        page = self.pages.currentIndex()
        drawn = self._drawn_versions
        if page == 0:
            # While training, at most one of the two mosaics per frame (taking turns when both
            # are due), so that no frame pays for both.
            filters_due = drawn.get("filters") != frame.filters_version
            maps_due = drawn.get("maps") != frame.maps_version
            if filters_due and maps_due and frame.running:
                filters_due = drawn.get("last_mosaic") != "filters"
                maps_due = not filters_due
            if filters_due:
                self.filter_view.set_sections(self._filter_sections(frame))
                self._changed.append(self.filter_view)
                drawn["filters"], drawn["last_mosaic"] = frame.filters_version, "filters"
            if maps_due:
                self.map_view.set_sections(self._map_sections(frame.feature_maps, frame.layer_titles))
                self._changed.append(self.map_view)
                label = frame.class_names[int(frame.y_test[frame.probe_index])]
                self.probe_label.setText(f"(true class: {label})")
                drawn["maps"], drawn["last_mosaic"] = frame.maps_version, "maps"
        elif page == 1 and drawn.get("results") != (frame.evaluations, frame.generation):
            self.confusion_view.set_matrix(frame.confusion, frame.class_names)
            self.gallery_view.set_sections(self._gallery_sections(frame))
            self._changed.extend((self.confusion_view, self.gallery_view))
            drawn["results"] = (frame.evaluations, frame.generation)

    def _draw_curves(self, frame: ImageFrame) -> None:
        history = frame.snapshot.history
        cache = self._history_cache
        if cache["generation"] != frame.generation or len(history) < cache["count"]:
            cache.update(generation=frame.generation, count=0, steps=[], loss=[], acc=[], test_steps=[],
                         test_loss=[], test_acc=[], smooth_loss=None, smooth_acc=None)
        for entry in history[cache["count"]:]:
            loss, acc = entry.get("train_loss"), entry.get("train_acc")
            if loss is None or acc is None or not np.isfinite(loss):
                continue
            cache["smooth_loss"] = loss if cache["smooth_loss"] is None else \
                SMOOTHING * cache["smooth_loss"] + (1 - SMOOTHING) * loss
            cache["smooth_acc"] = acc if cache["smooth_acc"] is None else \
                SMOOTHING * cache["smooth_acc"] + (1 - SMOOTHING) * acc
            cache["steps"].append(entry["step"])
            cache["loss"].append(cache["smooth_loss"])
            cache["acc"].append(cache["smooth_acc"])
            if "test_acc" in entry:
                cache["test_steps"].append(entry["step"])
                cache["test_loss"].append(entry["test_loss"])
                cache["test_acc"].append(entry["test_acc"])
        if cache["count"] != len(history) or not self.curves.points:
            cache["count"] = len(history)
            self.curves.set_history(*(np.asarray(cache[k], dtype=float) for k in
                                      ("steps", "loss", "acc", "test_steps", "test_loss", "test_acc")))
        snap = frame.snapshot
        metrics = snap.metrics
        test_acc = metrics.get("test_acc")
        text = f"step {snap.step} · epoch {snap.epoch}"
        if test_acc is not None:
            text += f" · test accuracy {100 * test_acc:.1f}% · test loss {metrics.get('test_loss', 0):.3f}"
        if frame.running:
            text += f" · {frame.steps_per_second:,.0f} steps/s"
        self.progress_label.setText(text)

    def _filter_sections(self, frame: ImageFrame) -> list[Section]:
        sections = []
        for index, weights in frame.filters:
            out_channels, in_channels = weights.shape[:2]
            shown = min(in_channels, MAX_FILTER_COLUMNS)
            tiles = weights[:, :shown].reshape(out_channels * shown, *weights.shape[2:])
            more = f" (first {shown} of {in_channels} inputs)" if shown < in_channels else ""
            sections.append(Section(f"Layer {index + 1}: {frame.layer_titles[index]}{more}", tiles, signed=True,
                                    tile_pixels=30, columns=shown if shown > 1 else None))
        return sections

    def _map_sections(self, maps: tuple[np.ndarray, ...], titles: tuple[str, ...]) -> list[Section]:
        sections = []
        for index, output in enumerate(maps):
            title = "Input" if index == 0 else f"Layer {index}: {titles[index - 1]}"
            if output.ndim == 3:
                tiles = output[:MAX_MAP_CHANNELS]
                if len(output) > MAX_MAP_CHANNELS:
                    title += f" (first {MAX_MAP_CHANNELS} of {len(output)} channels)"
                sections.append(Section(title, tiles, tile_pixels=44 if index == 0 else 36))
            else:  # a vector: one strip, up to 64 values per row
                values = output.reshape(-1)
                width = min(len(values), 64)
                padded = np.zeros(-(-len(values) // width) * width, dtype=float)
                padded[:len(values)] = values
                sections.append(Section(title, padded.reshape(1, -1, width), signed=True, tile_pixels=8 * width))
        return sections

    def _gallery_sections(self, frame: ImageFrame) -> list[Section]:
        if not frame.misclassified:
            return []
        names = frame.class_names
        indices = [item[0] for item in frame.misclassified]
        tiles = frame.x_test[indices, 0]
        captions = tuple(f"{names[t][:6]}→{names[p][:6]} {100 * c:.0f}%" for _, t, p, c in frame.misclassified)
        wrong = len(frame.misclassified)
        title = f"{wrong}{'+' if wrong >= 40 else ''} misclassified of {len(frame.y_test)} test images"
        return [Section(title, tiles, captions=captions, tile_pixels=48)]

    def _show_drawing(self, prediction: DrawingPrediction) -> None:
        self.last_drawing = prediction
        frame = self.last_frame
        names = frame.class_names if frame is not None else tuple(str(i) for i in range(len(prediction.probabilities)))
        self.prediction_bars.set_probabilities(prediction.probabilities, names)
        best = int(np.argmax(prediction.probabilities))
        self.prediction_label.setText(f"Prediction: <b>{names[best]}</b> ({100 * prediction.probabilities[best]:.0f}%)")
        titles = frame.layer_titles if frame is not None else ()
        self.drawing_maps.set_sections(self._map_sections(prediction.feature_maps, titles))
        self.drawingShown.emit(prediction)

    def predicted_class(self) -> str | None:
        """The class name the last drawing was predicted as (None before any drawing)."""
        if self.last_drawing is None or self.last_frame is None:
            return None
        return self.last_frame.class_names[int(np.argmax(self.last_drawing.probabilities))]

    def shutdown(self) -> bool:
        self._config_timer.stop()
        return self.controller.shutdown()


class LazyImagePlayground(QWidget):
    """A tab page that builds the `ImagePlayground` (and its thread and data) when first shown."""

    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.playground: ImagePlayground | None = None
        self._closed = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.ensure_built()

    def ensure_built(self) -> ImagePlayground | None:
        if self.playground is None and not self._closed:
            self.playground = ImagePlayground()
            self.playground.statusMessage.connect(self.statusMessage)
            self.layout().addWidget(self.playground)
        return self.playground

    def shutdown(self) -> bool:
        self._closed = True
        return self.playground.shutdown() if self.playground is not None else True


def _scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


__all__ = ["ImagePlayground", "LazyImagePlayground", "describe_layer", "shape_text"]
