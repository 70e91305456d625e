"""Which solos (or which bars) validate a jazz model: large, small and one-file corpora.

* 50 solos or more: ``encoding.split_solos`` (a solo is held out when the hash of its title
  falls below the fraction: stable as solos are added; WJazzD's shipped models use it).
* 2 to 49 solos: that hash is a coin toss per solo (3 of 11 solos, 27%, went to
  validation in one user's corpus), so exactly round(n x fraction) solos are held out,
  at least one and never all: those with the lowest title hashes.
* One solo: a time split inside it. Its last round(bars x fraction) bars (at least one)
  validate, the bars before them train. A solo shorter than two bars cannot be split.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.music.encoding import _title_hash, split_solos
from studio.music.types import ChordSpan, Note, Solo

HASH_SPLIT_FROM = 50


@dataclass
class Holdout:
    train: list[Solo]
    val: list[Solo]
    note: str                 # one sentence for the dataset report


def cut_solo(solo: Solo, start_bar: int, end_bar: int | None = None, title: str | None = None) -> Solo:
    """Bars [start_bar, end_bar) of a solo as a solo of its own (shifted to tick 0)."""
    lo = start_bar * solo.ticks_per_bar
    hi = (end_bar if end_bar is not None else solo.bar_count) * solo.ticks_per_bar
    notes = [Note(n.start - lo, min(n.end, hi) - n.start, n.pitch, n.velocity)
             for n in solo.notes if lo <= n.start < hi]
    spans = [ChordSpan(max(s.start, lo) - lo, min(s.end, hi) - lo, s.chord)
             for s in solo.chords if s.start < hi and s.end > lo]
    return solo.copy(title=title or solo.title, notes=notes, chords=spans)


def holdout(solos: list[Solo], val_fraction: float = 0.1) -> Holdout:
    """Train and validation solos for a corpus of any size; see the module text."""
    n = len(solos)
    if val_fraction <= 0 or n == 0:
        return Holdout(list(solos), [], "no validation split (validation fraction 0)")
    if n >= HASH_SPLIT_FROM:
        train, val = split_solos(solos, val_fraction)
        return Holdout(train, val, f"validation: {len(val)} of {n} solos, held out by title")
    if n >= 2:
        k = min(n - 1, max(1, round(n * val_fraction)))
        held = set(id(s) for s in sorted(solos, key=lambda s: _title_hash(s.title))[:k])
        train = [s for s in solos if id(s) not in held]
        val = [s for s in solos if id(s) in held]
        return Holdout(train, val, f"validation: {k} of {n} solos held out "
                                   f"(a small corpus: exactly {val_fraction:.0%}, at least one)")
    solo = solos[0]
    bars = solo.bar_count
    if bars < 2:
        raise ValueError(f"{solo.title}: one solo of {bars} bar is too short to train on "
                         "(a time split needs at least 2 bars)")
    k = min(bars - 1, max(1, round(bars * val_fraction)))
    train = cut_solo(solo, 0, bars - k)
    val = cut_solo(solo, bars - k, bars, title=f"{solo.title} (last {k} bars)")
    return Holdout([train], [val], f"validation: one solo, so its last {k} of {bars} bars "
                                   "validate and the bars before them train")
