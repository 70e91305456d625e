"""A small built-in synth: a Solo (lead + comping + bass) -> a float32 numpy buffer.

No SoundFont is needed to hear a take. Three voices, each note an envelope times an
oscillator, summed into a stereo buffer at 44.1 kHz:
  * lead: two-operator FM (a reedy tone whose brightness follows the envelope);
  * comping: additive electric-piano partials with a fast decay;
  * bass: sine plus a soft second harmonic with a plucked decay (the walking line).
It plays the take's performance (``performance.perform``: swing, human timing, dynamics,
the band's rhythm), the very notes the MIDI export writes, so what you hear is what the
DAW gets. Envelopes start and end at zero (short attack ramp, cosine release), so no note
clicks.

A SoundFont plays instead when there is one (``soundfont.render_take``, the renderer
every caller uses); this synth is its fallback.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from studio.music.perform.feel import Feel
from studio.music.perform.performance import perform

RATE = 44100


def _freq(pitch: float) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def _envelope(n_on: int, n_total: int, rate: int, attack: float, decay: float,
              sustain: float, release: float) -> np.ndarray:
    """ADSR over n_total samples; the note is held for n_on, then released to exactly 0."""
    t = np.arange(n_total) / rate
    a = max(attack, 1e-4)
    env = np.where(t < a, t / a, sustain + (1 - sustain) * np.exp(-(t - a) / max(decay, 1e-4)))
    if n_total > n_on:
        level = env[max(n_on - 1, 0)]
        n_rel = n_total - n_on
        env[n_on:] = level * 0.5 * (1 + np.cos(np.linspace(0, np.pi, n_rel)))
    return env.astype(np.float32)


def _lead(pitch, n_on, n_total, rate, amp):
    t = np.arange(n_total) / rate
    f = _freq(pitch)
    env = _envelope(n_on, n_total, rate, 0.012, 0.12, 0.75, 0.06)
    vibrato = 1 + 0.004 * np.sin(2 * np.pi * 5.2 * t) * np.clip((t - 0.18) / 0.2, 0, 1)
    phase = 2 * np.pi * f * np.cumsum(vibrato) / rate
    index = 1.1 + 1.6 * env                       # brighter when louder
    return amp * env * np.sin(phase + index * np.sin(phase))


def _epiano(pitch, n_on, n_total, rate, amp):
    t = np.arange(n_total) / rate
    f = _freq(pitch)
    env = _envelope(n_on, n_total, rate, 0.004, 0.6, 0.25, 0.08)
    tone = (np.sin(2 * np.pi * f * t) + 0.35 * np.exp(-t * 6) * np.sin(2 * np.pi * 2 * f * t)
            + 0.12 * np.exp(-t * 10) * np.sin(2 * np.pi * 3 * f * t))
    return amp * env * tone


def _bass(pitch, n_on, n_total, rate, amp):
    t = np.arange(n_total) / rate
    f = _freq(pitch)
    env = _envelope(n_on, n_total, rate, 0.005, 0.35, 0.35, 0.05)
    return amp * env * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t))


def _add(buffer, voice, notes, perf, rate, release, amp, pan):
    left, right = np.cos(pan * np.pi / 2), np.sin(pan * np.pi / 2)
    for n in notes:
        s = int(round(perf.seconds(n.start) * rate))
        n_on = max(1, int(round((perf.seconds(n.end) - perf.seconds(n.start)) * rate)))
        n_total = min(n_on + int(release * rate), buffer.shape[0] - s)
        if n_total <= 0:
            continue
        sig = voice(n.pitch, min(n_on, n_total), n_total, rate, amp * (n.velocity / 127.0) ** 1.5)
        buffer[s:s + n_total, 0] += left * sig
        buffer[s:s + n_total, 1] += right * sig


def render_solo(solo, rate: int = RATE, comping: bool = True, bass: bool = True,
                stereo: bool = True, tail: float = 0.6, feel: Feel | None = None) -> np.ndarray:
    """Render a Solo (or a Take) to float32 [n, 2] (or [n] when ``stereo`` is False).

    The length is the take (all bars) plus ``tail`` seconds for the last release. ``feel``
    as for the MIDI export (default: corpus swing for the tempo, human timing).
    """
    perf = perform(solo, feel, comping=comping, bass=bass)
    n = int(np.ceil((perf.seconds(perf.end) + tail) * rate))
    buffer = np.zeros((n, 2), dtype=np.float32)
    _add(buffer, _lead, perf.part("solo"), perf, rate, 0.06, 0.32, 0.58)
    _add(buffer, _epiano, perf.part("comping"), perf, rate, 0.08, 0.08, 0.3)
    _add(buffer, _bass, perf.part("bass"), perf, rate, 0.05, 0.35, 0.5)
    peak = float(np.abs(buffer).max()) if n else 0.0
    if peak > 0.95:                                # keep headroom, never clip
        buffer *= 0.95 / peak
    return buffer if stereo else buffer.mean(axis=1)


def write_wav(path, buffer: np.ndarray, rate: int = RATE) -> Path:
    """16-bit PCM WAV (mono for [n], stereo for [n, 2]) with the stdlib ``wave`` module."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(buffer, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[1]
    pcm = (np.clip(data, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def read_wav(path) -> tuple[np.ndarray, int]:
    """(float32 [n, channels], rate) from a 16-bit WAV; for tests and previews."""
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        raw = wav.readframes(wav.getnframes())
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32767
    return data.reshape(-1, channels), rate
