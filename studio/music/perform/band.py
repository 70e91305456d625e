"""The rhythm section under a solo: comping with rhythm and a walking bass, on the score grid.

Both are scores (ticks, 12 per beat); ``performance`` plays them with the take's feel.
Choices (which comping figure, which approach note) come from a seeded ``random.Random``
so a take with its seed always gets the same band.

Comping: per bar one of the figures a jazz pianist leans on (the Charleston, its reverse,
2 and 4, 1 and the and-of-3, a held chord), every chord change covered, and with some
probability the change anticipated an eighth early (the "push", the and-of-4 into the
next bar). Voicings are rootless (Bill Evans A/B forms) and each one is chosen to move
its voices as little as possible from the last.

Bass: quarter notes. The root (or slash bass) on each change, chord and scale tones on
the way, stepping toward the next change, and an approach into it from a half step
below or above or from its fifth; the register stays between E1 and D3.
"""

from __future__ import annotations

import random

from studio.music.chords import Chord, chord_tones, scale_for
from studio.music.types import TICKS_PER_BEAT, ChordSpan, chord_at, merge_spans

EIGHTH = TICKS_PER_BEAT // 2
BASS_LOW, BASS_HIGH = 28, 50

# Rootless voicings (Bill Evans "A" and "B" forms), intervals above the root.
VOICINGS = {
    "dom7": ([4, 9, 10, 14], [10, 14, 16, 21]), "alt": ([4, 10, 15, 20], [10, 15, 16, 20]),
    "min7": ([3, 7, 10, 14], [10, 14, 15, 19]), "maj7": ([4, 7, 11, 14], [11, 14, 16, 19]),
    "6": ([4, 7, 9, 14], [9, 14, 16, 19]), "min6": ([3, 7, 9, 14], [9, 14, 15, 19]),
    "minmaj7": ([3, 7, 11, 14], [11, 14, 15, 19]), "m7b5": ([3, 6, 10, 12], [10, 12, 15, 18]),
    "dim7": ([3, 6, 9, 12], [6, 9, 12, 15]), "dim": ([3, 6, 12, 15], [6, 12, 15, 18]),
    "aug": ([4, 8, 12, 16], [8, 12, 16, 20]), "sus": ([5, 7, 10, 14], [10, 14, 17, 19]),
    "maj": ([4, 7, 12, 14], [7, 12, 14, 16]), "min": ([3, 7, 12, 14], [7, 12, 14, 15]),
}

# Comping figures: (onset in the bar, length) in ticks, and how often each is chosen.
FIGURES = {
    "charleston": ([(0, 16), (18, 8)], 4),
    "reverse charleston": ([(6, 12), (24, 14)], 2),
    "two and four": ([(12, 8), (36, 8)], 3),
    "one, and of three": ([(0, 12), (30, 10)], 2),
    "held": ([(0, 44)], 1),
}
ANTICIPATE = 0.35          # chance that a change on a downbeat is pushed an eighth early


def comp_voicing(chord: Chord, previous: list[int] | None = None) -> list[int]:
    """A rootless voicing, lowest note 48..60, that moves its voices least from ``previous``."""
    candidates = []
    for form in VOICINGS[chord.quality]:
        for octave in range(3, 6):
            pitches = [chord.root + 12 * octave + i for i in form]
            if 48 <= pitches[0] <= 60:
                candidates.append(pitches)
    if not previous:
        return min(candidates, key=lambda p: abs(sum(p) / len(p) - 62.0))
    prev = sorted(previous)
    return min(candidates, key=lambda p: (sum(abs(a - b) for a, b in zip(sorted(p), prev)),
                                          abs(sum(p) - sum(prev))))


def _comp_hits(spans: list[ChordSpan], bars: int, ticks_per_bar: int, rng: random.Random):
    """(start, end, chord, anticipated) per comping hit, in ticks."""
    names = list(FIGURES)
    weights = [FIGURES[n][1] for n in names]
    hits: dict[int, int] = {}                     # start -> length
    for bar in range(bars):
        base = bar * ticks_per_bar
        figure = FIGURES[rng.choices(names, weights)[0]][0]
        for start, length in figure:
            if start < ticks_per_bar:
                hits[base + start] = length
    end_of_take = bars * ticks_per_bar
    anticipated = set()
    for c in sorted({s.start for s in spans if 0 <= s.start < end_of_take}):
        if c > 0 and rng.random() < ANTICIPATE:
            for h in [h for h in hits if c - EIGHTH <= h < c + TICKS_PER_BEAT]:
                del hits[h]                       # the push replaces what it runs into
            hits[c - EIGHTH] = TICKS_PER_BEAT + EIGHTH
            anticipated.add(c - EIGHTH)
        elif c not in hits:
            for h in [h for h in hits if c < h < c + TICKS_PER_BEAT]:
                del hits[h]
            hits[c] = 10
    out_hits = hits
    starts = sorted(out_hits)
    result = []
    for i, start in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else end_of_take
        end = min(start + out_hits[start], nxt - 1, end_of_take)
        chord = chord_at(spans, start + EIGHTH if start in anticipated else start)
        if end > start and not chord.is_nc:
            result.append((start, end, chord, start in anticipated))
    return result


