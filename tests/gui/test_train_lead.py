"""The Train tab's Lead field (jazz, own MIDI files): shown for jazz only, the dataset
report and the run read the part the user names, and a choice that means nothing is
refused before Start. Part note counts are checked against mido's reading of the files."""

from __future__ import annotations

from pathlib import Path

import mido
from PySide6.QtCore import Qt

SAX = [(b / 2, 0.5, 62 + (b * 5) % 9) for b in range(16)]
BASS = [(b, 1, 36 + (b * 7) % 12) for b in range(8)]
PARTS = (("Tenor Sax", 66, SAX), ("Bass", 32, BASS))


def write_band(path: Path) -> None:
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    for channel, (name, program, notes) in enumerate(PARTS):
        events = [(0, mido.MetaMessage("track_name", name=name)),
                  (0, mido.Message("program_change", channel=channel, program=program))]
        for beat, beats, pitch in notes:
            events.append((round(beat * 480), mido.Message("note_on", channel=channel, note=pitch,
                                                            velocity=80)))
            events.append((round((beat + beats) * 480) - 1,
                           mido.Message("note_off", channel=channel, note=pitch)))
        track, now = mido.MidiTrack(), 0
        for tick, msg in sorted(events, key=lambda e: e[0]):
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    mid.save(str(path))


def band_folder(tmp_path) -> Path:
    folder = tmp_path / "band"
    folder.mkdir()
    for i in range(3):
        write_band(folder / f"tune{i}.mid")
    return folder


def notes_in_track(path: Path, name: str) -> int:
    (track,) = [t for t in mido.MidiFile(str(path)).tracks if t.name == name]
    return sum(m.type == "note_on" and m.velocity > 0 for m in track)


def type_lead(qtbot, form, text: str) -> None:
    form.lead.setFocus()
    form.lead.selectAll()
    qtbot.keyClicks(form.lead, text)
    qtbot.keyClick(form.lead, Qt.Key.Key_Return)  # editingFinished: the report is read again


def test_lead_field_reads_the_named_part_and_the_run_learns_it(qtbot, window, tmp_path, click):
    from studio.core.checkpoint import read_metadata

    tab = window.train_tab
    form = tab.form
    window.tabs.setCurrentWidget(tab)
    folder = band_folder(tmp_path)
    form.set_corpus(str(folder))  # a folder of MIDI files: jazz
    assert form.kind.currentData() == "jazz" and form.lead.isVisibleTo(form)
    qtbot.waitUntil(lambda: tab.report is not None, timeout=30000)
    for entry in tab.report["files"]:  # auto: the sax, not the bass
        assert entry["notes"] == notes_in_track(folder / entry["path"], "Tenor Sax")
    shown = tab.report_view.toPlainText()   # the report line says why, with the figures
    assert "took 'Tenor Sax'" in shown and "plays 2 of 2 bars" in shown
    assert "over 'Bass' (2 of 2 bars, 0% stacked)" in shown

    type_lead(qtbot, form, "bass")
    qtbot.waitUntil(lambda: tab.report is not None and
                    all("'Bass'" in f["message"].split(" as the lead")[0] for f in tab.report["files"]),
                    timeout=30000)
    for entry in tab.report["files"]:
        assert entry["notes"] == notes_in_track(folder / entry["path"], "Bass")
    assert "Bass" in tab.report_view.toPlainText()

    form.layers.setValue(1)
    form.hidden.setValue(16)
    form.embedding.setValue(8)
    form.batch.setValue(2)
    form.window.setValue(16)
    form.max_steps.setValue(3)
    form.device.setCurrentIndex(form.device.findData("cpu"))
    form.name.setText("bass-lines")
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=120000)
    saved = Path(tab.result["path"])
    assert read_metadata(saved)["train_config"]["lead"] == "bass"

    # names have no parts: the field goes away and sends nothing
    form.kind.setCurrentIndex(form.kind.findData("names"))
    assert not form.lead.isVisibleTo(form)
    assert "--lead" not in form.options(out="x.safetensors").to_args()


def test_a_lead_for_a_wjazzd_folder_is_refused_before_start(qtbot, window, tmp_path):
    tab = window.train_tab
    wjazzd = tmp_path / "wjazzd"
    (wjazzd / "csv_melody").mkdir(parents=True)
    tab.form.set_corpus(str(wjazzd), "jazz")
    type_lead(qtbot, tab.form, "sax")
    qtbot.waitUntil(lambda: tab.report_error is not None and "Weimar" in tab.report_error,
                    timeout=15000)
    assert not tab.start_button.isEnabled()
    assert "Weimar Jazz Database" in tab.report_view.toPlainText()
