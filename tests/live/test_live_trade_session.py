"""A trading session's plan in one process, on a virtual clock (no JACK, no generation
process): which bars each answer is asked over and with what, when it must be ready, what
is queued where, and what the session records. The engine and the worker are stand-ins:
every wait is already over, and the worker answers at once with a line over the chart it
was asked about (so the band, the phrase and the requests are the session's own)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from studio.music.generate import JazzSettings
from studio.music.live import clock as live_clock
from studio.music.live.trade import SWAP_MARGIN_S, TradeSession, TradeSettings
from studio.music.types import Note, Solo

CHART = "| C7 | F7 | Bb7 | Eb7 |"       # 240 bpm: a bar is 1 s, a beat 0.25 s
LINE = [60, 62, 64, 65, 67, 69]            # the call, and (an octave or more up) every answer
CALL = list(zip((0.1, 0.35, 0.6, 0.85, 1.1, 1.35), LINE))


class Engine:
    """The engine's API on a virtual clock: ``deadline`` and ``song_at`` map song time to
    and from the monotonic clock (t0 + song time) without moving anything, as the real
    engine's do (the session also maps its requests' deadlines through ``deadline``);
    ``position`` is the song time now. The song moves only when the session waits
    (``_virtual_waits``): every wait is over at once, and the song is where it asked."""
    timebase = None

    def __init__(self):
        self.t0 = 5000.0                    # the virtual monotonic time of the downbeat
        self.pos = -1.3     # the control thread starts a bar's count-in + 0.3 s before the
        #                     downbeat (LiveSession.start)
        self.scheduled, self.cancelled, self.stopped, self.waits = [], [], False, []
        _CLOCK[:] = [self]

    def now(self):                          # the virtual monotonic clock (live_clock.now)
        return self.t0 + self.pos

    def deadline(self, song_time):
        return self.t0 + song_time

    def position(self):
        return self.pos

    def song_at(self, mono):                # song seconds at a monotonic time, as the engine's
        return mono - self.t0

    def thru(self, msg):                    # no MIDI thru in these sessions
        pass

    def schedule(self, events, offset=0.0):
        self.scheduled.append((offset, list(events)))

    def cancel_after(self, song_time, channels=None):
        self.cancelled.append((song_time, list(channels)))
        return 0

    def stop(self):
        self.stopped = True


_CLOCK: list = []       # the Engine whose virtual clock live_clock.now reads


@pytest.fixture(autouse=True)
def _virtual_clock(monkeypatch):
    real = live_clock.now
    monkeypatch.setattr(live_clock, "now", lambda: _CLOCK[0].now() if _CLOCK else real())
    yield
    _CLOCK.clear()


def _virtual_waits(s, engine):
    """The session's waits end at once: the song moves to the time waited for."""
    real_wait = s.wait_song_time

    def wait_song_time(song_time):
        engine.waits.append(round(song_time, 6))
        engine.pos = max(engine.pos, song_time)
        return real_wait(song_time)

    s.wait_song_time = wait_song_time
    return s


