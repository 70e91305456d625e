"""Take history: every generation is kept with its model and settings.

Picking a take shows it again and puts its model and settings (seed, temperature,
top-k/p, length, chart, tempo, ...) back into the form, so a good take can be varied
or reproduced; "Export…" saves it again (MIDI/WAV for jazz, text otherwise). The
history survives a restart (``take_store``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton,
                               QVBoxLayout, QWidget)


@dataclass
class Take:
    number: int
    domain: str                 # names | text | jazz
    model_name: str
    model_path: str
    device: str
    settings: dict              # SamplingForm.values() (+ jazz chart/tempo/instrument)
    result: object = None       # list[str] names / str text / Solo for jazz
    extra: dict = field(default_factory=dict)   # e.g. names -> "new"/"in corpus" marks
    created: float = field(default_factory=time.time)
    stopped: bool = False

    def title(self) -> str:
        """Two short lines (the list is a narrow column): what, then how."""
        s = self.settings
        first = f"#{self.number}  {self.model_name}" + ("  (stopped)" if self.stopped else "")
        if s.get("continued_from") is not None:   # Continue: the take it goes on from, and where
            where = (f"bar {int(s['keep_bars']) + 1}" if "keep_bars" in s
                     else f"char {s.get('from_char', 0)}")
            first += f"  (#{s['continued_from']} from {where})"
        how = [f"T {float(s.get('temperature', 1.0)):g}", f"seed {s.get('seed', '?')}"]
        if self.domain == "jazz" and s.get("chart_name"):
            how.insert(0, str(s["chart_name"]))
        return first + "\n" + " · ".join(how)

    def summary(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.created))
        s = self.settings
        lines = [f"{when}  {self.model_name} on {self.device}",
                 f"temperature {s.get('temperature')}, top-k {s.get('top_k')}, "
                 f"top-p {s.get('top_p')}, length {s.get('length')}, count {s.get('count')}, "
                 f"seed {s.get('seed')}"]
        if s.get("primer"):
            lines.append(f"start: {s['primer']!r}")
        if self.domain == "jazz":
            lines.append(f"chart: {s.get('chart', '')}  tempo {s.get('tempo')}")
        return "\n".join(lines)


class TakeHistory(QWidget):
    picked = Signal(object)         # the user picked a take: show it, restore its settings
    export_take = Signal(object)    # save it again
    audition = Signal(object)       # play it without showing it (jazz takes)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.takes: list[Take] = []
        title = QLabel("<b>Takes</b>")
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setToolTip("Pick a take to see it again with its settings")
        self.list.currentItemChanged.connect(self._current_changed)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the picked take again (MIDI for jazz, text otherwise)")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget every take (also the ones kept from earlier sessions)")
        self.clear_button.clicked.connect(self.clear)
        # hear a take without loading it into the editor (a click would open it): the
        # list's context menu, on the take under the mouse
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._adding = False

    def next_number(self) -> int:
        return (self.takes[-1].number + 1) if self.takes else 1

    def add(self, take: Take, select: bool = True) -> None:
        """Append a finished take and select it (without re-showing it)."""
        self.takes.append(take)
        item = QListWidgetItem(take.title())
        item.setData(Qt.ItemDataRole.UserRole, take.number)
        item.setToolTip(take.summary())
        self._adding = True
        self.list.insertItem(0, item)  # newest on top
        if select:
            self.list.setCurrentItem(item)
        self._adding = False

    def load(self, takes: list[Take]) -> None:
        """Takes kept from earlier sessions (oldest first); none is selected."""
        for take in takes:
            self.add(take, select=False)

    def highlight(self, number: int | None) -> None:
        """Mark take ``number`` (None: no take) as the current one without re-showing it:
        the highlighted take is always the one drawn (issue 25, defect 9)."""
        self._adding = True
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == number:
                self.list.setCurrentRow(row)
                break
        else:
            self.list.setCurrentItem(None)
            self.list.clearSelection()
        self.export_button.setEnabled(self.list.currentItem() is not None)
        self._adding = False

    def current(self) -> Take | None:
        item = self.list.currentItem()
        if item is None:
            return None
        number = item.data(Qt.ItemDataRole.UserRole)
        return next((t for t in self.takes if t.number == number), None)

    def _current_changed(self, item, _previous) -> None:
        self.export_button.setEnabled(item is not None)
        take = self.current()
        if take is not None and not self._adding:
            self.picked.emit(take)

    def take_at(self, item) -> Take | None:
        number = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((t for t in self.takes if t.number == number), None)

    def context_actions(self, item) -> list:
        """The context menu's actions for ``item`` (Audition for a jazz take)."""
        take = self.take_at(item)
        if take is None or take.domain != "jazz" or take.result is None:
            return []
        action = QAction(f"Audition take #{take.number} (play without opening it)", self)
        action.triggered.connect(lambda _=False, t=take: self.audition.emit(t))
        return [action]

    def _context_menu(self, pos) -> None:
        actions = self.context_actions(self.list.itemAt(pos))
        if actions:
            QMenu.exec(actions, self.list.viewport().mapToGlobal(pos), None, self.list)

    def _export(self) -> None:
        take = self.current()
        if take is not None:
            self.export_take.emit(take)

    def remove(self, take: Take) -> None:
        """Forget one take (Undo of a Continue); no other take is shown for it."""
        self.takes = [t for t in self.takes if t is not take]
        self._adding = True
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == take.number:
                self.list.takeItem(row)
                break
        self._adding = False

    def clear(self) -> None:
        self.takes.clear()
        self.list.clear()
        self.cleared.emit()
