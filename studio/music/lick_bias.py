"""Licks at sampling time: the sampler's ``LogitBias`` that leans the line toward shared licks.

After each note the take has played, the last intervals are looked up in the corpus's lick
vocabulary (``licks.LickVocabulary.continuations``), longest context first (6 intervals,
the first 7 notes of an 8-note lick, down to ``MIN_CONTEXT``): the next intervals that
complete a shared pattern, each with q, its share of the players' weight. The pitch that
plays interval c gets the bias ``strength x log(1 + BOOST x q)``, so with the net's
distribution p the pitch is drawn from

    p'(pitch) ~ p(pitch) x (1 + BOOST x q(pitch))^strength

a product of two experts, the net (which knows the harmony, the rhythm and the form) and
the lick table (which knows only what players share), with ``strength`` the weight of the
second. The sampler applies it inside the pitch class (``sampler.shape_logits``): a lick
changes which note comes, never whether a note comes now, so density and rests are the
net's. Strength 0 is no bias at all (the sampler is not given one).

Copy guard: licks chained one after another could spell out a long stretch of one training
solo. With the checkpoint's training fingerprint (``fingerprint.Fingerprint``) each row
tracks the verbatim run it is in (the ``longest_copy`` bookkeeping, step by step), and a
pitch whose interval would carry that run past ``copy_limit`` intervals gets no boost; once
the run is at the limit, such a pitch is pushed back as hard as the strongest boost pulls
(a line the licks led into a training solo tends to follow it on by the net's own choice:
at licks 0.4 the LSTM went on to 17 intervals before this push).
Without a fingerprint (an old checkpoint) the guard counts boosted intervals in a row
instead, which bounds what the boost can add to a run.
"""

from __future__ import annotations

import math

import torch

from .encoding import PITCH_HIGH, PITCH_LOW
from .fingerprint import WINDOW, Fingerprint
from .licks import LickVocabulary

BOOST = 19.0        # at strength 1 a continuation every sharing player agrees on: 20x the odds
MIN_CONTEXT = 2     # intervals: a lick is recognised from its first 3 notes
COPY_LIMIT = 12     # intervals: the boost never carries a verbatim run past this (target <= 16)


class _Row:
    __slots__ = ("pitches", "ready", "runs", "boosted")

    def __init__(self, pitches):
        self.pitches: list[int] = list(pitches)
        self.ready = False                 # the last token was a harmony: a pitch may follow
        self.runs: dict[int, int] = {}     # training solo -> consecutive windows shared with it
        self.boosted = 0                   # intervals in a row that the boost proposed


