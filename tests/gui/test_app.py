"""Desktop habits: entry point, log file, excepthook, settings, About box, shortcuts."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path



# ``main()`` in a child process (its event loop must not share this test's QApplication).
# An app-wide event filter notes the first Paint of any widget in the main window, and
# whether torch was imported by then; the window closes once its Generate tab lists the
# library (the engine loads after the first frame, on a worker thread).
MAIN_IN_A_CHILD = textwrap.dedent("""
    import sys, time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv)

    class FirstPaint(QObject):
        painted = False

        def eventFilter(self, obj, event):
            if (event.type() == QEvent.Type.Paint and hasattr(obj, "window")
                    and type(obj.window()).__name__ == "MainWindow"):
                print("first paint, torch imported:", "torch" in sys.modules, flush=True)
                self.painted = True
                app.removeEventFilter(self)
            return False

    first_paint = FirstPaint()
    app.installEventFilter(first_paint)
    deadline = time.monotonic() + 45

    def close_when_ready():
        for widget in QApplication.topLevelWidgets():
            if type(widget).__name__ == "MainWindow":
                tab = getattr(widget, "generate_tab", None)
                entries = len(tab.picker.entries) if tab is not None else 0
                if (entries and first_paint.painted) or time.monotonic() > deadline:
                    print("models", entries, flush=True)
                    widget.close()
                    app.quit()
                    return
        QTimer.singleShot(50, close_when_ready)

    QTimer.singleShot(50, close_when_ready)
    ENTRY
    sys.exit(main([]))
