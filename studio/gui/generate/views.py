"""Output views of the Generate tab for names and text.

Names are a table marked "new" or "in corpus" (makemore's labels): a generator that
only recites its training names has memorised, not learned. Text streams into a
read-only editor as it is sampled.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTableWidgetItem, QVBoxLayout, QWidget

from studio.gui.shared.layout import result_table

from studio.core.sampling.generate import KNOWN, NEW, REPEAT, UNKNOWN, mark_names  # noqa: F401


class NamesView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = result_table(["Name", "Seen in training?"], stretch=0)
        self.table.setAlternatingRowColors(True)
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.table.setFont(font)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

    def show_names(self, marked: list[tuple[str, str]]) -> None:
        self.table.setRowCount(0)
        self.table.setRowCount(len(marked))
        colours = {NEW: QColor("#1b7a3a"), KNOWN: QColor("#8a6d00"), UNKNOWN: QColor("#777"),
                   REPEAT: QColor("#777")}
        for row, (name, mark) in enumerate(marked):
            self.table.setItem(row, 0, QTableWidgetItem(name or "(empty)"))
            item = QTableWidgetItem(mark)
            item.setForeground(colours[mark])
            if mark == UNKNOWN:
                item.setToolTip("This model's file does not list its training names")
            elif mark == REPEAT:
                item.setToolTip("Given earlier in this batch: counted once")
            self.table.setItem(row, 1, item)
        new = sum(1 for _, m in marked if m == NEW)
        known = sum(1 for _, m in marked if m == KNOWN)
        repeats = sum(1 for _, m in marked if m == REPEAT)
        again = f", {repeats} repeated in this batch" if repeats else ""
        if marked and all(m in (UNKNOWN, REPEAT) for _, m in marked):
            self.summary.setText(f"{len(marked)} names (training names unknown for this model)"
                                 + again)
        else:
            self.summary.setText(f"{len(marked)} names: {new} new, {known} from the training "
                                 f"corpus{again}")

    def names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def marks(self) -> list[str]:
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.summary.clear()


class TextView(QPlainTextEdit):
    """Read-only text that grows as pieces arrive, following the end unless scrolled up.

    ``start_rows(n, prefix)`` lays out one section per row of a batched pass; each
    row keeps a ``QTextCursor`` at its end, so ``append_rows`` grows every row in
    place (Qt moves the later rows' cursors along as earlier rows grow).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(9.0, font.pointSizeF()))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setPlaceholderText("Sampled text streams in here.")
        self._rows: list[QTextCursor] = []

    def start_rows(self, count: int, prefix: str = "") -> None:
        """One section per row (headed ``--- take n ---`` when there are several)."""
        self.setPlainText("")
        ends = []
        for row in range(count):
            if count > 1:
                self._append(("\n\n" if row else "") + f"--- {take_title(row)} ---\n", bold=True)
            if prefix:
                self._append(prefix, bold=True)
            ends.append(self.document().characterCount() - 1)
        self._rows = []
        for end in ends:  # made once the layout is complete: positions no longer move
            cursor = QTextCursor(self.document())
            cursor.setPosition(end)
            self._rows.append(cursor)

    def append_rows(self, pieces: list[str]) -> None:
        """``pieces[i]``: the new text of row i (may be empty)."""
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 4
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Normal)
        for cursor, text in zip(self._rows, pieces):
            if text:
                cursor.insertText(text, fmt)
        if following:
            bar.setValue(bar.maximum())

    def _append(self, text: str, bold: bool = False) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        fmt = cursor.charFormat()
        fmt.setFontWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        cursor.insertText(text, fmt)

    def text(self) -> str:
        return self.toPlainText()


def take_title(row: int) -> str:
    return f"take {row + 1}"


def rows_text(texts: list[str]) -> str:
    """Several takes as one text, each under its ``--- take n ---`` line (one: as it is)."""
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join(f"--- {take_title(i)} ---\n{t}" for i, t in enumerate(texts))
