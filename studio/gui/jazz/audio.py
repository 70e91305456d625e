"""Files and sound for jazz takes: thin adapters over ``studio.music``.

``write_midi_file`` / ``write_wav_file`` / ``write_leadsheet_file`` call
``studio.music.notation.midi_file.write_midi``, ``studio.music.audio.synth`` and
``studio.music.notation.leadsheet`` (the CLI's ``--out`` / ``--wav`` / ``--xml``); ``options``
carries the program, the comping/bass switches and the performance ``feel``. Each is written
through ``studio.core.outputs.write_file`` as the CLI's are (atomic, never over a model; the
save dialog has asked before replacing a file, hence ``force``). ``AudioTransport`` wraps
``studio.music.audio.playback``: the buffer is rendered in a worker, then played, and a
timer polls the player's clock to move the piano roll's playhead.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studio.core.outputs import write_file
from studio.gui.shared.workers import run_task

log = logging.getLogger(__name__)


def write_midi_file(solo, path: Path, options: dict) -> Path:
    """Type-1 MIDI of the take: solo (``program``), optional comping and bass tracks."""
    from studio.music.notation.midi_file import write_midi

    path = Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        path = path.with_suffix(".mid")
    return write_file(path, lambda tmp: write_midi(solo, tmp, **options), force=True)


def write_leadsheet_file(solo, path: Path, options: dict) -> Path:
    """MusicXML lead sheet: chord symbols, key, swing marking, bass line (if on)."""
    from studio.music.notation.leadsheet import musicxml_path, write_musicxml

    return write_file(musicxml_path(path), lambda tmp: write_musicxml(
        solo, tmp, feel=options.get("feel"), bass=options.get("bass", True)), force=True)


def render(solo, options: dict):
    """``studio.music.audio.soundfont.Rendered``: through the Preferences' SoundFont (else
    the system's General MIDI SoundFont) with the chosen instrument, else the built-in synth;
    ``engine`` says which (and why), for the status bar."""
    from studio.gui.shared import preferences
    from studio.music.audio.soundfont import render_take

    sound = render_take(solo, preferences.load().soundfont or None,
                        comping=options.get("comping", True), bass=options.get("bass", True),
                        feel=options.get("feel"),
                        **({"program": options["program"]} if "program" in options else {}))
    if sound.soundfont is None:
        log.info("sound: %s", sound.engine)
    return sound


def write_wav_file(solo, path: Path, options: dict) -> Path:
    return render_wav_file(solo, path, options)[0]


def render_wav_file(solo, path: Path, options: dict) -> tuple[Path, str]:
    """(the WAV written, what rendered it: "SoundFont …" or "built-in synth: …")."""
    from studio.music.audio.synth import write_wav

    path = Path(path)
    if path.suffix.lower() != ".wav":
        path = path.with_suffix(".wav")
    sound = render(solo, options)
    out = write_file(path, lambda tmp: write_wav(tmp, sound.buffer, sound.rate), force=True)
    return out, sound.engine


class AudioTransport(QObject):
    """Play / stop one take. ``position(tick)`` at ~30 Hz while playing, ``None`` at the end.

    ``status_known`` fires once the (possibly slow) audio check has run in a worker.
    """

    position = Signal(object)
    state_changed = Signal()
    status_known = Signal()
    started = Signal(str)       # what plays: "SoundFont FluidR3_GM.sf2", "built-in synth: …"

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._player = None
        self._solo = None
        self._busy = False          # rendering before play
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._tick)
        self._status: tuple[bool, str] | None = None
        self._job = 0
        self.engine = ""            # what rendered the last take played

    def check(self) -> None:
        """Ask ``playback.audio_status()`` off the UI thread (PortAudio can be slow)."""
        def work():
            from studio.music.audio import playback

            return tuple(playback.audio_status())

        def done(status, error):
            self._status = status if error is None else (False, f"audio check failed: {error}")
            self.status_known.emit()

        run_task(work, done, owner=self)

    def available(self) -> tuple[bool, str]:
        if self._status is None:
            return False, "checking the audio output…"
        return self._status

    def playing(self) -> bool:
        return self._timer.isActive() or self._busy

    def play(self, solo, options: dict, on_error=None) -> None:
        self.stop()
        self._busy = True
        self._job += 1
        job = self._job
        self.state_changed.emit()

        def done(result, error):
            if job != self._job:
                return  # stopped (or replaced) while rendering
            self._busy = False
            if error is None:
                try:
                    from studio.gui.shared import preferences
                    from studio.music.audio.playback import Player

                    self._player = self._player or Player()
                    self._player.play(result.buffer, result.rate,
                                      preferences.load().audio_output or None)
                    self._solo = solo
                    self.engine = result.engine
                    self._timer.start()
                    self.started.emit(result.engine)
                except Exception as exc:  # AudioUnavailable: the device went away
                    error = exc
            if error is not None and on_error is not None:
                on_error(error)
            self.state_changed.emit()

        run_task(lambda: render(solo, options), done, owner=self)

    def stop(self) -> None:
        self._job += 1
        was = self.playing()
        self._busy = False
        if self._player is not None:
            self._player.stop()
        self._timer.stop()
        if was:
            self.position.emit(None)
            self.state_changed.emit()

    def _tick(self) -> None:
        seconds = self._player.position_seconds() if self._player is not None else None
        if seconds is None or self._solo is None:
            self.stop()
            return
        self.position.emit(seconds / self._solo.seconds_per_tick())
