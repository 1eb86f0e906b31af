"""`MainWindow`: the playground tab, the graph-explorer tabs, menus, shortcuts, status bar."""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QIcon, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QSizePolicy,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from .playground import DEFAULT_CONFIG, Playground
from .worker import Frame, TrainingController, TrainingWorker

APP_TITLE = "PyTorch Mini Playground"
WEIGHT_FILTERS = "JSON weights (*.json);;safetensors (*.safetensors);;PyTorch state dict (*.pt)"
EXPERIMENT_FILTER = "Experiment (*.json);;All files (*)"
MODEL_GRAPH_INTERVAL = 0.4  # seconds between Model graph refreshes while training
MAX_RECENT = 8
RESOURCES = Path(__file__).with_name("resources")
DOCS = Path(__file__).resolve().parent.parent / "docs"  # in a source checkout
SHORTCUTS_HTML = (
    "<table cellpadding=3>"
    "<tr><td><b>Space</b></td><td>play / pause training</td></tr>"
    "<tr><td><b>S</b></td><td>one step (one minibatch)</td></tr>"
    "<tr><td><b>R</b></td><td>reset: new random weights (the seed goes up by one)</td></tr>"
    "<tr><td><b>Ctrl+O</b> / <b>Ctrl+S</b></td><td>open / save an experiment</td></tr>"
    "<tr><td><b>Ctrl+I</b> / <b>Ctrl+E</b></td><td>import / export weights</td></tr>"
    "<tr><td><b>F1</b></td><td>this list</td></tr>"
    "<tr><td><b>Ctrl+Q</b></td><td>quit</td></tr></table>"
    "<p>Space, S and R work wherever the focus is, except in a text or number field.</p>"
)
GUIDE_HTML = (
    "<p><b>Top bar:</b> play, step and reset, the epoch and step counters, and the training settings. "
    "Learning rate, momentum, batch size and regularisation change while training runs.</p>"
    "<p><b>Data (left):</b> the data set, its noise, size, test share and seed. "
    "Regenerate draws new data with the next seed.</p>"
    "<p><b>Network (middle):</b> each square is a neuron showing its output over the input plane "
    "(orange negative, blue positive). Lines are weights: blue positive, orange negative, thicker for "
    "larger. The small square at a neuron's corner is its bias. Hover a neuron or a line to read it; "
    "click a neuron to see its map large in the output view.</p>"
    "<p><b>Output (right):</b> test and training loss, the loss curve (solid: training, dashed: test), "
    "accuracy for classification, and the model's output over the plane with the training points "
    "(white outline) and test points (black outline).</p>"
    "<p>Changing the engine or the optimizer keeps the trained weights; changing the data, the network "
    "or the loss starts from new weights.</p>"
)
DOCS_HTML = (
    "<p>The guides are in the <b>docs/</b> folder of the source distribution:</p>"
    "<ul><li>docs/playground.md: this window</li><li>docs/explorer.md: the graph explorer tabs</li>"
    "<li>docs/training.md: configs, experiments and the command-line trainer</li></ul>"
)
def example_files() -> list[Path]:
    """The example experiments shipped inside the package (gui/resources/examples)."""
    return sorted((RESOURCES / "examples").glob("*.json"))


def example_title(path: Path) -> str:
    """A menu title for an example file: "moons.json" -> "Moons"."""
    return path.stem.replace("_", " ").capitalize()


