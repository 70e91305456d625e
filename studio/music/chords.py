"""Chord symbols: Jazzomat (WJazzD) notation and ordinary lead-sheet spellings.

Every symbol is reduced to a root, one of a small fixed set of qualities and an optional
bass note. The set is small on purpose: it is the chord part of the event vocabulary, and
a model learns 14 qualities x 12 roots far better than hundreds of rare spellings.
Extensions that do not change the chord's function (9, 11, 13, #11 on a dominant) are
dropped; altered dominant tensions (b9, #9, b5, #5, b13, "alt", "+7") become ``alt``.

    Jazzomat     lead sheet           quality
    C  C6 C69    C Cmaj CM C6 C6/9    maj, 6
    Cj7 Cj7911#  Cmaj7 CM7 CΔ         maj7
    C- C-6       Cm Cmin Cm6          min, min6
    C-7 C-79     Cm7 Cmin7 Cm9        min7
    C-j7         CmMaj7 Cm(maj7)      minmaj7
    C7 C7913     C7 C9 C13 C7#11      dom7
    C79b C7alt   C7b9 C7#9 C7#5       alt
    Cm7b5        Cm7b5 C-7b5 Cø7 Cø   m7b5
    Co Co7       Cdim C° Cdim7 C°7    dim, dim7
    C+ C+j7      Caug C(#5) Cmaj7#5   aug
    Csus7        Csus4 C7sus4         sus
    NC           N.C.                 NC
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_LETTER = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

QUALITIES = ("maj", "6", "maj7", "min", "min6", "min7", "minmaj7", "dom7", "alt",
             "m7b5", "dim", "dim7", "aug", "sus")

# Chord tones as intervals above the root. alt keeps root, 3rd and b7: its altered
# fifth and ninth differ from symbol to symbol, so they count as scale tones only.
_TONES = {
    "maj": {0, 4, 7}, "6": {0, 4, 7, 9}, "maj7": {0, 4, 7, 11},
    "min": {0, 3, 7}, "min6": {0, 3, 7, 9}, "min7": {0, 3, 7, 10}, "minmaj7": {0, 3, 7, 11},
    "dom7": {0, 4, 7, 10}, "alt": {0, 4, 10}, "m7b5": {0, 3, 6, 10},
    "dim": {0, 3, 6}, "dim7": {0, 3, 6, 9}, "aug": {0, 4, 8}, "sus": {0, 5, 7, 10},
}
_IONIAN = {0, 2, 4, 5, 7, 9, 11}
_DORIAN = {0, 2, 3, 5, 7, 9, 10}
_MELODIC_MINOR = {0, 2, 3, 5, 7, 9, 11}
_MIXOLYDIAN = {0, 2, 4, 5, 7, 9, 10}
_ALTERED = {0, 1, 3, 4, 6, 8, 10}
_LOCRIAN_NAT2 = {0, 2, 3, 5, 6, 8, 10}
_WHOLE_HALF = {0, 2, 3, 5, 6, 8, 9, 11}
_WHOLE_TONE = {0, 2, 4, 6, 8, 10}
# One conventional chord-scale per quality (the usual bebop/Aebersold choice).
_SCALES = {
    "maj": _IONIAN, "6": _IONIAN, "maj7": _IONIAN,
    "min": _DORIAN, "min7": _DORIAN, "min6": _MELODIC_MINOR, "minmaj7": _MELODIC_MINOR,
    "dom7": _MIXOLYDIAN, "sus": _MIXOLYDIAN, "alt": _ALTERED, "m7b5": _LOCRIAN_NAT2,
    "dim": _WHOLE_HALF, "dim7": _WHOLE_HALF, "aug": _WHOLE_TONE,
}


class ChordError(ValueError):
    """A chord symbol or token that cannot be read; the message names it."""


@dataclass(frozen=True)
class Chord:
    root: int                 # pitch class 0-11 (0 for NC)
    quality: str              # one of QUALITIES, or "NC"
    bass: int | None = None   # pitch class of a slash bass, if any
    # The root and bass as the user typed them ("F#", "Gb"): kept for chord names, markers
    # and lead sheets, so a chart typed with sharps comes back with sharps. Not part of
    # equality: F#m7 and Gbm7 are one chord to the model and the grammar.
    root_name: str | None = field(default=None, compare=False)
    bass_name: str | None = field(default=None, compare=False)
    # What followed the root as typed ("7#9", "7alt", "+7"; "" for a bare root), for the
    # alterations the quality drops (``typed_alterations``): lead sheets write them.
    suffix: str | None = field(default=None, compare=False)

    @property
    def is_nc(self) -> bool:
        return self.quality == "NC"

    @property
    def token(self) -> str:
        """The event-vocabulary token; the slash bass is not part of it."""
        return "CHORD_NC" if self.is_nc else f"CHORD_{NOTE_NAMES[self.root]}_{self.quality}"

    @property
    def name(self) -> str:
        """A lead-sheet spelling, for markers and the chord lane (the typed root kept)."""
        return self.spelled()

    @property
    def quality_text(self) -> str:
        return _DISPLAY.get(self.quality, "")

    def spelled(self, names: tuple[str, ...] = NOTE_NAMES) -> str:
        """The chord's name; a root or bass the user did not type is spelled from ``names``
        (e.g. a key's sharp names)."""
        if self.is_nc:
            return "N.C."
        text = (self.root_name or names[self.root]) + _DISPLAY[self.quality]
        if self.bass is not None and self.bass != self.root:
            text += "/" + (self.bass_name or names[self.bass])
        return text

    def transposed(self, semitones: int) -> "Chord":
        if self.is_nc:
            return self
        bass = None if self.bass is None else (self.bass + semitones) % 12
        return Chord((self.root + semitones) % 12, self.quality, bass, suffix=self.suffix)


NO_CHORD = Chord(0, "NC", None)

_DISPLAY = {"maj": "", "6": "6", "maj7": "maj7", "min": "m", "min6": "m6", "min7": "m7",
            "minmaj7": "m(maj7)", "dom7": "7", "alt": "7alt", "m7b5": "m7b5", "dim": "dim",
            "dim7": "dim7", "aug": "+", "sus": "7sus4"}


def chord_tones(chord: Chord) -> set[int]:
    """Pitch classes of the chord's tones (empty for NC)."""
    if chord.is_nc:
        return set()
    return {(chord.root + i) % 12 for i in _TONES[chord.quality]}


def scale_for(chord: Chord) -> set[int]:
    """Pitch classes of the chord-scale (all twelve for NC: nothing is wrong there)."""
    if chord.is_nc:
        return set(range(12))
    return {(chord.root + i) % 12 for i in _SCALES[chord.quality]}


def chord_from_token(token: str) -> Chord:
    """Inverse of ``Chord.token``."""
    if token == "CHORD_NC":
        return NO_CHORD
    try:
        kind, root, quality = token.split("_", 2)
        if kind != "CHORD" or quality not in QUALITIES:   # NOTE_C_dom7 is no chord
            raise ValueError
        return Chord(NOTE_NAMES.index(root), quality)
    except ValueError:
        raise ChordError(f"not a chord token: {token!r}") from None


# ---------------------------------------------------------------------------- parsing
_ROOT_RE = re.compile(r"([A-G])([#b♯♭]?)")
_NC_RE = re.compile(r"(?i)^(nc|n\.c\.?|n/c|no ?chord)$")
# Unicode and long-hand spellings rewritten to the short forms the scanner knows.
_REWRITES = (("♯", "#"), ("♭", "b"), ("−", "-"), ("Δ", "j"), ("△", "j"), ("°", "o"),
             ("ø7", "m7b5"), ("ø", "m7b5"), ("madd", "-add"), ("maj", "j"), ("Maj", "j"),
             ("ma", "j"), ("M", "j"), ("min", "-"), ("mi", "-"), ("dim", "o"), ("aug", "+"))
_MAJOR_WORDS = ("maj", "Maj", "major", "ma", "M")
# What may follow the chord's kind: extensions, alterations (Jazzomat puts the accidental
# after the number, lead sheets before it), add/sus/omit words.
_TENSIONS_RE = re.compile(r"^(?:[#b+-]?(?:5|7|9|11|13|2|4)[#b+-]?|add[#b]?\d+|alt|sus[24]?|no3|omit\d+)*$")
_ALTERATION_RE = re.compile(r"[#b+-](?:5|9|13)|(?:5|9|13)[#b+-]|alt")


def _spelling(letter: str, accidental: str) -> str:
    return letter + {"♯": "#", "♭": "b"}.get(accidental, accidental)


def _pitch_class(letter: str, accidental: str) -> int:
    pc = _LETTER[letter]
    if accidental in ("#", "♯"):
        pc += 1
    elif accidental in ("b", "♭"):
        pc -= 1
    return pc % 12


def parse_chord(symbol: str) -> Chord:
    """Parse a Jazzomat or lead-sheet chord symbol; ValueError names a symbol it cannot read."""
    text = symbol.strip()
    if _NC_RE.match(text):
        return NO_CHORD
    m = _ROOT_RE.match(text)
    if not m:
        raise ChordError(f"unknown chord symbol {symbol!r}: no root note")
    root = _pitch_class(m.group(1), m.group(2))
    rest = text[m.end():]
    bass = bass_name = None
    if "/" in rest:
        head, _, tail = rest.rpartition("/")
        bm = _ROOT_RE.fullmatch(tail)
        if bm:
            bass = _pitch_class(bm.group(1), bm.group(2))
            bass_name = _spelling(bm.group(1), bm.group(2))
            rest = head
        elif tail != "9" or not head.endswith("6"):   # C6/9 is the one slash that is no bass
            raise ChordError(f"unknown chord symbol {symbol!r}: bad bass note {tail!r}")
    try:
        quality = _quality(rest)
    except ValueError:
        raise ChordError(f"unknown chord symbol {symbol!r}") from None
    return Chord(root, quality, bass, _spelling(m.group(1), m.group(2)), bass_name,
                 rest.replace("♯", "#").replace("♭", "b"))


def spelled_alike(a: Chord, b: Chord) -> bool:
    """One chord, written the same way: same root and bass spellings and the same typed
    alterations (F#7 and Gb7 are one chord to the model but two symbols to a reader)."""
    return (a == b and a.root_name == b.root_name and a.bass_name == b.bass_name
            and typed_alterations(a) == typed_alterations(b))


# A typed alteration: the accidental before the number (lead sheets: C7b9, C13b9) or, in
# Jazzomat's notation, after it (C79b, C7911#: such a suffix ends with an accidental);
# "-" and "+" are flat and sharp there (C7-9, C7+5). "alt" stands for the altered fifths
# and ninths, as MuseScore writes 7alt to MusicXML (altb5 add#5 addb9 add#9).
_PREFIX_RE = re.compile(r"([#b+-])(5|9|11|13)(?!\d)")
_POSTFIX_RE = re.compile(r"(5|9|11|13)([#b+-])")
_ALT_TENSIONS = ((5, -1), (5, 1), (9, -1), (9, 1))


def typed_alterations(chord: Chord) -> tuple[tuple[int, int], ...]:
    """(degree, semitones) of each altered tension the user typed on a dominant, in the
    order typed: C7#9 -> ((9, 1),), C13b9 -> ((9, -1),), C7alt -> b5 #5 b9 #9,
    Jazzomat C79b -> ((9, -1),), C+7 -> ((5, 1),). Empty for other chords and untyped ones."""
    if chord.quality not in ("dom7", "alt") or not chord.suffix:
        return ()
    text = chord.suffix.replace("(", "").replace(")", "").replace(",", "").replace(" ", "")
    if "alt" in text:
        return _ALT_TENSIONS
    found = []
    if text.startswith("+"):                      # Jazzomat C+7, C+9: the augmented fifth
        found.append((5, 1))
        text = text[1:]
    text = text[1:] if text.startswith("7") else text
    if text[-1:] in ("#", "b", "+", "-"):
        found += [(int(m.group(1)), 1 if m.group(2) in "#+" else -1)
                  for m in _POSTFIX_RE.finditer(text)]
    else:
        found += [(int(m.group(2)), 1 if m.group(1) in "#+" else -1)
                  for m in _PREFIX_RE.finditer(text)]
    return tuple(dict.fromkeys(found))


def _quality(suffix: str) -> str:
    s = suffix.replace("(", "").replace(")", "").replace(",", "").replace(" ", "")
    if s in _MAJOR_WORDS:
        return "maj"                          # Cmaj, CM, Cma: the triad (CΔ, Cj mean maj7)
    for old, new in _REWRITES:
        s = s.replace(old, new)
    s = s.replace("/", "")                     # 6/9
    if s.startswith("m") and not s.startswith("m7b5"):
        s = "-" + s[1:]                        # Cm7 -> C-7 (Jazzomat minor sign)
    kinds = (  # (prefix, quality, tensions may follow); longest/most specific first
        ("m7b5", "m7b5"), ("-7b5", "m7b5"), ("o7", "dim7"), ("o", "dim"),
        ("-j7", "minmaj7"), ("-j", "minmaj7"), ("-69", "min6"), ("-6", "min6"),
        ("-7", "min7"), ("-9", "min7"), ("-11", "min7"), ("-13", "min7"), ("-", "min"),
        ("+j7", "aug"), ("+7", "alt"), ("+9", "alt"), ("+", "aug"),
        ("j7", "maj7"), ("j9", "maj7"), ("j13", "maj7"), ("j", "maj7"),
        ("69", "6"), ("6", "6"), ("sus", "sus"), ("7", "dom7"), ("9", "dom7"),
        ("11", "dom7"), ("13", "dom7"), ("alt", "alt"), ("", "maj"),
    )
    for prefix, quality in kinds:
        if s.startswith(prefix):
            tail = s[len(prefix):]
            break
    if not _TENSIONS_RE.match(tail):
        raise ValueError(suffix)
    if "sus" in tail and quality in ("dom7", "maj"):
        quality = "sus"                       # C7sus4, C9sus, Csus2
    if quality == "dom7":
        # #11 alone keeps a plain (lydian) dominant; any other alteration is "alt"
        plain = re.sub(r"#11|11#", "", tail)
        if _ALTERATION_RE.search(plain):
            quality = "alt"
    elif quality in ("maj", "maj7") and re.search(r"[#+]5|5[#+]", tail):
        quality = "aug"                       # C(#5), C+5, Cmaj7#5 (as C+j7)
    elif quality in ("min", "min7") and re.search(r"b5|5b|-5|5-", tail):
        quality = "dim" if quality == "min" else "m7b5"   # Cm(b5); Cm9b5 is half-diminished
    return quality
