"""Quitting after playback when the JACK server has gone (issue 25, defect 5: "quitting
printed a PortAudio JACK assertion"). sounddevice's exit handler ran Pa_Terminate, and
PortAudio's JACK host API asserts that deactivating its client succeeds; with the server
stopped (or restarted) it cannot, and the process aborted at exit:
``pa_jack.c:820: Terminate: Assertion `err == 0' failed`` (exit status 134).

A child process plays a take through the app's Player on its own JACK server (dummy
driver), the server is stopped, and the child quits: its stderr must hold no assertion and
it must exit 0. The same with the server still up (the normal clean-up still runs), also
when JACK_DEFAULT_SERVER no longer names it at exit (the guard once asked the default
server then, skipped PortAudio's clean-up, and libjack's thread ran into unloaded code:
a segfault at exit, status 139, that failed whole test runs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.music.audio.playback import GONE

ROOT = Path(__file__).resolve().parents[2]
CHILD = r"""
import sys, time
import numpy as np
from studio.music.audio.playback import Player, audio_status
ok, reason = audio_status()
if not ok:
    print("NOAUDIO", reason, flush=True); sys.exit(0)
player = Player()
player.play((0.1 * np.sin(np.arange(44100 * 4) / 44100 * 2 * np.pi * 440)).astype(np.float32), 44100)
time.sleep(0.3)
print("PLAYING", flush=True)
sys.stdin.readline()                 # the test stops the server (or not), then says go on
if sys.argv[1] == "stop-first":
    player.stop()                    # what the window's shut-down does before the exit
    try:                             # and Play after that: a sentence, not a hang
        player.play(np.zeros((4410, 2), np.float32), 44100)
        player.stop()
        print("PLAYED", flush=True)
    except Exception as exc:
        print("REFUSED", exc, flush=True)
if sys.argv[1] == "env-changed":     # the variable changed after PortAudio joined (as the
    import os                        # tests' fixtures restore it): the exit guard must ask
    player.stop()                    # about the server PortAudio joined, not the default one
    os.environ.pop("JACK_DEFAULT_SERVER", None)
print("QUITTING", flush=True)
"""


def stop_jack(proc: subprocess.Popen) -> None:
    """SIGTERM, so jackd takes its entry out of JACK's machine-wide registry of servers (8
    entries); a SIGKILLed server leaves its entry behind, and enough of them stop every
    JACK server on the machine from starting ("Too many servers already active")."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def start_jack(name: str) -> subprocess.Popen:
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    proc = subprocess.Popen(["jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000",
                             "-p", "256"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, env=env)
    lsp = shutil.which("jack_lsp")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and lsp and proc.poll() is None:
        probe = subprocess.run([lsp], env=dict(os.environ, JACK_DEFAULT_SERVER=name,
                                               JACK_NO_START_SERVER="1"), capture_output=True)
        if probe.returncode == 0:
            return proc
        time.sleep(0.1)
    stop_jack(proc)
    # jackd2 says why first ("Too many servers already active": JACK's registry of servers
    # on this machine is full, e.g. of servers other test runs left behind)
    said = [line for line in proc.communicate()[0].splitlines() if line.strip()]
    pytest.skip(f"the JACK server did not start: {said[0] if said else 'no output'}")


@pytest.mark.skipif(shutil.which("jackd") is None, reason="jackd is not installed (apt-get install jackd2)")
@pytest.mark.parametrize("server, mode", [("gone", "playing"), ("gone", "stop-first"), ("up", "stop-first"),
                                          ("up", "env-changed")])
def test_quitting_after_playback_prints_no_portaudio_assertion(server, mode):
    name = f"studio-exit-{os.getpid()}-{server}-{mode}"
    jack = start_jack(name)
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1", PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        first = child.stdout.readline()
        if first.startswith("NOAUDIO"):
            pytest.skip(f"no audio output through PortAudio here: {first[8:].strip()}")
        assert first.strip() == "PLAYING", child.stderr.read()
        if server == "gone":
            stop_jack(jack)
            time.sleep(0.5)          # the client has seen the server go
        out, err = child.communicate("\n", timeout=15)   # a hung Stop: TimeoutExpired
    finally:
        child.kill() if child.poll() is None else None
        stop_jack(jack)
    assert "Assertion" not in err and "pa_jack.c" not in err, err
    assert child.returncode == 0 and out.strip().endswith("QUITTING"), (child.returncode, err)
    if mode == "stop-first":
        said = out.strip().splitlines()[-2]
        assert said == ("REFUSED " + GONE if server == "gone" else "PLAYED"), said
