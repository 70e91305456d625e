"""The main window: four tabs, menus and shortcuts, remembered geometry, About box."""

from __future__ import annotations

import logging
import platform
import sys

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QTabWidget

from studio import __version__
from studio.gui import workers
from studio.gui.errors import show_error
from studio.gui.settings import Group
from studio.gui.workers import run_task

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


class MainWindow(QMainWindow):
    def __init__(self, log_path: str | None = None, restore: bool = True):
        super().__init__()
        # Imported here so ``studio.gui.app`` can set up logging before torch loads.
        from studio.gui.generate_tab import GenerateTab
        from studio.gui.models_tab import ModelsTab
        from studio.gui.score_tab import ScoreTab
        from studio.gui.train_tab import TrainTab

        self.log_path = log_path
        self.device_in_use = "not used yet"
        self.setWindowTitle("Sequence Studio")
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
        self.setCentralWidget(self.tabs)
        self.statusBar().showMessage("Ready", 3000)

        self.generate_tab.device_in_use.connect(self._device_used)
        self.score_tab.device_in_use.connect(self._device_used)
        self.models_tab.library_changed.connect(self.refresh_models)
        self.train_tab.library_changed.connect(self.refresh_models)
        self.models_tab.use_model.connect(self._use_model)
        self._build_menus()
        # Fits a 1280x800 laptop screen with room for the panel/dock.
        self.resize(1240, 740)
        self.setMinimumSize(QSize(900, 600))
        if restore:
            self.restore_settings()
        self.refresh_models()

    # -- menus -----------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.export_action = self._action(file_menu, "&Export take…", self.export_current,
                                          QKeySequence.StandardKey.Save,
                                          "Export the shown take (MIDI for jazz, text otherwise)")
        self._action(file_menu, "&Import model…", self._import_model, "Ctrl+I",
                     "Add a checkpoint file to your library")
        file_menu.addSeparator()
        self._action(file_menu, "Open &log folder", self._open_log_folder)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        run_menu = bar.addMenu("&Run")
        self.run_action = self._action(run_menu, "&Generate / Score / Start", self.run_primary,
                                       ["Ctrl+Return", "Ctrl+Enter"],
                                       "Generate a take (Score tab: score; Train tab: start)")
        self.stop_action = self._action(run_menu, "&Stop", self.stop_current, "Esc",
                                        "Stop sampling or training")
        self._action(run_menu, "&Reload models", self.refresh_models, "F5")

        view_menu = bar.addMenu("&View")
        for index, name in enumerate(["Generate", "Train", "Models", "Score"]):
            self._action(view_menu, name, lambda _=False, i=index: self.tabs.setCurrentIndex(i),
                         f"Ctrl+{index + 1}")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About Sequence Studio", self.show_about)
        self._action(help_menu, "About &Qt", QApplication.aboutQt)

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

    def _import_model(self) -> None:
        self.tabs.setCurrentWidget(self.models_tab)
        self.models_tab.import_dialog()

    def _open_log_folder(self) -> None:
        if self.log_path:
            from pathlib import Path

            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.log_path).parent)))

    def _device_used(self, device: str) -> None:
        self.device_in_use = device
        self.statusBar().showMessage(f"Device: {device}", 5000)

    def _use_model(self, path: str) -> None:
        """Models tab 'Generate with this model'."""
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
        from studio.core.library import list_models

        def done(entries, error):
            if error is not None:
                show_error(self, "Model library", error)
                return
            self.generate_tab.set_models(entries)
            self.score_tab.set_models(entries)
            self.models_tab.set_models(entries)
            self.train_tab.set_models(entries)

        run_task(list_models, done, owner=self)

    # -- settings --------------------------------------------------------------
    def restore_settings(self) -> None:
        with Group("window", version=SETTINGS_VERSION) as g:
            geometry = g.get("geometry")
            if geometry is not None:
                self.restoreGeometry(geometry)
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

    def closeEvent(self, event) -> None:
        if self.train_tab.is_running():
            answer = QMessageBox.question(
                self, "Training is running",
                "A training run is in progress. Pause it (keeping a resume checkpoint) and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
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
        super().closeEvent(event)
