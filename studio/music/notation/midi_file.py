"""Export a take as a type-1 MIDI file for a DAW, at 480 PPQ, with mido.

The file is the take's performance (``performance.perform``: the score played with a
feel, swung and humanised by default; ``feel=EXACT`` writes the score itself). Tracks:
0 = conductor (song name, tempo, time signature, key signature, chord symbols as markers
in the user's spelling, the score below); 1 = the solo (named, its GM program, channel
1); optional comping (channel 2) and walking bass (channel 3). Channel 10 stays free for
the user's drums.

The conductor track also carries the score of the solo (the notes on the 12-per-beat grid
the model wrote, before swing and human timing) in one sequencer-specific event
(``score_notes`` reads it back), so ``sample --primer take.mid --keep-bars N`` keeps a
swung, humanised take's bars note for note; a DAW ignores it.

Hygiene a DAW relies on: every note-on has its note-off; two notes of one pitch on one
channel never overlap; at one instant note-offs come before note-ons; no event before
tick 0; each track's end_of_track sits at the end of the last bar, so regions line up.
"""

from __future__ import annotations

from pathlib import Path

import mido

from studio.music.perform.feel import Feel
from studio.music.perform.performance import (ACOUSTIC_BASS, CHANNELS, PIANO, PPQ, TENOR_SAX,
    Performance, perform)
from studio.music.types import TICKS_PER_BEAT, Note, Solo, merge_spans

SCALE = PPQ // TICKS_PER_BEAT            # score ticks -> MIDI ticks
SOLO_CHANNEL, COMP_CHANNEL, BASS_CHANNEL = CHANNELS["solo"], CHANNELS["comping"], CHANNELS["bass"]
__all__ = ["PPQ", "SCALE", "TENOR_SAX", "PIANO", "ACOUSTIC_BASS", "solo_to_midi", "write_midi",
           "performance_to_midi"]


def _track(name: str, notes, channel: int | None, program: int | None, end: int,
           extra=()) -> mido.MidiTrack:
    events = [(0, 0, mido.MetaMessage("track_name", name=name))]
    events.extend(extra)
    if channel is not None and program is not None:
        events.append((0, 1, mido.Message("program_change", channel=channel, program=program)))
    for n in notes:
        # at one instant: meta/program first, then note-offs (2), then note-ons (3)
        events.append((n.start, 3, mido.Message("note_on", channel=channel, note=n.pitch,
                                                velocity=n.velocity)))
        events.append((n.end, 2, mido.Message("note_off", channel=channel, note=n.pitch,
                                              velocity=0)))
    track = mido.MidiTrack()
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track


def performance_to_midi(perf: Performance, solo: Solo, program: int = TENOR_SAX,
                        title: str | None = None, solo_name: str = "Solo",
                        comp_program: int = PIANO, bass_program: int = ACOUSTIC_BASS,
                        key: str | None = None) -> mido.MidiFile:
    """A type-1 MidiFile of a performance; ``solo`` gives the chord markers.
    ``key``: a mido key-signature name ('Bb', 'F#m' ...) for the conductor track."""
    conductor = [
        (0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(perf.tempo))),
        (0, 0, mido.MetaMessage("time_signature", numerator=perf.beats_per_bar, denominator=4,
                                clocks_per_click=24, notated_32nd_notes_per_beat=8)),
    ]
    if key:
        conductor.append((0, 0, mido.MetaMessage("key_signature", key=key)))
    conductor.append((0, 2, _score_event(solo)))   # after the first bar's marker
    for span in merge_spans(solo.chords):
        if span.start * SCALE < perf.end:
            conductor.append((span.start * SCALE, 1, mido.MetaMessage("marker", text=span.chord.name)))
    mid = mido.MidiFile(type=1, ticks_per_beat=perf.ppq)
    mid.tracks.append(_track(title or solo.title, [], None, None, perf.end, conductor))
    mid.tracks.append(_track(solo_name, perf.part("solo"), SOLO_CHANNEL, program, perf.end))
    parts = {n.part for n in perf.notes}
    if "comping" in parts:
        mid.tracks.append(_track("Comping", perf.part("comping"), COMP_CHANNEL, comp_program, perf.end))
    if "bass" in parts:
        mid.tracks.append(_track("Bass", perf.part("bass"), BASS_CHANNEL, bass_program, perf.end))
    return mid


def solo_to_midi(solo, program: int = TENOR_SAX, comping: bool = True, bass: bool = True,
                 title: str | None = None, solo_name: str = "Solo",
                 comp_program: int = PIANO, bass_program: int = ACOUSTIC_BASS,
                 feel: Feel | None = None) -> mido.MidiFile:
    """A type-1 MidiFile. ``solo`` may be a Solo or a Take (its seed seeds the feel).
    ``feel`` defaults to ``Feel()``: corpus swing for the tempo, human timing."""
    perf = perform(solo, feel, comping=comping, bass=bass)
    score: Solo = getattr(solo, "solo", solo)
    from studio.music.notation.keys import midi_key_name
    return performance_to_midi(perf, score, program, title, solo_name, comp_program,
                               bass_program, key=midi_key_name(score))


def write_midi(solo, path, **options) -> Path:
    """Write ``solo_to_midi(solo, **options)`` to ``path`` (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    solo_to_midi(solo, **options).save(path)
    return path


# The score event: 0x7D (the manufacturer id for non-commercial use), a tag, then
# "start,duration,pitch" per note in score ticks (12 per beat), ";"-separated.
SCORE_TAG = b"\x7dsequence-studio score 1:"


def _score_event(solo: Solo) -> mido.MetaMessage:
    text = ";".join(f"{n.start},{n.duration},{n.pitch}" for n in sorted(solo.notes))
    return mido.MetaMessage("sequencer_specific", data=list(SCORE_TAG + text.encode("ascii")))


def score_notes(mid: mido.MidiFile) -> list[Note] | None:
    """The solo's score as this module wrote it (None when the file has none, or a damaged
    one): the notes on the grid, velocity 90."""
    for track in mid.tracks:
        for msg in track:
            if msg.type == "sequencer_specific" and bytes(msg.data[:len(SCORE_TAG)]) == SCORE_TAG:
                text = bytes(msg.data[len(SCORE_TAG):]).decode("ascii", "replace")
                try:
                    triples = [tuple(int(x) for x in item.split(",")) for item in text.split(";") if item]
                    notes = [Note(s, d, p, 90) for s, d, p in triples]
                except (TypeError, ValueError):
                    return None
                if all(n.start >= 0 and n.duration > 0 and 0 <= n.pitch <= 127 for n in notes):
                    return notes
                return None
    return None
