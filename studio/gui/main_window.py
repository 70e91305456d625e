"""The main window: four tabs, menus and shortcuts (``main_menus``), remembered geometry,
About and Preferences, files dropped on it (``drops``).

The app shows the window before the engine is loaded (``defer_engine=True``): this
module and the ones it imports at the top must not import torch (a test checks it).
"""

from __future__ import annotations

import logging
import platform
import sys

from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QTabWidget

from studio import __version__
from studio.gui import drops
from studio.gui.shared import preferences, wheel, workers
from studio.gui.shared.errors import show_error
from studio.gui.shared.layout import fit_to_screen
from studio.gui.main_menus import build_menus
from studio.gui.shared.settings import Group
from studio.gui.shared.workers import run_task

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
# A deferred start loads the engine after the first frame, or after this long if no
# frame comes (a window started minimized or on a display that never exposes it).
LOAD_ANYWAY_MS = 3000


def import_engine() -> None:
    """The engine and its domains, torch with them: most of the start-up time (3.5 s of
    3.9-4.8 s on a loaded 2-core machine), so the app runs it on a worker thread."""
    import studio.domains  # noqa: F401  (registers the built-in domains with the engine)


def app_icon():
    from PySide6.QtGui import QIcon

    from studio.paths import assets_dir

    return QIcon(str(assets_dir() / "icon.svg"))


