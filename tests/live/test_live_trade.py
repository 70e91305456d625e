"""Trading over JACK: a second client plays phrases into the app's input port, a third
records what comes out. The model (the shipped jazz-gru) answers in the bars after."""

from __future__ import annotations

import threading
import time

import pytest

from studio.music.chart import PRESETS, parse_chart
from studio.music.chords import chord_tones
from studio.music.generate import JazzSettings
from studio.music.live.engine import LiveEngine
from studio.music.live.ports import open_input, open_output
from studio.bench.live_probe import Keyboard
from studio.music.live.trade import TradeSession, TradeSettings
from studio.music.types import chord_at

TEMPO = 240.0
BEAT = 60.0 / TEMPO
CORPUS_CHORD_TONE_SHARE = 0.490          # WJazzD, docs/ARCHITECTURE.md


def phrase_notes(block: int, bars: int):
    """A bebop-ish line in eighths over the first bars of a player block."""
    line = [65, 69, 72, 74, 75, 74, 72, 69, 67, 65, 64, 62, 65, 70, 69, 67]
    start = block * bars * 4 * BEAT
    return [(start + i * BEAT / 2, start + i * BEAT / 2 + 0.9 * BEAT / 2, p, 90)
            for i, p in enumerate(line[: bars * 8 - 2])]


def run_trade(listener, worker, chart, trade: TradeSettings, seed=5, play_blocks=(0, 2, 4),
              stop_at=None):
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TradeSession(engine, worker, chart, JazzSettings(seed=seed, tempo=TEMPO), trade)
    inp = open_input(None, api="jack", callback=session.recorder.handle)
    keyboard = Keyboard("Sequence Studio in")
    try:
        t0 = session.start()
        notes = [n for b in play_blocks for n in phrase_notes(b, trade.bars)]
        stop = threading.Event()
        player = threading.Thread(target=keyboard.play, args=(notes, t0, stop), daemon=True)
        player.start()
        if stop_at is not None:
            while (session.position() or -1) < stop_at:
                time.sleep(0.01)
            session.stop()
            stopped = time.monotonic()
        assert session.wait(60), "the session did not end"
        stop.set()
        player.join(5)
        time.sleep(0.3)
        return session, t0, (stopped if stop_at is not None else None)
    finally:
        inp.close()
        keyboard.close()
        engine.close()


def solo_onsets(listener, t0):
    return [(t - t0, m[1]) for t, m in listener.notes() if m[0] == 0x90 and m[2] > 0]


