"""The live engine: timed MIDI messages out of one port, from one dedicated thread.

``LiveEngine(port)`` owns the output port. Callers (a take, a trading session, the
window) ``schedule`` messages at *song seconds*; the engine's thread keeps them in a
heap and sends each at ``t0 + time`` on the monotonic clock, waiting with
``live_clock.wait_until`` (absolute deadlines, so nothing accumulates over a long jam).
It also sends MIDI clock (24 per quarter note, Song Position 0 + Start on the first
downbeat, Stop at the end) when asked, so a DAW follows the tempo.

Stuck notes never survive: the engine tracks every sounding note; ``stop``, an error
in the thread, and interpreter exit send a note-off for each, then Sustain off and All
Notes Off on all 16 channels. ``start`` sends the same all-notes-off first, which
silences whatever a killed earlier run left sounding on a port it shared. That cleanup
goes out *paced* (``CLEANUP_BLOCK`` messages, then ``CLEANUP_GAP_S``): sent as one burst
of 32+ messages, a busy JACK server lost one of them in CI (all three tries), because the
receiving client must handle the whole burst inside one 1.3 ms cycle.

If the port goes away (``watch.PortWatch`` notices) the port can be swapped for a new
one (``replace_port``) with note-ons held back until the next bar (``mute_until``).

Qt-free; the GUI polls ``position`` and drains ``played`` from a timer.
"""

from __future__ import annotations

import atexit
import collections
import heapq
import itertools
import logging
import threading
import time
import weakref
from typing import Iterable

import mido

from studio.music.live import clock as live_clock
from studio.music.live.events import TimedMessage

log = logging.getLogger(__name__)

LEAD_IN_S = 0.25          # first event this long after start: the thread is up and waiting
DRAIN_S = 0.05           # wait before closing a port: JACK periods are up to ~21 ms
SEND_EARLY_S = 0.00005    # messages due within 50 us of now go out in the same burst
CLEANUP_BLOCK = 4         # cleanup messages sent together ...
CLEANUP_GAP_S = 0.002     # ... then a pause longer than a JACK period (1.33 ms at 64 frames)
_ENGINES: "weakref.WeakSet[LiveEngine]" = weakref.WeakSet()


def send_paced(port, messages, block: int = CLEANUP_BLOCK, gap: float = CLEANUP_GAP_S) -> bool:
    """Send ``messages`` in blocks of ``block`` with ``gap`` seconds between blocks, so
    that no JACK cycle carries more than a block of them. False (and stop sending) if the
    port fails: the port is gone and nothing more can be said."""
    for i, msg in enumerate(messages):
        if i and i % block == 0:
            time.sleep(gap)
        try:
            port.send(msg)
        except Exception:
            return False
    return True


def all_notes_off() -> list[mido.Message]:
    """Sustain off and All Notes Off (CC 64, CC 123) on every channel."""
    out = []
    for ch in range(16):
        out.append(mido.Message("control_change", channel=ch, control=64, value=0))
        out.append(mido.Message("control_change", channel=ch, control=123, value=0))
    return out