class MainWindow(QMainWindow):
    """``defer_engine=False`` (tests, scripts) builds everything in the constructor.

    ``defer_engine=True`` (the app) builds the frame only (title, icon, remembered
    geometry, a "Loading the engine" line); once that has painted, ``import_engine``
    runs on a worker thread (the window keeps its event loop), then the tabs and menus
    are built on the UI thread, settings restored and ``engine_ready`` emitted.
    """

    engine_ready = Signal()

    def __init__(self, log_path: str | None = None, restore: bool = True,
                 defer_engine: bool = False):
        super().__init__()
        self.log_path = log_path
        self.device_in_use = "not used yet"
        self.engine_loaded = False
        self._restore = restore
        self._closing = False
        self._shut_down = False
        self._engine_started = False
        # Any quit that does not close this window first (app.quit(), the desktop session
        # ending) must still stop the worker threads: the interpreter exiting under a
        # running QThread makes Qt abort the process.
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shut_down)
            wheel.install(app)
        self.setWindowTitle("Sequence Studio")
        self.setWindowIcon(app_icon())
        # Fits a 1280x800 laptop screen with room for the panel/dock.
        self.resize(1240, 740)
        self.setMinimumSize(QSize(900, 600))
        fit_to_screen(self)
        if not defer_engine:
            import_engine()
            self._build()
            return
        if restore:  # before show, so the frame appears where it was left
            self._restore_geometry()
        self._loading = QLabel("Loading the engine (PyTorch)…")
        self._loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._loading.installEventFilter(self)
        self.setCentralWidget(self._loading)
        self.statusBar().showMessage("Loading the engine…")
        QTimer.singleShot(LOAD_ANYWAY_MS, self._load_engine)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint and obj is getattr(self, "_loading", None):
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self._load_engine)  # once this frame is on screen
        return super().eventFilter(obj, event)

    def _load_engine(self) -> None:
        if self._engine_started or self._closing:
            return
        self._engine_started = True
        run_task(import_engine, self._engine_imported, owner=self)

    def _engine_imported(self, _result, error) -> None:
        if self._closing:
            return
        if error is not None:
            self._loading.setText("The engine could not be loaded (details in the log: "
                                  f"{self.log_path or 'stderr'}).")
            show_error(self, "Loading the engine", error)
            return
        self._build(restore_geometry=False)  # the user may have moved the frame since

    def _build(self, restore_geometry: bool = True) -> None:
        """The tabs, menus and drops (their modules import the engine), then settings."""
        from studio.gui.generate.tab import GenerateTab
        from studio.gui.models.tab import ModelsTab
        from studio.gui.score.tab import ScoreTab
        from studio.gui.train.tab import TrainTab

        self.generate_tab = GenerateTab()
        self.train_tab = TrainTab()
        self.models_tab = ModelsTab()
        self.score_tab = ScoreTab()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.generate_tab, "&Generate")
        self.tabs.addTab(self.train_tab, "&Train")
        self.tabs.addTab(self.models_tab, "&Models")
        self.tabs.addTab(self.score_tab, "&Score")
        self.setCentralWidget(self.tabs)  # deletes the "Loading" label, if any
        self._loading = None
        self.statusBar().showMessage("Ready", 3000)

        self.generate_tab.device_in_use.connect(self._device_used)
        self.score_tab.device_in_use.connect(self._device_used)
        self.models_tab.library_changed.connect(self.refresh_models)
        self.train_tab.library_changed.connect(self.refresh_models)
        self.train_tab.model_saved.connect(self._select_trained)
        self._select_after_refresh: str | None = None
        self.models_tab.use_model.connect(self.use_model)
        build_menus(self)
        self.setAcceptDrops(True)
        self.engine_loaded = True
        if self._restore:
            self.restore_settings(geometry=restore_geometry)
        self.refresh_models()
        self.engine_ready.emit()

    # -- actions ---------------------------------------------------------------
    def run_primary(self) -> None:
        tab = self.tabs.currentWidget()
        if tab is self.score_tab:
            self.score_tab.score()
        elif tab is self.train_tab:
            self.train_tab.start()
        else:
            self.tabs.setCurrentWidget(self.generate_tab)
            self.generate_tab.generate()

    def stop_current(self) -> None:
        tab = self.tabs.currentWidget()
        if tab is self.train_tab:
            self.train_tab.stop()
        elif tab is self.score_tab:
            self.score_tab.stop()
        else:
            self.generate_tab.stop()

    def export_current(self) -> None:
        if self.tabs.currentWidget() is self.models_tab:
            self.models_tab.export_selected()
        else:
            self.tabs.setCurrentWidget(self.generate_tab)
            self.generate_tab.export()

    def import_model(self) -> None:
        self.tabs.setCurrentWidget(self.models_tab)
        self.models_tab.import_dialog()

    def open_log_folder(self) -> None:
        if self.log_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.log_path).parent)))

    def open_corpus(self, path: str) -> bool:
        """A corpus for the Train tab (File > Open Recent, a drop); refused while a run
        is active or paused (its form is locked)."""
        self.tabs.setCurrentWidget(self.train_tab)
        if not self.train_tab.form.isEnabled():
            self.statusBar().showMessage("A training run is active or paused: stop it first to "
                                         "train on another corpus.", 8000)
            return False
        self.train_tab.form.set_corpus(path)
        return True

    def copy_take(self) -> None:
        text = self.generate_tab.take_text()
        if text:
            QApplication.clipboard().setText(text)
            self.statusBar().showMessage("Take copied.", 3000)
        else:
            self.statusBar().showMessage("No take to copy yet.", 3000)

    def show_help(self) -> None:
        """Help (F1): chart syntax, shortcuts, documentation; one dialog, raised again."""
        from studio.gui.help import HelpDialog

        if getattr(self, "help_dialog", None) is None:
            self.help_dialog = HelpDialog(self)
        self.help_dialog.show()
        self.help_dialog.raise_()

    def show_preferences(self):
        dialog = preferences.PreferencesDialog(preferences.load(), self)

        def accepted():
            prefs = dialog.result_preferences()
            preferences.save(prefs)
            for picker in (self.generate_tab.picker, self.score_tab.picker):
                picker.select(device=prefs.device)
            self.statusBar().showMessage("Preferences saved.", 3000)

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    # -- drag and drop -----------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if drops.accepts(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if drops.accepts(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        used = False
        for path in drops.local_paths(event.mimeData()):
            kind = drops.classify(path)
            if kind == "model":
                self.tabs.setCurrentWidget(self.models_tab)
                self.models_tab.import_file(path)
                used = True
            elif kind == "corpus" and not used:  # one corpus at a time
                used = self.open_corpus(path)
            elif kind is None:
                self.statusBar().showMessage(f"{Path(path).name}: not a model (.safetensors) "
                                             "or a corpus (text, MIDI, a folder)", 8000)
        if used:
            event.acceptProposedAction()

    def _device_used(self, device: str) -> None:
        self.device_in_use = device
        self.statusBar().showMessage(f"Device: {device}", 5000)

    def use_model(self, path: str) -> None:
        """Models tab 'Generate with this model', File > Open Recent."""
        self.generate_tab.picker.select(path=path)
        self.tabs.setCurrentWidget(self.generate_tab)

    def about_text(self) -> str:
        import torch
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        return (f"<h3>Sequence Studio {__version__}</h3>"
                "<p>Train, sample and score LSTM / GRU / RNN sequence generators: "
                "dinosaur names, Shakespeare and jazz solos.</p>"
                f"<table>"
                f"<tr><td>Python</td><td>{platform.python_version()} ({sys.platform})</td></tr>"
                f"<tr><td>PyTorch</td><td>{torch.__version__}</td></tr>"
                f"<tr><td>Qt / PySide6</td><td>{qVersion()} / {pyside_version}</td></tr>"
                f"<tr><td>Device in use</td><td>{self.device_in_use}</td></tr>"
                f"<tr><td>Log file</td><td>{self.log_path or '-'}</td></tr>"
                f"</table>")

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, "About Sequence Studio", self.about_text(),
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        return box

    # -- models ----------------------------------------------------------------
    def refresh_models(self) -> None:
        """Re-read the library (headers only) in a worker and hand it to every tab."""
        from studio.core.library import scan_library

        def done(result, error):
            if error is not None:
                show_error(self, "Model library", error)
                return
            entries, unreadable = result  # one bad file is listed as such, never a failure
            self.generate_tab.set_models(entries)
            self.score_tab.set_models(entries)
            self.models_tab.set_models(entries, unreadable)
            self.train_tab.set_models(entries)
            if self._select_after_refresh:
                path, self._select_after_refresh = self._select_after_refresh, None
                self.generate_tab.picker.select(path=path)

        run_task(scan_library, done, owner=self)

    def _select_trained(self, path: str) -> None:
        """A finished run's model is the one to try next: Generate selects it once the
        library refresh (asked for by the same run, just before) lists it."""
        self._select_after_refresh = path

    # -- settings --------------------------------------------------------------
    def _restore_geometry(self) -> None:
        with Group("window", version=SETTINGS_VERSION) as g:
            geometry = g.get("geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)
        fit_to_screen(self)  # saved on a larger monitor, or before a screen change

    def restore_settings(self, geometry: bool = True) -> None:
        if geometry:
            self._restore_geometry()
        with Group("window", version=SETTINGS_VERSION) as g:
            state = g.get("state")
            if state is not None:
                self.restoreState(state)
            self.tabs.setCurrentIndex(g.get("tab", 0, int))
        for tab in self._tabs():
            try:
                tab.restore_settings()
            except Exception:  # a damaged settings file must not stop the window
                log.exception("could not restore %s settings", type(tab).__name__)

    def save_settings(self) -> None:
        with Group("window", version=SETTINGS_VERSION) as g:
            g.set("geometry", self.saveGeometry())
            g.set("state", self.saveState())
            g.set("tab", self.tabs.currentIndex())
        for tab in self._tabs():
            tab.save_settings()

    def _tabs(self):
        return (self.generate_tab, self.train_tab, self.models_tab, self.score_tab)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # the frame's decorations are known once it is shown: fit again, frame included
        QTimer.singleShot(0, lambda: fit_to_screen(self))

    def closeEvent(self, event) -> None:
        if not self.engine_loaded:  # closed while loading: nothing to save yet
            self.hide()
            self.shut_down()
            super().closeEvent(event)
            return
        if self.train_tab.is_running():
            answer = QMessageBox.question(
                self, "Training is running",
                "A training run is in progress. Pause it (keeping a resume checkpoint) and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.shut_down()
        super().closeEvent(event)

    def shut_down(self) -> None:
        """Save the settings, stop every tab's work and wait for the background tasks; once
        (on close, or on a quit that comes without one)."""
        if self._shut_down:
            return
        self._shut_down = True
        if not self.engine_loaded:
            self._closing = True
            workers.wait_for_tasks(30000)   # not under a thread that is importing torch
            return
        # An exception escaping closeEvent would reach shiboken mid-close (and can crash
        # it): log it, and close anyway.
        try:
            self.save_settings()
        except Exception:
            log.exception("could not save settings")
        for tab in self._tabs():
            try:
                tab.shutdown()
            except Exception:
                log.exception("shutting down %s", type(tab).__name__)
        workers.wait_for_tasks(5000)
