import pytest

from studio.music.chords import (NO_CHORD, QUALITIES, Chord, chord_from_token, chord_tones,
                                 parse_chord, scale_for)

C, Db, D, Eb, E, F, Gb, G, Ab, A, Bb, B = range(12)

TABLE = [
    # Jazzomat (WJazzD) spellings
    ("C-7", Chord(C, "min7")), ("Bbj7", Chord(Bb, "maj7")), ("F7alt", Chord(F, "alt")),
    ("Ebj7911#", Chord(Eb, "maj7")), ("C79b", Chord(C, "alt")), ("Fsus7913", Chord(F, "sus")),
    ("Am7b5", Chord(A, "m7b5")), ("Eo7", Chord(E, "dim7")), ("G+7", Chord(G, "alt")),
    ("C-/Bb", Chord(C, "min", Bb)), ("F+/Ab", Chord(F, "aug", Ab)), ("NC", NO_CHORD),
    ("C69", Chord(C, "6")), ("D-6", Chord(D, "min6")), ("Bb79#", Chord(Bb, "alt")),
    ("C7911#", Chord(C, "dom7")), ("D79#11#", Chord(D, "alt")), ("Ab7913b", Chord(Ab, "alt")),
    ("C-j7913", Chord(C, "minmaj7")), ("A-7911", Chord(A, "min7")), ("Abo", Chord(Ab, "dim")),
    ("Ab+j7/C", Chord(Ab, "aug", C)), ("Db-69/Ab", Chord(Db, "min6", Ab)), ("Bb", Chord(Bb, "maj")),
    ("E6911#", Chord(E, "6")), ("Esus7/A", Chord(E, "sus", A)), ("Cb7", Chord(B, "dom7")),
    ("Fb-7", Chord(E, "min7")), ("C#sus79", Chord(Db, "sus")), ("Bj7/A#", Chord(B, "maj7", Bb)),
    ("F7913", Chord(F, "dom7")), ("G-79b", Chord(G, "min7")),
    # lead-sheet spellings
    ("Cm7", Chord(C, "min7")), ("Bbmaj7", Chord(Bb, "maj7")), ("F7#9", Chord(F, "alt")),
    ("C6", Chord(C, "6")), ("Dm7b5", Chord(D, "m7b5")), ("G7/B", Chord(G, "dom7", B)),
    ("Cmin7", Chord(C, "min7")), ("C°7", Chord(C, "dim7")), ("Cø7", Chord(C, "m7b5")),
    ("Cø", Chord(C, "m7b5")), ("Cdim", Chord(C, "dim")), ("Caug", Chord(C, "aug")),
    ("Cdim7", Chord(C, "dim7")), ("CM7", Chord(C, "maj7")), ("CΔ7", Chord(C, "maj7")),
    ("Cmaj9", Chord(C, "maj7")), ("Cm9", Chord(C, "min7")), ("C13", Chord(C, "dom7")),
    ("C7b9", Chord(C, "alt")), ("C7#5", Chord(C, "alt")), ("C7b5", Chord(C, "alt")),
    ("C7#11", Chord(C, "dom7")), ("C7sus4", Chord(C, "sus")), ("Csus4", Chord(C, "sus")),
    ("Cm6", Chord(C, "min6")), ("CmMaj7", Chord(C, "minmaj7")), ("Cm(maj7)", Chord(C, "minmaj7")),
    ("C6/9", Chord(C, "6")), ("Am7(b5)", Chord(A, "m7b5")), ("Caug7", Chord(C, "alt")),
    ("F#m7", Chord(Gb, "min7")), ("Cm", Chord(C, "min")), ("N.C.", NO_CHORD),
    ("Cadd9", Chord(C, "maj")), ("Ebmaj7#11", Chord(Eb, "maj7")), ("C7alt", Chord(C, "alt")),
]


@pytest.mark.parametrize("symbol,expected", TABLE, ids=[
    "".join(c if c.isascii() else f"<{ord(c):x}>" for c in symbol) for symbol, _ in TABLE])
def test_parse_table(symbol, expected):
    assert parse_chord(symbol) == expected


def test_table_is_big_enough():
    assert len(TABLE) >= 30


@pytest.mark.parametrize("bad", ["H7", "Cxyz", "C7q", "", "Bb/H", "7"])
def test_unknown_symbol_names_it(bad):
    with pytest.raises(ValueError) as err:
        parse_chord(bad)
    assert repr(bad) in str(err.value)


def test_chord_tones_and_scales():
    assert chord_tones(parse_chord("G7")) == {7, 11, 2, 5}
    assert chord_tones(parse_chord("Dm7")) == {2, 5, 9, 0}
    assert chord_tones(parse_chord("Cmaj7")) == {0, 4, 7, 11}
    assert chord_tones(parse_chord("Bm7b5")) == {11, 2, 5, 9}
    assert chord_tones(NO_CHORD) == set()
    assert scale_for(parse_chord("Dm7")) == {0, 2, 4, 5, 7, 9, 11}      # D dorian
    assert scale_for(parse_chord("G7")) == {0, 2, 4, 5, 7, 9, 11}       # G mixolydian
    assert scale_for(NO_CHORD) == set(range(12))
    for q in QUALITIES:                      # chord tones always sit inside the scale
        chord = Chord(5, q)
        assert chord_tones(chord) <= scale_for(chord)


def test_tokens_round_trip_and_transpose():
    for q in QUALITIES:
        for root in range(12):
            chord = Chord(root, q)
            assert chord_from_token(chord.token) == chord
    assert parse_chord("C-/Bb").transposed(2) == Chord(D, "min", C)
    assert NO_CHORD.transposed(5) == NO_CHORD
    assert parse_chord(parse_chord("Ebj7").name) == Chord(Eb, "maj7")
