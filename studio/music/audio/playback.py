"""Audio playback of a rendered buffer through sounddevice, when the machine can.

The app must run where there is no PortAudio library or no output device (servers, CI,
this build machine): sounddevice is imported lazily, and ``audio_status`` turns every
failure into ``(False, reason)`` for the GUI to show beside a disabled Play button.
``Player`` keeps a playhead clock (``position_seconds``) for the piano-roll cursor.
Qt-free; the GUI polls ``position_seconds`` from a timer.

Quitting after the JACK server went away (stopped, restarted, a test server torn down):
sounddevice's exit handler calls Pa_Terminate, whose JACK host API asserts that
``jack_deactivate`` of its client succeeds; with the server gone it fails, and the process
aborted at exit with "pa_jack.c:820: Terminate: Assertion `err == 0' failed" (issue 25,
defect 5). ``_exit_guard``, run before that handler, skips PortAudio's clean-up then (the
process is ending; the dead server has nothing left to release). Stopping a stream whose
JACK server has gone waits forever in Pa_StopStream (Stop, or the window's shut-down,
hung): ``_stop_streams`` gives it ``STOP_WAIT`` seconds on a helper thread, then leaves the
stream, and playback says the sound server has gone until the app restarts.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import re
import sys
import threading
import time


class AudioUnavailable(RuntimeError):
    """Playback is not possible here; the message says why (no PortAudio, no device ...)."""


# PortAudio's error codes (portaudio.h, PaErrorCode) a user meets, in plain words. JACK
# answers "Insufficient memory" (-9992) when it refuses a new client (issue 25, defect 5).
_PA_CODES = {
    -9992: "the sound server refused a new stream (JACK says 'insufficient memory' then): "
           "another program may hold the device, or the server is overloaded",
    -9985: "the output device is busy or gone",
    -9996: "the chosen output device does not exist (any more)",
    -9997: "the output device does not take this sample rate",
    -9986: "the sound server is not running",
}


def explain(exc: BaseException) -> str:
    """A PortAudio error as a sentence a user can act on, without the library's codes."""
    text = str(exc)
    code = re.search(r"PaErrorCode (-?\d+)", text)
    said = _PA_CODES.get(int(code.group(1))) if code else None
    if said is None:
        # "Error opening OutputStream: Device unavailable [PaErrorCode -9985]" -> the middle
        said = re.sub(r"\s*\[PaErrorCode -?\d+\]", "", text.split(": ", 1)[-1]).strip() or \
            type(exc).__name__
        said = said[0].lower() + said[1:]
    return (f"the audio output could not be opened: {said}. Close other audio programs and "
            "play again, or export a WAV")


def _sounddevice():
    """The sounddevice module, or AudioUnavailable with a reason a user can act on."""
    global _pa_server
    if "sounddevice" not in sys.modules:     # PortAudio starts (and joins JACK) on import
        _pa_server = os.environ.get("JACK_DEFAULT_SERVER")
    try:
        import sounddevice
    except OSError as exc:   # the package is there but the PortAudio library is not
        detail = "" if "portaudio library not found" in str(exc).lower() else f" ({exc})"
        raise AudioUnavailable(f"PortAudio library not found{detail}; install PortAudio "
                               "(e.g. libportaudio2) to hear takes") from None
    except ImportError:
        raise AudioUnavailable("the sounddevice package is not installed") from None
    global _guarded
    if not _guarded:        # after sounddevice's own exit handler, so it runs before it
        atexit.register(_exit_guard)
        _guarded = True
    return sounddevice


_guarded = False
_stuck = False             # a stream could not be stopped: its JACK server has gone
# the JACK server PortAudio joined when it started (JACK_DEFAULT_SERVER then): the one the
# exit guard must ask about, whatever the variable says by exit (tests change it)
_pa_server: str | None = None


def restart_portaudio() -> None:
    """Start PortAudio again (it reads the devices once, when it starts): after a JACK
    server came up, or under another JACK_DEFAULT_SERVER."""
    global _pa_server
    sd = sys.modules.get("sounddevice")
    if sd is not None and hasattr(sd, "_terminate") and hasattr(sd, "_initialize"):
        sd._terminate()
        sd._initialize()
        _pa_server = os.environ.get("JACK_DEFAULT_SERVER")
STOP_WAIT = 1.0
GONE = ("the sound server went away while a take played; restart Sequence Studio to play "
        "again, or export a WAV")


def _stop_streams(sd) -> bool:
    """``sd.stop()``, but never forever (see the module text); False when it was left."""
    global _stuck
    if _stuck:
        return False
    done = threading.Event()

    def stop():
        try:
            sd.stop()
        except Exception:
            pass            # stopping a dead stream must never raise in a UI handler
        done.set()

    threading.Thread(target=stop, name="audio-stop", daemon=True).start()
    if not done.wait(STOP_WAIT):
        _stuck = True
    return not _stuck
_SILENT = ctypes.CFUNCTYPE(None, ctypes.c_char_p)(lambda _msg: None)


