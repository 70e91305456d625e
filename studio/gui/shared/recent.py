"""Where the user was: the last folder of each kind of file dialog, and recent files.

File dialogs start in the folder last used for the same purpose ("corpus", "model",
"export", "primer"), not in the home root; an export dialog with no history starts in
the Preferences' output folder. ``File > Open Recent`` lists recent corpora (they open
in the Train tab) and recent models (selected in Generate). Kept in the ``recent``
settings group, newest first, at most ``LIMIT`` of each, missing files dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

from studio.gui.shared.settings import Group

VERSION = 1
LIMIT = 8


def folder(purpose: str) -> str:
    """The folder a file dialog for ``purpose`` starts in."""
    if purpose == "export":
        # An Output folder set in Preferences is where exports go (issue 25: it was
        # ignored once any export had been made elsewhere); without one, the last folder.
        from studio.gui.shared import preferences

        chosen = preferences.load().output_folder
        if chosen and Path(chosen).is_dir():
            return str(chosen)
    with Group("recent", version=VERSION) as g:
        last = g.get(f"folder/{purpose}")
    if last and Path(last).is_dir():
        return str(last)
    return str(Path.home())


def remember_folder(purpose: str, path: str) -> None:
    """Remember the folder of ``path`` (a file or a folder the user just chose)."""
    p = Path(path)
    where = p if p.is_dir() else p.parent
    with Group("recent", version=VERSION) as g:
        g.set(f"folder/{purpose}", str(where))


def files(kind: str) -> list[str]:
    """Recent files of ``kind`` ("corpus" or "model"), newest first, existing only."""
    with Group("recent", version=VERSION) as g:
        try:
            stored = json.loads(g.get(f"files/{kind}", "[]") or "[]")
        except (TypeError, ValueError):
            stored = []
    return [p for p in stored if isinstance(p, str) and Path(p).exists()][:LIMIT]


def add_file(kind: str, path: str) -> None:
    items = [path] + [p for p in files(kind) if p != path]
    with Group("recent", version=VERSION) as g:
        g.set(f"files/{kind}", json.dumps(items[:LIMIT]))


def clear(kind: str) -> None:
    with Group("recent", version=VERSION) as g:
        g.set(f"files/{kind}", "[]")
