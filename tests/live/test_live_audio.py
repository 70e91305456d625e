"""Audio preview through PortAudio (sounddevice) on the JACK server: real sound flows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from studio.music.audio.playback import Player, audio_status, resample
from studio.music.audio.synth import read_wav


def jack_ports(*args) -> list[str]:
    import subprocess

    return subprocess.run(["jack_lsp", *args], capture_output=True, text=True, timeout=10).stdout.split("\n")


def record(port: str, path, seconds: int = 1):
    """What ``port`` carries, recorded by jackd2's own jack_rec (a separate JACK client)."""
    import subprocess

    subprocess.run(["jack_rec", "-f", str(path), "-d", str(seconds), port], check=True,
                   capture_output=True, timeout=30)
    buf, rate = read_wav(path)
    return buf, rate


def test_resample_keeps_duration_and_pitch():
    rate, target = 44100, 48000
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(np.stack([tone, tone], 1), rate, target)
    assert out.shape == (target, 2) and out.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(out[:, 0]))
    assert abs(np.argmax(spectrum) * target / len(out) - 440) < 2


def test_the_player_sends_sound_into_jack_and_stops(jack, tmp_path):
    ok, reason = audio_status()
    if not ok and "PortAudio" in reason:
        pytest.skip(reason)
    assert ok, reason
    player = Player()
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * 44100) / 44100)).astype(np.float32)
    player.play(np.stack([tone, tone], 1), 44100)        # the server runs at 48 kHz
    try:
        time.sleep(0.2)
        outs = [p for p in jack_ports() if p.startswith("PortAudio:out")]
        assert outs, "no PortAudio output port on the JACK server"
        first = player.position_seconds()
        buf, rate = record(outs[0], tmp_path / "heard.wav")
        assert player.position_seconds() > first > 0
        rms = float(np.sqrt(np.mean(buf[:, 0] ** 2)))
        assert rate == 48000 and rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)
    finally:
        player.stop()
    assert player.position_seconds() is None and not player.playing
    time.sleep(0.3)
    assert not [p for p in jack_ports() if p.startswith("PortAudio:out")]
