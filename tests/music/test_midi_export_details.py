"""The MIDI writer on a hand-built performance: header events at tick 0, the meter, the
performance's velocities, note-offs before note-ons at one tick whatever the input order,
regions that end exactly at the last bar line, markers only inside the take, parent folders."""

import mido

from studio.music.chords import parse_chord
from studio.music.notation.midi_file import performance_to_midi, write_midi
from studio.music.perform.performance import PPQ, Performance, PerfNote
from studio.music.types import ChordSpan, Note, Solo

BAR = 3 * PPQ  # a 3/4 bar


def timed(track):
    now, out = 0, []
    for msg in track:
        now += msg.time
        out.append((now, msg))
    return out


def hand_built():
    notes = [  # deliberately not in time order; the second ends where the first begins
        PerfNote("solo", 480, 960, 62, 101),
        PerfNote("solo", 0, 480, 62, 77),
        PerfNote("solo", 960, BAR * 2, 65, 90),     # ends exactly at the end
        PerfNote("bass", 0, 470, 36, 70),
    ]
    perf = Performance(title="perf", tempo=132.0, beats_per_bar=3, end=BAR * 2, notes=notes)
    spans = [ChordSpan(0, 36, parse_chord("C7")), ChordSpan(36, 72, parse_chord("F7")),
             ChordSpan(72, 108, parse_chord("G7"))]  # the last starts at the end: no marker
    return perf, Solo("score title", [], spans, beats_per_bar=3, tempo=132.0)


def test_hand_built_performance():
    perf, score = hand_built()
    mid = performance_to_midi(perf, score, program=11, bass_program=33)
    assert (mid.type, mid.ticks_per_beat) == (1, PPQ)
    names = [next(m.name for m in t if m.type == "track_name") for t in mid.tracks]
    assert names == ["score title", "Solo", "Bass"]  # no comping notes: no Comping track
    for track in mid.tracks:  # names, programs, tempo, meter: all at tick 0
        for tick, msg in timed(track):
            if msg.is_meta and msg.type != "marker" or msg.type == "program_change":
                assert tick == 0 or msg.type == "end_of_track", (msg, tick)
        assert sum(m.time for m in track) == BAR * 2 and track[-1].type == "end_of_track"
    conductor = dict((m.type, m) for m in mid.tracks[0])
    sig = conductor["time_signature"]
    assert (sig.numerator, sig.denominator, sig.clocks_per_click, sig.notated_32nd_notes_per_beat) == (3, 4, 24, 8)
    assert conductor["set_tempo"].tempo == round(60_000_000 / 132)  # microseconds per beat
    assert "key_signature" not in conductor  # none asked for
    markers = [(tick, m.text) for tick, m in timed(mid.tracks[0]) if m.type == "marker"]
    assert markers == [(0, "C7"), (36 * 40, "F7")]
    programs = [(m.channel, m.program) for t in mid.tracks for m in t if m.type == "program_change"]
    assert programs == [(0, 11), (2, 33)]
    solo = [(tick, m.type, m.note, m.velocity) for tick, m in timed(mid.tracks[1])
            if m.type in ("note_on", "note_off")]
    assert solo == [(0, "note_on", 62, 77), (480, "note_off", 62, 0), (480, "note_on", 62, 101),
                    (960, "note_off", 62, 0), (960, "note_on", 65, 90), (BAR * 2, "note_off", 65, 0)]


def test_key_signature_title_and_names():
    perf, score = hand_built()
    mid = performance_to_midi(perf, score, title="My take", solo_name="Alto", key="Bb")
    assert [next(m.name for m in t if m.type == "track_name") for t in mid.tracks][:2] == ["My take", "Alto"]
    (key,) = [(tick, m.key) for tick, m in timed(mid.tracks[0]) if m.type == "key_signature"]
    assert key == (0, "Bb")


def test_write_midi_makes_every_missing_folder(tmp_path):
    solo = Solo("s", [Note(0, 12, 60)], [ChordSpan(0, 48, parse_chord("C7"))])
    path = write_midi(solo, tmp_path / "a" / "b" / "c" / "take.mid")
    assert path == tmp_path / "a" / "b" / "c" / "take.mid" and mido.MidiFile(path).type == 1


def test_solo_to_midi_passes_title_and_programs_through():
    from studio.music.perform.feel import EXACT
    from studio.music.notation.midi_file import solo_to_midi

    solo = Solo("tune", [Note(0, 12, 60), Note(24, 12, 64)], [ChordSpan(0, 96, parse_chord("C7"))])
    mid = solo_to_midi(solo, program=70, comp_program=5, bass_program=40, title="Named", feel=EXACT)
    assert next(m.name for m in mid.tracks[0] if m.type == "track_name") == "Named"
    programs = {m.channel: m.program for t in mid.tracks for m in t if m.type == "program_change"}
    assert programs == {0: 70, 1: 5, 2: 40}


def test_the_performances_resolution_is_the_files():
    perf, score = hand_built()
    perf.ppq = 960
    assert performance_to_midi(perf, score).ticks_per_beat == 960


def test_each_track_opens_in_the_documented_order():
    # the module's contract (its docstring): the conductor track is the song's name, tempo,
    # time signature, key signature, then the chord markers, then the solo's score (for
    # sample --keep-bars); a part track is its name, then its program. Readers that take a
    # track's first event as its name rely on it.
    perf, score = hand_built()
    mid = performance_to_midi(perf, score, key="Bb")
    at_zero = [m.type for tick, m in timed(mid.tracks[0]) if tick == 0]
    assert at_zero == ["track_name", "set_tempo", "time_signature", "key_signature", "marker",
                       "sequencer_specific"]
    for track in mid.tracks[1:]:
        assert [m.type for m in track][:2] == ["track_name", "program_change"]
