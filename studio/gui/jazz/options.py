"""Jazz-only options under the Generate tab's "More": pitch range, primer and feel.

``pitch_low``/``pitch_high`` and ``primer``/``primer_bars`` are the fields of
``studio.music.generate.JazzSettings`` of the same names (the CLI's ``--low``,
``--high`` and ``--primer`` for jazz models; the CLI always primes with 4 bars). The
note boxes show names beside the numbers (C4 = MIDI 60). Swing, humanize and articulation
make the ``studio.music.perform.feel.Feel`` that the MIDI/WAV export and playback perform the
take with (the CLI's ``--swing``, ``--humanize`` and ``--articulation``). Pitch and rhythm temperature are
``JazzSettings.pitch_temperature``/``rhythm_temperature`` (``--pitch-temperature``,
``--rhythm-temperature``): the form's Temperature multiplies both. Licks is
``JazzSettings.licks`` (``--licks``): how strongly the line leans toward the licks the
model's training players share (0 = off). The lowest step of each of these three boxes,
"tuned", is None: the value tuned for the model's weights (``generate.for_model``, as the
CLI without the flag), else the module default; ``show_tuned(meta)`` writes the chosen
model's value beside it ("tuned (0.8)"), and a step up from there starts at that value.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QSpinBox, QToolButton, QWidget)

from studio.gui.shared import recent
from studio.gui.jazz.piano_roll import pitch_name
from studio.music.encoding import PITCH_HIGH, PITCH_LOW
from studio.music.perform.feel import Feel
from studio.music.generate import LICKS, TUNABLE, tuned
LICKS_TUNED = -0.05                  # the Licks box's lowest step, shown "tuned": licks=None
TEMPERATURE_TUNED = 0.0              # the temperature boxes' lowest step, shown "tuned": None
LINE_KEYS = ("pitch_temperature", "rhythm_temperature", "licks")
SWING_CHOICES = [("By tempo (WJazzD)", "auto"), ("Straight", "straight"),
                 ("Light (1.5 : 1)", "1.5"), ("Triplet (2 : 1)", "2.0"), ("Hard (2.5 : 1)", "2.5")]
# short labels: the control column is narrow at 1000x700; the box's tooltip says the rest
ARTICULATION_CHOICES = [("Auto", "auto"), ("Players' holds", "players"),
                        ("Lead sheet", "written"), ("As sampled", "score")]

DEFAULT_LOW, DEFAULT_HIGH = 48, 84   # JazzSettings' defaults: C3 .. C6


class NoteSpinBox(QSpinBox):
    """A MIDI note number shown with its name, e.g. ``C4 (60)``; typing either works."""

    def __init__(self, value: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(PITCH_LOW, PITCH_HIGH)
        self.setValue(value)

    def textFromValue(self, value: int) -> str:
        return f"{pitch_name(value)} ({value})"

    def valueFromText(self, text: str) -> int:
        text = text.strip()
        if "(" in text:
            text = text[text.index("(") + 1:].rstrip(")")
        try:
            return int(text)
        except ValueError:
            return next((p for p in range(PITCH_LOW, PITCH_HIGH + 1)
                         if pitch_name(p).lower() == text.lower()), self.value())

    def validate(self, text: str, pos: int):
        state = QValidator.State.Acceptable if text.strip() else QValidator.State.Intermediate
        return state, text, pos


class TunedSpinBox(QDoubleSpinBox):
    """A value box whose lowest step reads "tuned (value)": None, the model's own value. A
    step up from it starts at that value (not at the box's lowest number)."""

    def __init__(self, lowest: float, highest: float, step: float, tuned: float):
        super().__init__()
        self.setRange(lowest, highest)
        self.setSingleStep(step)
        self.setValue(lowest)
        self.tuned_value = tuned
        self.set_tuned(tuned)

    def set_tuned(self, value: float) -> None:
        self.tuned_value = value
        self.setSpecialValueText(f"tuned ({value:g})")

    def is_tuned(self) -> bool:
        return self.value() <= self.minimum()

    def stepBy(self, steps: int) -> None:
        if self.is_tuned() and steps > 0:
            self.setValue(self.tuned_value)
        else:
            super().stepBy(steps)


class JazzOptions(QWidget):
    """Pitch range and an optional primer MIDI file; ``values()``/``apply()`` for takes
    and settings, ``settings_kwargs()`` for ``JazzSettings``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.pitch_low = NoteSpinBox(DEFAULT_LOW)
        self.pitch_low.setToolTip("Lowest note the solo may play")
        self.pitch_high = NoteSpinBox(DEFAULT_HIGH)
        self.pitch_high.setToolTip("Highest note the solo may play")
        self.pitch_low.valueChanged.connect(lambda v: self.pitch_high.setMinimum(v))
        self.pitch_high.valueChanged.connect(lambda v: self.pitch_low.setMaximum(v))
        self.primer = QLineEdit()
        self.primer.setPlaceholderText("none: start from scratch")
        self.primer.setToolTip("A MIDI file whose first bars the solo continues")
        self.primer.setClearButtonEnabled(True)
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("Choose a primer MIDI file")
        browse.clicked.connect(self.choose_primer)
        self.browse_button = browse
        self.primer_bars = QSpinBox()
        self.primer_bars.setRange(1, 32)
        self.primer_bars.setValue(4)
        self.primer_bars.setSuffix(" bars")
        self.primer_bars.setToolTip("How many bars of the primer file prime the model")
        self.swing = QComboBox()
        for label, value in SWING_CHOICES:
            self.swing.addItem(label, value)
        self.swing.setToolTip("How offbeat eighths are played in the MIDI, WAV and playback; "
                              "the take itself (the score) stays on the grid. By tempo: as "
                              "the WJazzD players swing at this tempo")
        # a long choice must not widen the control column (it scrolled sideways at 1000 px)
        self.swing.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.swing.setMinimumContentsLength(12)
        self.humanize = QDoubleSpinBox()
        self.humanize.setRange(0.0, 3.0)
        self.humanize.setSingleStep(0.25)
        self.humanize.setValue(1.0)
        self.humanize.setToolTip("Human timing and dynamics scatter: 0 = exact, 1 = natural")
        self.articulation = QComboBox()
        for label, value in ARTICULATION_CHOICES:
            self.articulation.addItem(label, value)
        self.articulation.setToolTip("How long notes sound: as the WJazzD players hold them at "
                                     "this tempo (most notes 75-100% of the way to the next), "
                                     "or the lead sheet's lengths; the take stays as written")
        self.articulation.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.articulation.setMinimumContentsLength(12)
        self.pitch_temperature = self._temperature_box(
            "pitch_temperature", "Temperature of the pitch choices (times the Temperature "
            "above): lower plays safer, more idiomatic lines; tuned = the value tuned for this model")
        self.rhythm_temperature = self._temperature_box(
            "rhythm_temperature", "Temperature of onsets, durations and rests (times the "
            "Temperature above): lower plays steadier rhythms with fewer rests; tuned = the value "
            "tuned for this model")
        self.licks = TunedSpinBox(LICKS_TUNED, 1.0, 0.05, LICKS)
        self.licks.setToolTip("How strongly the line leans toward licks that several of the "
                              "training players share: tuned = the strength tuned for this "
                              "model, 0 = off, 1 = strongest. More quotes the jazz vocabulary, "
                              "never a long stretch of one solo")
        primer_row = QHBoxLayout()
        primer_row.setContentsMargins(0, 0, 0, 0)
        primer_row.addWidget(self.primer, 1)
        primer_row.addWidget(browse)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Lowest note", self.pitch_low)
        form.addRow("&Highest note", self.pitch_high)
        primer_label = QLabel("Primer &MIDI")  # a layout row has no buddy: the label needs one
        primer_label.setBuddy(self.primer)
        form.addRow(primer_label, primer_row)
        form.addRow("Primer bars", self.primer_bars)
        form.addRow("&Pitch temperature", self.pitch_temperature)
        form.addRow("&Rhythm temperature", self.rhythm_temperature)
        form.addRow("Lic&ks", self.licks)
        form.addRow("S&wing", self.swing)
        form.addRow("H&umanize", self.humanize)
        form.addRow("Ar&ticulation", self.articulation)

    @staticmethod
    def _temperature_box(key: str, tip: str) -> TunedSpinBox:
        # 0.05 is the lowest temperature; the defaults stand until a model is chosen
        box = TunedSpinBox(TEMPERATURE_TUNED, 3.0, 0.05, TUNABLE[key][0])
        box.setToolTip(tip)
        return box

    def show_tuned(self, meta: dict | None) -> None:
        """Show the chosen model's tuned values beside "tuned" (``generate.tuned``)."""
        for key in LINE_KEYS:
            getattr(self, key).set_tuned(tuned(meta, key))

    def licks_value(self) -> float | None:
        """``JazzSettings.licks``: None for "tuned"."""
        return None if self.licks.is_tuned() else round(self.licks.value(), 2)

    def temperature_value(self, key: str) -> float | None:
        """``JazzSettings.pitch_temperature`` / ``rhythm_temperature``: None for "tuned"."""
        box = getattr(self, key)
        return None if box.is_tuned() else round(box.value(), 2)

    def line_values(self) -> dict:
        """The line's temperatures and licks (None: tuned for the model)."""
        return {"pitch_temperature": self.temperature_value("pitch_temperature"),
                "rhythm_temperature": self.temperature_value("rhythm_temperature"),
                "licks": self.licks_value()}

    def feel(self) -> Feel:
        """The performance feel for export and playback."""
        return Feel.parse(self.swing.currentData(), self.humanize.value(), None,
                          self.articulation.currentData())

    def choose_primer(self) -> None:
        start = self.primer.text().strip() or recent.folder("primer")
        path, _ = QFileDialog.getOpenFileName(self, "Primer MIDI file", start,
                                              "MIDI files (*.mid *.midi)")
        if path:
            recent.remember_folder("primer", path)
            self.primer.setText(path)

    def check(self) -> None:
        """Raise ValueError when the options cannot be played (before a model loads)."""
        path = self.primer.text().strip()
        if path and not Path(path).is_file():
            raise ValueError(f"The primer MIDI file does not exist: {path}")

    def settings_kwargs(self) -> dict:
        """The ``JazzSettings`` fields these boxes set."""
        path = self.primer.text().strip()
        return {"pitch_low": self.pitch_low.value(), "pitch_high": self.pitch_high.value(),
                "primer": path or None, "primer_bars": self.primer_bars.value(),
                **self.line_values()}

    def values(self) -> dict:
        """What a take records and the settings keep (``primer_midi``: the form has a primer)."""
        return {"pitch_low": self.pitch_low.value(), "pitch_high": self.pitch_high.value(),
                "primer_midi": self.primer.text().strip(),
                "primer_bars": self.primer_bars.value(),
                "swing": self.swing.currentData(), "humanize": self.humanize.value(),
                "articulation": self.articulation.currentData(),
                **self.line_values()}

    def apply(self, values: dict) -> None:
        low, high = values.get("pitch_low"), values.get("pitch_high")
        if low not in (None, "") and high not in (None, ""):
            # widen both limits first, so neither value is clamped by the other's old one
            self.pitch_low.setMaximum(PITCH_HIGH)
            self.pitch_high.setMinimum(PITCH_LOW)
            self.pitch_low.setValue(int(float(low)))
            self.pitch_high.setValue(int(float(high)))
            self.pitch_high.setMinimum(self.pitch_low.value())
            self.pitch_low.setMaximum(self.pitch_high.value())
        if values.get("primer_midi") is not None:
            self.primer.setText(str(values["primer_midi"]))
        if values.get("primer_bars") not in (None, ""):
            self.primer_bars.setValue(int(float(values["primer_bars"])))
        index = self.swing.findData(str(values.get("swing", "")))
        if index >= 0:
            self.swing.setCurrentIndex(index)
        if values.get("humanize") not in (None, ""):
            self.humanize.setValue(float(values["humanize"]))
        index = self.articulation.findData(str(values.get("articulation", "")))
        if index >= 0:
            self.articulation.setCurrentIndex(index)
        if "licks" in values:   # None: tuned (a take from before licks has no key: box kept)
            licks = values["licks"]
            self.licks.setValue(LICKS_TUNED if licks in (None, "") else float(licks))
        for key in ("pitch_temperature", "rhythm_temperature"):
            if key in values:   # None: tuned
                value = values[key]
                getattr(self, key).setValue(TEMPERATURE_TUNED if value in (None, "") else float(value))


def line_settings(values: dict) -> dict:
    """``JazzSettings`` keywords for the line's temperatures and licks from a take's or the
    form's values (missing or None: tuned for the model, ``generate.for_model``): one
    reading for the Generate tab and the live window."""
    return {key: None if values.get(key) in (None, "") else float(values[key]) for key in LINE_KEYS}


def register_setting(values: dict) -> dict:
    """The ``register`` keyword of the instrument a take's values name by its program (the
    tenor, an unknown program or none: the model's own): the Generate tab's and the live
    window's one reading."""
    from studio.music.perform.instruments import instrument_for_program

    try:
        inst = instrument_for_program(int(values.get("program", 66)))
    except (TypeError, ValueError):
        inst = None
    return {"register": inst.register if inst is not None else None}
