"""Lead sheets: MusicXML re-read with music21 (and, where installed, through MuseScore 3)."""

import os
import random
import shutil
import subprocess
from fractions import Fraction

import pytest

from studio.music.chart import PRESETS, parse_chart
from studio.music.perform.feel import EXACT
from studio.music.notation.keys import estimate_key
from studio.music.notation.leadsheet import notation_notes, split_for_notation, write_musicxml
from studio.music.types import Note, Solo, merge_spans

music21 = pytest.importorskip("music21")

SHARP_CHART = "| F#m7 | B7 | Emaj7 | C#7 | F#m7 B7 | G#m7 C#7 | F#m7 | B7/D# |"


def random_solo(seed=3, chart=SHARP_CHART, bars=8, tempo=170.0):
    rng = random.Random(seed)
    notes, t = [], 0
    while t < bars * 48 - 12:
        d = rng.choice([6, 6, 6, 4, 4, 8, 3, 12, 18, 2, 5])
        notes.append(Note(t, max(1, d - rng.choice([0, 0, 1, 2])), rng.randint(55, 82)))
        t += d + rng.choice([0, 0, 0, 12])
    return Solo("Sharp tune", notes, parse_chart(chart).to_spans(), tempo=tempo)


NOTATABLE = {Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(2, 3), Fraction(3, 4),
             1, 2, 3, 4}


def test_split_pieces_are_notatable():
    assert split_for_notation(6, 30, 48) == [(6, 12), (12, 24), (24, 30)]
    assert split_for_notation(0, 72, 48) == [(0, 48), (48, 72)]
    assert split_for_notation(44, 52, 48) == [(44, 48), (48, 52)]
    for start in range(0, 48, 3):
        for end in range(start + 3, 100, 3):
            for a, b in split_for_notation(start, end, 48):
                assert Fraction(b - a, 12) in NOTATABLE


def test_a_grid_score_is_notated_as_it_is():
    # legato eighths, triplets and sixteenths: nothing to change
    notes = [Note(0, 6, 60), Note(6, 6, 62), Note(12, 4, 64), Note(16, 4, 65), Note(20, 4, 67),
             Note(24, 3, 69), Note(27, 3, 67), Note(30, 6, 65), Note(36, 12, 64)]
    solo = Solo("grid", notes, parse_chart("| C7 |").to_spans())
    assert notation_notes(solo) == [(n.start, n.end, n.pitch) for n in notes]
    # a short note followed by a real rest keeps its rest; a hairline gap is closed
    solo = Solo("gaps", [Note(0, 5, 60), Note(6, 2, 62), Note(24, 12, 64)], [])
    assert notation_notes(solo) == [(0, 6, 60), (6, 12, 62), (24, 36, 64)]
    # sextuplet/32nd onsets move to the nearer 3- or 4-grid without losing a note
    solo = Solo("odd", [Note(0, 2, 60), Note(2, 2, 62), Note(5, 7, 64)], [])
    assert [p for _, _, p in notation_notes(solo)] == [60, 62, 64]


def tied_notes(part):
    """[(offset, quarterLength, midi)] with tie chains joined (by MIDI pitch: a tied-over
    G after a written G natural is the same note, whatever the reader makes of the sign)."""
    out = []
    for n in part.recurse().getElementsByClass("Note"):
        offset = Fraction(n.getOffsetInHierarchy(part)).limit_denominator(48)
        length = Fraction(n.quarterLength).limit_denominator(48)
        if (n.tie is not None and n.tie.type in ("stop", "continue") and out
                and out[-1][2] == n.pitch.midi and out[-1][0] + out[-1][1] == offset):
            out[-1] = (out[-1][0], out[-1][1] + length, n.pitch.midi)
        else:
            out.append((offset, length, n.pitch.midi))
    return out


def read_back(path):
    score = music21.converter.parse(str(path))
    parts = list(score.parts)
    return score, parts


def test_musicxml_reads_back_with_music21(tmp_path):
    solo = random_solo()
    path = write_musicxml(solo, tmp_path / "sheet.musicxml")
    score, parts = read_back(path)
    assert [p.partName for p in parts] == ["Solo", "Bass"]
    clefs = [p.recurse().getElementsByClass("Clef")[0] for p in parts]
    assert [c.sign for c in clefs] == ["G", "F"]
    keys = parts[0].recurse().getElementsByClass("KeySignature")
    assert keys[0].sharps == estimate_key(solo).sharps > 0
    symbols = [(float(h.getOffsetInHierarchy(parts[0])), h.figure)
               for h in parts[0].recurse().getElementsByClass("ChordSymbol")]
    expected = [(s.start / 12, s.chord.name) for s in merge_spans(solo.chords)]
    assert [o for o, _ in symbols] == [o for o, _ in expected]
    assert [f.replace("-", "b") for _, f in symbols] == [n for _, n in expected]   # F# stays F#
    words = [w.content for w in parts[0].recurse().getElementsByClass("TextExpression")]
    marks = [m.text for m in parts[0].recurse().getElementsByClass("MetronomeMark")]
    assert "Swing" in words + marks
    written = notation_notes(solo)
    got = tied_notes(parts[0])
    assert got == [(Fraction(s, 12), Fraction(e - s, 12), p) for s, e, p in written]
    for n in parts[0].recurse().getElementsByClass("Note"):
        assert n.duration.type not in ("complex", "inexpressible")
    sharps = [n.pitch.name for n in parts[0].recurse().getElementsByClass("Note") if n.pitch.alter]
    assert sharps and all("#" in name for name in sharps)              # spelled as typed
    bass = tied_notes(parts[1])
    assert len(bass) == 8 * 4 and all(midi <= 50 and length == 1 for _, length, midi in bass)
    exact = write_musicxml(solo, tmp_path / "straight.xml", feel=EXACT)
    _, again = read_back(exact)
    texts = [w.content for w in again[0].recurse().getElementsByClass("TextExpression")]
    assert "Straight" in texts + [m.text for m in again[0].recurse().getElementsByClass("MetronomeMark")]


