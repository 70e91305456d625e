"""Where things live: shipped models and assets (source tree or installed), user data.

In a source checkout the shipped files are the top-level ``models/`` and ``assets/``
folders. A wheel cannot carry top-level folders, so ``setup.py`` copies them into
``studio/_shipped/`` at build time; this module is the one place that knows both.
``SEQUENCE_STUDIO_HOME`` overrides the user data folder (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PKG = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = _PKG / "_shipped"
    if installed.is_dir():  # an installed wheel: never look outside the package
        return installed / name
    return _PKG.parent / name


def shipped_models_dir() -> Path:
    return _shipped("models")


def assets_dir() -> Path:
    return _shipped("assets")


def user_data_dir() -> Path:
    home = os.environ.get("SEQUENCE_STUDIO_HOME")
    path = Path(home) if home else Path(platformdirs.user_data_dir("sequence-studio", False))
    return _make_folder(path, "data folder")


def user_models_dir() -> Path:
    return _make_folder(user_data_dir() / "models", "model library")


def _make_folder(path: Path, what: str) -> Path:
    """``path`` made if missing; a file in the way gets a plain sentence (it said "[Errno
    17] File exists"), which the CLI prints as its one line."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise FileExistsError(
            f"the {what} {path} cannot be made: {blocker} is a file, not a folder (move it "
            "away, or set SEQUENCE_STUDIO_HOME to a folder)") from None
    return path


def log_file() -> Path:
    return user_data_dir() / "sequence-studio.log"


def corpora_dir() -> Path | None:
    """The shared corpora next to a checkout (for evaluation and corpus tests), if present."""
    env = os.environ.get("SEQUENCE_STUDIO_CORPORA")
    candidates = [Path(env)] if env else []
    candidates.append(_PKG.parent.parent / "shared" / "corpora")
    for c in candidates:
        if c.is_dir():
            return c
    return None
