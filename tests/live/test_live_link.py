"""Following an Ableton Link session (``--sync link``), tested inside a private network
namespace that has only loopback: Link never announces itself on the host's interfaces.

The test re-runs this file inside ``unshare -n`` (``--inside``); there a second process
(``--peer``) is another Link app that leads at 100 bpm and moves to 130 mid-bar, and the
engine plays eighths at a nominal 120 bpm to a ``LinkTimebase`` into an in-process
recorder port (the time of each send on the monotonic clock). Every onset is checked
against the peer's own beat grid: on a bar boundary (quantum 4) and within a few ms,
across the tempo change.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
NOMINAL = 120.0
EIGHTHS = 24                    # 3 bars of eighths at the nominal tempo
CHANGE_AT_BEAT = 5.3            # the peer moves 100 -> 130 bpm here (song beats; mid-beat)


def in_namespace(mode: str) -> dict:
    """This file re-run with ``mode`` inside a network namespace with only loopback (or a
    skip that says why); its JSON result."""
    if importlib.util.find_spec("aalink") is None:
        pytest.skip("aalink is not installed (pip install 'sequence-studio[live]')")
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs unshare and ip (util-linux, iproute2) for a loopback-only network namespace")
    probe = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.strip()[:200]}")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = 'ip link set lo up && exec "$0" "$1" "$2"'
    run = subprocess.run(["unshare", "-n", "sh", "-c", script, sys.executable, str(HERE), mode],
                         capture_output=True, text=True, timeout=60, env=env, cwd=str(ROOT))
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["interfaces"] == ["lo"]                    # loopback only, never the host's
    assert result["peers"] >= 1
    return result


def grid_errors(result: dict, nominal: float, label: str):
    """Each onset's distance (s) from where the peer's own beat grid puts it, the take's
    downbeat being the bar boundary (phase 0, quantum 4) of the peer's timeline nearest
    the first onset's; and the bpm there."""
    anchors = result["peer_anchors"]                          # (mono, beat, bpm), the peer's own

    def peer_beat(mono):
        at = max((a for a in anchors if a[0] <= mono), key=lambda a: a[0])
        return at[1] + (mono - at[0]) * at[2] / 60.0, at[2]

    onsets = result["onsets"]                                 # (song s, monotonic send time)
    first_ideal, first_mono = onsets[0]
    downbeat = round((peer_beat(first_mono)[0] - first_ideal * nominal / 60.0) / 4.0) * 4.0
    errors, tempos = [], []
    for ideal, mono in onsets:
        beat, bpm = peer_beat(mono)
        errors.append((beat - (downbeat + ideal * nominal / 60.0)) * 60.0 / bpm)
        tempos.append(bpm)
    ranked = sorted(abs(e) for e in errors)
    p50, p99 = ranked[len(ranked) // 2], ranked[int(0.99 * (len(ranked) - 1))]
    print(f"{label}: {len(errors)} onsets, |error| p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
          f"max {ranked[-1] * 1000:.2f} ms; downbeat {result['downbeat_after_start_s'] * 1000:.0f} ms "
          f"after start; load {os.getloadavg()[0]:.1f}")
    assert p99 < 0.005 and ranked[-1] < 0.010, errors
    return errors, tempos


def test_the_band_follows_a_link_session_on_its_bar_grid_and_tempo_change():
    result = in_namespace("--inside")
    assert result["tempo_at_start"] == pytest.approx(100.0, abs=0.01)
    assert result["tempo_now"] == pytest.approx(130.0, abs=0.01)
    assert len(result["onsets"]) == EIGHTHS
    errors, tempos = grid_errors(result, NOMINAL, "link band 100 -> 130 bpm")
    assert sum(abs(bpm - 130.0) < 0.01 for bpm in tempos) >= 8, "no onsets measured after the change"
    # the first bar boundary at least the lead ahead, not a later one
    assert 0.3 - 0.01 < result["downbeat_after_start_s"] < 0.3 + 4 * 60.0 / 100 + 0.01


def test_trading_follows_a_link_session():
    """The phrase is heard on the Link beat (eighths land on eighths at 200 bpm over a
    nominal 240), the answer comes in on the Link downbeat of its block, and every band
    and answer onset lands on the peer's grid."""
    result = in_namespace("--inside-trade")
    assert result["error"] is None and result["tempo_now"] == pytest.approx(200.0, abs=0.01)
    assert result["heard"] == [6 * i for i in range(12)]          # eighths: 6 ticks a step
    first = result["answers"][0]
    assert first["block"] == 1 and first["whole_phrase_notes"] == 12 and not first["late"], first
    block = 2 * 4 * 60.0 / 240                                      # block 1's downbeat (song s)
    assert result["solo_onsets"] and min(result["solo_onsets"]) >= block - 1e-6
    grid_errors(result, 240.0, "link trading at 200 bpm")


def test_sync_link_without_aalink_is_one_line():
    """No aalink: one line and exit 2, before any model loads or any port opens."""
    code = ("import sys; sys.modules['aalink'] = None; from studio.cli.main import main; "
            "sys.exit(main(['live', 'no-such-model', '--sync', 'link']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("sequence-studio live: Ableton Link needs the aalink package: "
                                   "pip install 'sequence-studio[live]' (or pip install aalink)")


# -- inside the namespace ---------------------------------------------------------------
class RecorderPort:
    """A MIDI output that notes when each message was sent (monotonic)."""

    name = "recorder"

    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append((time.monotonic(), msg))

    def close(self):
        pass


def _tell(peer, line: str) -> None:
    peer.stdin.write(line + "\n")
    peer.stdin.flush()


def _join(peer, nominal: float, bpm: float):
    """Our LinkTimebase in the peer's session; the peer then sets ``bpm`` (whoever's
    timeline the session kept) and we wait until it has come through."""
    from studio.music.live.link import LinkTimebase

    assert peer.stdout.readline().strip() == "ready"
    link = LinkTimebase(nominal).open()
    peers = link.wait_for_peers(5.0)
    _tell(peer, f"tempo {bpm}")
    deadline = time.monotonic() + 3.0
    while abs((link.tempo_now or 0) - bpm) > 0.01 and time.monotonic() < deadline:
        time.sleep(0.005)
    return link, {"interfaces": sorted(name for _i, name in socket.if_nameindex()),
                  "peers": peers, "tempo_at_start": link.tempo_now}


def _result(peer, link, engine, port, out: dict) -> dict:
    """The peer's anchors and our onsets: (song s, monotonic time it was sent)."""
    out["tempo_now"] = link.tempo_now
    link.close()
    _tell(peer, "quit")
    out["peer_anchors"] = json.loads(peer.stdout.readline())
    notes = [(mono, m) for mono, m in port.sent if m.type in ("note_on", "note_off")]
    out["onsets"] = [(ideal, mono) for (ideal, _a, msg), (mono, _m) in zip(engine.sent, notes)
                     if msg.type == "note_on" and msg.velocity]
    out["solo_onsets"] = [ideal for ideal, _a, msg in engine.sent
                          if msg.type == "note_on" and msg.velocity and msg.channel == 0]
    return out


def _inside() -> dict:
    import mido

    from studio.music.live.engine import LiveEngine
    from studio.music.live.events import TimedMessage

    peer = subprocess.Popen([sys.executable, str(HERE), "--peer"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        step = 60.0 / NOMINAL / 2
        events = []
        for k in range(EIGHTHS):
            events.append(TimedMessage(k * step, 2 * k, mido.Message("note_on", note=60 + k % 12, velocity=90)))
            events.append(TimedMessage(k * step + 0.1, 2 * k + 1, mido.Message("note_off", note=60 + k % 12)))
        port = RecorderPort()
        engine = LiveEngine(port)
        link, out = _join(peer, NOMINAL, 100.0)
        engine.follow(link)
        link.on_locate = lambda song_s: engine.relocate(events, song_s)
        engine.start()
        started = time.monotonic()
        out["downbeat_after_start_s"] = link.start() - started
        change = link.to_mono(CHANGE_AT_BEAT * 60.0 / NOMINAL)
        while time.monotonic() < change:
            time.sleep(0.001)
        _tell(peer, "tempo 130")
        end = (EIGHTHS * step) + 0.2
        while (link.to_song(time.monotonic()) or 0.0) < end:
            time.sleep(0.01)
        engine.stop()
        return _result(peer, link, engine, port, out)
    finally:
        peer.stdin.close()
        peer.wait(5)


def _inside_trade() -> dict:
    """Trading 2 bars at a nominal 240 bpm in a Link session at 200: the player plays
    eighths on the Link beat into the recorder, the model answers."""
    import mido

    from studio.music.generate import JazzSettings
    from studio.music.live import clock as live_clock
    from studio.music.live.engine import LiveEngine
    from studio.music.live.trade import TradeSession, TradeSettings
    from studio.music.live.worker import GenerationWorker

    worker = GenerationWorker(str(ROOT / "models" / "jazz-gru.safetensors"))
    peer = subprocess.Popen([sys.executable, str(HERE), "--peer"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        port = RecorderPort()
        engine = LiveEngine(port)
        session = TradeSession(engine, worker, "| C7 | F7 | C7 | C7 |", JazzSettings(seed=3, tempo=240.0),
                               TradeSettings(bars=2, trades=1), count_in_bars=0)
        worker.wait_ready()
        link, out = _join(peer, 240.0, 200.0)
        session.follow(link)
        session.start()
        started = time.monotonic()
        out["downbeat_after_start_s"] = link.start() - started
        line = [65, 69, 72, 74, 75, 74, 72, 69, 67, 65, 64, 62]
        for i, pitch in enumerate(line):              # eighths on the Link beat (song 240 bpm)
            live_clock.wait_until(link.to_mono(i * 0.125))
            session.recorder.handle(mido.Message("note_on", note=pitch, velocity=90))
            live_clock.wait_until(link.to_mono(i * 0.125 + 0.08))
            session.recorder.handle(mido.Message("note_off", note=pitch))
        session.wait(15.0)
        session.stop()
        out["heard"] = [n.start for n in session.phrase_of(0, 2 * 4 * 60.0 / 240, 0.06).notes]
        out["answers"] = session.answers
        out["error"] = None if session.error is None else str(session.error)
        return _result(peer, link, engine, port, out)
    finally:
        peer.stdin.close()
        peer.wait(5)
        worker.close()


def _peer() -> None:
    """Another Link app: leads at 100 bpm; ``tempo X`` on stdin moves it; ``quit`` prints
    its anchors (monotonic time, its beat, bpm), taken back to back, as JSON."""
    import aalink

    anchors, commands = [], []

    def read():
        for line in sys.stdin:
            commands.append(line.split())
        commands.append(["quit"])

    async def main():
        link = aalink.Link(100.0)
        link.quantum = 4.0
        link.enabled = True
        threading.Thread(target=read, daemon=True).start()

        def anchor():
            while True:
                bpm, m1 = link.tempo, time.monotonic()
                beat, m2 = link.beat, time.monotonic()
                if m2 - m1 < 0.0002 and link.tempo == bpm:
                    anchors.append(((m1 + m2) / 2, beat, bpm))
                    return
        anchor()
        print("ready", flush=True)
        while True:
            while commands:
                cmd = commands.pop(0)
                if cmd[0] == "quit":
                    link.enabled = False
                    print(json.dumps(anchors), flush=True)
                    return
                link.tempo = float(cmd[1])
                anchor()
            await asyncio.sleep(0.002)
            if time.monotonic() - anchors[-1][0] > 0.05:
                anchor()

    asyncio.run(main())


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:] == ["--peer"]:
        _peer()
    elif sys.argv[1:] == ["--inside"]:
        print(json.dumps(_inside()))
    elif sys.argv[1:] == ["--inside-trade"]:
        print(json.dumps(_inside_trade(), default=str))
