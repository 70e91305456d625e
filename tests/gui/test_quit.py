"""Quitting the application while a take is being generated.

``QCoreApplication.exit()`` (unlike ``quit()``) closes no window, so no closeEvent stops
the worker threads; the interpreter then exits under a running QThread and Qt aborts the
process ("QThread: Destroyed while thread is still running", SIGABRT). The window stops
its threads on ``aboutToQuit`` too. Run in a child process: the abort would take pytest
down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from studio.gui.main_window import MainWindow

app = QApplication([])
window = MainWindow(restore=False)
window.show()
tab = window.generate_tab
deadline = time.monotonic() + 120
while len(tab.picker.entries) < 3 and time.monotonic() < deadline:
    app.processEvents(); time.sleep(0.01)
combo = tab.picker.domain_combo
combo.setCurrentIndex([i for i in range(combo.count()) if combo.itemText(i).startswith("Shakespeare")][0])
app.processEvents()
tab.form.length.setValue(100000)                  # minutes of streaming: still running at exit
tab.generate()

def running():
    return [t for t in list(tab._threads._threads) if t.isRunning()]

while not running() and time.monotonic() < deadline:
    app.processEvents(); time.sleep(0.005)
print("running before exit:", len(running()), flush=True)
QTimer.singleShot(0, lambda: app.exit(0))
app.exec()
print("running after exit:", len(running()), flush=True)
"""


def test_exit_while_a_text_streams_stops_its_thread(tmp_path):
    script = tmp_path / "quit_while_generating.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SEQUENCE_STUDIO_HOME=str(tmp_path / "home"))
    run = subprocess.run([sys.executable, str(script), str(ROOT)], env=env, capture_output=True,
                         text=True, timeout=300)
    assert "running before exit: 1" in run.stdout, run.stdout + run.stderr[-2000:]
    assert "running after exit: 0" in run.stdout, run.stdout + run.stderr[-2000:]
    assert "Destroyed while thread" not in run.stderr
    assert run.returncode == 0, run.stderr[-2000:]
