"""Take history: every generation is kept with its model and settings.

Selecting a take shows it again (a jazz take can be replayed and exported); "Restore
settings" puts its model and sampling settings back into the form, so a good take
can be varied or reproduced (its RNG seed is part of the settings).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
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
        s = self.settings
        temp = s.get("temperature", 1.0)
        bits = [f"#{self.number}", self.model_name, f"T {temp:g}", f"seed {s.get('seed', '?')}"]
        if self.domain == "jazz" and s.get("chart_name"):
            bits.insert(2, s["chart_name"])
        if self.stopped:
            bits.append("(stopped)")
        return "  ".join(bits)

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
    show_take = Signal(object)      # the user picked a take to see / hear again
    restore_take = Signal(object)   # put its settings back into the form

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.takes: list[Take] = []
        title = QLabel("<b>Takes</b>")
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.currentItemChanged.connect(self._current_changed)
        self.restore_button = QPushButton("Restore settings")
        self.restore_button.setToolTip("Put this take's model and settings back into the form")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._restore)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
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

    def add(self, take: Take) -> None:
        """Append a finished take and select it (without re-showing it)."""
        self.takes.append(take)
        item = QListWidgetItem(take.title())
        item.setData(Qt.ItemDataRole.UserRole, take.number)
        item.setToolTip(take.summary())
        self._adding = True
        self.list.insertItem(0, item)  # newest on top
        self.list.setCurrentItem(item)
        self._adding = False

    def current(self) -> Take | None:
        item = self.list.currentItem()
        if item is None:
            return None
        number = item.data(Qt.ItemDataRole.UserRole)
        return next((t for t in self.takes if t.number == number), None)

    def _current_changed(self, item, _previous) -> None:
        self.restore_button.setEnabled(item is not None)
        take = self.current()
        if take is not None and not self._adding:
            self.show_take.emit(take)

    def _restore(self) -> None:
        take = self.current()
        if take is not None:
            self.restore_take.emit(take)

    def clear(self) -> None:
        self.takes.clear()
        self.list.clear()
