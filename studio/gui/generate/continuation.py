"""Continue and Undo in the Generate tab (Magenta Studio's Continue, a DAW's regenerate).

Jazz: a click on a bar in the piano roll (or the "from bar" box) picks where to go on;
Continue keeps the bars before it note for note and plays the rest of the chart again,
with the model's state at that bar carried: ``studio.music.continuation.continue_solo``,
the function ``sequence-studio sample --primer take.mid --keep-bars N`` calls (through
the jazz panel's ``start_take``). Text: Continue goes on from the cursor, the text before
it as the start: the same path as Generate with that start (``stream_rows``), i.e.
``sequence-studio sample --prime TEXT``.

The new version is a take of its own in the history ("from #n"). Undo (the button, or
Ctrl+Z outside a text field) takes it back: it leaves the history and the take it came
from is shown again, exactly as it was.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSpinBox

from studio.gui.generate.takes import Take
from studio.gui.generate.views import take_title


class Continuation(QObject):
    def __init__(self, tab):
        super().__init__(tab)
        self.tab = tab
        self.undo_stack: list[tuple[Take, Take]] = []   # (the continued take, the one before)
        self.bar = QSpinBox()
        self.bar.setPrefix("from bar ")
        self.bar.setRange(1, 1)
        self.bar.setToolTip("The first bar to play again (or click a bar in the piano roll)")
        self.continue_button = QPushButton("Continue")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take the last Continue back (Ctrl+Z)")
        self.row = QHBoxLayout()
        self.row.addWidget(self.continue_button, 2)
        self.row.addWidget(self.bar, 1)
        self.row.addWidget(self.undo_button, 1)
        self.shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), tab)
        self.shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.shortcut.activated.connect(self.undo)
        self.continue_button.clicked.connect(self.start)
        self.undo_button.clicked.connect(self.undo)
        tab.jazz.roll.bar_picked.connect(self.pick)
        self.bar.valueChanged.connect(lambda value: tab.jazz.roll.set_selected_bar(value - 1))
        tab.busy_changed.connect(lambda _busy: self.update())
        tab.take_finished.connect(self._finished)
        tab.history.picked.connect(lambda _take: self.update())
        tab.views.currentChanged.connect(lambda _i: self.update())
        tab.text_view.cursorPositionChanged.connect(self.update)
        self.update()

    # -- what is shown -----------------------------------------------------------
    def shown(self) -> Take | None:
        """The take the current view draws (jazz or text), if it is in the history."""
        domain = {id(self.tab.jazz): "jazz", id(self.tab.text_view): "text"}.get(
            id(self.tab.views.currentWidget()))
        number = self.tab._drawn.get(domain)
        return next((t for t in self.tab.history.takes
                     if t.number == number and t.domain == domain), None)

    def update(self) -> None:
        take = self.shown()
        idle = not self.tab.is_busy()
        jazz = take is not None and take.domain == "jazz" and take.result is not None
        self.bar.setVisible(self.tab.views.currentWidget() is self.tab.jazz)
        if jazz:   # the box's range: the take's bars (a shaded pick follows a clamped value)
            bars = int(take.result.info.get("bars_planned") or take.result.bars)
            self.bar.blockSignals(True)
            self.bar.setRange(1, max(1, bars))
            self.bar.blockSignals(False)
            roll = self.tab.jazz.roll
            if roll.selected_bar is not None and roll.selected_bar != self.bar.value() - 1:
                roll.set_selected_bar(self.bar.value() - 1)
        self.continue_button.setText("Continue" if take is None or jazz else "Continue from cursor")
        self.continue_button.setToolTip(
            "Keep the bars before the picked bar and play the rest of the chart again" if jazz
            else "Go on from the cursor: the text before it is kept, the rest is sampled again")
        ok = jazz or (take is not None and take.domain == "text" and bool(take.result))
        self.continue_button.setEnabled(idle and ok)
        top = self.undo_stack[-1][0] if self.undo_stack else None
        self.undo_button.setEnabled(idle and top is not None and top is take)

    # -- Continue ----------------------------------------------------------------
    def start(self) -> None:
        take = self.shown()
        if take is None or self.tab.is_busy():
            return
        form = self.tab.form
        seed = form.next_seed()
        try:
            settings = form.settings(seed)
        except ValueError as exc:
            from studio.gui.shared.errors import show_error
            show_error(self.tab, "Continue", exc)
            return
        sampler = {k: v for k, v in form.values().items()
                   if k in ("temperature", "top_k", "top_p", "seed")}
        values = {**take.settings, **sampler, "continued_from": take.number}
        if take.domain == "jazz":
            keep = self.bar.value() - 1
            values["keep_bars"] = keep
            note = f"Continuing take #{take.number} from bar {keep + 1}…"
        else:
            row, offset = row_at(take.extra.get("texts") or [take.result], take.result,
                                 self.tab.text_view.textCursor().position())
            start = (take.extra.get("texts") or [take.result])[row][:offset]
            values.update(primer=start, count=1, from_char=offset, length=form.length.value())
            settings = replace(settings, count=1)
            note = f"Continuing take #{take.number} from character {offset}…"
        new = Take(self.tab.history.next_number(), take.domain, take.model_name, take.model_path,
                   take.device, values)
        new.extra["continues"] = take
        self.tab.launch(new, settings)
        self.tab.status.setText(note)

    def pick(self, bar: int) -> None:
        """A bar picked in the piano roll (0-based): Continue plays it on again."""
        self.bar.setValue(bar + 1)
        self.tab.jazz.roll.set_selected_bar(bar)

    def _finished(self, take: Take) -> None:
        previous = take.extra.pop("continues", None)
        if previous is not None:
            self.undo_stack.append((take, previous))
        elif take.domain == "jazz":   # a new take: no bar picked in it yet
            self.tab.jazz.roll.set_selected_bar(None)
        self.update()

    # -- Undo --------------------------------------------------------------------
    def undo(self) -> None:
        if not self.undo_button.isEnabled():
            return
        new, previous = self.undo_stack.pop()
        self.tab.history.remove(new)
        self.tab._store_takes()
        self.tab.show_take(previous)
        self.tab.history.highlight(previous.number)
        self.tab.status.setText(f"Undone: take #{previous.number} is back (#{new.number} removed).")
        self.update()


def row_at(texts: list[str], shown: str, position: int) -> tuple[int, int]:
    """(row, offset in that row's text) of a cursor ``position`` in the text view, which
    shows ``rows_text(texts)``: one row as it is, several under ``--- take n ---`` lines."""
    if len(texts) <= 1:
        return 0, max(0, min(position, len(shown)))
    at = 0
    for row, text in enumerate(texts):
        at += (2 if row else 0) + len(f"--- {take_title(row)} ---\n")
        if position <= at + len(text):
            return row, max(0, position - at)
        at += len(text)
    return len(texts) - 1, len(texts[-1])
