"""Plain data types shared by the jazz modules: notes, chord spans, solos.

Time is counted in integer ticks, 12 per beat, so swung eighths (triplets, 4 + 8 ticks)
and straight sixteenths (3 ticks) both land on the grid. Tick 0 is the downbeat of the
first bar; a pickup is shifted into a whole bar of its own so that positions in a bar
stay true.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .chords import NO_CHORD, Chord, spelled_alike

TICKS_PER_BEAT = 12


@dataclass(frozen=True, order=True)
class Note:
    start: int        # ticks from the first downbeat
    duration: int     # ticks, >= 1
    pitch: int        # MIDI pitch
    velocity: int = 90

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True)
class ChordSpan:
    start: int        # ticks, inclusive
    end: int          # ticks, exclusive
    chord: Chord


@dataclass
class Solo:
    title: str
    notes: list[Note] = field(default_factory=list)
    chords: list[ChordSpan] = field(default_factory=list)
    beats_per_bar: int = 4
    tempo: float = 120.0            # beats per minute
    ticks_per_beat: int = TICKS_PER_BEAT
    # bar indices where choruses begin (WJazzD's chorus_id; a chart's repeats); empty when
    # unknown (the solo is read as one chorus). The encoder's FORM_k tokens come from it.
    chorus_starts: list[int] = field(default_factory=list)

    @property
    def ticks_per_bar(self) -> int:
        return self.beats_per_bar * self.ticks_per_beat

    @property
    def end_tick(self) -> int:
        """Where the solo ends: the last note end or chord end, whichever is later."""
        ends = [n.end for n in self.notes] + [c.end for c in self.chords]
        return max(ends, default=0)

    @property
    def bar_count(self) -> int:
        return -(-self.end_tick // self.ticks_per_bar)

    def seconds_per_tick(self) -> float:
        return 60.0 / self.tempo / self.ticks_per_beat

    def chord_at(self, tick: int) -> Chord:
        return chord_at(self.chords, tick)

    def copy(self, **changes) -> "Solo":
        changes.setdefault("notes", list(self.notes))
        changes.setdefault("chords", list(self.chords))
        return replace(self, **changes)


def chord_at(spans: list[ChordSpan], tick: int) -> Chord:
    """The chord sounding at ``tick`` (NO_CHORD outside every span)."""
    for span in spans:
        if span.start <= tick < span.end:
            return span.chord
    return NO_CHORD


def merge_spans(spans: list[ChordSpan]) -> list[ChordSpan]:
    """Sorted spans with touching repeats of the same chord joined (``| C7 | C7 |`` = one),
    when spelled alike too: ``| F#7 | Gb7 |`` stays two, so a lead sheet or a marker shows
    each as typed (the encoding's chord events compare chords and see one)."""
    out: list[ChordSpan] = []
    for span in sorted(spans, key=lambda s: s.start):
        if out and spelled_alike(out[-1].chord, span.chord) and out[-1].end == span.start:
            out[-1] = ChordSpan(out[-1].start, span.end, span.chord)
        else:
            out.append(span)
    return out


def make_monophonic(notes: list[Note]) -> list[Note]:
    """One note per onset (the highest wins) and each note cut at the next onset.

    Solos are monophonic lines; quantising performed timing can make neighbours overlap
    or collide, and the event encoding has room for one note per position.
    """
    by_start: dict[int, Note] = {}
    for n in notes:
        if n.start < 0:
            continue
        old = by_start.get(n.start)
        if old is None or n.pitch > old.pitch:
            by_start[n.start] = n
    ordered = [by_start[t] for t in sorted(by_start)]
    out = []
    for i, n in enumerate(ordered):
        dur = max(1, n.duration)
        if i + 1 < len(ordered):
            dur = min(dur, ordered[i + 1].start - n.start)
        out.append(Note(n.start, dur, n.pitch, n.velocity))
    return out
