"""Per-character probability view for the Score tab.

Each scored alternative is one line of boxes, one per predicted token, coloured from
red (the model found it unlikely) to green (expected). Hovering a box shows what the
model expected there instead (the top candidates with their probabilities).
"""

from __future__ import annotations

import bisect
import math

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

PAD = 6
LABEL_W = 28


def prob_colour(prob: float) -> QColor:
    """log-scaled: 1e-3 or less is red, 0.9 and more is green (hue 0 -> 120)."""
    x = (math.log10(max(prob, 1e-3)) + 3) / (3 + math.log10(0.9))
    x = max(0.0, min(1.0, x))
    return QColor.fromHsvF(x * 120 / 360, 0.45, 1.0)


def show_token(token: str) -> str:
    return {"": "⏎", "<end>": "⏎", " ": "␣", "\n": "↵", "\t": "⇥"}.get(token, token)


class CharProbView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list = []          # ScoreResult per line
        self.boxes: list[tuple[QRect, object]] = []   # (rect, StepScore) for hit tests
        self._box_tops: list[int] = []
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(10.0, font.pointSizeF() + 1))
        self.setFont(font)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._height = 40

    def set_results(self, results: list) -> None:
        self.rows = list(results)
        self._layout(self.width())
        self.updateGeometry()
        self.update()

    def _cell(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(max(metrics.horizontalAdvance("W"), 10) + 4, metrics.height() + 6)

    def _layout(self, width: int) -> None:
        cell = self._cell()
        self.boxes = []
        y = PAD
        usable = max(cell.width() * 8, width - LABEL_W - 2 * PAD)
        per_line = max(1, usable // cell.width())
        self._row_tops = []
        for result in self.rows:
            self._row_tops.append(y)
            # Text is scored from its second character: the first is context, not a
            # prediction. It is drawn grey (step None) so the line still reads whole.
            unscored = max(0, len(result.text) - len(result.steps)) if isinstance(result.text, str) else 0
            steps = [_Context(ch) for ch in result.text[:unscored]] + list(result.steps)
            for i, step in enumerate(steps):
                line, col = divmod(i, per_line)
                rect = QRect(PAD + LABEL_W + col * cell.width(), y + line * cell.height(),
                             cell.width() - 1, cell.height() - 2)
                self.boxes.append((rect, step))
            lines = max(1, -(-len(steps) // per_line))
            y += lines * cell.height() + PAD * 2
        self._height = max(40, y)
        self._box_tops = [rect.top() for rect, _step in self.boxes]  # in order: bisected

    def _boxes_in(self, area: QRect) -> list:
        """The boxes that meet ``area``: a scored text of 50k characters has 50k boxes,
        and painting or hit-testing them all took the UI thread tens of ms a time."""
        cell = self._cell().height()
        lo = bisect.bisect_left(self._box_tops, area.top() - cell)
        hi = bisect.bisect_right(self._box_tops, area.bottom() + 1)
        return [(rect, step) for rect, step in self.boxes[lo:hi] if rect.intersects(area)]

    def sizeHint(self) -> QSize:
        return QSize(400, self._height)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self._height)

    def resizeEvent(self, event) -> None:
        old = self._height
        self._layout(event.size().width())
        if self._height != old:
            self.updateGeometry()
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if not self.rows:
            painter.setPen(QColor("#888"))
            painter.drawText(self.rect().adjusted(PAD, PAD, 0, 0),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                             "Score some alternatives to see how likely each next character was.")
            return
        label_font = QFont(self.font())
        label_font.setBold(True)
        for index, top in enumerate(self._row_tops):
            painter.setFont(label_font)
            painter.setPen(QColor("#333"))
            painter.drawText(QRect(PAD, top, LABEL_W - 4, self._cell().height()),
                             Qt.AlignmentFlag.AlignVCenter, f"{index + 1}.")
        painter.setFont(self.font())
        for rect, step in self._boxes_in(event.rect()):
            painter.fillRect(rect, QColor("#e4e4e4") if isinstance(step, _Context)
                             else prob_colour(step.prob))
            painter.setPen(QPen(QColor("#00000022"), 1))
            painter.drawRect(rect)
            painter.setPen(QColor("#111"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, show_token(step.token))

    def step_at(self, pos: QPoint):
        for rect, step in self._boxes_in(QRect(pos, pos)):
            if rect.contains(pos) and not isinstance(step, _Context):
                return step
        return None

    def scored_boxes(self) -> list:
        return [(rect, step) for rect, step in self.boxes if not isinstance(step, _Context)]

    def tooltip_for(self, step) -> str:
        lines = [f"<b>{_esc(show_token(step.token))}</b>: p = {step.prob:.4f}", "expected:"]
        for token, prob in step.top:
            lines.append(f"&nbsp;&nbsp;{_esc(show_token(token))} &nbsp; {prob:.3f}")
        return "<br>".join(lines)

    def mouseMoveEvent(self, event) -> None:
        step = self.step_at(event.position().toPoint())
        if step is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_for(step), self)
        super().mouseMoveEvent(event)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Context:
    """A character shown for context but not predicted (the first one of a text)."""

    def __init__(self, token: str):
        self.token = token
        self.prob = None
