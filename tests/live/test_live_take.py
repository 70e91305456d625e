"""A take played live over JACK: the file `sample` writes, message for message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import mido

from studio.music.generate import JazzSettings
from studio.music.live.engine import LiveEngine
from studio.music.live.events import DRUM_CHANNEL, midi_file_events
from studio.music.live.ports import open_output
from studio.bench.live_probe import sounding
from studio.music.live.session import TakeSession

CHART = "| Dm7 | G7 | Cmaj7 | % |"


def live_notes(listener, t0, channel_filter=lambda ch: ch != DRUM_CHANNEL):
    return [(t - t0, m) for t, m in listener.notes() if channel_filter(m[0] & 15)]


def test_a_seeded_take_played_live_is_the_file_sample_writes(listener, worker, gru_path, tmp_path):
    from studio.cli import main

    path = tmp_path / "take.mid"
    assert main(["sample", gru_path, "--chart", CHART, "--tempo", "240", "--seed", "11",
                 "--out", str(path)]) == 0
    takes, _ = worker.submit(CHART, JazzSettings(seed=11, tempo=240.0)).result(120)
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TakeSession(engine, takes[0], count_in_bars=1)
    t0 = session.start()
    assert session.wait(30) and session.error is None
    time.sleep(0.1)
    live = live_notes(listener, t0)
    score = [(e.time, e.message.bytes()) for e in midi_file_events(mido.MidiFile(path))
             if e.message.type in ("note_on", "note_off")]
    for channel in (0, 1, 2):                 # solo, comping, bass: same messages, same order
        a = [x for x in live if x[1][0] & 15 == channel]
        b = [x for x in score if x[1][0] & 15 == channel]
        assert len(a) == len(b) > 4
        assert [m for _, m in a] == [m for _, m in b]
        assert max(abs(ta - tb) for (ta, _), (tb, _) in zip(a, b)) < 0.03
    clicks = [(t, m) for t, m in live_notes(listener, t0, lambda ch: ch == DRUM_CHANNEL)
              if m[0] & 0xF0 == 0x90 and m[2]]
    assert len(clicks) == 4 and abs(clicks[0][0] + 1.0) < 0.03      # one bar before the downbeat
    assert listener.settled() == set()
    engine.close()


def test_loop_keeps_drawing_takes_primed_with_the_last_bars(listener, worker, gru_path):
    takes, _ = worker.submit(CHART, JazzSettings(seed=3, tempo=240.0)).result(120)
    engine = LiveEngine(open_output(listener.port_name, api="jack"))
    session = TakeSession(engine, takes[0], count_in_bars=0, loop=True, worker=worker)
    t0 = session.start()
    take_s = 4 * 4 * 60 / 240                    # 4 bars at 240 bpm
    while session.position() < 2.5 * take_s and not session.finished:
        time.sleep(0.05)
    session.stop()
    time.sleep(0.2)
    assert session.takes_played >= 3 and session.error is None
    solo_ons = [t for t, m in live_notes(listener, t0) if m[0] == 0x90 and m[2]]
    assert any(take_s <= t < 2 * take_s for t in solo_ons)       # the second take sounded
    bass_ons = [t for t, m in live_notes(listener, t0) if m[0] == 0x92 and m[2]]
    gaps = [b - a for a, b in zip(bass_ons, bass_ons[1:]) if a < 2 * take_s]
    assert max(gaps) < 0.5                                       # the band never stopped
    assert listener.settled() == set()
    engine.close()


def test_the_next_start_silences_what_a_killed_run_left_sounding(listener):
    script = textwrap.dedent(f"""
        import time, mido
        from studio.music.live.engine import LiveEngine
        from studio.music.live.events import TimedMessage
        from studio.music.live.ports import open_output
        engine = LiveEngine(open_output({listener.port_name!r}, api="jack"))
        engine.start()
        engine.schedule([TimedMessage(0.0, i, mido.Message("note_on", channel=i, note=60 + i,
                         velocity=90)) for i in range(3)])
        engine.wait_until_done()
        print("sounding", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "sounding"
        time.sleep(0.2)
        proc.kill()                              # SIGKILL: no atexit, no clean-up at all
        proc.wait(10)
        left = listener.sounding()
        assert left == {(0, 60), (1, 61), (2, 62)}, "the killed run must leave notes hanging"
        since = len(listener.snapshot())
        engine = LiveEngine(open_output(listener.port_name, api="jack"))
        engine.start()
        time.sleep(0.3)
        assert listener.settled() == set()
        after = listener.snapshot()[since:]
        assert sounding(after) == set() and len(after) >= 32
        engine.close()
    finally:
        if proc.poll() is None:
            proc.kill()
