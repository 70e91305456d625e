"""Export a Solo (or a Take) as a type-1 MIDI file for a DAW, at 480 PPQ, with mido.

Tracks: 0 = conductor (song name, tempo, time signature, chord symbols as markers);
1 = the solo (named, its GM program, channel 1); optional comping (rootless 4-note
voicings, piano, channel 2) and walking bass (channel 3). Channel 10 stays free for the
user's drums.

Hygiene a DAW relies on: every note-on has its note-off; two notes of one pitch on one
channel never overlap (the earlier one is cut); at one instant note-offs come before
note-ons; each track's end_of_track sits at the end of the last bar, so the regions line
up. Velocities follow the beat: the downbeat and the swung upbeats are accented.
"""

from __future__ import annotations

from pathlib import Path

import mido

from .chords import Chord
from .types import TICKS_PER_BEAT, ChordSpan, Solo, make_monophonic, merge_spans

PPQ = 480
SCALE = PPQ // TICKS_PER_BEAT            # our ticks -> MIDI ticks
TENOR_SAX, PIANO, ACOUSTIC_BASS = 66, 0, 32
SOLO_CHANNEL, COMP_CHANNEL, BASS_CHANNEL = 0, 1, 2

# Rootless voicings (Bill Evans "A" and "B" forms), intervals above the root.
_VOICINGS = {
    "dom7": ([4, 9, 10, 14], [10, 14, 16, 21]), "alt": ([4, 10, 15, 20], [10, 15, 16, 20]),
    "min7": ([3, 7, 10, 14], [10, 14, 15, 19]), "maj7": ([4, 7, 11, 14], [11, 14, 16, 19]),
    "6": ([4, 7, 9, 14], [9, 14, 16, 19]), "min6": ([3, 7, 9, 14], [9, 14, 15, 19]),
    "minmaj7": ([3, 7, 11, 14], [11, 14, 15, 19]), "m7b5": ([3, 6, 10, 12], [10, 12, 15, 18]),
    "dim7": ([3, 6, 9, 12], [6, 9, 12, 15]), "dim": ([3, 6, 12, 15], [6, 12, 15, 18]),
    "aug": ([4, 8, 12, 16], [8, 12, 16, 20]), "sus": ([5, 7, 10, 14], [10, 14, 17, 19]),
    "maj": ([4, 7, 12, 14], [7, 12, 14, 16]), "min": ([3, 7, 12, 14], [7, 12, 14, 15]),
}


def accent(tick: int, ticks_per_bar: int, base: int) -> int:
    """Velocity for an onset: downbeat +10, other beats +3, swung/straight upbeats +6,
    notes between (sixteenths, triplet middles) -6: a jazz line leans on its upbeats."""
    pos = tick % ticks_per_bar
    sub = pos % TICKS_PER_BEAT
    if pos == 0:
        v = base + 10
    elif sub == 0:
        v = base + 3
    elif sub in (6, 8):
        v = base + 6
    else:
        v = base - 6
    return max(1, min(127, v))


def comp_voicing(chord: Chord, previous: list[int] | None = None) -> list[int]:
    """A rootless voicing near the previous one (smooth voice leading), lowest note 48..60."""
    forms = _VOICINGS[chord.quality]
    candidates = []
    for form in forms:
        for octave in range(3, 6):
            pitches = [chord.root + 12 * octave + i for i in form]
            if 48 <= pitches[0] <= 60:
                candidates.append(pitches)
    target = sum(previous) / len(previous) if previous else 62.0
    return min(candidates, key=lambda p: abs(sum(p) / len(p) - target))


