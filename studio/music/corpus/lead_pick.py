"""Which part of a MIDI arrangement is the lead line: by name, GM program, range and texture.

A band file holds a tune (sax, trumpet, voice, a "Melody" track) over piano, bass and
drums. The lead is the part with the best score from evidence a musician would use:
  * its track or instrument name ("Tenor Sax", "Melody", "Solo" +; "Piano", "Bass",
    "Comp", "Pad" -);
  * its General MIDI program (reeds, brass, pipes, solo strings and synth leads +;
    basses and pads -; pianos, organs and guitars neutral: they lead piano-trio files);
  * its range (a mean pitch in the treble +; in the bass -);
  * its texture (one note at a time +; chords -) and enough notes to be a line.
Ties go to the higher part. The user can always choose (``choose_lead``): by a part's
number as the report lists it (1-based) or by (part of) its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEAD_WORDS = ("melody", "lead", "solo", "tune", "head", "vocal", "voice", "sax", "tenor",
              "alto", "soprano", "bari", "trumpet", "tpt", "cornet", "flugel", "trombone",
              "clarinet", "flute", "violin", "harmonica", "whistle")
BAND_WORDS = ("piano", "comp", "chord", "pad", "bass", "drum", "kit", "perc", "rhythm",
              "strings", "keys", "organ", "accomp", "backing", "vamp")


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

    def overlap_share(self) -> float:
        """Share of notes that start while the previous one still sounds (chords count)."""
        ordered = sorted(self.notes)
        if len(ordered) < 2:
            return 0.0
        # a small overlap (legato playing) is still one line
        hits = sum(b[0] < a[1] - 10 for a, b in zip(ordered, ordered[1:]))
        return hits / (len(ordered) - 1)

    def is_monophonic(self) -> bool:
        return self.overlap_share() == 0.0

    def label(self) -> str:
        return f"'{self.name}'" if self.name else f"#{self.track}"


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


def _name_score(name: str) -> float:
    text = name.lower()
    if any(w in text for w in LEAD_WORDS):
        return 3.0
    if any(w in text for w in BAND_WORDS):
        return -3.0
    return 0.0


def lead_scores(parts: list[Part]) -> list[tuple[float, list[str]]]:
    """(score, reasons) per part, in the order given."""
    busiest = max((len(p.notes) for p in parts), default=1)
    out = []
    for p in parts:
        reasons = []
        score = _name_score(p.name)
        if score > 0:
            reasons.append("name")
        prog = _program_score(p.program)
        score += prog
        if prog > 0:
            reasons.append(f"program {p.program}")
        mean = p.mean_pitch
        if 55 <= mean <= 86:
            score += 1.0
            reasons.append("range")
        elif mean < 48:
            score -= 2.0
        overlap = p.overlap_share()
        score += 2.0 if overlap == 0 else 1.0 if overlap < 0.1 else -1.0
        if overlap < 0.1:
            reasons.append("one note at a time")
        if len(p.notes) * 8 < busiest:
            score -= 2.0                 # a few stray notes are not a line
        out.append((score, reasons))
    return out


def pick_lead(parts: list[Part]) -> tuple[Part, str]:
    """The lead part and why (for the report)."""
    scored = lead_scores(parts)
    best = max(range(len(parts)), key=lambda i: (scored[i][0], parts[i].mean_pitch))
    reasons = scored[best][1] or ["best of the parts"]
    return parts[best], ", ".join(reasons)


class LeadChoiceError(ValueError):
    """The user's lead choice matches no part (the message lists the parts)."""


def describe_parts(parts: list[Part]) -> str:
    return "; ".join(f"{i + 1}: {p.label()} ch {p.channel + 1}"
                     + (f" program {p.program}" if p.program is not None else "")
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
