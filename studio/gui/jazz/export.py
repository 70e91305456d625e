"""A jazz take's files: MIDI, WAV and lead-sheet export, and the "Drag MIDI" handle.

``TakeExports`` is mixed into the jazz panel, which provides ``solo()``, ``take``,
``midi_options()``, the ``message`` signal and a temp folder. Dialogs start in the last
export folder (``recent``); WAV and MusicXML are written in a worker (seconds for a long
take, music21's import), MIDI at once (milliseconds).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QWidget

from studio.gui.shared import recent
from studio.gui.shared.errors import show_error
from studio.gui.jazz.audio import render_wav_file, write_leadsheet_file, write_midi_file
from studio.gui.shared.workers import run_task


class DragHandle(QLabel):
    """Drag this out of the window to drop the take's MIDI file into a DAW or folder."""

    def __init__(self, make_file, parent: QWidget | None = None):
        super().__init__("⇱ Drag MIDI", parent)
        self.make_file = make_file    # () -> Path | None
        self.setToolTip("Drag into your DAW or a folder to drop the take as a MIDI file")
        self.setFrameShape(QLabel.Shape.StyledPanel)
        self.setStyleSheet("padding: 3px 8px; background: #eef3fa; border-radius: 3px")
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self._press: QPoint | None = None
        self.last_drag: QDrag | None = None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()

    def mouseMoveEvent(self, event) -> None:
        if self._press is None:
            return
        if (event.position().toPoint() - self._press).manhattanLength() < \
                QApplication.startDragDistance():
            return
        self._press = None
        self.start_drag()

    def mouseReleaseEvent(self, event) -> None:
        self._press = None

    def drag_data(self) -> QMimeData | None:
        path = self.make_file()
        if path is None:
            return None
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path))])
        return data

    def start_drag(self) -> None:
        data = self.drag_data()
        if data is None:
            return
        drag = QDrag(self)
        drag.setMimeData(data)
        self.last_drag = drag
        drag.exec(Qt.DropAction.CopyAction)


class TakeExports:
    """Export MIDI / WAV / lead sheet of the shown take (a mixin of the jazz panel)."""

    def _ask_path(self, caption: str, suffix: str, filter_: str) -> str | None:
        start = Path(recent.folder("export")) / f"take-{self.take.number:03d}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, caption, str(start), filter_)
        if not path:
            return None
        recent.remember_folder("export", path)
        return path

    def _shown_solo(self):
        solo = self.solo()
        if solo is None:
            self.message.emit("Generate a jazz take first.")
        return solo

    def temp_midi(self) -> Path | None:
        """A MIDI file of the shown take in a temp folder (for drag and drop)."""
        solo = self.solo()
        if solo is None:
            return None
        path = Path(self._temp_dir.name) / f"take-{self.take.number:03d}.mid"
        write_midi_file(solo, path, self.midi_options())
        return path

    def export_midi(self, path: str | None = None) -> Path | None:
        solo = self._shown_solo()
        if solo is None:
            return None
        path = path or self._ask_path("Export MIDI", ".mid", "MIDI files (*.mid)")
        if not path:
            return None
        try:
            out = write_midi_file(solo, Path(path), self.midi_options())
        except Exception as exc:
            show_error(self, "Export MIDI", exc)
            return None
        self.message.emit(f"Saved {out}")
        return out

    def export_wav(self, path: str | None = None, done=None) -> None:
        """Render with the built-in synth (or the SoundFont) in a worker, then save."""
        solo = self._shown_solo()
        path = solo is not None and (path or self._ask_path("Export WAV", ".wav", "WAV audio (*.wav)"))
        if path:
            engine = []

            def write(solo, path, options):   # the status bar says what rendered it
                out, said = render_wav_file(solo, path, options)
                engine.append(said)
                return out

            self._write_in_worker("Export WAV", "Rendering audio…", write, solo, path, done,
                                  note=lambda: engine[0] if engine else "")

    def export_leadsheet(self, path: str | None = None, done=None) -> None:
        """MusicXML in a worker (music21 takes a moment to load), then save."""
        solo = self._shown_solo()
        path = solo is not None and (path or self._ask_path(
            "Export lead sheet", ".musicxml", "MusicXML (*.musicxml *.xml)"))
        if path:
            self._write_in_worker("Export lead sheet", "Writing the lead sheet…",
                                  write_leadsheet_file, solo, path, done)

    def _write_in_worker(self, title, busy, write, solo, path, done, note=None) -> None:
        options = self.midi_options()
        self.message.emit(busy)

        def finished(out, error):
            if error is not None:
                show_error(self, title, error)
            else:
                said = note() if note is not None else ""
                self.message.emit(f"Saved {out}" + (f" ({said})" if said else ""))
            if done is not None:
                done(out, error)

        run_task(lambda: write(solo, Path(path), options), finished, owner=self)