def comping_notes(spans: list[ChordSpan], ticks_per_bar: int):
    """(start, end, pitch, velocity) in our ticks: a voicing at each change and downbeat."""
    out, previous = [], None
    for span in merge_spans(spans):
        if span.chord.is_nc:
            continue
        hits = sorted({span.start} | set(range(-(-span.start // ticks_per_bar) * ticks_per_bar,
                                                 span.end, ticks_per_bar)))
        voicing = comp_voicing(span.chord, previous)
        previous = voicing
        for i, start in enumerate(hits):
            end = hits[i + 1] if i + 1 < len(hits) else span.end
            end = max(start + 1, end - 2)              # a breath before the next hit
            for pitch in voicing:
                out.append((start, end, pitch, accent(start, ticks_per_bar, 62)))
    return out


def _bass_pitch(pc: int) -> int:
    return 28 + (pc - 4) % 12                      # E1 (28) .. Eb2 (39)


def bass_notes(spans: list[ChordSpan], ticks_per_bar: int):
    """A walking line: root on the change, chord tones on the way, a chromatic approach
    into the next change. Quarter notes, each cut a tick short so notes never overlap."""
    from .chords import chord_tones
    out = []
    spans = merge_spans(spans)
    for k, span in enumerate(spans):
        if span.chord.is_nc:
            continue
        root = span.chord.bass if span.chord.bass is not None else span.chord.root
        tones = sorted(chord_tones(span.chord), key=lambda pc: (pc - span.chord.root) % 12)
        nxt = spans[k + 1].chord if k + 1 < len(spans) and not spans[k + 1].chord.is_nc else None
        beats = list(range(span.start, span.end, TICKS_PER_BEAT))
        for i, start in enumerate(beats):
            if i == 0:
                pitch = _bass_pitch(root)
            elif i == len(beats) - 1 and nxt is not None:
                target = _bass_pitch(nxt.bass if nxt.bass is not None else nxt.root)
                pitch = target - 1 if i % 2 else target + 1
            else:
                pitch = _bass_pitch(tones[i % len(tones)]) + (12 if i % 4 == 2 else 0)
            out.append((start, start + TICKS_PER_BEAT - 1, pitch,
                        accent(start, ticks_per_bar, 80) if start % ticks_per_bar == 0 else 78))
    return out


def _clean(notes):
    """Cut same-pitch overlaps and drop empty notes (our ticks)."""
    out = []
    by_pitch: dict[int, list] = {}
    for n in sorted(notes):
        by_pitch.setdefault(n[2], []).append(n)
    for group in by_pitch.values():
        for i, (start, end, pitch, vel) in enumerate(group):
            if i + 1 < len(group):
                end = min(end, group[i + 1][0])
            if end > start:
                out.append((start, end, pitch, vel))
    return out


def _track(name: str, notes, channel: int | None, program: int | None, end: int,
           extra=()) -> mido.MidiTrack:
    events = [(0, 0, mido.MetaMessage("track_name", name=name))]
    events.extend(extra)
    if channel is not None and program is not None:
        events.append((0, 1, mido.Message("program_change", channel=channel, program=program)))
    for start, stop, pitch, vel in _clean(notes):
        # at one instant: meta/program first, then note-offs (2), then note-ons (3)
        events.append((start * SCALE, 3, mido.Message("note_on", channel=channel, note=pitch,
                                                      velocity=vel)))
        events.append((stop * SCALE, 2, mido.Message("note_off", channel=channel, note=pitch,
                                                     velocity=0)))
    track = mido.MidiTrack()
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end * SCALE - now)))
    return track


def solo_to_midi(solo, program: int = TENOR_SAX, comping: bool = True, bass: bool = True,
                 title: str | None = None, solo_name: str = "Solo",
                 comp_program: int = PIANO, bass_program: int = ACOUSTIC_BASS) -> mido.MidiFile:
    """A type-1 MidiFile. ``solo`` may be a Solo or anything with a ``.solo`` (a Take)."""
    solo: Solo = getattr(solo, "solo", solo)
    tpbar = solo.ticks_per_bar
    end = max(1, solo.bar_count) * tpbar
    conductor = [
        (0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(solo.tempo))),
        (0, 0, mido.MetaMessage("time_signature", numerator=solo.beats_per_bar, denominator=4,
                                clocks_per_click=24, notated_32nd_notes_per_beat=8)),
    ]
    for span in merge_spans(solo.chords):
        conductor.append((span.start * SCALE, 1, mido.MetaMessage("marker", text=span.chord.name)))
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    mid.tracks.append(_track(title or solo.title, [], None, None, end, conductor))
    lead = [(n.start, n.end, n.pitch, accent(n.start, tpbar, n.velocity))
            for n in make_monophonic(solo.notes)]
    mid.tracks.append(_track(solo_name, lead, SOLO_CHANNEL, program, end))
    if comping:
        mid.tracks.append(_track("Comping", comping_notes(solo.chords, tpbar), COMP_CHANNEL,
                                 comp_program, end))
    if bass:
        mid.tracks.append(_track("Bass", bass_notes(solo.chords, tpbar), BASS_CHANNEL,
                                 bass_program, end))
    return mid


def write_midi(solo, path, **options) -> Path:
    """Write ``solo_to_midi(solo, **options)`` to ``path`` (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    solo_to_midi(solo, **options).save(path)
    return path
