"""Following a DAW's MIDI clock over JACK: a client plays the DAW (clock, Start, Stop,
Song Position, Continue) into the app's input, another records the band."""

from __future__ import annotations

import time

import mido
import pytest

from studio.music.generate import JazzSettings
from studio.music.live import clock as live_clock
from studio.music.live.engine import LiveEngine
from studio.music.live.ports import open_input, open_output
from studio.music.live.session import TakeSession
from studio.music.live.sync import ClockFollower

NOMINAL = 120.0
TICK = 60.0 / NOMINAL / 24


def ramp_periods(n, start_bpm=100.0, end_bpm=160.0):
    return [60.0 / (start_bpm + (end_bpm - start_bpm) * k / n) / 24 for k in range(n)]


def grid_time(sent_ticks, song_s):
    """When song time ``song_s`` falls between the DAW's ticks (interpolated)."""
    x = song_s / TICK
    k = int(x)
    if k + 1 >= len(sent_ticks):
        return None
    return sent_ticks[k] + (x - k) * (sent_ticks[k + 1] - sent_ticks[k])


def test_clock_follower_tracks_a_ramp_offline():
    follower = ClockFollower(NOMINAL)
    follower.handle(mido.Message("start"), now=10.0)
    t, ticks = 10.0, []
    for period in ramp_periods(384):
        ticks.append(t)
        follower.handle(mido.Message("clock"), now=t)
        t += period
    # where song time 3 beats falls, predicted from the ticks so far (no jitter: exact)
    assert follower.to_song(ticks[-1]) == pytest.approx(383 * TICK, abs=TICK * 0.2)
    assert follower.tempo_now == pytest.approx(160, rel=0.03)
    follower.handle(mido.Message("stop"), now=t)
    assert follower.to_mono(0.0) is None and follower.to_song(t) is None
    follower.handle(mido.Message("songpos", pos=16), now=t)     # bar 2 (16 sixteenths)
    follower.handle(mido.Message("continue"), now=t)
    follower.handle(mido.Message("clock"), now=t + 1)
    assert follower.to_song(t + 1) == pytest.approx(96 * TICK)


def test_the_band_follows_a_daws_clock_ramp_stop_and_song_position(listener, worker, jack):
    from studio.bench.live_probe import Keyboard

    takes, _ = worker.submit("| C7 | F7 | C7 | C7 |", JazzSettings(seed=5, tempo=NOMINAL, choruses=2)).result(120)
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    follower = ClockFollower(NOMINAL)
    inp = open_input(None, api="jack", callback=follower.handle)
    session = TakeSession(engine, takes[0], count_in_bars=0)
    session.follow(follower)
    daw = Keyboard(inp.own_name, client="daw")      # this input, not another run's
    sent = []
    try:
        session.start()
        t = live_clock.now() + 0.3
        for _ in range(12):                            # clock while stopped: tempo learnt
            live_clock.wait_until(t)
            daw.send([0xF8])
            t += 0.025
        live_clock.wait_until(t)
        daw.send([0xFA])                               # Start: the next clock is the downbeat
        for period in ramp_periods(384):               # 4 bars, 100 -> 160 bpm (issue 24's ramp)
            live_clock.wait_until(t)
            daw.send([0xF8])
            sent.append(t)
            t += period
        live_clock.wait_until(t)
        daw.send([0xFC])                               # Stop on bar 5's downbeat
        stopped = live_clock.now()
        played = len(engine.sent)
        time.sleep(0.4)
        assert listener.settled() == set()             # what sounded was ended
        assert not [m for s, m in listener.notes() if s > stopped + 0.05 and m[0] & 0xF0 == 0x90 and m[2]]
        before = len(listener.notes())
        daw.send([0xF2, 32, 0])                        # Song Position: 32 sixteenths = bar 3
        daw.send([0xFB])                               # Continue
        t = live_clock.now() + 0.05
        resumed = []
        for _ in range(96):
            live_clock.wait_until(t)
            daw.send([0xF8])
            resumed.append(t)
            t += 0.02
        time.sleep(0.1)
    finally:
        session.stop()
        inp.close()
        daw.close()
        engine.close()
    # onsets of the first four bars against the grid the DAW's clock implies
    # (the notes sent up to 10 ms before the Stop: the Stop lands on bar 5's downbeat, where
    # a chord is sent as it arrives, and a note sent just before it can be heard just after)
    ons = [(ideal, msg) for ideal, actual, msg in engine.sent[:played]
           if msg.type == "note_on" and msg.velocity and actual < stopped - 0.01]
    got = [s for s, m in listener.notes() if m[0] & 0xF0 == 0x90 and m[2] and s < stopped + 0.05]
    assert len(got) >= len(ons), "notes the engine sent before the Stop were lost"
    errors = [g - grid_time(sent, ideal) for g, (ideal, _) in zip(got, ons)
              if grid_time(sent, ideal) is not None]
    assert len(errors) > 20
    errors.sort()
    p99 = errors[int(0.99 * (len(errors) - 1))]
    print(f"clock ramp: {len(errors)} onsets, p50 {errors[len(errors) // 2] * 1000:.2f} ms, "
          f"p99 {p99 * 1000:.2f} ms, min {errors[0] * 1000:.2f} ms")
    assert -0.005 < errors[0] and p99 < 0.015            # loose: a shared CI machine (target 5 ms)
    # after Song Position (32 sixteenths: bar 3) + Continue the band plays from bar 3 on,
    # to the new clock, and nothing from before that point
    after = [ideal for ideal, _a, msg in engine.sent[played:] if msg.type == "note_on" and msg.velocity]
    later = [s for s, m in listener.notes()[before:] if m[0] & 0xF0 == 0x90 and m[2]]
    assert after and later, "nothing played after Continue"
    assert min(after) >= 192 * TICK - 1e-6 and min(after) < 192 * TICK + 0.5
    assert later[0] >= resumed[0] - 0.005


