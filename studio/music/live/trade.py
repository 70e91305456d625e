"""Trading fours: the player plays N bars into the input port, the model answers N bars.

The band (the export's comping and walking bass) plays the chart round and round. The
form is cut into blocks of N bars (2, 4 or 8); blocks alternate player, model, player...
For each player block:

1. ``PhraseRecorder`` has kept every note-on/off from the input port with its song time
   (read off a followed DAW's clock with ``follow``).
2. Two beats before the block ends, the phrase so far is quantised onto the chart's grid
   (12 ticks per beat, the project's own encoding does the rest) and sent to the
   generation process as the primer of ``generate_takes`` over the answer's bars of the
   chart (their chord tokens included). This answer is ready a beat before its downbeat.
3. One beat before the end (while the player's last beat sounds), if the player has
   played more since, the fuller phrase is sent again; that answer replaces the first
   when it is ready ``SWAP_MARGIN_S`` before the downbeat.
4. The chosen answer's messages (the export's own, channel 1) are queued at the
   answer block's start.
5. At the bar line plus ``late_ms`` (notes played late for the last beat count), the
   *whole* phrase, with the answer's first bar as it is playing, primes bars 2.. of the
   answer; that replaces the first answer's later bars when ready ``SWAP_MARGIN_S``
   before bar 2 (a bar, 1 s at 240 bpm, to draw it in). So the answer is ready at its
   downbeat and what follows its first bar has heard the call to its end.

With ``silence_beats`` a call may end early (``plan.py``). Echo mode (``call_response``)
opens with the call's last bar restated over the answer's first chord, and keeps the
continuation whose interval 4-grams echo the call most (docs/LIVE.md).
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import replace

from studio.music.live import clock as live_clock
from studio.music.chart import Chart, as_chart
from studio.music.perform.feel import Feel
from studio.music.live.events import band_events, chart_slice, take_events
from studio.music.live.response import (MOTIF_STRENGTH, REGISTER_MARGIN, RESPONSE_MODES,  # noqa: F401
                                         response_settings)
from studio.music.live.session import LiveNote, LiveSession
from studio.music.live.plan import (LEAD_BEATS, QUANTIZE_GRIDS, TRADE_LENGTHS,  # noqa: F401
                                    BlockPlan, TradeSettings, silence_end)
from studio.music.live.phrase import (ECHO_N, PhraseRecorder, echo_share, interval_ngrams,  # noqa: F401
                                      follow_dynamics, join_answer, motif_primer, pick_answer,
                                      pick_for, quantise_phrase, restate_motif)
from studio.music.types import Solo

log = logging.getLogger(__name__)

SOLO_CHANNEL = 0               # the export's solo channel (channel 1)
SWAP_MARGIN_S = 0.03           # a later answer must be ready this long before its downbeat
CALL_RESPONSE_TEMPERATURE = 0.8  # x the chosen temperature: stay near the motif


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
        self.recorder = PhraseRecorder(lambda: self.engine.t0, trade.latency_ms / 1000.0,
                                       song_at=lambda mono: self.engine.song_at(mono),
                                       thru=lambda msg: self.engine.thru(msg))
        self.seed = jazz_settings.seed if jazz_settings.seed is not None else random.randrange(2 ** 31)
        self.answers: list[dict] = []
        self._band_until = 0      # choruses of band queued
        self._plan_lock = threading.Lock()
        self._epoch = 0           # a DAW's Start / Song Position starts the plan anew (sync.py)
        self._located_at = 0.0    # ... from this song time
        self._run_epoch = 0       # the plan the control thread follows
        self.plan = BlockPlan(trade.bars, self.bar_s, trade.player_first)

    # -- the plan -----------------------------------------------------------------------
    def block_role(self, k: int) -> str:
        return self.plan.role(k)

    def block_span(self, k: int) -> tuple[float, float]:
        return self.plan.span(k)

    def _chorus_events(self, c: int):
        """The band's chorus ``c`` (each its own seed: the comping varies as a band's
        would), at its song time."""
        o = self.midi_options
        feel = replace(o.get("feel") or Feel(), seed=self.seed * 31 + c)
        events = band_events(self.chart, self.tempo, comping=o.get("comping", True),
                             bass=o.get("bass", True), comp_program=o.get("comp_program", 0),
                             bass_program=o.get("bass_program", 32), feel=feel)
        offset = c * self.chart.bar_count * self.bar_s
        return [e.shifted(offset) for e in events]

    def _queue_band(self, until: float, epoch: int | None = None) -> None:
        chorus_s = self.chart.bar_count * self.bar_s
        with self._plan_lock:
            while self._band_until * chorus_s < until and epoch in (None, self._epoch):
                self.engine.schedule(self._chorus_events(self._band_until))
                self._band_until += 1

    def _schedule(self, events, offset: float, epoch: int) -> None:
        """Queue an answer's messages unless the DAW has located since it was asked."""
        with self._plan_lock:
            if epoch == self._epoch:
                self.engine.schedule(events, offset)

    # -- following a DAW's clock (--sync clock) -------------------------------------------
    def follow(self, follower) -> None:
        """Trade to a DAW's clock (``sync.ClockFollower``): tempo from its ticks, Stop
        ends what sounds (Continue plays on), Start and Song Position start the trading
        anew from the block there (the player's, or the model's opening)."""
        self.engine.follow(follower)
        follower.on_locate = self._locate
        follower.on_stop = self.engine.silence_sounding

    def _locate(self, song_s: float) -> None:
        """The DAW located (Start: 0, Song Position): the band from there, every answer
        asked before dropped; the control thread re-plans (``run``)."""
        chorus_s = self.chart.bar_count * self.bar_s
        c = max(0, int(song_s // chorus_s + 1e-9))
        with self._plan_lock:
            self._epoch += 1
            self._located_at = song_s
            self.plan.reset()             # calls ended early before: the plan from bar 0
            events = self._chorus_events(c) + self._chorus_events(c + 1)
            self._band_until = c + 2
            self.engine.relocate(events, song_s)

    def _halted(self) -> bool:
        return self._stop.is_set() or self._epoch != self._run_epoch

    def _solo_events(self, take):
        o = self.midi_options
        return take_events(take, program=o.get("program", 66), comping=False, bass=False,
                           feel=o.get("feel"))

    def _answer_settings(self, primer: Solo | None, bars: int, k: int, call: bool,
                         phrase: Solo | None = None):
        s = self.settings
        extra = self._response(phrase) if phrase is not None and phrase.notes else {}
        return replace(s, primer=primer if primer is not None and primer.notes else None,
                       primer_bars=bars, choruses=1, seed=self.seed + k,
                       temperature=s.temperature * (CALL_RESPONSE_TEMPERATURE if call else 1.0),
                       count=1, **extra)

    def _response(self, phrase: Solo) -> dict:
        return response_settings(self.trade.mode, phrase, self.settings)

    def phrase_of(self, k: int, cut: float, late: float = 0.0) -> Solo:
        """Block k's phrase up to song time ``cut``; with ``late`` (s) notes that far
        past the cut (the bar line) count as the last beat's, played late."""
        start, _ = self.block_span(k)
        phrase_chart = chart_slice(self.chart, self.plan.bar(k), self.trade.bars)
        return quantise_phrase(self.recorder.between(start, cut + late), start, cut,
                               self.tempo, phrase_chart, self.trade.quantize, late > 0)

    def _request(self, k: int, cut: float | None, deadline: float | None = None):
        """Submit the answer for block k, primed with the phrase of block k-1 up to cut."""
        answer_chart = chart_slice(self.chart, self.plan.bar(k), self.trade.bars)
        phrase = None if cut is None else self.phrase_of(k - 1, cut)
        asked = live_clock.now()
        call = bool(self.trade.mode == "echo" and phrase is not None and phrase.notes)
        motif = restate_motif(phrase, answer_chart.bars[0][0][1], self.settings.pitch_low,
                              self.settings.pitch_high) if call else []
        n = self.trade.bars
        if motif:       # the model develops the restated motif over the answer's other bars
            chart = chart_slice(self.chart, self.plan.bar(k) + 1, n - 1)
            settings = self._answer_settings(motif_primer(phrase, motif, answer_chart), n + 1, k,
                                             True, phrase)
        else:
            chart, settings = answer_chart, self._answer_settings(phrase, n, k, call, phrase)
        future = self.worker.submit(chart, settings, candidates=self._candidates(phrase),
                                    deadline=None if deadline is None else self.engine.deadline(deadline))
        future.motif, future.answer_chart = motif, answer_chart
        return phrase, asked, future, cut

    # -- the control thread -------------------------------------------------------------
    def run(self) -> None:
        """The plan from block 0; again from the DAW's locate point whenever it locates."""
        k = 0
        while True:
            self._run_epoch = epoch = self._epoch
            k = self._blocks(k, epoch, opening=k == 0 or self._at_block_start(k))
            if self._stop.is_set() or self._epoch == epoch:
                break
            k = self.plan.block_at(self._located_at)
            if self.block_role(k) == "model" and not self._at_block_start(k):
                k += 1                   # mid-answer: the band plays on to the player's block
        self._finish(k)

    def _at_block_start(self, k: int) -> bool:
        return abs(self._located_at - self.block_span(k)[0]) < self.beat_s / 2

    def _blocks(self, k: int, epoch: int, opening: bool = True) -> int:
        """Blocks from ``k`` until the trades are done, the session stops or the DAW
        locates (the plan's epoch changes). Returns the block reached."""
        blocks = 2 * self.trade.trades if self.trade.trades else None
        if self.block_role(k) == "model" and opening:   # the model opens: an unprimed answer
            self._queue_band(self.block_span(k + 2)[1], epoch)
            self._play_answer(k, [self._request(k, None)], epoch)
            k += 1
        while not self._halted() and (blocks is None or k < blocks):
            start, end = self.block_span(k)
            self._queue_band(end + 2 * self.block_span(1)[1], epoch)
            if self.block_role(k) == "model":     # its answer was queued at the player's turn
                k += 1
                continue
            if blocks is not None and k + 1 >= blocks:
                self.wait_song_time(end)
                break
            ended = self._call_ended(k) if self.trade.silence_beats else None
            if ended is not None:                 # silent: answered at the bar line after
                if ended is False:
                    return k
                self._play_answer(k + 1, [self._request(k + 1, ended[0], deadline=ended[1])], epoch)
                k += 1
                continue
            # Ask 2 beats before the downbeat, and 1 before if the player has played on since.
            cut = end - 2 * self.beat_s
            if not self.wait_song_time(cut):
                return k
            later = end - self.beat_s
            requests = [self._request(k + 1, cut, deadline=later)]
            if not self.wait_song_time(later):
                return k
            if len(self.recorder.between(start, later)) > len(self.recorder.between(start, cut)):
                requests.append(self._request(k + 1, later, deadline=end - SWAP_MARGIN_S))
            self._play_answer(k + 1, requests, epoch)
            k += 1
        return k

    def _call_ended(self, k: int):
        """Silence ends the call in player block k? Watched every 16th up to 2 beats before
        its end: (cut, deadline) if so (the answer at the bar line after, later blocks
        moved), None: it runs its bars, False: the session stops or re-plans."""
        start, end = self.block_span(k)
        step, silence = self.beat_s / 4, self.trade.silence_beats * self.beat_s
        t = start + self.beat_s
        while t <= end - LEAD_BEATS * self.beat_s:
            if not self.wait_song_time(t):
                return False
            bar = silence_end(self.recorder.between(start, t), start, t, silence, self.bar_s,
                              LEAD_BEATS * self.beat_s)
            if bar is not None and bar < self.plan.bar(k + 1):
                self.plan.rebase(k + 1, bar)
                return t, bar * self.bar_s - SWAP_MARGIN_S
            t += step
        return None

    def _play_answer(self, k: int, requests, epoch: int = 0) -> None:
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
        take = pick_for(self.trade.mode, takes, phrase) if phrase is not None else takes[0]
        model_part = take.solo
        answer = (join_answer(future.motif, model_part, future.answer_chart, self.tempo)
                  if future.motif else model_part)
        answer = self._dynamics(answer, phrase)
        now_song = self._song(decided, start)
        events = [e for e in self._solo_events(answer) if e.time + start > now_song]
        self._schedule(events, start, epoch)
        record = {
            "block": k, "bar": self.plan.bar(k) + 1, "stage": chosen + 1,
            "stages": len(requests), "phrase_notes": len(phrase.notes) if phrase else 0,
            "answer_notes": len(answer.notes), "motif_notes": len(future.motif),
            "generation_s": round(seconds, 4),
            "candidates": len(takes),
            "first_ready_before_downbeat_s": self._margin(requests[0][2], start),
            "ready_before_downbeat_s": round(start - self._song(ready, start), 4),
            "from_cut_s": round(ready - asked, 4),
            "late": start - self._song(ready, start) < 0,
        }
        bar2 = start + self.bar_s       # the window draws bar 1 now, the rest once decided
        self.add_notes([n for n in self._model_notes(answer, start) if n.start < bar2])
        if phrase is not None:
            answer, phrase = self._hear_whole_phrase(k, answer, phrase, record, epoch)
        self.add_notes([n for n in self._model_notes(answer, start) if n.start >= bar2])
        record.update(
            answer_notes=len(answer.notes),
            echo=round(echo_share(answer, phrase), 3) if phrase is not None else None,
            echo_model_part=round(echo_share(model_part, phrase), 3) if phrase is not None else None)
        self.answers.append(record)

    def _hear_whole_phrase(self, k: int, answer: Solo, early_phrase: Solo, record: dict,
                           epoch: int = 0):
        """At the bar line (plus the late window) the whole phrase, last beat and late
        notes included, primes bars 2.. of the answer after the answer's first bar as it
        is playing; used when ready ``SWAP_MARGIN_S`` before bar 2, else the first
        answer plays on. Returns (the answer as it plays, the phrase it answers)."""
        start, _ = self.block_span(k)
        late = self.trade.late_ms / 1000.0
        n = self.trade.bars
        if not self.wait_song_time(start + late):
            return answer, early_phrase
        whole = self.phrase_of(k - 1, start, late)
        record.update(whole_phrase_notes=len(whole.notes), heard_to_s=round(late, 4))
        tpbar = answer.ticks_per_bar
        bar1 = [note for note in answer.notes if note.start < tpbar]
        answer_chart = chart_slice(self.chart, self.plan.bar(k), n)
        call = bool(self.trade.mode == "echo" and whole.notes)
        settings = self._answer_settings(motif_primer(whole, bar1, answer_chart), n + 1, k, call,
                                         whole)
        bar2 = start + self.bar_s
        left = bar2 - SWAP_MARGIN_S - (self.position() or 0.0)    # more candidates: half of it
        future = self.worker.submit(chart_slice(self.chart, self.plan.bar(k) + 1, n - 1), settings,
                                    candidates=self._candidates(whole) if not call else 1,
                                    deadline=self.engine.deadline(bar2 - SWAP_MARGIN_S - left / 2))
        result = self.result_of(future, timeout=max(0.0, left))
        record["whole_ready_before_bar2_s"] = self._margin(future, bar2)
        if result is None or (self.position() or 0.0) > bar2 - SWAP_MARGIN_S:
            record["whole_used"] = False
            return answer, early_phrase
        record["whole_candidates"] = len(result[0])
        rest = self._dynamics(pick_for(self.trade.mode, result[0], whole).solo, whole)
        with self._plan_lock:
            if epoch != self._epoch:        # the DAW located meanwhile
                return answer, early_phrase
            self.engine.cancel_after(bar2 - SWAP_MARGIN_S, channels=[SOLO_CHANNEL])
            self.engine.schedule([e for e in self._solo_events(rest)
                                  if e.message.type != "program_change"], bar2)
        record["whole_used"] = True
        return join_answer(bar1, rest, answer_chart, self.tempo), whole

    def _candidates(self, phrase: Solo | None) -> int:
        """Echo and develop draw answers while there is time and keep the best (pick_for)."""
        picks = self.trade.mode in ("echo", "develop") and phrase is not None and phrase.notes
        return self.trade.candidates if picks else 1

    def _dynamics(self, answer: Solo, phrase: Solo | None) -> Solo:
        """Every mode but free plays at the call's loudness."""
        if self.trade.mode == "free" or phrase is None or not phrase.notes:
            return answer
        return follow_dynamics(answer, sum(n.velocity for n in phrase.notes) / len(phrase.notes))

    def _margin(self, future, downbeat: float) -> float | None:
        """How long before ``downbeat`` (song s) a request's answer arrived (None: not yet)."""
        done_at = getattr(future, "done_at", None)
        return None if done_at is None else round(downbeat - self._song(done_at, downbeat), 4)

    def _song(self, mono: float, otherwise: float) -> float:
        """Song time at monotonic ``mono`` (``otherwise`` while a followed DAW is stopped)."""
        t = self.engine.song_at(mono)
        return otherwise if t is None else t

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
