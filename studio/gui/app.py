"""Entry point of the desktop app: logging, an excepthook, QApplication, MainWindow
(shown before the engine is imported: see ``MainWindow(defer_engine=True)``).

``sequence-studio`` with no verb (or ``sequence-studio gui``) ends up in ``main``.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback

from studio import __version__

log = logging.getLogger("studio.gui")


def setup_logging(verbose: bool = False) -> str:
    """Log to a rotating file in the user data folder (and stderr). Returns the file path."""
    from studio import paths

    path = paths.log_file()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(getattr(h, "_studio", False) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3,
                                                       encoding="utf-8")
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._studio = True
        root.addHandler(handler)
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console._studio = True
        root.addHandler(console)
    return str(path)


def install_excepthook() -> None:
    """Uncaught exceptions (in slots too) are logged and shown, never silently lost.

    PySide6 calls ``sys.excepthook`` for exceptions escaping a slot; without a hook
    they would only reach a console the user never sees.
    """

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception\n%s", text)
        try:
            from PySide6.QtWidgets import QApplication

            from studio.gui.shared.errors import show_error

            if QApplication.instance() is not None and threading.current_thread() is threading.main_thread():
                show_error(QApplication.activeWindow(), "Unexpected error", exc, log_it=False)
        except Exception:  # the hook itself must never raise
            sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    verbose = "--verbose" in argv
    log_path = setup_logging(verbose)
    install_excepthook()
    log.info("Sequence Studio %s starting (log: %s)", __version__, log_path)

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from studio.gui.shared import settings as gui_settings

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(gui_settings.ORGANIZATION)
    app.setApplicationName(gui_settings.APPLICATION)
    app.setApplicationVersion(__version__)

    from studio.gui.main_window import MainWindow, app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName("sequence-studio")  # Wayland/X11 match the window to its .desktop entry
    # The frame is painted first; the engine (torch: most of the start-up time) is
    # imported on a worker thread after that, then the tabs are built (MainWindow).
    window = MainWindow(log_path=log_path, defer_engine=True)
    window.show()
    code = app.exec()
    log.info("Sequence Studio exiting (%s)", code)
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
