"""``sequence-studio live``: the CLI twin over a real JACK server."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import mido

import pytest

from studio.music.live.events import DRUM_CHANNEL, midi_file_events
from studio.bench.live_probe import sounding


CHART = "| Dm7 | G7 | Cmaj7 | % |"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "studio", *args], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_list_ports_names_the_other_clients(jack, listener):
    proc = cli("live", "--list-ports", "--midi-api", "jack")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "UNIX_JACK" in out and listener.port_name in out


def test_no_jack_server_is_one_line(jack):
    env = dict(os.environ, JACK_DEFAULT_SERVER="no-such-server-here")
    proc = subprocess.run([sys.executable, "-m", "studio", "live", "--list-ports", "--midi-api", "jack"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "sequence-studio live: no JACK server is running" in proc.stderr
    assert "Traceback" not in proc.stderr


FEEL_AND_LINE = ("--swing", "2.2", "--humanize", "2.5", "--feel-seed", "77", "--licks", "0.2",
                 "--pitch-temperature", "0.9", "--rhythm-temperature", "1.2", "--instrument", "trumpet")


@pytest.mark.parametrize("flags", [(), FEEL_AND_LINE], ids=["plain", "feel-and-line-flags"])
def test_live_plays_the_take_sample_writes(jack, listener, gru_path, tmp_path, flags):
    path = tmp_path / "take.mid"
    done = subprocess.run([sys.executable, "-m", "studio", "sample", gru_path, "--chart", CHART,
                           "--tempo", "240", "--seed", "21", "--out", str(path), *flags], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    proc = cli("live", gru_path, "--chart", CHART, "--tempo", "240", "--seed", "21",
               "--out", listener.port_name, "--midi-api", "jack", "--count-in", "0", "--json", *flags)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    live = [m for _, m in listener.notes() if m[0] & 15 != DRUM_CHANNEL]
    score = [e.message.bytes() for e in midi_file_events(mido.MidiFile(path))
             if e.message.type in ("note_on", "note_off")]
    for channel in (0, 1, 2):
        assert [m for m in live if m[0] & 15 == channel] == [m for m in score if m[0] & 15 == channel]
    assert listener.sounding() == set()


def test_a_killed_live_run_is_silenced_by_the_next(jack, listener, gru_path):
    args = ("live", gru_path, "--chart", "| C7 | F7 |", "--tempo", "60", "--choruses", "8",
            "--out", listener.port_name, "--midi-api", "jack", "--count-in", "0")
    first = cli(*args)
    deadline = time.monotonic() + 90
    while not listener.sounding() and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()
    first.wait(10)
    assert listener.sounding(), "the killed run must leave notes hanging"
    since = len(listener.snapshot())
    second = cli(*args)
    try:
        def offs():
            return [i for i, (_, m) in enumerate(listener.snapshot()) if i >= since
                    and m[0] & 0xF0 == 0xB0 and m[1] == 123]
        deadline = time.monotonic() + 90
        while len(offs()) < 16 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(offs()) >= 16, "the next run sent no all-notes-off"
        assert sounding(listener.snapshot()[: offs()[15] + 1]) == set()
    finally:
        second.terminate()
        second.wait(20)
    assert second.returncode in (0, 130, 143)
    time.sleep(0.3)
    assert listener.sounding() == set()


def test_live_play_restores_the_interpreters_switch_interval(jack, listener, gru_path, restore_signals):
    from studio.cli import main

    sys.setswitchinterval(0.004)
    try:
        assert main(["live", gru_path, "--chart", "| C7 |", "--tempo", "300", "--seed", "1",
                     "--out", listener.port_name, "--midi-api", "jack", "--count-in", "0"]) == 0
        assert listener.notes(), "nothing was played"
        assert sys.getswitchinterval() == pytest.approx(0.004)
    finally:
        sys.setswitchinterval(0.005)


def test_live_sync_clock_waits_for_the_daws_start_and_plays_to_its_clock(jack, listener, gru_path):
    from studio.bench.live_probe import Keyboard
    from studio.music.live import clock as live_clock

    proc = cli("live", gru_path, "--chart", "| C7 |", "--tempo", "120", "--seed", "3",
               "--out", listener.port_name, "--midi-api", "jack", "--sync", "clock")
    daw = None
    try:
        line = ""
        while "following the MIDI clock into" not in line and proc.poll() is None:
            line = proc.stderr.readline()
        port = line.split("into ")[1].split("'")[1]          # the real name it reports
        daw = Keyboard(port, client="daw")
        time.sleep(1.0)
        assert listener.notes() == [], "the band must wait for the DAW's Start"
        t = live_clock.now() + 0.05
        daw.send([0xFA])
        for _ in range(24 * 6):                               # a bar and a half at 120 bpm
            live_clock.wait_until(t)
            daw.send([0xF8])
            t += 60 / 120 / 24
        _, err = proc.communicate(timeout=60)
    finally:
        if daw is not None:
            daw.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert [m for _, m in listener.notes() if m[0] & 0xF0 == 0x90 and m[2]], "nothing played"
    assert listener.sounding() == set()
