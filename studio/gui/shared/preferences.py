"""Preferences (Edit > Preferences…): default device, training threads, SoundFont,
output folder. Stored in the ``preferences`` settings group; read where they apply.

* device: what the Generate and Score pickers start with (Auto unless chosen).
* threads: torch threads of a training run started from the window. "Auto" leaves
  one core to the window (measured on a 2-core machine: a tiny GRU trained 8x faster
  with one thread than with two competing with the desktop, and the window no longer
  waits for the trainer's threads).
* SoundFont: a .sf2/.sf3 file for playback and WAV export (``music.audio.soundfont``);
  empty: the system's General MIDI SoundFont when there is one; "none": the built-in
  synth. A line under it says what will play, and why not a SoundFont.
* output folder: where export dialogs start, when set (else the last export folder).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QSpinBox, QToolButton, QWidget)

from studio.gui.shared.settings import Group

VERSION = 1


@dataclass
class Preferences:
    device: str = "auto"
    threads: int = 0            # 0 = auto: all cores but one
    soundfont: str = ""
    output_folder: str = ""
    audio_output: str = ""      # an output device's name; "" = the system default
    output_folder_at: float = 0.0   # when the output folder was last set (``recent.folder``)

    def train_threads(self) -> int:
        return self.threads if self.threads > 0 else auto_threads()

    def export_folder(self) -> Path:
        folder = Path(self.output_folder) if self.output_folder else None
        return folder if folder is not None and folder.is_dir() else Path.home()


def auto_threads() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


def load() -> Preferences:
    with Group("preferences", version=VERSION) as g:
        return Preferences(device=str(g.get("device", "auto") or "auto"),
                           threads=g.get("threads", 0, int) or 0,
                           soundfont=str(g.get("soundfont", "") or ""),
                           output_folder=str(g.get("output_folder", "") or ""),
                           audio_output=str(g.get("audio_output", "") or ""),
                           output_folder_at=g.get("output_folder_at", 0.0, float) or 0.0)


def save(prefs: Preferences) -> None:
    with Group("preferences", version=VERSION) as g:
        if prefs.output_folder != (g.get("output_folder", "") or ""):
            prefs.output_folder_at = time.time()  # a new output folder wins over the last export's
        for key, value in prefs.__dict__.items():
            g.set(key, value)


class PreferencesDialog(QDialog):
    """Edits a ``Preferences``; ``result_preferences()`` after ``accept``."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        # Here, not at the top: the main window imports this module before it first
        # paints, and studio.core.devices imports torch (3.5 s on a loaded 2-core box).
        from studio.core.devices import device_choices

        self.setWindowTitle("Preferences")
        self.setMinimumWidth(480)   # the SoundFont path and the line saying what plays
        self.device = QComboBox()
        for name, available, reason in device_choices():
            self.device.addItem(name.upper() if name != "auto" else "Auto", name)
            index = self.device.count() - 1
            self.device.setItemData(index, reason, 3)  # Qt.ToolTipRole
            if not available:
                self.device.model().item(index).setEnabled(False)
        self.device.setCurrentIndex(max(0, self.device.findData(prefs.device)))
        self.threads = QSpinBox()
        self.threads.setRange(0, max(64, os.cpu_count() or 1))
        self.threads.setSpecialValueText(f"auto ({auto_threads()})")
        self.threads.setValue(prefs.threads)
        self.threads.setToolTip("Torch threads of a training run started here; auto leaves "
                                "one core to the window")
        self.soundfont = QLineEdit(prefs.soundfont)
        self.soundfont.setPlaceholderText("the system's General MIDI SoundFont, if any")
        self.soundfont.setClearButtonEnabled(True)
        self.soundfont.setToolTip("A .sf2/.sf3 SoundFont; empty: the system's General MIDI "
                                  "SoundFont; none: the built-in synth")
        self.sound_status = QLabel()
        self.sound_status.setWordWrap(True)
        self.soundfont.textChanged.connect(self._show_sound)
        self._show_sound()
        self.output_folder = QLineEdit(prefs.output_folder)
        self.output_folder.setPlaceholderText(str(Path.home()))
        self.output_folder.setClearButtonEnabled(True)
        # where takes play (issue 25, defect 5: there was no choice of output device)
        from studio.music.audio.playback import output_devices

        self.audio_output = QComboBox()
        self.audio_output.addItem("System default", "")
        for name in output_devices():
            self.audio_output.addItem(name, name)
        if prefs.audio_output and self.audio_output.findData(prefs.audio_output) < 0:
            self.audio_output.addItem(f"{prefs.audio_output} (not found now)", prefs.audio_output)
        self.audio_output.setCurrentIndex(max(0, self.audio_output.findData(prefs.audio_output)))
        form = QFormLayout(self)
        form.addRow("Default &device", self.device)
        form.addRow("Training &threads", self.threads)
        form.addRow("&Audio output", self.audio_output)
        form.addRow("&SoundFont", _with_browse(self.soundfont, self._pick_soundfont))
        form.addRow("", self.sound_status)
        form.addRow("&Output folder", _with_browse(self.output_folder, self._pick_folder))
        note = QLabel("The SoundFont plays jazz takes and renders WAV files (through "
                      "tinysoundfont); where none is usable the built-in synth plays.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _show_sound(self) -> None:
        """What will play: "SoundFont FluidR3_GM.sf2" or "built-in synth: <why>"."""
        from studio.music.audio.soundfont import status

        ok, said = status(self.soundfont.text().strip() or None)
        self.sound_status.setText(f"Plays: {said}")
        self.sound_status.setStyleSheet("color: #555" if ok else "color: #a60")

    def _pick_soundfont(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SoundFont", self.soundfont.text() or str(Path.home()),
                                              "SoundFonts (*.sf2 *.sf3);;All files (*)")
        if path:
            self.soundfont.setText(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder",
                                                self.output_folder.text() or str(Path.home()))
        if path:
            self.output_folder.setText(path)

    def result_preferences(self) -> Preferences:
        return Preferences(device=self.device.currentData() or "auto", threads=self.threads.value(),
                           soundfont=self.soundfont.text().strip(),
                           output_folder=self.output_folder.text().strip(),
                           audio_output=self.audio_output.currentData() or "")


def _with_browse(edit: QLineEdit, slot) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QToolButton()
    button.setText("…")
    button.clicked.connect(slot)
    layout.addWidget(button)
    return row
