"""A real MIDI system to measure and test live play against: a JACK server with its dummy
driver (no sound card), and second JACK clients that listen or play like a DAW or a
keyboard would. Used by ``live --bench`` and by the tests; nothing here is a mock.

* ``DummyJack``: ``jackd -n NAME -d dummy -r 48000 -p 64`` (a 1.3 ms period); real-time
  scheduling when the system allows it (JACK's normal set-up), else ``--no-realtime``.
  Its name goes into ``JACK_DEFAULT_SERVER`` so every client of this process (rtmidi,
  PortAudio) finds it; ``stop`` restores the environment.
* ``Listener``: a JACK client with a virtual input port, timing every message on the
  monotonic clock as its callback receives it; ``sounding()`` replays the stream the way
  a synth would (note on/off, All Notes Off) to find stuck notes.
* ``Keyboard``: a JACK client whose output is connected to the app's input port.
* ``python -m studio.bench.live_probe listen NAME`` runs a Listener in its own process
  and prints what it heard as JSON when stdin closes (the bench's receiving client).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

from studio.music.live import clock as live_clock


class JackUnavailable(RuntimeError):
    """No JACK server can run here; the message says why (for a skip or the bench)."""


def _death_signal():
    """A pre-exec hook (Linux): the child gets SIGTERM when the process that started it
    dies, so a crashed test run leaves no JACK server behind. prctl is looked up here,
    in the parent: between fork and exec the child only calls it (no imports, no loading)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    term = int(signal.SIGTERM)
    return lambda: prctl(1, term)       # 1 = PR_SET_PDEATHSIG


class DummyJack:
    def __init__(self, name: str | None = None, rate: int = 48000, period: int = 64,
                 realtime: bool | None = None):
        self.name = name or f"sequence-studio-{os.getpid()}"
        self.rate, self.period = rate, period
        self.realtime_wanted = realtime
        self.realtime = False
        self.proc: subprocess.Popen | None = None
        self._saved: dict[str, str | None] = {}

    def start(self, timeout: float = 10.0) -> "DummyJack":
        jackd = shutil.which("jackd")
        if jackd is None:
            raise JackUnavailable("jackd is not installed (Debian: apt-get install jackd2)")
        modes = [True, False] if self.realtime_wanted is None else [self.realtime_wanted]
        errors = []
        for realtime in modes:
            cmd = [jackd, "-n", self.name] + ([] if realtime else ["--no-realtime"])
            cmd += ["-d", "dummy", "-r", str(self.rate), "-p", str(self.period)]
            env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, text=True,
                                         preexec_fn=_death_signal())
            if self._wait_up(timeout, realtime):
                self.realtime = realtime
                self._set_env()
                refresh_portaudio()            # PortAudio lists JACK's device from now on
                return self
            errors.append(self._tail())
            self._kill()
        raise JackUnavailable("the JACK server did not start: " + " | ".join(e for e in errors if e))

    def _wait_up(self, timeout: float, realtime: bool) -> bool:
        lines: list[str] = []
        self._lines = lines
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            text = "\n".join(lines)
            if realtime and "Cannot use real-time scheduling" in text:
                return False
            if any("server starting" in line.lower() for line in lines) and self._socket_ready():
                return True
            time.sleep(0.05)
        return False

    def _drain(self, lines: list[str]) -> None:
        for line in self.proc.stdout:
            lines.append(line.rstrip())
            del lines[:-200]

    def _socket_ready(self) -> bool:
        lsp = shutil.which("jack_lsp")
        if lsp is None:
            time.sleep(0.5)
            return True
        env = dict(os.environ, JACK_DEFAULT_SERVER=self.name, JACK_NO_START_SERVER="1")
        return subprocess.run([lsp], env=env, capture_output=True, timeout=10).returncode == 0

    def _tail(self) -> str:
        return " / ".join(getattr(self, "_lines", [])[-3:])

    def _set_env(self) -> None:
        for key, value in (("JACK_DEFAULT_SERVER", self.name), ("JACK_NO_START_SERVER", "1")):
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def describe(self) -> str:
        mode = "real-time" if self.realtime else "no real-time"
        return (f"JACK dummy driver, {self.rate} Hz, {self.period}-frame period "
                f"({1000 * self.period / self.rate:.2f} ms), {mode}")

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def stop(self) -> None:
        sd = sys.modules.get("sounddevice")
        if sd is not None and hasattr(sd, "_terminate"):
            sd._terminate()      # PortAudio's JACK client must go before the server does
        self._kill()
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()
        if sd is not None and hasattr(sd, "_initialize"):
            sd._initialize()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def refresh_portaudio() -> None:
    """PortAudio reads the list of devices once, when it starts; if sounddevice was
    imported before the server ran, start PortAudio again so it sees the server."""
    from studio.music.audio.playback import restart_portaudio

    restart_portaudio()


