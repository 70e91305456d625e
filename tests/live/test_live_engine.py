"""The live engine against a real JACK server: a second client records what it sends.

Times are checked loosely (tens of ms): this shared test machine is no timing rig;
``live --bench`` measures onset error properly.
"""

from __future__ import annotations

import time

import mido
import pytest

from studio.music.live.engine import LiveEngine, all_notes_off
from studio.music.live.events import TimedMessage
from studio.music.live.ports import open_output

TOLERANCE_S = 0.03


def note(t, order, kind, pitch, channel=0, velocity=90):
    return TimedMessage(t, order, mido.Message(kind, channel=channel, note=pitch,
                                              velocity=velocity if kind == "note_on" else 0))


def scale(n=16, step=0.05, length=0.04):
    events = []
    for i in range(n):
        events.append(note(i * step, 2 * i, "note_on", 60 + i))
        events.append(note(i * step + length, 2 * i + 1, "note_off", 60 + i))
    return events


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_messages_arrive_in_order_at_their_times(listener):
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    events = scale()
    t0 = engine.start()
    engine.schedule(events)
    assert engine.wait_until_done(timeout=10)
    assert wait_for(lambda: len(listener.notes()) == len(events))
    got = listener.notes()
    assert [m for _, m in got] == [e.message.bytes() for e in events]
    errors = [t - (t0 + e.time) for (t, _), e in zip(got, events)]
    assert max(abs(x) for x in errors) < TOLERANCE_S
    engine.close()


def test_start_silences_every_channel_first(listener):
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    engine.start()
    engine.schedule(scale(2))
    engine.wait_until_done(timeout=5)
    assert wait_for(lambda: len(listener.notes()) == 4)
    first = [m for _, m in listener.snapshot()][:32]
    assert first == [msg.bytes() for msg in all_notes_off()]
    engine.close()


def test_stop_mid_phrase_leaves_nothing_sounding_and_sends_nothing_after(listener):
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    chord = []
    for i, pitch in enumerate((48, 52, 55, 59)):          # a long chord, then more notes
        chord.append(note(0.0, i, "note_on", pitch, channel=1))
        chord.append(note(5.0, 10 + i, "note_off", pitch, channel=1))
    chord += scale(40, step=0.1, length=0.3)
    t0 = engine.start()
    engine.schedule(chord)
    assert wait_for(lambda: len([m for _, m in listener.notes() if m[0] == 0x91]) == 4)
    time.sleep(0.35)
    assert listener.sounding(), "the test must stop while notes sound"
    engine.stop()
    stopped = time.monotonic()
    time.sleep(0.5)
    assert listener.settled() == set()
    late = [m for t, m in listener.notes() if t > stopped + 0.05 and m[0] & 0xF0 == 0x90 and m[2]]
    assert late == []
    assert not engine.running and engine.pending() == 0
    ccs = {(m[0] & 15) for _, m in listener.snapshot() if m[0] & 0xF0 == 0xB0 and m[1] == 123}
    assert ccs == set(range(16))
    del t0
    engine.close()


def test_midi_clock_runs_24_per_beat_with_start_on_the_downbeat_and_stop(listener):
    engine = LiveEngine(open_output(listener.port_name, api="jack"), midi_clock=True)
    t0 = engine.start()
    tempo = 150.0                                        # 0.4 s a beat
    engine.start_clock(tempo, downbeat=0.4, ticks_before=24)
    engine.schedule([note(1.6, 0, "note_on", 60), note(1.7, 1, "note_off", 60)])
    engine.wait_until_done(timeout=10)
    engine.stop()
    assert wait_for(lambda: any(m == [0xFC] for _, m in listener.snapshot()))
    msgs = listener.snapshot()
    clocks = [t - t0 for t, m in msgs if m == [0xF8]]
    assert len(clocks) >= 24 * 4
    beat = 60.0 / tempo
    assert clocks[0] == pytest.approx(0.0, abs=TOLERANCE_S)
    assert clocks[24 * 4] == pytest.approx(4 * beat, abs=TOLERANCE_S)   # no drift: 4 beats
    start = [i for i, (_, m) in enumerate(msgs) if m == [0xFA]]
    assert len(start) == 1
    assert msgs[start[0] - 1][1] == [0xF2, 0, 0]                       # Song Position 0 first
    assert msgs[start[0]][0] - t0 == pytest.approx(0.4, abs=TOLERANCE_S)
    assert msgs[start[0] + 1][1] == [0xF8]                             # the downbeat's tick
    engine.close()


