"""The performance: a take (the score) played with a feel, as timed note events of the band.

``perform(take, feel)`` is a pure, deterministic function of (score, feel, seed): the MIDI
export, the built-in synth and live playback all play its notes, so a seeded take sounds
the same in a DAW, in the preview and over a MIDI port. Times are integer MIDI ticks at
480 PPQ under the take's single tempo (``Performance.seconds`` converts), so the file and a
live scheduler agree to the tick.

Solo: each note's onset goes through the feel's timing map (swing and lay-back as WJazzD
players play at this tempo, by the division of its beat) plus seeded scatter; how long
it sounds is ``articulation``'s: the written (lead-sheet) length from the played onset,
legato held to the next played onset, or the players' hold ratio of the played interval
(the default when humanised); never after the next note starts (a line stays monophonic). Velocities follow the phrase model (``feel.phrase_velocities``).
Band: ``band.comping_notes`` and ``band.bass_notes`` with the same swing on their offbeat
eighths and a tighter scatter. No note starts before tick 0 or ends after the last bar;
at one tick note-offs come before note-ons (``Performance.events``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from studio.music.perform import articulation, band
from studio.music.perform.feel import (BASS_SCATTER_MS, COMP_SCATTER_MS, SOLO_SCATTER_MS, Feel,
    TimingMap, beat_division, phrase_velocities, scatter)
from studio.music.types import TICKS_PER_BEAT, Solo, make_monophonic, merge_spans

PPQ = 480
PARTS = ("solo", "comping", "bass")
CHANNELS = {"solo": 0, "comping": 1, "bass": 2}
TENOR_SAX, PIANO, ACOUSTIC_BASS = 66, 0, 32


@dataclass(frozen=True)
class PerfNote:
    part: str            # "solo" | "comping" | "bass"
    start: int           # MIDI ticks (PPQ per beat) from the first downbeat, played
    end: int             # > start
    pitch: int
    velocity: int        # 1..127
    beat: int = 0        # the score beat the note belongs to
    division: int = 0    # solo notes: the beat's division (1, 2, 3, 4, 6, 12); 0 for the band
    tatum: int = 0       # solo notes: 1-based tatum of that division

    @property
    def channel(self) -> int:
        return CHANNELS[self.part]


@dataclass(frozen=True)
class NoteEvent:
    time: float          # seconds from the first downbeat
    tick: int            # MIDI ticks
    kind: str            # "note_on" | "note_off"
    channel: int
    pitch: int
    velocity: int        # 0 for note_off
    part: str


@dataclass
class Performance:
    title: str
    tempo: float
    beats_per_bar: int
    end: int                                  # ticks: the end of the last bar
    notes: list[PerfNote] = field(default_factory=list)
    feel: Feel = field(default_factory=Feel)
    seed: int = 0
    ppq: int = PPQ

    def seconds(self, tick: int) -> float:
        return tick * 60.0 / (self.tempo * self.ppq)

    def part(self, name: str) -> list[PerfNote]:
        return [n for n in self.notes if n.part == name]

    def events(self) -> list[NoteEvent]:
        """Every note-on and note-off, in time order; at one tick offs before ons."""
        out = []
        for n in self.notes:
            out.append((n.start, 1, NoteEvent(self.seconds(n.start), n.start, "note_on",
                                              n.channel, n.pitch, n.velocity, n.part)))
            out.append((n.end, 0, NoteEvent(self.seconds(n.end), n.end, "note_off",
                                            n.channel, n.pitch, 0, n.part)))
        out.sort(key=lambda e: (e[0], e[1], e[2].channel, e[2].pitch))
        return [e for _, _, e in out]


def score_seed(solo: Solo) -> int:
    """A seed drawn from the score itself (notes, chords, tempo): with ``Feel.seed`` None a
    take always plays the same, whoever renders it (file, synth, live), and two takes
    over one chart still get different bands."""
    digest = hashlib.sha1(repr((float(solo.tempo), [(n.start, n.duration, n.pitch) for n in solo.notes],
                                [(c.start, c.end, c.chord.token) for c in solo.chords])).encode())
    return int.from_bytes(digest.digest()[:4], "big")


def perform(take, feel: Feel | None = None, comping: bool = True, bass: bool = True) -> Performance:
    """Play a Solo or a Take (anything with ``.solo``) with ``feel``; see the module text."""
    feel = feel or Feel()
    feel.validate()
    solo: Solo = getattr(take, "solo", take)
    seed = feel.seed if feel.seed is not None else score_seed(solo)
    tpbar = solo.ticks_per_bar
    bars = max(1, solo.bar_count)
    end = bars * tpbar * PPQ // TICKS_PER_BEAT
    timing = TimingMap(solo.tempo, feel)
    ms_per_beat = 60000.0 / solo.tempo
    notes = _solo(solo, timing, feel, seed, end, ms_per_beat)
    spans = merge_spans(solo.chords)
    if comping:
        rng = random.Random(f"{seed}:comping")
        score = band.comping_notes(spans, tpbar, bars, rng)
        notes += _band("comping", score, timing, feel, rng, COMP_SCATTER_MS / ms_per_beat, end)
    if bass:
        rng = random.Random(f"{seed}:bass")
        score = band.bass_notes(spans, tpbar, bars, rng)
        notes += _band("bass", score, timing, feel, rng, BASS_SCATTER_MS / ms_per_beat, end)
    return Performance(solo.title, solo.tempo, solo.beats_per_bar, end, _tidy(notes), feel, seed)


def _ticks(beats: float) -> int:
    return int(round(beats * PPQ))


def _solo(solo: Solo, timing: TimingMap, feel: Feel, seed: int, end: int,
          ms_per_beat: float) -> list[PerfNote]:
    line = sorted(make_monophonic(solo.notes))
    if not line:
        return []
    by_beat: dict[int, set[int]] = {}
    for n in line:
        by_beat.setdefault(n.start // TICKS_PER_BEAT, set()).add(n.start % TICKS_PER_BEAT)
    beat_divisions = {b: beat_division(ticks) for b, ticks in by_beat.items()}
    divisions = [beat_divisions[n.start // TICKS_PER_BEAT] for n in line]
    rng = random.Random(f"{seed}:solo")
    velocities = phrase_velocities(line, divisions, rng, feel.humanize)
    sd = SOLO_SCATTER_MS * feel.humanize / ms_per_beat
    starts = [timing.solo(n.start, d) + scatter(rng, sd) for n, d in zip(line, divisions)]
    ticks = [max(0, min(end - 1, _ticks(s))) for s in starts]
    for i in range(1, len(ticks)):                 # scatter never reorders the line
        ticks[i] = max(ticks[i], ticks[i - 1] + 1)
    total = max(1, solo.bar_count) * solo.ticks_per_bar
    mode = articulation.resolve(feel.articulation, feel.humanize)
    written = [n.end for n in line] if mode == "score" else \
        articulation.written_ends(line, beat_divisions, total)
    holds = [None] * len(line)
    if mode == "players":
        holds = articulation.players_holds(line, [n.end for n in line], solo.tempo,
                                           random.Random(f"{seed}:holds"), feel.humanize)
    out = []
    for i, (n, d) in enumerate(zip(line, divisions)):
        nxt = ticks[i + 1] if i + 1 < len(line) else end
        if holds[i] is not None:                   # the players' hold of the played IOI
            stop = ticks[i] + round(holds[i] * (nxt - ticks[i]))
        elif i + 1 < len(line) and written[i] >= line[i + 1].start:
            stop = nxt                             # written legato: held to the next onset
        else:                                      # the written length, from the played onset
            stop = ticks[i] + (written[i] - n.start) * PPQ // TICKS_PER_BEAT
        stop = min(max(stop, ticks[i] + 1), nxt, end)
        if stop <= ticks[i]:
            continue
        beat, sub = divmod(n.start, TICKS_PER_BEAT)
        out.append(PerfNote("solo", ticks[i], stop, n.pitch, velocities[i], beat, d,
                            sub * d // TICKS_PER_BEAT + 1))
    return out


def _band(part: str, score, timing: TimingMap, feel: Feel, rng: random.Random, sd: float,
          end: int) -> list[PerfNote]:
    out = []
    sd *= feel.humanize
    hits: dict[int, int] = {}                   # one scatter per hit: a chord's notes sound together
    for start, stop, pitch, vel in score:
        if start not in hits:
            hits[start] = _ticks(timing.band(start) + scatter(rng, sd))
        on = max(0, hits[start])
        off = min(end, _ticks(timing.band(stop)))
        vel = int(round(max(1, min(127, vel + scatter(rng, 2.0 * feel.humanize)))))
        if off > on:
            out.append(PerfNote(part, on, off, pitch, vel, start // TICKS_PER_BEAT))
    return out


def _tidy(notes: list[PerfNote]) -> list[PerfNote]:
    """Per part and pitch, cut a note where the next one of that pitch starts (a MIDI
    channel cannot hold one pitch twice); drop what that leaves empty."""
    out = []
    groups: dict[tuple[str, int], list[PerfNote]] = {}
    for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
        groups.setdefault((n.part, n.pitch), []).append(n)
    for group in groups.values():
        for i, n in enumerate(group):
            stop = min(n.end, group[i + 1].start) if i + 1 < len(group) else n.end
            if stop > n.start:
                out.append(n if stop == n.end else PerfNote(n.part, n.start, stop, n.pitch,
                                                            n.velocity, n.beat, n.division, n.tatum))
    out.sort(key=lambda n: (n.start, PARTS.index(n.part), n.pitch))
    return out


def performance_events(take, feel: Feel | None = None, comping: bool = True,
                       bass: bool = True) -> list[NoteEvent]:
    """The timed note events of all three parts: what a live player schedules."""
    return perform(take, feel, comping, bass).events()
