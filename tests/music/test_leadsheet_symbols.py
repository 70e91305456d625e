"""Lead-sheet chord symbols as the user typed them (issue 22 item 6, issue 23): altered
dominants with their <degree> elements, N.C. marked, each chord's own spelling, bars
numbered from 1. Every check reads the written file back twice: with music21's converter
and with a plain xml.etree walk of the <harmony> elements (what MuseScore imports)."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from studio.music.chart import parse_chart
from studio.music.chords import NOTE_NAMES, parse_chord, typed_alterations
from studio.music.notation.leadsheet import _chord_symbol, write_musicxml
from studio.music.types import Note, Solo

music21 = pytest.importorskip("music21")

# one symbol per bar, as typed; NC twice (a reader must not carry G7#9 or Bb7#11 on)
TYPED = ["Dm7", "G7#9", "Cmaj7", "C7alt", "NC", "E7b9", "Am7", "D7(#9,b13)",
         "Bb7#11", "Ebmaj7", "Ab7+5", "NC", "C#m7b5", "F#7", "Gb7", "Bm7/A"]
# the <degree> elements each symbol must carry: (value, alter, type)
DEGREES = {"G7#9": [(9, 1, "add")],
           "C7alt": [(5, -1, "alter"), (5, 1, "add"), (9, -1, "add"), (9, 1, "add")],   # as MuseScore
           "E7b9": [(9, -1, "add")], "D7(#9,b13)": [(9, 1, "add"), (13, -1, "add")],
           "Bb7#11": [(11, 1, "add")], "Ab7+5": [(5, 1, "alter")]}


def chart_solo(symbols, title="typed"):
    chart = parse_chart("| " + " | ".join(symbols) + " |")
    notes = [Note(beat * 12, 12, 60 + beat % 7) for beat in range(4 * len(symbols))]
    return Solo(title, notes, chart.to_spans())


def harmonies(path):
    """[(bar number, root as typed, kind text, kind, bass, degrees)] of the Solo part, by etree."""
    part = ET.parse(path).getroot().find("part")
    out = []
    for measure in part.findall("measure"):
        for h in measure.findall("harmony"):
            root = h.find("root")
            step = root.find("root-step")
            alter = int(float(root.findtext("root-alter") or 0))
            name = "" if step.get("text") == "" else step.text + {1: "#", -1: "b", 0: ""}[alter]
            bass = h.find("bass")
            bass_name = None if bass is None else bass.findtext("bass-step") + \
                {1: "#", -1: "b", 0: ""}[int(float(bass.findtext("bass-alter") or 0))]
            degrees = [(int(d.findtext("degree-value")), int(float(d.findtext("degree-alter"))),
                        d.findtext("degree-type")) for d in h.findall("degree")]
            kind = h.find("kind")
            out.append((measure.get("number"), name, kind.get("text"), kind.text, bass_name, degrees))
    return out


def typed_text(symbol: str) -> str:
    """How a reader should show the typed symbol: N.C. for NC, the rest verbatim."""
    return "N.C." if symbol == "NC" else symbol


def test_altered_dominants_and_nc_are_written_as_typed(tmp_path):
    solo = chart_solo(TYPED)
    path = write_musicxml(solo, tmp_path / "alt.musicxml")
    # 1. etree: one <harmony> per bar, root + kind text (+ /bass) reads as typed, with degrees
    got = harmonies(path)
    assert [bar for bar, *_ in got] == [str(i + 1) for i in range(len(TYPED))]
    shown = [root + text + (f"/{bass}" if bass else "") for _, root, text, _, bass, _ in got]
    assert shown == [typed_text(s) for s in TYPED]
    assert [degrees for *_, degrees in got] == [DEGREES.get(s, []) for s in TYPED]
    kinds = {s: kind for s, (_, _, _, kind, _, _) in zip(TYPED, got)}
    assert kinds["NC"] == "none" and kinds["C7alt"] == kinds["G7#9"] == "dominant"
    # 2. music21's converter: NoChord for N.C., the typed kind text and the alterations
    score = music21.converter.parse(str(path))
    solo_part = score.parts[0]
    symbols = list(solo_part.recurse().getElementsByClass("Harmony"))
    assert [type(h).__name__ for h in symbols] == \
        ["NoChord" if s == "NC" else "ChordSymbol" for s in TYPED]
    back = []
    for h in symbols:
        if isinstance(h, music21.harmony.NoChord):
            back.append(h.chordKindStr)
            continue
        text = h.root().name.replace("-", "b") + h.chordKindStr
        back.append(text + (f"/{h.bass().name.replace('-', 'b')}" if h.bass().name != h.root().name else ""))
    assert back == [typed_text(s) for s in TYPED]
    mods = [[(m.degree, int(m.interval.semitones), m.modType) for m in h.getChordStepModifications()]
            for h in symbols if not isinstance(h, music21.harmony.NoChord)]
    assert mods == [DEGREES.get(s, []) for s in TYPED if s != "NC"]


def test_bars_are_numbered_from_one(tmp_path):
    solo = chart_solo(["Dm7", "G7", "Cmaj7", "Cmaj7"])
    path = write_musicxml(solo, tmp_path / "bars.musicxml")
    root = ET.parse(path).getroot()
    for part in root.findall("part"):                      # the solo and the bass
        measures = part.findall("measure")
        assert [m.get("number") for m in measures] == ["1", "2", "3", "4"]
        assert all(m.get("implicit") != "yes" for m in measures)   # no pickup bar
    score = music21.converter.parse(str(path))
    for part in score.parts:
        measures = list(part.getElementsByClass("Measure"))
        assert [m.number for m in measures] == [1, 2, 3, 4]
        assert measures[0].paddingLeft == 0 and measures[0].duration.quarterLength == 4


def test_a_mixed_spelling_chart_keeps_each_chords_spelling(tmp_path):
    # mostly sharps (the chart leans to sharps), one Gb7 typed next to an F#7
    typed = ["C#m7", "F#7", "Bmaj7", "G#m7", "C#7", "F#7", "Gb7", "Bmaj7/D#"]
    path = write_musicxml(chart_solo(typed), tmp_path / "mixed.musicxml")
    shown = [root + text + (f"/{bass}" if bass else "") for _, root, text, _, bass, _ in harmonies(path)]
    assert shown == typed                                   # Gb7 is its own symbol, with a flat
    score = music21.converter.parse(str(path))
    roots = [h.root().name for h in score.parts[0].recurse().getElementsByClass("ChordSymbol")]
    assert roots == ["C#", "F#", "B", "G#", "C#", "F#", "G-", "B"]
    assert score.parts[0].recurse().getElementsByClass("KeySignature")[0].sharps > 0


# ----------------------------------------------------------------------- MuseScore 3
MSCORE = shutil.which("mscore3") or shutil.which("musescore3")
# What MuseScore 3.2 names each symbol on import. It builds a name from <kind> and the
# <degree>s (a kind text that parses to degrees is dropped), so an altered dominant shows
# its alterations, never a plain "7"; 7alt shows as MuseScore's own 7alt does after its own
# MusicXML round trip ("7b5#5b9#9"); N.C. keeps its text (3.2 also keeps a root C there,
# as it does for its own exported N.C.: a MuseScore bug, not the file's).
MUSESCORE_NAMES = {"G7#9": "7#9", "C7alt": "7b5#5b9#9", "NC": "N.C.", "E7b9": "7b9",
                   "D7(#9,b13)": "7#9b13", "Bb7#11": "7#11", "Ab7+5": "7#5"}


@pytest.mark.skipif(MSCORE is None, reason="MuseScore 3 is not installed (apt-get install musescore3)")
def test_musescore_names_the_alterations_and_nc(tmp_path):
    path = write_musicxml(chart_solo(TYPED), tmp_path / "alt.musicxml")
    mscx = tmp_path / "alt.mscx"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([MSCORE, "-o", str(mscx), str(path)], env=env, capture_output=True,
                         text=True, timeout=180)
    assert run.returncode == 0 and mscx.exists(), run.stderr[-2000:]
    names = [h.findtext("name") for h in ET.parse(mscx).getroot().iter("Harmony")]
    assert len(names) == len(TYPED)
    for symbol, name in zip(TYPED, names):
        if symbol in MUSESCORE_NAMES:
            assert name == MUSESCORE_NAMES[symbol], (symbol, name)


DOMINANT_SUFFIX = st.text(alphabet="7913b#+-()5, alt", max_size=9).map(lambda s: "7" + s)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["C", "F#", "Bb", "E"]), DOMINANT_SUFFIX)
@example("C", "7b5#5")
@example("E", "7alt")
@example("Bb", "7(#9, b13)")
def test_any_typed_dominant_becomes_a_symbol(root, suffix):
    """Whatever a user types after a dominant's 7, a parseable symbol becomes a ChordSymbol
    with one <degree> per typed alteration (5, 9, 11 or 13 by a semitone, no repeats), its
    kind text as typed, and at most one altered fifth."""
    try:
        chord = parse_chord(root + suffix)
    except ValueError:
        return
    found = typed_alterations(chord)
    assert len(set(found)) == len(found)
    assert all(d in (5, 9, 11, 13) and a in (-1, 1) for d, a in found)
    symbol = _chord_symbol(chord, NOTE_NAMES)
    mods = [(m.modType, m.degree) for m in symbol.getChordStepModifications()]
    assert [d for _, d in mods] == [d for d, _ in found]
    assert sum(kind == "alter" for kind, _ in mods) <= 1
    if found:
        assert symbol.chordKindStr == (root + suffix).strip()[len(root):]   # as typed