class RecordingPort:
    """A stand-in port for the bookkeeping test below (no timing involved)."""

    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)

    def close(self):
        pass


def test_silence_ends_exactly_the_notes_that_sound():
    port = RecordingPort()
    engine = LiveEngine(port, realtime=False)
    engine.start(t0=time.monotonic())
    engine.schedule([note(0, 0, "note_on", 60), note(0, 1, "note_on", 64, channel=2),
                     note(0.01, 2, "note_off", 60), note(30, 3, "note_off", 64, channel=2)])
    assert wait_for(lambda: len([m for m in port.sent if m.type.startswith("note")]) == 3)
    engine.stop()
    after = port.sent[[m.type for m in port.sent].index("note_off") + 1:]
    offs = [(m.channel, m.note) for m in after if m.type == "note_off"]
    assert offs == [(2, 64)]
    assert port.sent[-32:] == all_notes_off()


def test_a_failing_port_stops_the_engine_with_the_error_recorded():
    class Broken(RecordingPort):
        def send(self, msg):
            if msg.type == "note_on":
                raise OSError("device unplugged")
            super().send(msg)

    engine = LiveEngine(Broken(), realtime=False)
    engine.start(t0=time.monotonic())
    engine.schedule([note(0.01, 0, "note_on", 60)])
    assert wait_for(lambda: not engine.running)
    assert isinstance(engine.error, OSError) and "unplugged" in str(engine.error)
    assert engine.port.sent[-32:] == all_notes_off()


def test_routing_moves_part_channels_drops_programs_and_passes_the_players_notes_thru():
    """--channels 5,2,3 --no-program-changes --thru 4: the solo (export channel 1) goes out
    on 5, comping stays, no program change; the player's notes come out on 4, and one
    still held at stop is ended there (the recorder passes every message on)."""
    from studio.cli.live import add_parser, routing
    from studio.music.live.phrase import PhraseRecorder
    import argparse

    sub = argparse.ArgumentParser().add_subparsers()
    add_parser(sub)
    args = sub.choices["live"].parse_args(["m", "--channels", "5,2,3", "--no-program-changes",
                                           "--thru", "4"])
    port = RecordingPort()
    engine = LiveEngine(port, realtime=False)
    engine.route(**routing(args))
    engine.start(t0=time.monotonic())
    engine.schedule([TimedMessage(0, 0, mido.Message("program_change", channel=0, program=66)),
                     note(0, 1, "note_on", 60), note(0, 2, "note_on", 48, channel=1),
                     note(0.01, 3, "note_off", 60), note(0.01, 4, "note_off", 48, channel=1)])
    recorder = PhraseRecorder(thru=engine.thru)
    recorder.handle(mido.Message("note_on", channel=0, note=70, velocity=80))
    assert wait_for(lambda: len([m for m in port.sent if m.type.startswith("note")]) == 5)
    engine.stop()
    notes = [(m.type, m.channel, m.note) for m in port.sent if m.type.startswith("note")]
    assert ("note_on", 4, 60) in notes and ("note_on", 1, 48) in notes
    assert ("note_on", 3, 70) in notes and ("note_off", 3, 70) in notes   # thru, ended at stop
    assert not [m for m in port.sent if m.type == "program_change"]
    assert not [n for n in notes if n[1] == 0]
    with pytest.raises(ValueError, match="--channels"):
        routing(sub.choices["live"].parse_args(["m", "--channels", "1,2"]))
