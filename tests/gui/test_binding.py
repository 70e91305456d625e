"""The Qt binding itself must not wear the window down.

PySide6 6.12.0 returns None from every void method without taking a reference to it.
On Python < 3.12 (where None is not immortal) None's count falls by one per call until
the interpreter aborts with "Fatal Python error: none_dealloc": the window died within
minutes of training (each redraw makes thousands of such calls). pyproject excludes that
release; this test catches any other release with the same fault.
"""

from __future__ import annotations

import sys


def test_void_qt_calls_keep_their_reference_to_none(qapp):
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        calls = {"QLabel.setText": lambda: label.setText("x"),
                 "QPainter.drawLine": lambda: painter.drawLine(0, 0, 5, 5)}
        for name, call in calls.items():
            call()
            before = sys.getrefcount(None)
            for _ in range(1000):
                call()
            lost = before - sys.getrefcount(None)
            import PySide6

            assert lost < 50, (f"{name}: None lost {lost} references in 1000 calls "
                               f"(PySide6 {PySide6.__version__}): the window would crash")
    finally:
        painter.end()
