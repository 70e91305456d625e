"""Watching the MIDI ports a live session plays through, so that a failure is loud.

Sending into a port whose other end has gone (the DAW quit, the keyboard was unplugged)
or into a JACK server that has died raises nothing: rtmidi drops the messages and the
take would play on into nothing and end "fine". ``PortWatch`` looks every
``INTERVAL_S``:

* a named port (``--out``/``--in``) must still be listed by the MIDI system (one rtmidi
  client kept for listing: a fresh client per look would add a JACK client to the graph
  five times a second);
* on JACK, the server must still be there: a client of its own opened through libjack
  (not activated, so it is no part of the graph) whose shutdown callback fires when the
  server goes (JACK's port lists are read from shared memory and still show the dead
  server's ports).

``watch_session`` ties it to a session: on a loss it ends the take with a one-line
``MidiUnavailable`` (the CLI exits 2; the window shows it), or, with ``reconnect``, says
so in ``session.notice``, waits for the port (or server) to come back, opens the ports
again and lets the band in again at the next bar line.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import math
import threading

from studio.music.live.ports import MidiUnavailable, open_input, open_output

log = logging.getLogger(__name__)

INTERVAL_S = 0.1          # a loss is noticed within this (the target: a message within 1 s)
WATCH_CLIENT = "Sequence Studio watch"


class JackAlive:
    """A libjack client (never activated) whose shutdown callback says the server died."""

    def __init__(self):
        self.gone = threading.Event()
        path = ctypes.util.find_library("jack") or "libjack.so.0"
        lib = ctypes.CDLL(path)
        lib.jack_client_open.restype = ctypes.c_void_p
        lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.jack_client_close.argtypes = [ctypes.c_void_p]
        self._callback_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
        lib.jack_on_shutdown.argtypes = [ctypes.c_void_p, self._callback_type, ctypes.c_void_p]
        self._lib = lib
        status = ctypes.c_int(0)
        # options: JackNoStartServer (1) | JackUseExactName (2) is not asked: a second
        # instance's watch client gets a "-01" name, as its ports do.
        self._client = lib.jack_client_open(WATCH_CLIENT.encode(), 1, ctypes.byref(status))
        if not self._client:
            raise MidiUnavailable("no JACK server is running")
        self._callback = self._callback_type(lambda _arg: self.gone.set())   # kept alive here
        lib.jack_on_shutdown(self._client, self._callback, None)

    def close(self) -> None:
        if self._client and not self.gone.is_set():
            self._lib.jack_client_close(self._client)
        self._client = None


class PortWatch:
    """Checks every ``interval`` that the named ports and the MIDI system are there.

    ``outputs``/``inputs``: full port names to find (a virtual port of our own needs no
    look: it goes only with the whole MIDI system). ``problem()`` is None or a sentence.
    """

    def __init__(self, api: str, outputs=(), inputs=()):
        self.api = api                     # mido's API name, e.g. UNIX_JACK, LINUX_ALSA
        self.outputs = [n for n in outputs if n]
        self.inputs = [n for n in inputs if n]
        self._jack: JackAlive | None = None
        self._out_probe = self._in_probe = None
        self._open()

    def _open(self) -> None:
        import rtmidi

        api = getattr(rtmidi, f"API_{self.api}", rtmidi.API_UNSPECIFIED)
        if self.api == "UNIX_JACK":
            self._jack = JackAlive()
        if self.outputs:
            self._out_probe = rtmidi.MidiOut(rtapi=api, name=WATCH_CLIENT)
        if self.inputs:
            self._in_probe = rtmidi.MidiIn(rtapi=api, name=WATCH_CLIENT)

    def problem(self) -> str | None:
        if self._jack is not None and self._jack.gone.is_set():
            return "the JACK server stopped"
        for probe, names, kind in ((self._out_probe, self.outputs, "output"),
                                   (self._in_probe, self.inputs, "input")):
            if probe is None:
                continue
            listed = probe.get_ports()
            for name in names:
                if name not in listed:
                    return f"the MIDI {kind} port {name!r} went away"
        return None

    def reopen(self) -> bool:
        """After a loss: True once the MIDI system answers again (new listing clients)."""
        self.close()
        try:
            self._open()
        except Exception:            # SystemError / MidiUnavailable: not back yet
            self.close()
            return False
        return True

    def close(self) -> None:
        if self._jack is not None:
            self._jack.close()
        for probe in (self._out_probe, self._in_probe):
            if probe is not None:
                probe.delete()
        self._jack = self._out_probe = self._in_probe = None


def watch_session(session, backend, out_name: str | None, in_name: str | None = None, *,
                  reconnect: bool = False, in_callback=None, interval: float = INTERVAL_S):
    """Start a thread that watches the session's ports until the session ends. Returns
    a ``SessionWatch`` (``close`` it; ``ports`` holds what it opened on reconnecting)."""
    watch = SessionWatch(session, backend, out_name, in_name, reconnect, in_callback, interval)
    watch.start()
    return watch


class SessionWatch:
    def __init__(self, session, backend, out_name, in_name, reconnect, in_callback, interval):
        self.session, self.backend = session, backend
        self.out_name, self.in_name = out_name, in_name
        self.reconnect, self.in_callback, self.interval = reconnect, in_callback, interval
        self.ports: list = []             # inputs opened on reconnecting (closed by close())
        self.losses = 0
        self._done = threading.Event()
        self.watch = PortWatch(getattr(backend, "api", None) or "UNSPECIFIED",
                               [out_name], [in_name] if in_callback is not None else [])
        self._thread = threading.Thread(target=self._run, name="live-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._done.wait(self.interval) and not self.session.finished:
                problem = self.watch.problem()
                if problem is None:
                    continue
                self.losses += 1
                if not self.reconnect:
                    self.session.fail(MidiUnavailable(f"{problem}; the take has stopped"))
                    return
                self.session.notice = f"{problem}; waiting for it to come back (--reconnect)"
                log.warning("live: %s", self.session.notice)
                if not self._wait_back():
                    return
        except Exception as exc:        # the watch itself must never pass a failure by
            self.session.fail(MidiUnavailable(f"watching the MIDI ports failed ({exc})"))

    def _wait_back(self) -> bool:
        while not self._done.wait(self.interval) and not self.session.finished:
            if not self.watch.reopen() or self.watch.problem() is not None:
                continue
            try:
                out = open_output(self.out_name, backend=self.backend)
                inp = (open_input(self.in_name, backend=self.backend, callback=self.in_callback)
                       if self.in_callback is not None else None)
            except MidiUnavailable:
                continue
            bar = self.session.bar_s
            pos = self.session.position() or 0.0
            resume = bar * math.ceil((pos + 0.1) / bar)     # the next bar line, not a split beat
            self.session.engine.replace_port(out, mute_until=resume)
            if inp is not None:
                self.ports.append(inp)
            self.session.notice = f"back on {out.name!r} from bar {int(resume // bar) + 1}"
            log.warning("live: %s", self.session.notice)
            return True
        return False

    def close(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        self.watch.close()
        for port in self.ports:
            try:
                port.close()
            except Exception:
                pass
