"""The Train tab: dataset report, Start / Pause / Resume / Stop, live curves.

Training is the CLI's ``train --jsonl`` in a child process (``TrainProcess``). Its
events are parsed into a buffer as they arrive and applied by a redraw timer, all of a
frame's events at once, so a thousand steps a second cannot flood the event loop. The
run's state (``train_state``) decides every button. Pause asks the trainer to stop
with a resume file; Resume starts a new process with ``--resume``; Stop ends the run
(the best model so far stays in the library, the resume file goes). A paused run
survives closing the window: Resume is offered at the next start.
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPushButton, QTabWidget,
                               QTextBrowser, QVBoxLayout, QWidget)

from studio.core.data import dataset_report
from studio.core.training.trainer import resume_path_for
from studio.gui.train import state as S
from studio.gui.shared.errors import show_error
from studio.gui.train.failure import show_failure
from studio.gui.shared.layout import control_column, fill_tab, splitter
from studio.gui.shared.settings import Group
from studio.gui.train.form import TrainForm, auto_eval_every, estimated_steps
from studio.gui.train.progress import LiveView, report_html
from studio.gui.train.curves import TrainPlots
from studio.gui.train.process import TrainOptions, TrainProcess, train_flags
from studio.gui.shared.workers import run_task
from studio.paths import user_models_dir

log = logging.getLogger(__name__)
REDRAW_MS = 100     # a frame: all events since the last one; each plot repaints at 5 Hz


class TrainTab(QWidget):
    library_changed = Signal()
    model_saved = Signal(str)       # a run's best model (select it in Generate)
    state_changed = Signal(str)     # one of train_state.STATES

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = TrainForm()
        self.report_view = QTextBrowser()
        self.report_view.setMinimumHeight(110)
        self.report_view.setPlaceholderText("Pick a corpus: its report appears here before training.")
        self.start_button = QPushButton("&Start")
        self.pause_button = QPushButton("&Pause")
        self.pause_button.setToolTip("Stop with a resume file; Resume continues from it")
        self.resume_button = QPushButton("&Resume")
        self.resume_button.setToolTip("Continue the paused run from its resume file")
        self.stop_button = QPushButton("St&op")
        self.stop_button.setToolTip("End the run (the best model so far stays in the library)")
        for button, slot in ((self.start_button, self.start), (self.pause_button, self.pause),
                             (self.resume_button, self.resume), (self.stop_button, self.stop)):
            button.clicked.connect(slot)
        self.overlay = QCheckBox("Keep earlier runs")
        self.overlay.setToolTip("Keep earlier runs on the plot to compare them")
        self.overlay.setChecked(True)
        clear = QPushButton("Clear curves")
        clear.clicked.connect(lambda: self.plots.clear())
        self.status = QLabel(S.DESCRIPTIONS[S.IDLE])
        self.status.setStyleSheet("color: #555")

        left = QWidget()
        QVBoxLayout(left).addWidget(self.form)

        self.plots = TrainPlots()
        self.live = LiveView(self.plots)
        self.samples, self.log_view = self.live.samples, self.live.log_view
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.overlay)
        buttons.addWidget(clear)
        self.bottom = QTabWidget()
        self.bottom.addTab(self.report_view, "Dataset report")
        self.bottom.addTab(self.samples, "Samples")
        self.bottom.addTab(self.log_view, "Log")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.status)
        right_layout.addWidget(self.live.progress)
        right_layout.addLayout(self.live.grid)
        self.vsplit = splitter(Qt.Orientation.Vertical, [self.plots, self.bottom], [430, 200])
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
        self.state = S.IDLE
        self._said_stopped = False   # this process said "stopped" (it wrote a resume file)
        self._failed = False         # this process reported an error
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.drain)
        self.form.corpus_changed.connect(self.request_report)
        self._set_state(S.IDLE)

    # -- dataset report --------------------------------------------------------
    def request_report(self) -> None:
        path, kind = self.form.corpus.text().strip(), self.form.kind.currentData()
        options = self.form.report_options()  # e.g. jazz's lead part, as the run reads it
        self.report, self.report_error = None, None
        self._report_job += 1
        job = self._report_job
        self._update_controls()
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
            self._update_controls()

        def work():
            train_flags()  # imports and builds the CLI's parser here, not on Start's click
            from studio.cli.train import check_lead

            check_lead(kind, options.get("lead", ""), path)  # the CLI's own refusal
            return dataset_report(path, kind, **options)

        run_task(work, done, owner=self)

    # -- states ----------------------------------------------------------------
    def is_running(self) -> bool:
        return self.state in S.ACTIVE

    def _resume_file_exists(self) -> bool:
        return bool(self.resume_path) and Path(self.resume_path).is_file()

    def _update_controls(self) -> None:
        allowed = S.CONTROLS[self.state]
        self.start_button.setEnabled(allowed.start and self.report is not None)
        self.start_button.setToolTip("" if self.report is not None or not allowed.start else
                                     "Pick a corpus first: its dataset report must load")
        self.pause_button.setEnabled(allowed.pause)
        self.resume_button.setEnabled(allowed.resume and self._resume_file_exists())
        self.stop_button.setEnabled(allowed.stop)
        self.form.setEnabled(allowed.form)

    def _set_state(self, state: str) -> None:
        self.state = state
        total = self.live.total_steps
        said = S.STOPPED_EARLY if state == S.FINISHED and self._said_stopped else S.DESCRIPTIONS[state]
        self.status.setText(said.format(step=self.live.last_step, total=total if total else "?"))
        if state not in S.ACTIVE:  # no time is left to count down while nothing runs
            self.live.stats["eta"].setText("-")
        self._update_controls()
        self.state_changed.emit(state)

    # -- run control -----------------------------------------------------------
    def _out_path(self, name: str) -> str:
        folder = user_models_dir()
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "model"
        path = folder / f"{stem}.safetensors"
        n = 2
        while path.exists() or resume_path_for(path).exists():
            path = folder / f"{stem}-{n}.safetensors"
            n += 1
        return str(path)

    def start(self) -> None:
        if not S.CONTROLS[self.state].start:
            return
        if self.report is None:
            show_error(self, "Train", self.report_error or "Pick a corpus first; its report must load.")
            return
        self.options = self.form.options(out="")
        self.options.out = self._out_path(self.options.name)
        if not self.options.eval_every and not self.options.init_from:
            self.options.eval_every = auto_eval_every(self.options, self.report)
        self.resume_path = None
        self.result = None
        self.saved_path = None
        self.live.reset()
        self.plots.start_run(self.options.label(), keep_previous=self.overlay.isChecked())
        self.plots.set_total_steps(estimated_steps(self.options, self.report))  # axis set now
        self._launch(self.options.to_args())

    def _launch(self, args: list[str]) -> None:
        self._said_stopped = False
        self._failed = False
        self.process = TrainProcess(self)
        self.process.finished.connect(self._process_finished)
        self._set_state(S.RUNNING)
        # The child starts in the next turn of the event loop: the click's own work (new
        # curves, the repaint) and starting the process never add up to one long stall.
        QTimer.singleShot(20, lambda process=self.process: self._start_process(process, args))

    def _start_process(self, process: TrainProcess, args: list[str]) -> None:
        if process is not self.process or self.state != S.RUNNING:
            return  # stopped before it started
        processes = self.options.processes if self.options else 1
        launcher = f"torchrun --standalone --nproc-per-node {processes} -m studio train" \
            if processes > 1 else "sequence-studio train"
        self.live.log(f"$ {launcher} --jsonl " + " ".join(args))
        process.start(args, processes)
        self.timer.start()

    def resume(self) -> None:
        if not S.CONTROLS[self.state].resume or not self._resume_file_exists() or self.options is None:
            return
        options = TrainOptions(**{**self.options.__dict__, "resume": self.resume_path,
                                  "init_from": ""})
        self.result = None
        self.plots.continue_run()
        self._launch(options.to_args())

    def pause(self) -> None:
        if self.state == S.RUNNING and self.process is not None:
            self.live.log("Pausing: the trainer writes a resume file…")
            self._set_state(S.PAUSING)
            self._ask_to_stop()

    def stop(self) -> None:
        if self.state == S.RUNNING and self.process is not None:
            self.live.log("Stopping…")
            self._set_state(S.STOPPING)
            self._ask_to_stop()
        elif self.state == S.PAUSED:
            self._discard_resume_file("Run ended while paused")
            self._set_state(S.FINISHED)

    def _ask_to_stop(self) -> None:
        if self.process.running():
            self.process.request_stop()
        else:  # clicked before the child started: it never will
            self._process_finished(0, False)

    # -- events ----------------------------------------------------------------
    def drain(self, final: bool = False) -> None:
        """Timer slot: apply every buffered event, then redraw (one plot per frame)."""
        if self.process is None:
            return
        events = self.process.take_events()
        if not events and not final:
            return
        for event in events:
            kind = event.get("event")
            if kind == "checkpoint":
                self.saved_path = event.get("path")
                self.live.log(f"step {event.get('step')}: saved best model "
                              f"(val {event.get('val_loss', float('nan')):.4f}) to {self.saved_path}")
            elif kind == "report":
                body = {k: v for k, v in event.items() if k != "event"}
                if body != self.report:  # the same report is on screen already
                    self.report_view.setHtml("<p><b>Dataset report (from the trainer)</b></p>"
                                             + report_html(body))
            elif kind == "stopped":
                self._said_stopped = True
                self.resume_path = event.get("resume_path")
                self.live.log(f"Stopped at step {event.get('step')}; resume file {self.resume_path}")
            elif kind == "done":
                self.result = event
                self.resume_path = event.get("resume_path") or self.resume_path
                self.live.log(f"Done: best validation loss {event.get('best_val')} after "
                              f"{event.get('steps')} steps in {event.get('seconds')} s")
            elif kind == "error":
                self._failed = True
                self.live.log("ERROR: " + str(event.get("message")))
                show_error(self, "Training failed", str(event.get("message")))
        self.live.apply(events, final)

    def _process_finished(self, code: int, crashed: bool) -> None:
        self.drain(final=True)  # the last lines (stopped/done) are in the buffer now
        self.timer.stop()
        process, self.process = self.process, None
        # A trainer that said "done" went through its whole protocol, whatever its exit
        # status (a stopped CLI run exits 128 + the signal number).
        asked = self.state in (S.PAUSING, S.STOPPING)  # a stop during start-up ends it at once
        failed = self._failed or ((crashed or code != 0) and self.result is None and not asked)
        if failed and not self._failed:
            show_failure(self, code, process.stderr_tail if process else [],
                         self.options.processes if self.options else 1)
        if failed:  # a run that failed before its first step leaves no empty key entry
            self.plots.drop_empty_run()
        state = S.after_exit(self.state, self._said_stopped, self.result is not None, failed,
                             self._resume_file_exists())
        if state == S.FINISHED:
            if self.result is not None and not self._said_stopped:
                self.live.show_complete()  # ran to its last step
            self._discard_resume_file("Run complete" if not self._said_stopped else "Run ended")
        saved = self.saved_path or (self.result or {}).get("path")
        if saved and Path(saved).is_file():
            self.library_changed.emit()
            if state == S.FINISHED:
                self.model_saved.emit(saved)
        if process is not None:
            process.deleteLater()
        self._set_state(state)

    def _discard_resume_file(self, why: str) -> None:
        """Delete the run's ``X.last.safetensors``: an ended run has nothing to resume."""
        path = self.resume_path or (self.options and self.options.out and
                                    str(resume_path_for(Path(self.options.out))))
        self.resume_path = None
        if not path or not path.endswith(".last.safetensors") or not Path(path).exists():
            return
        try:
            Path(path).unlink()
        except OSError as exc:
            self.live.log(f"Could not remove the resume file {path}: {exc}")
        else:
            self.live.log(f"{why}: removed the resume file {path}")

    def set_models(self, entries: list) -> None:
        self.form.set_models(entries)

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("train", version=1) as g:
            self.form.save_to(g)
            g.set("splitter", self.splitter.saveState())
            g.set("vsplit", self.vsplit.saveState())
            g.set("overlay", self.overlay.isChecked())
            paused = self.state == S.PAUSED and self._resume_file_exists() and self.options
            g.set("paused", json.dumps({"options": self.options.__dict__,
                                        "resume": self.resume_path,
                                        "step": self.live.last_step,
                                        "total": self.live.total_steps,
                                        "best": self.live.stats["val"].text(),
                                        "curves": self.plots.snapshot()}) if paused else "")

    def restore_settings(self) -> None:
        with Group("train", version=1) as g:
            self.form.restore_from(g)
            for splitter_, key in ((self.splitter, "splitter"), (self.vsplit, "vsplit")):
                state = g.get(key)
                if state is not None:
                    splitter_.restoreState(state)
            self.overlay.setChecked(g.get("overlay", True, bool))
            paused = g.get("paused") or ""
        if self.form.corpus.text().strip():
            self.request_report()
        if paused:
            self._restore_paused(paused)

    def _restore_paused(self, text: str) -> None:
        """A run paused in an earlier session (closing the window pauses a run), drawn as it
        paused: its curves, step, best validation, progress and name."""
        try:
            saved = json.loads(text)
            options = TrainOptions(**saved["options"])
        except (TypeError, ValueError, KeyError) as exc:
            log.warning("ignoring a damaged paused-run record: %s", exc)
            return
        if not Path(saved.get("resume") or "").is_file():
            return
        self.options, self.resume_path = options, saved["resume"]
        self.plots.restore_run(options.label(), saved.get("curves"))
        self.live.show_paused(int(saved.get("step") or 0), saved.get("total"), saved.get("best"))
        self.form.name.setText(options.name or "")
        self.live.log(f"A paused run waits: {self.resume_path}")
        self._set_state(S.PAUSED)

    def shutdown(self) -> None:
        """Closing the window pauses a run (resume file kept) instead of killing it."""
        process = self.process
        if process is not None and process.running():
            if self.state == S.RUNNING:
                self.pause()
            elif not process.stopping:
                process.request_stop()
            if not process.wait(15000):
                process.kill()
                process.wait(2000)
            if self.process is process:  # waitForFinished may have delivered `finished` already
                self._process_finished(process.proc.exitCode(), False)
            if self.state == S.PAUSED:
                self.save_settings()  # so the next start offers Resume
        self.timer.stop()
