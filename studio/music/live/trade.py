"""Trading fours: the player plays N bars into the input port, the model answers N bars.

The band (the export's comping and walking bass) plays the chart round and round. The
form is cut into blocks of N bars (2, 4 or 8); blocks alternate player, model, player...
For each player block:

1. ``PhraseRecorder`` has kept every note-on/off from the input port with its song time.
2. Two beats before the block ends, the phrase so far is quantised onto the chart's grid
   (12 ticks per beat, the project's own encoding does the rest) and sent to the
   generation process as the primer of ``generate_takes`` over the answer's bars of the
   chart (their chord tokens included). This answer is ready a beat before its downbeat.
3. One beat before the end (while the player's last beat sounds), if the player has
   played more since, the fuller phrase is sent again; that answer replaces the first
   when it is ready ``SWAP_MARGIN_S`` before the downbeat.
4. The chosen answer's messages (the export's own, channel 1) are queued at the
   answer block's start.

Call and response (``call_response=True``): the answer develops the player's motif. It
opens by restating the motif (the phrase's last bar of notes, its rhythm kept,
transposed from the chord under it to the answer's first chord), as players quote each
other when they trade; the model, primed with the phrase *and* that restatement, plays
the rest at a lower temperature. Up to ``candidates`` continuations are drawn one after
another while there is time (each stage until the next decision point) and the one whose
pitch-interval 4-grams echo the phrase most is kept (chord-tone share breaks ties).
``live_bench`` measures the echo of the whole answer and of the model's part against
unprimed and merely primed answers.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, replace

from studio.music.live import clock as live_clock
from studio.music.chart import Chart, as_chart
from studio.music.perform.feel import Feel
from studio.music.live.events import band_events, chart_slice, take_events
from studio.music.live.session import LiveNote, LiveSession
from studio.music.metrics import chord_tone_share, intervals
from studio.music.types import TICKS_PER_BEAT, ChordSpan, Note, Solo, make_monophonic

log = logging.getLogger(__name__)

TRADE_LENGTHS = (2, 4, 8)
SWAP_MARGIN_S = 0.03           # a later answer must be ready this long before its downbeat
CALL_RESPONSE_TEMPERATURE = 0.8  # x the chosen temperature: stay near the motif
ECHO_N = 4                     # interval n-grams that count as an echo of the phrase


@dataclass
class TradeSettings:
    bars: int = 4                  # bars each side plays: 2, 4 or 8
    call_response: bool = False
    candidates: int = 4            # answers drawn for call and response
    player_first: bool = True
    trades: int = 0                # player + model pairs before the session ends; 0 = until stopped

    def validate(self) -> None:
        if self.bars not in TRADE_LENGTHS:
            raise ValueError(f"trade length must be one of {', '.join(map(str, TRADE_LENGTHS))} bars")
        if not 1 <= self.candidates <= 16:
            raise ValueError("candidates must be between 1 and 16")
        if self.trades < 0:
            raise ValueError("trades must be >= 0")


class PhraseRecorder:
    """Notes from the input port, timed on the monotonic clock (song seconds once the
    engine has started). Use ``handle`` as the mido port's callback."""

    def __init__(self, clock_origin=lambda: 0.0):
        self._origin = clock_origin     # returns the engine's t0
        self._lock = threading.Lock()
        self._open: dict[int, tuple[float, int]] = {}
        self.notes: list[tuple[float, float | None, int, int]] = []   # (on, off, pitch, velocity)

    def handle(self, msg) -> None:
        t = live_clock.now() - (self._origin() or 0.0)
        self.add(msg, t)

    def add(self, msg, t: float) -> None:
        with self._lock:
            if msg.type == "note_on" and msg.velocity > 0:
                self._close(msg.note, t)
                self._open[msg.note] = (t, len(self.notes))
                self.notes.append((t, None, msg.note, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                self._close(msg.note, t)

    def _close(self, pitch: int, t: float) -> None:
        if pitch in self._open:
            on, index = self._open.pop(pitch)
            self.notes[index] = (on, t, pitch, self.notes[index][3])

    def between(self, start: float, end: float) -> list[tuple[float, float | None, int, int]]:
        """Notes whose onset falls in [start - a 32nd-triplet early, end)."""
        with self._lock:
            return [n for n in self.notes if start - 0.02 <= n[0] < end]


def quantise_phrase(notes, start: float, cut: float, tempo: float, chart: Chart) -> Solo:
    """The recorded notes from song time ``start`` up to ``cut`` as a Solo on the grid
    (12 ticks per beat) over ``chart`` (the phrase's bars), notes still held cut there."""
    tick_s = 60.0 / tempo / TICKS_PER_BEAT
    end_tick = max(1, round((cut - start) / tick_s))
    out = []
    for on, off, pitch, velocity in notes:
        first = max(0, round((on - start) / tick_s))
        if first >= end_tick:
            continue
        last = round(((off if off is not None and off <= cut else cut) - start) / tick_s)
        out.append(Note(first, max(1, min(last, end_tick) - first), pitch, velocity))
    return Solo("player", make_monophonic(out), chart.to_spans(1), tempo=tempo)


def interval_ngrams(solo: Solo, n: int = ECHO_N) -> list[tuple[int, ...]]:
    steps = intervals(solo)
    return [tuple(steps[i:i + n]) for i in range(len(steps) - n + 1)]


def echo_share(answer: Solo, phrase: Solo, n: int = ECHO_N) -> float:
    """Share of the answer's interval n-grams that also occur in the phrase (0 if the
    answer has none): how much of the answer develops the player's motif."""
    grams = interval_ngrams(answer, n)
    if not grams:
        return 0.0
    motif = set(interval_ngrams(phrase, n))
    return sum(g in motif for g in grams) / len(grams)


def restate_motif(phrase: Solo, first_chord, low: int = 0, high: int = 127) -> list[Note]:
    """The phrase's closing motif for the answer's first bar: the notes of the phrase's
    last bar with notes (at least 3: else its last 3), the rhythm kept from that bar's
    downbeat, moved by the nearest interval from the chord under the motif to
    ``first_chord`` (none for NC), folded by octaves into ``low..high``. [] if the
    phrase has fewer than 3 notes."""
    notes = sorted(phrase.notes)
    if len(notes) < 3:
        return []
    tpbar = phrase.ticks_per_bar
    last_bar = notes[-1].start // tpbar
    motif = [n for n in notes if n.start // tpbar == last_bar]
    if len(motif) < 3:
        motif = notes[-3:]
    base = (motif[0].start // tpbar) * tpbar
    motif = [n for n in motif if n.start - base < tpbar]
    src = phrase.chord_at(motif[0].start)
    shift = 0 if src.is_nc or first_chord.is_nc else (first_chord.root - src.root + 6) % 12 - 6
    pitches = [n.pitch + shift for n in motif]
    while max(pitches) > high and min(pitches) - 12 >= low:
        pitches = [p - 12 for p in pitches]
    while min(pitches) < low and max(pitches) + 12 <= high:
        pitches = [p + 12 for p in pitches]
    return [Note(n.start - base, max(1, min(n.duration, tpbar - (n.start - base))), p, n.velocity)
            for n, p in zip(motif, pitches)]


def motif_primer(phrase: Solo, motif: list[Note], answer_chart: Chart) -> Solo:
    """The phrase followed by a bar holding the restated motif (the answer's first bar,
    with its chords): what the model hears before it develops the motif."""
    tpbar = phrase.ticks_per_bar
    offset = max(1, phrase.bar_count) * tpbar
    first = Chart(answer_chart.text, answer_chart.bars[:1]).to_spans(1)
    spans = list(phrase.chords) + [ChordSpan(c.start + offset, c.end + offset, c.chord) for c in first]
    notes = list(phrase.notes) + [Note(n.start + offset, n.duration, n.pitch, n.velocity) for n in motif]
    return Solo("phrase + motif", notes, spans, tempo=phrase.tempo)


def join_answer(motif: list[Note], development: Solo, answer_chart: Chart, tempo: float) -> Solo:
    """The whole answer: the restated motif in bar 1, the model's development after it."""
    tpbar = development.ticks_per_bar
    notes = list(motif) + [Note(n.start + tpbar, n.duration, n.pitch, n.velocity)
                           for n in development.notes]
    return Solo(development.title, notes, answer_chart.to_spans(1), tempo=tempo)


def pick_answer(takes: list, phrase: Solo):
    """The take that echoes the phrase most; chord-tone share, then order, break ties."""
    def key(i):
        take = takes[i]
        return (echo_share(take.solo, phrase), chord_tone_share(take.solo) or 0.0, -i)
    return takes[max(range(len(takes)), key=key)]


class TradeSession(LiveSession):
    """Band + alternating player / model blocks over the chart, until stopped."""

    def __init__(self, engine, worker, chart: str | Chart, jazz_settings, trade: TradeSettings,
                 *, count_in_bars: int = 1, midi_options: dict | None = None):
        trade.validate()
        jazz_settings.validate()
        super().__init__(engine, jazz_settings.tempo, count_in_bars)
        self.worker = worker
        self.chart = as_chart(chart)
        self.settings = jazz_settings
        self.trade = trade
        self.midi_options = dict(midi_options or {})
        self.recorder = PhraseRecorder(lambda: self.engine.t0)
        self.seed = jazz_settings.seed if jazz_settings.seed is not None else random.randrange(2 ** 31)
        self.answers: list[dict] = []
        self._band_until = 0      # choruses of band queued

    # -- the plan -----------------------------------------------------------------------
    def block_role(self, k: int) -> str:
        player = (k % 2 == 0) == self.trade.player_first
        return "player" if player else "model"

    def block_span(self, k: int) -> tuple[float, float]:
        n = self.trade.bars * self.bar_s
        return k * n, (k + 1) * n

    def _queue_band(self, until: float) -> None:
        chorus_s = self.chart.bar_count * self.bar_s
        o = self.midi_options
        while self._band_until * chorus_s < until:
            # each chorus its own seed: the comping rhythms vary as a band's would
            feel = replace(o.get("feel") or Feel(), seed=self.seed * 31 + self._band_until)
            events = band_events(self.chart, self.tempo, comping=o.get("comping", True),
                                 bass=o.get("bass", True), comp_program=o.get("comp_program", 0),
                                 bass_program=o.get("bass_program", 32), feel=feel)
            self.engine.schedule(events, self._band_until * chorus_s)
            self._band_until += 1

    def _solo_events(self, take):
        o = self.midi_options
        return take_events(take, program=o.get("program", 66), comping=False, bass=False,
                           feel=o.get("feel"))

    def _answer_settings(self, primer: Solo | None, bars: int, k: int, call: bool):
        s = self.settings
        return replace(s, primer=primer if primer is not None and primer.notes else None,
                       primer_bars=bars, choruses=1, seed=self.seed + k,
                       temperature=s.temperature * (CALL_RESPONSE_TEMPERATURE if call else 1.0),
                       count=1)

    def _request(self, k: int, cut: float | None, deadline: float | None = None):
        """Submit the answer for block k, primed with the phrase of block k-1 up to cut."""
        answer_chart = chart_slice(self.chart, k * self.trade.bars, self.trade.bars)
        phrase = None
        if cut is not None:
            start, _ = self.block_span(k - 1)
            phrase_chart = chart_slice(self.chart, (k - 1) * self.trade.bars, self.trade.bars)
            phrase = quantise_phrase(self.recorder.between(start, cut), start, cut,
                                     self.tempo, phrase_chart)
        asked = live_clock.now()
        call = bool(self.trade.call_response and phrase is not None and phrase.notes)
        motif = restate_motif(phrase, answer_chart.bars[0][0][1], self.settings.pitch_low,
                              self.settings.pitch_high) if call else []
        n = self.trade.bars
        if motif:       # the model develops the restated motif over the answer's other bars
            chart = chart_slice(self.chart, k * n + 1, n - 1)
            settings = self._answer_settings(motif_primer(phrase, motif, answer_chart), n + 1, k, True)
        else:
            chart, settings = answer_chart, self._answer_settings(phrase, n, k, call)
        future = self.worker.submit(chart, settings, candidates=self.trade.candidates if call else 1,
                                    deadline=None if deadline is None else self.engine.t0 + deadline)
        future.motif, future.answer_chart = motif, answer_chart
        return phrase, asked, future, cut

    # -- the control thread -------------------------------------------------------------
    def run(self) -> None:
        blocks = 2 * self.trade.trades if self.trade.trades else None
        k = 0
        if self.block_role(0) == "model":         # the model opens: an unprimed answer
            self._queue_band(self.block_span(2)[1])
            self._play_answer(0, [self._request(0, None)])
            k = 1
        while not self._stop.is_set() and (blocks is None or k < blocks):
            start, end = self.block_span(k)
            self._queue_band(end + 2 * self.block_span(1)[1])
            if self.block_role(k) == "model":     # its answer was queued at the player's turn
                k += 1
                continue
            if blocks is not None and k + 1 >= blocks:
                self.wait_song_time(end)
                break
            # Ask at two beats before the downbeat (ready a beat early), and again at one
            # beat before if the player has played on since (used when it is in time).
            cut = end - 2 * self.beat_s
            if not self.wait_song_time(cut):
                return
            later = end - self.beat_s
            requests = [self._request(k + 1, cut, deadline=later)]
            if not self.wait_song_time(later):
                return
            if len(self.recorder.between(start, later)) > len(self.recorder.between(start, cut)):
                requests.append(self._request(k + 1, later, deadline=end - SWAP_MARGIN_S))
            self._play_answer(k + 1, requests)
            k += 1
        self._finish(k)

    def _play_answer(self, k: int, requests) -> None:
        start, end = self.block_span(k)
        chosen = None
        if len(requests) > 1:                     # the fuller phrase, if it is in time
            if self.wait_song_time(start - SWAP_MARGIN_S) and requests[-1][2].done():
                chosen = len(requests) - 1
        if chosen is None:
            chosen = 0
        phrase, asked, future, cut = requests[chosen]
        result = self.result_of(future)
        if result is None:
            return
        takes, seconds = result
        ready = getattr(future, "done_at", live_clock.now())
        decided = live_clock.now()
        take = pick_answer(takes, phrase) if phrase is not None and len(takes) > 1 else takes[0]
        model_part = take.solo
        answer = (join_answer(future.motif, model_part, future.answer_chart, self.tempo)
                  if future.motif else model_part)
        now_song = decided - self.engine.t0
        events = [e for e in self._solo_events(answer) if e.time + start > now_song]
        self.engine.schedule(events, start)
        self.add_notes(self._model_notes(answer, start))
        self.answers.append({
            "block": k, "bar": k * self.trade.bars + 1, "stage": chosen + 1,
            "stages": len(requests), "phrase_notes": len(phrase.notes) if phrase else 0,
            "answer_notes": len(answer.notes), "motif_notes": len(future.motif),
            "generation_s": round(seconds, 4),
            "candidates": len(takes),
            "first_ready_before_downbeat_s": self._margin(requests[0][2], start),
            "ready_before_downbeat_s": round(start - (ready - self.engine.t0), 4),
            "from_cut_s": round(ready - asked, 4),
            "echo": round(echo_share(answer, phrase), 3) if phrase is not None else None,
            "echo_model_part": round(echo_share(model_part, phrase), 3) if phrase is not None else None,
            "late": start - (ready - self.engine.t0) < 0,
        })

    def _margin(self, future, downbeat: float) -> float | None:
        """How long before ``downbeat`` (song s) a request's answer arrived (None: not yet)."""
        done_at = getattr(future, "done_at", None)
        return None if done_at is None else round(downbeat - (done_at - self.engine.t0), 4)

    def _finish(self, k: int) -> None:
        """The last block has been played: stop just after its end (the engine ends any
        note still sounding; the band queued beyond is dropped)."""
        if not self._stop.is_set() and self.wait_song_time(self.block_span(k)[0] + 0.01):
            self.engine.stop()

    def player_notes(self) -> list[LiveNote]:
        """The recorded notes as the window draws them (held notes end now)."""
        now_song = self.position() or 0.0
        return [LiveNote(on, off if off is not None else now_song, pitch, "player")
                for on, off, pitch, _ in self.recorder.between(float("-inf"), float("inf"))]
