"""Where the user was: the last folder of each kind of file dialog, and recent files.

File dialogs start in the folder last used for the same purpose ("corpus", "model",
"export", "primer"), not in the home root; an export dialog starts in the Preferences'
output folder until an export goes elsewhere, and again once that folder is set anew. ``File > Open Recent`` lists recent corpora (they open
in the Train tab) and recent models (selected in Generate). Kept in the ``recent``
settings group, newest first, at most ``LIMIT`` of each, missing files dropped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from studio.gui.shared.settings import Group

VERSION = 1
LIMIT = 8


def folder(purpose: str) -> str:
    """The folder a file dialog for ``purpose`` starts in."""
    with Group("recent", version=VERSION) as g:
        last = g.get(f"folder/{purpose}")
        last_at = g.get(f"folder_at/{purpose}", 0.0, float) or 0.0
    if purpose == "export":
        # The Preferences' output folder, until an export goes elsewhere; set again, it wins
        # again (issue 25: an output folder chosen after an export was ignored).
        from studio.gui.shared import preferences

        prefs = preferences.load()
        chosen = prefs.output_folder
        if chosen and Path(chosen).is_dir() and (not last or prefs.output_folder_at >= last_at):
            return str(chosen)
    if last and Path(last).is_dir():
        return str(last)
    return str(Path.home())


def remember_folder(purpose: str, path: str) -> None:
    """Remember the folder of ``path`` (a file or a folder the user just chose)."""
    p = Path(path)
    where = p if p.is_dir() else p.parent
    with Group("recent", version=VERSION) as g:
        g.set(f"folder/{purpose}", str(where))
        g.set(f"folder_at/{purpose}", time.time())


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
