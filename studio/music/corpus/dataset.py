"""The jazz corpus as the trainer sees it: solos in, token lists per epoch out.

``load_jazz_corpus`` accepts a WJazzD folder (index.csv or csv_melody/ + csv_beats/) or a
MIDI file/folder, keeps the solos the 4/4 event encoding can hold, and reports every
file. ``training_streams`` turns it into token lists for one epoch: training solos in a
random key each (-5..+6 semitones, seeded by the epoch, so each epoch hears every solo in
a new key and a rerun is identical), validation solos untransposed so validation loss is
comparable across epochs. The engine joins the lists with ``<end>`` into one stream.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

from studio.music.encoding import BEATS_PER_BAR, ENCODING, encode_solo, transpose_solo
from studio.music.corpus.midi import load_midi_folder, midi_files
from studio.music.corpus.report import FileReport, summarize
from studio.music.corpus.splits import training_holdout
from studio.music.types import Solo
from studio.music.corpus.wjazzd import is_wjazzd_folder, load_wjazzd, solo_files

KEY_RANGE = range(-5, 7)


@dataclass
class JazzCorpus:
    solos: list[Solo]
    report: dict
    sha256: str
    chords: bool = True
    name: str = ""
    files: list[FileReport] = field(default_factory=list)

    @property
    def note_count(self) -> int:
        return sum(len(s.notes) for s in self.solos)


def _sha256(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        rel = p.relative_to(root) if p.is_relative_to(root) else Path(p.name)
        digest.update(str(rel.as_posix()).encode("utf-8") + b"\0")
        digest.update(p.read_bytes())
    return digest.hexdigest()


def load_jazz_corpus(path, chords: bool = True, limit: int | None = None,
                     lead: str | int | None = None) -> JazzCorpus:
    """Read a WJazzD folder or MIDI file(s). Raises FileNotFoundError for a missing path and
    ValueError when nothing usable was found (the message carries the report summary).
    ``lead``: MIDI files only, the part to take as the melody (see ``midi_corpus``).

    A corpus whose chords are all NC (plain melodies without symbols or accompaniment)
    is chord-blind whatever ``chords`` says: ``corpus.chords`` is False and the report
    says so, so the checkpoint is marked and the window can tell the user."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no such corpus: {path}")
    if is_wjazzd_folder(path):
        source = "wjazzd"
        solos, files = load_wjazzd(path, limit=limit)
        used = [p for _, mel, beats in solo_files(path)[:limit] for p in (mel, beats) if p.is_file()]
    else:
        source = "midi"
        solos, files = load_midi_folder(path, lead)
        used = midi_files(path)
        if limit is not None:
            solos = solos[:limit]
    root = path if path.is_dir() else path.parent
    kept = []
    by_title = {Path(f.path).stem.removesuffix("_Solo"): f for f in files}
    for solo in solos:
        if solo.beats_per_bar != BEATS_PER_BAR:
            entry = by_title.get(solo.title)
            if entry is not None:
                entry.status = "skipped"
                entry.message = f"{solo.beats_per_bar}/4 solo: the jazz encoding is 4/4 only"
            continue
        kept.append(solo)
    summary = summarize(files)
    blind = bool(kept) and all(span.chord.is_nc for s in kept for span in s.chords)
    chords = chords and not blind
    tokens = sum(len(encode_solo(s, chords=chords)) + 1 for s in kept)   # +1: the <end> between
    report = {
        "source": source, "path": str(path), "encoding": ENCODING, "chords": chords,
        "solos": len(kept), "notes": sum(len(s.notes) for s in kept), "tokens": tokens,
        "summary": summary, "files": [f.to_dict() for f in files],
    }
    if source == "midi":
        ok = [f for f in files if f.status == "ok"]
        report["chord_sources"] = {k: sum(f.chords == k for f in ok)
                                   for k in ("markers", "inferred", "none")}
        report["chords_note"] = _chords_note(report["chord_sources"], blind)
    if blind:
        report["chord_blind"] = True
    if not kept:  # name the first file's reason: often every file failed the same way
        why = next((f"{Path(f.path).name}: {f.message}" for f in files if f.message), "")
        raise ValueError(f"no usable solos in {path}: {summary}" + (f"; {why}" if why else ""))
    return JazzCorpus(kept, report, _sha256(list(used), root), chords=chords,
                      name=path.name, files=files)


def _chords_note(sources: dict, blind: bool) -> str:
    parts = []
    if sources["markers"]:
        parts.append(f"{sources['markers']} file(s) with chord symbols")
    if sources["inferred"]:
        parts.append(f"{sources['inferred']} with chords inferred from their other parts")
    if sources["none"]:
        parts.append(f"{sources['none']} without chords (NC)")
    text = "; ".join(parts) if parts else "no files"
    if blind:
        text += ": no chords at all, so the model trained on it is chord-blind"
    return text


def training_streams(corpus: JazzCorpus, epoch_seed: int,
                     val_fraction: float = 0.1,
                     split: str = "solos") -> tuple[list[list[str]], list[list[str]]]:
    """(train token lists, val token lists) for one epoch; see the module docstring.
    Which solos (or, for one solo, which bars) validate: ``splits.training_holdout`` by
    solo or (``split="tunes"``) by tune, whose test solos are never read here; its
    sentence goes into ``corpus.report["validation"]``."""
    split = training_holdout(corpus.solos, val_fraction, split)
    corpus.report["validation"] = split.note
    train, val = split.train, split.val
    rng = random.Random(epoch_seed)
    train_tokens = [encode_solo(transpose_solo(s, rng.choice(KEY_RANGE)), chords=corpus.chords)
                    for s in train]
    val_tokens = [encode_solo(s, chords=corpus.chords) for s in val]
    return train_tokens, val_tokens
