"""Musical metrics for takes and corpora, and a copy meter.

* chord-tone share: notes whose pitch class is a chord tone of the chord sounding at the
  note's onset, over the notes that sound over a chord (NC notes are skipped);
* scale conformance: the same with the chord-scale (``chords.scale_for``);
* pitch range and note density (notes per bar);
* copy meter: the longest run of pitch intervals a take shares with any corpus solo.
  Intervals, not pitches, so a lick copied in another key still counts; a run of n
  intervals is n + 1 notes. The index is built once per corpus (``NgramIndex``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .chords import chord_tones, scale_for
from .types import Solo, chord_at, make_monophonic

SEED = 5          # n-gram length the index keys on; shorter matches use plain sets


def _sounding(solo: Solo):
    """(note, chord) for notes over a chord (not NC)."""
    for note in solo.notes:
        chord = chord_at(solo.chords, note.start)
        if not chord.is_nc:
            yield note, chord


def _share(solos: Iterable[Solo], tones) -> float | None:
    hit = total = 0
    for solo in solos:
        for note, chord in _sounding(solo):
            total += 1
            hit += (note.pitch % 12) in tones(chord)
    return hit / total if total else None


def chord_tone_share(solo: Solo) -> float | None:
    """Share of notes (over a chord) that are chord tones; None when no note has a chord."""
    return _share([solo], chord_tones)


def scale_conformance(solo: Solo) -> float | None:
    """Share of notes (over a chord) inside the chord's scale; None when none has a chord."""
    return _share([solo], scale_for)


def pitch_range(solo: Solo) -> tuple[int, int] | None:
    """(lowest, highest) MIDI pitch, None for an empty solo."""
    pitches = [n.pitch for n in solo.notes]
    return (min(pitches), max(pitches)) if pitches else None


def note_density(solo: Solo) -> float:
    """Notes per bar over the whole solo (rests count)."""
    bars = solo.bar_count
    return len(solo.notes) / bars if bars else 0.0


def intervals(solo: Solo) -> list[int]:
    pitches = [n.pitch for n in make_monophonic(solo.notes)]
    return [b - a for a, b in zip(pitches, pitches[1:])]


@dataclass(frozen=True)
class NgramMatch:
    length: int               # intervals shared (length + 1 notes)
    title: str | None = None  # the corpus solo it was found in
    start: int = 0            # note index of the match in that solo

    @property
    def notes(self) -> int:
        return self.length + 1 if self.length else 0


class NgramIndex:
    """Interval n-grams of a corpus; build once, query many takes."""

    def __init__(self, solos: Sequence[Solo]):
        self.titles = [s.title for s in solos]
        self.seqs = [intervals(s) for s in solos]
        self.seeds: dict[tuple[int, ...], list[tuple[int, int]]] = {}
        self.short: list[set[tuple[int, ...]]] = [set() for _ in range(SEED)]
        for si, seq in enumerate(self.seqs):
            for j in range(len(seq)):
                for n in range(1, SEED):
                    if j + n <= len(seq):
                        self.short[n].add(tuple(seq[j:j + n]))
                if j + SEED <= len(seq):
                    self.seeds.setdefault(tuple(seq[j:j + SEED]), []).append((si, j))

    def longest(self, query: Sequence[int]) -> NgramMatch:
        q = list(query)
        best, where = 0, None
        for i in range(len(q) - SEED + 1):
            if len(q) - i <= best:
                break                               # nothing longer can start here
            for si, j in self.seeds.get(tuple(q[i:i + SEED]), ()):
                seq = self.seqs[si]
                if best >= SEED and (i + best >= len(q) or j + best >= len(seq)
                                     or q[i + best] != seq[j + best]):
                    continue                        # cannot beat the best: skip the walk
                n = SEED
                while i + n < len(q) and j + n < len(seq) and q[i + n] == seq[j + n]:
                    n += 1
                if n > best:
                    best, where = n, (si, j)
        if where is not None:
            return NgramMatch(best, self.titles[where[0]], where[1])
        for n in range(min(SEED - 1, len(q)), 0, -1):
            if any(tuple(q[i:i + n]) in self.short[n] for i in range(len(q) - n + 1)):
                return NgramMatch(n)
        return NgramMatch(0)


def build_ngram_index(solos: Sequence[Solo]) -> NgramIndex:
    return NgramIndex(solos)


def longest_shared_ngram(query, corpus_index: NgramIndex) -> NgramMatch:
    """Longest interval run shared with the corpus. ``query``: a Solo (or Take), a list of
    event tokens, or a list of pitch intervals."""
    query = getattr(query, "solo", query)
    if isinstance(query, Solo):
        seq = intervals(query)
    elif query and isinstance(query[0], str):
        from .encoding import decode_tokens
        seq = intervals(decode_tokens(query))
    else:
        seq = [int(x) for x in query]
    return corpus_index.longest(seq)


def solo_metrics(solo: Solo, index: NgramIndex | None = None) -> dict:
    solo = getattr(solo, "solo", solo)
    out = {"notes": len(solo.notes), "bars": solo.bar_count,
           "chord_tone_share": chord_tone_share(solo),
           "scale_conformance": scale_conformance(solo),
           "pitch_range": pitch_range(solo), "notes_per_bar": note_density(solo)}
    if index is not None:
        match = longest_shared_ngram(solo, index)
        out["longest_shared_intervals"] = match.length
        out["shared_with"] = match.title
    return out


def corpus_metrics(solos: Sequence[Solo]) -> dict:
    """The corpus's own figures, the yardstick for takes (shares pooled over all notes)."""
    notes = sum(len(s.notes) for s in solos)
    bars = sum(s.bar_count for s in solos)
    pitches = [n.pitch for s in solos for n in s.notes]
    return {"solos": len(solos), "notes": notes, "bars": bars,
            "chord_tone_share": _share(solos, chord_tones),
            "scale_conformance": _share(solos, scale_for),
            "pitch_range": (min(pitches), max(pitches)) if pitches else None,
            "notes_per_bar": notes / bars if bars else 0.0}
