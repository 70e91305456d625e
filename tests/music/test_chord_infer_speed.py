"""Chord inference is linear in notes + windows (it was notes x windows: a long band file
took minutes; a 157-byte file with one huge delta never finished). Same chords as the
straightforward per-window scan, which is kept here as the reference."""

import random
import time

from studio.music.corpus.chord_infer import WINDOW, best_chord, infer_chords
from studio.music.chords import NO_CHORD
from studio.music.types import TICKS_PER_BEAT, ChordSpan, merge_spans


def reference(notes, end, window=WINDOW, min_sound=0.25):
    spans, current = [], NO_CHORD
    for lo in range(0, end, window):
        hi = min(lo + window, end)
        weights, lowest = [0.0] * 12, None
        for s, e, p in notes:
            overlap = min(e, hi) - max(s, lo)
            if overlap > 0:
                weights[p % 12] += overlap
                if s <= lo + TICKS_PER_BEAT // 2 and e > lo and (lowest is None or p < lowest):
                    lowest = p
        if sum(weights) >= min_sound * (hi - lo):
            if lowest is not None:
                weights[lowest % 12] += 0.5 * (hi - lo)
            current = best_chord(weights, None if lowest is None else lowest % 12)[0]
        spans.append(ChordSpan(lo, hi, current))
    return merge_spans(spans)


def test_same_chords_as_the_per_window_scan():
    rng = random.Random(7)
    for trial in range(60):
        end = rng.randint(1, 2000)
        notes = []
        for _ in range(rng.randint(0, 120)):
            s = rng.randint(-30, end + 30)
            notes.append((s, s + rng.choice([0, 1, 5, 12, 24, 48, 200, -3]), rng.randint(30, 90)))
        assert infer_chords(notes, end) == reference(notes, end), trial


def test_a_long_file_is_quick():
    rng = random.Random(1)
    end = 2000 * 48                       # the reader's bar limit
    notes = [(s, s + rng.choice([6, 12, 24, 96, end]), rng.randint(36, 84))
             for s in (rng.randrange(end) for _ in range(40_000))]
    # CPU seconds of this process, not the wall clock: on a loaded machine the wall clock
    # of a 0.2 s call passed 2 s; the quadratic version this guards against took minutes
    t = time.process_time()
    infer_chords(notes, end)
    assert time.process_time() - t < 3.0
