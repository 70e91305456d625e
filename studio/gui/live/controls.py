"""The Live window's input controls for trading: how the player's phrase is heard (input
quantize, the keyboard's latency, where the phrase ends: its bars, or silence). Built and remembered here so
the window stays one screen of code; ``trade_fields`` gives ``TradeSettings`` fields."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel

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
