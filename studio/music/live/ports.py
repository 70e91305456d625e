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


_OWN_PORTS: set[str] = set()      # real names of the ports this process opened (never offered as --in)


class RtPort:
    """A port opened through python-rtmidi itself, under the client "Sequence Studio".

    mido's rtmidi backend names the client only for virtual ports (a port it connects to
    a DAW's shows up as "RtMidiOut Client:RtMidi output"), and reports the name it asked
    for, not the one the system gave (a second instance's client is "Sequence Studio-01").
    ``name`` is the port it plays into or listens to (the DAW's or keyboard's; for a
    virtual port, our own); ``own_name`` the real full name of our port. ``send`` takes
    mido messages; ``callback`` (input) gets mido messages."""

    def __init__(self, rt, name: str, own_name: str, callback=None):
        self._rt, self.name, self.own_name = rt, name, own_name
        self._callback = None
        self.closed = False
        if callback is not None:
            self.callback = callback

    def send(self, msg) -> None:
        self._rt.send_message(msg.bytes())

    @property
    def callback(self):
        return self._callback

    @callback.setter
    def callback(self, func) -> None:
        import mido

        if self._callback is not None:
            self._rt.cancel_callback()
        self._callback = func
        if func is not None:
            self._rt.set_callback(lambda event, _data: func(mido.Message.from_bytes(event[0])))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        _OWN_PORTS.discard(self.own_name)
        try:
            if self._callback is not None:
                self._rt.cancel_callback()
            self._rt.close_port()
        finally:
            self._rt.delete()


def _rt_open(backend, name: str | None, is_input: bool, callback=None) -> RtPort:
    """Our port ("Sequence Studio" out, "Sequence Studio in" in) under the client
    "Sequence Studio": virtual (name None) or connected to the port ``name``; its real
    name is read back from the system's port list."""
    import rtmidi

    api = getattr(rtmidi, f"API_{backend.api}", rtmidi.API_UNSPECIFIED)
    ours = VIRTUAL_IN if is_input else VIRTUAL_OUT
    rt = (rtmidi.MidiIn if is_input else rtmidi.MidiOut)(rtapi=api, name=CLIENT_NAME)
    # our output is a source (listed by inputs), our input a destination (listed by outputs)
    listing = rtmidi.MidiOut if is_input else rtmidi.MidiIn
    before = set(_names(listing, api))
    try:
        if is_input:
            rt.ignore_types(sysex=True, timing=False, active_sense=True)   # clock comes in
        if name is None:
            rt.open_virtual_port(ours)
        else:
            rt.open_port(rt.get_ports().index(name), ours)
    except Exception:
        rt.delete()
        raise
    fresh = [n for n in _names(listing, api) if n not in before and ours in n]
    own = fresh[0] if len(fresh) == 1 else f"{CLIENT_NAME}:{ours}"
    _OWN_PORTS.add(own)
    return RtPort(rt, name or own, own, callback)


def _names(kind, api) -> list[str]:
    probe = kind(rtapi=api, name=f"{CLIENT_NAME} probe")
    try:
        return probe.get_ports()
    finally:
        probe.delete()


def open_output(name: str | None = None, api: str | None = None, backend=None):
    """An output port: ``name`` resolved among the existing ones, or (None) the virtual
    port "Sequence Studio". It has ``send`` and ``close`` as a mido port has."""
    backend = backend or open_backend(api)
    try:
        if name is None and sys.platform.startswith("win"):
            raise MidiUnavailable("Windows has no virtual MIDI ports: choose an existing "
                                  "loopback port (e.g. one made with loopMIDI) by name")
        target = None if name is None else resolve_port(name, _probe(backend).outputs, "output")
        if backend.name == RTMIDI:
            return _rt_open(backend, target, is_input=False)
        if target is None:
            return backend.open_output(VIRTUAL_OUT, virtual=True, client_name=CLIENT_NAME)
        return backend.open_output(target)
    except MidiUnavailable:
        raise
    except Exception as exc:
        raise MidiUnavailable(_system_message(backend_label(backend), exc)) from None


def open_input(name: str | None = None, api: str | None = None, backend=None, callback=None):
    """An input port (a keyboard): ``name`` resolved among the existing ones (never this
    app's own output), or (None) the virtual port "Sequence Studio in"."""
    backend = backend or open_backend(api)
    try:
        if name is None and sys.platform.startswith("win"):
            raise MidiUnavailable("Windows has no virtual MIDI ports: choose your "
                                  "keyboard's port by name")
        inputs = [n for n in _probe(backend).inputs if n not in _OWN_PORTS]
        target = None if name is None else resolve_port(name, inputs, "input")
        if backend.name == RTMIDI:
            return _rt_open(backend, target, is_input=True, callback=callback)
        if target is None:
            return backend.open_input(VIRTUAL_IN, virtual=True, client_name=CLIENT_NAME,
                                      callback=callback)
        return backend.open_input(target, callback=callback)
    except MidiUnavailable:
        raise
    except Exception as exc:
        raise MidiUnavailable(_system_message(backend_label(backend), exc)) from None
