"""The jazz grammar as a sampler Constraint: the chart decides structure, the model plays.

Implements ``studio.core.sampling.sampler.Constraint`` (``mask(step)``, ``advance(tokens)``) for
N rows at once. Each row walks the encoding of ``encoding.py`` (jazz-remi-v3):

    BAR TEMPO FORM POS_0 <harmony> [PITCH DUR] POS_k <harmony> PITCH DUR ... BAR ... <end>

where ``<harmony>`` = ``TO_b NEXT_<chord> CHORD_<chord>`` of that tick (``form.Harmony``).
Forced (a one-token mask, queued per row): ``BAR`` at each bar, its ``TEMPO`` (the
take's tempo) and ``FORM`` (the bar of the chorus), ``POS_c`` + harmony at each chart
change (the same events ``encoding.chord_events`` writes), the harmony after every other
onset the model picks, ``<end>`` after the last bar.
Chosen by the model, within masks:
  * onsets: ``POS_k`` strictly increasing in the bar, never before the sounding note ends
    (monophonic), never past the next pending chord change;
  * pitch: inside [pitch_low, pitch_high]; with ``scale_mask`` also in the chord-scale
    (``chords.scale_for``) of the chord sounding at the onset;
  * duration: no longer than what is left of the take.
Every state allows at least one token, so the sampler never sees an all-masked row.
"""

from __future__ import annotations

import torch

from .chords import Chord, scale_for
from .encoding import BAR, DURATIONS, PITCH_HIGH, PITCH_LOW, TICKS_PER_BAR, chord_events
from .form import FORM_TOKENS, Harmony, bar_forms, tempo_token
from .types import ChordSpan, chord_at

_START, _QUEUE, _AFTER_CHORD, _AFTER_PITCH, _FREE, _DONE, _NEED_PITCH = range(7)


class GrammarError(ValueError):
    """The model's vocabulary cannot express the jazz grammar (not a jazz model)."""


class _Row:
    __slots__ = ("state", "bar", "pos", "note_end", "onset", "pending", "queue", "then")

    def __init__(self):
        self.state = _START
        self.bar = -1
        self.pos = -1
        self.note_end = 0          # absolute tick where the last note ends
        self.onset = 0             # absolute tick of the note being written
        self.pending: list[tuple[int, Chord]] = []   # chart events left in this bar
        self.queue: list[int] = []  # forced tokens still to come (state _QUEUE)
        self.then = _FREE           # the state after the queue


