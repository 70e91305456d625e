"""Real instrument sound (issue 25): a take through a SoundFont, the built-in synth as the
fallback, and a sentence saying which played. The tiny SoundFont is written by the test
(tests/tiny_sf2.py), so these run everywhere tinysoundfont is installed; the system's
General MIDI font (Debian's fluid-soundfont-gm) is tried where it exists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.music.audio import soundfont as sf
from studio.music.audio.synth import read_wav, render_solo
from studio.music.chart import PRESETS, chart_to_spans
from studio.music.perform.feel import EXACT
from studio.music.types import Note, Solo

# The fallback tests run everywhere; the ones that hear a SoundFont need an engine.
needs_engine = pytest.mark.skipif(sf.engine_name() is None, reason="no SoundFont engine: "
                                  "pip install --no-deps tinysoundfont==0.3.7")
FLUID_GM = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def blues_take(bars: int = 4):
    notes = [Note(t, 8, 58 + (t // 12) % 12) for t in range(0, 12 * 4 * bars, 12)]
    chart = "| " + " | ".join(PRESETS["Bb blues"].replace("|", " ").split()[:bars]) + " |"
    return Solo("blues", notes, chart_to_spans(chart), tempo=160.0)


def rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def spectrum(x, rate, bands=64) -> np.ndarray:
    """Energy in ``bands`` equal bands up to 8 kHz, normalised: a timbre fingerprint."""
    mag = np.abs(np.fft.rfft(x.mean(axis=1) if x.ndim == 2 else x))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    edges = np.linspace(0, 8000, bands + 1)
    energy = np.array([mag[(freqs >= a) & (freqs < b)].sum() for a, b in zip(edges, edges[1:])])
    return energy / energy.sum()


@needs_engine
def test_a_take_through_the_tiny_soundfont_sounds_and_differs_from_the_builtin(tiny_sf2):
    take = blues_take()
    sound = sf.render_take(take, tiny_sf2)
    assert sound.engine == "SoundFont tiny.sf2" and sound.soundfont == tiny_sf2
    assert sound.buffer.dtype == np.float32 and sound.buffer.shape[1] == 2
    seconds = 4 * 4 * 60 / 160
    assert sound.buffer.shape[0] == int(np.ceil((seconds + 1.0) * sf.RATE))
    assert rms(sound.buffer) > 0.02                    # sound, not silence
    assert np.abs(sound.buffer).max() <= 0.95 + 1e-6   # never clips
    # every bar sounds (the events are fed in time, not all at the start)
    per_bar = [rms(sound.buffer[int(b * 1.5 * sf.RATE):int((b + 1) * 1.5 * sf.RATE)]) for b in range(4)]
    assert min(per_bar) > 0.01, per_bar
    builtin = render_solo(take, rate=sf.RATE)
    a, b = spectrum(sound.buffer, sf.RATE), spectrum(builtin, sf.RATE)
    assert np.abs(a - b).sum() > 0.3                   # another timbre, not the built-in synth


@needs_engine
def test_the_notes_are_the_performance_notes(tiny_sf2):
    """One A4 (key 69) for a beat at 120 bpm, exact feel: sound from 0.5 s to ~1.0 s at 440 Hz."""
    solo = Solo("one", [Note(12, 12, 69)], chart_to_spans("| NC |"), tempo=120)
    buf = sf.render_soundfont(solo, tiny_sf2, comping=False, bass=False, feel=EXACT).mean(axis=1)
    assert rms(buf[:int(0.45 * sf.RATE)]) < 1e-4       # nothing before the note (FluidSynth dithers)
    note = buf[int(0.55 * sf.RATE):int(0.95 * sf.RATE)]
    assert rms(note) > 0.05
    freqs = np.fft.rfftfreq(len(note), 1.0 / sf.RATE)
    assert abs(freqs[np.abs(np.fft.rfft(note)).argmax()] - 440.0) < 5


@needs_engine
def test_a_font_without_the_gm_programs_plays_its_first_preset(tmp_path):
    from tests.tiny_sf2 import write_sf2

    only = write_sf2(tmp_path / "piano-only.sf2", programs=(5,))
    sound = sf.render_take(blues_take(1), only)
    assert sound.engine == "SoundFont piano-only.sf2" and rms(sound.buffer) > 0.02


@pytest.mark.parametrize("content, said", [
    (None, "SoundFont not found"),
    (b"", "not a SoundFont"),
    (b"MThd\x00\x00\x00\x06junk", "not a SoundFont"),
    (b"RIFF\x04\x00\x00\x00sfbk", "is empty"),
    ("truncated", "truncated"),
    pytest.param("garbled", "could not be loaded", marks=needs_engine),
])
def test_a_bad_soundfont_falls_back_to_the_builtin_synth_and_says_why(tmp_path, tiny_sf2, content, said):
    path = tmp_path / "bad.sf2"
    good = tiny_sf2.read_bytes()
    if content == "truncated":
        path.write_bytes(good[:3000])
    elif content == "garbled":                 # a right header over garbage
        path.write_bytes(good[:12] + bytes(len(good) - 12))
    elif content is not None:
        path.write_bytes(content)
    take = blues_take(1)
    sound = sf.render_take(take, path)
    assert sound.soundfont is None and sound.engine.startswith("built-in synth: ")
    assert said in sound.engine and "bad.sf2" in sound.engine
    assert np.array_equal(sound.buffer, render_solo(take, rate=sf.RATE))
    if content != "garbled":                   # status() reads the header only (it is quick)
        ok, reason = sf.status(path)
        assert not ok and said in reason


@needs_engine
def test_which_soundfont(monkeypatch, tiny_sf2):
    monkeypatch.setenv("SEQUENCE_STUDIO_SOUNDFONT", "none")     # as every test runs
    assert sf.choose(None) is None and sf.choose("") is None
    assert sf.status() == (False, "built-in synth: no SoundFont found")
    assert sf.status("none") == (False, "built-in synth: SoundFont off")
    assert sf.choose(str(tiny_sf2)) == tiny_sf2                  # the user's pick wins
    monkeypatch.setenv("SEQUENCE_STUDIO_SOUNDFONT", str(tiny_sf2))
    assert sf.choose(None) == tiny_sf2 and sf.choose("none") is None
    assert sf.status() == (True, "SoundFont tiny.sf2")
    monkeypatch.delenv("SEQUENCE_STUDIO_SOUNDFONT")
    monkeypatch.setattr(sf, "SYSTEM_SOUNDFONTS", ("/nonexistent/a.sf2", str(tiny_sf2)))
    assert sf.system_soundfont() == tiny_sf2                     # the first that exists
    monkeypatch.setattr(sf, "engine_name", lambda: None)
    ok, reason = sf.status(tiny_sf2)
    assert not ok and "tinysoundfont" in reason
    sound = sf.render_take(blues_take(1), tiny_sf2)
    assert sound.soundfont is None and "no SoundFont engine" in sound.engine


@needs_engine
@pytest.mark.skipif(not FLUID_GM.is_file(), reason="no system General MIDI SoundFont "
                    "(apt-get install fluid-soundfont-gm)")
def test_the_system_general_midi_soundfont(monkeypatch):
    monkeypatch.delenv("SEQUENCE_STUDIO_SOUNDFONT")
    assert sf.choose(None) == FLUID_GM
    take = blues_take()
    sound = sf.render_take(take)
    assert sound.engine == "SoundFont FluidR3_GM.sf2"
    assert rms(sound.buffer) > 0.02
    a, b = spectrum(sound.buffer, sf.RATE), spectrum(render_solo(take, rate=sf.RATE), sf.RATE)
    assert np.abs(a - b).sum() > 0.3


@needs_engine
def test_cli_wav_through_a_soundfont(jazz_model, tmp_path, tiny_sf2, capsys):
    from studio.cli import main

    wav, plain = tmp_path / "sf.wav", tmp_path / "plain.wav"
    args = ["sample", str(jazz_model), "--chart", "| Dm7 | G7 | Cmaj7 | % |", "--seed", "3"]
    assert main(args + ["--wav", str(wav), "--soundfont", str(tiny_sf2)]) == 0
    out = capsys.readouterr()
    assert "sound: SoundFont tiny.sf2" in out.out and "note:" not in out.err
    assert main(args + ["--wav", str(plain), "--json"]) == 0     # no font: the built-in synth
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["sound"] == "built-in synth: no SoundFont found"
    (a, rate), (b, _) = read_wav(wav), read_wav(plain)
    assert rms(a) > 0.01 and rms(b) > 0.01
    assert np.abs(spectrum(a, rate) - spectrum(b, rate)).sum() > 0.3
    # a missing file: said on stderr, and the take is still rendered (built-in synth)
    missing = tmp_path / "gone.wav"
    assert main(args + ["--wav", str(missing), "--soundfont", str(tmp_path / "nope.sf2")]) == 0
    err = capsys.readouterr().err
    assert "--soundfont not used: built-in synth: SoundFont not found" in err and missing.is_file()


@needs_engine
def test_a_soundfont_take_sounds_on_the_jack_server(jack, tiny_sf2, tmp_path):
    """The SoundFont render through the app's Player into the tests' JACK server, recorded
    by jackd2's jack_rec (a separate client): sound arrives, and it is the font's."""
    import shutil
    import time

    from studio.music.audio.playback import Player, audio_status
    from tests.live.test_live_audio import jack_ports, record

    ok, reason = audio_status()
    if not ok and "PortAudio" in reason:
        pytest.skip(reason)
    if shutil.which("jack_rec") is None:
        pytest.skip("jack_rec (jackd2's example clients) is not installed")
    assert ok, reason
    sound = sf.render_take(blues_take(), tiny_sf2)
    player = Player()
    player.play(sound.buffer, sound.rate)
    try:
        time.sleep(0.2)
        outs = [p for p in jack_ports() if p.startswith("PortAudio:out")]
        assert outs, "no PortAudio output port on the JACK server"
        heard, rate = record(outs[0], tmp_path / "heard.wav")
    finally:
        player.stop()
    assert rate == 48000 and rms(heard[:, 0]) > 0.02
    sent = sound.buffer[int(0.2 * sf.RATE):int(1.2 * sf.RATE)]
    builtin = render_solo(blues_take(), rate=sf.RATE)[int(0.2 * sf.RATE):int(1.2 * sf.RATE)]
    near, far = (np.abs(spectrum(heard, rate) - spectrum(x, sf.RATE)).sum() for x in (sent, builtin))
    assert near < 0.25 < far
