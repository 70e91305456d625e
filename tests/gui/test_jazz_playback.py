"""The window's audio preview for real: PortAudio on the test JACK server (no sound card)."""

from __future__ import annotations

import subprocess

import pytest

CHART = "| Dm7 | G7 | Cmaj7 | % |"


def portaudio_outputs() -> list[str]:
    out = subprocess.run(["jack_lsp"], capture_output=True, text=True, timeout=10).stdout
    return [p for p in out.split("\n") if p.startswith("PortAudio:out")]


def test_play_starts_a_stream_moves_the_playhead_and_stop_stops_it(jack, qtbot, window,
                                                                  tiny_models, choose_model):
    from studio.gui.shared import errors

    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    jazz = tab.jazz
    jazz.chart.setPlainText(CHART)
    jazz.tempo.setValue(100)                       # ~10 s of music: time to watch it play
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30000)
    qtbot.waitUntil(lambda: jazz.audio._status is not None, timeout=10000)
    ok, reason = jazz.audio.available()
    if not ok and "PortAudio" in reason:
        pytest.skip(reason)
    assert ok, reason
    assert jazz.play_button.isEnabled() and not jazz.audio_status.text()

    positions = []
    jazz.audio.position.connect(positions.append)
    qtbot.mouseClick(jazz.play_button, qtbot_button())
    qtbot.waitUntil(lambda: len([p for p in positions if p]) >= 5, timeout=20000)
    ticks = [p for p in positions if p is not None]
    assert ticks == sorted(ticks) and ticks[-1] > ticks[0]     # the playhead moves on
    assert jazz.stop_button.isEnabled() and not jazz.play_button.isEnabled()
    assert portaudio_outputs(), "Play opened no audio stream on the server"

    qtbot.mouseClick(jazz.stop_button, qtbot_button())
    qtbot.waitUntil(lambda: not jazz.audio.playing(), timeout=5000)
    assert positions[-1] is None                               # the playhead is cleared
    qtbot.waitUntil(lambda: not portaudio_outputs(), timeout=5000)
    assert jazz.play_button.isEnabled()
    assert not errors.OPEN_DIALOGS


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