# ----------------------------------------------------------------------- MuseScore 3
MSCORE = shutil.which("mscore3") or shutil.which("musescore3")


def musescore(src, dst):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([MSCORE, "-o", str(dst), str(src)], env=env, capture_output=True,
                         text=True, timeout=180)
    assert run.returncode == 0 and dst.exists(), run.stderr[-2000:]


def roundtrip_figures(solo, tmp_path, name="take"):
    """{chords, chords_in_mscx, chords_same, durations, durations_exact} for one take."""
    ours = write_musicxml(solo, tmp_path / f"{name}.musicxml")
    mscx, back = tmp_path / f"{name}.mscx", tmp_path / f"{name}.back.musicxml"
    musescore(ours, mscx)
    musescore(ours, back)
    _, mine = read_back(ours)
    _, theirs = read_back(back)

    def chords(part):
        return [(Fraction(h.getOffsetInHierarchy(part)).limit_denominator(48), h.figure)
                for h in part.recurse().getElementsByClass("ChordSymbol")]

    def notes(part):
        return {(offset, midi): length for offset, length, midi in tied_notes(part)}

    a, b = notes(mine[0]), notes(theirs[0])
    return {"chords": len(chords(mine[0])), "chords_in_mscx": mscx.read_text().count("<Harmony>"),
            "chords_same": chords(mine[0]) == chords(theirs[0]),
            "durations": len(a), "durations_exact": sum(b.get(k) == v for k, v in a.items())}


@pytest.mark.skipif(MSCORE is None, reason="MuseScore 3 is not installed (apt-get install musescore3)")
def test_musescore_imports_every_chord_symbol_and_the_durations(tmp_path):
    for i, chart in enumerate([SHARP_CHART, PRESETS["Bb blues"], PRESETS["Rhythm changes (Bb)"]]):
        solo = random_solo(seed=i, chart=chart, bars=parse_chart(chart).bar_count)
        figures = roundtrip_figures(solo, tmp_path, f"t{i}")
        assert figures["chords_in_mscx"] == figures["chords"] and figures["chords_same"], figures
        assert figures["durations_exact"] >= 0.95 * figures["durations"], figures


def test_a_rest_in_a_sextuplet_beat_stays_inside_each_triplet_eighth():
    from studio.music.notation.leadsheet import leadsheet_score

    solo = Solo("s", [Note(0, 2, 60), Note(2, 2, 61), Note(4, 2, 62), Note(12, 12, 63)],
                parse_chart("| C7 |").to_spans(), tempo=120.0)
    first = leadsheet_score(solo, feel=EXACT, bass=False).parts[0].getElementsByClass("Measure")[0]
    rests = [(Fraction(r.offset).limit_denominator(48), Fraction(r.quarterLength).limit_denominator(48))
             for r in first.getElementsByClass("Rest")]
    # the rest after three sextuplets (ticks 6-12): a 16th-triplet rest, then an 8th-triplet one
    assert rests[:2] == [(Fraction(1, 2), Fraction(1, 6)), (Fraction(2, 3), Fraction(1, 3))]


def test_clef_key_meter_and_tempo_are_set_in_the_first_bar_only():
    from studio.music.notation.leadsheet import leadsheet_score

    score = leadsheet_score(random_solo(bars=2))
    for part in score.parts:
        measures = list(part.getElementsByClass("Measure"))
        kinds = [{c.__name__ for c in (music21.clef.Clef, music21.key.KeySignature,
                                       music21.meter.TimeSignature, music21.tempo.MetronomeMark)
                  if m.getElementsByClass(c)} for m in measures]
        assert measures[0].number == 1
        assert {"Clef", "KeySignature", "TimeSignature"} <= kinds[0]
        assert all(not k for k in kinds[1:]), kinds
    assert score.parts[0].getElementsByClass("Measure")[0].getElementsByClass("MetronomeMark")


def test_chords_without_a_typed_spelling_are_spelled_in_the_key(tmp_path):
    """Chords read back from tokens (a model's take) carry no spelling of their own."""
    from studio.music.chords import chord_from_token
    from studio.music.notation.leadsheet import leadsheet_score
    from studio.music.types import ChordSpan

    spans = [ChordSpan(0, 48, chord_from_token("CHORD_F_dom7")), ChordSpan(48, 96, chord_from_token("CHORD_C_dom7"))]
    solo = Solo("t", [Note(0, 12, 65), Note(48, 12, 60)], spans, tempo=120.0)
    figures = [h.figure for h in leadsheet_score(solo, bass=False).parts[0].recurse().getElementsByClass("ChordSymbol")]
    assert figures == ["F7", "C7"]


def test_an_mxl_path_gets_compressed_musicxml(tmp_path):
    path = write_musicxml(random_solo(bars=2), tmp_path / "sheet.mxl")
    assert path.read_bytes()[:2] == b"PK"                       # a zip, as .mxl readers expect
    assert (write_musicxml(random_solo(bars=2), tmp_path / "sheet.musicxml").read_bytes()[:5]
            == b"<?xml")
