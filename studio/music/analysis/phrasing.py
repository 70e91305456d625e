"""How a line phrases: density by tempo, rests, repeated figures, strong-beat harmony.

The figures ``jazz-report`` puts side by side for a model's takes and for human solos
(``report_figures``); each takes a ``Solo`` on the 12-ticks-per-beat grid:

* ``rests(solo)``: silences of a beat or more between two notes (a breath between
  phrases; the silence before the first and after the last note does not count);
  reported per 8 bars.
* ``longest_repeated_figure(solo)``: the longest run of pitch intervals that the solo
  plays twice without the two overlapping, in notes (n intervals = n + 1 notes). Intervals,
  so a figure restated a step higher (a sequence) counts; rhythm is free.
* ``strong_beat_chord_tone_share(solo)``: chord tones among notes that start on beat 1 or
  3 (ticks 0 and 24 of a 4/4 bar), the metrically strong beats where a line states the
  harmony; ``metrics.chord_tone_share`` is the same over every note.
* ``tempo_band(bpm)``: the report's three tempo bands (issue 11's targets are < 140 and
  >= 200 bpm); notes per bar are pooled per band.
"""

from __future__ import annotations

from typing import Sequence

from studio.music.analysis.line import line_figures
from studio.music.chords import chord_tones
from studio.music.metrics import intervals
from studio.music.types import TICKS_PER_BEAT, Solo, chord_at, make_monophonic

TEMPO_BANDS = ("< 140 bpm", "140-199 bpm", ">= 200 bpm")


def tempo_band(bpm: float) -> str:
    return TEMPO_BANDS[0] if bpm < 140 else TEMPO_BANDS[1] if bpm < 200 else TEMPO_BANDS[2]


def rests(solo: Solo, min_ticks: int = TICKS_PER_BEAT) -> int:
    """Silences of at least ``min_ticks`` between consecutive notes."""
    notes = make_monophonic(solo.notes)
    return sum(1 for a, b in zip(notes, notes[1:]) if b.start - a.end >= min_ticks)


def rests_per_8_bars(solo: Solo) -> float | None:
    bars = solo.bar_count
    return rests(solo) * 8 / bars if bars else None


def _repeats(seq: Sequence[int], n: int) -> bool:
    """True when some run of ``n`` items occurs twice without overlapping."""
    first: dict[tuple[int, ...], int] = {}
    for i in range(len(seq) - n + 1):
        key = tuple(seq[i:i + n])
        j = first.setdefault(key, i)
        if i - j >= n:
            return True
    return False


def longest_repeated_figure(solo: Solo) -> int:
    """Notes in the longest interval figure played twice (non-overlapping); 0 if none.

    A figure that repeats also repeats without its last interval, so the length can be
    found by bisection."""
    seq = intervals(solo)
    lo, hi = 0, len(seq) // 2          # lo: known to repeat; hi: the longest that could
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _repeats(seq, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo + 1 if lo else 0


def _chord_tone_counts(solo: Solo, strong_only: bool = False) -> tuple[int, int]:
    """(chord tones, notes) over the notes sounding over a chord (NC skipped)."""
    hit = total = 0
    for note in solo.notes:
        if strong_only and (note.start % solo.ticks_per_bar) % (2 * TICKS_PER_BEAT):
            continue
        chord = chord_at(solo.chords, note.start)
        if chord.is_nc:
            continue
        total += 1
        hit += (note.pitch % 12) in chord_tones(chord)
    return hit, total


def strong_beat_chord_tone_share(solo: Solo) -> float | None:
    """Chord tones among the notes starting on beats 1 and 3 (over a chord, not NC)."""
    hit, total = _chord_tone_counts(solo, strong_only=True)
    return hit / total if total else None


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def report_figures(solos: Sequence[Solo], fingerprint=None, performers: Sequence[str | None] | None = None,
                   swing=None) -> dict:
    """The report's column for a set of solos (a model's takes or human solos).

    ``fingerprint``: the training corpus's (``fingerprint.Fingerprint``) for idiom share and
    the longest copy; ``performers``: each solo's player (human solos; None for takes);
    ``swing``: a function Solo -> played positions of its offbeat eighths (fractions of the
    beat: the rendering's, or the corpus's measured timing), pooled per tempo band into a
    swing ratio as ``swing.swing_ratio`` defines it.
    """
    out: dict = {"solos": len(solos), "bars": sum(s.bar_count for s in solos),
                 "notes": sum(len(s.notes) for s in solos)}
    density = {}
    for band in TEMPO_BANDS:
        group = [s for s in solos if tempo_band(s.tempo) == band]
        bars = sum(s.bar_count for s in group)
        density[band] = round(sum(len(s.notes) for s in group) / bars, 2) if bars else None
    out["notes_per_bar"] = density
    bars = out["bars"]
    out["rests_per_8_bars"] = round(sum(rests(s) for s in solos) * 8 / bars, 2) if bars else None
    out["longest_repeated_figure_median"] = _median([longest_repeated_figure(s) for s in solos])
    out.update(line_figures(solos))     # repeats, steps and leaps, fine partials, register
    for key, strong in (("chord_tone_share", False), ("chord_tone_share_strong_beats", True)):
        counts = [_chord_tone_counts(s, strong) for s in solos]
        total = sum(t for _, t in counts)
        out[key] = round(sum(h for h, _ in counts) / total, 4) if total else None
    if swing is not None:
        from studio.music.corpus.swing import swing_ratio

        pooled_positions: dict[str, list[float]] = {band: [] for band in TEMPO_BANDS}
        for s in solos:
            pooled_positions[tempo_band(s.tempo)].extend(swing(s) or [])
        out["swing_ratio"] = {band: (round(r, 3) if (r := swing_ratio(v)) is not None else None)
                              for band, v in pooled_positions.items()}
    if fingerprint is not None:
        players = list(performers) if performers is not None else [None] * len(solos)
        shares = [fingerprint.idiom_share(s, p) for s, p in zip(solos, players)]
        weights = [max(0, len(s.notes) - 7) for s in solos]
        pooled = [(x, w) for x, w in zip(shares, weights) if x is not None]
        out["idiom_share"] = round(sum(x * w for x, w in pooled) / sum(w for _, w in pooled), 4) \
            if pooled and sum(w for _, w in pooled) else None
        copies = [fingerprint.longest_copy(s) for s in solos]
        out["longest_copy_median"] = _median(copies)
        out["longest_copy_max"] = max(copies, default=None)
    return out
