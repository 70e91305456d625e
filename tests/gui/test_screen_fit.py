"""The window opens inside the screen, fresh or restored from a larger monitor, and the
mouse wheel scrolls a panel instead of changing the setting under the cursor (issue 25,
defects 2 and 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QSpinBox, QWidget

ROOT = Path(__file__).resolve().parents[2]

# Opens the real window on an offscreen screen of the given size and prints where the
# frame, the status bar and each tab's rightmost and lowest widgets ended up.
PROBE = r"""
import json, sys
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget
app = QApplication([])
def scrolled(widget, top):  # inside a scroll area: reachable by scrolling, checked as the area
    parent = QWidget.parentWidget(widget)
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = QWidget.parentWidget(parent)
    return False
from studio.gui.main_window import MainWindow
from studio.gui.shared.settings import Group
if sys.argv[1] == "restored":  # a size saved on a big monitor
    w = MainWindow(restore=False)
    w.resize(1600, 1000); w.move(200, 150)
    w.save_settings(); w.close()
    w = MainWindow(restore=True)
else:
    w = MainWindow(restore=True)
w.show()
for _ in range(40):
    app.processEvents()
avail = app.primaryScreen().availableGeometry()
frame = w.frameGeometry()
out = {"avail": [avail.x(), avail.y(), avail.width(), avail.height()],
       "frame": [frame.x(), frame.y(), frame.width(), frame.height()], "off": []}
def check(widget, label):
    r = QWidget.rect(widget); tl = QWidget.mapToGlobal(widget, r.topLeft()); br = QWidget.mapToGlobal(widget, r.bottomRight())
    if not (avail.contains(tl) and avail.contains(br)):
        out["off"].append(label)
check(w.statusBar(), "status bar")
for i in range(w.tabs.count()):
    w.tabs.setCurrentIndex(i)
    for _ in range(10):
        app.processEvents()
    for child in w.tabs.currentWidget().findChildren(QWidget):
        if QWidget.isVisible(child) and QWidget.width(child) > 0 and QWidget.window(child) is w \
                and not scrolled(child, w):
            check(child, f"{w.tabs.tabText(i)}: {type(child).__name__} {child.objectName() or ''}")
print("RESULT " + json.dumps(out))
"""


@pytest.mark.parametrize("size", [(1000, 700), (1280, 800)])
@pytest.mark.parametrize("start", ["fresh", "restored"])
def test_the_window_opens_inside_the_screen(tmp_path, size, start):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": size[0],
                                               "height": size[1], "logicalDpi": 96,
                                               "logicalBaseDpi": 96, "dpr": 1}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", PROBE, start], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=240)
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, run.stdout + run.stderr
    out = json.loads(line[0][7:])
    ax, ay, aw, ah = out["avail"]
    fx, fy, fw, fh = out["frame"]
    assert (aw, ah) == size
    assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, out
    assert out["off"] == [], out["off"]


def test_the_wheel_scrolls_the_panel_not_an_unfocused_setting(qtbot):
    from studio.gui.shared import wheel

    wheel.install(QApplication.instance())
    area = QScrollArea()
    area.setWidgetResizable(True)
    panel = QWidget()
    panel.setMinimumHeight(2000)
    epochs = QSpinBox(panel)
    epochs.setRange(1, 1000)
    epochs.setValue(10)
    epochs.move(10, 10)
    other = QSpinBox(panel)  # where the keyboard focus is
    other.move(10, 60)
    area.setWidget(panel)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)

    def notches(target, n):
        for _ in range(n):
            pos = QPointF(target.rect().center())
            event = QWheelEvent(pos, QPointF(target.mapToGlobal(pos.toPoint())), QPoint(0, 0),
                                QPoint(0, -120), Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
            QApplication.sendEvent(target, event)

    notches(epochs, 8)
    assert epochs.value() == 10                          # the setting did not move
    assert area.verticalScrollBar().value() > 0          # the panel did
    assert not epochs.hasFocus()
    epochs.setFocus()
    qtbot.wait(10)
    notches(epochs, 2)
    assert epochs.value() == 8                           # a focused box takes the wheel