def jack_server_running(server: str | None = "") -> bool | None:
    """Is the JACK server ``server`` up ("": the one JACK_DEFAULT_SERVER names now; None:
    the default server)? None when libjack is not there to ask. Opens and closes a client
    that never starts a server; libjack's "Cannot connect to server" lines are silenced."""
    if server != "":
        saved = os.environ.get("JACK_DEFAULT_SERVER")
        if server is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = server
        try:
            return jack_server_running()
        finally:
            if saved is None:
                os.environ.pop("JACK_DEFAULT_SERVER", None)
            else:
                os.environ["JACK_DEFAULT_SERVER"] = saved
    name = ctypes.util.find_library("jack")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.jack_client_open.restype = ctypes.c_void_p
        lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.jack_client_close.argtypes = [ctypes.c_void_p]
        # libjack keeps its message functions in two globals; ours (a Python callback) must
        # not outlive the probe: PortAudio's own clean-up at exit closes its JACK client
        # after Python has shut down, and a message then called into freed Python (a
        # segfault at exit, seen when the probe ran while the server was up)
        hooks = [ctypes.c_void_p.in_dll(lib, g) for g in ("jack_error_callback", "jack_info_callback")]
        saved = [h.value for h in hooks]
    except (OSError, AttributeError, ValueError):
        return None
    lib.jack_set_error_function(_SILENT)
    lib.jack_set_info_function(_SILENT)
    try:
        status = ctypes.c_int(0)
        client = lib.jack_client_open(b"sequence-studio-probe", 0x01, ctypes.byref(status))  # JackNoStartServer
        if client:
            lib.jack_client_close(client)
    finally:
        for hook, value in zip(hooks, saved):
            hook.value = value
    return bool(client)


def _exit_guard() -> None:
    """At exit: PortAudio with a JACK client whose server is gone must not terminate
    (the assertion above); drop sounddevice's exit handler then."""
    sd = sys.modules.get("sounddevice")
    handler = getattr(sd, "_exit_handler", None)
    if handler is None or not getattr(sd, "_initialized", 0):
        return
    try:
        jack = any("JACK" in api.get("name", "") for api in sd.query_hostapis())
    except Exception:
        return
    if _stuck or (jack and jack_server_running(_pa_server) is False):
        atexit.unregister(handler)


def audio_status() -> tuple[bool, str]:
    """(available, reason): can a take be played on this machine right now?"""
    try:
        sd = _sounddevice()
    except AudioUnavailable as exc:
        return False, str(exc)
    try:
        device = sd.query_devices(kind="output")
    except Exception as exc:  # PortAudioError / ValueError when there is no output device
        return False, f"no audio output device ({exc})"
    name = device.get("name", "default") if isinstance(device, dict) else str(device)
    return True, f"audio output: {name}"


def output_devices() -> list[str]:
    """The names of the output devices PortAudio offers (Preferences' audio output); []
    where there is no PortAudio or no device."""
    try:
        sd = _sounddevice()
        return [d["name"] for d in sd.query_devices() if d.get("max_output_channels", 0) > 0]
    except Exception:  # no PortAudio, no device: the system default is the only choice
        return []


def resample(buffer, rate: int, target: int):
    """Linear-interpolation resampling of a float32 [n] or [n, channels] buffer: enough
    for a preview on a device that runs at another rate (JACK/PipeWire at 48 kHz)."""
    import numpy as np

    if rate == target or len(buffer) == 0:
        return buffer
    n = int(round(len(buffer) * target / rate))
    src = np.arange(len(buffer), dtype=np.float64)
    dst = np.linspace(0.0, len(buffer) - 1, n)
    if buffer.ndim == 1:
        return np.interp(dst, src, buffer).astype(np.float32)
    return np.stack([np.interp(dst, src, buffer[:, c]) for c in range(buffer.shape[1])],
                    axis=1).astype(np.float32)


def _output_rate(sd, buffer, rate: int, device=None) -> int:
    """``rate`` if the output device takes it, else the device's own rate (a JACK server
    runs at one rate and PortAudio refuses any other)."""
    channels = 1 if buffer.ndim == 1 else buffer.shape[1]
    check = getattr(sd, "check_output_settings", None)
    if check is None:
        return rate
    try:
        check(samplerate=rate, channels=channels, **({"device": device} if device else {}))
        return rate
    except Exception:
        info = sd.query_devices(device, kind="output") if device else sd.query_devices(kind="output")
        return int(info.get("default_samplerate") or rate)


class Player:
    """Plays one buffer at a time; ``play`` replaces what is playing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._started: float | None = None
        self._duration = 0.0
        self._sd = None

    def play(self, buffer, rate: int, device: str | None = None) -> None:
        """Start playback (non-blocking) on ``device`` (an output device's name; None: the
        system default). Raises AudioUnavailable with the reason."""
        ok, reason = audio_status()
        if not ok:
            raise AudioUnavailable(reason)
        sd = _sounddevice()
        with self._lock:
            if not _stop_streams(sd):
                self._started = None
                raise AudioUnavailable(GONE)
            try:
                device_rate = _output_rate(sd, buffer, rate, device or None)
                if device_rate != rate:
                    buffer, rate = resample(buffer, rate, device_rate), device_rate
                sd.play(buffer, rate, **({"device": device} if device else {}))
            except Exception as exc:   # the device vanished between check and play
                self._started = None
                raise AudioUnavailable(explain(exc)) from None
            self._sd = sd
            self._started = time.monotonic()
            self._duration = len(buffer) / float(rate)

    def stop(self) -> None:
        with self._lock:
            if self._sd is not None and self._started is not None:
                _stop_streams(self._sd)
            self._started = None

    def position_seconds(self) -> float | None:
        """Seconds into the buffer, or None when nothing is playing (ended or stopped)."""
        with self._lock:
            if self._started is None:
                return None
            elapsed = time.monotonic() - self._started
            if elapsed >= self._duration:
                self._started = None
                return None
            return elapsed

    @property
    def playing(self) -> bool:
        return self.position_seconds() is not None
