"""Real instrument sound: a take rendered through a SoundFont (.sf2/.sf3), else the built-in synth.

``render_take`` is the one renderer behind every sound the app makes of a jazz take: the
window's Play and Export WAV, and ``sample ... --wav``. It returns the buffer and a
sentence saying what made it ("SoundFont FluidR3_GM.sf2" or "built-in synth: no SoundFont
found"), which the window's status bar and the CLI show.

Which SoundFont: the one the user chose (Preferences' SoundFont, the CLI's ``--soundfont``)
when given, else a General MIDI SoundFont the system has (``SYSTEM_SOUNDFONTS``: Debian's
fluid-soundfont-gm and the usual places elsewhere). ``"none"`` asks for the built-in synth.

The engine: tinysoundfont (pip; a wheel with TinySoundFont compiled in, no system library),
else pyfluidsynth where that and libfluidsynth are installed. Both are fed the events of
``performance.perform`` (swing, human timing, dynamics, the band), the notes the MIDI
export writes, so a SoundFont changes the instruments, never the performance. A missing,
unreadable or corrupt file, or a font without a usable preset, is never fatal: the
built-in synth plays and the sentence says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.music.perform.feel import Feel
from studio.music.perform.performance import ACOUSTIC_BASS, CHANNELS, PIANO, TENOR_SAX, perform

RATE = 44100
# General MIDI SoundFonts a system may have, in the order they are tried.
SYSTEM_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",          # Debian/Ubuntu: fluid-soundfont-gm
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",          # Fedora, Arch
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/local/share/soundfonts/default.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
)
OFF = ("none", "off", "builtin", "built-in")
# the level of a SoundFont's mix is its own; this brings a GM font near the built-in synth's
GAIN_DB = -3.0


class SoundFontError(RuntimeError):
    """A SoundFont that cannot be used; the message says why, for the user."""


@dataclass(frozen=True)
class Rendered:
    buffer: np.ndarray         # float32 [n, 2] (or [n] when mono was asked for)
    rate: int
    engine: str                # what made it, for the status bar and the CLI
    soundfont: Path | None     # the font that played, None for the built-in synth


def system_soundfont() -> Path | None:
    """The first General MIDI SoundFont of ``SYSTEM_SOUNDFONTS`` that exists, or None.
    ``SEQUENCE_STUDIO_SOUNDFONT`` (a path, or "none") overrides the list."""
    given = os.environ.get("SEQUENCE_STUDIO_SOUNDFONT")
    if given is not None:
        return None if given.strip().lower() in OFF or not given.strip() else Path(given)
    return next((Path(p) for p in SYSTEM_SOUNDFONTS if Path(p).is_file()), None)


def choose(chosen: str | os.PathLike | None) -> Path | None:
    """The SoundFont to try: ``chosen`` (a path; "none" for the built-in synth), else the
    system's."""
    if chosen is not None and str(chosen).strip():
        return None if str(chosen).strip().lower() in OFF else Path(chosen).expanduser()
    return system_soundfont()


def engine_name() -> str | None:
    """'tinysoundfont', 'FluidSynth' or None: what can play a SoundFont here."""
    try:
        import tinysoundfont  # noqa: F401
        return "tinysoundfont"
    except (ImportError, OSError):
        pass
    try:
        import fluidsynth  # noqa: F401  (pyfluidsynth; needs the libfluidsynth library)
        return "FluidSynth"
    except (ImportError, OSError, AttributeError):
        return None


def check(path) -> Path:
    """``path`` if it looks like a SoundFont (RIFF 'sfbk' whose size fits the file), else
    SoundFontError with the reason."""
    path = Path(path)
    if not path.is_file():
        raise SoundFontError(f"SoundFont not found: {path}")
    try:
        with open(path, "rb") as f:
            head = f.read(12)
        size = path.stat().st_size
    except OSError as exc:
        raise SoundFontError(f"SoundFont {path.name} cannot be read ({exc.strerror or exc})") from None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise SoundFontError(f"{path.name} is not a SoundFont (no RIFF 'sfbk' header)")
    if int.from_bytes(head[4:8], "little") < 40:   # 'sfbk' and its three LISTs at least
        raise SoundFontError(f"SoundFont {path.name} is empty (no instruments, no samples)")
    if int.from_bytes(head[4:8], "little") + 8 > size:
        raise SoundFontError(f"SoundFont {path.name} is truncated ({size} bytes, the header says "
                             f"{int.from_bytes(head[4:8], 'little') + 8})")
    return path


def status(chosen=None) -> tuple[bool, str]:
    """(a SoundFont will play, the sentence): for Preferences. Quick: the file's header is
    checked, not loaded (a GM font takes 0.7 s), so a font garbled inside is caught at render."""
    path = choose(chosen)
    if path is None:
        why = "SoundFont off" if chosen is not None and str(chosen).strip() else "no SoundFont found"
        return False, f"built-in synth: {why}"
    try:
        check(path)
    except SoundFontError as exc:
        return False, f"built-in synth: {exc}"
    if engine_name() is None:
        return False, ("built-in synth: no SoundFont engine (pip install --no-deps "
                       "tinysoundfont)")
    return True, f"SoundFont {path.name}"


