"""The solo's instrument: its General MIDI program, the range it plays in and its register.

A model trained on WJazzD learns the corpus's register, an average over its horns (mostly
tenor saxophones: the shipped models' takes sit near MIDI 64-65), and it is given no
instrument. Choosing one moves the take to where that instrument's players sit
(``generate``: the line is sampled over the chart transposed by the difference and moved
back, so it keeps every interval and its harmony, see ``register_shift``) and limits it to
the instrument's range.

The registers are the note-weighted mean pitches of each instrument's players in WJazzD's
training and validation solos, the ranges the horns' concert ranges as jazz players use
them (with the altissimo the corpus's players reach): ``python training/instrument_registers.py``
prints the measured registers (trumpet 70.4 over 21 players, alto 66.0 over 10, tenor 62.8
over 20, soprano 70.5, baritone 56.5, trombone 61.7, clarinet 72.8, vibraphone 72.3,
guitar 63.1; the test split is never read). WJazzD has no flute or piano solos to measure
them by: the flute takes the clarinet's register; the piano leaves the model's own.

The tenor saxophone plays in the model's own register: WJazzD is above all a corpus of
tenor players (the shipped models' takes sit at 63.5 / 64.2 against the tenors' 62.8), so
the default instrument leaves every take as the model draws it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int               # General MIDI program, 0-based
    low: int                   # the range, MIDI pitches (concert)
    high: int
    register: float | None     # where its takes sit (mean pitch); None: the model's own
    players: float | None      # its players' mean pitch in WJazzD (training and validation)


INSTRUMENTS = (
    Instrument("Tenor sax", 66, 44, 79, None, 62.8),
    Instrument("Alto sax", 65, 49, 81, 66.0, 66.0),
    Instrument("Soprano sax", 64, 56, 88, 70.5, 70.5),
    Instrument("Baritone sax", 67, 36, 69, 56.5, 56.5),
    Instrument("Trumpet", 56, 52, 86, 70.4, 70.4),
    Instrument("Trombone", 57, 40, 77, 61.7, 61.7),
    Instrument("Clarinet", 71, 50, 91, 72.8, 72.8),
    Instrument("Flute", 73, 60, 93, 72.8, None),
    Instrument("Vibraphone", 11, 53, 89, 72.3, 72.3),
    Instrument("Jazz guitar", 26, 40, 86, 63.1, 63.1),
    Instrument("Acoustic piano", 0, 48, 84, None, None),
)


_GENERIC = {"sax", "jazz", "acoustic"}   # words that name no one instrument
_ALIASES = {"bari": "Baritone sax", "vibes": "Vibraphone"}


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def instrument_named(text: str) -> Instrument:
    """The instrument a user names: its name or its first word, any case or spacing
    (``"trumpet"``, ``"tenor"``, ``"alto-sax"``, ``"guitar"``); ValueError listing them."""
    key = _key(text)
    for inst in INSTRUMENTS:
        words = {w for w in inst.name.lower().split() if w not in _GENERIC}
        if key and (key == _key(inst.name) or key in words or _ALIASES.get(key) == inst.name):
            return inst
    names = ", ".join(i.name.lower() for i in INSTRUMENTS)
    raise ValueError(f"unknown instrument {text!r}: one of {names}")


def instrument_for_program(program: int) -> Instrument | None:
    """The instrument of a General MIDI program, if it is one of ours."""
    return next((i for i in INSTRUMENTS if i.program == program), None)


def nearest_instrument(mean_pitch: float) -> Instrument:
    """The horn whose players' register is nearest a line's mean pitch: what a listening
    test plays the machine's take on when it compares it with a player's line (WJazzD is
    a corpus of horn solos; its few clarinet, vibraphone and guitar solos sit in the
    registers of the trumpet and the tenor). The soprano is left out: its two players sit
    where the trumpet's twenty-one do (70.5 against 70.4)."""
    horns = ("Trumpet", "Alto sax", "Tenor sax", "Baritone sax", "Trombone")
    return min((i for i in INSTRUMENTS if i.name in horns), key=lambda i: abs(i.players - mean_pitch))
