"""Lead sheets: a take as MusicXML (music21) for notation programs such as MuseScore.

What a player wants on the stand: the solo on a treble staff with chord symbols above it,
the walking bass in the bass clef below, the key signature, the tempo with a "Swing"
marking, and note values a reader can read. The performance (swung, humanised) is for
ears; the lead sheet is written from the score, with swing written as straight eighths.

Notatable durations: each beat keeps the coarsest division (2, 3 or 4 per beat) that holds
its onsets; a beat that needs 6 or 12 (sextuplets, 32nd-note triplets) is re-quantised to
the 3- or 4-grid that moves its onsets least, unless that would merge two notes (then it
is written in sextuplets or 32nd-note triplets). A note that ends within a grid step of the
next onset is held to it (articulation is the player's business), otherwise its end is
snapped to the grid of the beat it ends in. Notes and rests are then cut at every beat
and bar line that is not a whole-beat boundary they can span, and tied: each piece is
then an eighth, a triplet eighth or quarter, a sixteenth, dotted eighth, or whole beats.

Spelling follows the user (``keys``): every chord keeps its typed root and bass (F#7 and a
Gb7 in one chart stay as typed: a change of spelling alone is a new symbol); other chords
and the notes are spelled with sharps or flats as the chart leans, else as the key does.
Altered dominants are written as typed ("7#9", "7alt", "7(b9,b13)") with a MusicXML
``<degree>`` per alteration (``chords.typed_alterations``), so a reader that builds the
name from the degrees (MuseScore) does not show a plain "7"; the other kinds are written
in the house spelling (m7, maj7, 7sus4). An N.C. span is marked "N.C." (``<kind
text="N.C.">none</kind>``), so a reader does not carry the previous chord on. Bars are
numbered from 1 (a bar 0 reads as a pickup).
"""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

from studio.music.perform.articulation import held_end
from studio.music.perform.band import bass_notes
from studio.music.chords import Chord, typed_alterations
from studio.music.perform.feel import Feel, beat_division
from studio.music.notation.keys import estimate_key, spelling_names
from studio.music.perform.performance import score_seed
from studio.music.types import TICKS_PER_BEAT, Solo, make_monophonic, merge_spans

KINDS = {  # our quality -> (MusicXML kind, text shown)
    "maj": ("major", ""), "6": ("major-sixth", "6"), "maj7": ("major-seventh", "maj7"),
    "min": ("minor", "m"), "min6": ("minor-sixth", "m6"), "min7": ("minor-seventh", "m7"),
    "minmaj7": ("minor-major-seventh", "m(maj7)"), "dom7": ("dominant-seventh", "7"),
    "alt": ("dominant-seventh", "7alt"), "m7b5": ("half-diminished-seventh", "m7b5"),
    "dim": ("diminished", "dim"), "dim7": ("diminished-seventh", "dim7"),
    "aug": ("augmented", "+"), "sus": ("suspended-fourth-seventh", "7sus4"),
}


# ------------------------------------------------------------------ notation grid
_GRID_COST = {4: 0, 3: 0, 6: 3, 12: 6}        # simpler grids win unless they lose a note


def _grid_beat(ticks: list[int]) -> tuple[int, dict[int, int]]:
    """(division, {old tick in beat: notated tick}) for one beat's onsets."""
    d = beat_division(ticks)
    if d in (1, 2, 3, 4):
        return d, {t: t for t in ticks}
    best = None
    for grid, penalty in _GRID_COST.items():
        step = TICKS_PER_BEAT // grid
        mapped = {t: min(TICKS_PER_BEAT - step, round(t / step) * step) for t in ticks}
        cost = (sum(abs(mapped[t] - t) for t in ticks) + penalty
                + 100 * (len(ticks) - len(set(mapped.values()))))
        if best is None or cost < best[0]:
            best = (cost, grid, mapped)
    return best[1], best[2]


