"""How a line moves: repeated notes, leaps, the beat's partials, register.

The figures issue 22 measured the jazz takes by, beside the players' (``line_figures``,
pooled over a set of solos; ``jazz-report`` prints them):

* ``repeated_note_share``: steps (consecutive notes) that strike the same pitch again;
  a line that stutters has many (the WJazzD players: about 5%).
* ``leap_share_5`` / ``leap_share_8``: steps of 5+ / 8+ semitones (fourths and wider,
  minor sixths and wider): arpeggios, octave displacements, wide enclosures.
* ``half_step_share`` / ``whole_step_share``: steps of 1 / 2 semitones (chromatic
  approach against scale runs).
* ``fine_onset_share``: onsets on a 16th or triplet partial of the beat (ticks 3, 9 and
  4, 8 of the 12 per beat): double-time runs and triplets, against a line locked to
  downbeats and eighth-note "ands".
* ``mean_pitch``: the register, the mean MIDI pitch of every note.
"""

from __future__ import annotations

from typing import Sequence

from studio.music.metrics import intervals
from studio.music.types import TICKS_PER_BEAT, Solo

# partials of the beat (ticks of 12) that only 16ths and triplets reach
FINE_PARTIALS = frozenset({3, 9, 4, 8})


def line_figures(solos: Sequence[Solo]) -> dict:
    """The line's figures pooled over ``solos`` (shares of all steps / onsets / notes;
    None where there is nothing to count)."""
    steps = [abs(i) for s in solos for i in intervals(s)]
    onsets = [n.start % TICKS_PER_BEAT for s in solos for n in s.notes]
    pitches = [n.pitch for s in solos for n in s.notes]

    def share(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    return {
        "repeated_note_share": share(sum(1 for i in steps if i == 0), len(steps)),
        "half_step_share": share(sum(1 for i in steps if i == 1), len(steps)),
        "whole_step_share": share(sum(1 for i in steps if i == 2), len(steps)),
        "leap_share_5": share(sum(1 for i in steps if i >= 5), len(steps)),
        "leap_share_8": share(sum(1 for i in steps if i >= 8), len(steps)),
        "fine_onset_share": share(sum(1 for t in onsets if t in FINE_PARTIALS), len(onsets)),
        "mean_pitch": round(sum(pitches) / len(pitches), 2) if pitches else None,
    }
