"""Per-file reports for corpus loaders: what was read, what was skipped, and why.

The Train panel shows these before training starts, so every message is a sentence a
user can act on ("drum-only file: no melody to learn"), never a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from studio.music.types import Solo


@dataclass
class FileReport:
    path: str
    status: str                 # "ok", "skipped" or "error"
    notes: int = 0
    message: str = ""           # why it was skipped / failed, or a note (track taken, ...)
    warnings: list[str] = field(default_factory=list)
    chords: str = ""            # MIDI files: "markers", "inferred" or "none" (where the chords came from)

    def to_dict(self) -> dict:
        return asdict(self)


class LoadResult(NamedTuple):
    solos: list[Solo]
    files: list[FileReport]


def summarize(files: list[FileReport]) -> dict:
    """Counts for a dataset report: files by status and notes loaded."""
    out = {"files": len(files), "ok": 0, "skipped": 0, "error": 0, "notes": 0}
    for f in files:
        out[f.status] = out.get(f.status, 0) + 1
        out["notes"] += f.notes if f.status == "ok" else 0
    return out