def notation_grid(solo: Solo) -> dict[int, tuple[int, dict[int, int]]]:
    """beat -> (division, onset map) for every beat that holds an onset."""
    by_beat: dict[int, list[int]] = {}
    for n in make_monophonic(solo.notes):
        by_beat.setdefault(n.start // TICKS_PER_BEAT, []).append(n.start % TICKS_PER_BEAT)
    return {b: _grid_beat(ticks) for b, ticks in by_beat.items()}


def notation_notes(solo: Solo) -> list[tuple[int, int, int]]:
    """(start, end, pitch) in ticks on a notatable grid; monophonic, in order."""
    line = sorted(make_monophonic(solo.notes))
    grids = notation_grid(solo)
    placed: dict[int, tuple[int, int]] = {}            # notated start -> (pitch, original end)
    for n in line:
        beat, sub = divmod(n.start, TICKS_PER_BEAT)
        start = beat * TICKS_PER_BEAT + grids[beat][1][sub]
        placed.setdefault(start, (n.pitch, n.end))     # a collision keeps the earlier note
    starts = sorted(placed)
    total = max(1, solo.bar_count) * solo.ticks_per_bar
    out = []
    for i, start in enumerate(starts):
        pitch, end = placed[start]
        nxt = starts[i + 1] if i + 1 < len(starts) else total
        step = TICKS_PER_BEAT // grids.get(min(end, total - 1) // TICKS_PER_BEAT, (2, None))[0]
        own_step = TICKS_PER_BEAT // grids[start // TICKS_PER_BEAT][0]
        end = held_end(end, nxt, step, own_step, start, total)   # the performance's rule too
        if end > start:
            out.append((start, end, pitch))
    return out


def split_for_notation(start: int, end: int, ticks_per_bar: int,
                       divisions: dict[int, int] | None = None) -> list[tuple[int, int]]:
    """Cut [start, end) into pieces a reader can read (see the module text). In a beat
    divided in 6 or 12 (``divisions``: beat -> division) pieces stay inside one triplet
    eighth, so each is a sixteenth- or thirty-second-note triplet."""
    divisions = divisions or {}
    pieces = []
    t = start
    while t < end:
        bar_end = (t // ticks_per_bar + 1) * ticks_per_bar
        beat = t // TICKS_PER_BEAT
        if t % TICKS_PER_BEAT == 0:
            whole = (min(end, bar_end) - t) // TICKS_PER_BEAT * TICKS_PER_BEAT
            if whole:
                pieces.append((t, t + whole))
                t += whole
                continue
        stop = min(end, (beat + 1) * TICKS_PER_BEAT)
        fine = divisions.get(beat, 0)
        if fine in (6, 12):
            cut = 4 if fine == 6 else 2                # a triplet eighth / sixteenth
            stop = min(stop, (t // cut + 1) * cut)
        pieces.append((t, stop))
        t = stop
    return pieces


# ------------------------------------------------------------------ music21 score
def _chord_symbol(chord: Chord, names):
    from music21 import harmony
    if chord.is_nc:
        symbol = harmony.NoChord()             # <kind text="N.C.">none</kind>
        symbol.writeAsChord = False
        return symbol
    kind, text = KINDS[chord.quality]
    alterations = typed_alterations(chord)
    if alterations:                            # as typed, with a <degree> per alteration
        kind, text = "dominant-seventh", chord.suffix
    root = (chord.root_name or names[chord.root]).replace("b", "-")
    bass = None
    if chord.bass is not None and chord.bass != chord.root:
        bass = (chord.bass_name or names[chord.bass]).replace("b", "-")
    symbol = harmony.ChordSymbol(root=root, bass=bass, kind=kind, kindStr=text)
    fifths = 0
    for degree, alter in alterations:          # the fifth is altered (once), tensions added
        first_fifth = degree == 5 and fifths == 0
        fifths += degree == 5
        symbol.addChordStepModification(
            harmony.ChordStepModification("alter" if first_fifth else "add", degree, alter))
    symbol.writeAsChord = False
    return symbol


def _pitch(midi: int, names):
    from music21 import pitch
    return pitch.Pitch(names[midi % 12].replace("b", "-") + str(midi // 12 - 1))


def _fill(measure, events, bar_start: int, ticks_per_bar: int, names, divisions=None):
    """Write (start, end, pitch | None) events of one bar into a music21 Measure."""
    from music21 import note, tie
    t = bar_start
    for start, end, pitch, tied_in, tied_out in events + [(bar_start + ticks_per_bar, None, None, 0, 0)]:
        if start > t:                                  # a rest up to here
            for a, b in split_for_notation(t, start, ticks_per_bar, divisions):
                measure.insert(Fraction(a - bar_start, TICKS_PER_BEAT),
                               note.Rest(quarterLength=Fraction(b - a, TICKS_PER_BEAT)))
        if end is None:
            break
        pieces = split_for_notation(start, end, ticks_per_bar, divisions)
        for i, (a, b) in enumerate(pieces):
            n = note.Note(_pitch(pitch, names), quarterLength=Fraction(b - a, TICKS_PER_BEAT))
            before = tied_in or i > 0
            after = tied_out or i < len(pieces) - 1
            if before or after:
                n.tie = tie.Tie("continue" if before and after else "stop" if before else "start")
            measure.insert(Fraction(a - bar_start, TICKS_PER_BEAT), n)
        t = end


def _bar_events(notes, bar: int, ticks_per_bar: int):
    """Events cut at bar lines: (start, end, pitch, tied from the bar before, tied into the next)."""
    lo, hi = bar * ticks_per_bar, (bar + 1) * ticks_per_bar
    return [(max(s, lo), min(e, hi), p, s < lo, e > hi) for s, e, p in notes if s < hi and e > lo]


def leadsheet_score(take, feel: Feel | None = None, bass: bool = True, title: str | None = None):
    """A music21 Score: solo (treble, chord symbols, key, tempo + "Swing") and walking bass."""
    from music21 import clef, instrument, key, meter, metadata, stream, tempo
    solo: Solo = getattr(take, "solo", take)
    feel = feel or Feel()
    k = estimate_key(solo)
    names = spelling_names(solo, k)
    tpbar = solo.ticks_per_bar
    bars = max(1, solo.bar_count)
    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = title or solo.title
    parts = [("Solo", clef.TrebleClef(), notation_notes(solo))]
    divisions = {b: d for b, (d, _) in notation_grid(solo).items()}
    if bass:
        seed = feel.seed if feel.seed is not None else score_seed(solo)
        line = bass_notes(merge_spans(solo.chords), tpbar, bars, random.Random(f"{seed}:bass"))
        parts.append(("Bass", clef.BassClef(), [(s, s + TICKS_PER_BEAT, p) for s, _, p, _ in line]))
    for index, (name, part_clef, notes) in enumerate(parts):
        part = stream.Part()
        part.partName = name
        inst = instrument.Instrument(instrumentName=name)
        inst.partName = name
        inst.midiProgram = 66 if index == 0 else 32     # tenor sax, acoustic bass (GM)
        inst.midiChannel = index
        part.insert(0, inst)
        for bar in range(bars):
            m = stream.Measure(number=bar + 1)
            if bar == 0:
                m.insert(0, part_clef)
                m.insert(0, key.KeySignature(k.sharps))
                m.insert(0, meter.TimeSignature(f"{solo.beats_per_bar}/4"))
                if index == 0:
                    text = "Straight" if feel.swing == "straight" else "Swing"
                    m.insert(0, tempo.MetronomeMark(text=text, number=round(solo.tempo)))
            if index == 0:
                for span in merge_spans(solo.chords):
                    if bar * tpbar <= span.start < (bar + 1) * tpbar:
                        m.insert(Fraction(span.start - bar * tpbar, TICKS_PER_BEAT),
                                 _chord_symbol(span.chord, names))
            _fill(m, _bar_events(notes, bar, tpbar), bar * tpbar, tpbar, names,
                  divisions if index == 0 else None)
            part.append(m)
        score.insert(0, part)
    return score


def musicxml_path(path) -> Path:
    """Where ``write_musicxml`` writes for ``path``: as given with .musicxml, .xml or .mxl
    (compressed), else with .musicxml put on."""
    path = Path(path)
    return path if path.suffix.lower() in (".musicxml", ".xml", ".mxl") else path.with_suffix(".musicxml")


def write_musicxml(take, path, feel: Feel | None = None, bass: bool = True,
                   title: str | None = None) -> Path:
    """Write the lead sheet as MusicXML: compressed for .mxl, else uncompressed (.musicxml,
    .xml; any other name gets .musicxml); returns the path."""
    path = musicxml_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    score = leadsheet_score(take, feel, bass, title)
    written = score.write("mxl" if path.suffix.lower() == ".mxl" else "musicxml", fp=str(path))
    return Path(written)
