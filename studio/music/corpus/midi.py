"""A user's own MIDI files -> melodies (Solo) for training, with a per-file report.

What is accepted: type-0 and type-1 files in x/4 metres (the jazz encoding keeps 4/4),
with one part or many. A part is one (track, channel) pair. The melody is the lead part
(``lead_pick``: the part that plays through the piece, one note at a time, by name, GM
program and range; or the part the user names with ``lead``), reduced to its top line if it plays chords. Chords come from
marker/text/lyric/cue events that parse as chord symbols; a file without them gets its
chords inferred per half bar from its other parts (``chord_infer``); a file with neither
(a lone melody) is NC throughout, and a corpus of such files trains a chord-blind model.
Refused, each with a report entry and never an exception: unreadable or truncated files,
type-2 files, empty and drum-only files, and a ``lead`` choice that names no part.

Timing is read in beats (MIDI ticks / ticks-per-beat) and snapped to the 12-per-beat
grid; performed (unquantised) files snap with some jitter, which the report cannot see.
"""

from __future__ import annotations

from pathlib import Path

import mido

from studio.music.corpus import limits
from studio.music.corpus.chord_infer import infer_chords
from studio.music.chords import NO_CHORD, parse_chord
from studio.music.corpus.lead_pick import (LeadChoiceError, Part, choose_lead, describe_parts,
    lead_scores, legato_ticks, pick_lead)
from studio.music.corpus.report import FileReport, LoadResult
from studio.music.corpus.swing import lone_offbeat_positions
from studio.music.types import TICKS_PER_BEAT, ChordSpan, Note, Solo, make_monophonic, merge_spans

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
DRUM_CHANNEL = 9
_TEXT_TYPES = ("marker", "text", "lyrics", "cue_marker")


def _parts(mid: mido.MidiFile):
    """Collect parts, chord texts (absolute ticks) and the first tempo/time signature."""
    parts: dict[tuple[int, int], Part] = {}
    texts: list[tuple[int, str]] = []
    tempo = None
    numerator = None
    length = 0
    for ti, track in enumerate(mid.tracks):
        name = ""
        now = 0
        held: dict[tuple[int, int], list[tuple[int, int]]] = {}
        programs: dict[int, int] = {}
        for msg in track:
            now += msg.time
            if msg.type in ("track_name", "instrument_name") and not name:
                name = msg.name.strip()
            elif msg.type == "program_change":
                programs.setdefault(msg.channel, msg.program)
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
                    part = parts.setdefault((ti, msg.channel), Part(ti, msg.channel, name))
                    part.notes.append((start, max(now, start + 1), msg.note, vel))
        length = max(length, now)
        for (channel, pitch), stack in held.items():     # note-on without note-off: end of track
            for start, vel in stack:
                part = parts.setdefault((ti, channel), Part(ti, channel, name))
                part.notes.append((start, max(now, start + 1), pitch, vel))
        for part in parts.values():
            if part.track == ti:
                part.name = part.name or name
                if part.program is None:
                    part.program = programs.get(part.channel)
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


