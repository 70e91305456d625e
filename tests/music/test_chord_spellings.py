"""Every spelling the chord parser claims (its module table, its prefixes and rewrites)
read as the chord a musician means. The expected qualities are written from music theory,
not from the parser: half-diminished is a minor triad with b5 and b7, augmented has #5, an
altered dominant has a b7 and altered 5th or 9th, and so on."""

import re
import unicodedata

import pytest

import studio.music.chords as chords
from studio.music.chords import parse_chord

C, Db, D, Eb, E, F, Gb, G, Ab, A, Bb, B = range(12)

# spelling -> (root, quality); the bass is tested separately
SPELLINGS = {
    # major triad and sixths
    "C": (C, "maj"), "Cmaj": (C, "maj"), "CM": (C, "maj"), "Cma": (C, "maj"),
    "Cmajor": (C, "maj"), "Cadd9": (C, "maj"), "C(add9)": (C, "maj"), "C2": (C, "maj"),
    "C6": (C, "6"), "C69": (C, "6"), "C6/9": (C, "6"), "C6(9)": (C, "6"),
    # major seventh
    "Cj7": (C, "maj7"), "Cj7911#": (C, "maj7"), "Cj": (C, "maj7"), "Cj9": (C, "maj7"),
    "Cj13": (C, "maj7"), "Cmaj7": (C, "maj7"), "CM7": (C, "maj7"), "CΔ": (C, "maj7"),
    "CΔ7": (C, "maj7"), "C△7": (C, "maj7"), "CMaj7": (C, "maj7"), "Cma7": (C, "maj7"),
    "Cmaj9": (C, "maj7"), "Cmaj7(#11)": (C, "maj7"), "Ebmaj7#11": (Eb, "maj7"),
    # minor
    "C-": (C, "min"), "Cm": (C, "min"), "Cmin": (C, "min"), "Cmi": (C, "min"), "C−": (C, "min"),
    "Cmadd9": (C, "min"), "Cm(add9)": (C, "min"), "C-add9": (C, "min"),
    "C-6": (C, "min6"), "C-69": (C, "min6"), "Cm6": (C, "min6"), "Cmin6": (C, "min6"),
    "C-7": (C, "min7"), "C-79": (C, "min7"), "C-9": (C, "min7"), "C-11": (C, "min7"),
    "C-13": (C, "min7"), "Cm7": (C, "min7"), "Cmin7": (C, "min7"), "Cmi7": (C, "min7"),
    "Cm9": (C, "min7"), "Cm11": (C, "min7"),
    "C-j7": (C, "minmaj7"), "C-j": (C, "minmaj7"), "CmMaj7": (C, "minmaj7"),
    "Cm(maj7)": (C, "minmaj7"), "Cmin(maj7)": (C, "minmaj7"), "C-Δ7": (C, "minmaj7"),
    # dominant
    "C7": (C, "dom7"), "C7913": (C, "dom7"), "C9": (C, "dom7"), "C11": (C, "dom7"),
    "C13": (C, "dom7"), "C7#11": (C, "dom7"), "C711#": (C, "dom7"), "C9(#11)": (C, "dom7"),
    # altered dominant: b7 with an altered 5th or 9th
    "C79b": (C, "alt"), "C7alt": (C, "alt"), "Calt": (C, "alt"), "C7b9": (C, "alt"),
    "C7#9": (C, "alt"), "C7#5": (C, "alt"), "C7b5": (C, "alt"), "C7(b13)": (C, "alt"),
    "C13b9": (C, "alt"), "C+7": (C, "alt"), "C+9": (C, "alt"), "Caug7": (C, "alt"),
    "C7(#5)": (C, "alt"), "C79#": (C, "alt"), "C7913b": (C, "alt"), "C79#11#": (C, "alt"),
    # half-diminished: minor triad, b5, b7
    "Cm7b5": (C, "m7b5"), "C-7b5": (C, "m7b5"), "Cm7(b5)": (C, "m7b5"), "C-7(b5)": (C, "m7b5"),
    "Cmi7b5": (C, "m7b5"), "Cmin7b5": (C, "m7b5"), "Cø": (C, "m7b5"), "Cø7": (C, "m7b5"),
    "Cm9b5": (C, "m7b5"),
    # diminished
    "Co": (C, "dim"), "Cdim": (C, "dim"), "C°": (C, "dim"), "Cm(b5)": (C, "dim"),
    "Co7": (C, "dim7"), "Cdim7": (C, "dim7"), "C°7": (C, "dim7"),
    # augmented: major triad with #5
    "C+": (C, "aug"), "Caug": (C, "aug"), "C(#5)": (C, "aug"), "C+5": (C, "aug"),
    "C(+5)": (C, "aug"), "C+j7": (C, "aug"), "Cmaj7#5": (C, "aug"), "Cj7#5": (C, "aug"),
    # suspended
    "Csus": (C, "sus"), "Csus7": (C, "sus"), "Csus4": (C, "sus"), "C7sus4": (C, "sus"),
    "C7sus": (C, "sus"), "C9sus4": (C, "sus"), "Csus2": (C, "sus"), "Csus7913": (C, "sus"),
    # roots with accidentals, written every way
    "F#m7": (Gb, "min7"), "F♯m7": (Gb, "min7"), "B♭7": (Bb, "dom7"), "Cb7": (B, "dom7"),
    "Fb-7": (E, "min7"), "E#": (F, "maj"), "B#o7": (C, "dim7"), "Ab7": (Ab, "dom7"),
}
NO_CHORD_SPELLINGS = ["NC", "N.C.", "N.C", "nc", "n/c", "No chord"]


