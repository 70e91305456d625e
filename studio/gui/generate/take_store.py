"""The take history on disk: the last ``LIMIT`` takes survive a restart.

One JSON file in the user data folder (``takes.json``), rewritten off the UI thread
after each take. A take keeps what shows it again and re-exports it: names (with their
marks), the texts, or a jazz take's event tokens with its chart and tempo, from which
the solo is decoded exactly as ``studio.music.generate`` decodes it (the tokens are the
take; the MIDI and WAV are renderings of it). A damaged file is logged and skipped.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from studio.gui.generate.takes import Take
from studio.paths import user_data_dir

log = logging.getLogger(__name__)
LIMIT = 50
FORMAT = 1
# Saves run on pool threads, possibly two at once and out of order: one lock, and each
# save's place in line (taken on the UI thread) so an older list never replaces a newer one.
_write_lock = threading.Lock()
_order = itertools.count(1)
_newest_written: dict[Path, int] = {}


def store_path() -> Path:
    return user_data_dir() / "takes.json"


def to_record(take: Take) -> dict:
    record = {"number": take.number, "domain": take.domain, "model_name": take.model_name,
              "model_path": take.model_path, "device": take.device, "settings": take.settings,
              "created": take.created, "stopped": take.stopped}
    if take.domain == "names":
        record["names"] = list(take.result or [])
        record["marked"] = [list(pair) for pair in take.extra.get("marked", [])]
    elif take.domain == "jazz":
        music = take.result
        record["tokens"] = list(music.tokens)
        record["chart"] = music.chart
        record["tempo"] = music.settings.tempo
        record["choruses"] = music.settings.choruses
        record["jazz_stopped"] = music.stopped
        record["seed"] = music.seed
    else:
        record["text"] = take.result or ""
        record["texts"] = list(take.extra.get("texts", []))
    return record


def from_record(record: dict) -> Take:
    take = Take(int(record["number"]), record["domain"], record["model_name"],
                record["model_path"], record.get("device", "auto"), dict(record["settings"]),
                created=float(record.get("created", 0)), stopped=bool(record.get("stopped")))
    if take.domain == "names":
        take.result = list(record.get("names", []))
        take.extra["marked"] = [tuple(pair) for pair in record.get("marked", [])]
    elif take.domain == "jazz":
        take.result = jazz_take(record)
    else:
        take.result = record.get("text", "")
        take.extra["texts"] = list(record.get("texts", []))
    return take


def jazz_take(record: dict):
    """The ``studio.music.generate.Take`` decoded from the stored tokens."""
    from studio.music.chart import parse_chart
    from studio.music.encoding import TICKS_PER_BAR, decode_tokens
    from studio.music.generate import JazzSettings, Take as MusicTake
    from studio.music.types import ChordSpan

    settings = JazzSettings(tempo=float(record["tempo"]), choruses=int(record.get("choruses", 1)),
                            seed=record.get("seed"))
    solo = decode_tokens(record["tokens"], tempo=settings.tempo,
                         title=f"{record['model_name']} take")
    spans = parse_chart(record["chart"]).to_spans(settings.choruses)
    bars = max((s.end for s in spans), default=0) // TICKS_PER_BAR
    played = max(1, solo.bar_count) if record.get("jazz_stopped") else bars
    end = played * TICKS_PER_BAR
    solo.chords = [ChordSpan(s.start, min(s.end, end), s.chord) for s in spans if s.start < end]
    return MusicTake(solo, record["chart"], settings, record["model_name"], list(record["tokens"]),
                     seed=record.get("seed"), stopped=bool(record.get("jazz_stopped")))


def saver(takes: list[Take]) -> Callable[[], None]:
    """A save of ``takes`` to run later (on a pool thread).

    The file and the save's place in line are fixed now, on the calling thread: a save
    that runs late must not follow a changed ``SEQUENCE_STUDIO_HOME`` into another
    folder (seen in tests: one test's takes appeared in the next one's history), nor
    overwrite a newer save that ran first.
    """
    records = []
    for take in takes[-LIMIT:]:
        try:
            records.append(to_record(take))
        except Exception:  # one odd take must not cost the others
            log.exception("take #%s cannot be stored", take.number)
    path, place = store_path(), next(_order)

    def write() -> None:
        with _write_lock:
            if _newest_written.get(path, 0) > place:
                return
            _write_atomically(path, json.dumps({"format": FORMAT, "takes": records}))
            _newest_written[path] = place
    return write


def save(takes: list[Take]) -> None:
    """Write the newest ``LIMIT`` takes now."""
    saver(takes)()


def _write_atomically(path: Path, text: str) -> None:
    """A crash or a full disk never leaves half a file (a temporary file, then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".takes-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load() -> list[Take]:
    path = store_path()
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        records = data["takes"] if data.get("format") == FORMAT else []
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        log.warning("ignoring the take history %s: %s", path, exc)
        return []
    takes = []
    for record in records:
        try:
            takes.append(from_record(record))
        except Exception as exc:  # a take another version wrote, a chart it cannot read...
            log.warning("skipping a stored take: %s", exc)
    return takes