STATUS_SECONDS = 8.0  # how long a status message stays before the current state replaces it


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when it is too narrow (the whole text is in its tooltip);
    a long status message never pushes the permanent widgets off the status bar."""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(1)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


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
        self.setWindowIcon(QIcon(str(RESOURCES / "icon.svg")))
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

        self.status_label = ElidedLabel("Ready")
        self.statusBar().addWidget(self.status_label, 1)
        self.speed_label = QLabel("")
        self.statusBar().addPermanentWidget(self.speed_label)
        self._build_actions()

        # A message stays for STATUS_SECONDS, then the status bar shows the current state again.
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(self._show_state)
        self._play_when_opened = False
        self._opening = ""
        self._form_note = ""
        self.playground.note.connect(self._on_form_note)
        worker_obj = self.controller.worker
        worker_obj.message.connect(self._on_worker_message)
        worker_obj.runningChanged.connect(self._on_running)
        worker_obj.configLoaded.connect(self._on_opened)
        worker_obj.failed.connect(self._on_failure)
        worker_obj.fileSaved.connect(self._on_saved)
        worker_obj.weightsLoaded.connect(self._on_weights_loaded)
        worker_obj.frameReady.connect(self._on_frame)
        self.last_error: tuple[str, str] | None = None
        self.settings_note = ""

        # Space, S and R mean play/pause, step and reset whatever has the focus, except a text field.
        self._key_actions = {Qt.Key.Key_Space: self.play_action, Qt.Key.Key_S: self.step_action,
                             Qt.Key.Key_R: self.reset_action}
        # Keys go to the focused widget first, so the filter watches only that widget (and the window,
        # which gets them when nothing has the focus). An application-wide filter would call Python for
        # every event in the app, and while the scalar engine trains each call waits for the
        # interpreter lock: the GUI stalled ~100 ms per frame.
        self.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.connect(self._watch_focus)
            self._watch_focus(None, app.focusWidget())
        self._watching_focus = app is not None

        self.resize(1480, 900)
        if restore:
            self._restore_settings()
        else:
            self.playground.set_config(DEFAULT_CONFIG)
        self.playground.apply_config()
        self.controller.send("set_stop_condition", *self.playground.controls.stop_condition())

    # --- the training keys --------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        return self._training_key(watched, event)

    def _training_key(self, watched: QObject, event: QEvent) -> bool:
        """Space, S or R pressed in this window (outside a text field): trigger its action."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        action = self._key_actions.get(event.key())
        if action is None or event.modifiers() not in (Qt.KeyboardModifier.NoModifier,
                                                       Qt.KeyboardModifier.KeypadModifier):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self or not self._training_keys_apply(watched):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key press comes here next; the menu shortcut must not fire as well
            return True
        if not event.isAutoRepeat():
            action.trigger()
        return True

    def _watch_focus(self, old: QWidget | None, new: QWidget | None) -> None:
        """Move the training-key filter to the widget that now has the keyboard focus."""
        for widget, watch in ((old, False), (new, True)):
            if widget is None or widget is self:
                continue
            try:
                widget.installEventFilter(self) if watch else widget.removeEventFilter(self)
            except RuntimeError:  # the widget was deleted
                pass

    def _training_keys_apply(self, receiver: QWidget) -> bool:
        """On the playground tab, unless the key goes to a widget that types text."""
        if self.tabs.currentWidget() is not self.playground:
            return False
        for widget in (receiver, receiver.parentWidget()):  # a spin box's or combo's line edit: its parent
            if isinstance(widget, (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)):
                return False
            if isinstance(widget, QComboBox) and widget.isEditable():
                return False
        return True

    # --- tabs from the graph explorer ---------------------------------------------------------------
    def _add_image_tab(self) -> None:
        """The image playground (conv nets on images); it loads its data when first shown."""
        if self.image_tab is None and not self.controller.stopped:
            from .image_playground import LazyImagePlayground

            self.image_tab = LazyImagePlayground()
            self.image_tab.statusMessage.connect(self.show_status)
            self.tabs.addTab(self.image_tab, "Images")
            self.tabs.setTabToolTip(self.tabs.count() - 1, "Build a conv net from blocks and watch it learn images")

    def _open_in_image_tab(self, path: str) -> bool:
        """An image config or experiment opens in the Images tab (True when it did)."""
        from minitorch.training.image_trainer import is_image_file

        if self.controller.stopped or not is_image_file(path):
            return False
        self._add_image_tab()
        self.tabs.setCurrentWidget(self.image_tab)
        self.image_tab.ensure_built().controller.open_experiment(os.fspath(path))
        return True

    def _image_playground_shown(self) -> Any:
        """The image playground when its tab is the one shown (and built), else None."""
        tab = self.image_tab
        return tab.playground if tab is not None and self.tabs.currentWidget() is tab else None

    def _trained_tab(self) -> Any:
        return self._image_playground_shown() or self.playground

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
        self.tabs.currentChanged.connect(self._on_tab_changed)

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
        # Play, Step, Reset and the file dialogs act on the Images tab while it is the one shown.
        self.play_action = self._action("&Play / pause", lambda: self._trained_tab().toggle_play(), Qt.Key.Key_Space,
                                        "Start or pause training")
        self.step_action = self._action("&Step", lambda: self._trained_tab().step(), Qt.Key.Key_S,
                                        "One optimisation step")
        self.reset_action = self._action("&Reset", lambda: self._trained_tab().reset(), Qt.Key.Key_R,
                                         "New random weights")

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = file_menu.addMenu("&Examples")
        for path in example_files():
            action = self.examples_menu.addAction(example_title(path))
            action.setToolTip(f"Open the bundled example {path.name}")
            action.triggered.connect(lambda _checked=False, p=str(path): self.open_path(p))
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        for action in (self.import_action, self.export_action, self.csv_action, self.png_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        train_menu = self.menuBar().addMenu("&Training")
        for action in (self.play_action, self.step_action, self.reset_action):
            train_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts, "F1",
                                         "The keys that drive the playground"))
        help_menu.addAction(self._action("&How to read this screen", self.show_guide, None,
                                         "What the colours, curves and boxes mean"))
        help_menu.addAction(self._action("&Documentation", self.open_docs, None,
                                         "The playground's guide (docs/playground.md)"))
        help_menu.addSeparator()
        help_menu.addAction(self._action("&About", self.show_about, None, "About PyTorch Mini"))

    # --- status -----------------------------------------------------------------------------------------------
    def show_status(self, text: str, seconds: float = 0.0) -> None:
        """Show a message; it gives way to the current state after ``seconds`` (default STATUS_SECONDS)."""
        self.status_label.setText(text)
        self._status_timer.start(int(1000 * (seconds or STATUS_SECONDS)))

    def _on_form_note(self, text: str) -> None:
        """The form changed a field by itself: say so now, and keep saying it with the worker's answer."""
        self._form_note = text
        self.show_status(text)

    def _on_worker_message(self, text: str) -> None:
        if self._form_note:
            text, self._form_note = f"{self._form_note} {text}", ""
        self.show_status(text)

    def _images_shown(self) -> bool:
        return self.image_tab is not None and self.tabs.currentWidget() is self.image_tab

    def _on_tab_changed(self, _index: int) -> None:
        # The status bar speaks for the tab on screen: the Images tab trains a model of its own.
        self._status_timer.stop()
        if not self._images_shown():
            self.speed_label.setText("training" if self.playground.running else "paused")
        self._show_state()

    def _show_state(self) -> None:
        """What is going on now, in place of an old message."""
        if self._images_shown():
            inner = self.image_tab.playground
            self.status_label.setText(inner.status_label.text() if inner is not None else "")
            self.speed_label.setText("")
            return
        frame = self.playground.last_frame
        if self.playground.running:
            text = "Training… Space pauses."
        elif frame is None:
            text = "Ready"
        elif frame.snapshot.diverged:
            text = "Training diverged: lower the learning rate and press Reset (R)."
        elif frame.snapshot.step:
            text = f"Paused at step {frame.snapshot.step:,}: Space trains on, S steps, R resets."
        else:
            text = "Model ready: press Play (Space) to train."
        self.status_label.setText(text)

    def _on_running(self, running: bool) -> None:
        # A hint such as "press Play" is stale once training starts (and "Training…" once it stops).
        if running or self.status_label.text().startswith("Training…"):
            self._status_timer.stop()
            self._show_state()  # now: a message sent with the change (a stop reason) comes after it

    def _on_opened(self, _config: Any) -> None:
        if self._opening:
            self._remember_recent(os.path.abspath(self._opening))
            self._opening = ""
        if self._play_when_opened:
            self._play_when_opened = False
            QTimer.singleShot(0, self.playground.play)  # queued behind the opening in the worker

    def _on_frame(self, frame: Frame) -> None:
        if self._images_shown():
            return  # the 2-D playground trains behind the Images tab: its state is not shown there
        if frame.running:
            self.speed_label.setText(f"training · {frame.steps_per_second:,.0f} steps/s")
        else:
            self.speed_label.setText("paused")
            if self.status_label.text().startswith("Paused at step"):
                self._show_state()  # the step count of this newest frame
        self._refresh_model_graph()

    def _on_failure(self, what: str, reason: str) -> None:
        self.last_error = (what, reason)
        if self._play_when_opened and what.startswith("Opening"):
            self._play_when_opened = False
            reason += " Training was not started."
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

    def open_path(self, path: str, play: bool = False) -> None:
        """Open an experiment (config + weights + history) or a config JSON file.

        The worker reads and validates it (minitorch.training.load_experiment); a bad file shows
        a message and leaves the current model as it was. ``play``: train once it is open
        (never when it could not be opened).
        """
        if self._open_in_image_tab(path):
            return
        self._play_when_opened = play
        self._opening = os.fspath(path)
        self.show_status(f"Opening {os.path.basename(path)}…")
        self.controller.send("open_experiment", os.fspath(path))

    def export_csv(self, path: str) -> None:
        frame = self.playground.last_frame
        history = frame.snapshot.history if frame is not None else ()
        from minitorch.fileio import atomic_write_bytes  # lazy: the toolkit loads after the window shows
        from minitorch.training.history import history_csv

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
        if self._image_playground_shown() is not None:
            return self._image_playground_shown().export_dialog()
        path = self._ask_save("Export weights", WEIGHT_FILTERS, ".json")
        if path:
            self.export_weights(path)

    def import_weights_dialog(self) -> None:
        if self._image_playground_shown() is not None:
            return self._image_playground_shown().import_dialog()
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", "", WEIGHT_FILTERS + ";;All files (*)")
        if path:
            self.import_weights(path)

    def save_experiment_dialog(self) -> None:
        if self._image_playground_shown() is not None:
            return self._image_playground_shown().save_dialog()
        path = self._ask_save("Save experiment", EXPERIMENT_FILTER, ".json")
        if path:
            self.save_experiment(path)

    def open_dialog(self) -> None:
        if self._image_playground_shown() is not None:
            return self._image_playground_shown().open_dialog()
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

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_HTML)

    def show_guide(self) -> None:
        QMessageBox.information(self, "How to read this screen", GUIDE_HTML)

    def open_docs(self) -> None:
        """Open the playground's guide: the docs folder of a source checkout, else say where it lives."""
        path = DOCS / "playground.md"
        if path.exists() and QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.show_status(f"Opened {path}")
            return
        QMessageBox.information(self, "Documentation", DOCS_HTML)

    # --- recent files ------------------------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value if isinstance(v, str) and v][:MAX_RECENT] if isinstance(value, list) else []

    def _remember_recent(self, path: str) -> None:
        files = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent/files", files[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for path in files:
            action = self.recent_menu.addAction(os.path.basename(path))
            action.setToolTip(path)
            action.setEnabled(os.path.exists(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not files:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the list", lambda: self.settings.setValue("recent/files", []))

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
        # Qt's restore functions return False on bad bytes; anything that is not bytes is skipped.
        for key, restore in (("window/geometry", self.restoreGeometry), ("window/state", self.restoreState),
                             ("window/splitter", self.playground.splitter.restoreState)):
            value = self.settings.value(key)
            if isinstance(value, (bytes, bytearray, QByteArray)):
                restore(value)
        saved = self.settings.value("config/last")
        config: Any = DEFAULT_CONFIG
        if saved:
            try:
                config = json.loads(str(saved))
            except ValueError:
                config = None
        try:
            if not isinstance(config, dict):
                raise ValueError("not a configuration")
            # The form checks types and ranges; the worker then validates the rest (a stale
            # config it cannot build falls back to the defaults, with a note).
            self.playground.set_config(config)
        except (ValueError, TypeError, OverflowError) as exc:
            self.playground.set_config(DEFAULT_CONFIG)
            # Over the status line for a while: the worker's first messages do not replace it.
            self.settings_note = f"Ignored the remembered settings ({exc}); started from the defaults."
            self.statusBar().showMessage(self.settings_note, 15000)
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
        app = QApplication.instance()
        if app is not None:
            if self._watching_focus:  # shutdown() may run twice (Quit, then closeEvent)
                app.focusChanged.disconnect(self._watch_focus)
                self._watching_focus = False
            self._watch_focus(app.focusWidget(), None)
        for timer in self.findChildren(QTimer):
            timer.stop()
        if self.image_tab is not None:
            self.image_tab.shutdown()
        return self.controller.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.shutdown()
        event.accept()
