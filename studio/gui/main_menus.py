"""The main window's menus: File (export, import, recent files), Edit (the focused
field's undo/redo/clipboard, Copy take, Preferences), Run, View, Help.

Edit's Undo/Redo/Cut/Copy/Paste act on the focused text field (the chart editor, the
Score alternatives, ...). Their shortcuts need no action of their own: a text field
takes Ctrl+Z and friends before any window shortcut sees them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QTextEdit

from studio.gui.shared import recent

TEXT_FIELDS = (QLineEdit, QPlainTextEdit, QTextEdit)


def add_action(window, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def focused_text_field():
    widget = QApplication.focusWidget()
    return widget if isinstance(widget, TEXT_FIELDS) else None


def _on_focused(method: str):
    def run(_checked=False):
        field = focused_text_field()
        if field is not None and hasattr(field, method):
            getattr(field, method)()
    return run


def build_menus(window) -> None:
    """Create the menu bar; the actions tests and shortcuts use become ``window`` attributes."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    window.export_action = add_action(window, file_menu, "&Export take…", window.export_current,
                                      QKeySequence.StandardKey.Save,
                                      "Export the shown take (MIDI for jazz, text otherwise)")
    add_action(window, file_menu, "&Import model…", window.import_model, "Ctrl+I",
               "Add a checkpoint file to your library")
    window.recent_menu = file_menu.addMenu("Open &Recent")
    window.recent_menu.aboutToShow.connect(lambda: fill_recent(window))
    file_menu.addSeparator()
    add_action(window, file_menu, "Open &log folder", window.open_log_folder)
    file_menu.addSeparator()
    add_action(window, file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)

    edit_menu = bar.addMenu("&Edit")
    for entry in (("&Undo", "undo", QKeySequence.StandardKey.Undo),
                  ("&Redo", "redo", QKeySequence.StandardKey.Redo), None,
                  ("Cu&t", "cut", QKeySequence.StandardKey.Cut),
                  ("&Copy", "copy", QKeySequence.StandardKey.Copy),
                  ("&Paste", "paste", QKeySequence.StandardKey.Paste),
                  ("Select &all", "selectAll", QKeySequence.StandardKey.SelectAll)):
        if entry is None:
            edit_menu.addSeparator()
            continue
        text, method, key = entry
        action = add_action(window, edit_menu, text, _on_focused(method))
        # shown in the menu as a reminder; the focused field handles the key itself
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        setattr(window, f"{method.lower()}_action", action)
    edit_menu.addSeparator()
    window.copy_take_action = add_action(window, edit_menu, "Copy &take", window.copy_take,
                                         "Ctrl+Shift+C", "Copy the shown take as text")
    edit_menu.addSeparator()
    window.preferences_action = add_action(window, edit_menu, "Pre&ferences…",
                                           window.show_preferences,
                                           QKeySequence.StandardKey.Preferences
                                           if not QKeySequence(QKeySequence.StandardKey.Preferences).isEmpty()
                                           else "Ctrl+,")

    run_menu = bar.addMenu("&Run")
    window.run_action = add_action(window, run_menu, "&Generate / Score / Start", window.run_primary,
                                   ["Ctrl+Return", "Ctrl+Enter"],
                                   "Generate a take (Score tab: score; Train tab: start)")
    window.stop_action = add_action(window, run_menu, "&Stop", window.stop_current, "Esc",
                                    "Stop sampling or training")
    add_action(window, run_menu, "&Reload models", window.refresh_models, "F5")

    view_menu = bar.addMenu("&View")
    for index, name in enumerate(["Generate", "Train", "Models", "Score"]):
        add_action(window, view_menu, name, lambda _=False, i=index: window.tabs.setCurrentIndex(i),
                   f"Ctrl+{index + 1}")

    help_menu = bar.addMenu("&Help")
    window.help_action = add_action(window, help_menu, "Sequence Studio &Help…",
                                    window.show_help, "F1")
    add_action(window, help_menu, "&About Sequence Studio", window.show_about)
    add_action(window, help_menu, "About &Qt", QApplication.aboutQt)


def fill_recent(window) -> None:
    """File > Open Recent: corpora open in the Train tab, models are chosen in Generate."""
    menu = window.recent_menu
    menu.clear()
    corpora, models = recent.files("corpus"), recent.files("model")
    for path in corpora:
        menu.addAction(f"Corpus: {Path(path).name}", lambda p=path: window.open_corpus(p)) \
            .setToolTip(path)
    if corpora and models:
        menu.addSeparator()
    for path in models:
        menu.addAction(f"Model: {Path(path).stem}", lambda p=path: window.use_model(p)) \
            .setToolTip(path)
    if not corpora and not models:
        menu.addAction("Nothing yet").setEnabled(False)
        return
    menu.addSeparator()
    menu.addAction("Clear the list", lambda: (recent.clear("corpus"), recent.clear("model")))