class _Engine:
    """What the render asks of a synthesizer; both bindings name these calls alike."""

    def has(self, program: int) -> bool:
        return bool(self.synth.sfpreset_name(self.sfid, 0, program))

    def select(self, channel, program):
        self.synth.program_select(channel, self.sfid, 0, program)

    def noteon(self, channel, pitch, velocity):
        self.synth.noteon(channel, pitch, velocity)

    def noteoff(self, channel, pitch):
        self.synth.noteoff(channel, pitch)


class _Tsf(_Engine):
    def __init__(self, path: Path, rate: int):
        import tinysoundfont

        self.synth = tinysoundfont.Synth(gain=GAIN_DB, samplerate=rate)
        try:
            self.sfid = self.synth.sfload(str(path))
        except Exception as exc:    # RuntimeError "Could not load SoundFont"
            raise SoundFontError(f"SoundFont {path.name} could not be loaded ({exc})") from None

    def samples(self, frames: int) -> np.ndarray:
        return np.frombuffer(self.synth.generate_simple(frames), dtype=np.float32).reshape(-1, 2)

    def close(self):
        self.synth.soundfonts.clear()


class _Fluid(_Engine):
    def __init__(self, path: Path, rate: int):
        import fluidsynth

        self.synth = fluidsynth.Synth(samplerate=float(rate), gain=1.0)
        self.sfid = self.synth.sfload(str(path))
        if self.sfid < 0:
            self.synth.delete()
            raise SoundFontError(f"SoundFont {path.name} could not be loaded by FluidSynth")

    def samples(self, frames: int) -> np.ndarray:
        data = np.asarray(self.synth.get_samples(frames), dtype=np.int16)
        return (data.astype(np.float32) / 32768.0).reshape(-1, 2)

    def close(self):
        self.synth.delete()


def _programs(engine, wanted: dict[int, int], name: str) -> dict[int, int]:
    """Each channel's program: the GM one when the font has it, else the font's first
    preset (a piano-only font still plays every part)."""
    first = next((p for p in range(128) if engine.has(p)), None)
    if first is None:
        raise SoundFontError(f"SoundFont {name} has no preset in bank 0")
    return {ch: (p if engine.has(p) else first) for ch, p in wanted.items()}


def render_soundfont(solo, soundfont, rate: int = RATE, program: int = TENOR_SAX,
                     comping: bool = True, bass: bool = True, tail: float = 1.0,
                     feel: Feel | None = None) -> np.ndarray:
    """A Solo (or Take) through ``soundfont``: float32 [n, 2]. SoundFontError (a
    RuntimeError) with the reason when there is no engine or the font cannot be used."""
    path = check(soundfont)
    kind = engine_name()
    if kind is None:
        raise SoundFontError("no SoundFont engine is installed (pip install --no-deps tinysoundfont)")
    engine = (_Tsf if kind == "tinysoundfont" else _Fluid)(path, rate)
    try:
        for channel, prog in _programs(engine, {CHANNELS["solo"]: program, CHANNELS["comping"]: PIANO,
                                                CHANNELS["bass"]: ACOUSTIC_BASS}, path.name).items():
            engine.select(channel, prog)
        perf = perform(solo, feel, comping=comping, bass=bass)
        chunks, done = [], 0
        for event in perf.events():
            at = int(round(event.time * rate))
            if at > done:
                chunks.append(engine.samples(at - done).copy())
                done = at
            if event.kind == "note_on":
                engine.noteon(event.channel, event.pitch, event.velocity)
            else:
                engine.noteoff(event.channel, event.pitch)
        end = int(np.ceil((perf.seconds(perf.end) + tail) * rate))
        if end > done:
            chunks.append(engine.samples(end - done).copy())
    finally:
        engine.close()
    buffer = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
    peak = float(np.abs(buffer).max()) if len(buffer) else 0.0
    if peak > 0.95:                                  # keep headroom, never clip
        buffer *= 0.95 / peak
    return buffer.astype(np.float32, copy=False)


def render_take(solo, soundfont=None, rate: int = RATE, program: int = TENOR_SAX,
                comping: bool = True, bass: bool = True, feel: Feel | None = None,
                stereo: bool = True) -> Rendered:
    """The take's sound: through the SoundFont ``choose(soundfont)`` finds, else the
    built-in synth; never raises for a bad font (the ``engine`` sentence says why)."""
    from studio.music.audio.synth import render_solo

    path, why = choose(soundfont), None
    if path is None:
        why = "SoundFont off" if soundfont is not None and str(soundfont).strip() else "no SoundFont found"
    else:
        try:
            buffer = render_soundfont(solo, path, rate=rate, program=program, comping=comping,
                                      bass=bass, feel=feel)
            return Rendered(buffer if stereo else buffer.mean(axis=1), rate,
                            f"SoundFont {path.name}", path)
        except SoundFontError as exc:
            why = str(exc)
        except Exception as exc:        # an engine's own error on a font it half-read
            why = f"SoundFont {path.name} failed ({type(exc).__name__}: {exc})"
    buffer = render_solo(solo, rate=rate, comping=comping, bass=bass, feel=feel, stereo=stereo)
    return Rendered(buffer, rate, f"built-in synth: {why}", None)
