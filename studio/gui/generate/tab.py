"""The Generate tab: pick a model, set the sampler, generate, keep every take.

The tab itself only wires widgets to the engine's helpers — the same functions the
CLI's ``sample`` verb calls: ``generate_names`` for names, ``stream_rows`` for text
(every row of one batched pass, streamed by a ``StreamWorker``), and the jazz panel's calls into ``studio.music``.
Models load in a worker (``model_cache``) before the sampler starts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPushButton, QStackedWidget,
                               QVBoxLayout, QWidget)

from studio.core.sampling.generate import generate_names, input_note, known_items, stream_rows
from studio.gui.models import cache as model_cache
from studio.gui.shared import recent
from studio.gui.generate import take_store
from studio.gui.shared.errors import show_error
from studio.gui.generate.continuation import Continuation
from studio.gui.generate.controls import SamplingForm
from studio.gui.jazz.panel import JazzPanel
from studio.gui.generate.views import NamesView, TextView, mark_names, rows_text
from studio.gui.shared.layout import control_column, fill_tab, splitter
from studio.gui.models.picker import ModelPicker
from studio.gui.shared.settings import Group
from studio.gui.generate.takes import Take, TakeHistory
from studio.gui.shared.workers import StreamWorker, WorkerSet, run_task

log = logging.getLogger(__name__)


class GenerateTab(QWidget):
    busy_changed = Signal(bool)
    take_finished = Signal(object)      # the Take just added to the history
    device_in_use = Signal(str)         # for the About box / status bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = ModelPicker()
        self.form = SamplingForm()
        self.generate_button = QPushButton("&Generate")
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Generate a take (Ctrl+Enter)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop sampling (Esc)")
        self.stop_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555")
        self.history = TakeHistory()
        self._drawn: dict[str, int] = {}  # domain -> the take its view draws now

        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 2)
        buttons.addWidget(self.stop_button, 1)
        controls = QWidget()
        left = QVBoxLayout(controls)
        left.addWidget(self.picker)
        left.addWidget(self.form)
        left.addLayout(buttons)
        left.addWidget(self.status)
        left.addWidget(self.history, 1)

        self.names_view = NamesView()
        self.text_view = TextView()
        self.jazz = JazzPanel()
        self.form.add_more(self.jazz.options)  # pitch range and primer, jazz models only
        self.views = QStackedWidget()
        for view in (self.names_view, self.text_view, self.jazz):
            self.views.addWidget(view)

        self.splitter = splitter(Qt.Orientation.Horizontal, [control_column(controls, 320), self.views],
                                 [345, 900], stretch_last=True)
        fill_tab(self, self.splitter)

        self.worker: StreamWorker | None = None
        self._threads = WorkerSet()   # every worker thread still running
        self._job = 0            # bumps on Stop/new take so late results are ignored
        self._pending: Take | None = None
        self.generate_button.clicked.connect(self.generate)
        self.stop_button.clicked.connect(self.stop)
        self.picker.changed.connect(self._model_changed)
        self.history.picked.connect(self.pick_take)
        self.history.export_take.connect(lambda _take: self.export())
        self.history.audition.connect(self.audition)
        self.history.cleared.connect(self._store_takes)
        self.history.load(take_store.load())
        self.continuation = Continuation(self)   # Continue from bar N / from the cursor; Undo
        left.insertLayout(3, self.continuation.row)
        self.jazz.message.connect(self.status.setText)
        self.jazz.live_button.clicked.connect(self.open_live)
        self._model_changed()

    # -- state -----------------------------------------------------------------
    def open_live(self) -> None:
        from studio.gui.live.window import open_live_window

        open_live_window(self)

    def is_busy(self) -> bool:
        return self._pending is not None

    def _set_busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.busy_changed.emit(busy)

    def _model_changed(self) -> None:
        domain = self.picker.current_domain()
        self.form.set_domain(domain)
        self.jazz.options.setVisible(domain == "jazz")
        entry = self.picker.current_entry()
        if domain == "jazz":   # "tuned (0.8)": what this model plays when a box is left at tuned
            self.jazz.options.show_tuned(entry.meta if entry is not None else None)
        self.views.setCurrentWidget({"names": self.names_view, "jazz": self.jazz}.get(domain,
                                                                                   self.text_view))
        # the list highlights the take this domain's view draws (none when it draws none)
        self.history.highlight(self._drawn.get(domain))
        self.generate_button.setEnabled(entry is not None and not self.is_busy())
        if entry is None:
            self.status.setText("No model for this domain yet: train one in the Train tab "
                                "or import one in the Models tab.")
        else:
            meta = entry.meta or {}
            val = (meta.get("metrics") or {}).get("val_nll")
            self.status.setText(f"{entry.name}: {meta.get('domain', '?')} model"
                                + (f", validation NLL {val:.3f} nats per token"
                                   if isinstance(val, (int, float)) else ""))

    def set_models(self, entries: list) -> None:
        self.picker.set_entries(entries)

    # -- generating ------------------------------------------------------------
    def generate(self) -> None:
        if self.is_busy():
            return
        entry = self.picker.current_entry()
        if entry is None:
            show_error(self, "Generate", "Choose a model first (or train one in the Train tab).")
            return
        domain = self.picker.current_domain()
        seed = self.form.next_seed()
        values = self.form.values()
        if domain == "jazz":
            values.update(self.jazz.values())
        take = Take(self.history.next_number(), domain, entry.name, str(entry.path),
                    self.picker.device(), values)
        try:
            settings = self.form.settings(seed)
            if domain == "jazz":
                self.jazz.check()  # a typo in the chart is reported before loading
        except ValueError as exc:
            show_error(self, "Generate", exc)
            return
        self.launch(take, settings)

    def launch(self, take: Take, settings) -> None:
        """Load the take's model (in a worker), then sample the take (Generate, Continue)."""
        domain = take.domain
        self._job += 1
        job = self._job
        self._pending = take
        self._set_busy(True)
        self.status.setText(f"Loading {take.model_name}…")

        def loaded(result, error):
            if job != self._job:
                return
            if error is not None:
                self._finish(None, error)
                return
            ckpt, note = result
            device = str(next(ckpt.model.parameters()).device)
            self.device_in_use.emit(device)
            read = input_note(ckpt, take.settings.get("primer", ""))  # names: lowercased
            take.extra["notes"] = [read] if read else []
            notes = [n for n in (note, read) if n]
            self.status.setText("".join(n + "\n" for n in notes) + f"Sampling on {device}…")
            self._start(domain, ckpt, settings, take, job)

        model_cache.load_async(take.model_path, take.device, loaded, owner=self)

    def _start(self, domain: str, ckpt, settings, take: Take, job: int) -> None:
        if domain == "names":
            prefix = take.settings.get("primer", "")

            def work():
                return generate_names(ckpt, settings, prefix=prefix), known_items(ckpt)

            def done(result, error):
                if job != self._job:
                    return
                if error is None:
                    names, known = result
                    take.result = names
                    take.extra["marked"] = mark_names(names, known)
                    self.names_view.show_names(take.extra["marked"])
                self._finish(take if error is None else None, error)

            run_task(work, done, owner=self)
        elif domain == "jazz":
            self.jazz.start_take(ckpt, settings, take, lambda t, e: job == self._job and self._finish(t, e))
        else:
            self._stream_text(ckpt, settings, take, job)

    def _stream_text(self, ckpt, settings, take: Take, job: int) -> None:
        # Every row of one batched pass streams at once: the same draw, row for row, as
        # ``sequence-studio sample -n N --seed S`` (which calls generate_texts).
        primer = take.settings.get("primer", "")
        texts = [primer] * settings.count
        self.text_view.start_rows(settings.count, primer)

        def pieces():
            return stream_rows(ckpt, primer, settings)

        def show(steps: list) -> None:
            new = ["".join(parts) for parts in zip(*steps)]
            texts[:] = [t + n for t, n in zip(texts, new)]
            self.text_view.append_rows(new)

        worker = StreamWorker(pieces, parent=self)
        worker.items.connect(show)

        def finished(error):
            if self.worker is worker:
                self.worker = None
            take.stopped = worker.stopped
            take.extra["texts"] = list(texts)
            take.result = rows_text(texts)
            if job == self._job or worker.stopped:
                self._finish(take, error)

        worker.finished_with.connect(finished)
        self.worker = worker
        self._threads.start(worker)

    def stop(self) -> None:
        """Stop now: the stream worker's flag ends its loop; other jobs are abandoned."""
        if self.worker is not None:
            self.worker.stop()
            return  # its finished signal records the partial take
        if self.jazz.worker is not None:
            self.jazz.stop()
            return  # generate_solo returns the bars played so far: kept as a stopped take
        self.jazz.stop()  # playback
        if self._pending is not None:
            self._job += 1
            self._finish(None, None, note="Stopped.")

    def _finish(self, take: Take | None, error, note: str | None = None) -> None:
        self._pending = None
        self._set_busy(False)
        self._model_changed()
        if error is not None:
            show_error(self, "Generate", error)
            self.status.setText("Generation failed (details in the log).")
            return
        if take is not None:
            self.history.add(take)
            self._drawn[take.domain] = take.number
            self._store_takes()
            recent.add_file("model", take.model_path)
            self.take_finished.emit(take)
            self.status.setText("".join(n[0].upper() + n[1:] + ".\n" for n in take.extra.get("notes", []))
                                + ("Stopped. " if take.stopped else "") + f"Take #{take.number} done."
                                + _empty_note(take))
        elif note:
            self.status.setText(note)

    # -- takes -----------------------------------------------------------------
    def _store_takes(self) -> None:
        """Keep the history for the next session (written off the UI thread)."""
        takes = list(self.history.takes)
        run_task(take_store.saver(takes),
                 lambda _r, error: error and log.warning("take history not saved: %s", error),
                 owner=self)

    def pick_take(self, take: Take) -> None:
        """The user picked a take in the history: its settings come back, then the take."""
        if self.is_busy():
            return
        self._drawn[take.domain] = take.number  # so the model switch below keeps it highlighted
        self.restore_take(take)
        self.show_take(take)

    def show_take(self, take: Take) -> None:
        if self.is_busy():
            return
        self._drawn[take.domain] = take.number
        if take.domain == "names":
            self.views.setCurrentWidget(self.names_view)
            self.names_view.show_names(take.extra.get("marked", []))
        elif take.domain == "jazz":
            self.views.setCurrentWidget(self.jazz)
            self.jazz.show_take(take)
        else:
            self.views.setCurrentWidget(self.text_view)
            self.text_view.setPlainText(take.result or "")

    def audition(self, take: Take) -> None:
        """Play a jazz take from the list without loading it: the editor keeps its take."""
        if take.domain == "jazz" and take.result is not None:
            self.jazz.audio.play(take.result.solo, self.jazz.midi_options(),
                                 on_error=lambda exc: show_error(self, "Playback", exc))
            self.status.setText(f"Auditioning take #{take.number} (Stop ends it).")

    def restore_take(self, take: Take) -> None:
        self.picker.select(path=take.model_path, device=take.device)
        here = self.picker.current_path() == take.model_path
        self.form.set_domain(take.domain)  # the take's length/count/start, not another domain's
        self.form.apply(take.settings)
        if take.domain == "jazz":
            self.jazz.apply(take.settings)
        self.form.lock.setChecked(True)  # restoring a take means: reproduce it
        self.status.setText(f"Take #{take.number}: its settings are back (seed locked)." if here else
                            f"Take #{take.number}: its model {take.model_name} is no longer in "
                            "the library; its settings are back.")

    def take_text(self) -> str:
        """The shown take as text (Edit > Copy take): names, the text, or a jazz take's
        description (model, seed, chart, settings) as JSON."""
        take = self.history.current()
        if take is None or take.result is None:
            return ""
        if take.domain == "names":
            return "\n".join(take.result)
        if take.domain == "jazz":
            return json.dumps(take.result.describe(), indent=1)
        return str(take.result)

    # -- export ----------------------------------------------------------------
    def export(self) -> None:
        """Ctrl+S: MIDI/WAV for jazz, a text file for names and text."""
        if self.views.currentWidget() is self.jazz:
            self.jazz.export_midi()
            return
        text = ("\n".join(self.names_view.names()) if self.views.currentWidget() is self.names_view
                else self.text_view.text())
        if not text:
            self.status.setText("Nothing to export yet.")
            return
        take = self.history.current()
        name = f"take-{take.number:03d}.txt" if take is not None else "take.txt"
        path, _ = QFileDialog.getSaveFileName(self, "Save text",
                                              str(Path(recent.folder("export")) / name),
                                              "Text (*.txt)")
        if path:
            recent.remember_folder("export", path)
            Path(path).write_text(text + "\n", encoding="utf-8")
            self.status.setText(f"Saved {path}")

    # -- settings --------------------------------------------------------------
    def save_settings(self) -> None:
        with Group("generate", version=1) as g:
            self.picker.save_to(g)
            g.set("splitter", self.splitter.saveState())
            self.form.save_to(g)
        self.jazz.save_settings()

    def restore_settings(self) -> None:
        with Group("generate", version=1) as g:
            self.picker.restore_from(g)
            state = g.get("splitter")
            if state is not None:
                self.splitter.restoreState(state)
            self.form.restore_from(g)
        self.jazz.restore_settings()

    def shutdown(self) -> None:
        self._threads.stop_all()  # a QThread must not be destroyed while running
        self.jazz.shutdown()
        if getattr(self, "_live_window", None) is not None:
            self._live_window.close()             # silences the MIDI ports


def _empty_note(take: Take) -> str:
    """A jazz take in which the model played nothing says so (issue 25: a take of 0 notes
    said only "Take #5 done.")."""
    solo = getattr(take.result, "solo", None)
    if solo is None or solo.notes or take.stopped:
        return ""
    return (" The model played no notes in this take: try another seed, or a higher "
            "temperature or rhythm temperature (More).")
