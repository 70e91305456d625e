"""The key of a take, for key signatures and for spelling notes and chords.

A chart does not state its key, so it is estimated: the pitch classes the chords hold
(weighted by how long each sounds) and the notes of the line are correlated with the
Krumhansl-Kessler key profiles, and the first and last chords vote for their root as the
tonic, and so does every chord a dominant resolves to (V -> I), so a Bb blues is "in Bb"
although its Ab and Db pull toward Eb, and a ii-V-I is in I, not ii. Spelling follows the
user: when the chart was typed with sharps (F#m7, C#7), notes and chords the user did not
spell are written with sharps and an enharmonic key (F# vs Gb) takes the typed side.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.music.chords import NOTE_NAMES, SHARP_NAMES, chord_tones
from studio.music.types import Solo

# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_MINOR_QUALITIES = {"min", "min6", "min7", "minmaj7", "m7b5"}
# sharps (+) / flats (-) of each major key by tonic pitch class; 6 is F# (+6) or Gb (-6)
_MAJOR_SHARPS = {0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 1: -5, 5: -1, 10: -2, 3: -3, 8: -4}


@dataclass(frozen=True)
class Key:
    tonic: int            # pitch class
    minor: bool
    sharps: int           # key signature: > 0 sharps, < 0 flats

    @property
    def names(self) -> tuple[str, ...]:
        """How black keys are spelled in this key."""
        return SHARP_NAMES if self.sharps > 0 else NOTE_NAMES

    @property
    def tonic_name(self) -> str:
        return self.names[self.tonic]

    @property
    def mido_name(self) -> str:
        """mido's key_signature text: 'Bb', 'F#m' ..."""
        return self.tonic_name + ("m" if self.minor else "")


def _correlation(a, b) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    den = (sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b)) ** 0.5
    return num / den if den else 0.0


def prefers_sharps(solo: Solo) -> bool | None:
    """True / False when the chart's typed roots lean to sharps / flats; None if no vote."""
    sharp = flat = 0
    for span in solo.chords:
        for name in (span.chord.root_name, span.chord.bass_name):
            if name and len(name) > 1:
                sharp += name[1] == "#"
                flat += name[1] == "b"
    if sharp == flat:
        return None
    return sharp > flat


def estimate_key(solo: Solo) -> Key:
    hist = [0.0] * 12
    spans = [s for s in solo.chords if not s.chord.is_nc]
    for span in spans:
        for pc in chord_tones(span.chord):
            hist[pc] += span.end - span.start
    for note in solo.notes:
        hist[note.pitch % 12] += 0.5 * note.duration
    if not any(hist):
        return Key(0, False, 0)
    # V -> I: a dominant resolving down a fifth votes for its target as the tonic
    cadence: dict[tuple[int, bool], float] = {}
    for a, b in zip(spans, spans[1:] + spans[:1]):
        if a.chord.quality in ("dom7", "alt") and b.chord.root == (a.chord.root + 5) % 12:
            target = (b.chord.root, b.chord.quality in _MINOR_QUALITIES)
            cadence[target] = cadence.get(target, 0.0) + b.end - b.start
    top = max(cadence.values(), default=0.0)
    best = None
    for tonic in range(12):
        for minor, profile in ((False, MAJOR), (True, MINOR)):
            rotated = [profile[(pc - tonic) % 12] for pc in range(12)]
            score = _correlation(rotated, hist)
            if top:
                score += 0.3 * cadence.get((tonic, minor), 0.0) / top
            for span in (spans[0], spans[-1]) if spans else ():
                if span.chord.root == tonic and (span.chord.quality in _MINOR_QUALITIES) == minor:
                    score += 0.1
            if best is None or score > best[0]:
                best = (score, tonic, minor)
    _, tonic, minor = best
    major_tonic = (tonic + 3) % 12 if minor else tonic
    sharps = _MAJOR_SHARPS[major_tonic]
    lean = prefers_sharps(solo)
    if lean and sharps in (-5, -6):                   # Db -> C#, Gb -> F# (and their minors)
        sharps += 12
    elif lean is False and sharps == 6:               # F# -> Gb
        sharps -= 12
    return Key(tonic, minor, sharps)


def spelling_names(solo: Solo, key: Key | None = None) -> tuple[str, ...]:
    """Names for pitch classes the user did not spell: the chart's lean, else the key's."""
    lean = prefers_sharps(solo)
    if lean is not None:
        return SHARP_NAMES if lean else NOTE_NAMES
    return (key or estimate_key(solo)).names


def midi_key_name(solo: Solo) -> str | None:
    """The key signature for the MIDI conductor track (None for a take without chords or notes)."""
    if not solo.notes and not any(not s.chord.is_nc for s in solo.chords):
        return None
    return estimate_key(solo).mido_name
