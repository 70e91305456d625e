"""A scrolling two-colour piano roll for live play: the player's phrases and the model's
answers as they happen, a playhead, bar lines and the trading blocks.

It is painted (QPainter in ``paintEvent``) from plain lists a timer hands it, so a
repaint costs the same however long the jam has been going: only the notes in view are
drawn. Times are song seconds (0 = the first downbeat).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

COLOURS = {"player": QColor("#2f6fd0"), "model": QColor("#e07b28")}
LABELS = {"player": "you", "model": "model"}
BLOCK_TINT = {"player": QColor(47, 111, 208, 22), "model": QColor(224, 123, 40, 22)}
KEYS = 30          # pitch labels (px)
RULER = 18         # bar numbers (px)


class LiveRoll(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(200)
        self.notes: list = []            # LiveNote (start, end, pitch, role)
        self.player: list = []           # the player's notes, replaced on every update
        self.position = 0.0
        self.bar_s = 1.0
        self.block_bars = 0              # trading block length (0: not trading)
        self.roles = lambda k: "model"   # block index -> role
        self.window_bars = 8
        self.low, self.high = 55, 79

    def reset(self, bar_s: float, block_bars: int = 0, roles=None, spans=None) -> None:
        """``spans``: block index -> (start, end) song s, where a call ended by silence
        moved the blocks (default: ``block_bars`` each)."""
        self.notes, self.player = [], []
        self.position = -1.0
        self.bar_s = bar_s
        self.block_bars = block_bars
        self.roles = roles or (lambda k: "model")
        self.spans = spans
        self.window_bars = max(8, 3 * block_bars)
        self.low, self.high = 55, 79
        self.update()

    def add_notes(self, notes) -> None:
        self.notes.extend(notes)
        self._fit(notes)

    def set_player(self, notes) -> None:
        self.player = list(notes)
        self._fit(self.player)

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.update()

    def counts(self) -> dict:
        """Notes drawn so far, per role (what a test or a status line wants)."""
        out = {"player": len(self.player), "model": 0}
        for n in self.notes:
            out[n.role] = out.get(n.role, 0) + 1
        return out

    def _fit(self, notes) -> None:
        pitches = [n.pitch for n in notes]
        if pitches:
            self.low = min(self.low, min(pitches) - 2)
            self.high = max(self.high, max(pitches) + 2)

    # -- painting ------------------------------------------------------------------------
    def _span(self) -> tuple[float, float]:
        width = self.window_bars * self.bar_s
        start = self.position - 0.7 * width
        return start, start + width

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#fafafa"))
        t0, t1 = self._span()
        w = max(1, self.width() - KEYS)
        h = max(1, self.height() - RULER)
        rows = self.high - self.low + 1

        def x(t):
            return KEYS + (t - t0) / (t1 - t0) * w

        def y(pitch):
            return RULER + (self.high - pitch) / rows * h

        self._blocks(p, x, t0, t1, h)
        self._bars(p, x, t0, t1)
        for note in self.notes + self.player:
            if note.end < t0 or note.start > t1:
                continue
            colour = COLOURS.get(note.role, QColor("#666"))
            rect = QRectF(x(note.start), y(note.pitch) - h / rows, max(2.0, x(note.end) - x(note.start)),
                          max(2.0, h / rows - 1))
            p.fillRect(rect, colour)
        p.setPen(QPen(QColor("#c00"), 2))
        p.drawLine(int(x(self.position)), RULER, int(x(self.position)), self.height())
        p.setPen(QColor("#555"))
        p.setFont(QFont(p.font().family(), 8))
        for pitch in range(self.low, self.high + 1):
            if pitch % 12 == 0:
                p.drawText(2, int(y(pitch)), f"C{pitch // 12 - 1}")
        self._legend(p)
        p.end()

    def _blocks(self, p, x, t0, t1, h) -> None:
        if not self.block_bars:
            return
        block_s = self.block_bars * self.bar_s
        span = self.spans or (lambda k: (k * block_s, (k + 1) * block_s))
        k = int(max(0.0, t0) // block_s)        # blocks only ever move earlier: a lower bound
        while span(k)[1] <= t0:
            k += 1
        while span(k)[0] < t1:
            role = self.roles(k)
            left, right = max(x(span(k)[0]), KEYS), x(span(k)[1])
            p.fillRect(QRectF(left, RULER, right - left, h), BLOCK_TINT[role])
            if right - left > 60:                   # no label squeezed against the edge
                p.setPen(COLOURS[role])
                p.drawText(int(left) + 4, RULER + 14, LABELS[role])
            k += 1

    def _bars(self, p, x, t0, t1) -> None:
        p.setPen(QPen(QColor("#ccc"), 1))
        bar = int(t0 // self.bar_s)
        while bar * self.bar_s <= t1:
            if bar >= 0:
                xx = int(x(bar * self.bar_s))
                if xx >= KEYS:
                    p.drawLine(xx, RULER, xx, self.height())
                    p.drawText(xx + 2, RULER - 4, str(bar + 1))
            bar += 1

    def _legend(self, p) -> None:
        xx = self.width() - 124
        p.fillRect(QRectF(xx - 4, RULER + 2, 124, 16), QColor(255, 255, 255, 220))
        for i, role in enumerate(("player", "model")):
            p.fillRect(QRectF(xx + i * 60, RULER + 5, 10, 10), COLOURS[role])
            p.setPen(QColor("#333"))
            p.drawText(xx + i * 60 + 14, RULER + 14, LABELS[role])
