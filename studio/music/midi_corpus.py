"""A user's own MIDI files -> melodies (Solo) for training, with a per-file report.

Which notes are the melody: a monophonic non-drum part if there is one (the highest of
the reasonably busy ones, see ``_pick``), else the top line ("skyline") of the busiest
non-drum part. A part is one
(track, channel) pair, so type-0 files with several channels in one track work too.
Chords come from marker/text/lyric/cue events whose text parses as a chord symbol;
without any, the solo is NC throughout (it trains the chord-blind model).

Timing is read in beats (MIDI ticks / ticks-per-beat) and snapped to the 12-per-beat
grid; performed (unquantised) files snap with some jitter, which the report cannot see.
Nothing here raises for a bad file: it gets an "error" or "skipped" report entry.
"""

from __future__ import annotations

from pathlib import Path

import mido

from .chords import NO_CHORD, parse_chord
from .report import FileReport, LoadResult
from .types import TICKS_PER_BEAT, ChordSpan, Note, Solo, make_monophonic, merge_spans

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
DRUM_CHANNEL = 9
_TEXT_TYPES = ("marker", "text", "lyrics", "cue_marker")


class _Part:
    def __init__(self, track: int, channel: int, name: str):
        self.track, self.channel, self.name = track, channel, name
        self.notes: list[tuple[int, int, int, int]] = []   # (start, end, pitch, velocity) MIDI ticks

    def is_monophonic(self) -> bool:
        ordered = sorted(self.notes)
        # a small overlap (legato playing) is still one line
        return all(b[0] >= a[1] - 10 for a, b in zip(ordered, ordered[1:]))


def _parts(mid: mido.MidiFile):
    """Collect parts, chord texts (absolute ticks) and the first tempo/time signature."""
    parts: dict[tuple[int, int], _Part] = {}
    texts: list[tuple[int, str]] = []
    tempo = None
    numerator = None
    length = 0
    for ti, track in enumerate(mid.tracks):
        name = ""
        now = 0
        held: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for msg in track:
            now += msg.time
            if msg.type == "track_name" and not name:
                name = msg.name.strip()
            elif msg.type == "set_tempo" and tempo is None:
                tempo = mido.tempo2bpm(msg.tempo)
            elif msg.type == "time_signature" and numerator is None:
                numerator = msg.numerator if msg.denominator == 4 else None
            elif msg.type in _TEXT_TYPES:
                texts.append((now, msg.text.strip()))
            elif msg.type == "note_on" and msg.velocity > 0:
                held.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                stack = held.get((msg.channel, msg.note))
                if stack:
                    start, vel = stack.pop(0)
                    part = parts.setdefault((ti, msg.channel), _Part(ti, msg.channel, name))
                    part.notes.append((start, max(now, start + 1), msg.note, vel))
        length = max(length, now)
        for (channel, pitch), stack in held.items():     # note-on without note-off: end of track
            for start, vel in stack:
                part = parts.setdefault((ti, channel), _Part(ti, channel, name))
                part.notes.append((start, max(now, start + 1), pitch, vel))
        for part in parts.values():
            if part.track == ti and not part.name:
                part.name = name
    return list(parts.values()), texts, tempo, numerator, length


def _chords_from_texts(texts, to_grid, end: int) -> list[ChordSpan]:
    changes = []
    for tick, text in sorted(texts):
        try:
            changes.append((to_grid(tick), parse_chord(text)))
        except ValueError:
            continue                                  # lyrics, section names ...
    if not changes:
        return [ChordSpan(0, end, NO_CHORD)] if end > 0 else []
    if changes[0][0] > 0:
        changes.insert(0, (0, NO_CHORD))
    spans = []
    for i, (start, chord) in enumerate(changes):
        stop = min(changes[i + 1][0] if i + 1 < len(changes) else end, end)
        if stop > start:
            spans.append(ChordSpan(start, stop, chord))
    return merge_spans(spans)


def _pick(mono: list[_Part]) -> _Part:
    """The melody among monophonic parts: the highest (by mean pitch) of those with at
    least a quarter of the busiest one's notes, so a walking bass, which is often the
    busiest line of a band file, loses to the tune above it."""
    busiest = max(len(p.notes) for p in mono)
    fair = [p for p in mono if len(p.notes) * 4 >= busiest]
    return max(fair, key=lambda p: sum(n[2] for n in p.notes) / len(p.notes))


def read_midi_solo(path) -> tuple[Solo | None, FileReport]:
    """One file -> (Solo or None, report entry). Never raises for a bad file."""
    path = Path(path)
    report = FileReport(str(path.name), "ok")
    try:
        mid = mido.MidiFile(path, clip=True)
        parts, texts, tempo, numerator, length = _parts(mid)
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError ... on junk
        report.status, report.message = "error", f"not a readable MIDI file ({type(exc).__name__}: {exc})"
        return None, report
    if mid.type == 2:
        report.status, report.message = "skipped", "type-2 MIDI (independent patterns) is not supported"
        return None, report
    pitched = [p for p in parts if p.channel != DRUM_CHANNEL and p.notes]
    if not parts:
        report.status, report.message = "skipped", "empty file: no notes"
        return None, report
    if not pitched:
        report.status, report.message = "skipped", "drum-only file: no melody to learn"
        return None, report
    mono = [p for p in pitched if p.is_monophonic()]
    chosen = _pick(mono) if mono else max(pitched, key=lambda p: len(p.notes))
    how = "monophonic line" if chosen in mono else "top line"
    if len(pitched) > 1:
        label = f"'{chosen.name}'" if chosen.name else f"#{chosen.track}"
        report.message = (f"{len(pitched)} parts: took track {label} channel {chosen.channel + 1} "
                          f"({how}, {len(chosen.notes)} notes)")
    elif how == "top line":
        report.message = "polyphonic part: took its top line"

    def to_grid(tick: int) -> int:
        return round(tick * TICKS_PER_BEAT / mid.ticks_per_beat)

    notes = [Note(to_grid(s), max(1, to_grid(e) - to_grid(s)), p, v) for s, e, p, v in chosen.notes]
    notes = make_monophonic(notes)
    bpb = numerator or 4
    if numerator is None:
        report.warnings.append("no x/4 time signature: read as 4/4")
    ticks_per_bar = bpb * TICKS_PER_BEAT
    # the take ends with its last note or its last bar line (end_of_track), whichever is later
    last = max(max(n.end for n in notes), to_grid(length))
    end = -(-last // ticks_per_bar) * ticks_per_bar
    chords = _chords_from_texts(texts, to_grid, end)
    if all(s.chord.is_nc for s in chords):
        report.warnings.append("no chord symbols in markers/text: chords are NC")
    if tempo is None:
        report.warnings.append("no tempo event: 120 bpm assumed")
    solo = Solo(path.stem, notes, chords, beats_per_bar=bpb, tempo=round(tempo or 120.0, 2))
    report.notes = len(notes)
    return solo, report


def midi_files(path) -> list[Path]:
    """A single MIDI file, or every MIDI file under a folder (sorted, recursive)."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES)


def load_midi_folder(path) -> LoadResult:
    solos: list[Solo] = []
    files: list[FileReport] = []
    for file in midi_files(path):
        solo, report = read_midi_solo(file)
        if solo is not None:
            solos.append(solo)
        files.append(report)
    return LoadResult(solos, files)
