"""Jazz in the Generate tab: a take over a chart, the piano roll, MIDI export and drag."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest


CHART = "| Dm7 | G7 | Cmaj7 | % |"


def make_take(qtbot, window, tiny_models, choose_model):
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    assert tab.views.currentWidget() is tab.jazz
    tab.jazz.chart.setPlainText(CHART)
    tab.jazz.tempo.setValue(140)
    tab.form.length.setValue(1)  # choruses
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30000)
    assert tab.history.takes, "no take was recorded"
    return tab, tab.history.takes[-1]


def test_jazz_take_draws_piano_roll_and_exports_midi(qtbot, window, tiny_models, tmp_path, choose_model):
    tab, take = make_take(qtbot, window, tiny_models, choose_model)
    solo = take.result.solo
    roll = tab.jazz.roll
    assert roll.solo is solo
    assert len(roll.note_items) == len(solo.notes)
    assert roll.bar_lines >= 4 + 1            # four bars: their lines and the closing one
    assert [s.chord.name for s in solo.chords][:3] == ["Dm7", "G7", "Cmaj7"]
    assert take.settings["chart"] == CHART and take.settings["tempo"] == 140

    out = tab.jazz.export_midi(str(tmp_path / "take.mid"))
    assert out is not None and out.is_file()
    midi = mido.MidiFile(str(out))
    assert midi.type == 1 and midi.ticks_per_beat == 480
    markers = [m.text for t in midi.tracks for m in t if m.type == "marker"]
    assert markers[:3] == ["Dm7", "G7", "Cmaj7"]
    notes = sum(1 for m in midi.tracks[1] if m.type == "note_on" and m.velocity > 0)
    assert notes == len(solo.notes)

    saved = []
    tab.jazz.export_wav(str(tmp_path / "take.wav"), done=lambda out, error: saved.append((out, error)))
    qtbot.waitUntil(lambda: bool(saved), timeout=20000)
    out, error = saved[0]
    assert error is None and out.stat().st_size > 44


def test_drag_out_carries_a_midi_file_url(qtbot, window, tiny_models, choose_model):
    tab, _take = make_take(qtbot, window, tiny_models, choose_model)
    data = tab.jazz.drag.drag_data()
    urls = data.urls()
    assert len(urls) == 1 and urls[0].isLocalFile()
    path = urls[0].toLocalFile()
    assert path.endswith(".mid")
    assert mido.MidiFile(path).type == 1


def test_play_is_disabled_with_a_reason_when_audio_is_off(qtbot, window, tiny_models, choose_model):
    tab, _take = make_take(qtbot, window, tiny_models, choose_model)
    jazz = tab.jazz
    qtbot.waitUntil(lambda: jazz.audio._status is not None, timeout=10000)
    ok, reason = jazz.audio.available()
    if ok:  # a machine with sound: Play works and moves the playhead
        assert jazz.play_button.isEnabled()
    else:
        assert not jazz.play_button.isEnabled()
        assert reason and reason in jazz.audio_status.text()


def test_bad_chart_is_reported_before_generating(qtbot, window, tiny_models, choose_model):
    from studio.gui.shared import errors

    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText("| Dm7 | Xq9 |")
    tab.generate()
    assert not tab.is_busy()
    assert errors.OPEN_DIALOGS and "Xq9" in errors.OPEN_DIALOGS[-1].text()


def test_stopping_a_jazz_take_keeps_the_bars_played(qtbot, window, tiny_models, choose_model):
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    tab.form.length.setValue(16)  # 64 bars: long enough to stop in the middle
    tab.generate()
    qtbot.waitUntil(lambda: tab.jazz.worker is not None, timeout=30000)  # sampling has begun
    tab.stop()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=10000)
    take = tab.history.takes[-1]
    assert take.stopped and take.result.stopped
    assert 0 < take.result.solo.bar_count < 64


def test_pitch_range_and_primer_reach_jazz_settings_and_persist(qtbot, window, tiny_models,
                                                                choose_model, tmp_path):
    from studio.music.chords import parse_chord
    from studio.music.notation.midi_file import write_midi
    from studio.music.types import ChordSpan, Note, Solo

    primer = tmp_path / "primer.mid"
    notes = [Note(start=i * 12, duration=12, pitch=60 + i % 5) for i in range(16)]
    write_midi(Solo("primer", notes, [ChordSpan(0, 192, parse_chord("C7"))]), primer)
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    options = tab.jazz.options
    assert not options.isHidden()  # under "More", for jazz models only
    options.pitch_low.setValue(60)
    options.pitch_high.setValue(72)
    assert options.pitch_low.text() == "C4 (60)" and options.pitch_high.text() == "C5 (72)"
    options.primer.setText(str(primer))
    options.primer_bars.setValue(2)
    tab.jazz.chart.setPlainText(CHART)
    tab.form.length.setValue(1)
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30000)
    take = tab.history.takes[-1]
    settings = take.result.settings  # the JazzSettings generate_solo ran with
    assert (settings.pitch_low, settings.pitch_high) == (60, 72)
    assert str(settings.primer) == str(primer) and settings.primer_bars == 2
    assert take.settings["primer_midi"] == str(primer)

    tab.save_settings()
    options.pitch_low.setValue(40)
    options.primer.clear()
    options.primer_bars.setValue(8)
    tab.restore_settings()
    assert (options.pitch_low.value(), options.pitch_high.value()) == (60, 72)
    assert options.primer.text() == str(primer) and options.primer_bars.value() == 2

    choose_model(tab, tiny_models["names"])
    assert options.isHidden()
    options.primer.setText(str(tmp_path / "missing.mid"))  # reported before any loading
    choose_model(tab, tiny_models["jazz"])
    tab.generate()
    assert not tab.is_busy()
    from studio.gui.shared import errors

    assert errors.OPEN_DIALOGS and "missing.mid" in errors.OPEN_DIALOGS[-1].text()


def test_lead_sheet_export_and_feel_options(qtbot, window, tiny_models, tmp_path, choose_model):
    tab, take = make_take(qtbot, window, tiny_models, choose_model)
    jazz = tab.jazz
    assert jazz.xml_button.isEnabled()
    saved = []
    jazz.export_leadsheet(str(tmp_path / "sheet.musicxml"), done=lambda out, error: saved.append((out, error)))
    qtbot.waitUntil(lambda: bool(saved), timeout=60000)
    out, error = saved[0]
    assert error is None
    text = out.read_text()
    assert text.count("<harmony") == 3 and "<fifths>0</fifths>" in text and "Swing" in text
    # the feel under "More" reaches the export: straight and exact = the score on the grid
    jazz.options.swing.setCurrentIndex(jazz.options.swing.findData("straight"))
    jazz.options.humanize.setValue(0.0)
    path = jazz.export_midi(str(tmp_path / "straight.mid"))
    now, starts = 0, []
    for m in mido.MidiFile(str(path)).tracks[1]:
        now += m.time
        if m.type == "note_on" and m.velocity:
            starts.append(now)
    assert starts == [n.start * 40 for n in sorted(take.result.solo.notes)]
    assert jazz.values()["swing"] == "straight" and jazz.values()["humanize"] == 0.0
    # articulation: "As sampled" plays the grid's own lengths (what the CLI's --articulation score does)
    jazz.options.articulation.setCurrentIndex(jazz.options.articulation.findData("score"))
    path = jazz.export_midi(str(tmp_path / "score.mid"))
    now, spans, on = 0, [], {}
    for m in mido.MidiFile(str(path)).tracks[1]:
        now += m.time
        if m.type == "note_on" and m.velocity:
            on[m.note] = now
        elif m.type in ("note_on", "note_off") and m.note in on:
            spans.append((on.pop(m.note), now))
    assert sorted(spans) == [(n.start * 40, n.end * 40) for n in sorted(take.result.solo.notes)]
    assert jazz.values()["articulation"] == "score"
    jazz.apply({"articulation": "players"})
    assert jazz.options.feel().articulation == "players"


@pytest.fixture
def blind_model(tiny_models):
    """A chord-blind jazz model in the library (saved before the window reads it)."""
    from studio.music.encoding import jazz_vocab_tokens

    from .conftest import save_tiny
    return save_tiny(tiny_models["jazz"].parent / "blind-jazz.safetensors", "jazz", jazz_vocab_tokens(),
                     kind="event", meta_extra={"corpus": {"name": "melodies", "chords": False}})


def test_a_chord_blind_model_is_named_so(qtbot, blind_model, window, choose_model):
    tab, take = make_take(qtbot, window, {"jazz": blind_model}, choose_model)
    assert take.result.info["chord_aware"] is False
    assert not tab.jazz.model_note.isHidden() and "chord-blind" in tab.jazz.model_note.text()


def test_export_dialogs_start_in_the_preferences_output_folder(qtbot, window, tiny_models,
                                                                choose_model, tmp_path, monkeypatch):
    """Issue 25, defect 13: an Output folder set in Preferences is where Export MIDI starts,
    even after an export to another folder."""
    from PySide6.QtWidgets import QFileDialog

    from studio.gui.shared import preferences, recent

    tab, _take = make_take(qtbot, window, tiny_models, choose_model)
    elsewhere, chosen = tmp_path / "elsewhere", tmp_path / "exports"
    elsewhere.mkdir(), chosen.mkdir()
    recent.remember_folder("export", str(elsewhere / "old.mid"))  # an earlier export
    preferences.save(preferences.Preferences(output_folder=str(chosen)))
    starts = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, caption, start, filter_: (starts.append(start), ("", ""))[1])
    tab.jazz.export_midi()
    assert starts and Path(starts[0]).parent == chosen
    preferences.save(preferences.Preferences(output_folder=""))  # none set: the last folder
    tab.jazz.export_midi()
    assert Path(starts[1]).parent == elsewhere


def test_a_chart_without_bar_lines_and_a_replaced_chart_are_said(qtbot, window, tiny_models,
                                                                  choose_model):
    """Issue 25, defects 7 and 8: a chart typed without bar lines is read as one bar, and
    the window says so; picking a preset over a typed chart says the chart is kept, and
    "Custom" brings it back."""
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    jazz = tab.jazz
    jazz.chart.setPlainText("Dm7 G7 Cmaj7 A7")
    qtbot.waitUntil(lambda: "No bar lines" in jazz.chart_status.text(), timeout=3000)
    assert "| Dm7 | G7 | Cmaj7 | A7 |" in jazz.chart_status.text()
    typed = "| Dm7 | G7 | Cmaj7 | A7 |"
    jazz.chart.setPlainText(typed)
    qtbot.waitUntil(lambda: jazz.chart_status.text() == "", timeout=3000)
    jazz.preset.setCurrentText("Bb blues")
    assert jazz.chart.toPlainText() != typed
    assert "kept" in jazz.chart_status.text() and "Custom" in jazz.chart_status.text()
    qtbot.wait(400)  # the check after the preset's text keeps the note
    assert "kept" in jazz.chart_status.text()
    jazz.preset.setCurrentText("Custom")
    assert jazz.chart.toPlainText() == typed


def test_chart_notes_name_a_chart_without_bar_lines():
    from studio.music.chart import chart_notes, parse_chart

    assert parse_chart("Dm7 G7 Cmaj7 A7").bar_count == 1
    assert chart_notes("Dm7 G7 Cmaj7 A7") == [
        "no bar lines, so this is one bar of 4 chords; for one chord a bar write "
        "| Dm7 | G7 | Cmaj7 | A7 |"]
    assert chart_notes("| Dm7 G7 | Cmaj7 |") == [] and chart_notes("Cmaj7") == []


def test_a_take_without_notes_says_so(qtbot, window, tiny_models, choose_model):
    from studio.gui.generate.tab import _empty_note
    from studio.music.types import Solo

    tab, take = make_take(qtbot, window, tiny_models, choose_model)
    assert _empty_note(take) == "" or not take.result.solo.notes
    take.result.solo = Solo("empty", [], take.result.solo.chords, tempo=140)
    assert "played no notes" in _empty_note(take)


def test_picking_an_instrument_moves_the_range_and_the_register(qtbot, window, tiny_models,
                                                               choose_model):
    """The user picks Trumpet in the band row: the range boxes move to the trumpet's, the take
    is drawn in the trumpet players' register and exported with the trumpet's program; the
    tenor (the default) leaves the model's own register; a restore keeps a typed range."""
    from studio.music.perform.instruments import instrument_named

    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    jazz, options = tab.jazz, tab.jazz.options
    trumpet = instrument_named("trumpet")
    jazz.instrument.setCurrentIndex(jazz.instrument.findText("Trumpet"))
    jazz.instrument.activated.emit(jazz.instrument.currentIndex())   # as a click picks it
    assert (options.pitch_low.value(), options.pitch_high.value()) == (trumpet.low, trumpet.high)
    jazz.chart.setPlainText(CHART)
    tab.form.length.setValue(1)
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30000)
    take = tab.history.takes[-1]
    assert take.result.settings.register == trumpet.register
    assert take.result.info["register_shift"] != 0
    assert all(trumpet.low <= n.pitch <= trumpet.high for n in take.result.solo.notes)
    assert take.settings["program"] == trumpet.program
    from studio.gui.live.window import request_from_tab
    assert request_from_tab(tab).settings.register == trumpet.register   # the live window too

    jazz.instrument.setCurrentIndex(jazz.instrument.findText("Tenor sax"))
    jazz.instrument.activated.emit(jazz.instrument.currentIndex())
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30000)
    assert tab.history.takes[-1].result.info["register_shift"] == 0
    # restoring settings sets the instrument without the range it picks: the saved one wins
    jazz.apply({"program": trumpet.program, "pitch_low": 50, "pitch_high": 70})
    assert jazz.instrument.currentText() == "Trumpet"
    assert (options.pitch_low.value(), options.pitch_high.value()) == (50, 70)
