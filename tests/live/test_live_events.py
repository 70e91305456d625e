"""Live events, phrases and echoes: pure functions, no MIDI system needed."""

from __future__ import annotations

import mido
import pretty_midi
import pytest

from studio.music.chart import PRESETS, parse_chart
from studio.music.chords import parse_chord
from studio.music.live.events import (DRUM_CHANNEL, TimedMessage, band_events, bar_seconds, chart_slice,
    count_in_events, midi_file_events, take_events, ticks_to_seconds)
from studio.music.live.trade import PhraseRecorder, echo_share, pick_answer, quantise_phrase
from studio.music.notation.midi_file import write_midi
from studio.music.types import TICKS_PER_BEAT, ChordSpan, Note, Solo


def blues_solo(tempo=200.0) -> Solo:
    chart = parse_chart(PRESETS["Bb blues"])
    notes = [Note(i * 8, 6, 58 + (i * 5) % 17, 90) for i in range(60)]
    return Solo("t", notes, chart.to_spans(1), tempo=tempo)


def test_take_events_are_the_files_notes_read_by_a_second_parser(tmp_path):
    solo = blues_solo()
    path = write_midi(solo, tmp_path / "take.mid")
    live = [e for e in take_events(solo) if e.message.type == "note_on" and e.message.velocity]
    pm = pretty_midi.PrettyMIDI(str(path))
    by_program = {inst.program: inst for inst in pm.instruments}
    for channel, program in ((0, 66), (1, 0), (2, 32)):
        ours = sorted((e.time, e.message.note, e.message.velocity) for e in live
                      if e.message.channel == channel)
        theirs = sorted((n.start, n.pitch, n.velocity) for n in by_program[program].notes)
        assert ours and [o[1:] for o in ours] == [t[1:] for t in theirs]
        assert max(abs(o[0] - t[0]) for o, t in zip(ours, theirs)) < 1e-6


def test_take_events_equal_mido_reading_of_the_file_message_for_message(tmp_path):
    solo = blues_solo(tempo=240.0)
    path = write_midi(solo, tmp_path / "take.mid")
    from_file = midi_file_events(mido.MidiFile(path))
    live = sorted(take_events(solo))
    for channel in range(3):                # per channel, the same messages in the same order
        a = [e for e in live if e.message.channel == channel]
        b = [e for e in from_file if e.message.channel == channel]
        assert len(a) == len(b) > 10
        assert [e.message.bytes() for e in a] == [e.message.bytes() for e in b]
        assert max(abs(x.time - y.time) for x, y in zip(a, b)) < 1e-9


def test_an_int_tempo_plays_the_same_performance_as_a_float_one():
    a = [(e.time, e.message.bytes()) for e in take_events(blues_solo(tempo=240))]
    b = [(e.time, e.message.bytes()) for e in take_events(blues_solo(tempo=240.0))]
    assert a == b


def test_count_in_clicks_on_channel_10_and_ends_at_the_downbeat():
    events = count_in_events(2, tempo=120.0)
    ons = [e for e in events if e.message.type == "note_on"]
    assert len(ons) == 8 and {e.message.channel for e in events} == {DRUM_CHANNEL}
    assert ons[0].time == pytest.approx(-4.0) and ons[-1].time == pytest.approx(-0.5)
    assert [e.message.note for e in ons[:4]] == [76, 77, 77, 77]


def test_chart_slice_wraps_round_the_form_and_reads_back():
    chart = parse_chart(PRESETS["Bb blues"])
    part = chart_slice(chart, 10, 4)                   # bars 11, 12, then 1, 2
    assert part.bars == (chart.bars[10], chart.bars[11], chart.bars[0], chart.bars[1])
    assert parse_chart(part.text).bars == part.bars


def test_quantise_phrase_puts_notes_on_the_grid_and_cuts_at_the_cut():
    chart = parse_chart("| C7 | F7 |")
    tempo = 120.0                                      # a tick is 1/24 s
    notes = [(10.0 - 0.01, 10.2, 60, 80),              # a hair early: the downbeat
             (10.5 + 0.02, 10.75, 62, 81),             # the and of one, late by < half a tick
             (13.0, None, 64, 82),                     # still held at the cut
             (13.8, 13.9, 65, 83)]                     # after the cut: not heard yet
    solo = quantise_phrase(notes, start=10.0, cut=13.5, tempo=tempo, chart=chart)
    assert [(n.start, n.duration, n.pitch, n.velocity) for n in solo.notes] == [
        (0, 5, 60, 80), (12, 6, 62, 81), (72, 12, 64, 82)]
    assert [s.chord for s in solo.chords] == [parse_chord("C7"), parse_chord("F7")]


