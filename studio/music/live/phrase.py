"""The player's phrase in trading: heard, quantised, compared, restated.

* ``PhraseRecorder``: the input port's notes with their song time (minus the input
  latency the user set: a keyboard or interface that delivers late would otherwise put
  every note behind the beat).
* ``quantise_phrase``: the notes of a block onto the project's grid (12 ticks a beat)
  or a coarser input-quantise grid, over the chart's chords of those bars.
* ``echo_share`` / ``interval_ngrams``: how much an answer echoes the phrase.
* ``restate_motif``, ``motif_primer``, ``join_answer``, ``pick_answer``: call and
  response's quoting of the player's last bar.
"""

from __future__ import annotations

import threading

from studio.music.chart import Chart
from studio.music.chords import chord_tones
from studio.music.live import clock as live_clock
from studio.music.metrics import chord_tone_share, intervals
from studio.music.types import TICKS_PER_BEAT, ChordSpan, Note, Solo, make_monophonic

ECHO_N = 4                     # interval n-grams that count as an echo of the phrase


class PhraseRecorder:
    """Notes from the input port, timed on the monotonic clock (song seconds once the
    engine has started). Use ``handle`` as the mido port's callback."""

    def __init__(self, clock_origin=lambda: 0.0, latency: float = 0.0, song_at=None, thru=None):
        self.thru = thru                # (msg) -> None: MIDI thru to the output (engine.thru)
        self._origin = clock_origin     # returns the engine's t0
        self.latency = latency          # seconds the input delivers late (the user's setting)
        self._song_at = song_at         # (monotonic s) -> song s or None: a DAW's clock followed
        self._last = 0.0                # the last song time heard (a note-off while stopped)
        self._lock = threading.Lock()
        self._open: dict[int, tuple[float, int]] = {}
        self.notes: list[tuple[float, float | None, int, int]] = []   # (on, off, pitch, velocity)

    def handle(self, msg) -> None:
        if self.thru is not None:
            self.thru(msg)
        if self._song_at is not None:       # song time from the followed clock (tempo moves it)
            t = self._song_at(live_clock.now() - self.latency)
            if t is None:                   # the DAW is stopped: a note-on is not part of a phrase
                if msg.type == "note_on" and msg.velocity > 0:
                    return
                t = self._last
        else:
            t = live_clock.now() - (self._origin() or 0.0) - self.latency
        self._last = t
        self.add(msg, t)

    def add(self, msg, t: float) -> None:
        with self._lock:
            if msg.type == "note_on" and msg.velocity > 0:
                self._close(msg.note, t)
                self._open[msg.note] = (t, len(self.notes))
                self.notes.append((t, None, msg.note, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                self._close(msg.note, t)

    def _close(self, pitch: int, t: float) -> None:
        if pitch in self._open:
            on, index = self._open.pop(pitch)
            self.notes[index] = (on, t, pitch, self.notes[index][3])

    def between(self, start: float, end: float) -> list[tuple[float, float | None, int, int]]:
        """Notes whose onset falls in [start - a 32nd-triplet early, end)."""
        with self._lock:
            return [n for n in self.notes if start - 0.02 <= n[0] < end]


def quantise_phrase(notes, start: float, cut: float, tempo: float, chart: Chart,
                    grid: int = 1, late: bool = False) -> Solo:
    """The recorded notes from song time ``start`` up to ``cut`` as a Solo on the grid
    (``grid`` ticks; 12 ticks per beat: 1 keeps every tick, 3 = sixteenths, 4 = eighth
    triplets, 6 = eighths) over ``chart`` (the phrase's bars), notes still held cut there.
    ``late``: ``cut`` is the phrase's bar line and notes given after it were played late
    for the last beat; they are kept, on the last grid step before the bar line."""
    tick_s = 60.0 / tempo / TICKS_PER_BEAT
    end_tick = max(1, round((cut - start) / tick_s))
    out = []
    for on, off, pitch, velocity in notes:
        first = max(0, round((on - start) / tick_s / grid) * grid)
        if first >= end_tick and late:
            first = max(0, (end_tick - 1) // grid * grid)
        if first >= end_tick:
            continue
        last = round(((off if off is not None and off <= cut else cut) - start) / tick_s)
        out.append(Note(first, max(1, min(last, end_tick) - first), pitch, velocity))
    return Solo("player", make_monophonic(out), chart.to_spans(1), tempo=tempo)


def interval_ngrams(solo: Solo, n: int = ECHO_N) -> list[tuple[int, ...]]:
    steps = intervals(solo)
    return [tuple(steps[i:i + n]) for i in range(len(steps) - n + 1)]


def echo_share(answer: Solo, phrase: Solo, n: int = ECHO_N) -> float:
    """Share of the answer's interval n-grams that also occur in the phrase (0 if the
    answer has none): how much of the answer develops the player's motif."""
    grams = interval_ngrams(answer, n)
    if not grams:
        return 0.0
    motif = set(interval_ngrams(phrase, n))
    return sum(g in motif for g in grams) / len(grams)


def restate_motif(phrase: Solo, first_chord, low: int = 0, high: int = 127) -> list[Note]:
    """The phrase's closing motif for the answer's first bar: the notes of the phrase's
    last bar with notes (at least 3: else its last 3), the rhythm kept from that bar's
    downbeat, moved by the nearest interval from the chord under the motif to
    ``first_chord`` (none for NC), folded by octaves into ``low..high``. [] if the
    phrase has fewer than 3 notes."""
    notes = sorted(phrase.notes)
    if len(notes) < 3:
        return []
    tpbar = phrase.ticks_per_bar
    last_bar = notes[-1].start // tpbar
    motif = [n for n in notes if n.start // tpbar == last_bar]
    if len(motif) < 3:
        motif = notes[-3:]
    base = (motif[0].start // tpbar) * tpbar
    motif = [n for n in motif if n.start - base < tpbar]
    src = phrase.chord_at(motif[0].start)
    shift = 0 if src.is_nc or first_chord.is_nc else (first_chord.root - src.root + 6) % 12 - 6
    pitches = [n.pitch + shift for n in motif]
    while max(pitches) > high and min(pitches) - 12 >= low:
        pitches = [p - 12 for p in pitches]
    while min(pitches) < low and max(pitches) + 12 <= high:
        pitches = [p + 12 for p in pitches]
    return [Note(n.start - base, max(1, min(n.duration, tpbar - (n.start - base))), p, n.velocity)
            for n, p in zip(motif, pitches)]


def motif_primer(phrase: Solo, motif: list[Note], answer_chart: Chart) -> Solo:
    """The phrase followed by a bar holding the restated motif (the answer's first bar,
    with its chords): what the model hears before it develops the motif."""
    tpbar = phrase.ticks_per_bar
    offset = max(1, phrase.bar_count) * tpbar
    first = Chart(answer_chart.text, answer_chart.bars[:1]).to_spans(1)
    spans = list(phrase.chords) + [ChordSpan(c.start + offset, c.end + offset, c.chord) for c in first]
    notes = list(phrase.notes) + [Note(n.start + offset, n.duration, n.pitch, n.velocity) for n in motif]
    return Solo("phrase + motif", notes, spans, tempo=phrase.tempo)


def join_answer(motif: list[Note], development: Solo, answer_chart: Chart, tempo: float) -> Solo:
    """The whole answer: the restated motif in bar 1, the model's development after it."""
    tpbar = development.ticks_per_bar
    notes = list(motif) + [Note(n.start + tpbar, n.duration, n.pitch, n.velocity)
                           for n in development.notes]
    return Solo(development.title, notes, answer_chart.to_spans(1), tempo=tempo)


def pick_answer(takes: list, phrase: Solo):
    """The take that echoes the phrase most; chord-tone share, then order, break ties."""
    def key(i):
        take = takes[i]
        return (echo_share(take.solo, phrase), chord_tone_share(take.solo) or 0.0, -i)
    return takes[max(range(len(takes)), key=key)]


def pick_for(mode: str, takes: list, phrase: Solo):
    """The answer kept among the model's candidates: echo, the one echoing the phrase
    most (``pick_answer``); develop, one that shares a 4-interval cell with the call,
    the most chord tones first among those (the cells over the new chords, in time with
    them); otherwise the first."""
    if len(takes) < 2 or mode not in ("echo", "develop"):
        return takes[0]
    if mode == "echo":
        return pick_answer(takes, phrase)

    def key(i):
        solo = takes[i].solo
        return (shares_cell(solo, phrase)["interval"], chord_tone_share(solo) or 0.0, -i)
    return takes[max(range(len(takes)), key=key)]


def rhythm_cells(solo: Solo, n: int = ECHO_N) -> list[tuple[int, ...]]:
    """The inter-onset intervals (ticks) of every ``n`` consecutive onsets: the rhythm
    cells a rhythmic echo or augmentation (all doubled) repeats."""
    onsets = sorted(note.start for note in solo.notes)
    steps = [b - a for a, b in zip(onsets, onsets[1:])]
    return [tuple(steps[i:i + n - 1]) for i in range(len(steps) - n + 2)]


def shares_cell(answer: Solo, call: Solo, n: int = ECHO_N) -> dict:
    """Does ``answer`` share a cell with ``call``: an n-interval one (any transposition),
    an n-onset rhythm one, or that rhythm augmented (every step doubled)?"""
    intervals_shared = bool(set(interval_ngrams(answer, n)) & set(interval_ngrams(call, n)))
    call_rhythm = set(rhythm_cells(call, n))
    answer_rhythm = set(rhythm_cells(answer, n))
    augmented = {tuple(2 * s for s in cell) for cell in call_rhythm}
    return {"interval": intervals_shared, "rhythm": bool(answer_rhythm & call_rhythm),
            "augmented": bool(answer_rhythm & augmented),
            "any": intervals_shared or bool(answer_rhythm & (call_rhythm | augmented))}


def analyse_call(phrase: Solo) -> dict:
    """What an answer responds to: the call's pitches and cells, register, density
    (notes a bar), dynamics (mean velocity) and where it ended harmonically."""
    notes = sorted(phrase.notes)
    if not notes:
        return {"notes": 0}
    pitches = [n.pitch for n in notes]
    last = notes[-1]
    chord = phrase.chord_at(last.start)
    return {"notes": len(notes), "pitches": pitches,
            "interval_cells": len(set(interval_ngrams(phrase))),
            "rhythm_cells": len(set(rhythm_cells(phrase))),
            "low": min(pitches), "high": max(pitches), "mean_pitch": sum(pitches) / len(pitches),
            "notes_per_bar": len(notes) / max(1, phrase.bar_count),
            "velocity": sum(n.velocity for n in notes) / len(notes),
            "ends_on_chord_tone": (not chord.is_nc) and last.pitch % 12 in chord_tones(chord)}


def follow_dynamics(answer: Solo, velocity: float) -> Solo:
    """The answer's velocities moved so their mean is the call's (shape kept)."""
    if not answer.notes:
        return answer
    shift = velocity - sum(n.velocity for n in answer.notes) / len(answer.notes)
    notes = [Note(n.start, n.duration, n.pitch, max(1, min(127, round(n.velocity + shift))))
             for n in answer.notes]
    return Solo(answer.title, notes, answer.chords, tempo=answer.tempo)
