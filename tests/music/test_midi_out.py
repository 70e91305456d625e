import mido
import pretty_midi
import pytest

from studio.music.chart import PRESETS, chart_to_spans
from studio.music.perform.band import bass_notes, comp_voicing, comping_notes
from studio.music.perform.feel import EXACT
from studio.music.notation.midi_file import PPQ, solo_to_midi, write_midi
from studio.music.chords import chord_tones, parse_chord
from studio.music.types import Note, Solo

NOTES = [Note(0, 8, 70), Note(8, 4, 72), Note(16, 12, 74), Note(52, 6, 77), Note(60, 36, 73),
         Note(130, 10, 65)]


def make_solo():
    return Solo("Test tune", NOTES, chart_to_spans("| Bb7 | Eb7 Edim7 | Bb7 | F7 |"), tempo=150.0)


def mido_notes(track):
    now, on, out = 0, {}, []
    for msg in track:
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            assert msg.note not in on, "same-pitch overlap"
            on[msg.note] = now
        elif msg.type in ("note_on", "note_off"):
            out.append((on.pop(msg.note) / PPQ, now / PPQ, msg.note))
    assert not on, "note without its note-off"
    return sorted(out), now


def test_round_trip_with_mido_and_pretty_midi(tmp_path):
    path = write_midi(make_solo(), tmp_path / "out" / "take.mid", program=65, feel=EXACT)
    mid = mido.MidiFile(path)
    assert mid.type == 1 and mid.ticks_per_beat == 480
    names = [next(m.name for m in t if m.type == "track_name") for t in mid.tracks]
    assert names == ["Test tune", "Solo", "Comping", "Bass"]
    expected = [(n.start / 12, n.end / 12, n.pitch) for n in NOTES]
    notes, _ = mido_notes(mid.tracks[1])
    assert notes == expected
    tempo = [m.tempo for m in mid.tracks[0] if m.type == "set_tempo"]
    assert [round(mido.tempo2bpm(t), 3) for t in tempo] == [150.0]
    sig = [m for m in mid.tracks[0] if m.type == "time_signature"][0]
    assert (sig.numerator, sig.denominator) == (4, 4)
    markers, now = [], 0
    for m in mid.tracks[0]:
        now += m.time
        if m.type == "marker":
            markers.append((now / PPQ, m.text))
    assert markers == [(0, "Bb7"), (4, "Eb7"), (6, "Edim7"), (8, "Bb7"), (12, "F7")]
    # every track ends at the end of the last bar (4 bars = 16 beats)
    for track in mid.tracks:
        assert track[-1].type == "end_of_track"
        assert sum(m.time for m in track) == 16 * PPQ
    programs = {m.channel: m.program for t in mid.tracks for m in t if m.type == "program_change"}
    assert programs[0] == 65 and len(set(programs)) == 3

    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1].tolist() == pytest.approx([150.0])
    solo_inst = [i for i in pm.instruments if i.name == "Solo"][0]
    assert solo_inst.program == 65
    sec_per_beat = 60 / 150
    got = sorted((round(n.start / sec_per_beat, 6), round(n.end / sec_per_beat, 6), n.pitch)
                 for n in solo_inst.notes)
    assert got == [(pytest.approx(a), pytest.approx(b), p) for a, b, p in expected]
    assert {i.name for i in pm.instruments} == {"Solo", "Comping", "Bass"}


def test_optional_tracks_and_a_take_like_object(tmp_path):
    class TakeLike:
        solo = make_solo()
    mid = solo_to_midi(TakeLike(), comping=False, bass=False)
    assert len(mid.tracks) == 2


def test_overlapping_input_is_cleaned():
    solo = Solo("x", [Note(0, 30, 60), Note(12, 12, 60), Note(12, 6, 55)], chart_to_spans("| C7 |"))
    mid = solo_to_midi(solo)
    for track in mid.tracks[1:]:
        mido_notes(track)            # asserts no overlap and no hanging note


def test_comping_and_bass_fit_the_chords():
    spans = chart_to_spans(PRESETS["Bb blues"])
    for start, end, pitch, vel in comping_notes(spans, 48):
        chord = next(s.chord for s in spans if s.start <= start < s.end)
        assert end > start and 1 <= vel <= 127
        assert 48 <= pitch <= 84
    bass = bass_notes(spans, 48)
    assert len(bass) == 12 * 4
    for start, end, pitch, vel in bass:
        chord = next(s.chord for s in spans if s.start <= start < s.end)
        if start == next(s.start for s in spans if s.start <= start < s.end):
            assert pitch % 12 == chord.root             # the root on each change
        assert 27 <= pitch <= 52
    v = comp_voicing(parse_chord("G7"))
    assert len(v) == 4 and 7 not in {p % 12 for p in v}  # rootless
    assert {p % 12 for p in v} <= chord_tones(parse_chord("G7")) | {9, 4}


def test_exported_file_reimports_as_the_solo_with_its_chords(tmp_path):
    from studio.music.corpus.midi import read_midi_solo
    solo = make_solo()
    back, report = read_midi_solo(write_midi(solo, tmp_path / "take.mid", feel=EXACT))
    assert back.notes == [Note(n.start, n.duration, n.pitch, back.notes[i].velocity)
                          for i, n in enumerate(NOTES)]
    assert back.chords == solo.chords and back.tempo == 150.0
    assert "'Solo'" in report.message