class LickBias:
    """``studio.core.sampling.sampler.LogitBias`` for N jazz rows (see the module text).

    ``primes``: each row's pitches before the take (a primer), so a lick can start in the
    primer and go on in the take."""

    def __init__(self, vocab_tokens: list[str], vocabulary: LickVocabulary, strength: float,
                 count: int = 1, fingerprint: Fingerprint | None = None,
                 copy_limit: int = COPY_LIMIT, primes: list[list[int]] | None = None):
        if not 0 <= strength:
            raise ValueError("lick strength must be >= 0")
        self.size = len(vocab_tokens)
        self.strength = float(strength)
        self.table = vocabulary.continuations()
        self.longest = max((len(c) for c in self.table), default=0)
        self.fingerprint = fingerprint
        self.copy_limit = copy_limit
        self.pitch_id: dict[int, int] = {}
        self.pitch_of: dict[int, int] = {}
        self.harmony_ids: set[int] = set()
        for i, tok in enumerate(vocab_tokens):
            if tok.startswith("PITCH_"):
                p = int(tok[6:])
                if PITCH_LOW <= p <= PITCH_HIGH:
                    self.pitch_id[p], self.pitch_of[i] = i, p
            elif tok.startswith("CHORD_"):   # the harmony head ends with CHORD_: notes come after it
                self.harmony_ids.add(i)
        self.rows = [_Row((primes or [[]] * count)[r] if primes else []) for r in range(count)]
        for row in self.rows:
            self._replay_runs(row)
        self._scale: dict[float, float] = {}

    # -- the bias -------------------------------------------------------------------------
    def boost(self, share: float) -> float:
        """The bias of a continuation with share q: strength x log(1 + BOOST x q)."""
        return self.strength * math.log1p(BOOST * share)

    def continuations(self, pitches: list[int]) -> dict[int, float]:
        """Next interval -> q for the longest context the table knows (empty if none)."""
        tail = pitches[-self.longest - 1:]
        seq = [b - a for a, b in zip(tail, tail[1:])]
        for n in range(min(len(seq), self.longest), MIN_CONTEXT - 1, -1):
            nexts = self.table.get(tuple(seq[-n:]))
            if nexts:
                return nexts
        return {}

    def row_bias(self, row: _Row) -> dict[int, float]:
        """Token id -> bias for one row's next pitch."""
        if len(row.pitches) < MIN_CONTEXT + 1:
            return {}
        last = row.pitches[-1]
        out = {}
        for step, share in self.continuations(row.pitches).items():
            token = self.pitch_id.get(last + step)
            if token is not None and not self._too_long(row, step):
                out[token] = self.boost(share)
        if self._near_limit(row):
            # licks brought the line this deep into one training solo's line; the net, on
            # its course, would follow it on: every pitch that carries the run past the
            # limit is pushed back as hard as the strongest boost pulls
            for pitch, token in self.pitch_id.items():
                if self._too_long(row, pitch - last):
                    out[token] = -self.boost(1.0)
        return out

    def bias(self, step: int) -> torch.Tensor | None:
        rows = [(r, self.row_bias(row)) for r, row in enumerate(self.rows) if row.ready]
        rows = [(r, b) for r, b in rows if b]
        if not rows:
            return None
        out = torch.zeros(len(self.rows), self.size)
        for r, b in rows:
            out[r, list(b)] = torch.tensor(list(b.values()))
        return out

    # -- the copy guard -------------------------------------------------------------------
    def _window(self, pitches: list[int], step: int | None = None) -> list[int] | None:
        """The last WINDOW intervals (ending with ``step`` when given), or None if short."""
        seq = pitches[-WINDOW - 1:] if step is None else pitches[-WINDOW:] + [pitches[-1] + step]
        if len(seq) < WINDOW + 1:
            return None
        return [b - a for a, b in zip(seq, seq[1:])]

    def _too_long(self, row: _Row, step: int) -> bool:
        if self.fingerprint is None:
            return row.boosted + 1 > self.copy_limit
        window = self._window(row.pitches, step)
        if window is None:
            return False            # a run shorter than a window: shorter than any limit
        runs = self.fingerprint.extend_runs(row.runs, window)
        return bool(runs) and max(runs.values()) + WINDOW - 1 > self.copy_limit

    def _near_limit(self, row: _Row) -> bool:
        """The row's verbatim run is at the limit: its next interval may pass it."""
        if self.fingerprint is None:
            return False
        return bool(row.runs) and max(row.runs.values()) + WINDOW - 1 >= self.copy_limit

    def _replay_runs(self, row: _Row) -> None:
        if self.fingerprint is None:
            return
        pitches, row.runs = row.pitches, {}
        for end in range(WINDOW + 1, len(pitches) + 1):
            row.runs = self.fingerprint.extend_runs(row.runs, self._window(pitches[:end]))

    # -- the tokens as they come ----------------------------------------------------------
    def advance(self, tokens: torch.Tensor) -> None:
        for row, tok in zip(self.rows, tokens.tolist()):
            pitch = self.pitch_of.get(tok)
            if pitch is not None and row.ready:
                if self.fingerprint is None and row.pitches:   # the fallback guard's count
                    was_boosted = (pitch - row.pitches[-1]) in self.continuations(row.pitches)
                    row.boosted = row.boosted + 1 if was_boosted else 0
                row.pitches.append(pitch)
                del row.pitches[:-(max(self.longest, WINDOW) + 2)]
                if self.fingerprint is not None:
                    window = self._window(row.pitches)
                    row.runs = self.fingerprint.extend_runs(row.runs, window) if window else {}
            row.ready = tok in self.harmony_ids


def lick_bias_for(ckpt, strength: float, count: int, primer_tokens: list[str]):
    """(the bias for a take, a note for ``Take.info["licks"]``): None and why when strength
    is 0 or no lick vocabulary matches the checkpoint's corpus (``licks.licks_for``)."""
    from .licks import licks_for

    if strength <= 0:
        return None, "off"
    vocabulary = licks_for(ckpt)
    if vocabulary is None:
        return None, "off: no lick vocabulary for the corpus this model was trained on"
    primer = [int(t[6:]) for t in primer_tokens if t.startswith("PITCH_")]
    bias = LickBias(ckpt.vocab.tokens, vocabulary, strength, count,
                    fingerprint=Fingerprint.from_checkpoint(ckpt), copy_limit=COPY_LIMIT,
                    primes=[primer] * count)
    return bias, f"{strength:g} ({len(vocabulary.patterns)} shared patterns)"
