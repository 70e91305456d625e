"""Time from process start to the window's first painted frame, and to a ready window.

    python docs/measure_startup.py [--runs 3] [--platform offscreen|xcb]

Each run starts ``studio.gui.app.main()`` in a fresh child process (a new interpreter,
as ``sequence-studio`` with no verb does) whose QApplication carries an event filter:
the first Paint event of any widget in the main window is the first frame, and the
window is ready once its Generate picker lists models. The clock is CLOCK_MONOTONIC,
shared by parent and child, read by the parent just before it spawns the child, so the
figures include interpreter start-up and every import. It also says whether torch was
already imported at the first frame. With ``--platform xcb`` run it under ``xvfb-run``.
(The child makes its QApplication before ``main()`` does, so Qt warns that the high-DPI
rounding policy came too late: it does not change the timings.)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time

# Runs in the child; prints "paint <t> torch <0|1>" and "ready <t> models <n>".
CHILD = textwrap.dedent("""
    import os, sys, time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)

    def main_window():
        for widget in QApplication.topLevelWidgets():
            if type(widget).__name__ == "MainWindow":
                return widget

    class FirstPaint(QObject):
        painted = False

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and getattr(obj, "window", None):
                if type(obj.window()).__name__ == "MainWindow":
                    print("paint", time.monotonic(), "torch", int("torch" in sys.modules),
                          flush=True)
                    self.painted = True
                    app.removeEventFilter(self)
            return False

    first_paint = FirstPaint()
    ready = []
    app.installEventFilter(first_paint)
    deadline = time.monotonic() + float(os.environ.get("STARTUP_TIMEOUT", "60"))

    def poll():
        window = main_window()
        tab = getattr(window, "generate_tab", None) if window is not None else None
        entries = len(tab.picker.entries) if tab is not None else 0
        if entries and not ready:
            ready.append(time.monotonic())
            print("ready", ready[0], "models", entries, flush=True)
        painted = first_paint.painted
        if (ready and painted) or time.monotonic() > deadline:
            if window is not None:
                window.close()
            app.quit()
            return
        QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)
    from studio.gui.app import main
    sys.exit(main([]))
""")


def one_run(platform: str, home: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=platform, SEQUENCE_STUDIO_HOME=home)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                          timeout=120)
    paint = re.search(r"paint ([\d.]+) torch (\d)", proc.stdout)
    ready = re.search(r"ready ([\d.]+) models (\d+)", proc.stdout)
    if proc.returncode != 0 or not paint or not ready:
        raise SystemExit(f"the child failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return {"paint_s": float(paint.group(1)) - start, "torch_at_paint": paint.group(2) == "1",
            "ready_s": float(ready.group(1)) - start, "models": int(ready.group(2))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as home:  # a fresh user folder: the shipped models
        for i in range(args.runs):
            r = one_run(args.platform, home)
            print(f"run {i + 1}: first frame {r['paint_s']:.2f} s (torch imported then: "
                  f"{'yes' if r['torch_at_paint'] else 'no'}), ready with {r['models']} "
                  f"models {r['ready_s']:.2f} s", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
