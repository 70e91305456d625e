"""The user's spelling survives (F# stays F#) and takes get a sensible key signature."""

import mido
import pytest

from studio.music.chart import PRESETS, chart_to_spans, parse_chart
from studio.music.chords import SHARP_NAMES, parse_chord
from studio.music.encoding import encode_solo
from studio.music.perform.feel import EXACT
from studio.music.notation.keys import estimate_key, prefers_sharps
from studio.music.notation.midi_file import solo_to_midi
from studio.music.types import Note, Solo, merge_spans


@pytest.mark.parametrize("typed, name", [
    ("F#m7", "F#m7"), ("Gbm7", "Gbm7"), ("C#7", "C#7"), ("Db7", "Db7"), ("F#-7", "F#m7"),
    ("D7/F#", "D7/F#"), ("Bbmaj7", "Bbmaj7"), ("A#7", "A#7"), ("Cb", "Cb"), ("NC", "N.C.")])
def test_names_keep_the_typed_root_and_bass(typed, name):
    assert parse_chord(typed).name == name


def test_spelling_is_not_identity():
    assert parse_chord("F#m7") == parse_chord("Gbm7")           # one chord to the model
    assert parse_chord("F#m7").token == "CHORD_Gb_min7"
    spans = merge_spans(chart_to_spans("| F#m7 | Gbm7 |"))
    assert [s.chord.name for s in spans] == ["F#m7", "Gbm7"]     # two symbols, each as typed
    same = Solo("s", [Note(0, 12, 66)], chart_to_spans("| F#m7 | F#m7 |"))
    assert encode_solo(same.copy(chords=spans)) == encode_solo(same)   # one chord to the model
    assert parse_chord("F#7").transposed(2).name == "Ab7"       # a transposed chord is respelled
    assert parse_chord("G7").spelled(SHARP_NAMES) == "G7" and parse_chord("Ab7").spelled(SHARP_NAMES) == "Ab7"
    assert parse_chord("Eb7").transposed(0).spelled(SHARP_NAMES) == "D#7"


def key_of(chart):
    return estimate_key(Solo("k", [], chart_to_spans(chart)))


@pytest.mark.parametrize("chart, key, sharps", [
    (PRESETS["Bb blues"], "Bb", -2), (PRESETS["F blues"], "F", -1),
    (PRESETS["Rhythm changes (Bb)"], "Bb", -2), ("| Dm7 | G7 | Cmaj7 | % |", "C", 0),
    ("| Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm6 | % |", "Gm", -2),
    ("| G#m7 | C#7 | F#maj7 | % |", "F#", 6), ("| Abm7 | Db7 | Gbmaj7 | % |", "Gb", -6),
    ("| F#m7 | B7 | Emaj7 | % |", "E", 4)])
def test_key_estimates(chart, key, sharps):
    k = key_of(chart)
    assert (k.mido_name, k.sharps) == (key, sharps)


def test_midi_markers_keep_sharps_and_carry_a_key_signature(tmp_path):
    chart = "| F#m7 | B7 | Emaj7 | C#7 |"
    solo = Solo("sharp tune", [Note(0, 12, 66)], parse_chart(chart).to_spans(), tempo=140)
    assert prefers_sharps(solo) is True
    solo_to_midi(solo, feel=EXACT).save(tmp_path / "t.mid")
    meta = [m for m in mido.MidiFile(tmp_path / "t.mid").tracks[0] if m.is_meta]
    assert [m.text for m in meta if m.type == "marker"] == ["F#m7", "B7", "Emaj7", "C#7"]
    assert [m.key for m in meta if m.type == "key_signature"] == ["E"]
