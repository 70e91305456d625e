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
