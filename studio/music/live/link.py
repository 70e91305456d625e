"""Following an Ableton Link session (``--sync link``): song time from the Link timeline.

Link (through the optional ``aalink`` package) keeps peers on one network on a shared
tempo and beat timeline; beats are aligned modulo a *quantum* (a bar of 4 here), so "the
next bar" is the same instant for every peer. ``LinkTimebase`` is a timebase for the
engine with the interface of ``sync.ClockFollower`` (``to_mono``, ``to_song``, ``wake``,
``on_locate``, ``on_stop``), so the engine and the sessions need no change:

- ``start()`` picks the first bar boundary of the Link timeline at least ``LEAD_S`` ahead
  as the take's downbeat and calls ``on_locate(0)`` (the session queues the take there);
- song seconds stay those of the take's nominal tempo: song beat ``b`` (``song_s x
  tempo / 60``) is Link beat ``start_beat + b``, wherever the session's tempo goes.

aalink is asyncio-based: its event loop runs in a thread of its own, which samples the
session every ``POLL_S`` (and at once on a tempo callback) as an anchor, a pair (monotonic
time, Link beat) read back to back, plus the tempo. A tempo change or a jump of the
timeline (a peer joined with another phase) wakes the engine, which re-reads every
deadline ahead. Link's clock on Linux is CLOCK_MONOTONIC_RAW; the anchors are taken on
``time.monotonic()`` directly, so the two clocks' offset never enters.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time

from studio.music.live import clock as live_clock

QUANTUM = 4.0            # beats a bar: the take starts on a bar boundary of the timeline
POLL_S = 0.004           # how often the session is sampled (tempo callbacks come sooner)
PEER_WAIT_S = 1.0        # joining: how long to wait for the session's other peers
SETTLE_S = 0.1           # ... and after one is seen, for the timeline to be adopted
LEAD_S = 0.3             # the downbeat is the first bar boundary at least this far ahead
MAX_READ_S = 0.0002      # an anchor whose reads took longer than this is not trusted
MOVED_S = 0.0001         # a new anchor moving a deadline more than this wakes the engine
MISSING = "Ableton Link needs the aalink package: pip install 'sequence-studio[live]' (or pip install aalink)"


class LinkUnavailable(RuntimeError):
    """aalink is not installed (or Link could not start)."""


def require_aalink():
    try:
        import aalink
    except ImportError as exc:
        raise LinkUnavailable(MISSING) from exc
    return aalink


class LinkTimebase:
    """A timebase driven by an Ableton Link session (joined on ``open``)."""

    def __init__(self, tempo: float, quantum: float = QUANTUM, on_locate=None, on_stop=None,
                 wake=None):
        self.nominal = float(tempo)        # the take's tempo: song seconds are its beats
        self.quantum = float(quantum)
        self.on_locate = on_locate         # (song seconds): the downbeat is set, queue the take
        self.on_stop = on_stop             # (unused: Link's start/stop is not followed)
        self.wake = wake                   # () -> None: the engine re-reads its deadlines
        self.running = False
        self.started = threading.Event()
        self.ready = threading.Event()     # the first anchor is in
        self.start_beat: float | None = None
        self.tempo_now: float | None = None
        self.peers = 0
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._anchor: tuple[float, float, float] | None = None   # (mono, Link beat, bpm)
        self._link = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    # -- joining the session ------------------------------------------------------------
    def open(self, timeout: float = 5.0) -> "LinkTimebase":
        """Join the Link session (our tempo is the proposal while alone)."""
        require_aalink()
        self._thread = threading.Thread(target=self._serve, name="live-link", daemon=True)
        self._thread.start()
        if not self.ready.wait(timeout):
            self.close()
            raise LinkUnavailable(f"Ableton Link did not start: {self.error or 'no answer'}")
        return self

    def wait_for_peers(self, timeout: float) -> int:
        """Wait up to ``timeout`` s for another peer; the number of peers seen. Once one is
        there, a few polls more: the anchor is then on the session's timeline."""
        end = live_clock.now() + timeout
        while self.peers < 1 and live_clock.now() < end and not self._closing.is_set():
            time.sleep(0.02)
        if self.peers:
            time.sleep(SETTLE_S)
        return self.peers

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:      # reported by open (or the CLI's notice)
            self.error = exc

    async def _main(self) -> None:
        import aalink

        self._loop = asyncio.get_running_loop()
        link = aalink.Link(self.nominal)
        link.quantum = self.quantum
        link.set_tempo_callback(lambda _bpm: self._sample())
        link.enabled = True
        self._link = link
        try:
            while not self._closing.is_set():
                self._sample()
                await asyncio.sleep(POLL_S)
        finally:
            link.enabled = False

    def _sample(self) -> None:
        """A fresh anchor: the Link beat at a monotonic instant (read back to back)."""
        link = self._link
        if link is None:
            return
        bpm = link.tempo
        m1 = time.monotonic()
        beat = link.beat
        m2 = time.monotonic()
        if m2 - m1 > MAX_READ_S or link.tempo != bpm:
            return                         # preempted, or the tempo moved meanwhile: next poll
        self.peers = link.num_peers
        anchor = ((m1 + m2) / 2, beat, bpm)
        with self._lock:
            old, self._anchor = self._anchor, anchor
            self.tempo_now = bpm
        self.ready.set()
        if old is not None and self.running and self.wake is not None:
            now = anchor[0]
            moved = abs(_beat_at(old, now) - beat) * 60.0 / bpm
            if old[2] != bpm or moved > MOVED_S:
                self.wake()

    # -- transport ------------------------------------------------------------------------
    def start(self, lead: float = LEAD_S) -> float:
        """The take's downbeat: the first bar boundary at least ``lead`` s ahead. Calls
        ``on_locate(0)`` and returns the downbeat's monotonic time."""
        with self._lock:
            anchor = self._anchor
        if anchor is None:
            raise LinkUnavailable("Ableton Link is not running (open it first)")
        ahead = _beat_at(anchor, live_clock.now() + lead)
        with self._lock:
            self.start_beat = math.ceil(ahead / self.quantum) * self.quantum
            self.running = True
        self.started.set()
        if self.on_locate is not None:
            self.on_locate(0.0)
        if self.wake is not None:
            self.wake()
        return self.to_mono(0.0)

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        self.running = False

    # -- the timebase -------------------------------------------------------------------
    def to_mono(self, song_s: float) -> float | None:
        with self._lock:
            if not self.running or self._anchor is None:
                return None
            mono, beat, bpm = self._anchor
            target = self.start_beat + song_s * self.nominal / 60.0
        return mono + (target - beat) * 60.0 / bpm

    def to_song(self, mono: float) -> float | None:
        with self._lock:
            if not self.running or self._anchor is None:
                return None
            beats = _beat_at(self._anchor, mono) - self.start_beat
        return beats * 60.0 / self.nominal

    def beat_at(self, mono: float) -> float | None:
        """The Link beat at monotonic ``mono`` (None before the first anchor)."""
        with self._lock:
            return None if self._anchor is None else _beat_at(self._anchor, mono)


def _beat_at(anchor: tuple[float, float, float], mono: float) -> float:
    at, beat, bpm = anchor
    return beat + (mono - at) * bpm / 60.0
