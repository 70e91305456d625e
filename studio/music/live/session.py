"""Live sessions over the engine: a take played as a band (``TakeSession``), and the
shared machinery of every session (count-in, MIDI clock, bar/beat, what the window draws).

A ``TakeSession`` plays one generated take: the messages of its MIDI file (solo on
channel 1, comping 2, bass 3, as ``sample --out`` writes them), after a count-in on
channel 10. With ``loop`` it keeps going: while one take plays, the generation process
draws the next (the same chart, primed with the last bars just played, the seed counting
up), and it follows seamlessly, chorus after chorus, until ``stop``.

Song time 0 is the first downbeat; every session runs its own control thread and never
blocks the caller. A window polls ``position``, ``bar_beat`` and ``notes_since``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from studio.music.live import clock as live_clock
from studio.music.chart import Chart, as_chart
from studio.music.live.events import bar_seconds, count_in_events, take_events, ticks_to_seconds
from studio.music.types import Note, Solo

log = logging.getLogger(__name__)

LOOP_PRIMER_BARS = 4
AHEAD_S = 2.0            # a looped take is drawn when the current one has this long to go


@dataclass(frozen=True)
class LiveNote:
    """A note as the window draws it: song seconds, pitch, who played it."""
    start: float
    end: float
    pitch: int
    role: str            # "player" (recorded from the input) or "model"


class LiveSession:
    """Base: an engine, a tempo, a count-in, a control thread, a note timeline."""

    def __init__(self, engine, tempo: float, count_in_bars: int = 1, beats_per_bar: int = 4):
        self.engine = engine
        self.tempo = float(tempo)
        self.count_in_bars = max(0, int(count_in_bars))
        self.beats_per_bar = beats_per_bar
        self.notes: list[LiveNote] = []
        self.info: dict = {}
        self.error: BaseException | None = None
        self.notice: str | None = None      # a line for the user (a lost port, its return)
        self._notes_lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    # -- timing helpers -----------------------------------------------------------------
    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo

    @property
    def bar_s(self) -> float:
        return bar_seconds(self.tempo, self.beats_per_bar)

    def position(self) -> float | None:
        return self.engine.position()

    def bar_beat(self) -> tuple[int, int] | None:
        """(bar, beat), both from 1; the count-in shows as bar 0, -1 ... ; None before start."""
        pos = self.position()
        if pos is None:
            return None
        beats = int(pos // self.beat_s)
        bar, beat = divmod(beats, self.beats_per_bar)
        return bar + 1, beat + 1

    def wait_song_time(self, song_time: float) -> bool:
        """Sleep until song time (absolute deadline); False if the session is stopping."""
        while not self._halted():
            deadline = self.engine.deadline(song_time)   # re-read: a DAW's clock may move it
            remaining = 0.05 if deadline is None else deadline - live_clock.now()
            if remaining <= 0:
                return True
            self._stop.wait(min(remaining, 0.05 if self.engine.timebase is not None else 0.1))
        return False

    def _halted(self) -> bool:
        """Waits end early: the session stops (a trading session: or re-plans)."""
        return self._stop.is_set()

    def result_of(self, future, timeout: float | None = None):
        """A generation future's result, or None if the session stops first (or the
        timeout passes). A failed generation raises (the session then ends silenced)."""
        deadline = None if timeout is None else live_clock.now() + timeout
        while not self._halted():
            wait = 0.05 if deadline is None else min(0.05, deadline - live_clock.now())
            if wait <= 0:
                return None
            try:
                return future.result(wait)
            except TimeoutError:
                continue
        return None

    def add_notes(self, notes: list[LiveNote]) -> None:
        with self._notes_lock:
            self.notes.extend(notes)

    def notes_since(self, index: int) -> list[LiveNote]:
        with self._notes_lock:
            return self.notes[index:]

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> float:
        """Start the engine (all-notes-off first), the count-in, the clock and the control
        thread. Returns the engine's t0."""
        lead = self.count_in_bars * self.bar_s
        t0 = self.engine.start(live_clock.now() + 0.3 + lead)
        if self.count_in_bars:
            self.engine.schedule(count_in_events(self.count_in_bars, self.tempo, self.beats_per_bar))
        self.engine.start_clock(self.tempo, 0.0, ticks_before=24 * self.beats_per_bar * self.count_in_bars)
        self._thread = threading.Thread(target=self._guarded, name="live-session", daemon=True)
        self._thread.start()
        return t0

    def _guarded(self) -> None:
        try:
            self.run()
        except BaseException as exc:   # reported to the CLI / window, the engine silenced
            self.error = exc
            log.exception("live session failed")
            self.engine.stop()
        finally:
            self._finished.set()

    def run(self) -> None:               # pragma: no cover - subclasses
        raise NotImplementedError

    def stop(self, wait: bool = True) -> None:
        """Stop at once: the engine ends every sounding note; the control thread exits
        (``wait``: and is joined; a window passes False and joins later, off its thread)."""
        self._stop.set()
        self.engine.stop()
        if wait:
            self.join()

    def fail(self, error: BaseException) -> None:
        """End the take because of ``error`` (a lost port): it is reported as the
        session's error (the CLI exits non-zero, the window says it)."""
        if self.error is None:
            self.error = error
        self.notice = str(error)
        self.stop(wait=False)

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the session ends by itself (or is stopped)."""
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def _model_notes(self, solo: Solo, offset: float) -> list[LiveNote]:
        return [LiveNote(offset + ticks_to_seconds(n.start, self.tempo),
                         offset + ticks_to_seconds(n.end, self.tempo), n.pitch, "model")
                for n in solo.notes]


class TakeSession(LiveSession):
    """Play a take as the band; with ``loop``, keep drawing and playing the next one."""

    def __init__(self, engine, take, *, midi_options: dict | None = None, count_in_bars: int = 1,
                 loop: bool = False, worker=None, chart: str | Chart | None = None):
        super().__init__(engine, take.solo.tempo, count_in_bars)
        self.take = take
        self.midi_options = dict(midi_options or {})
        self.loop = loop
        self.worker = worker
        self.chart = as_chart(chart or take.chart)
        if loop and worker is None:
            raise ValueError("looping needs a generation worker to draw the next takes")
        self.takes_played = 0

    def follow(self, follower) -> None:
        """Play to a DAW's clock (``sync.ClockFollower``): its Start and Song Position
        locate the take, its Stop ends what sounds (Continue plays on)."""
        self.engine.follow(follower)
        events = take_events(self.take, **self.midi_options)   # once: a locate must be quick
        follower.on_locate = lambda song_s: self.engine.relocate(events, song_s)
        follower.on_stop = self.engine.silence_sounding

    def run(self) -> None:
        take, offset = self.take, 0.0
        while True:
            if self.engine.timebase is None or offset > 0:   # following: the DAW's Start queues it
                self.engine.schedule(take_events(take, **self.midi_options), offset)
            self.add_notes(self._model_notes(take.solo, offset))
            self.takes_played += 1
            length = take.solo.bar_count * self.bar_s
            if not self.loop:
                break
            # Draw the next take while this one plays, primed with its closing bars.
            if not self.wait_song_time(offset + max(0.0, length - AHEAD_S)):
                return
            result = self.result_of(self.worker.submit(self.chart, self._next_settings(take)))
            if result is None:
                return
            takes, seconds = result
            self.info.setdefault("loop_generation_s", []).append(round(seconds, 4))
            take, offset = takes[0], offset + length
        if self.wait_song_time(offset + length + 0.05):
            self.engine.wait_until_done(timeout=5.0)
        self.engine.stop()

    def _next_settings(self, take):
        bars = take.solo.bar_count
        first = max(0, bars - LOOP_PRIMER_BARS)
        shift = first * take.solo.ticks_per_bar
        primer = Solo("loop", [Note(n.start - shift, n.duration, n.pitch, n.velocity)
                               for n in take.solo.notes if n.start >= shift],
                      [c for c in _shift_spans(take.solo.chords, shift)], tempo=take.solo.tempo)
        seed = None if take.seed is None else take.seed + 1
        return replace(take.settings, primer=primer, primer_bars=bars - first, seed=seed, count=1)


def _shift_spans(spans, shift: int):
    from studio.music.types import ChordSpan

    return [ChordSpan(max(0, s.start - shift), s.end - shift, s.chord)
            for s in spans if s.end > shift]
