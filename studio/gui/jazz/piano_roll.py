"""A piano roll for jazz takes: notes, a chord lane, bar lines and a playhead.

It draws a ``studio.music.types.Solo`` (ticks, 12 per beat) into a QGraphicsScene.
The vertical scale fits the take's pitch range into the view; the horizontal scale
is pixels per beat (Ctrl+wheel zooms). The playhead is one line item moved by
``set_playhead`` and kept in view while playing. A click picks a bar (``bar_picked``):
Continue plays the take again from there, so the bars from it on are shaded
(``set_selected_bar``).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QGraphicsLineItem, QGraphicsRectItem, QGraphicsScene,
                               QGraphicsSimpleTextItem, QGraphicsView, QWidget)

LANE = 24          # chord lane height (px)
RULER = 16         # bar-number ruler height (px)
KEYS = 28          # pitch labels on the left (px)
BLACK = {1, 3, 6, 8, 10}
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def chord_label(chord) -> str:
    """Chord symbol text, whatever the music package calls it."""
    for attr in ("symbol", "name"):
        value = getattr(chord, attr, None)
        if isinstance(value, str):
            return value
        if callable(value):
            try:
                return str(value())
            except TypeError:
                pass
    return str(chord)


def pitch_name(pitch: int) -> str:
    return f"{NAMES[pitch % 12]}{pitch // 12 - 1}"


class PianoRoll(QGraphicsView):
    bar_picked = Signal(int)      # a click on bar i (0-based)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundBrush(QColor("#fafafa"))
        self.setMinimumHeight(180)
        self.solo = None
        self.px_per_beat = 36.0
        self.playhead: QGraphicsLineItem | None = None
        self.note_items: list[QGraphicsRectItem] = []
        self.bar_lines = 0
        self.selected_bar: int | None = None
        self._draw()

    # -- public ----------------------------------------------------------------
    def set_solo(self, solo, fit: bool = True) -> None:
        """Show ``solo``; ``fit`` scales time so the whole take (its chart) fits the view."""
        self.solo = solo
        if fit and solo is not None:
            beats = max(solo.end_tick, solo.ticks_per_bar) / solo.ticks_per_beat
            usable = self.viewport().width() - KEYS - 24
            self.px_per_beat = max(12.0, min(60.0, usable / max(1.0, beats)))
        self._draw()
        self.horizontalScrollBar().setValue(0)

    def set_playhead(self, tick: float | None) -> None:
        """Move the playhead to ``tick`` (None hides it) and keep it in view."""
        if self.playhead is None:
            return
        if tick is None or self.solo is None:
            self.playhead.hide()
            return
        x = KEYS + tick / self.solo.ticks_per_beat * self.px_per_beat
        self.playhead.setPos(x, 0)
        self.playhead.show()
        bar = self.horizontalScrollBar()
        left, width = bar.value(), self.viewport().width()
        if not left + 40 <= x <= left + width - 40:
            bar.setValue(int(max(0, x - 80)))

    def set_selected_bar(self, bar: int | None) -> None:
        """Shade bar ``bar`` (0-based) and the bars after it: what Continue plays again."""
        self.selected_bar = bar
        self._draw()

    def bar_at(self, x: float) -> int | None:
        """The bar under the scene x coordinate (None outside the take)."""
        solo = self.solo
        if solo is None:
            return None
        bar = int((x - KEYS) // (solo.beats_per_bar * self.px_per_beat))
        bars = -(-max(solo.end_tick, solo.ticks_per_bar) // solo.ticks_per_bar)
        return bar if x >= KEYS and 0 <= bar < bars else None

    def zoom(self, factor: float) -> None:
        self.px_per_beat = max(6.0, min(200.0, self.px_per_beat * factor))
        self._draw()

    # -- events ----------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._draw()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            bar = self.bar_at(self.mapToScene(event.position().toPoint()).x())
            if bar is not None:
                self.bar_picked.emit(bar)
                event.accept()
                return
        super().mousePressEvent(event)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
            return
        # a plain wheel scrolls through time: there is nothing to scroll vertically
        bar = self.horizontalScrollBar()
        bar.setValue(bar.value() - event.angleDelta().y())
        event.accept()

    # -- drawing ---------------------------------------------------------------
    def _draw(self) -> None:
        scene = self.scene()
        scene.clear()
        self.note_items = []
        self.playhead = None
        self.bar_lines = 0
        height = max(120, self.viewport().height() - 2)
        solo = self.solo
        if solo is None or not (solo.notes or solo.chords):
            text = scene.addSimpleText("Generate a jazz take to see it here.")
            text.setBrush(QColor("#888"))
            text.setPos(KEYS + 10, height / 2 - 10)
            scene.setSceneRect(0, 0, max(200, self.viewport().width() - 2), height)
            return
        tpb = solo.ticks_per_beat
        end = max(solo.end_tick, solo.ticks_per_bar)
        bars = -(-end // solo.ticks_per_bar)
        width = KEYS + bars * solo.beats_per_bar * self.px_per_beat + 20
        pitches = [n.pitch for n in solo.notes] or [60]
        low, high = min(pitches) - 2, max(pitches) + 2
        if high - low < 24:  # at least two octaves, centred, so one riff does not look huge
            pad = (24 - (high - low)) // 2
            low, high = low - pad, high + (24 - (high - low) - pad)
        top = RULER + LANE
        row = max(2.0, (height - top) / (high - low + 1))

        def y_of(pitch: int) -> float:
            return top + (high - pitch) * row

        # pitch rows: black keys shaded, C labelled
        for p in range(low, high + 1):
            y = y_of(p)
            if p % 12 in BLACK:
                scene.addRect(QRectF(KEYS, y, width - KEYS, row), QPen(Qt.PenStyle.NoPen),
                              QBrush(QColor("#eeeef2")))
            if p % 12 == 0:
                label = scene.addSimpleText(pitch_name(p))
                label.setFont(_font(7))
                label.setBrush(QColor("#666"))
                label.setPos(2, y + row / 2 - 6)
                scene.addLine(KEYS, y + row, width, y + row, QPen(QColor("#d8d8de"), 0))
        # beats and bars
        beat_pen, bar_pen = QPen(QColor("#e2e2e8"), 0), QPen(QColor("#9a9aa8"), 0)
        for beat in range(bars * solo.beats_per_bar + 1):
            x = KEYS + beat * self.px_per_beat
            is_bar = beat % solo.beats_per_bar == 0
            if is_bar or self.px_per_beat >= 14:
                scene.addLine(x, RULER, x, height, bar_pen if is_bar else beat_pen)
            if is_bar:
                self.bar_lines += 1
                number = beat // solo.beats_per_bar + 1
                if beat < bars * solo.beats_per_bar:
                    label = scene.addSimpleText(str(number))
                    label.setFont(_font(7))
                    label.setBrush(QColor("#555"))
                    label.setPos(x + 3, 1)
        # chord lane
        scene.addRect(QRectF(KEYS, RULER, width - KEYS, LANE), QPen(Qt.PenStyle.NoPen),
                      QBrush(QColor("#f0ede4")))
        for span in solo.chords:
            x0 = KEYS + span.start / tpb * self.px_per_beat
            x1 = KEYS + span.end / tpb * self.px_per_beat
            box = scene.addRect(QRectF(x0 + 1, RULER + 2, max(2.0, x1 - x0 - 2), LANE - 4),
                                QPen(QColor("#b8a878"), 0), QBrush(QColor("#fff8e0")))
            box.setToolTip(chord_label(span.chord))
            text = QGraphicsSimpleTextItem(chord_label(span.chord), box)
            text.setFont(_font(8, bold=True))
            text.setBrush(QColor("#5a4a20"))
            text.setPos(x0 + 4, RULER + 5)
            if text.boundingRect().width() > x1 - x0 - 6:
                text.setFont(_font(6, bold=True))
        # notes, coloured by velocity
        for note in solo.notes:
            x = KEYS + note.start / tpb * self.px_per_beat
            w = max(2.0, note.duration / tpb * self.px_per_beat - 1)
            shade = QColor("#1f5fa8").lighter(int(100 + (127 - note.velocity) * 0.6))
            item = scene.addRect(QRectF(x, y_of(note.pitch) + 0.5, w, max(1.5, row - 1)),
                                 QPen(QColor("#123d6e"), 0), QBrush(shade))
            item.setToolTip(f"{pitch_name(note.pitch)}  bar {note.start // solo.ticks_per_bar + 1}"
                            f"  beat {note.start % solo.ticks_per_bar / tpb + 1:g}"
                            f"  {note.duration / tpb:g} beats  vel {note.velocity}")
            self.note_items.append(item)
        if self.selected_bar is not None and self.selected_bar < bars:
            # Continue plays these bars again: shaded from the picked bar to the end
            x0 = KEYS + self.selected_bar * solo.beats_per_bar * self.px_per_beat
            shade = scene.addRect(QRectF(x0, RULER, width - 20 - x0, height - RULER),
                                  QPen(Qt.PenStyle.NoPen), QBrush(QColor(255, 170, 60, 50)))
            shade.setZValue(5)
            shade.setToolTip(f"Continue plays bar {self.selected_bar + 1} on again")
            edge = scene.addLine(x0, 0, x0, height, QPen(QColor("#e07800"), 2))
            edge.setZValue(6)
            for item in self.note_items:   # the notes as they are, over the shade
                item.setZValue(7)
        self.playhead = scene.addLine(0, RULER, 0, height, QPen(QColor("#d03030"), 2))
        self.playhead.setZValue(10)
        self.playhead.hide()
        scene.setSceneRect(0, 0, width, height)


def _font(points: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(points)
    font.setBold(bold)
    return font
