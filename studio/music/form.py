"""What a player knows besides the chord: tempo, where the bar sits in the form, what comes next.

The encoder (training) and the grammar (generation) both read these, so a chart forces
exactly the context tokens the model saw in training:

* ``tempo_token(bpm)``: one of ``TEMPO_TOKENS``, the tempo's bucket (``tempo.TEMPO_EDGES``,
  the buckets the feel measurements and reports use; 38-84 of WJazzD's 4/4 solos each).
  Human density falls from ~11 notes a bar below 100 bpm to ~5 above 200, so the model
  needs to know which one it plays in.
* ``bar_forms(chorus_starts, bars)``: the bar of the chorus for every bar (``FORM_k``,
  k < ``FORM_BARS``; longer forms wrap). WJazzD marks choruses (``chorus_id``); a chart is
  one chorus. Phrases in this music start and end on 2-, 4- and 8-bar boundaries of the form.
* ``Harmony(spans, end)``: look-ahead harmony (as in BebopNet): for any tick the sounding
  chord, the next *different* chord and the beats until it arrives (``TO_b``, b = 1..``MAX_TO``,
  "b or fewer beats away"; the last chord of a solo sees ``NEXT_NC`` at its end).
"""

from __future__ import annotations

import bisect

from .chords import NO_CHORD, Chord
from .tempo import TEMPO_EDGES, tempo_bucket
from .types import TICKS_PER_BEAT, ChordSpan

# One token per tempo bucket, named by its lower edge: TEMPO_0 (< 100 bpm), TEMPO_100, ...
TEMPO_TOKENS = tuple(f"TEMPO_{lo}" for lo in (0,) + TEMPO_EDGES)
FORM_BARS = 32          # choruses of WJazzD are mostly 12, 16 or 32 bars
MAX_TO = 8              # beats to the next change, capped ("8" = two bars or more away)
TO_TOKENS = tuple(f"TO_{b}" for b in range(1, MAX_TO + 1))
FORM_TOKENS = tuple(f"FORM_{k}" for k in range(FORM_BARS))


def tempo_token(bpm: float) -> str:
    return TEMPO_TOKENS[tempo_bucket(bpm)]


def next_token(chord: Chord) -> str:
    """The look-ahead twin of ``chord.token``: ``CHORD_Bb_dom7`` -> ``NEXT_Bb_dom7``."""
    return "NEXT_" + chord.token[len("CHORD_"):]


def bar_forms(chorus_starts: list[int], bars: int) -> list[int]:
    """The bar of the chorus (0-based, modulo FORM_BARS) for each of ``bars`` bars.

    ``chorus_starts``: bar indices where choruses begin. Bars before the first start
    (a pickup) count back from it, by the first chorus's length when it is known. No
    starts at all: the solo is one chorus from bar 0.
    """
    starts = sorted({s for s in chorus_starts if s >= 0})
    if not starts:
        return [b % FORM_BARS for b in range(bars)]
    first_len = starts[1] - starts[0] if len(starts) > 1 else FORM_BARS
    out = []
    for b in range(bars):
        i = bisect.bisect_right(starts, b) - 1
        k = b - starts[i] if i >= 0 else (first_len - (starts[0] - b)) % max(1, first_len)
        out.append(k % FORM_BARS)
    return out


def chart_chorus_starts(chart_bars: int, choruses: int) -> list[int]:
    """A chart is one chorus: it starts again every ``chart_bars`` bars."""
    return [c * chart_bars for c in range(choruses)]


class Harmony:
    """Chord, next chord and beats to the change, for any tick of a chord lane."""

    def __init__(self, spans: list[ChordSpan], end: int):
        # A gap-free lane over [0, end): uncovered time is NC; touching repeats are one span,
        # so "the next change" means the next different chord.
        lane: list[tuple[int, int, Chord]] = []
        t = 0
        for span in sorted(spans, key=lambda s: s.start):
            start, stop = max(span.start, t), min(span.end, end)
            if stop <= start:
                continue
            if start > t:
                lane.append((t, start, NO_CHORD))
            lane.append((start, stop, span.chord))
            t = stop
        if t < end or not lane:
            lane.append((t, max(end, t + 1), NO_CHORD))
        merged: list[tuple[int, int, Chord]] = []
        for start, stop, chord in lane:
            if merged and merged[-1][2] == chord:
                merged[-1] = (merged[-1][0], stop, chord)
            else:
                merged.append((start, stop, chord))
        self.lane = merged
        self.starts = [s for s, _, _ in merged]

    def at(self, tick: int) -> tuple[Chord, int, Chord]:
        """(sounding chord, beats to the next change 1..MAX_TO, next chord or NC)."""
        i = max(0, bisect.bisect_right(self.starts, tick) - 1)
        _, stop, chord = self.lane[i]
        following = self.lane[i + 1][2] if i + 1 < len(self.lane) else NO_CHORD
        beats = -(-(stop - tick) // TICKS_PER_BEAT)
        return chord, max(1, min(MAX_TO, beats)), following

    def tokens(self, tick: int, chords: bool = True) -> list[str]:
        """The context a note (or a change) at ``tick`` is written with: TO, NEXT, CHORD.

        ``chords=False`` (the chord-blind twin) writes a constant ``TO_8 NEXT_NC CHORD_NC``.
        """
        if not chords:
            return [TO_TOKENS[-1], next_token(NO_CHORD), NO_CHORD.token]
        chord, beats, following = self.at(tick)
        return [TO_TOKENS[beats - 1], next_token(following), chord.token]
