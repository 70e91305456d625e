"""Output views of the Generate tab for names and text.

Names are a table marked "new" or "in corpus" (makemore's labels): a generator that
only recites its training names has memorised, not learned. Text streams into a
read-only editor as it is sampled.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPlainTextEdit,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

NEW, KNOWN, UNKNOWN = "new", "in corpus", "unknown"


def mark_names(names: list[str], known: set[str] | None) -> list[tuple[str, str]]:
    """(name, mark) pairs; the mark is ``unknown`` when the model did not keep its corpus."""
    if known is None:
        return [(n, UNKNOWN) for n in names]
    lowered = {k.lower() for k in known}
    return [(n, KNOWN if n.lower() in lowered else NEW) for n in names]


class NamesView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Name", "Seen in training?"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
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
        colours = {NEW: QColor("#1b7a3a"), KNOWN: QColor("#8a6d00"), UNKNOWN: QColor("#777")}
        for row, (name, mark) in enumerate(marked):
            self.table.setItem(row, 0, QTableWidgetItem(name or "(empty)"))
            item = QTableWidgetItem(mark)
            item.setForeground(colours[mark])
            if mark == UNKNOWN:
                item.setToolTip("This model's file does not list its training names")
            self.table.setItem(row, 1, item)
        new = sum(1 for _, m in marked if m == NEW)
        known = sum(1 for _, m in marked if m == KNOWN)
        if marked and all(m == UNKNOWN for _, m in marked):
            self.summary.setText(f"{len(marked)} names (training names unknown for this model)")
        else:
            self.summary.setText(f"{len(marked)} names: {new} new, {known} from the training corpus")

    def names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def marks(self) -> list[str]:
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.summary.clear()


class TextView(QPlainTextEdit):
    """Read-only text that grows as pieces arrive, following the end unless scrolled up."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(9.0, font.pointSizeF()))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setPlaceholderText("Sampled text streams in here.")

    def start(self, prefix: str = "") -> None:
        self.setPlainText("")
        if prefix:
            self._append(prefix, bold=True)

    def append_pieces(self, pieces: list[str]) -> None:
        self._append("".join(pieces))

    def _append(self, text: str, bold: bool = False) -> None:
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        fmt = cursor.charFormat()
        fmt.setFontWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        cursor.insertText(text, fmt)
        if following:
            bar.setValue(bar.maximum())

    def separator(self, title: str) -> None:
        self._append(f"\n\n--- {title} ---\n", bold=True)

    def text(self) -> str:
        return self.toPlainText()
