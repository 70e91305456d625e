"""REMI-like event encoding of a solo over its chords, with its context ("jazz-remi-v3").

One bar reads::

    BAR TEMPO_170 FORM_4 POS_0 TO_4 NEXT_Eb_dom7 CHORD_Bb_dom7 [PITCH_p DUR_d]
        POS_k TO_2 NEXT_Eb_dom7 CHORD_Bb_dom7 PITCH_p DUR_d  ...

* ``BAR`` opens every bar, empty ones too; a solo is a run of bars (the engine puts
  ``<end>`` between solos, so ``<end>`` also means "no more bars").
* ``TEMPO_b`` (v3): the tempo bucket, and ``FORM_k``: the bar of the chorus (``form.py``),
  after every ``BAR``. Without them the v2 nets played 240 bpm note for note like 120 bpm
  (humans play ~8.9 notes a bar below 140 bpm, ~5.1 at 200 and up) and had no idea where
  a phrase of the form starts or ends.
* ``POS_k``: k = tick in the bar, 12 ticks per beat, 0..47. Positions strictly increase
  inside a bar. A position carries a chord change, a note, or both.
* Every position is written with its harmony, ``TO_b NEXT_<chord> CHORD_<chord>``: beats to
  the next chord change, the next chord (look-ahead harmony, as in BebopNet) and the
  sounding chord, last so that the net's input at the step that picks the pitch is the
  harmony itself (v1 stated the chord once a bar and its nets put chance-level mass on
  chord tones). The chord is written at position 0 of every bar and at every change inside
  a bar, even where no note starts (``encoding.chord_events``, shared with the grammar).
  ``chords=False`` writes ``TO_8 NEXT_NC CHORD_NC`` in all those places: the
  "chord-blind twin", same grammar and length, no harmony.
* ``PITCH_p`` (36..96) then ``DUR_d`` (ticks from DURATIONS). Notes outside the pitch
  range are moved by whole octaves into it (the pitch class survives). Durations snap to
  the nearest allowed value, then shrink, if needed, so a note ends before the next
  onset: a solo line stays monophonic and decoding never has to guess.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right

from .chords import NO_CHORD, QUALITIES, Chord, chord_from_token
from .form import FORM_TOKENS, TEMPO_TOKENS, TO_TOKENS, Harmony, bar_forms, next_token, tempo_token
from .types import TICKS_PER_BEAT, ChordSpan, Note, Solo, chord_at, make_monophonic, merge_spans

ENCODING = "jazz-remi-v3"
# Context tokens the decoder reads past (they describe the chart, not the line).
CONTEXT_PREFIXES = ("TEMPO_", "FORM_", "TO_", "NEXT_")
BEATS_PER_BAR = 4
TICKS_PER_BAR = BEATS_PER_BAR * TICKS_PER_BEAT
PITCH_LOW, PITCH_HIGH = 36, 96
# Every tick up to a beat (articulation of short notes matters), then the common longer
# values: dotted/triplet eighths and quarters, halves, up to two bars.
DURATIONS = tuple(range(1, 13)) + (14, 15, 16, 18, 20, 21, 24, 27, 30, 33, 36, 42, 48, 54,
                                    60, 72, 84, 96)

BAR = "BAR"


def jazz_vocab_tokens() -> list[str]:
    """The full, fixed event vocabulary, in a fixed order (without ``<end>``/``<unk>``)."""
    chords = [NO_CHORD] + [Chord(root, q) for root in range(12) for q in QUALITIES]
    return ([BAR] + list(TEMPO_TOKENS) + list(FORM_TOKENS)
            + [f"POS_{k}" for k in range(TICKS_PER_BAR)] + list(TO_TOKENS)
            + [c.token for c in chords] + [next_token(c) for c in chords]
            + [f"PITCH_{p}" for p in range(PITCH_LOW, PITCH_HIGH + 1)]
            + [f"DUR_{d}" for d in DURATIONS])


def fold_pitch(pitch: int) -> int:
    """Move a pitch by whole octaves into PITCH_LOW..PITCH_HIGH."""
    while pitch < PITCH_LOW:
        pitch += 12
    while pitch > PITCH_HIGH:
        pitch -= 12
    return pitch


# Lookup tables (quantising runs once per note of a 170k-note corpus every epoch).
_NEAREST = [min(DURATIONS, key=lambda d: (abs(d - t), d)) for t in range(DURATIONS[-1] + 1)]
_FLOOR = [max((d for d in DURATIONS if d <= t), default=DURATIONS[0])
          for t in range(DURATIONS[-1] + 1)]


def quantize_duration(ticks: int, limit: int | None = None) -> int:
    """The nearest allowed duration (ties go short), no longer than ``limit`` if given."""
    best = _NEAREST[max(0, min(ticks, DURATIONS[-1]))]
    if limit is not None and best > limit:
        best = _FLOOR[max(0, min(limit, DURATIONS[-1]))]
    return best


def chord_events(spans: list[ChordSpan], bars: int, chords: bool = True) -> dict[int, Chord]:
    """tick -> chord token to write there: every bar start, plus changes inside bars.

    The encoder and the generation grammar both use this, so a chart forces exactly the
    chord tokens the model saw in training.
    """
    events: dict[int, Chord] = {}
    at = chord_lookup(spans)
    for bar in range(bars):
        events[bar * TICKS_PER_BAR] = at(bar * TICKS_PER_BAR) if chords else NO_CHORD
    if chords:
        previous = None
        for span in sorted(spans, key=lambda s: s.start):
            if (span.start % TICKS_PER_BAR and span.chord != previous
                    and 0 <= span.start < bars * TICKS_PER_BAR):
                events[span.start] = span.chord
            previous = span.chord
    return events


def chord_lookup(spans: list[ChordSpan]):
    """``chord_at(spans, tick)`` as a function, by binary search when the spans do not
    overlap (every reader's and chart's spans): a long solo asks once per bar and note."""
    ordered = sorted(spans, key=lambda s: s.start)
    if any(a.end > b.start for a, b in zip(ordered, ordered[1:])):
        return lambda tick: chord_at(spans, tick)
    begins = [s.start for s in ordered]

    def at(tick: int) -> Chord:
        i = bisect_right(begins, tick) - 1
        return ordered[i].chord if i >= 0 and ordered[i].end > tick else NO_CHORD
    return at


def encode_solo(solo: Solo, chords: bool = True, bars: int | None = None) -> list[str]:
    """Tokens for a solo (no ``<end>``). ValueError for a metre longer than 4 beats.

    ``bars`` cuts or pads the solo to that many bars; chord spans past the end still count
    as look-ahead (a primer sees the chart's first chord coming)."""
    if solo.ticks_per_beat != TICKS_PER_BEAT:
        raise ValueError(f"{solo.title}: expected {TICKS_PER_BEAT} ticks per beat")
    if solo.beats_per_bar > BEATS_PER_BAR:
        raise ValueError(f"{solo.title}: {solo.beats_per_bar}/4 does not fit the 4/4 encoding")
    # A shorter metre (3/4) is written into 4/4 bars tick for tick; callers that train
    # on a corpus keep 4/4 solos only (see jazz_data), so bar lines stay musical.
    if bars is None:
        bars = max(1, -(-max(solo.end_tick, 1) // TICKS_PER_BAR))
    end = bars * TICKS_PER_BAR
    notes = [n for n in make_monophonic(solo.notes) if n.start < end]
    events = chord_events(solo.chords, bars, chords)
    harmony = Harmony(solo.chords, max([end] + [s.end for s in solo.chords]))
    forms = bar_forms(solo.chorus_starts, bars)
    tempo = tempo_token(solo.tempo)
    note_at = {n.start: n for n in notes}
    starts = sorted(note_at)
    next_start = {s: (starts[i + 1] if i + 1 < len(starts) else end)
                  for i, s in enumerate(starts)}
    by_bar: dict[int, set[int]] = {}   # ticks with an event, per bar (one pass, not bars x events)
    for t in [*events, *starts]:
        by_bar.setdefault(t // TICKS_PER_BAR, set()).add(t)
    tokens: list[str] = []
    for bar in range(bars):
        lo = bar * TICKS_PER_BAR
        tokens += [BAR, tempo, FORM_TOKENS[forms[bar]]]
        ticks = sorted(by_bar.get(bar, ()))
        for tick in ticks:
            tokens.append(f"POS_{tick - lo}")
            tokens += harmony.tokens(tick, chords)
            note = note_at.get(tick)
            if note is not None:
                tokens.append(f"PITCH_{fold_pitch(note.pitch)}")
                tokens.append(f"DUR_{quantize_duration(note.duration, next_start[tick] - tick)}")
    return tokens


def decode_tokens(tokens, tempo: float = 120.0, title: str = "take",
                  velocity: int = 90) -> Solo:
    """A Solo from event tokens. Lenient: stray or unknown tokens are skipped, so a
    partial stream (a take stopped early) still decodes; ``<end>`` after a bar ends it."""
    bar = -1
    pos = 0
    pitch = None
    notes: list[Note] = []
    changes: list[tuple[int, Chord]] = []
    chorus_starts: list[int] = []
    for tok in tokens:
        if tok == "<end>":
            if bar >= 0:
                break
            continue
        if tok == BAR:
            bar, pos, pitch = bar + 1, 0, None
        elif bar < 0:
            continue
        elif tok == "FORM_0":
            chorus_starts.append(bar)     # a chorus starts here (tempo is a bucket: not read)
        elif tok.startswith(CONTEXT_PREFIXES):
            continue
        elif tok.startswith("POS_"):
            pos, pitch = int(tok[4:]), None
        elif tok.startswith("CHORD_"):
            changes.append((bar * TICKS_PER_BAR + pos, chord_from_token(tok)))
        elif tok.startswith("PITCH_"):
            pitch = int(tok[6:])
        elif tok.startswith("DUR_") and pitch is not None:
            notes.append(Note(bar * TICKS_PER_BAR + pos, int(tok[4:]), pitch, velocity))
            pitch = None
    end = (bar + 1) * TICKS_PER_BAR
    spans = []
    for i, (start, chord) in enumerate(changes):
        stop = changes[i + 1][0] if i + 1 < len(changes) else end
        if stop > start:
            spans.append(ChordSpan(start, stop, chord))
    return Solo(title, notes, merge_spans(spans), beats_per_bar=BEATS_PER_BAR, tempo=tempo,
                chorus_starts=chorus_starts)


def transpose_solo(solo: Solo, semitones: int) -> Solo:
    """Notes and chords moved by ``semitones``; intervals kept exactly (no folding here)."""
    notes = [Note(n.start, n.duration, n.pitch + semitones, n.velocity) for n in solo.notes]
    spans = [ChordSpan(s.start, s.end, s.chord.transposed(semitones)) for s in solo.chords]
    return solo.copy(notes=notes, chords=spans)


def transpose_tokens(tokens: list[str], semitones: int) -> list[str]:
    """Event tokens moved by ``semitones``: pitches (``PITCH_p``) and the chords they sound
    over (``CHORD_``, ``NEXT_``); everything else (bars, positions, durations) kept."""
    if not semitones:
        return list(tokens)
    out = []
    for t in tokens:
        if t.startswith("PITCH_"):
            t = f"PITCH_{int(t[6:]) + semitones}"
        elif t.startswith("CHORD_"):
            t = chord_from_token(t).transposed(semitones).token
        elif t.startswith("NEXT_"):
            t = next_token(chord_from_token("CHORD_" + t[5:]).transposed(semitones))
        out.append(t)
    return out


def _title_hash(title: str) -> float:
    digest = hashlib.sha1(title.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def split_solos(solos: list[Solo], val_fraction: float = 0.1) -> tuple[list[Solo], list[Solo]]:
    """(train, val): a solo is held out when the hash of its title falls below the fraction.

    The split depends on the title only, so adding a solo never moves another one between
    sides. With at least two solos and a fraction > 0, one solo is always held out.
    """
    val = [s for s in solos if _title_hash(s.title) < val_fraction]
    if not val and val_fraction > 0 and len(solos) >= 2:
        val = [min(solos, key=lambda s: _title_hash(s.title))]
    held = {id(s) for s in val}
    return [s for s in solos if id(s) not in held], val
