"""The jazz side of the Generate tab: chart, tempo, band, piano roll, transport.

Generation is ``studio.music.generate.generate_solo`` (the CLI's ``sample`` for jazz
models) run by a ``CallbackWorker``: its ``on_step`` feeds a live piano roll and its
``should_stop`` poll is the Stop button. The chart editor is ``jazz_chart``, the pitch
range, primer and feel ``jazz_options``, the take's files (MIDI, WAV, lead sheet, drag
out) ``jazz_export``, playback ``jazz_audio``.
"""

from __future__ import annotations

import logging
import tempfile

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from studio.gui.shared.errors import show_error
from studio.gui.jazz.audio import AudioTransport
from studio.gui.jazz.chart import ChartEditor
from studio.gui.jazz.export import DragHandle, TakeExports
from studio.gui.jazz.options import (DEFAULT_HIGH, DEFAULT_LOW, LINE_KEYS, JazzOptions, line_settings,
                                    register_setting)
from studio.gui.jazz.piano_roll import PianoRoll
from studio.gui.shared.settings import Group
from studio.gui.shared.workers import CallbackWorker, WorkerSet
from studio.music.chart import check_length, parse_chart
from studio.music.perform.instruments import INSTRUMENTS, instrument_for_program

log = logging.getLogger(__name__)

CHORD_BLIND = ("This model is chord-blind: it was trained without chords, so it plays over "
               "the chart's bars but cannot follow its harmony.")


class JazzPanel(TakeExports, QWidget):
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart_editor = ChartEditor(self)
        self.preset = self.chart_editor.preset
        self.chart = self.chart_editor.chart
        self.chart_status = self.chart_editor.status
        self.tempo = QSpinBox()
        self.tempo.setRange(40, 360)
        self.tempo.setValue(160)
        self.tempo.setSuffix(" bpm")
        self.instrument = QComboBox()
        for inst in INSTRUMENTS:      # data: the General MIDI program, what takes record
            self.instrument.addItem(inst.name, inst.program)
        # picking one (not restoring one) moves the range boxes to its range
        self.instrument.activated.connect(self._instrument_picked)
        self.comping = QCheckBox("Comping")
        self.comping.setChecked(True)
        self.comping.setToolTip("Add a chord-voicing track to the MIDI/WAV")
        self.bass = QCheckBox("Bass")
        self.bass.setChecked(True)
        self.scale_mask = QCheckBox("Chord scales only")
        self.scale_mask.setToolTip("Allow only pitches of each chord's scale")
        # pitch range and primer: the Generate tab shows them under the form's "More"
        self.options = JazzOptions()
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
        self.instrument.setToolTip("The solo's instrument: its sound (General MIDI program), its "
                                   "range and the register its players sit in (a trumpet line "
                                   "sits higher than a tenor's)")
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
        self.audio.started.connect(lambda engine: self.message.emit(f"Playing ({engine})"))
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
        self.audio.check()

    # -- values ----------------------------------------------------------------
    def check(self) -> None:
        """Raise ValueError (ChartError) when the chart or the options cannot be played."""
        self.chart_editor.check()
        self.options.check()

    def values(self) -> dict:
        return {"chart": self.chart_editor.text(), "chart_name": self.chart_editor.name(),
                "tempo": self.tempo.value(), "program": self.instrument.currentData(),
                "comping": self.comping.isChecked(), "bass": self.bass.isChecked(),
                "scale_mask": self.scale_mask.isChecked(), **self.options.values()}

    def apply(self, values: dict) -> None:
        if values.get("chart"):
            self.chart_editor.set_text(values["chart"])
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

    def _instrument_picked(self, _index: int) -> None:
        inst = instrument_for_program(self.instrument.currentData())
        if inst is not None:
            self.options.apply({"pitch_low": inst.low, "pitch_high": inst.high})

    # -- generation ------------------------------------------------------------
    def start_take(self, ckpt, settings, take, done) -> None:
        """Generate over the chart; ``done(take, error)`` when finished or stopped. A take
        made by Continue (``take.extra["continues"]``: the take it goes on from, keeping
        ``take.settings["keep_bars"]`` bars) is played by ``continue_solo``, the function
        ``sequence-studio sample --primer take.mid --keep-bars N`` calls."""
        from studio.music.continuation import continue_solo
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
                            primer_bars=int(values.get("primer_bars", 4)),
                            **register_setting(values), **line_settings(values))
        chart_text = values["chart"]
        chart = parse_chart(chart_text)
        check_length(chart, jazz.choruses)   # before the worker starts: the same one line
        spans = chart.to_spans(jazz.choruses)
        self.audio.stop()

        source = take.extra.get("continues")

        def work(should_stop, report):
            if source is not None:
                return continue_solo(ckpt, source.result, int(values["keep_bars"]), chart_text,
                                     jazz, should_stop=should_stop,
                                     on_step=lambda _i, tokens: report(tokens))
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
        self.audio_status.setText(f"Playback is off: {reason}" if not ok else
                                  f"Sound: {self.audio.engine}" if self.audio.engine else "")

    def play(self) -> None:
        solo = self.solo()
        if solo is None:
            return
        self.audio.play(solo, self.midi_options(),
                        on_error=lambda exc: show_error(self, "Playback", exc))
        self._update_buttons()

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("generate_jazz", version=1) as g:
            for key, value in self.values().items():
                g.set(key, value)
            g.set("line_tuned", True)   # the temperature boxes can say "tuned" (None)

    def restore_settings(self) -> None:
        with Group("generate_jazz", version=1) as g:
            stored = {k: g.get(k, _MISSING) for k in self.values()}
            # None is kept only where it means something: "tuned" in the line's boxes
            values = {k: v for k, v in stored.items()
                      if v is not _MISSING and (v is not None or k in LINE_KEYS)}
            if not g.get("line_tuned"):
                # saved before the temperatures were tuned per model: the boxes could not say
                # "tuned", so the old defaults there meant "the default": now the model's own
                for key, old in (("pitch_temperature", 0.8), ("rhythm_temperature", 1.0)):
                    if key in values and _number(values[key]) == old:
                        values[key] = None
            self.apply(values)

    def shutdown(self) -> None:
        self._threads.stop_all()  # a QThread must not be destroyed while running
        self.audio.stop()


_MISSING = object()


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
