"""`MainWindow`: the playground tab, the graph-explorer tabs, menus, shortcuts, status bar."""

from __future__ import annotations

import csv
import gc
import io as _io
import json
import os
import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from .playground import DEFAULT_CONFIG, Playground
from .worker import Frame, TrainingController, TrainingWorker

APP_TITLE = "PyTorch Mini Playground"
WEIGHT_FILTERS = "JSON weights (*.json);;safetensors (*.safetensors);;PyTorch state dict (*.pt)"
EXPERIMENT_FILTER = "Experiment (*.json);;All files (*)"
MODEL_GRAPH_INTERVAL = 0.4  # seconds between Model graph refreshes while training


def history_csv(history: Sequence[Any]) -> str:
    """The loss history as CSV text: one row per recorded step."""
    columns = ["step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc"]
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in history:
        get = row.get if hasattr(row, "get") else lambda k, r=row: getattr(r, k, None)
        writer.writerow(["" if get(c) is None else get(c) for c in columns])
    return buffer.getvalue()


class MainWindow(QMainWindow):
    """The application window. ``settings`` lets tests use a private QSettings file."""

    def __init__(
        self,
        settings: QSettings | None = None,
        worker: TrainingWorker | None = None,
        restore: bool = True,
    ):
        super().__init__()
        self.setWindowTitle(f"{APP_TITLE} — watch a network learn")
        self.settings = settings if settings is not None else QSettings("PyTorchMini", "Playground")
        self.controller = TrainingController(self, worker=worker)
        self.playground = Playground(self.controller)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.playground, "Playground")
        self.tabs.setTabToolTip(0, "Build a network, train it and watch it learn")
        self.model_graph: QWidget | None = None
        self.expression_explorer: QWidget | None = None
        self.setCentralWidget(self.tabs)
        # pyqtgraph and the graph explorer (networkx and friends) load once the window is up:
        # the window appears fast and fills in a moment later.
        QTimer.singleShot(30, self.playground.build_plots)
        QTimer.singleShot(150, self._add_explorer_tabs)
        self.image_tab: QWidget | None = None
        QTimer.singleShot(200, self._add_image_tab)
        # Once everything is loaded, move the start-up objects out of the garbage collector's
        # sight: full collections (triggered by training's many short-lived objects) then stop
        # walking every Qt wrapper and module, which stalled the GUI for up to ~100 ms.
        QTimer.singleShot(400, gc.freeze)
        self._graph_refreshed = 0.0

        self.status_label = QLabel("Ready")
        self.statusBar().addWidget(self.status_label, 1)
        self.speed_label = QLabel("")
        self.statusBar().addPermanentWidget(self.speed_label)
        self._build_actions()

        worker_obj = self.controller.worker
        worker_obj.message.connect(self.show_status)
        worker_obj.failed.connect(self._on_failure)
        worker_obj.fileSaved.connect(self._on_saved)
        worker_obj.weightsLoaded.connect(self._on_weights_loaded)
        worker_obj.frameReady.connect(self._on_frame)
        self.last_error: tuple[str, str] | None = None

        self.resize(1480, 900)
        if restore:
            self._restore_settings()
        else:
            self.playground.set_config(DEFAULT_CONFIG)
        self.playground.apply_config()
        self.controller.send("set_stop_condition", *self.playground.controls.stop_condition())

    # --- tabs from the graph explorer ---------------------------------------------------------------
    def _add_image_tab(self) -> None:
        """The image playground (conv nets on images); it loads its data when first shown."""
        if self.image_tab is None and not self.controller.stopped:
            from .image_playground import LazyImagePlayground

            self.image_tab = LazyImagePlayground()
            self.image_tab.statusMessage.connect(self.show_status)
            self.tabs.addTab(self.image_tab, "Images")
            self.tabs.setTabToolTip(self.tabs.count() - 1, "Build a conv net from blocks and watch it learn images")

    def _add_explorer_tabs(self) -> None:
        if self.model_graph is not None or self.controller.stopped:
            return
        try:
            from .explorer import ExpressionExplorer, ModelGraphPanel
        except Exception:  # not there yet, or broken: the playground works without it
            return
        try:
            self.expression_explorer = ExpressionExplorer()
            self.tabs.addTab(self.expression_explorer, "Expression explorer")
            self.tabs.setTabToolTip(self.tabs.count() - 1, "Type an expression and step through its graph")
            self.model_graph = ModelGraphPanel()
            self.model_graph.sampleChanged.connect(lambda _index: self._refresh_model_graph(force=True))
            self.tabs.addTab(self.model_graph, "Model graph")
            self.tabs.setTabToolTip(self.tabs.count() - 1, "The current model's computation graph for one sample")
        except Exception as exc:
            self.show_status(f"Graph explorer unavailable: {exc}")
        self.tabs.currentChanged.connect(lambda _index: self._refresh_model_graph(force=True))

    def _refresh_model_graph(self, force: bool = False) -> None:
        """Update the Model graph tab from the latest frame, a few times a second, only when visible."""
        frame = self.playground.last_frame
        if self.model_graph is None or frame is None or self.tabs.currentWidget() is not self.model_graph:
            return
        now = time.monotonic()
        if not force and now - self._graph_refreshed < MODEL_GRAPH_INTERVAL:
            return
        self._graph_refreshed = now
        try:
            sample = self._model_graph_sample(frame)
            # The seed's scalar graph of the current weights, whichever engine trains (both
            # compute the same numbers from the same weights).
            config = {**frame.config, "engine": "scalar"}
            self.model_graph.update_model(config, frame.snapshot.state_dict, sample)
        except Exception as exc:
            self.show_status(f"Model graph: {exc}")

    def _model_graph_sample(self, frame: Any) -> Any:
        """The chosen training sample as the network sees it (with x1^2, sin(x1)... when enabled)."""
        from minitorch.datasets import feature_matrix, resolve_features

        x_train = frame.data.x_train
        if not len(x_train):
            return None
        self.model_graph.set_sample_count(len(x_train))
        index = min(self.model_graph.sample_index, len(x_train) - 1)
        features = resolve_features(frame.config.get("features") or ["x1", "x2"], frame.data.input_dim)
        return feature_matrix(x_train[index : index + 1], features)[0]

    # --- actions and menus -------------------------------------------------------------------------------
    def _action(self, text: str, slot: Any, shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_actions(self) -> None:
        pg = self.playground
        self.open_action = self._action("&Open experiment or config…", self.open_dialog, QKeySequence.StandardKey.Open,
                                        "Open a saved experiment or a TrainConfig JSON file")
        self.save_action = self._action("&Save experiment…", self.save_experiment_dialog, QKeySequence.StandardKey.Save,
                                        "Save config, weights and history in one file")
        self.import_action = self._action("&Import weights…", self.import_weights_dialog, "Ctrl+I",
                                          "Load weights saved as JSON, safetensors or .pt into this network")
        self.export_action = self._action("&Export weights…", self.export_weights_dialog, "Ctrl+E",
                                          "Save the current weights as JSON, safetensors or PyTorch .pt")
        self.csv_action = self._action("Export loss history as &CSV…", self.export_csv_dialog, None,
                                       "Save step, epoch, losses and accuracy as CSV")
        self.png_action = self._action("Export plots as &PNG…", self.export_png_dialog, None,
                                       "Save a picture of the network and the output plots")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "Close the playground")
        self.play_action = self._action("&Play / pause", pg.toggle_play, Qt.Key.Key_Space, "Start or pause training")
        self.step_action = self._action("&Step", pg.step, Qt.Key.Key_S, "One optimisation step")
        self.reset_action = self._action("&Reset", pg.reset, Qt.Key.Key_R, "New random weights")

        file_menu = self.menuBar().addMenu("&File")
        for action in (self.open_action, self.save_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        for action in (self.import_action, self.export_action, self.csv_action, self.png_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        train_menu = self.menuBar().addMenu("&Training")
        for action in (self.play_action, self.step_action, self.reset_action):
            train_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About", self.show_about, None, "About PyTorch Mini"))

    # --- status -----------------------------------------------------------------------------------------------
    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_frame(self, frame: Frame) -> None:
        if frame.running:
            self.speed_label.setText(f"training · {frame.steps_per_second:,.0f} steps/s")
        else:
            self.speed_label.setText("paused")
        self._refresh_model_graph()

    def _on_failure(self, what: str, reason: str) -> None:
        self.last_error = (what, reason)
        self.show_status(f"{what} failed: {reason}")
        QMessageBox.warning(self, f"{what} failed", f"{what} failed:\n\n{reason}")

    def _on_weights_loaded(self, path: str) -> None:
        self.show_status(f"Imported weights from {os.path.basename(path)}")

    def _on_saved(self, what: str, path: str) -> None:
        self.show_status(f"Saved {what} to {path}")

    # --- file commands (paths given: used by the dialogs, tests and the command line) -----------------
    def export_weights(self, path: str) -> None:
        self.controller.send("export_weights", path)

    def import_weights(self, path: str) -> None:
        self.controller.send("import_weights", path)

    def save_experiment(self, path: str) -> None:
        self.controller.send("save_experiment", path)

    def open_path(self, path: str) -> None:
        """Open an experiment (config + weights + history) or a config JSON file.

        The worker reads and validates it (minitorch.training.load_experiment); a bad file shows
        a message and leaves the current model as it was.
        """
        self.show_status(f"Opening {os.path.basename(path)}…")
        self.controller.send("open_experiment", os.fspath(path))

    def export_csv(self, path: str) -> None:
        frame = self.playground.last_frame
        history = frame.snapshot.history if frame is not None else ()
        from minitorch.fileio import atomic_write_bytes  # lazy: the toolkit loads after the window shows

        atomic_write_bytes(path, history_csv(history).encode("utf-8"))
        self.show_status(f"Saved the loss history ({len(history)} rows) to {path}")

    def export_png(self, path: str) -> None:
        self.playground.build_plots()
        from minitorch.fileio import atomic_write

        image = self.playground.grab()

        def write(tmp: str) -> None:
            if not image.save(tmp, "PNG"):
                raise OSError(f"could not write a PNG to {path}")

        atomic_write(path, write)
        self.show_status(f"Saved the plots to {path}")

    # --- dialogs -------------------------------------------------------------------------------------------------
    def _ask_save(self, title: str, filters: str, default_suffix: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(self, title, "", filters)
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            suffix = default_suffix
            if "safetensors" in chosen:
                suffix = ".safetensors"
            elif "*.pt" in chosen:
                suffix = ".pt"
            path += suffix
        return path

    def export_weights_dialog(self) -> None:
        path = self._ask_save("Export weights", WEIGHT_FILTERS, ".json")
        if path:
            self.export_weights(path)

    def import_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", "", WEIGHT_FILTERS + ";;All files (*)")
        if path:
            self.import_weights(path)

    def save_experiment_dialog(self) -> None:
        path = self._ask_save("Save experiment", EXPERIMENT_FILTER, ".json")
        if path:
            self.save_experiment(path)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment or config", "", EXPERIMENT_FILTER)
        if path:
            self.open_path(path)

    def export_csv_dialog(self) -> None:
        path = self._ask_save("Export loss history", "CSV (*.csv)", ".csv")
        if path:
            self._run_reporting("Exporting the loss history", self.export_csv, path)

    def export_png_dialog(self) -> None:
        path = self._ask_save("Export plots", "PNG image (*.png)", ".png")
        if path:
            self._run_reporting("Exporting the plots", self.export_png, path)

    def _run_reporting(self, what: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self._on_failure(what, str(exc))

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About PyTorch Mini",
            "<b>PyTorch Mini Playground</b><br>A small PyTorch-like autograd engine (minitorch) "
            "and a desktop playground to watch networks learn.<br><br>"
            "Space: play/pause · S: step · R: reset · Ctrl+E: export weights",
        )

    # --- settings and shutdown -------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.value("window/splitter")
        if splitter is not None:
            self.playground.splitter.restoreState(splitter)
        config = DEFAULT_CONFIG
        saved = self.settings.value("config/last")
        if saved:
            try:
                candidate = json.loads(str(saved))
            except ValueError:
                candidate = None  # unreadable: start from the defaults
            if isinstance(candidate, dict):
                config = candidate  # the worker validates it; a stale one falls back to the defaults
        self.playground.set_config(config)
        log_scale = self.settings.value("view/log_scale", False)
        self.playground.log_scale.setChecked(str(log_scale).lower() == "true")

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.playground.splitter.saveState())
        self.settings.setValue("config/last", json.dumps(self.playground.current_config()))
        self.settings.setValue("view/log_scale", self.playground.log_scale.isChecked())
        self.settings.sync()

    def shutdown(self) -> bool:
        """Stop the worker thread and wait for it (idempotent)."""
        for timer in self.findChildren(QTimer):
            timer.stop()
        if self.image_tab is not None:
            self.image_tab.shutdown()
        return self.controller.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.save_settings()
        self.shutdown()
        event.accept()