def comping_notes(spans: list[ChordSpan], ticks_per_bar: int, bars: int | None = None,
                  rng: random.Random | None = None):
    """(start, end, pitch, velocity) in ticks: voice-led rootless voicings in rhythm."""
    spans = merge_spans(spans)
    if bars is None:
        bars = -(-max((s.end for s in spans), default=0) // ticks_per_bar)
    rng = rng or random.Random(0)
    out, previous = [], None
    for start, end, chord, pushed in _comp_hits(spans, bars, ticks_per_bar, rng):
        voicing = comp_voicing(chord, previous)
        previous = voicing
        sub = start % TICKS_PER_BEAT
        vel = 58 + (8 if pushed else 0) + (4 if start % ticks_per_bar == 0 else 0) \
            + (4 if sub == EIGHTH and not pushed else 0)
        for pitch in voicing:
            out.append((start, end, pitch, vel))
    return out


def _nearest(pc: int, previous: int | None, low: int = BASS_LOW, high: int = BASS_HIGH) -> int:
    options = [p for p in range(low, high + 1) if p % 12 == pc % 12]
    target = previous if previous is not None else 36
    return min(options, key=lambda p: (abs(p - target), p))


def _root(chord: Chord) -> int:
    return chord.bass if chord.bass is not None else chord.root


def bass_notes(spans: list[ChordSpan], ticks_per_bar: int, bars: int | None = None,
               rng: random.Random | None = None):
    """A walking line in quarters: (start, end, pitch, velocity) in ticks."""
    spans = merge_spans(spans)
    if bars is None:
        bars = -(-max((s.end for s in spans), default=0) // ticks_per_bar)
    rng = rng or random.Random(0)
    out = []
    previous: int | None = None
    beats = bars * ticks_per_bar // TICKS_PER_BEAT
    change_beats = sorted({s.start // TICKS_PER_BEAT for s in spans})
    for beat in range(beats):
        tick = beat * TICKS_PER_BEAT
        chord = chord_at(spans, tick)
        if chord.is_nc:
            previous = None
            continue
        later = [b for b in change_beats if b > beat]
        next_beat = later[0] if later else None
        nxt = chord_at(spans, next_beat * TICKS_PER_BEAT) if next_beat is not None else None
        if beat in change_beats or previous is None:
            pitch = _nearest(_root(chord), previous)
        elif next_beat == beat + 1 and nxt is not None and not nxt.is_nc:
            target = _nearest(_root(nxt), previous)
            kind = rng.choices(("below", "above", "fifth"), (5, 3, 2))[0]
            if kind == "below":
                pitch = target - 1 if target - 1 >= BASS_LOW else target + 1
            elif kind == "above":
                pitch = target + 1 if target + 1 <= BASS_HIGH else target - 1
            else:
                pitch = _nearest((_root(nxt) + 7) % 12, previous)
            if pitch == previous:
                pitch = target + 1 if target + 1 <= BASS_HIGH else target - 1
        else:
            aim = _nearest(_root(nxt), previous) if nxt is not None and not nxt.is_nc \
                else _nearest(_root(chord), previous)
            tones = chord_tones(chord)
            pool = tones if (beat % 2 == 0) else scale_for(chord)
            candidates = [p for p in range(max(BASS_LOW, previous - 5), min(BASS_HIGH, previous + 5) + 1)
                          if p % 12 in pool and p != previous]
            if not candidates:
                candidates = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 in tones]
            toward = [p for p in candidates if (p - previous) * (aim - previous) > 0]
            choose_from = toward if toward and rng.random() < 0.75 else candidates
            pitch = rng.choice(sorted(choose_from, key=lambda p: abs(p - previous))[:3])
        vel = 80 + (6 if tick % ticks_per_bar == 0 else 0) + (2 if beat % 2 else 0)
        out.append((tick, tick + TICKS_PER_BEAT - 1, pitch, vel))
        previous = pitch
    return out