def _ascii_id(symbol: str) -> str:
    """Test ids without escapes (pytest cannot select some escaped non-ASCII ids)."""
    return "".join(c if c.isascii() else f"<{unicodedata.name(c).lower()}>" for c in symbol)


@pytest.mark.parametrize("symbol,expected", SPELLINGS.items(), ids=[_ascii_id(s) for s in SPELLINGS])
def test_every_claimed_spelling(symbol, expected):
    chord = parse_chord(symbol)
    assert (chord.root, chord.quality, chord.bass) == (*expected, None)


@pytest.mark.parametrize("symbol", NO_CHORD_SPELLINGS)
def test_no_chord_spellings(symbol):
    assert parse_chord(symbol).is_nc


@pytest.mark.parametrize("symbol,expected", [
    ("C-/Bb", (C, "min", Bb)), ("Bj7/A#", (B, "maj7", Bb)), ("G7/B", (G, "dom7", B)),
    ("Cmaj/E", (C, "maj", E)), ("Db-69/Ab", (Db, "min6", Ab)), ("Dbj7911#/C", (Db, "maj7", C)),
    ("C6/9", (C, "6", None)),  # the one slash that is no bass
])
def test_slash_bass(symbol, expected):
    chord = parse_chord(symbol)
    assert (chord.root, chord.quality, chord.bass) == expected


def test_the_module_table_claims_nothing_untested():
    """Each spelling in the chords module's own table is in SPELLINGS (or is NC) and reads
    as one of the qualities that row names."""
    rows = [line for line in chords.__doc__.splitlines() if re.match(r"^    \S", line)][1:]
    assert len(rows) >= 12
    for row in rows:
        spellings, qualities = re.fullmatch(r"\s*(.*?)\s{2,}(\S+(?:, \S+)*)", row).groups()
        allowed = set(qualities.split(", "))
        for word in spellings.split():
            if word in ("NC", "N.C."):
                assert parse_chord(word).is_nc
                continue
            assert word in SPELLINGS, f"{word!r} is claimed by the module table but not tested"
            assert SPELLINGS[word][1] in allowed, (word, allowed)


def test_every_quality_prefix_and_rewrite_is_covered():
    """A spelling in SPELLINGS exercises each quality the parser can return."""
    assert {q for _, q in SPELLINGS.values()} == set(chords.QUALITIES)


# "X_CHORD_C_dom7": the kind is everything after the second "_" (a split from the right
# would read it as C7)
@pytest.mark.parametrize("token", ["CHORD_H_dom7", "CHORD_C_dominant", "PITCH_60", "CHORD", "X_CHORD_C_dom7",
                                   "NOTE_C_dom7", "chord_C_maj7"])
def test_bad_chord_tokens_are_named(token):
    with pytest.raises(ValueError) as err:
        chords.chord_from_token(token)
    assert str(err.value) == f"not a chord token: {token!r}"


@pytest.mark.parametrize("symbol,name,root_name,bass_name", [
    ("F♯7", "F#7", "F#", None), ("B♭maj7", "Bbmaj7", "Bb", None), ("C7/B♭", "C7/Bb", "C", "Bb"),
    ("E♭-7/C♯", "Ebm7/C#", "Eb", "C#")])
def test_unicode_accidentals_are_spelled_in_ascii(symbol, name, root_name, bass_name):
    # the user's spelling is kept (F# stays F#, Gb stays Gb) but written with # and b, as the
    # MIDI markers and lead sheets show it
    chord = chords.parse_chord(symbol)
    assert (chord.name, chord.root_name, chord.bass_name) == (name, root_name, bass_name)