def test_the_model_answers_in_the_bars_after_each_phrase(listener, worker):
    chart = PRESETS["Bb blues"]
    trade = TradeSettings(bars=4, trades=3)
    session, t0, _ = run_trade(listener, worker, chart, trade)
    assert session.error is None and len(session.answers) == 3
    block_s = 4 * 4 * BEAT
    onsets = solo_onsets(listener, t0)
    blocks = {int(t // block_s) for t, _ in onsets}
    assert blocks == {1, 3, 5}                      # only in the model's blocks
    for answer in session.answers:
        assert answer["phrase_notes"] >= 10 and not answer["late"]
    # the answers fit the chart: chord-tone share near the corpus's (chance is ~0.33)
    spans = parse_chart(chart).to_spans(2)
    hits = [pitch % 12 in chord_tones(chord_at(spans, int(t / BEAT * 12 + 0.5) % (12 * 48)))
            for t, pitch in onsets]
    share = sum(hits) / len(hits)
    assert len(hits) >= 30
    assert abs(share - CORPUS_CHORD_TONE_SHARE) < 0.2, share
    assert listener.settled() == set()             # every note-on got its note-off
    player = session.player_notes()
    assert len(player) == 3 * len(phrase_notes(0, 4)) and all(n.end > n.start for n in player)


def test_stop_in_the_middle_of_an_answer_leaves_nothing_sounding(listener, worker):
    trade = TradeSettings(bars=2, trades=0)
    stop_at = 2 * 4 * BEAT + 1.0                    # a second into the model's first answer
    session, t0, stopped = run_trade(listener, worker, "| C7 | F7 |", trade, stop_at=stop_at)
    assert session.error is None
    assert any(t > 2 * 4 * BEAT for t, _ in solo_onsets(listener, t0)), "no answer was playing"
    assert listener.settled() == set()
    late = [t for t, m in listener.notes() if t > stopped + 0.05 and m[0] & 0xF0 == 0x90 and m[2]]
    assert late == []


def test_the_model_can_open_and_call_and_response_draws_candidates(listener, worker):
    trade = TradeSettings(bars=2, trades=2, player_first=False, call_response=True, candidates=3)
    session, t0, _ = run_trade(listener, worker, "| Dm7 G7 | Cmaj7 |", trade, play_blocks=(1,))
    assert [a["block"] for a in session.answers] == [0, 2]
    assert session.answers[0]["phrase_notes"] == 0 and session.answers[1]["phrase_notes"] > 0
    answer = session.answers[1]
    assert answer["candidates"] >= 1 and answer["motif_notes"] >= 5
    assert answer["echo"] > 0          # it opens with the player's motif, moved to its chord
    block_s = 2 * 4 * BEAT
    assert {int(t // block_s) for t, _ in solo_onsets(listener, t0)} <= {0, 2}
    assert listener.settled() == set()


def test_trade_settings_are_checked():
    with pytest.raises(ValueError, match="2, 4, 8"):
        TradeSettings(bars=3).validate()


def test_the_whole_phrase_is_heard_late_notes_too_and_the_answer_is_on_time(listener, worker):
    """Eighths through all four bars, the last on the last off-beat, and a resolution note
    played 30 ms after the bar line: all 33 are in the phrase that primes bars 2-4 of
    the answer, in every trade, and every answer is ready before its downbeat (240 bpm)."""
    line = [65, 69, 72, 74, 75, 74, 72, 69]
    block_s = 4 * 4 * BEAT

    def full(block):
        start = block * block_s
        eighths = [(start + i * BEAT / 2, start + i * BEAT / 2 + 0.4 * BEAT, line[i % 8], 90)
                   for i in range(32)]
        return eighths + [(start + block_s + 0.03, start + block_s + 0.2, 70, 90)]

    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TradeSession(engine, worker, PRESETS["Bb blues"], JazzSettings(seed=9, tempo=TEMPO),
                           TradeSettings(bars=4, trades=3))
    inp = open_input(None, api="jack", callback=session.recorder.handle)
    keyboard = Keyboard("Sequence Studio in")
    try:
        t0 = session.start()
        player = threading.Thread(target=keyboard.play, args=(full(0) + full(2) + full(4), t0),
                                  daemon=True)
        player.start()
        assert session.wait(60)
        player.join(5)
    finally:
        inp.close()
        keyboard.close()
        engine.close()
    assert session.error is None and len(session.answers) == 3
    for answer in session.answers:
        assert answer["whole_phrase_notes"] == 33, answer
        assert answer["whole_used"] and not answer["late"], answer
        assert answer["ready_before_downbeat_s"] > 0 and answer["whole_ready_before_bar2_s"] > 0


def test_a_call_ended_by_silence_is_answered_at_the_next_bar_line(listener, worker):
    """--phrase-end silence:2 with 4-bar trades at 240 bpm: twelve eighths (a bar and a
    half), then silence; two beats later the call has ended and the answer comes in at
    the next bar line with time to draw it (bar 4, not bar 5), on time, having heard the
    twelve notes; the player's next block moves with it (bar 8)."""
    line = [65, 69, 72, 74, 75, 74, 72, 69, 67, 65, 64, 62]
    notes = [(i * BEAT / 2, i * BEAT / 2 + 0.9 * BEAT / 2, p, 90) for i, p in enumerate(line)]
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TradeSession(engine, worker, PRESETS["Bb blues"], JazzSettings(seed=4, tempo=TEMPO),
                           TradeSettings(bars=4, trades=1, silence_beats=2))
    inp = open_input(None, api="jack", callback=session.recorder.handle)
    keyboard = Keyboard("Sequence Studio in")
    try:
        t0 = session.start()
        player = threading.Thread(target=keyboard.play, args=(notes, t0), daemon=True)
        player.start()
        assert session.wait(30)
        player.join(5)
        time.sleep(0.2)
    finally:
        inp.close()
        keyboard.close()
        engine.close()
    assert session.error is None and len(session.answers) == 1
    answer = session.answers[0]
    assert answer["bar"] == 4 and answer["phrase_notes"] == 12 and not answer["late"], answer
    assert answer["ready_before_downbeat_s"] > 0
    bar = 4 * BEAT
    solo = [t - t0 for t, m in listener.notes() if m[0] == 0x90 and m[2]]
    assert solo and 3 * bar - 0.005 < solo[0] < 4 * bar, solo[:3]     # from bar 4's downbeat
    assert session.plan.bar(2) == 7                                    # the next call: bar 8
