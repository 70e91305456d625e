"""Playback errors read as sentences (issue 25, defect 5: "Error opening OutputStream:
Insufficient memory [PaErrorCode -9992]" was shown as it came from PortAudio)."""

from __future__ import annotations

import types

CHART = "| Dm7 | G7 | Cmaj7 | % |"
PA_TEXT = "Error opening OutputStream: Insufficient memory [PaErrorCode -9992]"


def fake_portaudio(error: str):
    """sounddevice as PortAudio on a JACK server that refuses a new stream."""
    def play(*_a, **_k):
        raise RuntimeError(error)  # the text sounddevice's PortAudioError carries
    return types.SimpleNamespace(
        query_devices=lambda kind=None: {"name": "system", "default_samplerate": 48000},
        check_output_settings=lambda **_k: None, stop=lambda: None, play=play)


def test_a_refused_output_stream_is_said_in_words(qtbot, window, tiny_models, choose_model,
                                                  click, monkeypatch):
    from studio.gui.shared import errors
    from studio.music.audio import playback

    monkeypatch.setattr(playback, "_sounddevice", lambda: fake_portaudio(PA_TEXT))
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    jazz = tab.jazz
    jazz.chart.setPlainText(CHART)
    jazz.audio.check()  # with the fake device in place
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: not tab.is_busy() and jazz.solo() is not None, timeout=30000)
    qtbot.waitUntil(lambda: jazz.audio._status is not None and jazz.play_button.isEnabled(),
                    timeout=10000)
    click(qtbot, jazz.play_button)
    qtbot.waitUntil(lambda: bool(errors.OPEN_DIALOGS), timeout=10000)
    text = errors.OPEN_DIALOGS[-1].text()
    assert "PaErrorCode" not in text and "OutputStream" not in text, text
    assert "sound server refused a new stream" in text and "export a WAV" in text
    assert jazz.play_button.isEnabled() and not jazz.audio.playing()


def test_an_unknown_portaudio_error_keeps_its_words_without_the_code():
    from studio.music.audio.playback import explain

    said = explain(RuntimeError("Error opening OutputStream: Device unavailable [PaErrorCode -1]"))
    assert said == ("the audio output could not be opened: device unavailable. Close other "
                    "audio programs and play again, or export a WAV")


def test_preferences_choose_the_audio_output_device_takes_play_on(qtbot, window, tiny_models,
                                                                  choose_model, click, monkeypatch):
    """Issue 25, defect 5: there was no choice of audio output device."""
    from PySide6.QtCore import QTimer

    from studio.gui.shared import preferences
    from studio.music.audio import playback

    played = []
    fake = fake_portaudio("unused")
    fake.query_devices = lambda device=None, kind=None: (
        {"name": "system", "default_samplerate": 48000} if kind else
        [{"name": "system", "max_output_channels": 2}, {"name": "mic", "max_output_channels": 0},
         {"name": "USB Audio", "max_output_channels": 2}])
    fake.play = lambda buffer, rate, device=None: played.append(device)
    monkeypatch.setattr(playback, "_sounddevice", lambda: fake)

    def choose():
        dialog = window.findChild(preferences.PreferencesDialog)
        combo = dialog.audio_output
        assert [combo.itemText(i) for i in range(combo.count())] == ["System default", "system",
                                                                     "USB Audio"]
        combo.setCurrentIndex(combo.findData("USB Audio"))
        dialog.accept()

    QTimer.singleShot(300, choose)
    window.show_preferences()
    qtbot.waitUntil(lambda: preferences.load().audio_output == "USB Audio", timeout=10000)
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    tab.jazz.audio.check()
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: not tab.is_busy() and tab.jazz.solo() is not None, timeout=30000)
    qtbot.waitUntil(lambda: tab.jazz.play_button.isEnabled(), timeout=10000)
    click(qtbot, tab.jazz.play_button)
    qtbot.waitUntil(lambda: played == ["USB Audio"], timeout=10000)
    tab.jazz.audio.stop()
