"""Articulation: how long each note of the line sounds, as written or as the players hold.

The model writes durations on the grid; WJazzD's grid durations are the players' played
durations rounded to a twelfth of a beat, so the model learns them, and in its takes more
notes come out short of the next onset than the players play (issue 22: 22% of a take's
notes sound under 60% of the interval to the next onset, the players' 8-14%).

``Feel.articulation``:

* ``"written"``: the lead sheet's durations. A note that ends within a grid step of the
  next onset is held to it (legato, as the lead sheet writes it), otherwise its end is
  snapped to the grid of the beat it ends in (``held_end``, the one rule
  ``notation.leadsheet`` writes with). Played from the note's played onset for its
  written length, and a held note ends where the next one is played, so swing never
  opens a gap inside a legato line nor shortens a note (issue 22: at humanize 0, 92 of
  131 notes played shorter than written).
* ``"players"``: the players' hold ratios (``hold_table``, measured by ``corpus.swing``)
  at the take's tempo. The take's notes are ranked by their written hold ratio and the
  k-th shortest gets the players' hold at that quantile: the line keeps the model's
  relative articulation (its shortest notes stay the shortest) and takes the players'
  distribution, so about as many notes sound detached as the players play. Tied notes
  take their quantiles in a seeded order (humanize > 0) or in the line's order. Only
  notes whose next onset follows within ``HOLD_MAX_IOI`` beats are re-articulated; a note
  before a breath keeps its written length.
* ``"score"``: the grid's durations exactly as the model wrote them, with no lead-sheet
  holding (``feel.EXACT``: a file that reads back as the same notes).
* ``"auto"`` (the default): ``"players"`` when humanize > 0 (a performance: the ear wants
  the players' legato), ``"written"`` at humanize 0 (the exact rendering: what the lead
  sheet writes, so a DAW user sees the score's durations).
"""

from __future__ import annotations

import random
from bisect import bisect_right

from studio.music.perform import hold_table
from studio.music.types import TICKS_PER_BEAT, Note

ARTICULATIONS = ("auto", "players", "written", "score")
HOLD_MAX_IOI = 2 * TICKS_PER_BEAT          # as corpus.swing.HOLD_MAX_IOI (beats), in ticks


def resolve(articulation: str, humanize: float) -> str:
    """``"auto"`` -> ``"players"`` when humanised, ``"written"`` at humanize 0."""
    if articulation == "auto":
        return "players" if humanize > 0 else "written"
    return articulation


def held_end(end: int, nxt: int, end_step: int, own_step: int, start: int, total: int) -> int:
    """The written end of a note (the lead sheet's rule): held to the next onset ``nxt``
    when it ends within ``end_step`` (the grid step of the beat it ends in) of it, else
    snapped to that grid; at least its own beat's step long; never past ``nxt``/``total``."""
    beat_start = min(end, total - 1) // TICKS_PER_BEAT * TICKS_PER_BEAT
    if nxt - end < end_step:
        end = nxt
    else:
        end = beat_start + round((end - beat_start) / end_step) * end_step
    return min(max(end, start + own_step), nxt, total)


def written_ends(line: list[Note], divisions: dict[int, int], total: int) -> list[int]:
    """The lead sheet's end of every note of a sorted monophonic line; ``divisions``:
    beat -> its division (beats without an onset count as eighths, as in the lead sheet)."""
    out = []
    for i, n in enumerate(line):
        nxt = line[i + 1].start if i + 1 < len(line) else total
        end_beat = min(n.end, total - 1) // TICKS_PER_BEAT
        end_step = TICKS_PER_BEAT // divisions.get(end_beat, 2)
        own_step = TICKS_PER_BEAT // divisions[n.start // TICKS_PER_BEAT]
        out.append(held_end(n.end, nxt, end_step, own_step, n.start, total))
    return out


def _interpolate(tempo: float, values: tuple[float, ...]) -> float:
    tempos = hold_table.TEMPOS
    if tempo <= tempos[0]:
        return values[0]
    if tempo >= tempos[-1]:
        return values[-1]
    i = bisect_right(tempos, tempo)
    t0, t1 = tempos[i - 1], tempos[i]
    return values[i - 1] + (values[i] - values[i - 1]) * (tempo - t0) / (t1 - t0)


def players_quantiles(tempo: float) -> list[float]:
    """The players' hold-ratio percentiles (0, 5, ..., 100) at ``tempo``, between buckets
    interpolated by tempo."""
    columns = zip(*hold_table.QUANTILES)
    return [_interpolate(tempo, column) for column in columns]


def hold_at(quantiles: list[float], q: float) -> float:
    """The hold ratio at quantile ``q`` (0..1) of a percentile row."""
    x = min(1.0, max(0.0, q)) * (len(quantiles) - 1)
    i = min(int(x), len(quantiles) - 2)
    return quantiles[i] + (quantiles[i + 1] - quantiles[i]) * (x - i)


def players_holds(line: list[Note], ends: list[int], tempo: float, rng: random.Random,
                  humanize: float) -> list[float | None]:
    """Per note, the players' hold ratio it gets (None: not re-articulated: the last note,
    or one before a breath of ``HOLD_MAX_IOI`` or more); see the module text."""
    ratios = {}
    for i in range(len(line) - 1):
        ioi = line[i + 1].start - line[i].start
        if 0 < ioi < HOLD_MAX_IOI:
            ratios[i] = min(1.0, (ends[i] - line[i].start) / ioi)
    out: list[float | None] = [None] * len(line)
    if not ratios:
        return out
    quantiles = players_quantiles(tempo)
    ordered = sorted(ratios, key=lambda i: ratios[i])
    count = len(ordered)
    k = 0
    while k < count:                               # blocks of equal written ratios
        j = k
        while j < count and ratios[ordered[j]] == ratios[ordered[k]]:
            j += 1
        block = ordered[k:j]
        if humanize > 0:
            rng.shuffle(block)                     # who of the tied notes holds longest
        for r, i in enumerate(block):
            out[i] = hold_at(quantiles, (k + r + 0.5) / count)
        k = j
    return out