class ChartGrammar:
    def __init__(self, vocab_tokens: list[str], spans: list[ChordSpan], bars: int, count: int = 1,
                 pitch_low: int = PITCH_LOW, pitch_high: int = PITCH_HIGH,
                 scale_mask: bool = False, chords: bool = True, end_token: str = "<end>",
                 tempo: float = 120.0, chorus_starts: list[int] | None = None):
        index = {t: i for i, t in enumerate(vocab_tokens)}
        self.size = len(vocab_tokens)
        self.bars = bars
        self.total = bars * TICKS_PER_BAR
        self.spans = spans
        self.scale_mask = scale_mask
        self.chords = chords
        events = chord_events(spans, bars, chords)
        self.events_by_bar: list[list[tuple[int, Chord]]] = [[] for _ in range(bars)]
        for tick in sorted(events):
            self.events_by_bar[tick // TICKS_PER_BAR].append((tick % TICKS_PER_BAR, events[tick]))

        def need(token: str) -> int:
            if token not in index:
                raise GrammarError(f"the model's vocabulary has no {token!r}: not a jazz event model")
            return index[token]

        self._need = need
        self.end_id = need(end_token)
        self.bar_id = need(BAR)
        self.tempo_id = need(tempo_token(tempo))
        self.form_ids = [need(FORM_TOKENS[k]) for k in bar_forms(chorus_starts or [0], bars)]
        self.pos_ids = torch.tensor([need(f"POS_{k}") for k in range(TICKS_PER_BAR)])
        self.harmony = Harmony(spans, self.total)
        self._heads: dict[int, list[int]] = {}
        self.dur_ids = [(d, need(f"DUR_{d}")) for d in DURATIONS]
        low, high = max(pitch_low, PITCH_LOW), min(pitch_high, PITCH_HIGH)
        if low > high:
            raise ValueError(f"pitch range {pitch_low}..{pitch_high} is outside "
                             f"{PITCH_LOW}..{PITCH_HIGH}")
        self.pitches = [(p, need(f"PITCH_{p}")) for p in range(low, high + 1)]
        self._pitch_mask_cache: dict[Chord, torch.Tensor] = {}
        self._dur_mask_cache: dict[int, torch.Tensor] = {}
        # id -> (kind, value) for advance(); forced context tokens are "other"
        self.kind: dict[int, tuple[str, int]] = {self.bar_id: ("bar", 0), self.end_id: ("end", 0)}
        for k, i in enumerate(self.pos_ids.tolist()):
            self.kind[i] = ("pos", k)
        for d, i in self.dur_ids:
            self.kind[i] = ("dur", d)
        for p in range(PITCH_LOW, PITCH_HIGH + 1):   # kept bars (replay) may lie outside the range
            if f"PITCH_{p}" in index:
                self.kind[index[f"PITCH_{p}"]] = ("pitch", p)
        self.rows = [_Row() for _ in range(count)]

    def _head(self, tick: int) -> list[int]:
        """Ids of the harmony written at ``tick``: TO, NEXT, CHORD (blind: TO_8 NEXT_NC CHORD_NC)."""
        head = self._heads.get(tick)
        if head is None:
            head = [self._need(t) for t in self.harmony.tokens(tick, self.chords)]
            self._heads[tick] = head
        return head

    # ------------------------------------------------------------------ masks
    def _pitch_mask(self, chord: Chord) -> torch.Tensor:
        mask = self._pitch_mask_cache.get(chord)
        if mask is None:
            mask = torch.zeros(self.size, dtype=torch.bool)
            scale = scale_for(chord) if self.scale_mask else set(range(12))
            ids = [i for p, i in self.pitches if p % 12 in scale] or [i for _, i in self.pitches]
            mask[ids] = True
            self._pitch_mask_cache[chord] = mask
        return mask

    def _dur_mask(self, limit: int) -> torch.Tensor:
        mask = self._dur_mask_cache.get(limit)
        if mask is None:
            mask = torch.zeros(self.size, dtype=torch.bool)
            mask[[i for d, i in self.dur_ids if d <= limit] or [self.dur_ids[0][1]]] = True
            self._dur_mask_cache[limit] = mask
        return mask

    def _row_mask(self, row: _Row) -> torch.Tensor:
        if row.state == _START:
            return self._only(self.bar_id)
        if row.state == _DONE:
            return self._only(self.end_id)
        if row.state == _QUEUE:
            return self._only(row.queue[0])
        bar_start = row.bar * TICKS_PER_BAR
        if row.state == _NEED_PITCH:
            return self._pitch_mask(chord_at(self.spans, bar_start + row.pos)).clone()
        if row.state == _AFTER_PITCH:
            return self._dur_mask(self.total - row.onset).clone()
        # _AFTER_CHORD or _FREE: a note here, a later onset, the next bar, or the end
        mask = torch.zeros(self.size, dtype=torch.bool)
        if row.state == _AFTER_CHORD and row.note_end <= bar_start + row.pos:
            mask |= self._pitch_mask(chord_at(self.spans, bar_start + row.pos))
        first = max(row.pos + 1, row.note_end - bar_start)
        if row.pending:
            change = row.pending[0][0]
            if first < change:
                mask[self.pos_ids[first:change]] = True
            mask[self.pos_ids[change]] = True
        else:
            if first < TICKS_PER_BAR:
                mask[self.pos_ids[first:]] = True
            mask[self.bar_id if row.bar < self.bars - 1 else self.end_id] = True
        return mask

    def _only(self, token_id: int) -> torch.Tensor:
        mask = torch.zeros(self.size, dtype=torch.bool)
        mask[token_id] = True
        return mask

    def mask(self, step: int) -> torch.Tensor:
        return torch.stack([self._row_mask(row) for row in self.rows])

    # ------------------------------------------------------------------ state
    def _force(self, row: _Row, tokens: list[int], then: int) -> None:
        row.queue, row.then, row.state = list(tokens), then, _QUEUE

    def advance(self, tokens: torch.Tensor) -> None:
        for row, tok in zip(self.rows, tokens.tolist()):
            if row.state == _DONE or tok < 0:
                continue
            if row.state == _QUEUE:
                row.queue.pop(0)   # the mask allowed only the queued token
                if not row.queue:
                    row.state = row.then
                continue
            kind, value = self.kind.get(tok, ("other", 0))
            if kind == "end":
                row.state = _DONE
            elif kind == "bar":
                row.bar += 1
                row.pos = 0
                row.pending = list(self.events_by_bar[row.bar]) if row.bar < self.bars else []
                if row.bar >= self.bars:
                    row.state = _DONE
                    continue
                # every bar opens with a chart event at position 0 (encoding.chord_events)
                row.pending.pop(0)
                tick = row.bar * TICKS_PER_BAR
                self._force(row, [self.tempo_id, self.form_ids[row.bar], int(self.pos_ids[0])]
                            + self._head(tick), _AFTER_CHORD)
            elif kind == "pos":
                row.pos = value
                tick = row.bar * TICKS_PER_BAR + value
                if row.pending and row.pending[0][0] == value:
                    row.pending.pop(0)
                    self._force(row, self._head(tick), _AFTER_CHORD)  # a note here is optional
                else:
                    self._force(row, self._head(tick), _NEED_PITCH)   # the model chose an onset
            elif kind == "pitch":
                row.onset = row.bar * TICKS_PER_BAR + row.pos
                row.state = _AFTER_PITCH
            elif kind == "dur":
                row.note_end = row.onset + value
                row.state = _FREE

    def replay(self, tokens: list[int]) -> None:
        """Walk every row through ``tokens`` (ids: the kept bars of a take, ending with the
        ``BAR`` of the first bar to play) as if sampled, so the grammar goes on from there
        with its bar, onset and sounding note exactly as at that point of the take
        (``continuation.continue_takes``). A token the chart does not allow there is refused."""
        for k, tok in enumerate(tokens):
            pitch = self.kind.get(tok, ("", 0))[0] == "pitch"   # a kept note outside the range stays
            if not pitch and not bool(self._row_mask(self.rows[0])[tok]):
                raise GrammarError(f"the kept bars do not fit the chart at token {k} "
                                   f"(bar {self.rows[0].bar + 1})")
            self.advance(torch.full((len(self.rows),), tok, dtype=torch.long))

    @property
    def done(self) -> list[bool]:
        return [row.state == _DONE for row in self.rows]

    def max_tokens(self) -> int:
        """An upper bound on a take's length: every tick a note, plus all chord events."""
        events = sum(len(b) for b in self.events_by_bar)
        return self.bars * (3 + TICKS_PER_BAR * 6) + events * 4 + 1
