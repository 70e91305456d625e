from studio.music.chords import NO_CHORD, parse_chord
from studio.music.form import Harmony, bar_forms, tempo_token
from studio.music.types import ChordSpan


def test_tempo_buckets():
    assert [tempo_token(b) for b in (40, 99.9, 100, 139, 140, 199, 200, 279, 280, 400)] == [
        "TEMPO_0", "TEMPO_0", "TEMPO_100", "TEMPO_100", "TEMPO_140", "TEMPO_170", "TEMPO_200",
        "TEMPO_240", "TEMPO_280", "TEMPO_280"]


def test_bar_of_chorus_with_pickup_and_wrap():
    assert bar_forms([], 3) == [0, 1, 2]
    # a one-bar pickup before 12-bar choruses is the last bar of a chorus
    assert bar_forms([1, 13, 25], 15) == [11] + list(range(12)) + [0, 1]
    # forms longer than 32 bars wrap
    assert bar_forms([0], 34)[-2:] == [0, 1]


def test_harmony_looks_ahead_to_the_next_different_chord():
    c7, f7 = parse_chord("C7"), parse_chord("F7")
    # C7 twice (a restatement is no change), a gap (NC), then F7 to the end
    spans = [ChordSpan(0, 48, c7), ChordSpan(48, 72, c7), ChordSpan(96, 192, f7)]
    h = Harmony(spans, 192)
    assert h.at(0) == (c7, 6, NO_CHORD)            # 72 ticks to the NC gap: 6 beats
    assert h.at(71) == (c7, 1, NO_CHORD)
    assert h.at(72) == (NO_CHORD, 2, f7)
    assert h.at(100) == (f7, 8, NO_CHORD)          # 92 ticks to the end: capped at 8 beats
    assert h.tokens(60) == ["TO_1", "NEXT_NC", "CHORD_C_dom7"]
    assert h.tokens(60, chords=False) == ["TO_8", "NEXT_NC", "CHORD_NC"]