def _rtmidi_jack():
    import rtmidi

    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        raise JackUnavailable("this python-rtmidi was built without JACK support")
    return rtmidi


class Listener:
    """A second JACK client: a virtual input port that records (monotonic s, bytes)."""

    def __init__(self, client: str = "listener", port: str = "in"):
        rtmidi = _rtmidi_jack()
        self._in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=client, queue_size_limit=65536)
        self._in.ignore_types(sysex=False, timing=False, active_sense=True)
        self.messages: list[tuple[float, list[int]]] = []
        self._lock = threading.Lock()
        self._in.set_callback(self._got)
        self._in.open_virtual_port(port)
        self.port_name = f"{client}:{port}"

    def _got(self, event, _data) -> None:
        t = live_clock.now()
        with self._lock:
            self.messages.append((t, list(event[0])))

    def snapshot(self) -> list[tuple[float, list[int]]]:
        with self._lock:
            return list(self.messages)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def notes(self, since: float = float("-inf")) -> list[tuple[float, list[int]]]:
        """Note-on/off messages (note-on velocity 0 counts as off) received after ``since``."""
        return [(t, m) for t, m in self.snapshot() if t >= since and 0x80 <= m[0] < 0xA0]

    def sounding(self) -> set[tuple[int, int]]:
        """(channel, note) still sounding after the whole stream, as a synth would see it."""
        return sounding(self.snapshot())

    def settled(self, timeout: float = 2.0) -> set[tuple[int, int]]:
        """``sounding()`` once the messages in flight have arrived: waits up to ``timeout``
        for it to be empty (a loaded machine can hold a JACK cycle back); what still
        sounds then is stuck."""
        deadline = time.monotonic() + timeout
        while self.sounding() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.sounding()

    def close(self) -> None:
        self._in.cancel_callback()
        self._in.close_port()
        self._in.delete()


def sounding(messages) -> set[tuple[int, int]]:
    on: dict[tuple[int, int], int] = {}
    for _t, m in messages:
        kind, ch = m[0] & 0xF0, m[0] & 0x0F
        if kind in (0x80, 0x90) and len(m) < 3:
            continue  # seen once under heavy load: a note message cut short by the port (not ours to judge)
        if kind == 0x90 and m[2] > 0:
            on[(ch, m[1])] = on.get((ch, m[1]), 0) + 1
        elif kind in (0x80, 0x90):
            if on.get((ch, m[1])):
                on[(ch, m[1])] -= 1
        elif kind == 0xB0 and m[1] in (120, 123):
            for key in [k for k in on if k[0] == ch]:
                on[key] = 0
    return {k for k, v in on.items() if v > 0}


class Keyboard:
    """A second JACK client playing into ``target`` (the app's input port)."""

    def __init__(self, target: str, client: str = "keyboard"):
        rtmidi = _rtmidi_jack()
        self._out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=client)
        deadline = time.monotonic() + 5
        while True:
            ports = self._out.get_ports()
            hits = [i for i, p in enumerate(ports) if p == target or target in p]
            if hits or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if not hits:
            raise JackUnavailable(f"no port {target!r} to play into (there are: {ports})")
        self._out.open_port(hits[0])

    def send(self, message: list[int]) -> None:
        self._out.send_message(message)

    def play(self, notes, t0: float, stop: threading.Event | None = None) -> None:
        """``notes``: (start s, end s, pitch, velocity) relative to monotonic ``t0``."""
        events = sorted([(s, 1, [0x90, p, v]) for s, _e, p, v in notes]
                        + [(e, 0, [0x80, p, 0]) for _s, e, p, _v in notes])
        for when, _, msg in events:
            if not live_clock.wait_until(t0 + when, stop):
                return
            self.send(msg)

    def close(self) -> None:
        self._out.close_port()
        self._out.delete()


def _listen_main(client: str) -> int:
    listener = Listener(client)
    print(json.dumps({"ready": listener.port_name}), flush=True)
    sys.stdin.read()                   # until the bench closes our stdin
    json.dump(listener.snapshot(), sys.stdout)
    listener.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "listen":
        sys.exit(_listen_main(sys.argv[2]))
    print("usage: python -m studio.bench.live_probe listen CLIENT", file=sys.stderr)
    sys.exit(2)
