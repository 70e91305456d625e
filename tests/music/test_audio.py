import sys
import types

import numpy as np
import pytest

from studio.music.chart import PRESETS, chart_to_spans
from studio.music.perform.feel import EXACT
from studio.music.audio.playback import AudioUnavailable, Player, audio_status
from studio.music.audio.synth import read_wav, render_solo, write_wav
from studio.music.types import Note, Solo


def blues_take():
    notes = [Note(t, 8, 58 + (t // 12) % 12) for t in range(0, 12 * 48, 12)]
    return Solo("blues", notes, chart_to_spans(PRESETS["Bb blues"]), tempo=160.0)


def rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def test_render_to_wav_and_back(tmp_path):
    solo = blues_take()
    buf = render_solo(solo, rate=22050)
    seconds = 12 * 4 * 60 / 160 + 0.6
    assert buf.dtype == np.float32 and buf.shape == (int(np.ceil(seconds * 22050)), 2)
    assert np.abs(buf).max() <= 0.95 + 1e-6
    path = write_wav(tmp_path / "take.wav", buf, 22050)
    data, rate = read_wav(path)
    assert rate == 22050 and data.shape == buf.shape
    assert rms(data) > 0.01                         # not silent
    assert rms(data[-int(0.1 * rate):]) < 1e-3      # the tail has died away


def test_mono_and_parts():
    solo = blues_take()
    mono = render_solo(solo, rate=8000, stereo=False, comping=False, bass=False)
    assert mono.ndim == 1 and rms(mono) > 0.005
    nothing = render_solo(Solo("rest", [], chart_to_spans("| NC |")), rate=8000)
    assert rms(nothing) == 0.0 and nothing.shape[0] == int(np.ceil((4 * 0.5 + 0.6) * 8000))


def test_no_clicks_at_note_edges():
    # one isolated note: the first and last samples of the note must be near zero
    solo = Solo("one", [Note(12, 12, 69)], chart_to_spans("| NC |"), tempo=120)
    buf = render_solo(solo, rate=44100, comping=False, bass=False, stereo=False, feel=EXACT)
    start = int(0.5 * 44100)
    assert abs(buf[start]) < 1e-3 and abs(buf[start - 1]) == 0.0
    jumps = np.abs(np.diff(buf))
    assert jumps.max() < 0.05


def test_playback_reports_unavailable_without_crashing():
    """Whatever this machine has: a reason is always given, and without audio Play
    raises that reason instead of crashing; nothing plays before Play."""
    ok, reason = audio_status()
    player = Player()
    assert player.position_seconds() is None and not player.playing
    if ok:
        assert reason.startswith("audio output: ")
    else:
        assert reason and not reason.startswith("audio output")
        with pytest.raises(AudioUnavailable) as err:
            player.play(np.zeros((100, 2), np.float32), 44100)
        assert str(err.value) == reason
        assert player.position_seconds() is None
    player.stop()                                   # always safe
    assert player.position_seconds() is None


def test_playhead_ends_with_the_buffer(monkeypatch):
    import studio.music.audio.playback as playback

    now = [100.0]
    monkeypatch.setattr(playback.time, "monotonic", lambda: now[0])
    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(
        query_devices=lambda kind=None: {"name": "Fake out"}, play=lambda buf, rate: None,
        stop=lambda: None))
    player = Player()
    player.play(np.zeros((44100 * 2, 2), np.float32), 44100)   # two seconds
    now[0] += 1.5
    assert player.position_seconds() == pytest.approx(1.5) and player.playing
    now[0] += 0.5
    assert player.position_seconds() is None and not player.playing   # ended


def test_player_with_a_fake_device(monkeypatch):
    calls = []
    fake = types.SimpleNamespace(
        query_devices=lambda kind=None: {"name": "Fake out"},
        play=lambda buf, rate: calls.append(("play", len(buf), rate)),
        stop=lambda: calls.append(("stop",)))
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    assert audio_status() == (True, "audio output: Fake out")
    player = Player()
    player.play(np.zeros((44100 * 5, 2), np.float32), 44100)
    assert ("play", 44100 * 5, 44100) in calls
    pos = player.position_seconds()
    assert pos is not None and 0 <= pos < 1 and player.playing
    player.stop()
    assert player.position_seconds() is None and calls[-1] == ("stop",)


def test_no_output_device(monkeypatch):
    def no_device(kind=None):
        raise ValueError("No output device matching")
    monkeypatch.setitem(sys.modules, "sounddevice",
                        types.SimpleNamespace(query_devices=no_device))
    ok, reason = audio_status()
    assert not ok and "no audio output device" in reason


class _NoPortAudio:
    """An import hook that fails the way sounddevice does without the PortAudio library."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_portaudio_missing(monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio()] + sys.meta_path)
    ok, reason = audio_status()
    assert not ok and "PortAudio" in reason
    with pytest.raises(AudioUnavailable):
        Player().play(np.zeros((10, 2), np.float32), 44100)
