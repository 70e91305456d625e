"""Four-bar phrases of a solo and what a discriminator reads in them.

``cut_phrases`` cuts a solo into whole 4-bar windows (bars 0-3, 4-7, ...) of note events.
Each event carries what a listener hears in one step of a line: the interval from the
note before (across a phrase boundary too: the line does not restart), where in the beat
it starts (12 ticks per beat), how long it is held, how long until the next onset (IOI)
and the hold ratio (duration / IOI: 1 legato, ~0.5 detached).

``phrase_features`` turns a phrase into a named vector of histograms, n-grams and
summaries, each name in one family (``FAMILIES``: pitch, rhythm, durations) so a
classifier can be run on one family alone. ``event_tokens`` gives the same events as small
integer tokens for the neural classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.music.types import Solo

PHRASE_BARS = 4
# a window with fewer notes is (almost) a rest: both sides' are left out alike
MIN_NOTES = 4
INTERVAL_CLIP = 12
# tick bins for durations and inter-onset intervals (12 ticks = one beat): upper bounds
TICK_BINS = (2, 3, 4, 5, 6, 8, 11, 12, 18, 24, 48)
HOLD_BINS = (0.3, 0.45, 0.6, 0.75, 0.9)
# interval classes for bigrams: repeat, step (1-2), skip (3-4), leap (5-7), big leap (8+),
# each up or down
_SIZES = ((0, 0, "rep"), (1, 2, "step"), (3, 4, "skip"), (5, 7, "leap"), (8, 999, "big"))
FAMILIES = ("pitch", "rhythm", "durations")


@dataclass(frozen=True)
class Event:
    interval: int | None      # semitones from the note before; None for a solo's first note
    position: int             # onset tick within the beat, 0..11
    duration: int             # ticks
    ioi: int | None           # ticks to the next onset; None for a solo's last note
    pitch: int

    @property
    def hold(self) -> float | None:
        return min(1.0, self.duration / self.ioi) if self.ioi else None


@dataclass
class Phrase:
    events: list[Event]
    group: str                # the tune: cross-validation keeps a group in one fold
    label: int                # 0 a player's, 1 generated
    source: str               # the solo or take it was cut from, and its bars


def solo_events(solo: Solo) -> list[tuple[int, Event]]:
    """(onset tick, event) for every note of a (monophonic) solo, in order."""
    notes = sorted(solo.notes)
    beat = solo.ticks_per_beat
    out = []
    for i, n in enumerate(notes):
        prev = notes[i - 1] if i else None
        nxt = notes[i + 1] if i + 1 < len(notes) else None
        out.append((n.start, Event(n.pitch - prev.pitch if prev else None,
                                   (n.start % beat) * 12 // beat, n.duration,
                                   nxt.start - n.start if nxt else None, n.pitch)))
    return out


def cut_phrases(solo: Solo, group: str, label: int, bars: int | None = None,
                source: str | None = None) -> list[Phrase]:
    """The solo's whole 4-bar windows within its first ``bars`` bars (all when None), each
    with at least ``MIN_NOTES`` notes."""
    events = solo_events(solo)
    total = solo.bar_count if bars is None else min(bars, solo.bar_count)
    width = PHRASE_BARS * solo.ticks_per_bar
    phrases = []
    for first in range(0, total - PHRASE_BARS + 1, PHRASE_BARS):
        lo = first * solo.ticks_per_bar
        inside = [e for start, e in events if lo <= start < lo + width]
        if len(inside) >= MIN_NOTES:
            phrases.append(Phrase(inside, group, label, f"{source or solo.title} bars "
                                                        f"{first + 1}-{first + PHRASE_BARS}"))
    return phrases


def _clip(interval: int) -> int:
    return max(-INTERVAL_CLIP, min(INTERVAL_CLIP, interval))


def _interval_class(interval: int) -> str:
    size = abs(interval)
    name = next(label for lo, hi, label in _SIZES if lo <= size <= hi)
    return name if size == 0 else f"{name}{'+' if interval > 0 else '-'}"


def _bin(value: float, bounds) -> int:
    return next((i for i, b in enumerate(bounds) if value <= b), len(bounds))


def _tick_label(i: int) -> str:
    lo = TICK_BINS[i - 1] + 1 if i else 1
    return f">{TICK_BINS[-1]}" if i == len(TICK_BINS) else (
        f"{lo}" if lo == TICK_BINS[i] else f"{lo}-{TICK_BINS[i]}")


def _hold_label(i: int) -> str:
    lo = HOLD_BINS[i - 1] if i else 0.0
    hi = HOLD_BINS[i] if i < len(HOLD_BINS) else 1.0
    return f"{lo:.2f}-{hi:.2f}"


def _classes() -> list[str]:
    return ["rep"] + [f"{name}{d}" for _, _, name in _SIZES[1:] for d in "+-"]


def _names() -> list[tuple[str, str]]:
    """(family, feature name) of every feature, in vector order."""
    pitch = [f"interval {i:+d}" for i in range(-INTERVAL_CLIP, INTERVAL_CLIP + 1)]
    pitch += [f"interval pair {a} {b}" for a in _classes() for b in _classes()]
    pitch += ["register mean", "register spread", "register range", "repeated-note share",
              "leap share (5+)", "leap share (8+)", "direction changes"]
    rhythm = [f"onset at tick {p}" for p in range(12)]
    rhythm += ["16th partials (ticks 3, 9)", "triplet partials (ticks 4, 8)",
               "off the eighth grid", "offbeat eighths", "onbeat share"]
    rhythm += [f"ioi {_tick_label(i)}" for i in range(len(TICK_BINS) + 1)]
    rhythm += ["notes per bar", "beats of rest"]
    durations = [f"duration {_tick_label(i)}" for i in range(len(TICK_BINS) + 1)]
    durations += [f"hold {_hold_label(i)}" for i in range(len(HOLD_BINS) + 1)]
    durations += ["hold ratio mean", "detached share (hold <= 0.6)"]
    return ([("pitch", n) for n in pitch] + [("rhythm", n) for n in rhythm]
            + [("durations", n) for n in durations])


FEATURES = _names()
FEATURE_NAMES = [name for _, name in FEATURES]


def family_columns(family: str) -> list[int]:
    """Indices of one family's features in the vector."""
    if family not in FAMILIES:
        raise ValueError(f"no feature family {family!r} (one of {', '.join(FAMILIES)})")
    return [i for i, (fam, _) in enumerate(FEATURES) if fam == family]