def _daw_plays(daw, t, ticks, period, notes=()):
    """Clock ticks from monotonic ``t`` every ``period``; ``notes``: (tick, bytes) sent
    just after that tick (the player's notes on the same port). Returns the tick times."""
    at = {}
    for tick, msg in notes:
        at.setdefault(tick, []).append(msg)
    sent = []
    for k in range(ticks):
        live_clock.wait_until(t)
        daw.send([0xF8])
        sent.append(t)
        for msg in at.get(k, ()):
            daw.send(msg)
        t += period
    return sent


def test_trading_follows_the_daws_clock_its_stop_and_song_position(listener, worker, jack):
    """Trading 2 bars at a nominal 240 bpm while the DAW's clock runs at 200: the phrase
    is heard on the DAW's beat (eighths land on eighths), the answer starts on the DAW's
    downbeat of the model's block; Stop silences; Song Position to bar 9 + Continue
    starts the trading anew from that block (the next answer is block 5's)."""
    from studio.bench.live_probe import Keyboard
    from studio.music.live.sync import split_input
    from studio.music.live.trade import TradeSession, TradeSettings

    period = 60.0 / 200 / 24                       # the DAW: 200 bpm
    block_ticks = 2 * 4 * 24                        # 2 bars
    line = [65, 69, 72, 74, 75, 74, 72, 69, 67, 65, 64, 62]

    def phrase(first_tick):                         # eighths (12 ticks) on the DAW's grid
        out = []
        for i, p in enumerate(line):
            out += [(first_tick + 12 * i, [0x90, p, 90]), (first_tick + 12 * i + 8, [0x80, p, 0])]
        return out

    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TradeSession(engine, worker, "| C7 | F7 | C7 | C7 |", JazzSettings(seed=3, tempo=240.0),
                           TradeSettings(bars=2), count_in_bars=0)
    follower = ClockFollower(240.0)
    session.follow(follower)
    inp = open_input(None, api="jack", callback=split_input(follower, session.recorder.handle))
    daw = Keyboard(inp.own_name, client="daw")
    try:
        session.start()
        t = live_clock.now() + 0.2
        _daw_plays(daw, t, 8, period)
        t += 8 * period
        daw.send([0xFA])                                          # Start
        sent = _daw_plays(daw, t, 2 * block_ticks, period, phrase(0))   # the call, the answer
        t = sent[-1] + period
        daw.send([0xFC])                                          # Stop
        stopped, played = live_clock.now(), len(engine.sent)
        time.sleep(0.3)
        assert listener.settled() == set()
        heard = session.phrase_of(0, 2 * 4 * 60.0 / 240, 0.06)
        before = len(listener.notes())
        daw.send([0xF2, 0, 1])                   # Song Position 128 sixteenths: bar 9 = block 4 (player's)
        time.sleep(0.01)                         # paced: two in one JACK period arrive as one
        daw.send([0xFB])                         # Continue
        t = live_clock.now() + 0.05
        resumed = _daw_plays(daw, t, block_ticks + 120, period, phrase(0))
    finally:
        session.stop()
        inp.close()
        daw.close()
        engine.close()
    assert session.error is None
    assert [n.start for n in heard.notes] == [6 * i for i in range(12)]   # eighths: 6 ticks a step
    first = session.answers[0]
    assert first["block"] == 1 and first["whole_phrase_notes"] == 12 and not first["late"], first
    downbeat = sent[block_ticks]                                  # the DAW's bar 3
    solo = [s for s, m in listener.notes()[:before] if m[0] == 0x90 and m[2]]
    assert solo and downbeat - 0.005 < solo[0] < downbeat + 0.6, (solo[:1], downbeat)
    # band and answer onsets against the grid the DAW's ticks imply (nominal tick: 240 bpm)
    ons = [ideal for ideal, _a, msg in engine.sent[:played] if msg.type == "note_on" and msg.velocity]
    got = [t for t, m in listener.notes() if m[0] & 0xF0 == 0x90 and m[2] and t < stopped]
    tick = 60.0 / 240 / 24

    def on_grid(song_s):
        x = song_s / tick
        k = int(x)
        return None if k + 1 >= len(sent) else sent[k] + (x - k) * (sent[k + 1] - sent[k])
    errors = sorted(g - on_grid(i) for g, i in zip(got, ons) if on_grid(i) is not None)
    assert len(ons) == len(got) and len(errors) > 20
    p99 = errors[int(0.99 * (len(errors) - 1))]
    print(f"trading to a clock: {len(errors)} onsets, p50 {errors[len(errors) // 2] * 1000:.2f} ms, "
          f"p99 {p99 * 1000:.2f} ms, min {errors[0] * 1000:.2f} ms")
    assert -0.005 < errors[0] and p99 < 0.015            # loose: a shared CI machine (target 5 ms)
    assert [a["block"] for a in session.answers[1:2]] == [5]     # anew from block 4
    later = [s for s, m in listener.notes()[before:] if m[0] == 0x90 and m[2]]
    assert later and later[0] > resumed[block_ticks] - 0.005     # block 5's answer, on its downbeat
