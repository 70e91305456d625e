"""Which part of a MIDI arrangement is the lead line: the part that plays through the piece.

A band file holds a tune (sax, trumpet, voice, a "Melody" track, a soloing guitar) over
piano, bass, drums and perhaps a horn section. The lead is the part with the best score
from evidence a musician would use:
  * how much of the piece it plays: the share of the piece's bars (bars in which any part
    sounds) in which it sounds, worth up to 6 points, the largest single term: a horn
    section that plays in blocks (84 of 217 bars) loses to the guitar that solos through
    (162 of 217) although "Trumpet" is a lead instrument;
  * its texture: one note at a time +2, falling with the share of notes stacked on the
    one before (chords, a section's voicings) through 0 at 10% to -4 at 30% or more. A
    note held into the next by less than a 32nd note is legato, not stacked;
  * its track or instrument name: a role ("Melody", "Lead", "Solo", "Vocal" ...) +4, a
    band part ("Piano", "Bass", "Comp", "Pad" ...) -3;
  * what instrument it is, by name ("Tenor Sax", "Trumpet") or General MIDI program
    (reeds, brass, pipes, solo strings, synth leads): +2, counted once; basses -3,
    ensembles and pads -2 by program; pianos, organs and guitars neutral (they lead
    piano-trio files and fusion tunes);
  * its range: a mean pitch in the treble +1, in the bass -2;
  * enough notes to be a line: under an eighth of the busiest part's notes -2.
Ties go to the part that sounds higher (the greater mean pitch), then to the part listed
first. ``pick_lead`` says why, with the figures: the bars played, the share stacked, and
the runner-up's figures. The user can always choose (``choose_lead``): by a part's number
as the report lists it (1-based) or by (part of) its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLE_WORDS = ("melody", "lead", "solo", "tune", "head", "vocal", "voice")
INSTRUMENT_WORDS = ("sax", "tenor", "alto", "soprano", "bari", "trumpet", "tpt", "cornet",
                    "flugel", "trombone", "clarinet", "flute", "violin", "harmonica", "whistle")
BAND_WORDS = ("piano", "comp", "chord", "pad", "bass", "drum", "kit", "perc", "rhythm",
              "strings", "keys", "organ", "accomp", "backing", "vamp")
COVERAGE_POINTS = 6.0        # a part that sounds in every bar of the piece
STACKED_ZERO = 0.1           # the stacked share at which texture counts nothing


@dataclass
class Part:
    track: int
    channel: int
    name: str
    program: int | None = None
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (start, end, pitch, vel)

    @property
    def mean_pitch(self) -> float:
        return sum(n[2] for n in self.notes) / max(1, len(self.notes))

    def overlap_share(self, legato: int = 10) -> float:
        """Share of notes that start while the previous one still sounds (chords count);
        a note that ends within ``legato`` ticks of the next onset is still one line."""
        ordered = sorted(self.notes)
        if len(ordered) < 2:
            return 0.0
        hits = sum(b[0] < a[1] - legato for a, b in zip(ordered, ordered[1:]))
        return hits / (len(ordered) - 1)

    def is_monophonic(self, legato: int = 10) -> bool:
        return self.overlap_share(legato) == 0.0

    def bar_runs(self, ticks_per_bar: int, grace: int = 0) -> list[tuple[int, int]]:
        """The bars the part sounds in, as merged [first, stop) runs. A note held up to
        ``grace`` ticks past a bar line (legato, a late note-off) does not count the next bar."""
        return _merged((s // ticks_per_bar, max(s, e - 1 - grace) // ticks_per_bar + 1)
                       for s, e, _, _ in self.notes)

    def label(self) -> str:
        return f"'{self.name}'" if self.name else f"#{self.track}"


def legato_ticks(ticks_per_beat: int) -> int:
    """How far a note may overlap the next and still be one line: a 32nd note."""
    return ticks_per_beat // 8


def _merged(runs) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for first, stop in sorted(runs):
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((first, stop))
    return out


def _bars(runs) -> int:
    return sum(stop - first for first, stop in runs)


@dataclass(frozen=True)
class LeadScore:
    """One part's lead score, the reasons for it, and the figures the reasons quote."""
    score: float
    reasons: tuple[str, ...]
    bars: int              # bars the part sounds in
    piece_bars: int        # bars any of the parts sounds in
    stacked: float         # share of its notes stacked on the one before

    def figures(self) -> str:
        return f"{self.bars} of {self.piece_bars} bars, {round(100 * self.stacked)}% stacked"


