"""The jazz side of the Generate tab: chart, tempo, instrument, piano roll, transport.

Generation is ``studio.music.generate.generate_solo`` (the CLI's ``sample`` for jazz
models) run by a ``CallbackWorker``: its ``on_step`` feeds a live piano roll and its
``should_stop`` poll is the Stop button. Export uses ``studio.music.midi_out`` and
``studio.music.synth``; playback ``studio.music.playback`` (see ``jazz_audio``).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from studio.gui import recent
from studio.gui.errors import show_error
from studio.gui.jazz_audio import (AudioTransport, write_leadsheet_file, write_midi_file,
                                   write_wav_file)
from studio.gui.jazz_options import DEFAULT_HIGH, DEFAULT_LOW, JazzOptions
from studio.gui.piano_roll import PianoRoll
from studio.gui.settings import Group
from studio.gui.workers import CallbackWorker, WorkerSet, run_task
from studio.music.chart import PRESETS, ChartError, parse_chart

log = logging.getLogger(__name__)

# General MIDI programs that suit a jazz line (0-based program numbers).
INSTRUMENTS = [("Tenor sax", 66), ("Alto sax", 65), ("Trumpet", 56), ("Trombone", 57),
               ("Vibraphone", 11), ("Jazz guitar", 26), ("Acoustic piano", 0),
               ("Flute", 73), ("Clarinet", 71)]
CUSTOM = "Custom"
CHORD_BLIND = ("This model is chord-blind: it was trained without chords, so it plays over "
               "the chart's bars but cannot follow its harmony.")


class DragHandle(QLabel):
    """Drag this out of the window to drop the take's MIDI file into a DAW or folder."""

    def __init__(self, make_file, parent: QWidget | None = None):
        super().__init__("⇱ Drag MIDI", parent)
        self.make_file = make_file    # () -> Path | None
        self.setToolTip("Drag into your DAW or a folder to drop the take as a MIDI file")
        self.setFrameShape(QLabel.Shape.StyledPanel)
        self.setStyleSheet("padding: 3px 8px; background: #eef3fa; border-radius: 3px")
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self._press: QPoint | None = None
        self.last_drag: QDrag | None = None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()

    def mouseMoveEvent(self, event) -> None:
        if self._press is None:
            return
        if (event.position().toPoint() - self._press).manhattanLength() < \
                QApplication.startDragDistance():
            return
        self._press = None
        self.start_drag()

    def mouseReleaseEvent(self, event) -> None:
        self._press = None

    def drag_data(self) -> QMimeData | None:
        path = self.make_file()
        if path is None:
            return None
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path))])
        return data

    def start_drag(self) -> None:
        data = self.drag_data()
        if data is None:
            return
        drag = QDrag(self)
        drag.setMimeData(data)
        self.last_drag = drag
        drag.exec(Qt.DropAction.CopyAction)


