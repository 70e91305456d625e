"""Feel: how the grid (the score) is played. Swing and lay-back by tempo, human timing, dynamics.

The model writes a score on a 12-per-beat grid. Players do not play a grid: in WJazzD an
offbeat eighth lands at ~0.61 of the beat at 150 bpm and ~0.52 at 300; the soloist sits
a little behind the band's beat; triplets and sixteenths have positions of their own.
``feel_table`` holds those positions as measured (``python -m studio.music.corpus.swing``), per
(division, tatum) of a beat and per tempo; here they are interpolated for the take's
tempo. A beat's division is read off the score exactly as WJazzD's annotators chose
theirs: the coarsest of 1, 2, 3, 4, 6, 12 tatums per beat that holds every onset in it.

``Feel.swing``: "auto" (the corpus's positions at this tempo), "straight" (the grid, no
lay-back) or a ratio (1.0 .. 3.0) that puts offbeat eighths at r / (1 + r) of the beat
and scales every other measured deviation from the grid by as much as the eighths moved,
with no lay-back: downbeats on the beat, so the line's own eighth pairs play r : 1 too
(the players lay their downbeats back ~0.09 beat, which keeps their pairs near 1.1 : 1
while their offbeats sit at ~1.45 : 1 of the band's beat; "auto" plays that).

Dynamics follow the players' loudness as WJazzD's MIDI files give it (its CSVs carry none):
phrases (split at rests of a beat or more) start strong and ease off, higher notes of a
phrase are louder (7.5 steps from its lowest to its highest note), a long closing note
fades, very short notes and a triplet's inner notes are a little softer, short
in-between notes below both neighbours are ghosted. ``humanize`` adds seeded timing
scatter, a level per phrase and a slow velocity wander as the players' (which keeps the
velocity-pitch correlation near theirs); 0 gives the exact, repeatable-by-eye rendering.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import asdict, dataclass

from studio.music.perform import feel_table
from studio.music.perform.articulation import ARTICULATIONS
from studio.music.types import TICKS_PER_BEAT, Note

DIVISIONS = (1, 2, 3, 4, 6, 12)
MAX_RATIO = 3.0
# Timing scatter at humanize = 1, in ms: about half the within-solo spread WJazzD players
# show around their own median positions (median absolute deviation ~17 ms), so a take
# sounds played, not sloppy, over a machine-tight built-in band. The band is tighter.
SOLO_SCATTER_MS, COMP_SCATTER_MS, BASS_SCATTER_MS = 9.0, 6.0, 4.0
PHRASE_GAP = TICKS_PER_BEAT          # a rest of a beat or more ends a phrase
# Dynamics, in velocity steps, as WJazzD players' loudness (their MIDI files' velocities) was
# measured: 398 solos whose MIDI and CSV notes match, each velocity less its solo's mean,
# fitted by least squares (docs/ARCHITECTURE.md "Feel and performance" has the figures).
CONTOUR = 7.5          # lowest to highest note of the phrase
DECAY = 2.5            # first to last note: players start a phrase strong and ease off
FIRST = 1.0            # the phrase's first note
LONG_LAST = -6.0       # a closing note of a beat or more
SHORT = -1.5           # notes under a quarter of a beat
TRIPLET_INNER = -1.0   # the second and third notes of a triplet
# Beat positions barely matter in their loudness (an offbeat eighth 0.3 softer than its
# downbeat, beat 3 0.3 louder): no metric accents. What they vary most is not explained by
# the phrase: a level per phrase (sd 5.5 between phrases) and a note-to-note wander
# (sd 8.6, lag-1 correlation 0.42, part of it the loudness estimate's own noise: 5 here).
PHRASE_LEVEL_SD = 5.5
DRIFT_SD, DRIFT_RHO = 5.0, 0.4


@dataclass(frozen=True)
class Feel:
    swing: str | float = "auto"     # "auto" | "straight" | a swing ratio 1.0 .. 3.0
    humanize: float = 1.0           # 0 = exact; 1 = the default human scatter; up to 3
    seed: int | None = None         # None: drawn from the score (a take always plays the same)
    articulation: str = "auto"      # "auto" | "players" | "written" | "score" (perform.articulation)

    def validate(self) -> None:
        if self.articulation not in ARTICULATIONS:
            raise ValueError(f"articulation must be one of {', '.join(ARTICULATIONS)}, "
                             f"not {self.articulation!r}")
        if isinstance(self.swing, str):
            if self.swing not in ("auto", "straight"):
                raise ValueError(f"swing must be 'auto', 'straight' or a ratio, not {self.swing!r}")
        elif not 1.0 <= float(self.swing) <= MAX_RATIO:
            raise ValueError(f"a swing ratio must be between 1.0 (straight) and {MAX_RATIO:g}")
        if not 0.0 <= self.humanize <= 3.0:
            raise ValueError("humanize must be between 0 and 3")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def parse(cls, swing: str | float | None = "auto", humanize: float = 1.0,
              seed: int | None = None, articulation: str | None = "auto") -> "Feel":
        """From user text: 'auto', 'straight', or a number such as '2' or '1.6'."""
        value: str | float = "auto" if swing in (None, "") else swing
        if isinstance(value, str) and value not in ("auto", "straight"):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"swing must be 'auto', 'straight' or a ratio, not {swing!r}") from None
        feel = cls(value, float(humanize), seed, articulation or "auto")
        feel.validate()
        return feel


EXACT = Feel("straight", 0.0, None, "score")   # the score as written: what a notation program wants


def beat_division(ticks_in_beat) -> int:
    """The coarsest division of the beat (1, 2, 3, 4, 6, 12) that holds every onset tick."""
    for d in DIVISIONS:
        step = TICKS_PER_BEAT // d
        if all(t % step == 0 for t in ticks_in_beat):
            return d
    return 12


def _interpolate(tempo: float, tempos, values) -> float | None:
    points = [(t, v) for t, v in zip(tempos, values) if v is not None]
    if not points:
        return None
    if tempo <= points[0][0]:
        return points[0][1]
    if tempo >= points[-1][0]:
        return points[-1][1]
    i = bisect_right([t for t, _ in points], tempo)
    (t0, v0), (t1, v1) = points[i - 1], points[i]
    return v0 + (v1 - v0) * (tempo - t0) / (t1 - t0)


def measured_positions(tempo: float) -> dict[tuple[int, int], float]:
    """(division, tatum) -> played position (fraction of the beat) at ``tempo``, as measured."""
    out = {}
    for key, row in feel_table.POSITIONS.items():
        value = _interpolate(tempo, feel_table.TEMPOS, row)
        if value is not None:
            out[key] = value
    return out


def auto_swing_ratio(tempo: float) -> float:
    p = measured_positions(tempo)[(2, 2)]
    return p / (1 - p)


class TimingMap:
    """Score position -> played position (in beats) for one tempo and feel."""

    def __init__(self, tempo: float, feel: Feel):
        self.straight = feel.swing == "straight"
        measured = measured_positions(tempo)
        if feel.swing in ("auto", "straight"):
            scale = 0.0 if self.straight else 1.0
            offbeat = 0.5 + scale * (measured[(2, 2)] - 0.5)
        else:
            ratio = float(feel.swing)
            offbeat = ratio / (1 + ratio)
            moved = measured[(2, 2)] - 0.5
            scale = min(3.0, max(0.0, (offbeat - 0.5) / moved)) if moved > 1e-3 else 1.0
        # a chosen ratio is the line's own: its eighth pairs play r : 1 as the band's do, so
        # its downbeats stay on the beat (the players' lay-back of ~0.09 beat there is what
        # keeps their own pairs near 1.1 : 1 against their ~1.45 : 1 on the band's beat)
        numeric = not isinstance(feel.swing, str)
        self.positions = {}
        for d in DIVISIONS[:-1]:
            for tatum in range(1, d + 1):
                grid = (tatum - 1) / d
                value = measured.get((d, tatum), grid)
                self.positions[(d, tatum)] = grid if numeric and tatum == 1 else \
                    grid + scale * (value - grid)
        self.positions[(2, 2)] = offbeat
        self.offbeat = offbeat

    def solo(self, tick: int, division: int) -> float:
        """Played onset (beats from the start) of a solo note at score ``tick``."""
        beat, sub = divmod(tick, TICKS_PER_BEAT)
        tatum = sub * division // TICKS_PER_BEAT + 1
        return beat + self.positions.get((division, tatum), sub / TICKS_PER_BEAT)

    def band(self, tick: int) -> float:
        """The band keeps the beat: beats exact, offbeat eighths swung, the rest straight."""
        beat, sub = divmod(tick, TICKS_PER_BEAT)
        if sub == TICKS_PER_BEAT // 2:
            return beat + self.offbeat
        return beat + sub / TICKS_PER_BEAT


def scatter(rng: random.Random, sd: float) -> float:
    """A Gaussian draw cut at 2.5 sd (a rare wild draw would sound like a mistake)."""
    if sd <= 0:
        return 0.0
    return max(-2.5 * sd, min(2.5 * sd, rng.gauss(0.0, sd)))


# ------------------------------------------------------------------------ dynamics
def phrases(notes: list[Note], gap: int = PHRASE_GAP) -> list[list[int]]:
    """Indices of ``notes`` (sorted by start) grouped into phrases split at rests >= gap."""
    out: list[list[int]] = []
    for i, n in enumerate(notes):
        if not out or n.start - notes[i - 1].end >= gap:
            out.append([])
        out[-1].append(i)
    return out


def phrase_velocities(notes: list[Note], divisions: list[int], rng: random.Random,
                      humanize: float = 1.0, base: int = 74) -> list[int]:
    """Velocities for a monophonic line (sorted notes), one per note; see the module text."""
    out = [base] * len(notes)
    for group in phrases(notes):
        pitches = [notes[i].pitch for i in group]
        lo, hi = min(pitches), max(pitches)
        n = len(group)
        # the phrase's own level, and a slow note-to-note drift inside it (players' loudness
        # wanders: it is most of what they vary, which keeps pitch from ruling the velocity)
        level = scatter(rng, PHRASE_LEVEL_SD * humanize)
        drift = 0.0
        for k, i in enumerate(group):
            note = notes[i]
            contour = (note.pitch - lo) / (hi - lo) if hi > lo else 0.5
            where = k / (n - 1) if n > 1 else 0.0
            v = base + level + CONTOUR * (contour - 0.5) - DECAY * (where - 0.5)
            sub = note.start % TICKS_PER_BEAT
            if k == 0:
                v += FIRST
            if k == n - 1 and n > 1 and note.duration >= TICKS_PER_BEAT:
                v += LONG_LAST                           # a long closing note fades
            if note.duration < TICKS_PER_BEAT // 4:
                v += SHORT
            if divisions[i] == 3 and sub:
                v += TRIPLET_INNER
            if (note.duration <= TICKS_PER_BEAT // 3 and 0 < k < n - 1
                    and sub not in (0, TICKS_PER_BEAT // 2)
                    and note.pitch < notes[group[k - 1]].pitch
                    and note.pitch < notes[group[k + 1]].pitch):
                v -= 14                                  # a ghosted passing note
            drift = DRIFT_RHO * drift + math.sqrt(1 - DRIFT_RHO ** 2) * scatter(rng, DRIFT_SD * humanize)
            out[i] = int(round(max(28, min(120, v + drift))))
    return out
