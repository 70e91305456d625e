"""The window (PySide6): a thin layer over the engine and ``studio.music``.

The shell here (``app``: the entry point; ``main_window`` with its ``main_menus``;
``drops``: files dropped on the window) holds one room per tab and the rooms hold the
widgets: ``generate/`` (with ``jazz/``, its jazz side), ``train/``, ``models/``,
``score/``, ``live/`` (the Live window), and ``shared/`` (settings, workers, errors,
layout, preferences). Rooms import ``shared`` and never the shell; the shell imports the
rooms (tests/test_import_rules.py).
"""