def _share(values, size: int) -> list[float]:
    counts = np.bincount(np.asarray(values, dtype=int), minlength=size)[:size]
    return list(counts / max(1, len(values)))


def phrase_features(phrase: Phrase) -> np.ndarray:
    """The phrase's feature vector (``FEATURE_NAMES`` order)."""
    ev = phrase.events
    steps = [e.interval for e in ev if e.interval is not None]
    clipped = [_clip(i) + INTERVAL_CLIP for i in steps]
    cls = _classes()
    pairs = [cls.index(_interval_class(a)) * len(cls) + cls.index(_interval_class(b))
             for a, b in zip(steps, steps[1:])]
    pitches = np.array([e.pitch for e in ev], dtype=float)
    signs = [np.sign(i) for i in steps if i != 0]
    n_steps = max(1, len(steps))
    pitch = _share(clipped, 2 * INTERVAL_CLIP + 1) + _share(pairs, len(cls) ** 2) + [
        pitches.mean(), pitches.std(), pitches.max() - pitches.min(),
        sum(i == 0 for i in steps) / n_steps,
        sum(abs(i) >= 5 for i in steps) / n_steps,
        sum(abs(i) >= 8 for i in steps) / n_steps,
        sum(a != b for a, b in zip(signs, signs[1:])) / max(1, len(signs) - 1)]

    positions = [e.position for e in ev]
    iois = [e.ioi for e in ev if e.ioi is not None]
    n = len(ev)
    span = PHRASE_BARS * 4 * 12
    rests = sum(max(0, i - e.duration) for e, i in ((e, e.ioi) for e in ev if e.ioi)) / 12
    rhythm = _share(positions, 12) + [
        sum(p in (3, 9) for p in positions) / n,
        sum(p in (4, 8) for p in positions) / n,
        sum(p not in (0, 6) for p in positions) / n,
        sum(p == 6 for p in positions) / n,
        sum(p == 0 for p in positions) / n] + _share(
        [_bin(i, TICK_BINS) for i in iois], len(TICK_BINS) + 1) + [
        n / PHRASE_BARS, min(rests, span / 12)]

    holds = [e.hold for e in ev if e.hold is not None]
    durations = _share([_bin(e.duration, TICK_BINS) for e in ev], len(TICK_BINS) + 1) + _share(
        [_bin(h, HOLD_BINS) for h in holds], len(HOLD_BINS) + 1) + [
        float(np.mean(holds)) if holds else 1.0,
        sum(h <= 0.6 for h in holds) / max(1, len(holds))]
    return np.array(pitch + rhythm + durations, dtype=float)


def feature_matrix(phrases: list[Phrase]) -> np.ndarray:
    """One row per phrase."""
    return np.stack([phrase_features(p) for p in phrases]) if phrases else \
        np.zeros((0, len(FEATURES)))


# token vocabularies for the neural classifier: one embedding table per field
INTERVAL_TOKENS = 2 * INTERVAL_CLIP + 2          # clipped -12..12, and "first note"
POSITION_TOKENS = 12
TICK_TOKENS = len(TICK_BINS) + 2                 # the bins, and "last note" for the IOI


def event_tokens(phrase: Phrase) -> np.ndarray:
    """(events, 4) integers: interval, onset position, duration bin, IOI bin."""
    rows = [(_clip(e.interval) + INTERVAL_CLIP if e.interval is not None else INTERVAL_TOKENS - 1,
             e.position, _bin(e.duration, TICK_BINS),
             _bin(e.ioi, TICK_BINS) if e.ioi is not None else TICK_TOKENS - 1) for e in phrase.events]
    return np.array(rows, dtype=np.int64)