def test_recorder_pairs_ons_and_offs():
    rec = PhraseRecorder()
    rec.add(mido.Message("note_on", note=60, velocity=90), 1.0)
    rec.add(mido.Message("note_on", note=62, velocity=70), 1.5)
    rec.add(mido.Message("note_on", note=60, velocity=0), 2.0)     # running-status off
    rec.add(mido.Message("note_on", note=62, velocity=75), 2.5)    # re-struck: the first ends
    rec.add(mido.Message("note_off", note=62), 3.0)
    assert rec.between(0, 10) == [(1.0, 2.0, 60, 90), (1.5, 2.5, 62, 70), (2.5, 3.0, 62, 75)]
    assert rec.between(1.4, 2.0) == [(1.5, 2.5, 62, 70)]


def _line(pitches, start=0):
    return Solo("x", [Note(start + 6 * i, 6, p) for i, p in enumerate(pitches)],
                [ChordSpan(0, 48 * 4, parse_chord("C7"))])


def test_echo_share_counts_the_answers_interval_4grams_found_in_the_phrase():
    phrase = _line([60, 64, 67, 70, 69, 65])            # intervals 4 3 3 -1 -4
    transposed = _line([65, 69, 72, 75, 74, 70])        # the same motif a fourth up
    assert echo_share(transposed, phrase) == 1.0
    unrelated = _line([60, 61, 62, 63, 64, 65])
    assert echo_share(unrelated, phrase) == 0.0
    half = _line([62, 66, 69, 72, 71, 71, 71])          # 4 3 3 -1, then 0 0: 1 of 3 4-grams
    assert echo_share(half, phrase) == pytest.approx(1 / 3)
    assert echo_share(_line([60, 62]), phrase) == 0.0   # too short to have a 4-gram


def test_pick_answer_keeps_the_take_that_echoes_the_motif():
    class T:
        def __init__(self, solo):
            self.solo = solo
    phrase = _line([60, 64, 67, 70, 69, 65])
    takes = [T(_line([60, 61, 62, 63, 64, 65])), T(_line([62, 66, 69, 72, 71, 67])),
             T(_line([60, 58, 57, 55, 53, 52]))]
    assert pick_answer(takes, phrase) is takes[1]


def test_restate_motif_keeps_the_rhythm_and_moves_to_the_answers_chord():
    from studio.music.live.trade import join_answer, motif_primer, restate_motif

    chart = parse_chart("| C7 | F7 |")
    phrase = Solo("p", [Note(0, 12, 60), Note(48 + 0, 6, 64), Note(48 + 6, 6, 67),
                        Note(48 + 12, 12, 70), Note(48 + 30, 6, 69), Note(48 + 36, 6, 65)],
                   chart.to_spans(1))
    motif = restate_motif(phrase, parse_chord("Bb7"))
    # the last bar's notes (over F7), a fourth up to Bb7 (nearer than a fifth down),
    # at the same positions in the bar
    assert [(n.start, n.pitch) for n in motif] == [(0, 69), (6, 72), (12, 75), (30, 74),
                                                        (36, 70)]
    low = restate_motif(phrase, parse_chord("Bb7"), low=40, high=60)
    assert [n.pitch for n in low] == [45, 48, 51, 50, 46]                  # folded by octaves
    assert restate_motif(Solo("p", phrase.notes[:2], chart.to_spans(1)), parse_chord("C7")) == []

    answer_chart = parse_chart("| Bb7 | Eb7 |")
    primer = motif_primer(phrase, motif, answer_chart)
    assert [n.start for n in primer.notes][-5:] == [96, 102, 108, 126, 132]   # bar 3 of the primer
    assert primer.chord_at(96) == parse_chord("Bb7") and primer.bar_count == 3
    development = Solo("d", [Note(0, 12, 63)], parse_chart("| Eb7 |").to_spans(1))
    whole = join_answer(motif, development, answer_chart, 200.0)
    assert [(n.start, n.pitch) for n in whole.notes][-1] == (48, 63)
    assert echo_share(whole, phrase) > 0                # the restatement echoes the phrase


def test_input_quantize_grid_and_late_notes_of_the_last_beat():
    chart = parse_chart("| C7 |")
    played = [(0.15, 0.3, 60, 90), (0.55, 0.7, 62, 90), (4.02, 4.1, 64, 90)]   # 60 bpm: 1 s a beat
    fine = quantise_phrase(played, 0.0, 4.0, 60.0, chart)
    assert [n.start for n in fine.notes] == [2, 7]              # 12 ticks a beat, the late note cut
    sixteenths = quantise_phrase(played, 0.0, 4.0, 60.0, chart, grid=3, late=True)
    assert [n.start for n in sixteenths.notes] == [3, 6, 45]     # the late note: last 16th of beat 4
    assert sixteenths.notes[-1].pitch == 64


def test_the_input_latency_is_taken_off_each_note():
    from studio.music.live import clock as live_clock

    recorder = PhraseRecorder(live_clock.now, latency=0.1)       # song time 0 = the call
    recorder.handle(mido.Message("note_on", note=60, velocity=80))
    assert recorder.notes[0][0] == pytest.approx(-0.1, abs=0.02)


