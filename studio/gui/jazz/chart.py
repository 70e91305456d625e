"""The chord chart of the jazz panel: a preset list, the chart text and its live check.

Choosing a preset replaces the text as one undoable edit and says so; the chart typed
before it is kept, and choosing "Custom" brings it back. Typing a preset's text selects
it, anything else is "Custom". The text is parsed 300 ms after the last keystroke and a
bad bar or chord is named under it (before anyone presses Generate), as is a chart read
in a way that was probably not meant (no bar lines).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit

from studio.music.chart import PRESETS, ChartError, chart_notes, parse_chart

CUSTOM = "Custom"
DEFAULT_PRESET = "Bb blues"


class ChartEditor(QObject):
    """Owns the ``preset`` combo, the ``chart`` editor and the ``status`` line; the panel
    lays them out."""

    def __init__(self, parent: QObject | None = None):
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
        self.status = QLabel()
        self.status.setWordWrap(True)
        self._custom_text: str | None = None  # the typed chart a preset replaced
        self.chart.setPlainText(PRESETS.get(DEFAULT_PRESET, ""))
        self.preset.setCurrentText(DEFAULT_PRESET if DEFAULT_PRESET in PRESETS else CUSTOM)
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self._check_timer = QTimer(self, singleShot=True, interval=300)
        self._check_timer.timeout.connect(self.edited)
        self.chart.textChanged.connect(self._check_timer.start)

    def text(self) -> str:
        return self.chart.toPlainText()

    def name(self) -> str:
        """The preset's name, or "Custom"; up to date even mid-debounce."""
        self.edited()
        return self.preset.currentText()

    def _preset_chosen(self, name: str) -> None:
        text = self.chart.toPlainText()
        if name in PRESETS:
            replaced = text.strip() and text not in PRESETS.values()
            if replaced:
                self._custom_text = text
            self.set_text(PRESETS[name])
            if replaced:
                self._show("Your chart is kept: choose Custom (or Ctrl+Z) to get it back.",
                           error=False)
        elif name == CUSTOM and self._custom_text is not None:
            self.set_text(self._custom_text)

    def _show(self, message: str, error: bool) -> None:
        self.status.setStyleSheet("color: #a00" if error else "color: #555")
        self.status.setText(message)

    def set_text(self, text: str) -> None:
        """Replace the chart as one edit: Undo (Ctrl+Z, Edit > Undo) brings the old one back
        (``setPlainText`` would wipe the editor's undo history)."""
        if text == self.chart.toPlainText():
            return
        cursor = self.chart.textCursor()
        cursor.beginEditBlock()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()

    def edited(self) -> None:
        """Follow the text: the matching preset (or Custom) and the check's message."""
        text = self.chart.toPlainText()
        if PRESETS.get(self.preset.currentText()) != text:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(next((k for k, v in PRESETS.items() if v == text), CUSTOM))
            self.preset.blockSignals(False)
        typed = bool(text.strip()) and text not in PRESETS.values()
        if typed:
            self._custom_text = None  # typed anew: Custom now means this text
        try:
            chart = parse_chart(text)
        except (ChartError, ValueError) as exc:
            self._show(f"{exc} (chart syntax: Help, F1)", error=True)
            return
        if not chart.bar_count:
            self._show("The chart has no bars.", error=True)
            return
        notes = chart_notes(text)
        if notes:
            self._show(notes[0][0].upper() + notes[0][1:] + ".", error=False)
        elif typed or not self.status.text().startswith("Your chart is kept"):
            self._show("", error=False)

    def check(self) -> None:
        """Raise ValueError (ChartError) when the chart cannot be played."""
        chart = parse_chart(self.chart.toPlainText())
        if not chart.bar_count:
            raise ValueError("The chart has no bars: type bars like | Dm7 | G7 | Cmaj7 |")