class _Refused(Exception):
    """A file read_midi_solo reports instead of reading: (status, message)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _open_lead(path: Path, lead: str | int | None):
    """(mid, parts, texts, tempo, numerator, length, pitched parts, the lead part, why it)
    of a MIDI file, or ``_Refused`` saying why not (never another exception for a bad file)."""
    try:
        too_big = limits.too_large(path.stat().st_size, limits.MAX_MIDI_BYTES)
        if too_big:
            raise _Refused("skipped", too_big)
        mid = mido.MidiFile(path, clip=True)
        parts, texts, tempo, numerator, length = _parts(mid)
    except _Refused:
        raise
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError ... on junk
        raise _Refused("error", _unreadable(exc)) from None
    if mid.type == 2:
        raise _Refused("skipped", "type-2 MIDI (independent patterns) is not supported")
    if mid.ticks_per_beat < 0:  # the header's division with its top bit set: SMPTE frames
        raise _Refused("skipped", "timed in SMPTE frames per second, not in beats (not supported)")
    if mid.ticks_per_beat == 0:  # not SMPTE: a beat of no ticks, which no program writes
        raise _Refused("error", "its header says 0 ticks per beat (a damaged file: a beat "
                                "must have at least 1 tick)")
    pitched = [p for p in parts if p.channel != DRUM_CHANNEL and p.notes]
    if not parts:
        raise _Refused("skipped", "empty file: no notes")
    if not pitched:
        raise _Refused("skipped", "drum-only file: no melody to learn")
    if lead is not None:
        try:
            chosen, why = choose_lead(pitched, lead), "your choice"
        except LeadChoiceError as exc:
            raise _Refused("skipped", str(exc)) from None
    else:
        # the file's own beat and bar (x/4, else 4/4): "plays 162 of 217 bars" counts real bars
        chosen, why = pick_lead(pitched, mid.ticks_per_beat, numerator or 4)
    return mid, parts, texts, tempo, numerator, length, pitched, chosen, why


def read_midi_solo(path, lead: str | int | None = None) -> tuple[Solo | None, FileReport]:
    """One file -> (Solo or None, report entry). Never raises for a bad file.
    ``lead``: the part to take as the melody (1-based number as the report lists the
    parts, or part of a track name); None picks it (``lead_pick``)."""
    path = Path(path)
    report = FileReport(str(path.name), "ok")
    try:
        mid, parts, texts, tempo, numerator, length, pitched, chosen, why = _open_lead(path, lead)
    except _Refused as refused:
        report.status, report.message = refused.status, refused.message
        return None, report
    alone = chosen.is_monophonic(legato_ticks(mid.ticks_per_beat))   # legato is still one line
    how = "one note at a time" if alone else "its top line"
    if len(pitched) > 1:
        figures = lead_scores(pitched, mid.ticks_per_beat, numerator or 4)
        report.message = (f"{len(pitched)} parts: took {chosen.label()} channel {chosen.channel + 1} "
                          f"as the lead ({why}; {how}, {len(chosen.notes)} notes); parts: "
                          f"{describe_parts(pitched, figures)}")
    elif not alone:
        report.message = "polyphonic part: took its top line"

    def to_grid(tick: int) -> int:
        return round(tick * TICKS_PER_BEAT / mid.ticks_per_beat)

    bpb = numerator or 4
    if bpb > limits.MAX_BEATS_PER_BAR:  # 2,000 bars of 244/4 are 488,000 beats to lay out
        report.status, report.message = "skipped", (f"time signature {bpb}/4: more than "
                                                    f"{limits.MAX_BEATS_PER_BAR} beats a bar is "
                                                    "taken for a damaged file")
        return None, report
    ticks_per_bar = bpb * TICKS_PER_BEAT
    # the take ends with its last note or its last bar line (end_of_track), whichever is later;
    # bounded before anything is laid out bar by bar (one bad delta can mean a million bars)
    last = max(max(e for _, e, _, _ in chosen.notes), length)
    refused = limits.too_many_notes(len(chosen.notes)) or \
        limits.too_many_bars(-(-to_grid(last) // ticks_per_bar))
    if refused:
        report.status, report.message = "skipped", refused
        return None, report
    notes = [Note(to_grid(s), max(1, to_grid(e) - to_grid(s)), p, v) for s, e, p, v in chosen.notes]
    notes = make_monophonic(notes)
    if numerator is None:
        report.warnings.append("no x/4 time signature: read as 4/4")
    last = max(max(n.end for n in notes), to_grid(length))
    end = -(-last // ticks_per_bar) * ticks_per_bar
    chords = _chords_from_texts(texts, to_grid, end)
    report.chords = "markers"
    if all(s.chord.is_nc for s in chords):
        band = [p for p in pitched if p is not chosen]
        accompaniment = [(to_grid(s), to_grid(e), pitch) for p in band for s, e, pitch, _ in p.notes]
        if accompaniment:
            chords = infer_chords(accompaniment, end)
        if any(not s.chord.is_nc for s in chords):
            report.chords = "inferred"
            report.warnings.append("no chord symbols: chords inferred per half bar from "
                                   + ", ".join(p.label() for p in band))
        else:
            report.chords = "none"
            report.warnings.append("no chord symbols and no other parts to infer them from: "
                                   "chords are NC")
    if tempo is None:
        report.warnings.append("no tempo event: 120 bpm assumed")
    tempos = {m.tempo for t in mid.tracks for m in t if m.type == "set_tempo"}
    if len(tempos) > 1:
        report.warnings.append(f"{len(tempos)} different tempos: read at the first, "
                               f"{round(tempo, 1)} bpm (tempo changes are not kept)")
    solo = Solo(path.stem, notes, chords, beats_per_bar=bpb, tempo=round(tempo or 120.0, 2))
    report.notes = len(notes)
    return solo, report



def midi_offbeat_positions(path, lead: str | int | None = None) -> list[float] | None:
    """Played positions of the lead part's offbeat eighths, from the file's own ticks (before
    ``read_midi_solo`` snaps them to the grid): the swing a MIDI take or a player's file
    really has (``swing.lone_offbeat_positions``). None for a file ``read_midi_solo`` refuses."""
    try:
        mid, *_, chosen, _why = _open_lead(Path(path), lead)
    except _Refused:
        return None
    starts = sorted({start for start, _, _, _ in chosen.notes})
    return lone_offbeat_positions(start / mid.ticks_per_beat for start in starts)


def _unreadable(exc: Exception) -> str:
    """A sentence for a file mido could not read (its own messages can be empty or cryptic)."""
    if isinstance(exc, EOFError):
        return "not a readable MIDI file: it is truncated (it ends in the middle of a track)"
    detail = str(exc).strip() or type(exc).__name__
    return f"not a readable MIDI file ({detail})"


def midi_files(path) -> list[Path]:
    """A single MIDI file, or every MIDI file under a folder (sorted, recursive)."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES)


def load_midi_folder(path, lead: str | int | None = None) -> LoadResult:
    solos: list[Solo] = []
    files: list[FileReport] = []
    for file in midi_files(path):
        solo, report = read_midi_solo(file, lead)
        if solo is not None:
            solos.append(solo)
        files.append(report)
    return LoadResult(solos, files)


def midi_played_notes(path, lead: str | int | None = None
                      ) -> list[tuple[float, float, int, int]] | None:
    """The lead part as the file plays it: (start, end in beats, pitch, velocity) in time
    order, from its own ticks (before the grid): how a take or a player's file articulates
    and accents (``analysis.playing``). None for a file ``read_midi_solo`` refuses."""
    try:
        mid, *_, chosen, _why = _open_lead(Path(path), lead)
    except _Refused:
        return None
    beat = mid.ticks_per_beat
    return sorted((s / beat, e / beat, p, v) for s, e, p, v in chosen.notes)