""")
APP_MAIN = "from studio.gui.app import main"  # the gui-script (desktop entry)
CLI_MAIN = "from studio.cli.main import main"  # ``sequence-studio`` with no verb


def run_main_in_a_child(studio_home, entry=APP_MAIN):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SEQUENCE_STUDIO_HOME=str(studio_home))
    script = MAIN_IN_A_CHILD.replace("ENTRY", entry)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=90, cwd=str(Path(__file__).resolve().parents[2]))


def test_main_opens_and_closes_the_window(tiny_models, studio_home):
    proc = run_main_in_a_child(studio_home)
    assert proc.returncode == 0, proc.stderr
    shown = re.search(r"models (\d+)", proc.stdout)
    assert shown and int(shown.group(1)) >= 3, proc.stdout  # the library loaded in the worker
    log_file = studio_home / "sequence-studio.log"
    assert log_file.is_file()
    assert "Sequence Studio" in log_file.read_text(encoding="utf-8")
    assert (studio_home / "settings.ini").is_file()  # geometry and choices were saved


def test_the_window_paints_before_torch_is_imported(tiny_models, studio_home):
    """Issue 10: the window on screen <= 2 s. ``import torch`` alone takes ~3.5 s on a
    loaded 2-core machine, so the first frame must come before it (not a timed test:
    the order is what the code controls). Started as the command is, no verb."""
    proc = run_main_in_a_child(studio_home, CLI_MAIN)
    assert proc.returncode == 0, proc.stderr
    assert "first paint, torch imported: False" in proc.stdout, proc.stdout
    assert re.search(r"models [3-9]", proc.stdout), proc.stdout  # and then the engine loaded


def threading_hook_reset():
    import threading

    threading.excepthook = threading.__excepthook__


def test_excepthook_logs_and_shows_a_dialog(qtbot, window, studio_home):
    from studio.gui import app
    from studio.gui.shared import errors

    app.setup_logging()
    old_hook = sys.excepthook
    try:
        app.install_excepthook()
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = old_hook
        threading_hook_reset()
    assert errors.OPEN_DIALOGS and "boom in a slot" in errors.OPEN_DIALOGS[-1].text()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "boom in a slot" in (studio_home / "sequence-studio.log").read_text(encoding="utf-8")


def test_settings_are_kept_per_tab(qtbot, window, tiny_models, tmp_path, choose_model):
    from studio.gui.main_window import MainWindow

    gen = window.generate_tab
    choose_model(gen, tiny_models["text"])
    gen.form.temperature.setValue(42)
    gen.form.top_k.setValue(7)
    gen.form.primer.setText("JULIET:")
    gen.jazz.tempo.setValue(200)
    window.train_tab.form.hidden.setValue(96)
    window.train_tab.form.lr.setValue(0.0123)
    window.tabs.setCurrentIndex(2)
    window.save_settings()

    again = MainWindow(restore=True)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: len(again.generate_tab.picker.entries) >= 3, timeout=10000)
    g = again.generate_tab
    assert g.picker.current_path() == str(tiny_models["text"])
    assert g.form.temperature.value() == 42 and g.form.top_k.value() == 7
    assert g.form.primer.text() == "JULIET:"
    assert g.jazz.tempo.value() == 200
    assert again.train_tab.form.hidden.value() == 96
    assert abs(again.train_tab.form.lr.value() - 0.0123) < 1e-9
    assert again.tabs.currentIndex() == 2


def test_about_box_and_shortcuts(qtbot, window, tiny_models, choose_model):
    import torch
    from PySide6.QtCore import qVersion

    text = window.about_text()
    assert torch.__version__ in text and qVersion() in text and "Python" in text
    assert "Device in use" in text
    keys = [s.toString() for s in window.run_action.shortcuts()]
    assert "Ctrl+Return" in keys
    assert window.stop_action.shortcut().toString() == "Esc"
    assert window.export_action.shortcut().toString() == "Ctrl+S"
    # Ctrl+Enter on the Generate tab generates; Esc stops
    choose_model(window.generate_tab, tiny_models["names"])
    window.tabs.setCurrentIndex(0)
    window.run_action.trigger()
    qtbot.waitUntil(lambda: len(window.generate_tab.history.takes) == 1, timeout=10000)
    assert "cpu" in window.about_text()


def test_unavailable_devices_are_disabled_with_a_reason(window):
    from studio.core.devices import device_choices

    combo = window.generate_tab.picker.device_combo
    model = combo.model()
    for index, (name, available, reason) in enumerate(device_choices()):
        assert combo.itemData(index) == name
        assert model.item(index).isEnabled() == available
        assert model.item(index).toolTip() == reason


def test_each_domain_keeps_its_own_temperature(qtbot, window, tiny_models, choose_model):
    from studio.gui.main_window import MainWindow

    gen = window.generate_tab
    choose_model(gen, tiny_models["jazz"])
    assert gen.form.temperature.value() == 100      # jazz: the tuned pitch/rhythm defaults as they are
    choose_model(gen, tiny_models["names"])
    assert gen.form.temperature.value() == 80
    gen.form.temperature.setValue(55)
    choose_model(gen, tiny_models["jazz"])
    assert gen.form.temperature.value() == 100
    gen.form.temperature.setValue(120)
    choose_model(gen, tiny_models["names"])
    assert gen.form.temperature.value() == 55
    window.save_settings()
    again = MainWindow(restore=True)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: len(again.generate_tab.picker.entries) >= 3, timeout=10000)
    assert again.generate_tab.form.temperature.value() == 55
    choose_model(again.generate_tab, tiny_models["jazz"])
    assert again.generate_tab.form.temperature.value() == 120


def test_settings_from_before_per_domain_temperature_keep_names_and_text_value(qtbot, window):
    from studio.gui.generate.controls import SamplingForm
    from studio.gui.shared.settings import Group

    with Group("old-generate", version=1) as g:          # as saved by the earlier window
        g.set("form/temperature", 0.6)
        g.set("form/per_domain", '{"names": {"length": 20, "count": 5, "primer": ""}, '
                                 '"jazz": {"length": 2, "count": 1, "primer": "", "temperature": "hot"}}')
    form = SamplingForm()
    qtbot.addWidget(form)
    with Group("old-generate", version=1) as g:
        form.restore_from(g)
    assert form.temperature.value() == 60 and form.length.value() == 20
    form.set_domain("text")
    assert form.temperature.value() == 60
    form.set_domain("jazz")                               # a value that is no number: the default
    assert form.temperature.value() == 100 and form.length.value() == 2
