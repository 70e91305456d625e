"""The Live window's input controls for trading: how the player's phrase is heard (input
quantize, the keyboard's latency, where the phrase ends: its bars, or silence), and the
output's routing (channels per part, program changes, MIDI thru). Built and remembered
here so the window stays one screen of code; ``trade_fields`` gives ``TradeSettings``
fields, ``route`` ``LiveEngine.route``'s."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox

# the window's label: TradeSettings.quantize (ticks, 12 a beat), as the CLI's --quantize
QUANTIZE = (("off", 1), ("16th", 3), ("8th triplet", 4), ("8th", 6))


class InputControls:
    """Quantize, input latency (ms) and phrase end, for the Trade mode."""

    def __init__(self):
        self.quantize = QComboBox()
        for label, ticks in QUANTIZE:
            self.quantize.addItem(label, ticks)
        self.quantize.setToolTip("Input quantize: the grid your phrase is heard on")
        self.latency = QDoubleSpinBox()
        self.latency.setRange(0.0, 500.0)
        self.latency.setDecimals(0)
        self.latency.setSuffix(" ms")
        self.latency.setToolTip("Input latency: how late your keyboard's notes arrive; "
                                "taken off their times")
        self.silence = QDoubleSpinBox()       # TradeSettings.silence_beats (0: off)
        self.silence.setRange(0.0, 16.0)
        self.silence.setSingleStep(0.5)
        self.silence.setDecimals(1)
        self.silence.setSpecialValueText("off")
        self.silence.setSuffix(" beats")
        self.silence.setToolTip("Phrase end: off = your phrase is the block's bars; else it "
                                "ends once you have been silent this long after playing, and "
                                "the answer comes in at the next bar line")

    def widgets(self) -> list:
        return [QLabel("quantize"), self.quantize, QLabel("latency"), self.latency,
                QLabel("end on silence"), self.silence]

    def row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for w in self.widgets():
            row.addWidget(w)
        row.addStretch(1)
        return row

    def set_enabled(self, on: bool) -> None:
        for w in (self.quantize, self.latency, self.silence):
            w.setEnabled(on)

    def trade_fields(self) -> dict:
        return {"quantize": int(self.quantize.currentData()),
                "latency_ms": float(self.latency.value()),
                "silence_beats": float(self.silence.value()) if self.silence.value() >= 0.5 else 0.0}

    def save(self, g) -> None:
        g.set("quantize", self.quantize.currentText())
        g.set("latency_ms", float(self.latency.value()))
        g.set("silence_beats", float(self.silence.value()))

    def restore(self, g) -> None:
        index = self.quantize.findText(g.get("quantize", "off"))
        self.quantize.setCurrentIndex(max(0, index))
        self.latency.setValue(g.get("latency_ms", 0.0, float))
        self.silence.setValue(g.get("silence_beats", 0.0, float))


class RoutingControls:
    """Solo / comping / bass channels (1-16), program changes on or off, MIDI thru of the
    player's notes on a channel (off, or 1-16), as the CLI's --channels,
    --no-program-changes and --thru."""

    PARTS = (("solo", 1), ("comping", 2), ("bass", 3))

    def __init__(self):
        self.channels = {}
        for part, default in self.PARTS:
            box = QSpinBox()
            box.setRange(1, 16)
            box.setValue(default)
            box.setToolTip(f"MIDI channel of the {part}")
            self.channels[part] = box
        self.programs = QCheckBox("Program changes")
        self.programs.setChecked(True)
        self.programs.setToolTip("Off: send no program changes (your DAW's or synth's sounds stay)")
        self.thru = QSpinBox()
        self.thru.setRange(0, 16)
        self.thru.setSpecialValueText("off")
        self.thru.setToolTip("MIDI thru: your notes passed on to the output on this channel (trading)")

    def row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for part, _ in self.PARTS:
            row.addWidget(QLabel(part))
            row.addWidget(self.channels[part])
        for w in (self.programs, QLabel("thru"), self.thru):
            row.addWidget(w)
        row.addStretch(1)
        return row

    def set_enabled(self, on: bool) -> None:
        for w in (*self.channels.values(), self.programs, self.thru):
            w.setEnabled(on)

    def route(self) -> dict:
        chans = [self.channels[part].value() - 1 for part, _ in self.PARTS]
        return {"channels": {i: c for i, c in enumerate(chans) if c != i},
                "program_changes": self.programs.isChecked(),
                "thru_channel": self.thru.value() - 1 if self.thru.value() else None}

    def save(self, g) -> None:
        for part, _ in self.PARTS:
            g.set(f"channel_{part}", self.channels[part].value())
        g.set("program_changes", self.programs.isChecked())
        g.set("thru", self.thru.value())

    def restore(self, g) -> None:
        for part, default in self.PARTS:
            self.channels[part].setValue(g.get(f"channel_{part}", default, int))
        self.programs.setChecked(g.get("program_changes", True, bool))
        self.thru.setValue(g.get("thru", 0, int))
