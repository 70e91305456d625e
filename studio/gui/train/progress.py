"""What the Train tab shows of a run in progress: numbers, progress, samples, log.

``LiveView.apply(events)`` takes every event that arrived since the last frame (the
tab's redraw timer drains the trainer's buffer) and updates each widget once: the
curves get all the points, the numbers only the latest step. The sample and log
views keep their last ``MAX_BLOCKS`` paragraphs, so a long run cannot grow them (and
the time each append takes) without bound.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QPlainTextEdit, QProgressBar, QWidget

log = logging.getLogger(__name__)
MAX_BLOCKS = 1000


def format_eta(seconds) -> str:
    if not isinstance(seconds, (int, float)) or seconds < 0:
        return "-"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def report_html(report: dict) -> str:
    """The dataset report as a small table (keys the engine sends, shown as they come)."""
    rows = []
    for key, value in report.items():
        if key in ("event",) or isinstance(value, (list, dict)) and len(str(value)) > 300:
            continue
        if isinstance(value, float):
            value = f"{value:,.4g}"
        elif isinstance(value, int):
            value = f"{value:,}"
        elif isinstance(value, (list, dict)):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) \
                else ", ".join(map(str, value))
        rows.append(f"<tr><td><b>{html.escape(str(key).replace('_', ' '))}</b></td>"
                    f"<td>{html.escape(str(value))}</td></tr>")
    return "<table cellspacing=2>" + "".join(rows) + "</table>" + _files_html(report.get("files"))


FILES_SHOWN = 30  # per-file lines in the report view (a WJazzD folder has hundreds)


def _files_html(files) -> str:
    """Files with something to say (the part taken as the lead, why one was skipped)."""
    if not isinstance(files, list):
        return ""
    said = [f for f in files if isinstance(f, dict) and f.get("message")]
    items = [f"<li><b>{html.escape(str(f.get('path', '?')))}</b> ({html.escape(str(f.get('status', '')))}, "
             f"{f.get('notes', 0)} notes): {html.escape(str(f['message'])[:400])}</li>"
             for f in said[:FILES_SHOWN]]
    more = f"<p>… and {len(said) - FILES_SHOWN} more</p>" if len(said) > FILES_SHOWN else ""
    return f"<p><b>Per file</b></p><ul>{''.join(items)}</ul>{more}" if items else ""


def capped_text_view(placeholder: str = "") -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setMaximumBlockCount(MAX_BLOCKS)
    view.setPlaceholderText(placeholder)
    return view


class LiveView:
    """The stats row, progress bar, samples and log of the Train tab (not a widget: the
    tab lays the pieces out)."""

    STATS = (("step", "Step"), ("loss", "Train loss"), ("val", "Best val."),
             ("speed", "Tokens/s"), ("eta", "ETA"))

    def __init__(self, plots):
        self.plots = plots
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.stats = {key: QLabel("-") for key, _title in self.STATS}
        self.grid = QGridLayout()
        for col, (key, title) in enumerate(self.STATS):
            self.grid.addWidget(QLabel(f"<small>{title}</small>"), 0, col)
            label = self.stats[key]
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setTextFormat(Qt.TextFormat.PlainText)
            # A fixed size: otherwise every new number re-lays out the whole tab (measured
            # 3 ms a label, against 0.06 ms fixed).
            metrics = label.fontMetrics()
            sample = "0000000  (epoch 0000.00)" if key == "step" else "000,000.0000"
            label.setFixedSize(metrics.horizontalAdvance(sample) + 8, metrics.height() + 4)
            self.grid.addWidget(label, 1, col, Qt.AlignmentFlag.AlignLeft)
        self.samples = capped_text_view("A sample appears at each evaluation.")
        self.log_view = capped_text_view()
        self.last_step: int = 0
        self.total_steps: int | None = None

    def reset(self) -> None:
        self.samples.clear()
        for label in self.stats.values():
            label.setText("-")
        self.progress.setValue(0)
        self.last_step, self.total_steps = 0, None

    def log(self, text: str) -> None:
        self.log_view.appendPlainText(text)
        log.info("train tab: %s", text)

    def apply(self, events: list[dict], final: bool = False) -> None:
        """Curves get every point (one plot repaints per frame, in turn; both when
        ``final``); the numbers and progress only the latest step."""
        last = None
        for event in events:
            kind = event.get("event")
            if kind == "step":
                self.plots.add_step(event.get("step", 0), event.get("loss"), event.get("grad_norm"))
                last = event
            elif kind == "eval":
                self.plots.add_eval(event.get("step", 0), event.get("val_loss"))
                best = event.get("best_val")
                if isinstance(best, (int, float)):
                    self.stats["val"].setText(f"{best:.4f}")
            elif kind == "sample":
                self.samples.appendPlainText(f"— step {event.get('step')} —\n{event.get('text', '')}\n")
            elif kind in ("info", "progress"):  # progress: reading a big corpus
                self.log(event.get("message", ""))
        if last is not None:
            self.show_step(last)
        if final:
            self.plots.redraw()
        else:
            self.plots.redraw_next()

    def show_step(self, event: dict) -> None:
        step = event.get("step") or 0
        self.last_step = int(step)
        self.stats["step"].setText(f"{step}  (epoch {event.get('epoch', 0):.2f})")
        loss = event.get("loss")
        self.stats["loss"].setText(f"{loss:.4f}" if isinstance(loss, (int, float)) else "-")
        speed = event.get("tokens_per_s")
        self.stats["speed"].setText(f"{speed:,.0f}" if isinstance(speed, (int, float)) else "-")
        self.stats["eta"].setText(format_eta(event.get("eta_s")))
        progress = event.get("progress")
        if isinstance(progress, (int, float)) and progress > 0:
            self.total_steps = round(step / progress)
            self.progress.setValue(int(progress * 1000))
            self.plots.set_total_steps(self.total_steps)

    def show_paused(self, step: int, total, best) -> None:
        """A paused run from an earlier session: where it stood, no speed or ETA."""
        self.last_step, self.total_steps = step, total if isinstance(total, int) else None
        self.stats["step"].setText(str(step))
        if isinstance(best, str) and best:
            self.stats["val"].setText(best)
        if self.total_steps:
            self.progress.setValue(int(1000 * min(1.0, step / self.total_steps)))
            self.plots.set_total_steps(self.total_steps)

    def show_complete(self) -> None:
        self.progress.setValue(self.progress.maximum())
        self.stats["eta"].setText("-")