class LiveEngine:
    """Sends scheduled messages on ``port`` (a mido output) from its own thread."""

    def __init__(self, port, *, midi_clock: bool = False, realtime: bool = True,
                 spin: float = live_clock.SPIN_S, keep_log: bool = True):
        self.port = port
        self.midi_clock = midi_clock
        self.realtime = realtime
        self.spin = spin
        self.keep_log = keep_log
        self.t0: float | None = None
        self.priority = "not started"
        self.error: BaseException | None = None
        self.sent: list[tuple[float, float, mido.Message]] = []   # (ideal, actual, msg)
        self.played: collections.deque = collections.deque(maxlen=4096)  # for a UI to drain
        self._heap: list[tuple[float, int, int, mido.Message]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sounding: collections.Counter = collections.Counter()
        self._clock_next: float | None = None
        self._clock_step = 0.0
        self._clock_k = 0
        self._clock_start: float | None = None
        self._silenced = False
        self._new_port = None             # a replacement port, swapped in by the thread
        self._retired: list = []          # ports replaced: closed by close()
        self._mute_until = float("-inf")  # note-ons before this song time are not sent
        self.timebase = None              # sync.ClockFollower: song time from a DAW's clock
        self._silence_now = threading.Event()   # the DAW stopped: end what sounds
        self._switch = live_clock.SwitchInterval()
        # Routing on the way out (``route``): channels per part, program changes, MIDI thru.
        self.channel_map: dict[int, int] = {}   # the export's channel (solo 0, comping 1, bass 2) -> sent on
        self.program_changes = True
        self.thru_channel: int | None = None    # the player's notes sent on here (None: no thru)
        self._thru: collections.deque = collections.deque()

    # -- control (any thread) -----------------------------------------------------------
    def start(self, t0: float | None = None) -> float:
        """Silence the port, start the thread; song time 0 is ``t0`` (default: now +
        LEAD_IN_S). Returns t0 on the monotonic clock."""
        if self._thread is not None:
            raise RuntimeError("the engine has already started")
        send_paced(self.port, all_notes_off())
        self.t0 = live_clock.now() + LEAD_IN_S if t0 is None else t0
        self._switch.__enter__()
        self._thread = threading.Thread(target=self._run, name="live-midi", daemon=True)
        _ENGINES.add(self)
        self._thread.start()
        return self.t0

    def schedule(self, events: Iterable[TimedMessage], offset: float = 0.0) -> None:
        """Queue messages at song seconds ``event.time + offset``."""
        with self._lock:
            for ev in events:
                heapq.heappush(self._heap, (ev.time + offset, ev.order, next(self._seq), ev.message))
        self._wake.set()

    def start_clock(self, tempo: float, downbeat: float, ticks_before: int = 24) -> None:
        """MIDI clock at ``tempo`` (24 per quarter) from ``ticks_before`` ticks before the
        song time ``downbeat``, with Song Position 0 + Start on it (when enabled)."""
        if not self.midi_clock:
            return
        step = 60.0 / tempo / 24
        with self._lock:
            self._clock_step = step
            self._clock_start = downbeat - ticks_before * step
            self._clock_k = 0
            self._clock_next = self._clock_start
            for msg in (mido.Message("songpos", pos=0), mido.Message("start")):
                heapq.heappush(self._heap, (downbeat, -1, next(self._seq), msg))
        self._wake.set()

    def cancel_after(self, song_time: float, channels: Iterable[int] | None = None) -> int:
        """Drop queued note-ons from ``song_time`` on (on ``channels``; None = all). Their
        note-offs stay queued and harmless. Returns how many were dropped."""
        chans = None if channels is None else set(channels)
        with self._lock:
            keep = [e for e in self._heap if not (
                e[0] >= song_time and e[3].type == "note_on" and e[3].velocity > 0
                and (chans is None or e[3].channel in chans))]
            dropped = len(self._heap) - len(keep)
            heapq.heapify(keep)
            self._heap = keep
        return dropped

    def replace_port(self, port, mute_until: float | None = None) -> None:
        """Play on ``port`` from now on (the old one went away and came back). The engine's
        thread swaps it in and sends it the paced all-notes-off first; note-ons before song
        time ``mute_until`` are dropped, so the band comes back on a bar line."""
        with self._lock:
            if mute_until is not None:
                self._mute_until = mute_until
            self._new_port = port
        self._wake.set()

    def route(self, channels: dict[int, int] | None = None, program_changes: bool = True,
              thru_channel: int | None = None) -> None:
        """How messages go out: part channels moved (``{0: solo, 1: comping, 2: bass}``,
        0-based), program changes sent or not, the player's notes passed through on
        ``thru_channel`` (``thru``)."""
        self.channel_map = dict(channels or {})
        self.program_changes = program_changes
        self.thru_channel = thru_channel

    def thru(self, msg) -> None:
        """MIDI thru: the player's note (or sustain pedal) out on ``thru_channel`` now,
        from the engine's thread (one sender per port); ended like the rest at stop."""
        if (self.thru_channel is None or self._thread is None
                or msg.type not in ("note_on", "note_off", "control_change")):
            return                       # (before start: nothing to pass on yet)
        self._thru.append(msg.copy(channel=self.thru_channel))
        self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._heap)

    def last_time(self) -> float | None:
        """Song time of the last queued message (None if nothing is queued)."""
        with self._lock:
            return max((e[0] for e in self._heap), default=None)

    def position(self) -> float | None:
        """Song seconds now (negative before the first downbeat); None before start (or,
        following a DAW's clock, while it is stopped)."""
        if self.timebase is not None:
            return self.timebase.to_song(live_clock.now())
        return None if self.t0 is None else live_clock.now() - self.t0

    def song_at(self, mono: float) -> float | None:
        """Song seconds at monotonic time ``mono`` (None before start, or while the DAW
        whose clock is followed is stopped)."""
        if self.timebase is not None:
            return self.timebase.to_song(mono)
        return None if self.t0 is None else mono - self.t0

    def deadline(self, song_time: float) -> float | None:
        """When song time ``song_time`` is on the monotonic clock (None: the DAW stopped)."""
        if self.timebase is not None:
            return self.timebase.to_mono(song_time)
        return None if self.t0 is None else self.t0 + song_time

    def follow(self, timebase) -> None:
        """Take song time from ``timebase`` (a DAW's clock) instead of t0 + seconds; its
        ticks wake the thread so every deadline ahead is re-read."""
        self.timebase = timebase
        timebase.wake = self._wake.set

    def silence_sounding(self) -> None:
        """End every sounding note now, keep the queue (the DAW stopped; Continue resumes)."""
        self._silence_now.set()
        self._wake.set()

    def relocate(self, events: Iterable[TimedMessage], song_time: float) -> None:
        """Play ``events`` from song time ``song_time`` on (the DAW located: Start, Song
        Position): the queue is replaced, what sounds is ended first."""
        with self._lock:
            self._heap = [(ev.time, ev.order, next(self._seq), ev.message) for ev in events
                          if ev.time >= song_time - 1e-6]
            heapq.heapify(self._heap)
        self.silence_sounding()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_until_done(self, timeout: float | None = None, poll: float = 0.05) -> bool:
        """Block until every queued message has gone out (or the thread died)."""
        deadline = None if timeout is None else live_clock.now() + timeout
        while self.running and self.pending():
            if deadline is not None and live_clock.now() > deadline:
                return False
            self._stopping.wait(poll)
        return True

    def stop(self, timeout: float = 2.0) -> None:
        """Stop now: drop what is queued, end sounding notes, All Notes Off, clock Stop."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._silenced:          # the thread never ran, or could not finish
            self._silence()

    def close(self) -> None:
        """Stop, then close the port once the MIDI system has had time to deliver the
        last messages (JACK sends what was queued at its next period; closing sooner
        lost the closing all-notes-off in a test)."""
        self.stop()
        time.sleep(DRAIN_S)
        for port in [self.port] + self._retired:
            try:
                port.close()
            except Exception:
                pass

    # -- the thread ---------------------------------------------------------------------
    def _run(self) -> None:
        self.priority = live_clock.raise_thread_priority() if self.realtime else "normal priority"
        log.info("live engine: %s", self.priority)
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                self._swap_port()
                while self._thru:
                    msg = self._thru.popleft()
                    self.port.send(msg)
                    self._track(msg)
                if self._silence_now.is_set():
                    self._silence_now.clear()
                    self._end_sounding()
                with self._lock:
                    due = self._heap[0][0] if self._heap else None
                    clock = self._clock_next
                nxt = min((t for t in (due, clock) if t is not None), default=None)
                deadline = None if nxt is None else self.deadline(nxt)
                if deadline is None:           # nothing queued, or the DAW is stopped
                    self._wake.wait(0.05)
                    continue
                if not live_clock.wait_until(deadline, self._wake, self.spin):
                    continue          # woken: something earlier was queued, or stop
                self._send_due()
        except BaseException as exc:     # the port died: silence what we can, report
            self.error = exc
            log.exception("live engine stopped by an error")
        finally:
            self._silence()

    def _swap_port(self) -> None:
        with self._lock:
            port, self._new_port = self._new_port, None
        if port is None:
            return
        old, self.port = self.port, port
        self._sounding.clear()          # what sounded went out with the old connection
        self._retired.append(old)       # closed with the engine: closing a JACK client
        send_paced(self.port, all_notes_off())   # mid-cycle garbled the new port's messages

    def _end_sounding(self) -> None:
        send_paced(self.port, [mido.Message("note_off", channel=ch, note=note, velocity=0)
                               for (ch, note) in list(self._sounding)])
        self._sounding.clear()

    def _send_due(self) -> None:
        t = self.position()
        if t is None:
            return
        t += SEND_EARLY_S
        batch = []
        with self._lock:
            while self._heap and self._heap[0][0] <= t:
                batch.append(heapq.heappop(self._heap))
            if self._clock_next is not None and self._clock_next <= t:
                batch.append((self._clock_next, 1 << 30, 0, mido.Message("clock")))
                self._clock_k += 1
                self._clock_next = self._clock_start + self._clock_k * self._clock_step
        for ideal, _, _, msg in batch:
            if msg.type == "note_on" and msg.velocity > 0 and ideal < self._mute_until:
                continue                # back after a lost port: wait for the bar line
            if msg.type == "program_change" and not self.program_changes:
                continue
            if self.channel_map and getattr(msg, "channel", None) in self.channel_map:
                msg = msg.copy(channel=self.channel_map[msg.channel])
            self.port.send(msg)
            actual = self.position()
            actual = ideal if actual is None else actual
            self._track(msg)
            if msg.type in ("note_on", "note_off"):
                if self.keep_log:
                    self.sent.append((ideal, actual, msg))
                self.played.append((ideal, msg))

    def _track(self, msg: mido.Message) -> None:
        if msg.type == "note_on" and msg.velocity > 0:
            self._sounding[(msg.channel, msg.note)] += 1
        elif msg.type in ("note_on", "note_off"):
            key = (msg.channel, msg.note)
            if self._sounding[key] > 0:
                self._sounding[key] -= 1
            if not self._sounding[key]:
                del self._sounding[key]

    def _silence(self) -> None:
        """Note-offs for what sounds, All Notes Off everywhere, clock Stop. Never raises."""
        if self._silenced:
            return
        self._silenced = True
        with self._lock:
            self._heap.clear()
            self._clock_next = None
        out = [mido.Message("note_off", channel=ch, note=note, velocity=0)
               for (ch, note) in list(self._sounding)]
        out += all_notes_off()
        if self.midi_clock and self._clock_start is not None:
            out.append(mido.Message("stop"))
        send_paced(self.port, out)
        self._sounding.clear()
        self._switch.__exit__(None, None, None)


@atexit.register
def _silence_all_at_exit() -> None:
    for engine in list(_ENGINES):
        try:
            engine.stop(timeout=1.0)
        except Exception:
            pass