class Worker:
    """Answers each request at once: eighth notes over the chart it was given, ready at
    the song times in ``ready`` (one per request)."""

    def __init__(self, engine, ready):
        self.engine, self.ready, self.asked = engine, list(ready), []

    def submit(self, chart, settings, candidates=1, deadline=None):
        self.asked.append(SimpleNamespace(chart=chart.text, settings=settings, candidates=candidates,
                                          deadline=None if deadline is None else deadline - self.engine.t0))
        ticks = chart.bar_count * 48
        octave = 12 * len(self.asked)                 # tells the requests' answers apart
        solo = Solo("answer", [Note(t, 6, LINE[(t // 6) % len(LINE)] + octave, 80)
                               for t in range(0, ticks, 6)], chart.to_spans(1), tempo=240.0)
        f = Future()
        f.set_result(([SimpleNamespace(solo=solo)], 0.125))
        f.done_at = self.engine.t0 + self.ready.pop(0)
        return f


def _session(ready, jazz=None, **trade):
    engine = Engine()
    worker = Worker(engine, ready)
    s = TradeSession(engine, worker, CHART, JazzSettings(**{"tempo": 240.0, "seed": 5, "temperature": 1.0,
                                                            **(jazz or {})}),
                     TradeSettings(**{"bars": 2, "trades": 1, **trade}))
    return _virtual_waits(s, engine), engine, worker


def _play(s, notes):
    for t, pitch in notes:
        s.recorder.notes.append((t, t + 0.1, pitch, 90))




def test_a_trade_asks_twice_before_the_downbeat_then_hears_the_whole_phrase():
    s, engine, worker = _session([1.91234, 1.95678, 2.51234])
    _play(s, CALL + [(1.6, 71), (2.02, 72)])   # one note after the first cut, one late
    s.run()
    first, second, whole = worker.asked
    # two beats before the answer's downbeat (2 s), over the answer's own bars 3-4
    assert first.chart == second.chart == "| Bb7 | Eb7 |"
    assert first.deadline == pytest.approx(1.75) and first.candidates == 1
    assert len(first.settings.primer.notes) == 6 and first.settings.primer_bars == 2
    assert (first.settings.choruses, first.settings.count, first.settings.seed) == (1, 1, 6)
    assert first.settings.temperature == 1.0
    # a beat before: the player played on since, so again with the fuller phrase
    assert second.deadline == pytest.approx(2.0 - SWAP_MARGIN_S)
    assert len(second.settings.primer.notes) == 7
    # at the bar line plus the late window: the whole phrase primes bar 4 after bar 3 as played.
    # Its deadline (how long the worker may go on drawing candidates) is half way from the
    # request (2.06) to the swap point, bar 2 less the margin: the live branch's develop
    # change (a60e95b; docs/LIVE.md: "the whole-phrase stage draws in the first half of its
    # bar"). The first take is never cut by it (worker._draw), and the session still takes
    # the answer up to the swap point itself (the cancel below, and the next test's late one).
    swap = 3.0 - SWAP_MARGIN_S
    assert whole.chart == "| Eb7 |" and whole.candidates == 1      # free mode: one take
    assert whole.deadline == pytest.approx(swap - (swap - 2.06) / 2)
    assert whole.settings.primer_bars == 3 and whole.settings.seed == 6
    assert [c.chord.name for c in whole.settings.primer.chords] == ["C7", "F7", "Bb7"]  # call, then bar 3
    assert engine.cancelled == [(pytest.approx(3.0 - SWAP_MARGIN_S), [0])]
    # the band: a chorus (4 s) at a time, queued ahead of the blocks. Since the live branch
    # (0ca6500: a DAW's locate re-queues choruses) each chorus's events carry their own
    # song time and are queued at offset 0, so where a chorus starts is its first event's
    band = [(offset, min(e.time for e in events)) for offset, events in engine.scheduled
            if {e.message.channel for e in events} == {1, 2}]
    assert band == [(0.0, 0.0), (0.0, 4.0), (0.0, 8.0)]
    solo = [(offset, events) for offset, events in engine.scheduled
            if {e.message.channel for e in events} == {0}]
    assert [offset for offset, _ in solo] == [2.0, 3.0]
    (_, answer), (_, rest) = solo
    assert [e.message.program for e in answer if e.message.type == "program_change"] == [66]
    assert not [e for e in rest if e.message.type == "program_change"]
    assert {e.message.note for e in answer if e.message.type == "note_on"} == {p + 24 for p in LINE}  # the second's
    assert {e.message.note for e in rest if e.message.type == "note_on"} == {p + 36 for p in LINE}    # the third's
    record, = s.answers
    assert {k: record[k] for k in ("block", "bar", "stage", "stages", "phrase_notes", "motif_notes",
                                   "generation_s", "candidates", "first_ready_before_downbeat_s",
                                   "ready_before_downbeat_s", "late", "whole_phrase_notes",
                                   "heard_to_s", "whole_ready_before_bar2_s", "whole_used",
                                   "whole_candidates")} == {
        "block": 1, "bar": 3, "stage": 2, "stages": 2, "phrase_notes": 7, "motif_notes": 0,
        "generation_s": 0.125, "candidates": 1, "first_ready_before_downbeat_s": 0.0877,
        "ready_before_downbeat_s": 0.0432, "late": False, "whole_phrase_notes": 8, "heard_to_s": 0.06,
        "whole_ready_before_bar2_s": 0.4877, "whole_used": True,
        "whole_candidates": 1}          # the live branch's record of the whole stage's draws (62c9f94)
    assert record["answer_notes"] == 16 and set(record) == {
        "block", "bar", "stage", "stages", "phrase_notes", "answer_notes", "motif_notes", "generation_s",
        "candidates", "first_ready_before_downbeat_s", "ready_before_downbeat_s", "from_cut_s", "late",
        "whole_phrase_notes", "heard_to_s", "whole_ready_before_bar2_s", "whole_used", "echo",
        "echo_model_part", "whole_candidates"}
    for echo in (record["echo"], record["echo_model_part"]):       # the answers echo the call's cells
        assert 0 < echo < 1 and echo == round(echo, 3) and echo != round(echo, 2)
    # the window's timeline: the answer's bar 3 as first drawn, then bar 4 as it plays
    starts = [n.start for n in s.notes]
    assert s.notes and all(n.role == "model" for n in s.notes)
    assert min(starts) == pytest.approx(2.0) and max(starts) < 4.0 and starts == sorted(starts)
    assert len(set(starts)) == len(starts)                     # bar 4's first note drawn once
    # cut, a beat before, the swap margin, the bar line + late window, just past the last block
    assert engine.waits == [1.5, 1.75, 1.97, 2.06, 4.01] and engine.stopped


@pytest.mark.parametrize("whole_late", ["asked past the swap point", "arrived past the swap point"])
def test_an_answer_not_ready_in_time_keeps_the_first_and_a_late_whole_phrase_is_not_used(whole_late):
    s, engine, worker = _session([1.9, 2.5, 2.5])
    _play(s, CALL + [(1.6, 71)])
    second_future = []
    real_submit = worker.submit

    class ArrivesLate(Future):
        def result(self, timeout=None):          # in hand only once the song is past bar 2's swap
            engine.pos = max(engine.pos, 3.0)
            return super().result(timeout)

    def submit(*a, **kw):
        f = real_submit(*a, **kw)
        if len(worker.asked) == 2:
            f = Future()                             # never done: the first answer plays
            f.done_at = None
            second_future.append(f)
        elif len(worker.asked) == 3 and whole_late == "arrived past the swap point":
            late = ArrivesLate()
            late.set_result(f.result())
            late.done_at = engine.t0 + 3.0
            f = late
        return f

    worker.submit = submit
    engine_pos = []
    real_deadline = engine.deadline

    def deadline(t):
        engine_pos.append(t)
        out = real_deadline(t)
        if t == pytest.approx(2.06) and whole_late == "asked past the swap point":
            engine.pos = 3.0                         # the wait at the bar line + late window overslept
        return out

    engine.deadline = deadline
    s.run()
    record, = s.answers
    assert record["stage"] == 1 and record["stages"] == 2 and record["phrase_notes"] == 6
    assert record["whole_used"] is False and engine.cancelled == []
    assert [offset for offset, events in engine.scheduled if {e.message.channel for e in events} == {0}] == [2.0]


def test_the_model_can_open_unprimed_over_the_first_bars():
    s, engine, worker = _session([0.5], player_first=False)
    assert s.block_role(0) == "model" and s.block_role(1) == "player"
    s.run()
    only, = worker.asked
    assert only.chart == "| C7 | F7 |" and only.settings.primer is None and only.deadline is None
    assert only.settings.seed == 5
    record, = s.answers
    assert record["block"] == 0 and record["bar"] == 1 and record["phrase_notes"] == 0
    assert record["echo"] is None and "whole_used" not in record
    assert engine.stopped and engine.waits[-2:] == [4.0, 2.01]   # the player's block, then stop


def test_echo_mode_restates_the_motif_and_draws_candidates_at_a_lower_temperature():
    s, engine, worker = _session([1.9, 1.95, 2.5], mode="echo", candidates=3)
    _play(s, CALL)
    s.run()
    first = worker.asked[0]
    # the restated motif takes the answer's first bar: the model plays the rest
    assert first.chart == "| Eb7 |" and first.candidates == 3
    assert first.settings.primer_bars == 3 and first.settings.temperature == pytest.approx(0.8)
    assert first.settings.motif == LINE and first.settings.motif_strength == 1.0   # echo mode's response
    record, = s.answers
    assert record["motif_notes"] > 0 and record["stages"] == 1


def test_a_stopped_session_plays_no_more():
    s, engine, worker = _session([1.9], trades=0)
    s._stop.set()
    s.run()
    assert worker.asked == [] and s.answers == [] and not engine.stopped


def test_player_notes_end_now_while_held():
    s, engine, _ = _session([])
    s.recorder.notes.append((0.5, None, 60, 90))
    s.recorder.notes.append((0.1, 0.3, 62, 90))
    engine.pos = 1.25
    assert [(n.start, n.end, n.pitch, n.role) for n in s.player_notes()] == [
        (0.5, 1.25, 60, "player"), (0.1, 0.3, 62, "player")]


def test_a_notes_song_time_is_taken_from_the_engines_start_less_the_input_latency():
    import mido

    s, engine, _ = _session([], latency_ms=100)
    engine.pos = 10.0                                # the song began 10 s ago
    s.recorder.handle(mido.Message("note_on", note=60, velocity=90))
    (on, off, pitch, velocity), = s.recorder.notes
    assert on == pytest.approx(9.9, abs=0.05) and (off, pitch, velocity) == (None, 60, 90)


def test_the_midi_options_reach_the_band_and_the_answer():
    engine = Engine()
    worker = Worker(engine, [0.5])
    s = TradeSession(engine, worker, CHART, JazzSettings(tempo=240.0, seed=5),
                     TradeSettings(bars=2, trades=1, player_first=False),
                     midi_options={"program": 11, "comp_program": 4, "bass_program": 33})
    _virtual_waits(s, engine).run()
    programs = sorted((e.message.channel, e.message.program) for _, events in engine.scheduled
                      for e in events if e.message.type == "program_change")
    assert programs == sorted([(0, 11)] + [(1, 4), (2, 33)] * 3)
    solo = [events for _, events in engine.scheduled if {e.message.channel for e in events} == {0}]
    assert len(solo) == 1                            # the answer alone: no band parts of its own


def test_trade_settings_are_refused_word_for_word_and_their_bounds_accepted():
    for ok in (dict(latency_ms=0, late_ms=0), dict(latency_ms=500, late_ms=250), dict(candidates=16)):
        TradeSettings(**ok).validate()
    for bad, message in ((dict(bars=3), "trade length must be one of 2, 4, 8 bars"),
                         (dict(candidates=0), "candidates must be between 1 and 16"),
                         (dict(candidates=17), "candidates must be between 1 and 16"),
                         (dict(trades=-1), "trades must be >= 0"),
                         (dict(mode="loud"), "response mode must be one of free, develop, echo, contrast"),
                         (dict(quantize=5), "input quantize must be one of off, 16th, 8th triplet, 8th"),
                         (dict(late_ms=-1), "input latency must be 0..500 ms and the late window 0..250 ms"),
                         (dict(late_ms=251), "input latency must be 0..500 ms and the late window 0..250 ms"),
                         (dict(latency_ms=501), "input latency must be 0..500 ms and the late window 0..250 ms")):
        with pytest.raises(ValueError) as err:
            TradeSettings(**bad).validate()
        assert str(err.value) == message
    assert TradeSettings(call_response=True).mode == "echo"
    assert TradeSettings(call_response=True, mode="develop").mode == "develop"


def test_the_restated_motif_stays_in_the_players_range():
    s, engine, worker = _session([1.9, 1.95, 2.5], jazz={"pitch_low": 40, "pitch_high": 62}, mode="echo")
    _play(s, CALL)
    s.run()
    motif = worker.asked[0].settings.primer.notes
    assert motif and max(n.pitch for n in motif if n.start >= 96) <= 62     # the answer's bar: the motif
