"""The window's sound through a SoundFont (issue 25): picked in Preferences (kept with the
other settings, a line saying what will play), used by Export WAV and by Play over the
test JACK server, the built-in synth when the file is bad, and the status bar saying which."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tinysoundfont", reason="tinysoundfont is not installed "
                    "(pip install --no-deps tinysoundfont==0.3.7)")
CHART = "| Dm7 | G7 | Cmaj7 | % |"


def rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def make_take(qtbot, window, tiny_models, choose_model, click):
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: not tab.is_busy() and tab.jazz.solo() is not None, timeout=30000)
    return tab.jazz


def pick_soundfont(qtbot, window, path: str) -> list[str]:
    """Preferences > SoundFont := path, OK; returns the lines the dialog showed."""
    from PySide6.QtCore import QTimer

    from studio.gui.shared import preferences

    seen = []

    def edit():
        dialog = window.findChild(preferences.PreferencesDialog)
        seen.append(dialog.sound_status.text())
        dialog.soundfont.setText(path)
        seen.append(dialog.sound_status.text())
        dialog.accept()

    QTimer.singleShot(200, edit)
    window.show_preferences()
    qtbot.waitUntil(lambda: preferences.load().soundfont == path, timeout=10000)
    return seen


def export(qtbot, jazz, path):
    saved, said = [], []
    jazz.message.connect(said.append)
    jazz.export_wav(str(path), done=lambda out, error: saved.append((out, error)))
    qtbot.waitUntil(lambda: bool(saved), timeout=20000)
    assert saved[0][1] is None
    return said[-1]


def test_preferences_soundfont_drives_export_wav_and_a_bad_file_falls_back(
        qtbot, window, tiny_models, choose_model, click, tiny_sf2, tmp_path):
    from studio.gui.shared import preferences
    from studio.music.audio.synth import read_wav

    jazz = make_take(qtbot, window, tiny_models, choose_model, click)
    said = export(qtbot, jazz, tmp_path / "plain.wav")
    assert said.endswith("(built-in synth: no SoundFont found)"), said

    seen = pick_soundfont(qtbot, window, str(tiny_sf2))
    assert seen == ["Plays: built-in synth: no SoundFont found", "Plays: SoundFont tiny.sf2"]
    said = export(qtbot, jazz, tmp_path / "sf.wav")
    assert said == f"Saved {tmp_path / 'sf.wav'} (SoundFont tiny.sf2)"
    (a, _), (b, _) = read_wav(tmp_path / "sf.wav"), read_wav(tmp_path / "plain.wav")
    assert rms(a) > 0.01 and (a.shape != b.shape or not np.allclose(a, b))

    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    seen = pick_soundfont(qtbot, window, str(bad))
    assert seen[-1] == "Plays: built-in synth: SoundFont bad.sf2 is empty (no instruments, no samples)"
    said = export(qtbot, jazz, tmp_path / "fallback.wav")
    assert "(built-in synth: " in said and "bad.sf2" in said
    c, _ = read_wav(tmp_path / "fallback.wav")
    assert np.array_equal(c, b)                     # the built-in synth's take, as before
    assert preferences.load().soundfont == str(bad)  # kept with the other settings


def test_play_through_the_soundfont_on_jack(jack, qtbot, window, tiny_models, choose_model,
                                            click, tiny_sf2):
    from tests.gui.test_jazz_playback import portaudio_outputs

    pick_soundfont(qtbot, window, str(tiny_sf2))
    jazz = make_take(qtbot, window, tiny_models, choose_model, click)
    qtbot.waitUntil(lambda: jazz.audio._status is not None, timeout=10000)
    ok, reason = jazz.audio.available()
    if not ok and "PortAudio" in reason:
        pytest.skip(reason)
    assert ok, reason
    started, said = [], []
    jazz.audio.started.connect(started.append)
    jazz.message.connect(said.append)
    click(qtbot, jazz.play_button)
    qtbot.waitUntil(lambda: bool(started), timeout=20000)
    assert started == ["SoundFont tiny.sf2"] and "Playing (SoundFont tiny.sf2)" in said
    assert jazz.audio_status.text() == "Sound: SoundFont tiny.sf2"
    qtbot.waitUntil(lambda: bool(portaudio_outputs()), timeout=5000)   # a stream on the server
    jazz.audio.stop()
    qtbot.waitUntil(lambda: not portaudio_outputs(), timeout=5000)