class JazzPanel(QWidget):
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.preset = QComboBox()
        self.preset.addItem(CUSTOM)
        for name in PRESETS:
            self.preset.addItem(name)
        self.chart = QPlainTextEdit()
        self.chart.setPlaceholderText("| Dm7 | G7 | Cmaj7 | % |")
        self.chart.setMaximumHeight(64)
        self.chart.setToolTip("Bars between |, % repeats a bar, two chords share a bar, "
                              "|: ... :| repeats")
        self.chart_status = QLabel()
        self.chart_status.setStyleSheet("color: #a00")
        self.tempo = QSpinBox()
        self.tempo.setRange(40, 360)
        self.tempo.setValue(160)
        self.tempo.setSuffix(" bpm")
        self.instrument = QComboBox()
        for name, program in INSTRUMENTS:
            self.instrument.addItem(name, program)
        self.comping = QCheckBox("Comping")
        self.comping.setChecked(True)
        self.comping.setToolTip("Add a chord-voicing track to the MIDI/WAV")
        self.bass = QCheckBox("Bass")
        self.bass.setChecked(True)
        self.scale_mask = QCheckBox("Chord scales only")
        self.scale_mask.setToolTip("Allow only pitches of each chord's scale")
        # pitch range and primer: the Generate tab shows them under the form's "More"
        self.options = JazzOptions()
        self.chart.setPlainText(PRESETS.get("Bb blues", ""))
        self.preset.setCurrentText("Bb blues" if "Bb blues" in PRESETS else CUSTOM)
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self._check_timer = QTimer(self, singleShot=True, interval=300)
        self._check_timer.timeout.connect(self._chart_edited)
        self.chart.textChanged.connect(self._check_timer.start)

        # Rows short enough for a 1000x700 window: chart and tempo; the chart; the band.
        top = QFormLayout()
        top.setContentsMargins(0, 0, 0, 0)
        preset_row = QHBoxLayout()
        preset_row.addWidget(self.preset, 1)
        tempo_label = QLabel("Temp&o")
        tempo_label.setBuddy(self.tempo)
        preset_row.addWidget(tempo_label)
        preset_row.addWidget(self.tempo)
        chart_label = QLabel("C&hart")
        chart_label.setBuddy(self.preset)
        top.addRow(chart_label, preset_row)
        top.addRow("", self.chart)
        top.addRow("", self.chart_status)
        band_row = QHBoxLayout()
        band_row.addWidget(self.instrument)
        for w in (self.comping, self.bass, self.scale_mask):
            band_row.addWidget(w)
        band_row.addStretch(1)
        band_label = QLabel("&Band")
        band_label.setBuddy(self.instrument)
        self.instrument.setToolTip("The solo's instrument (General MIDI program)")
        top.addRow(band_label, band_row)

        self.roll = PianoRoll()
        self.audio = AudioTransport(self)
        self.play_button = QPushButton("▶ Play")
        self.stop_button = QPushButton("■ Stop")
        self.midi_button = QPushButton("Export MIDI…")
        self.midi_button.setToolTip("Type-1 MIDI at 480 PPQ with chord markers (Ctrl+S)")
        self.wav_button = QPushButton("Export WAV…")
        self.xml_button = QPushButton("Lead sheet…")
        self.xml_button.setToolTip("MusicXML for MuseScore and other notation programs: "
                                   "chord symbols, key signature, swing marking, bass line")
        self.drag = DragHandle(self.temp_midi)
        self.live_button = QPushButton("Live…")      # the Generate tab opens the live window
        self.live_button.setToolTip("Play the band and trade fours over MIDI ports in real time")
        self.audio_status = QLabel()
        self.audio_status.setStyleSheet("color: #777")
        self.model_note = QLabel()              # e.g. "chord-blind model", set per take
        self.model_note.setStyleSheet("color: #a60")
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        self.play_button.clicked.connect(self.play)
        self.stop_button.clicked.connect(self.audio.stop)
        self.midi_button.clicked.connect(lambda: self.export_midi())
        self.wav_button.clicked.connect(lambda: self.export_wav())
        self.xml_button.clicked.connect(lambda: self.export_leadsheet())
        self.audio.position.connect(self.roll.set_playhead)
        self.audio.state_changed.connect(self._update_buttons)
        self.audio.status_known.connect(self._update_buttons)
        transport = QHBoxLayout()
        for w in (self.play_button, self.stop_button, self.midi_button, self.wav_button,
                  self.xml_button, self.drag, self.live_button):
            transport.addWidget(w)
        transport.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.model_note)
        layout.addWidget(self.roll, 1)
        layout.addLayout(transport)
        layout.addWidget(self.audio_status)

        self.take = None            # the gui Take shown (its .result is a music Take)
        self.worker: CallbackWorker | None = None
        self._threads = WorkerSet()   # every worker thread still running
        self._temp_dir = tempfile.TemporaryDirectory(prefix="sequence-studio-")
        self._update_buttons()
        self._chart_edited()
        self.audio.check()

    # -- chart -----------------------------------------------------------------
    def _preset_chosen(self, name: str) -> None:
        if name in PRESETS:
            self.set_chart_text(PRESETS[name])

    def set_chart_text(self, text: str) -> None:
        """Replace the chart as one edit: Undo (Ctrl+Z, Edit > Undo) brings the old one back
        (``setPlainText`` would wipe the editor's undo history)."""
        if text == self.chart.toPlainText():
            return
        cursor = self.chart.textCursor()
        cursor.beginEditBlock()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()

    def _chart_edited(self) -> None:
        text = self.chart.toPlainText()
        if PRESETS.get(self.preset.currentText()) != text:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(next((k for k, v in PRESETS.items() if v == text), CUSTOM))
            self.preset.blockSignals(False)
        try:
            chart = parse_chart(text)
        except (ChartError, ValueError) as exc:
            self.chart_status.setText(str(exc))
            return
        self.chart_status.setText("" if chart.bar_count else "The chart has no bars.")

    def check(self) -> None:
        """Raise ValueError (ChartError) when the chart or the options cannot be played."""
        chart = parse_chart(self.chart.toPlainText())
        if not chart.bar_count:
            raise ValueError("The chart has no bars: type bars like | Dm7 | G7 | Cmaj7 |")
        self.options.check()

    def values(self) -> dict:
        self._chart_edited()  # the preset name must match the text even mid-debounce
        return {"chart": self.chart.toPlainText(), "chart_name": self.preset.currentText(),
                "tempo": self.tempo.value(), "program": self.instrument.currentData(),
                "comping": self.comping.isChecked(), "bass": self.bass.isChecked(),
                "scale_mask": self.scale_mask.isChecked(), **self.options.values()}

    def apply(self, values: dict) -> None:
        if values.get("chart"):
            self.set_chart_text(values["chart"])
        if values.get("tempo"):
            self.tempo.setValue(int(float(values["tempo"])))
        index = self.instrument.findData(int(values.get("program", -1) or -1))
        if index >= 0:
            self.instrument.setCurrentIndex(index)
        for box, key in ((self.comping, "comping"), (self.bass, "bass"), (self.scale_mask, "scale_mask")):
            if key in values:
                value = values[key]
                box.setChecked(value.lower() == "true" if isinstance(value, str) else bool(value))
        self.options.apply(values)

    # -- generation ------------------------------------------------------------
    def start_take(self, ckpt, settings, take, done) -> None:
        """Generate over the chart; ``done(take, error)`` when finished or stopped."""
        from studio.music.encoding import decode_tokens
        from studio.music.generate import JazzSettings, generate_solo

        values = take.settings
        jazz = JazzSettings(temperature=settings.temperature, top_p=settings.top_p,
                            top_k=settings.top_k, seed=settings.seed,
                            choruses=int(values.get("length", 1)), tempo=float(values["tempo"]),
                            scale_mask=bool(values.get("scale_mask")),
                            pitch_low=int(values.get("pitch_low", DEFAULT_LOW)),
                            pitch_high=int(values.get("pitch_high", DEFAULT_HIGH)),
                            primer=values.get("primer_midi") or None,
                            primer_bars=int(values.get("primer_bars", 4)))
        chart_text = values["chart"]
        spans = parse_chart(chart_text).to_spans(jazz.choruses)
        self.audio.stop()

        def work(should_stop, report):
            return generate_solo(ckpt, chart_text, jazz, should_stop=should_stop,
                                 on_step=lambda _i, tokens: report(tokens))

        def live(tokens) -> None:
            # draw the take as it grows, over the whole chart's chord lane
            solo = decode_tokens(tokens, tempo=jazz.tempo)
            solo.chords = spans
            self.roll.set_solo(solo)

        worker = CallbackWorker(work, interval=0.15, snapshot=list, parent=self)
        worker.progress.connect(live)

        def finished(result, error):
            if self.worker is worker:
                self.worker = None
            if error is None:
                take.result = result
                take.stopped = bool(result.stopped)
                self.show_take(take)
            done(take if error is None else None, error)

        worker.finished_with.connect(finished)
        self.worker = worker
        self._threads.start(worker)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.audio.stop()

    def show_take(self, take) -> None:
        self.audio.stop()
        self.take = take
        self.roll.set_solo(take.result.solo if take.result is not None else None)
        blind = take.result is not None and take.result.info.get("chord_aware") is False
        self.model_note.setText(CHORD_BLIND if blind else "")
        self.model_note.setVisible(blind)
        self._update_buttons()

    def solo(self):
        return self.take.result.solo if self.take is not None and self.take.result else None

    # -- audio and files -------------------------------------------------------
    def midi_options(self) -> dict:
        return {"program": self.instrument.currentData(), "comping": self.comping.isChecked(),
                "bass": self.bass.isChecked(), "feel": self.options.feel()}

    def _update_buttons(self, *_args) -> None:
        has = self.solo() is not None
        ok, reason = self.audio.available()
        self.play_button.setEnabled(has and ok and not self.audio.playing())
        self.play_button.setToolTip("" if ok else f"Playback is off: {reason}")
        self.stop_button.setEnabled(self.audio.playing())
        for w in (self.midi_button, self.wav_button, self.xml_button, self.drag):
            w.setEnabled(has)
        self.audio_status.setText("" if ok else f"Playback is off: {reason}")

    def play(self) -> None:
        solo = self.solo()
        if solo is None:
            return
        self.audio.play(solo, self.midi_options(),
                        on_error=lambda exc: show_error(self, "Playback", exc))
        self._update_buttons()

    def temp_midi(self) -> Path | None:
        """A MIDI file of the shown take in a temp folder (for drag and drop)."""
        solo = self.solo()
        if solo is None:
            return None
        name = f"take-{self.take.number:03d}.mid"
        path = Path(self._temp_dir.name) / name
        write_midi_file(solo, path, self.midi_options())
        return path

    def export_midi(self, path: str | None = None) -> Path | None:
        solo = self.solo()
        if solo is None:
            self.message.emit("Generate a jazz take first.")
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export MIDI", str(Path(recent.folder("export")) / f"take-{self.take.number:03d}.mid"),
                "MIDI files (*.mid)")
            if not path:
                return None
            recent.remember_folder("export", path)
        try:
            out = write_midi_file(solo, Path(path), self.midi_options())
        except Exception as exc:
            show_error(self, "Export MIDI", exc)
            return None
        self.message.emit(f"Saved {out}")
        return out

    def export_wav(self, path: str | None = None, done=None) -> None:
        """Render with the built-in synth in a worker (seconds for a long take), then save."""
        solo = self.solo()
        if solo is None:
            self.message.emit("Generate a jazz take first.")
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export WAV", str(Path(recent.folder("export")) / f"take-{self.take.number:03d}.wav"),
                "WAV audio (*.wav)")
            if not path:
                return
            recent.remember_folder("export", path)
        options = self.midi_options()
        self.message.emit("Rendering audio…")

        def finished(out, error):
            if error is not None:
                show_error(self, "Export WAV", error)
            else:
                self.message.emit(f"Saved {out}")
            if done is not None:
                done(out, error)

        run_task(lambda: write_wav_file(solo, Path(path), options), finished, owner=self)

    def export_leadsheet(self, path: str | None = None, done=None) -> None:
        """MusicXML in a worker (music21 takes a moment to load), then save."""
        solo = self.solo()
        if solo is None:
            self.message.emit("Generate a jazz take first.")
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export lead sheet",
                str(Path(recent.folder("export")) / f"take-{self.take.number:03d}.musicxml"),
                "MusicXML (*.musicxml *.xml)")
            if not path:
                return
            recent.remember_folder("export", path)
        options = self.midi_options()
        self.message.emit("Writing the lead sheet…")

        def finished(out, error):
            if error is not None:
                show_error(self, "Export lead sheet", error)
            else:
                self.message.emit(f"Saved {out}")
            if done is not None:
                done(out, error)

        run_task(lambda: write_leadsheet_file(solo, Path(path), options), finished, owner=self)

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("generate_jazz", version=1) as g:
            for key, value in self.values().items():
                g.set(key, value)

    def restore_settings(self) -> None:
        with Group("generate_jazz", version=1) as g:
            self.apply({k: g.get(k) for k in self.values() if g.get(k) is not None})

    def shutdown(self) -> None:
        self._threads.stop_all()  # a QThread must not be destroyed while running
        self.audio.stop()
