"""The Score tab: how likely is each alternative under a model?

One alternative per line (sentences or names). Each is scored by the engine's
``score_sequence`` (the CLI's ``score`` verb): probability, log-probability, NLL per
token and perplexity, ranked; below, the per-character view shows where the model
was surprised. This is the lectures' P(sentence) example, live.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.sampling.generate import input_note
from studio.core.sampling.scoring import ScoringStopped, score_sequence
from studio.gui.models import cache as model_cache
from studio.gui.score.char_view import CharProbView
from studio.gui.shared.errors import show_error
from studio.gui.models.picker import ModelPicker
from studio.gui.shared.layout import fill_tab, result_table, splitter
from studio.gui.shared.settings import Group
from studio.gui.shared.workers import CallbackWorker, WorkerSet

EXAMPLES = {
    "text": "The king is dead, long live the king.\nThe king is dead, long live the kign.\n"
            "Kign the dead is, live long king the.",
    "names": "tyrannosaurus\nstegosaurus\nqxzvbrk",
    "jazz": "BAR POS_0 CHORD_C_maj7 PITCH_64 DUR_12",
}
COLUMNS = ["#", "Alternative", "P(sequence)", "log P", "NLL / token", "Perplexity"]


@dataclass
class Unscorable:
    """A line the model cannot score (a character outside its vocabulary)."""

    text: str
    message: str


def format_probability(logprob: float) -> str:
    """Readable even when the probability underflows a float: 10^-123.4."""
    if logprob > math.log(1e-300):
        return f"{math.exp(logprob):.3g}"
    return f"10^{logprob / math.log(10):.1f}"


class ScoreTab(QWidget):
    device_in_use = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = ModelPicker()
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("One alternative per line")
        self.input.setPlainText(EXAMPLES["text"])
        self.score_button = QPushButton("&Score")
        self.score_button.setToolTip("Score every line (Ctrl+Enter)")
        # a long text takes minutes on a busy machine: it can be stopped (Esc)
        self.stop_button = QPushButton("S&top")
        self.stop_button.setToolTip("Stop scoring (Esc); the lines already scored are shown")
        self.stop_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.picker)
        left_layout.addWidget(QLabel("Alternatives (one per line):"))
        left_layout.addWidget(self.input, 1)
        row = QHBoxLayout()
        row.addWidget(self.score_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        left_layout.addLayout(row)
        left_layout.addWidget(self.status)

        # the last column takes the spare width, so an alternative is never cut short
        # (the table scrolls sideways when the names are long)
        self.table = result_table(COLUMNS, stretch=len(COLUMNS) - 1)
        self.chars = CharProbView()
        chars_scroll = QScrollArea()
        chars_scroll.setWidgetResizable(True)
        chars_scroll.setWidget(self.chars)
        legend = QLabel("Each box is one predicted character, coloured by how likely the model "
                        "found it (red: surprised, green: expected). Hover for the top candidates.")
        legend.setWordWrap(True)
        legend.setStyleSheet("color: #555")
        chars_box = QWidget()
        chars_layout = QVBoxLayout(chars_box)
        chars_layout.setContentsMargins(0, 0, 0, 0)
        chars_layout.addWidget(legend)
        chars_layout.addWidget(chars_scroll, 1)
        right = splitter(Qt.Orientation.Vertical, [self.table, chars_box], [170, 470])

        self.splitter = splitter(Qt.Orientation.Horizontal, [left, right], [360, 870],
                                 stretch_last=True)
        fill_tab(self, self.splitter)

        self.results: list = []
        self._job = 0
        self._last_domain = None
        self.worker: CallbackWorker | None = None
        self._threads = WorkerSet()
        self.score_button.clicked.connect(self.score)
        self.stop_button.clicked.connect(self.stop)
        self.picker.changed.connect(self._model_changed)

    def set_models(self, entries: list) -> None:
        self.picker.set_entries(entries)

    def _model_changed(self) -> None:
        domain = self.picker.current_domain()
        # Offer a fitting example when the box still holds another domain's example.
        if domain != self._last_domain and self.input.toPlainText() in EXAMPLES.values():
            self.input.setPlainText(EXAMPLES.get(domain, EXAMPLES["text"]))
        self._last_domain = domain
        self.score_button.setEnabled(self.worker is None and self.picker.current_entry() is not None)

    def lines(self) -> list[str]:
        return [line for line in self.input.toPlainText().splitlines() if line.strip()]

    def score(self) -> None:
        if self.worker is not None:  # Ctrl+Enter while scoring: one job at a time
            return
        entry = self.picker.current_entry()
        if entry is None:
            show_error(self, "Score", "Choose a model first.")
            return
        lines = self.lines()
        if not lines:  # the old results would read as this (empty) input's
            self._job += 1
            self.show_results([])
            self.status.setText("Type one or more alternatives, one per line.")
            return
        self._job += 1
        job = self._job
        self.score_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        intro = f"Scoring {len(lines)} line(s) with {entry.name}"
        self.status.setText(intro + "…")
        path, device = str(entry.path), self.picker.device()
        sizes = [len(line) for line in lines]
        partial: list = []  # what is scored so far: shown when Stop ends the job

        def work(should_stop, report):
            ckpt, note = model_cache.load_now(path, device)
            event_model = ckpt.vocab.kind == "event"
            notes = []
            for index, line in enumerate(lines):
                if should_stop():
                    break
                if not event_model and input_note(ckpt, line):
                    notes.append(input_note(ckpt, line))
                seq = line.split() if event_model else line
                before = sum(sizes[:index])

                def told(done, total, index=index, before=before):
                    # in characters of the whole box, so several lines read as one bar
                    report((index, before + round(done / max(total, 1) * sizes[index])))
                try:
                    partial.append(score_sequence(ckpt, seq, progress=told, should_stop=should_stop))
                except ScoringStopped:
                    break
                except ValueError as exc:  # VocabError etc.: this line only, the rest still count
                    # each alternative is scored alone: "line 1" in the engine's message
                    # would point at the wrong line of the box
                    message = re.sub(r"\(line 1, column (\d+)\)", r"(column \1)", str(exc))
                    partial.append(Unscorable(line, message))
            if len(notes) > 1:  # one line is enough to say what happens to every line
                notes = [notes[0] + f" (and {len(notes) - 1} more line(s) alike)"]
            return (list(partial), [n for n in [note] + notes if n],
                    str(next(ckpt.model.parameters()).device))

        def progress(value) -> None:
            if job != self._job:
                return
            index, done = value
            total = sum(sizes)
            self.status.setText(f"{intro}: line {index + 1} of {len(lines)}, {done:,} of {total:,} "
                                f"characters ({100 * done // max(total, 1)}%)… Esc stops.")

        worker = CallbackWorker(work, interval=0.1, parent=self)
        worker.progress.connect(progress)

        def finished(result, error):
            if self.worker is worker:
                self.worker = None
            self.stop_button.setEnabled(False)
            self.score_button.setEnabled(self.picker.current_entry() is not None)
            if job != self._job:
                return
            if error is not None:
                show_error(self, "Score", error)
                self.status.setText("Scoring failed.")
                return
            results, notes, used = result
            self.device_in_use.emit(used)
            self.show_results(results)
            scored = [i for i, r in enumerate(results) if not isinstance(r, Unscorable)]
            summary = (f"Most likely: line {max(scored, key=lambda i: results[i].logprob) + 1} "
                       f"({entry.name}, {used})." if scored else "No line could be scored.")
            failed = len(results) - len(scored)
            if failed:
                summary += f" {failed} line(s) use tokens this model does not know."
            if worker.stopped and len(results) < len(lines):
                summary = (f"Stopped: {len(results)} of {len(lines)} line(s) scored."
                           + (" " + summary if scored else ""))
            self.status.setText("".join(n[0].upper() + n[1:] + ".\n" for n in notes) + summary)

        worker.finished_with.connect(finished)
        self.worker = worker
        self._threads.start(worker)

    def stop(self) -> None:
        """Stop scoring within one window of the engine (well under a second)."""
        if self.worker is not None:
            self.worker.stop()
            self.status.setText("Stopping…")
        self.stop_button.setEnabled(False)

    def show_results(self, results: list) -> None:
        self.results = results
        scored = [i for i, r in enumerate(results) if not isinstance(r, Unscorable)]
        order = sorted(scored, key=lambda i: -results[i].logprob)
        rank = {i: r + 1 for r, i in enumerate(order)}
        self.table.clearSpans()
        self.table.setRowCount(len(results))
        for row, res in enumerate(results):
            if isinstance(res, Unscorable):
                self.table.setItem(row, 0, QTableWidgetItem("-"))
                self.table.setItem(row, 1, _text_item(res.text))
                item = QTableWidgetItem(res.message)
                item.setForeground(Qt.GlobalColor.darkRed)
                item.setToolTip(res.message)
                self.table.setItem(row, 2, item)
                self.table.setSpan(row, 2, 1, len(COLUMNS) - 2)
                continue
            cells = [str(rank[row]), res.text, format_probability(res.logprob),
                     f"{res.logprob:.2f}", f"{res.nll_per_token:.3f}", f"{res.perplexity:.2f}"]
            for col, text in enumerate(cells):
                item = _text_item(text) if col == 1 else QTableWidgetItem(text)
                if col != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if rank[row] == 1:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)
        self.chars.set_results([r for r in results if not isinstance(r, Unscorable)])

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("score", version=1) as g:
            self.picker.save_to(g)
            g.set("text", self.input.toPlainText())
            g.set("splitter", self.splitter.saveState())

    def restore_settings(self) -> None:
        with Group("score", version=1) as g:
            self.picker.restore_from(g)
            text = g.get("text")
            if text:
                self.input.setPlainText(text)
            state = g.get("splitter")
            if state is not None:
                self.splitter.restoreState(state)

    def shutdown(self) -> None:
        self._job += 1
        self._threads.stop_all()  # a QThread must not be destroyed while running


def _text_item(text: str) -> QTableWidgetItem:
    """An alternative's cell: the whole text, also as its tooltip."""
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    return item