def test_trade_settings_check_quantize_and_latency():
    from studio.music.live.trade import TradeSettings

    with pytest.raises(ValueError, match="quantize"):
        TradeSettings(quantize=5).validate()
    with pytest.raises(ValueError, match="latency"):
        TradeSettings(latency_ms=-3).validate()


def test_silence_ends_a_call_and_moves_the_blocks_after():
    from studio.music.live.plan import BlockPlan, silence_end

    plan = BlockPlan(4, 1.0)                                  # 4-bar blocks, 1 s a bar
    assert [plan.bar(k) for k in range(3)] == [0, 4, 8] and plan.role(1) == "model"
    played = [(0.0, 0.2, 60, 90), (1.2, 1.4, 62, 90)]
    assert silence_end([], 0.0, 3.0, 0.5, 1.0, 0.5) is None                # nothing played yet
    assert silence_end(played, 0.0, 1.8, 0.5, 1.0, 0.5) is None            # silent 0.4 s only
    assert silence_end([(1.2, None, 62, 90)], 0.0, 3.0, 0.5, 1.0, 0.5) is None   # a held note
    assert silence_end(played, 0.0, 1.9, 0.5, 1.0, 0.5) == 3               # bar line >= 2.4 s
    assert silence_end(played, 0.0, 1.9, 0.5, 1.0, 0.0) == 2
    plan.rebase(1, 3)                                         # the call ended: answer at bar 3
    assert plan.span(0) == (0.0, 3.0) and [plan.bar(k) for k in (1, 2, 3)] == [3, 7, 11]
    assert plan.block_at(6.9) == 1 and plan.block_at(7.0) == 2
    plan.reset()
    assert plan.bar(2) == 8


def test_phrase_end_flag():
    from studio.cli.live import phrase_end_beats
    from studio.music.live.trade import TradeSettings

    assert [phrase_end_beats(t) for t in ("bars", "silence", "silence:1.5")] == [0.0, 2.0, 1.5]
    for bad in ("silence:x", "bars:2", "quiet"):
        with pytest.raises(ValueError, match="--phrase-end"):
            phrase_end_beats(bad)
    with pytest.raises(ValueError, match="silence"):
        TradeSettings(silence_beats=40).validate()


def test_sync_clock_is_taken_with_trading():
    """--trade with --sync clock: accepted (it was refused), the DAW counts in and clocks."""
    import argparse

    from studio.cli.live import _settings, add_parser

    sub = argparse.ArgumentParser().add_subparsers()
    add_parser(sub)
    args = sub.choices["live"].parse_args(["m", "--trade", "4", "--sync", "clock", "--clock",
                                           "--phrase-end", "silence:3"])
    _settings(args)
    assert (args.count_in, args.clock) == (0, False)


def test_the_band_under_a_trade_is_the_files_comping_and_bass_of_an_empty_solo(tmp_path):
    """``band_events``: the chart's comping (piano, channel 2) and bass (program 32, channel
    3) at the chart's tempo, as the MIDI export of a take with no notes has them."""
    chart = parse_chart(PRESETS["Bb blues"])
    path = tmp_path / "band.mid"
    write_midi(Solo("band", [], chart.to_spans(1), tempo=200.0), path)
    from_file = [(round(e.time, 6), e.message.bytes()) for e in midi_file_events(mido.MidiFile(path))
                 if e.message.channel != 0]                   # the solo's program change
    band = [(round(e.time, 6), e.message.bytes()) for e in sorted(band_events(chart, 200.0))]
    assert sorted(band) == sorted(from_file)
    programs = [e.message for e in band_events(chart, 200.0) if e.message.type == "program_change"]
    assert [(m.channel, m.program) for m in programs] == [(1, 0), (2, 32)]
    alone = band_events(chart, 200.0, comping=False)
    assert {e.message.channel for e in alone} == {2} and len(alone) < len(band)
    assert {e.message.channel for e in band_events(chart, 200.0, bass=False)} == {1}


def test_a_take_without_the_band_sends_the_solo_channel_only():
    events = take_events(blues_solo(), comping=False, bass=False)
    assert {e.message.channel for e in events} == {0}
    assert [e.message.program for e in events if e.message.type == "program_change"] == [66]


def test_times_and_orders_of_timed_messages(tmp_path):
    assert bar_seconds(240.0) == 1.0 and bar_seconds(120.0, 3) == 1.5
    assert ticks_to_seconds(TICKS_PER_BEAT * 3, 90.0) == pytest.approx(2.0)
    m = mido.Message("note_on", note=60)
    assert TimedMessage(1.0, 3, m).shifted(0.5, 10) == TimedMessage(1.5, 13, m)
    assert TimedMessage(1.0, 3, m).shifted(0.5).order == 3
    clicks = count_in_events(2, tempo=120.0)
    assert [e.order for e in sorted(clicks)] == list(range(16))   # each its own place in the file
    path = tmp_path / "t.mid"
    write_midi(blues_solo(), path)
    read = midi_file_events(mido.MidiFile(path))
    assert all(isinstance(e.order, int) for e in read)
    assert [e.order for e in read] == sorted({e.order for e in read})
