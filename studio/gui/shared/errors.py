"""Errors reach the user as a dialog and the log file, never only a console."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.errors import user_message
from studio.gui.shared.workers import TaskError

log = logging.getLogger("studio.gui")

# The dialogs currently open, newest last. Dialogs are opened non-blocking (``open``),
# so a worker's error cannot stall the event loop; tests read this list.
OPEN_DIALOGS: list[QMessageBox] = []


def describe(error: BaseException) -> tuple[str, str]:
    """(short message for the dialog, full detail for the log / 'Show Details')."""
    if isinstance(error, TaskError):
        inner = error.error
        return _message(inner), error.trace
    return _message(error), f"{type(error).__name__}: {error}"


def _message(error: BaseException) -> str:
    text = str(error).strip()
    # Bad inputs (the same judgement the CLI makes: a bad file, a full disk, a value out
    # of range) and the engine's own errors carry user-facing messages; anything else is
    # shown with its type so a bug report says what happened.
    friendly = user_message(error)
    if friendly:
        return friendly
    if type(error).__module__.startswith("studio."):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def show_error(parent: QWidget | None, title: str, error: BaseException | str,
               log_it: bool = True) -> QMessageBox:
    """Log ``error`` and show it in a window-modal, non-blocking message box."""
    if isinstance(error, BaseException):
        message, detail = describe(error)
    else:
        message, detail = str(error), ""
    if log_it:
        log.error("%s: %s\n%s", title, message, detail)
    box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                      QMessageBox.StandardButton.Ok, parent)
    if detail and detail != message:
        box.setDetailedText(detail)
    OPEN_DIALOGS.append(box)
    box.finished.connect(lambda _=0, b=box: OPEN_DIALOGS.remove(b) if b in OPEN_DIALOGS else None)
    box.open()
    return box
