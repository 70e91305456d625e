"""Following a DAW's MIDI clock (``--sync clock``): song time from the incoming clock.

The DAW sends 24 clock messages a quarter note, Start (song position 0), Stop, Continue
and Song Position (in sixteenths). ``ClockFollower`` turns them into a *timebase* for the
engine: ``to_mono(song seconds)`` is when a message at that song time must go out, and
``to_song(now)`` where the song is; both None while the DAW is stopped.

Song seconds stay those of the take's nominal tempo (the events are computed once); the
follower maps them onto the clock: tick ``k`` of the song is song second
``k x 60 / tempo / 24``. Arrival times of ticks jitter by a JACK period (1.3 ms) and more
under load, so the follower keeps a phase-locked estimate instead of trusting the last
tick: each tick's predicted time is corrected by ``PHASE_GAIN`` of the error and the
period by ``PERIOD_GAIN`` of it. A ramp moves the period a little every tick; the
estimate follows with a lag of a few ticks (measured in docs/LIVE.md).

The engine re-reads the timebase whenever a tick arrives (``wake``), so a tempo change
moves every deadline still ahead.
"""

from __future__ import annotations

import threading

from studio.music.live import clock as live_clock

PPQ = 24
PHASE_GAIN = 0.3         # share of a tick's timing error taken into the phase
PERIOD_GAIN = 0.05       # ... and into the period (smoothing: jitter averages out)


class ClockFollower:
    """A timebase driven by incoming MIDI clock; ``handle`` is the input port's callback
    (or is called by one)."""

    def __init__(self, tempo: float, on_locate=None, on_stop=None, wake=None):
        self.nominal_tick_s = 60.0 / tempo / PPQ
        self.on_locate = on_locate       # (song seconds): Start / Song Position: play from there
        self.on_stop = on_stop           # the DAW stopped: silence what sounds
        self.wake = wake                 # () -> None: the engine re-reads its deadlines
        self.running = False
        self.started = threading.Event()  # the first Start or Continue came
        self._lock = threading.Lock()
        self._k = -1                      # the song tick of the last clock received
        self._at: float | None = None     # its (smoothed) time on the monotonic clock
        self._period: float | None = None  # seconds a tick, smoothed
        self._last_raw: float | None = None
        self.ticks = 0
        self.tempo_now: float | None = None

    # -- incoming messages --------------------------------------------------------------
    def handle(self, msg, now: float | None = None) -> None:
        now = live_clock.now() if now is None else now
        kind = msg.type
        if kind == "clock":
            self._tick(now)
        elif kind == "start":
            self._locate(0, run=True)
        elif kind == "continue":
            with self._lock:
                self.running, self._at = True, None   # the next tick re-anchors the phase
            self.started.set()
        elif kind == "stop":
            with self._lock:
                self.running = False
            if self.on_stop is not None:
                self.on_stop()
        elif kind == "songpos":
            self._locate(msg.pos * PPQ // 4, run=False)
        if self.wake is not None:
            self.wake()

    def _locate(self, tick: int, run: bool) -> None:
        with self._lock:
            self._k, self._at = tick - 1, None    # the next clock is this tick
            if run:
                self.running = True
        if run:
            self.started.set()
        if self.on_locate is not None:
            self.on_locate(tick * self.nominal_tick_s)

    def _tick(self, now: float) -> None:
        with self._lock:
            last, self._last_raw = self._last_raw, now
            if not self.running:         # DAWs send clock while stopped too: learn the tempo
                if last is not None:
                    dt = now - last
                    self._period = dt if self._period is None else self._period + 0.2 * (dt - self._period)
                return
            self._k += 1
            self.ticks += 1
            if self._at is None:         # tick 0 after Start / Continue: the phase anchors
                self._at = now
                if self._period is None:
                    self._period = self.nominal_tick_s
            else:
                predicted = self._at + self._period
                error = now - predicted
                self._period = max(1e-4, self._period + PERIOD_GAIN * error)
                self._at = predicted + PHASE_GAIN * error
            self.tempo_now = 60.0 / (self._period * PPQ)

    # -- the timebase -------------------------------------------------------------------
    def to_mono(self, song_s: float) -> float | None:
        with self._lock:
            if not self.running or self._at is None or self._period is None:
                return None
            return self._at + (song_s / self.nominal_tick_s - self._k) * self._period

    def to_song(self, mono: float) -> float | None:
        with self._lock:
            if not self.running or self._at is None or self._period is None:
                return None
            return (self._k + (mono - self._at) / self._period) * self.nominal_tick_s


TRANSPORT = frozenset(("clock", "start", "continue", "stop", "songpos"))


def split_input(follower: ClockFollower, notes=None):
    """One input port's callback for a DAW that sends its clock where the player's notes
    come in too (trading): clock and transport to ``follower``, the rest to ``notes``."""
    def handle(msg) -> None:
        if msg.type in TRANSPORT:
            follower.handle(msg)
        elif notes is not None:
            notes(msg)
    return handle
