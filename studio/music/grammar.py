"""The jazz grammar as a sampler Constraint: the chart decides structure, the model plays.

Implements ``studio.core.sampler.Constraint`` (``mask(step)``, ``advance(tokens)``) for
N rows at once. Each row walks the encoding of ``encoding.py``:

    BAR -> POS_0 -> CHORD (forced) -> [PITCH -> DUR] -> POS_k -> CHORD (forced) -> PITCH -> DUR
        ... -> BAR ... -> <end>

Forced (a one-token mask): ``BAR`` at each bar, ``POS_c`` + ``CHORD`` at each chart change
(the same events ``encoding.chord_events`` writes), the sounding chord again after any
other onset the model picks (so the pitch step always sees the harmony as its input),
``<end>`` after the last bar.
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

from .chords import NO_CHORD, Chord, scale_for
from .encoding import BAR, DURATIONS, PITCH_HIGH, PITCH_LOW, TICKS_PER_BAR, chord_events
from .types import ChordSpan, chord_at

_START, _OPEN, _AT_POS, _AFTER_CHORD, _AFTER_PITCH, _FREE, _DONE, _NEED_PITCH = range(8)


class GrammarError(ValueError):
    """The model's vocabulary cannot express the jazz grammar (not a jazz model)."""


class _Row:
    __slots__ = ("state", "bar", "pos", "note_end", "onset", "pending")

    def __init__(self):
        self.state = _START
        self.bar = -1
        self.pos = -1
        self.note_end = 0          # absolute tick where the last note ends
        self.onset = 0             # absolute tick of the note being written
        self.pending: list[tuple[int, Chord]] = []   # chart events left in this bar


class ChartGrammar:
    def __init__(self, vocab_tokens: list[str], spans: list[ChordSpan], bars: int, count: int = 1,
                 pitch_low: int = PITCH_LOW, pitch_high: int = PITCH_HIGH,
                 scale_mask: bool = False, chords: bool = True, end_token: str = "<end>"):
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

        self.end_id = need(end_token)
        self.bar_id = need(BAR)
        self.pos_ids = torch.tensor([need(f"POS_{k}") for k in range(TICKS_PER_BAR)])
        self.chord_id = {chord: need(chord.token) for _, chord in events.items()}
        self.dur_ids = [(d, need(f"DUR_{d}")) for d in DURATIONS]
        low, high = max(pitch_low, PITCH_LOW), min(pitch_high, PITCH_HIGH)
        if low > high:
            raise ValueError(f"pitch range {pitch_low}..{pitch_high} is outside "
                             f"{PITCH_LOW}..{PITCH_HIGH}")
        self.pitches = [(p, need(f"PITCH_{p}")) for p in range(low, high + 1)]
        self._pitch_mask_cache: dict[Chord, torch.Tensor] = {}
        self._dur_mask_cache: dict[int, torch.Tensor] = {}
        # id -> (kind, value) for advance()
        self.kind: dict[int, tuple[str, int]] = {self.bar_id: ("bar", 0), self.end_id: ("end", 0)}
        for k, i in enumerate(self.pos_ids.tolist()):
            self.kind[i] = ("pos", k)
        for chord, i in self.chord_id.items():
            self.kind[i] = ("chord", 0)
        for d, i in self.dur_ids:
            self.kind[i] = ("dur", d)
        for p, i in self.pitches:
            self.kind[i] = ("pitch", p)
        self.rows = [_Row() for _ in range(count)]

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
        if row.state == _OPEN:
            return self._only(int(self.pos_ids[0]))
        bar_start = row.bar * TICKS_PER_BAR
        if row.state == _AT_POS:
            if row.pending and row.pending[0][0] == row.pos:
                return self._only(self.chord_id[row.pending[0][1]])
            # jazz-remi-v2: a note's chord is restated right before its pitch
            return self._only(self.chord_id[self._written_chord(bar_start + row.pos)])
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

    def _written_chord(self, tick: int) -> Chord:
        """The chord token the encoder writes at ``tick``: the sounding one, or NC (blind)."""
        return chord_at(self.spans, tick) if self.chords else NO_CHORD

    def _only(self, token_id: int) -> torch.Tensor:
        mask = torch.zeros(self.size, dtype=torch.bool)
        mask[token_id] = True
        return mask

    def mask(self, step: int) -> torch.Tensor:
        return torch.stack([self._row_mask(row) for row in self.rows])

    # ------------------------------------------------------------------ state
    def advance(self, tokens: torch.Tensor) -> None:
        for row, tok in zip(self.rows, tokens.tolist()):
            if row.state == _DONE or tok < 0:
                continue
            kind, value = self.kind.get(tok, ("other", 0))
            if kind == "end":
                row.state = _DONE
            elif kind == "bar":
                row.bar += 1
                row.pos = -1
                row.pending = list(self.events_by_bar[row.bar]) if row.bar < self.bars else []
                row.state = _OPEN
            elif kind == "pos":
                row.pos = value
                row.state = _AT_POS
            elif kind == "chord":
                if row.pending and row.pending[0][0] == row.pos:
                    row.pending.pop(0)
                    row.state = _AFTER_CHORD  # a chart change: a note here is optional
                else:
                    row.state = _NEED_PITCH   # a restated chord always introduces a note
            elif kind == "pitch":
                row.onset = row.bar * TICKS_PER_BAR + row.pos
                row.state = _AFTER_PITCH
            elif kind == "dur":
                row.note_end = row.onset + value
                row.state = _FREE

    @property
    def done(self) -> list[bool]:
        return [row.state == _DONE for row in self.rows]

    def max_tokens(self) -> int:
        """An upper bound on a take's length: every tick a note, plus all chord events."""
        events = sum(len(b) for b in self.events_by_bar)
        return self.bars * (1 + TICKS_PER_BAR * 4) + events * 2 + 1

