"""The Train tab: dataset report, Start / Pause / Stop / Resume, live curves.

Training is the CLI's ``train --jsonl`` in a child process (``TrainProcess``). Its
events are parsed into a buffer as they arrive and drawn by a 10 Hz timer, so a
thousand steps a second cannot flood the event loop. Pause sends SIGTERM (the
trainer writes a resume checkpoint and says ``stopped``); Resume starts a new process
with ``--resume``. The best model goes straight into the user library.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QProgressBar, QPushButton, QTabWidget, QTextBrowser, QVBoxLayout,
                               QWidget)

from studio.core.data import dataset_report
from studio.core.trainer import resume_path_for
from studio.gui.errors import show_error
from studio.gui.layout import control_column, fill_tab, splitter
from studio.gui.settings import Group
from studio.gui.train_form import TrainForm
from studio.gui.train_plots import TrainPlots
from studio.gui.train_process import TrainOptions, TrainProcess
from studio.gui.workers import run_task
from studio.paths import user_models_dir

log = logging.getLogger(__name__)
REDRAW_MS = 100


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
    return "<table cellspacing=2>" + "".join(rows) + "</table>"


class TrainTab(QWidget):
    library_changed = Signal()
    state_changed = Signal(str)     # idle | running | stopping

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = TrainForm()
        self.report_view = QTextBrowser()
        self.report_view.setMinimumHeight(110)
        self.report_view.setPlaceholderText("Pick a corpus: its report appears here before training.")
        self.start_button = QPushButton("&Start")
        self.pause_button = QPushButton("&Pause")
        self.pause_button.setToolTip("Stop with a resume checkpoint; Resume continues from it")
        self.stop_button = QPushButton("St&op")
        self.stop_button.setToolTip("End the run (the best model so far stays in the library)")
        self.resume_button = QPushButton("&Resume")
        for button, slot in ((self.start_button, self.start), (self.pause_button, self.pause),
                             (self.stop_button, self.stop), (self.resume_button, self.resume)):
            button.clicked.connect(slot)
        self.overlay = QCheckBox("Keep earlier runs on the plot")
        self.overlay.setChecked(True)
        clear = QPushButton("Clear curves")
        clear.clicked.connect(lambda: self.plots.clear())

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.form)

        self.plots = TrainPlots()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.stats = {k: QLabel("-") for k in ("step", "loss", "val", "speed", "eta")}
        grid = QGridLayout()
        for col, (key, title) in enumerate((("step", "Step"), ("loss", "Train loss"),
                                            ("val", "Best val."), ("speed", "Tokens/s"),
                                            ("eta", "ETA"))):
            grid.addWidget(QLabel(f"<small>{title}</small>"), 0, col)
            self.stats[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(self.stats[key], 1, col)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button, self.resume_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.overlay)
        buttons.addWidget(clear)

        self.samples = QPlainTextEdit()
        self.samples.setReadOnly(True)
        self.samples.setPlaceholderText("A sample appears at each evaluation.")
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(2000)
        bottom = QTabWidget()
        bottom.addTab(self.report_view, "Dataset report")
        bottom.addTab(self.samples, "Samples")
        bottom.addTab(self.log_view, "Log")
        self.bottom = bottom

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.progress)
        right_layout.addLayout(grid)
        self.vsplit = splitter(Qt.Orientation.Vertical, [self.plots, bottom], [430, 200])
        right_layout.addWidget(self.vsplit, 1)

        self.splitter = splitter(Qt.Orientation.Horizontal, [control_column(left, 330), right],
                                 [350, 880], stretch_last=True)
        fill_tab(self, self.splitter)

        self.process: TrainProcess | None = None
        self.report: dict | None = None
        self.report_error: str | None = None
        self._report_job = 0
        self.options: TrainOptions | None = None
        self.resume_path: str | None = None
        self.result: dict | None = None
        self.saved_path: str | None = None
        self.state = "idle"
        self._pause_requested = False
        self._stopped = False       # this process said "stopped" (paused, stopped or early stop)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.drain)
        self.form.corpus_changed.connect(self.request_report)
        self._update_buttons()

    # -- dataset report --------------------------------------------------------
    def request_report(self) -> None:
        path, kind = self.form.corpus.text().strip(), self.form.kind.currentData()
        self.report, self.report_error = None, None
        self._report_job += 1
        job = self._report_job
        self._update_buttons()
        if not path:
            self.report_view.clear()
            return
        self.bottom.setCurrentWidget(self.report_view)
        self.report_view.setHtml(f"<p>Reading <code>{html.escape(path)}</code> as {kind}…</p>")

        def done(report, error):
            if job != self._report_job:
                return  # the user picked another corpus meanwhile
            if error is not None:
                self.report_error = str(getattr(error, "error", error))
                self.report_view.setHtml(f"<p style='color:#a00'><b>This corpus cannot be used:</b> "
                                         f"{html.escape(self.report_error)}</p>")
            else:
                self.report = report
                self.report_view.setHtml(f"<p><b>{html.escape(Path(path).name)}</b> ({kind})</p>"
                                         + report_html(report))
            self._update_buttons()

        run_task(lambda: dataset_report(path, kind), done, owner=self)

    # -- run control -----------------------------------------------------------
    def is_running(self) -> bool:
        return self.process is not None and self.process.running()

    def _update_buttons(self) -> None:
        running = self.state == "running"
        idle = self.state == "idle"
        self.start_button.setEnabled(idle and self.report is not None)
        self.start_button.setToolTip("" if self.report is not None else
                                     "Pick a corpus first: its dataset report must load")
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(idle and bool(self.resume_path)
                                      and Path(self.resume_path).is_file())
        self.form.setEnabled(idle)

    def _set_state(self, state: str) -> None:
        self.state = state
        self._update_buttons()
        self.state_changed.emit(state)

    def _out_path(self, name: str) -> str:
        folder = user_models_dir()
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "model"
        path = folder / f"{stem}.safetensors"
        n = 2
        while path.exists():
            path = folder / f"{stem}-{n}.safetensors"
            n += 1
        return str(path)

    def start(self) -> None:
        if self.state != "idle":
            return
        if self.report is None:
            show_error(self, "Train", self.report_error or "Pick a corpus first; its report must load.")
            return
        self.options = self.form.options(out="")
        self.options.out = self._out_path(self.options.name)
        self.resume_path = None
        self.result = None
        self.saved_path = None
        self.samples.clear()
        self.plots.start_run(self.options.label(), keep_previous=self.overlay.isChecked())
        self._launch(self.options.to_args())

    def resume(self) -> None:
        if self.state != "idle" or not self.resume_path or self.options is None:
            return
        options = TrainOptions(**{**self.options.__dict__, "resume": self.resume_path,
                                  "init_from": ""})
        self.plots.continue_run()
        self._launch(options.to_args())

    def _launch(self, args: list[str]) -> None:
        self._pause_requested = False
        self._stopped = False
        self.process = TrainProcess(self)
        self.process.finished.connect(self._process_finished)
        self._log("$ sequence-studio train --jsonl " + " ".join(args))
        self.process.start(args)
        self._set_state("running")
        self.timer.start()

    def pause(self) -> None:
        if self.state == "running" and self.process is not None:
            self._pause_requested = True
            self._log("Pausing: the trainer writes a resume checkpoint…")
            self.process.request_stop()
            self._set_state("stopping")

    def stop(self) -> None:
        if self.state == "running" and self.process is not None:
            self._pause_requested = False
            self._log("Stopping…")
            self.process.request_stop()
            self._set_state("stopping")

    # -- events ----------------------------------------------------------------
    def drain(self) -> None:
        """Timer slot: apply every buffered event, then redraw once."""
        if self.process is None:
            return
        last_step = None
        for event in self.process.take_events():
            kind = event.get("event")
            if kind == "step":
                self.plots.add_step(event.get("step", 0), event.get("loss"), event.get("grad_norm"))
                last_step = event
            elif kind == "eval":
                self.plots.add_eval(event.get("step", 0), event.get("val_loss"))
                best = event.get("best_val")
                if isinstance(best, (int, float)):
                    self.stats["val"].setText(f"{best:.4f}")
            elif kind == "sample":
                self.samples.appendPlainText(f"— step {event.get('step')} —\n{event.get('text', '')}\n")
            elif kind == "checkpoint":
                self.saved_path = event.get("path")
                self._log(f"step {event.get('step')}: saved best model "
                          f"(val {event.get('val_loss', float('nan')):.4f}) to {self.saved_path}")
            elif kind == "report":
                body = {k: v for k, v in event.items() if k != "event"}
                self.report_view.setHtml("<p><b>Dataset report (from the trainer)</b></p>"
                                         + report_html(body))
            elif kind == "info":
                self._log(event.get("message", ""))
            elif kind == "stopped":
                self._stopped = True
                self.resume_path = event.get("resume_path")
                self._log(f"Stopped at step {event.get('step')}; resume file {self.resume_path}")
            elif kind == "done":
                self.result = event
                self.resume_path = event.get("resume_path") or self.resume_path
                self._log(f"Done: best validation loss {event.get('best_val')} after "
                          f"{event.get('steps')} steps in {event.get('seconds')} s")
            elif kind == "error":
                self._log("ERROR: " + str(event.get("message")))
                show_error(self, "Training failed", str(event.get("message")))
        if last_step is not None:
            self._show_step(last_step)
        self.plots.redraw()

    def _show_step(self, event: dict) -> None:
        self.stats["step"].setText(f"{event.get('step')}  (epoch {event.get('epoch', 0):.2f})")
        loss = event.get("loss")
        self.stats["loss"].setText(f"{loss:.4f}" if isinstance(loss, (int, float)) else "-")
        speed = event.get("tokens_per_s")
        self.stats["speed"].setText(f"{speed:,.0f}" if isinstance(speed, (int, float)) else "-")
        self.stats["eta"].setText(format_eta(event.get("eta_s")))
        progress = event.get("progress")
        if isinstance(progress, (int, float)):
            self.progress.setValue(int(progress * 1000))

    def _process_finished(self, code: int, crashed: bool) -> None:
        self.drain()  # the last lines (stopped/done) are in the buffer now
        self.timer.stop()
        process = self.process
        if (crashed or code != 0) and self.result is None:
            tail = "\n".join(process.stderr_tail[-15:]) if process else ""
            show_error(self, "Training failed",
                       f"The trainer exited with code {code}.\n\n{tail}".strip())
        if not self._pause_requested:
            # Stop, or a run that finished: nothing to resume. A Pause keeps the file.
            self.resume_path = None
            if code == 0 and not crashed and self.result is not None:
                self.progress.setValue(self.progress.maximum())
        if self.result is not None and not self._stopped:
            self._remove_resume_file()  # the run completed: nothing left to resume
        if self.saved_path or (self.result and self.result.get("path")):
            self.library_changed.emit()
        self.process = None
        if process is not None:
            process.deleteLater()
        self._set_state("idle")

    def _remove_resume_file(self) -> None:
        """Delete ``<name>.last.safetensors`` beside the saved model (a completed run's)."""
        result = self.result or {}
        path = result.get("resume_path") or (result.get("path") and
                                             str(resume_path_for(Path(result["path"]))))
        if not path or not path.endswith(".last.safetensors"):
            return
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            self._log(f"Could not remove the resume file {path}: {exc}")
        else:
            self._log(f"Run complete: removed the resume file {path}")

    def _log(self, text: str) -> None:
        self.log_view.appendPlainText(text)
        log.info("train tab: %s", text)

    def set_models(self, entries: list) -> None:
        self.form.set_models(entries)

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("train", version=1) as g:
            self.form.save_to(g)
            g.set("splitter", self.splitter.saveState())
            g.set("vsplit", self.vsplit.saveState())
            g.set("overlay", self.overlay.isChecked())

    def restore_settings(self) -> None:
        with Group("train", version=1) as g:
            self.form.restore_from(g)
            for splitter, key in ((self.splitter, "splitter"), (self.vsplit, "vsplit")):
                state = g.get(key)
                if state is not None:
                    splitter.restoreState(state)
            self.overlay.setChecked(g.get("overlay", True, bool))
        if self.form.corpus.text().strip():
            self.request_report()

    def shutdown(self) -> None:
        """Closing the window pauses a run (resume file kept) instead of killing it."""
        if self.process is not None and self.process.running():
            self.process.request_stop()
            if not self.process.wait(15000):
                self.process.kill()
                self.process.wait(2000)
        self.timer.stop()
