"""The call's cells at sampling time: a ``LogitBias`` that leans an answer toward the
player's own interval cells, the way a soloist trading fours develops the other's idea.

The cells are the call's interval sequence (transposition-proof, so the model plays them
*as a sequence*, from whatever pitch the chords lead it to) and its inversion (every
interval negated) at half the weight. They become a continuation table of the same shape
as the corpus's lick vocabulary (context of 2-3 intervals -> the next interval, with its
share q), and ``lick_bias.LickBias`` does the rest: after each note the pitch that would
continue a cell gets ``strength x log(1 + BOOST x q)`` added inside the pitch class, so
the net still chooses whether and when a note comes (rhythm, density, the harmony) and
the cells only change which note. Its copy guard (no fingerprint: at most ``COPY_LIMIT``
boosted intervals in a row) keeps the answer from replaying the call whole.

``line_bias.combine`` adds it to the lick bias (and the interval calibration) in ``generate``.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from .lick_bias import LickBias

INVERSION_WEIGHT = 0.5       # the inverted cells count half as much as the call's own
CONTEXTS = (2, 3)            # intervals of context that recognise a cell


class MotifCells:
    """The continuation table of one call (``continuations()`` as LickVocabulary has)."""

    def __init__(self, pitches: list[int]):
        steps = [b - a for a, b in zip(pitches, pitches[1:])]
        weights: dict[tuple[int, ...], dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for seq, w in ((steps, 1.0), ([-s for s in steps], INVERSION_WEIGHT)):
            for n in CONTEXTS:
                for i in range(n, len(seq)):
                    weights[tuple(seq[i - n:i])][seq[i]] += w
        self.table = {ctx: {step: w / max(nexts.values()) for step, w in nexts.items()}
                      for ctx, nexts in weights.items()}
        self.patterns = list(self.table)

    def continuations(self) -> dict[tuple[int, ...], dict[int, float]]:
        return self.table


def motif_bias_for(ckpt, pitches, strength: float, count: int, primer_tokens: list[str]):
    """The bias toward the call ``pitches`` (None when off or the call has < 4 notes)."""
    if not pitches or strength <= 0 or len(pitches) < 4:
        return None
    primer = [int(t[6:]) for t in primer_tokens if t.startswith("PITCH_")]
    return LickBias(ckpt.vocab.tokens, MotifCells(list(pitches)), strength, count,
                    fingerprint=None, primes=[primer] * count)
