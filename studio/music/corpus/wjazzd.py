"""Weimar Jazz Database (WJazzD) ingest: melody CSV + beats CSV -> Solo.

Onsets come from the metrical annotation, not from seconds: a note at (bar, beat, tatum of
division) sits at ``(beat - 1) * 12 + round((tatum - 1) * 12 / division)`` ticks into its
bar, so a solo's swing and its bar lines survive the performer's rubato. Durations have no
metrical annotation; they are converted from seconds with the local beat duration.

Time signatures: a solo's ``beats_per_bar`` is the most common bar length in its beats
file (so 3/4, 5/4 ... solos load too). A bar that is longer or shorter than that (a 5/4
bar inside a 4/4 tune, a half bar at a fade-out) is padded to whole bars of the solo's
metre, so the positions inside all regular bars stay true; the report counts them.
Bars before the first note (WJazzD pickups are numbered 0, -1, -2 ...) are dropped; the
chord sounding there is carried into the first kept bar.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

from studio.music.corpus import limits
from studio.music.chords import NO_CHORD, parse_chord
from studio.music.corpus.report import FileReport, LoadResult
from studio.music.types import TICKS_PER_BEAT, ChordSpan, Note, Solo, make_monophonic


class WjazzdError(ValueError):
    """A WJazzD CSV pair that cannot be read; the message says which column or row."""


def _read_rows(path: Path) -> list[dict]:
    too_big = limits.too_large(path.stat().st_size, limits.MAX_CSV_BYTES)
    if too_big:
        raise WjazzdError(f"{path.name}: {too_big}")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except csv.Error as exc:  # NUL bytes, a field past the csv module's limit ...
        raise WjazzdError(f"{path.name}: not a readable CSV file ({exc})") from None


def _check_rows(title: str, beats: list, melody: list) -> None:
    """Every number a row gives within what a real solo can have (see ``limits``)."""
    refused = limits.too_many_notes(len(melody))
    if refused:
        raise WjazzdError(f"{title}: {refused}")
    for bar, beat, *_ in beats:
        if not 1 <= beat <= limits.MAX_BEATS_PER_BAR:
            raise WjazzdError(f"{title}: bar {bar} has beat {beat} (a bar has 1..{limits.MAX_BEATS_PER_BAR})")
    for bar, beat, tatum, division, dur_s, beatdur, pitch in melody:
        if not 1 <= beat <= limits.MAX_BEATS_PER_BAR:
            raise WjazzdError(f"{title}: a note in bar {bar} is on beat {beat} (a bar has "
                              f"1..{limits.MAX_BEATS_PER_BAR})")
        if not (0 <= division <= limits.MAX_DIVISION and 0 <= tatum <= max(division, 1)):
            raise WjazzdError(f"{title}: a note in bar {bar} has tatum {tatum} of division {division} "
                              f"(division up to {limits.MAX_DIVISION}, tatum within it)")
        if not (math.isfinite(dur_s) and 0 <= dur_s <= limits.MAX_NOTE_SECONDS
                and math.isfinite(beatdur) and 0 <= beatdur <= 60):
            raise WjazzdError(f"{title}: a note in bar {bar} has duration {dur_s} s / beat duration "
                              f"{beatdur} s (notes up to {limits.MAX_NOTE_SECONDS:.0f} s)")
        if not (math.isfinite(pitch) and 0 <= pitch <= 127):
            raise WjazzdError(f"{title}: a note in bar {bar} has pitch {pitch} (MIDI pitches are 0..127)")
    bars = [b[0] for b in beats] + [m[0] for m in melody]
    refused = limits.too_many_bars(max(bars) - min(bars) + 1)
    if refused:
        raise WjazzdError(f"{title}: {refused}")


def read_solo(melody_csv, beats_csv, title: str | None = None,
              warnings: list[str] | None = None) -> Solo:
    """Read one solo. ``warnings`` (if given) collects non-fatal notes for the report."""
    melody_csv, beats_csv = Path(melody_csv), Path(beats_csv)
    warnings = warnings if warnings is not None else []
    title = title or melody_csv.stem.removesuffix("_Solo")
    try:
        beat_rows = _read_rows(beats_csv)
        beats = [(int(r["bar"]), int(r["beat"]), r.get("chord", "").strip()) for r in beat_rows]
        chorus_of = {int(r["bar"]): int(r.get("chorus_id") or 0) for r in beat_rows}
        melody = [(int(r["bar"]), int(r["beat"]), int(r["tatum"]), int(r["division"]),
                   float(r["duration"]), float(r["beatdur"]), float(r["pitch"]))
                  for r in _read_rows(melody_csv)]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:  # (WjazzdError passes)
        if isinstance(exc, WjazzdError):
            raise
        raise WjazzdError(f"{title}: unreadable row or missing column ({exc})") from None
    if not beats:
        raise WjazzdError(f"{title}: the beats file has no rows")
    if not melody:
        raise WjazzdError(f"{title}: the melody file has no notes")
    _check_rows(title, beats, melody)
    melody = [m[:6] + (int(round(m[6])),) for m in melody]

    # Bar layout: each annotated bar takes as many whole bars of the solo's metre as it needs.
    beats_in_bar: dict[int, int] = {}
    for bar, beat, _ in beats:
        beats_in_bar[bar] = max(beats_in_bar.get(bar, 0), beat)
    for bar, beat, *_ in melody:
        beats_in_bar[bar] = max(beats_in_bar.get(bar, 0), beat)
    bpb = Counter(beats_in_bar.values()).most_common(1)[0][0]
    first_bar = min(m[0] for m in melody)
    bar_start: dict[int, int] = {}
    tick = 0
    irregular = 0
    last_bar = max(beats_in_bar)
    for bar in range(first_bar, last_bar + 1):
        bar_start[bar] = tick
        length = beats_in_bar.get(bar, bpb)
        if length != bpb and first_bar < bar < last_bar:   # a short first/last bar is normal
            irregular += 1
        tick += -(-length // bpb) * bpb * TICKS_PER_BEAT
    if irregular:
        warnings.append(f"{irregular} bar(s) inside the solo not in {bpb}/4, padded to whole bars")

    notes = []
    for bar, beat, tatum, division, dur_s, beatdur, pitch in melody:
        division = max(division, 1)
        frac = round((tatum - 1) * TICKS_PER_BEAT / division)
        start = bar_start[bar] + (beat - 1) * TICKS_PER_BEAT + frac
        dur = max(1, round(dur_s / beatdur * TICKS_PER_BEAT)) if beatdur > 0 else TICKS_PER_BEAT
        notes.append(Note(start, dur, pitch))
    notes = make_monophonic(notes)
    ticks_per_bar = bpb * TICKS_PER_BEAT
    end = -(-max(n.end for n in notes) // ticks_per_bar) * ticks_per_bar

    changes: list[tuple[int, object]] = []
    current = NO_CHORD
    for bar, beat, symbol in beats:
        if not symbol:
            continue
        try:
            chord = parse_chord(symbol)
        except ValueError as exc:
            warnings.append(f"bar {bar}: {exc}; treated as NC")
            chord = NO_CHORD
        if bar < first_bar:
            current = chord                      # carried into the first kept bar
            continue
        changes.append((bar_start[bar] + (beat - 1) * TICKS_PER_BEAT, chord))
    changes.sort(key=lambda c: c[0])
    if not changes or changes[0][0] > 0:
        changes.insert(0, (0, current))
    spans = []
    for i, (start, chord) in enumerate(changes):
        stop = changes[i + 1][0] if i + 1 < len(changes) else end
        stop = min(stop, end)
        if stop > start:
            spans.append(ChordSpan(start, stop, chord))

    beatdurs = sorted(m[5] for m in melody if m[5] > 0)
    tempo = 60.0 / beatdurs[len(beatdurs) // 2] if beatdurs else 120.0
    # choruses (chorus_id; 0 = intro or pickup): the bar where each one starts
    chorus_starts, previous = [], 0
    for bar in sorted(b for b in chorus_of if b in bar_start):
        if chorus_of[bar] > previous:
            chorus_starts.append(bar_start[bar] // ticks_per_bar)
        previous = max(previous, chorus_of[bar])
    return Solo(title, notes, spans, beats_per_bar=bpb, tempo=round(tempo, 2),
                chorus_starts=chorus_starts)


def solo_files(folder: Path, problems: list | None = None) -> list[tuple[str, Path, Path]]:
    """(title, melody csv, beats csv) for every solo: from index.csv, else by file name.
    An index row without its three fields is left out; with ``problems`` given, each such
    row adds an "error" FileReport there."""
    index = folder / "index.csv"
    if index.is_file():
        out = []
        for no, r in enumerate(_read_rows(index), 2):  # line 1 is the header
            fields = [r.get(k) for k in ("solo", "melody_csv", "beats_csv")]
            if all(isinstance(f, str) and f.strip() for f in fields):
                out.append((fields[0], folder / fields[1], folder / fields[2]))
            elif problems is not None:
                problems.append(FileReport(f"index.csv line {no}", "error",
                                           message="the row lacks solo, melody_csv or beats_csv"))
        return out
    pairs = []
    for mel in sorted((folder / "csv_melody").glob("*.csv")):
        pairs.append((mel.stem.removesuffix("_Solo"), mel, folder / "csv_beats" / mel.name))
    return pairs


def is_wjazzd_folder(path) -> bool:
    path = Path(path)
    return path.is_dir() and ((path / "index.csv").is_file() or (path / "csv_melody").is_dir())


def load_wjazzd(folder, limit: int | None = None) -> LoadResult:
    """Every solo of a WJazzD folder (index.csv or csv_melody/ + csv_beats/), with a report.

    A file that cannot be read gets an "error" entry; the others still load.
    """
    folder = Path(folder)
    solos: list[Solo] = []
    files: list[FileReport] = []
    for title, mel, beats in solo_files(folder, files)[:limit]:
        rel = str(mel.relative_to(folder)) if mel.is_relative_to(folder) else str(mel)
        if not mel.is_file() or not beats.is_file():
            missing = mel if not mel.is_file() else beats
            files.append(FileReport(rel, "error", message=f"missing file {missing.name}"))
            continue
        warnings: list[str] = []
        try:
            solo = read_solo(mel, beats, title, warnings)
        except (WjazzdError, OSError, UnicodeDecodeError) as exc:
            files.append(FileReport(rel, "error", message=str(exc)))
            continue
        solos.append(solo)
        files.append(FileReport(rel, "ok", notes=len(solo.notes),
                                message=f"{solo.beats_per_bar}/4, {solo.bar_count} bars",
                                warnings=warnings))
    return LoadResult(solos, files)
