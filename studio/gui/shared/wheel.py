"""The mouse wheel scrolls the panel, not the setting under the cursor.

Scrolling down a form with the wheel used to change whatever spin box or combo box passed
under the cursor (issue 25: over Epochs, 8 notches took 10 to 2 and the panel did not
move). As Qt applications do in scroll areas, a spin box or combo box inside a scroll area
takes the wheel only when it has the keyboard focus (clicked or tabbed into); otherwise
the wheel goes to the scroll area around it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

_GUARDED = (QAbstractSpinBox, QComboBox)


def _guarded_owner(obj) -> QWidget | None:
    """The spin box or combo box a wheel event is for (the event may reach a child such as
    the spin box's line edit first)."""
    widget = obj if isinstance(obj, QWidget) else None
    for _ in range(3):
        if widget is None:
            return None
        if isinstance(widget, _GUARDED):
            return widget
        widget = widget.parentWidget()
    return None


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, QComboBox):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QObject):
    """Application-wide event filter (``install``); one per application."""

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.Type.Wheel:
            return False
        owner = _guarded_owner(obj)
        if owner is None or owner.hasFocus() or owner.isAncestorOf(QApplication.focusWidget()):
            return False
        area = _scroll_area(owner)
        if area is None:  # not in a scrolling panel: the wheel works as Qt made it
            return False
        bar = area.verticalScrollBar()
        if bar is not None and bar.isVisible():
            QApplication.sendEvent(bar, event)
        return True  # never the setting's: the panel scrolled, or nothing happens


_GUARD: WheelGuard | None = None


def install(app: QApplication) -> None:
    global _GUARD
    if _GUARD is None:
        _GUARD = WheelGuard(app)
        app.installEventFilter(_GUARD)
