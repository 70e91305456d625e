"""Swing measured: played positions from WJazzD-style CSVs, and from rendered performances."""

import csv

import pytest

from studio.music.perform.feel import EXACT, Feel, auto_swing_ratio, measured_positions
from studio.music.perform.performance import PPQ, perform
from studio.music.corpus.swing import (detached_share, feel_positions, pair_ratio,
    performance_eighth_pair_fractions, performance_hold_ratios, performance_offbeat_positions,
    read_solo_timing, swing_by_tempo, swing_ratio)
from studio.music.tempo import bucket_label, bucket_labels, tempo_bucket
from studio.music.types import Note, Solo


def write_pair(tmp_path, beat_onsets, notes):
    """beats: onset per (bar 1, beat k); notes: (beat, division, tatum, onset seconds)."""
    beats = tmp_path / "b.csv"
    with open(beats, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["bar", "bass_pitch", "beat", "chord", "chorus_id", "form", "onset", "signature"])
        for i, t in enumerate(beat_onsets):
            w.writerow([1 + i // 4, "", 1 + i % 4, "C7" if i == 0 else "", 0, "", t, ""])
    melody = tmp_path / "m.csv"
    with open(melody, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["bar", "beat", "beatdur", "denom", "division", "duration", "num", "onset",
                    "period", "pitch", "subtatum", "tatum"])
        for beat, division, tatum, onset in notes:
            w.writerow([1 + beat // 4, 1 + beat % 4, 0.5, 4, division, 0.2, 4, onset, 4, 60, 0, tatum])
    return melody, beats


def test_played_positions_and_ratio_from_csv(tmp_path):
    # beats every 0.5 s except a stretched third beat (0.6 s): positions are per beat
    onsets = [0.0, 0.5, 1.0, 1.6, 2.1, 2.6, 3.1, 3.6]
    notes = [(0, 2, 1, 0.02), (0, 2, 2, 0.30),      # 0.60 of the beat
             (1, 2, 2, 0.80),                        # 0.60
             (2, 2, 2, 1.39),                        # (1.39 - 1.0) / 0.6 = 0.65
             (3, 3, 3, 1.6 + 0.35),                  # a triplet: not an offbeat eighth
             (7, 2, 2, 3.9)]                         # last beat has no successor: left out
    mel, beats = write_pair(tmp_path, onsets, notes)
    timing = read_solo_timing(mel, beats, "t")
    assert timing.tempo == 120.0
    assert timing.offbeat_eighths() == pytest.approx([0.6, 0.6, 0.65])
    assert timing.swing_ratio == pytest.approx(0.6 / 0.4)
    assert [(n.division, n.tatum) for n in timing.notes] == [(2, 1), (2, 2), (2, 2), (2, 2), (3, 3)]
    assert timing.notes[0].position == pytest.approx(0.04)


def test_bad_csv_is_one_clear_error(tmp_path):
    mel, beats = write_pair(tmp_path, [0.0, 0.5], [(0, 2, 2, 0.3)])
    mel.write_text("bar,beat\n1,x\n")
    with pytest.raises(ValueError, match="unreadable row or missing column"):
        read_solo_timing(mel, beats, "t")


def test_ratio_definition_and_buckets():
    assert swing_ratio([0.5, 0.5]) == 1.0
    assert swing_ratio([2 / 3]) == pytest.approx(2.0)
    assert swing_ratio([0.55, 0.6, 0.9]) == pytest.approx(1.5)     # the median, not the mean
    assert swing_ratio([]) is None
    assert [tempo_bucket(t) for t in (99, 100, 139.9, 140, 200, 280, 400)] == [0, 1, 1, 2, 4, 6, 6]
    assert bucket_label(0) == "<100" and bucket_label(2) == "140-169" and bucket_label(6) == ">=280"
    table = swing_by_tempo([(150, [0.6, 0.6]), (160, [0.64]), (300, [0.5])])
    assert list(table) == bucket_labels()
    assert table["140-169"] == {"ratio": 1.5, "position": 0.6, "offbeats": 3, "pieces": 2}
    assert table[">=280"]["ratio"] == 1.0 and table["<100"]["ratio"] is None


def eighths_solo(tempo, bars=4):
    notes = [Note(t, 6, 60 + (t // 6) % 7) for t in range(0, bars * 48 - 12, 6)]
    return Solo("eighths", notes, [], tempo=tempo)


@pytest.mark.parametrize("tempo", [90, 151.8, 200, 300])
def test_rendered_offbeats_sit_where_the_table_says(tempo):
    perf = perform(eighths_solo(tempo), Feel(humanize=0), comping=False, bass=False)
    positions = performance_offbeat_positions(perf)
    assert len(positions) == 4 * 4 - 1
    expected = measured_positions(tempo)[(2, 2)]
    assert positions == pytest.approx([expected] * len(positions), abs=1 / PPQ)
    assert swing_ratio(positions) == pytest.approx(auto_swing_ratio(tempo), abs=0.01)


def test_straight_and_a_chosen_ratio():
    solo = eighths_solo(160)
    straight = performance_offbeat_positions(perform(solo, EXACT, comping=False, bass=False))
    assert set(straight) == {0.5}
    triplet = perform(solo, Feel(2.0, humanize=0), comping=False, bass=False)
    assert swing_ratio(performance_offbeat_positions(triplet)) == pytest.approx(2.0, abs=0.02)
    # humanised: scattered, yet the median still sits at the corpus's ratio
    human = perform(eighths_solo(160, bars=32), Feel(), comping=False, bass=False)
    positions = performance_offbeat_positions(human)
    assert len(set(positions)) > 10
    assert swing_ratio(positions) == pytest.approx(auto_swing_ratio(160), abs=0.1)


def test_feel_table_from_timings():
    from studio.music.corpus.swing import PlayedNote, SoloTiming
    timings = [SoloTiming("a", 150, [PlayedNote(2, 2, 0.6)] * 40 + [PlayedNote(3, 3, 0.7)] * 5),
               SoloTiming("b", 250, [PlayedNote(2, 2, 0.55)] * 40)]
    centres, table = feel_positions(timings)
    assert centres == (150.0, 250.0)
    assert table[(2, 2)] == (0.6, 0.55)
    assert table[(3, 3)] == (None, None)          # too few notes to trust


# ------------------------------------------------- offbeat eighths found without annotation
def test_lone_offbeats_are_found_and_triplets_and_sixteenths_are_not():
    from studio.music.corpus.swing import lone_offbeat_positions
    onsets = [0.0, 0.6,                 # a swung pair: 0.6
              1.58,                     # a rest on the beat, then an offbeat: 0.58
              1.97, 2.5,                # played early on beat 3 (counts as its downbeat): 0.5
              3.0, 3.333, 3.667,        # a triplet: three onsets, none counted
              4.0, 4.25, 4.5, 4.75,     # sixteenths: none counted
              5.0, 5.75,                # an onset at 3/4 of the beat: outside the window
              6.3]                      # a quarter-ish late: neither downbeat nor offbeat
    assert lone_offbeat_positions(onsets) == pytest.approx([0.6, 0.58, 0.5 + 0.0])


@pytest.mark.parametrize("ratio", [1.0, 1.6, 2.0])
def test_a_midi_takes_swing_is_read_from_its_own_ticks(tmp_path, ratio):
    from studio.music.corpus.midi import midi_offbeat_positions
    from studio.music.notation.midi_file import write_midi
    solo = eighths_solo(120, bars=8)
    path = write_midi(solo, tmp_path / "take.mid", feel=Feel(ratio, humanize=0))
    positions = midi_offbeat_positions(path)
    assert len(positions) == 8 * 4 - 1                      # every offbeat of the eighth line
    assert swing_ratio(positions) == pytest.approx(ratio, abs=0.02)


def test_hold_ratios_and_eighth_pairs_from_csv(tmp_path):
    # beats every 0.5 s; every note sounds 0.2 s (write_pair)
    onsets = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    notes = [(0, 2, 1, 0.05), (0, 2, 2, 0.35), (1, 2, 1, 0.55),   # a pair: (0.35-0.05)/0.5
             (1, 2, 2, 0.85),                                      # next onset 1.4 s: beat 2 tatum 2
             (2, 2, 2, 1.40),
             (6, 1, 1, 3.0)]                                       # 1.6 s later: a breath, no hold
    mel, beats = write_pair(tmp_path, onsets, notes)
    timing = read_solo_timing(mel, beats, "t")
    assert timing.hold_ratios() == pytest.approx([0.2 / 0.3, 0.2 / 0.2, 0.2 / 0.3, 0.2 / 0.55])
    assert timing.eighth_pair_fractions() == pytest.approx([0.6])
    assert pair_ratio(timing.eighth_pair_fractions()) == pytest.approx(1.5)
    assert detached_share(timing.hold_ratios()) == 0.25 and detached_share([]) is None


def test_rendered_holds_and_pairs_use_the_corpus_ruler():
    solo = Solo("pairs", [Note(t, 6, 60) for t in range(0, 96, 6)], [], tempo=150.0)
    straight = perform(solo, EXACT, comping=False, bass=False)
    assert performance_hold_ratios(straight) == pytest.approx([1.0] * 15)
    assert performance_eighth_pair_fractions(straight) == pytest.approx([0.5] * 7)
    for ratio in (1.6, 2.0):
        # a chosen ratio is the line's own: the lay-back does not straighten its pairs
        swung = perform(solo, Feel(ratio, humanize=0), comping=False, bass=False)
        assert pair_ratio(performance_eighth_pair_fractions(swung)) == pytest.approx(ratio, abs=0.02)
        assert swing_ratio(performance_offbeat_positions(swung)) == pytest.approx(ratio, abs=0.02)