def _program_score(program: int | None) -> float:
    if program is None:
        return 0.0
    if 32 <= program <= 39:
        return -3.0                      # basses
    if 56 <= program <= 79 or 80 <= program <= 87 or program in (40, 41, 22, 73):
        return 2.0                       # brass, reeds, pipes, synth leads, violin/viola, harmonica
    if 48 <= program <= 55 or 88 <= program <= 103:
        return -2.0                      # ensembles, choirs, pads, effects
    return 0.0


def _name_scores(name: str) -> tuple[float, float]:
    """(role, instrument) points of a track name."""
    text = name.lower()
    if any(w in text for w in ROLE_WORDS):
        return 4.0, 2.0 * any(w in text for w in INSTRUMENT_WORDS)
    if any(w in text for w in INSTRUMENT_WORDS):
        return 0.0, 2.0
    if any(w in text for w in BAND_WORDS):
        return -3.0, 0.0
    return 0.0, 0.0


def lead_scores(parts: list[Part], ticks_per_beat: int = 480,
                beats_per_bar: int = 4) -> list[LeadScore]:
    """A LeadScore per part, in the order given, in the file's own beat and bar."""
    ticks_per_bar = ticks_per_beat * beats_per_bar
    busiest = max((len(p.notes) for p in parts), default=1)
    legato = legato_ticks(ticks_per_beat)
    runs = [p.bar_runs(ticks_per_bar, legato) for p in parts]
    piece = _bars(_merged(r for part_runs in runs for r in part_runs))
    out = []
    for p, part_runs in zip(parts, runs):
        reasons = []
        role, named = _name_scores(p.name)
        score = role
        if role > 0 or named > 0:
            reasons.append("name")
        prog = _program_score(p.program)
        # the instrument counts once, whether the name or the program says it
        score += max(named, prog) if max(named, prog) > 0 else prog
        if prog > 0:
            reasons.append(f"program {p.program}")
        bars = _bars(part_runs)
        score += COVERAGE_POINTS * bars / max(1, piece)
        reasons.append(f"plays {bars} of {piece} bars")
        stacked = p.overlap_share(legato)
        score += max(-4.0, 2.0 - 2.0 * stacked / STACKED_ZERO)
        reasons.append("one note at a time" if stacked == 0 else f"{round(100 * stacked)}% stacked")
        mean = p.mean_pitch
        if 55 <= mean <= 86:
            score += 1.0
            reasons.append("range")
        elif mean < 48:
            score -= 2.0
        if len(p.notes) * 8 < busiest:
            score -= 2.0                 # a few stray notes are not a line
        out.append(LeadScore(round(score, 6), tuple(reasons), bars, piece, stacked))
    return out


def pick_lead(parts: list[Part], ticks_per_beat: int = 480,
              beats_per_bar: int = 4) -> tuple[Part, str]:
    """The lead part and why (for the report): its reasons with their figures, and the
    runner-up's figures. Ties: the higher part (mean pitch), then the one listed first."""
    scored = lead_scores(parts, ticks_per_beat, beats_per_bar)
    ranked = sorted(range(len(parts)), key=lambda i: (-scored[i].score, -parts[i].mean_pitch, i))
    best = ranked[0]
    why = ", ".join(scored[best].reasons)
    if len(ranked) > 1:
        second = ranked[1]
        why += f"; over {parts[second].label()} ({scored[second].figures()})"
    return parts[best], why


class LeadChoiceError(ValueError):
    """The user's lead choice matches no part (the message lists the parts)."""


def describe_parts(parts: list[Part], scores: list[LeadScore] | None = None) -> str:
    """The parts as the report lists them (1-based), with each one's figures if scored."""
    return "; ".join(f"{i + 1}: {p.label()} ch {p.channel + 1}"
                     + (f" program {p.program}" if p.program is not None else "")
                     + (f" ({scores[i].figures()})" if scores else "")
                     for i, p in enumerate(parts))


def choose_lead(parts: list[Part], choice: str | int) -> Part:
    """The part the user named: a 1-based number as the report lists parts, or (part of) a
    track name, case-insensitive. LeadChoiceError lists the parts when nothing matches."""
    text = str(choice).strip()
    if text.isdigit():
        i = int(text) - 1
        if 0 <= i < len(parts):
            return parts[i]
    else:
        named = [p for p in parts if text.lower() in p.name.lower()] if text else []
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            exact = [p for p in named if p.name.lower() == text.lower()]
            if len(exact) == 1:
                return exact[0]
            raise LeadChoiceError(f"lead {text!r} matches {len(named)} parts ({describe_parts(named)})")
    raise LeadChoiceError(f"no part matches lead {text!r}; parts: {describe_parts(parts)}")
