"""The operating system's MIDI ports, through mido's rtmidi backend (python-rtmidi).

* Which MIDI system: mido's convention, a backend string such as
  ``mido.backends.rtmidi/UNIX_JACK`` in ``MIDO_BACKEND``, or an ``api`` argument (the
  CLI's ``--midi-api``) that may be short: ``jack``, ``alsa``, ``coremidi``, ``windows``.
  With neither, rtmidi's own default (ALSA on Linux); where that system cannot start
  (no ``/dev/snd/seq`` in a container) and a JACK server runs, JACK is used.
* A port is named by its full name or a unique part of it (``resolve_port``).
* No port given: the app makes virtual ports a DAW or a keyboard connects to, named
  "Sequence Studio" (out) and "Sequence Studio in" (in). Windows has no virtual ports:
  there the user picks an existing loopback port by name.
* Every failure becomes ``MidiUnavailable`` with one sentence a person can act on.

libjack would start a JACK server of its own with default settings when none runs (and
grab the sound card); ``JACK_NO_START_SERVER`` is set so that it never does.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

VIRTUAL_OUT = "Sequence Studio"
VIRTUAL_IN = "Sequence Studio in"
CLIENT_NAME = "Sequence Studio"
RTMIDI = "mido.backends.rtmidi"
INSTALL_HINT = "install it with: pip install 'sequence-studio[live]'"

_API_ALIASES = {
    "jack": "UNIX_JACK", "alsa": "LINUX_ALSA", "coremidi": "MACOSX_CORE", "macos": "MACOSX_CORE",
    "core": "MACOSX_CORE", "windows": "WINDOWS_MM", "mm": "WINDOWS_MM", "winmm": "WINDOWS_MM",
    "dummy": "RTMIDI_DUMMY", "web": "WEB_MIDI_API",
}


class MidiUnavailable(RuntimeError):
    """No MIDI system, no such port, or python-rtmidi missing; the message says which."""


@dataclass(frozen=True)
class PortList:
    backend: str
    inputs: list[str]
    outputs: list[str]

    def to_json(self) -> dict:
        return {"backend": self.backend, "inputs": self.inputs, "outputs": self.outputs}


def rtmidi_status() -> tuple[bool, str]:
    """(available, reason): is python-rtmidi importable here?"""
    try:
        import rtmidi  # noqa: F401
    except ImportError:
        return False, f"live MIDI needs python-rtmidi, which is not installed; {INSTALL_HINT}"
    except OSError as exc:      # the wheel is there but a system library is not
        return False, f"python-rtmidi cannot load ({exc})"
    return True, "python-rtmidi available"


def backend_name(api: str | None = None) -> str:
    """The mido backend string for ``api`` (short or rtmidi name), else MIDO_BACKEND."""
    if api:
        if "/" in api or api.startswith("mido."):
            return api
        return f"{RTMIDI}/{_API_ALIASES.get(api.lower(), api.upper())}"
    return os.environ.get("MIDO_BACKEND") or RTMIDI


def _open_backend(name: str):
    import mido

    ok, reason = rtmidi_status()
    if not ok and name.startswith(RTMIDI):
        raise MidiUnavailable(reason)
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    try:
        return mido.Backend(name, load=True)
    except ImportError as exc:
        raise MidiUnavailable(f"MIDI backend {name!r} cannot load ({exc})") from None


def backend_label(backend) -> str:
    """``module/API`` as MIDO_BACKEND spells it (mido keeps the two apart)."""
    return f"{backend.name}/{backend.api}" if getattr(backend, "api", None) else backend.name


def _probe(backend) -> PortList:
    try:
        return PortList(backend_label(backend), backend.get_input_names(),
                        backend.get_output_names())
    except ValueError as exc:   # mido: "unknown API X" / "API X not compiled in"
        raise MidiUnavailable(f"{exc}; MIDI APIs: {', '.join(sorted(set(_API_ALIASES.values())))}"
                              ) from None
    except Exception as exc:  # rtmidi's SystemError: the MIDI system cannot start
        raise MidiUnavailable(_system_message(backend_label(backend), exc)) from None


def _system_message(name: str, exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "JACK" in text or "UNIX_JACK" in name:
        return f"no JACK server is running ({text}); start one (jackd or a JACK/PipeWire session)"
    if "ALSA" in text or "LINUX_ALSA" in name:
        return (f"the ALSA sequencer is not available ({text}); load snd-seq, or use JACK "
                "with --midi-api jack")
    return f"the MIDI system cannot start ({text})"


def open_backend(api: str | None = None):
    """A loaded mido Backend that works here: ``api``/MIDO_BACKEND, or rtmidi's default
    with a fall-back to JACK (Linux without an ALSA sequencer). MidiUnavailable if none."""
    name = backend_name(api)
    backend = _open_backend(name)
    try:
        _probe(backend)
        return backend
    except MidiUnavailable as first:
        if api or os.environ.get("MIDO_BACKEND") or not sys.platform.startswith("linux"):
            raise
        try:
            jack = _open_backend(backend_name("jack"))
            _probe(jack)
            return jack
        except MidiUnavailable:
            raise first from None


def list_ports(api: str | None = None) -> PortList:
    """The input and output ports the chosen MIDI system shows right now."""
    return _probe(open_backend(api))


def resolve_port(wanted: str, names: list[str], kind: str) -> str:
    """The one port whose full name is ``wanted`` or contains it (case-insensitive)."""
    if wanted in names:
        return wanted
    hits = [n for n in names if wanted.lower() in n.lower()]
    if len(hits) == 1:
        return hits[0]
    shown = ", ".join(repr(n) for n in names) or "none"
    if not hits:
        raise MidiUnavailable(f"no MIDI {kind} port matches {wanted!r} (there are: {shown})")
    raise MidiUnavailable(f"{wanted!r} matches several MIDI {kind} ports: "
                          + ", ".join(repr(n) for n in hits) + "; give more of the name")


def open_output(name: str | None = None, api: str | None = None, backend=None):
    """An output port: ``name`` resolved among the existing ones, or (None) the virtual
    port "Sequence Studio". The port is a mido port (``send``, ``close``)."""
    backend = backend or open_backend(api)
    try:
        if name is None:
            if sys.platform.startswith("win"):
                raise MidiUnavailable("Windows has no virtual MIDI ports: choose an existing "
                                      "loopback port (e.g. one made with loopMIDI) by name")
            return backend.open_output(VIRTUAL_OUT, virtual=True, client_name=CLIENT_NAME)
        return backend.open_output(resolve_port(name, _probe(backend).outputs, "output"))
    except MidiUnavailable:
        raise
    except Exception as exc:
        raise MidiUnavailable(_system_message(backend_label(backend), exc)) from None


def open_input(name: str | None = None, api: str | None = None, backend=None, callback=None):
    """An input port (a keyboard): ``name`` resolved among the existing ones, or (None)
    the virtual port "Sequence Studio in" that a keyboard is connected to."""
    backend = backend or open_backend(api)
    try:
        if name is None:
            if sys.platform.startswith("win"):
                raise MidiUnavailable("Windows has no virtual MIDI ports: choose your "
                                      "keyboard's port by name")
            return backend.open_input(VIRTUAL_IN, virtual=True, client_name=CLIENT_NAME,
                                      callback=callback)
        return backend.open_input(resolve_port(name, _probe(backend).inputs, "input"),
                                  callback=callback)
    except MidiUnavailable:
        raise
    except Exception as exc:
        raise MidiUnavailable(_system_message(backend_label(backend), exc)) from None
