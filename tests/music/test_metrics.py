import pytest

from studio.music.chart import chart_to_spans
from studio.music.encoding import encode_solo, transpose_solo
from studio.music.metrics import (NgramIndex, build_ngram_index, chord_tone_share,
                                  corpus_metrics, intervals, longest_shared_ngram, note_density,
                                  pitch_range, scale_conformance, solo_metrics)
from studio.music.types import Note, Solo


def over(chart, pitches, step=12):
    return Solo("s", [Note(i * step, step, p) for i, p in enumerate(pitches)], chart_to_spans(chart))


def test_chord_tone_share_known_answer():
    # C7 bar: C E G Bb are chord tones, D and A are not -> 4/6 ; NC bar skipped
    solo = over("| C7 | NC |", [60, 64, 67, 70, 62, 69, 61, 61], step=8)
    # the first six notes fall in bar 1 (ticks 0..40), the last two in bar 2 (48, 56)
    assert chord_tone_share(solo) == pytest.approx(4 / 6)
    assert scale_conformance(solo) == pytest.approx(1.0)          # all in C mixolydian
    assert chord_tone_share(over("| NC |", [60])) is None


def test_scale_conformance_and_chord_changes_mid_bar():
    # Dm7 for two beats then G7: F# is outside D dorian; B is a chord tone of G7
    solo = over("| Dm7 G7 |", [66, 62, 71, 73])
    assert chord_tone_share(solo) == pytest.approx(2 / 4)         # D (Dm7), B (G7)
    assert scale_conformance(solo) == pytest.approx(2 / 4)        # F# and C# out


def test_range_density():
    solo = over("| C7 | F7 |", [55, 60, 72, 64])
    assert pitch_range(solo) == (55, 72)
    assert note_density(solo) == pytest.approx(4 / 2)
    assert pitch_range(Solo("empty")) is None


def test_copy_meter_finds_transposed_lick():
    lick = [62, 65, 69, 72, 71, 67, 64, 62, 60]                   # 8 intervals
    corpus = [over("| C7 | % | % |", [50, 51, 53] + lick + [40, 41], step=4),
              over("| C7 | % |", [70, 72, 74, 76, 77, 79], step=6)]
    corpus[0].title, corpus[1].title = "Bird", "Scale"
    index = build_ngram_index(corpus)
    take = transpose_solo(over("| C7 | % |", [80, 81] + lick + [30], step=6), 5)
    match = longest_shared_ngram(take, index)
    assert (match.length, match.title, match.notes) == (8, "Bird", 9)
    assert match.start == 3
    # from tokens and from raw intervals, same answer
    assert longest_shared_ngram(encode_solo(take), index).length == 8
    assert longest_shared_ngram(intervals(take), index).length == 8
    # short matches use the small sets: +2 +2 +2 is in "Scale", not a 5-gram
    assert longest_shared_ngram([2, 2, 2], index).length == 3
    assert longest_shared_ngram([11, -11], index).length == 0
    assert longest_shared_ngram([], index).length == 0


def test_solo_and_corpus_metrics():
    a = over("| C7 |", [60, 64, 62, 61])           # 2/4 chord tones
    b = over("| Fmaj7 |", [65, 69, 72, 64])        # 4/4
    stats = corpus_metrics([a, b])
    assert stats["chord_tone_share"] == pytest.approx(6 / 8)
    assert stats["notes"] == 8 and stats["notes_per_bar"] == pytest.approx(4.0)
    m = solo_metrics(a, NgramIndex([b]))
    assert m["chord_tone_share"] == pytest.approx(0.5) and m["bars"] == 1
    assert "longest_shared_intervals" in m
