"""Chord charts as people type them: ``| Dm7 | G7 | Cmaj7 | % |``.

* ``|`` separates bars; newlines are just whitespace.
* ``%`` repeats the previous bar.
* Several chords in one 4/4 bar share it: two take two beats each, three take 2+1+1
  beats, four take a beat each.
* ``|: ... :|`` plays the enclosed bars twice.
* Chords are anything ``parse_chord`` reads (Jazzomat or lead-sheet spellings, ``NC``).
* At most ``MAX_CHART_BARS`` bars, repeats played out: the bound MIDI files have
  (``corpus/limits.MAX_BARS``), so a take over a chart can always be read back as a primer.

Errors say where: "bar 3: unknown chord symbol 'Xm7'".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chords import Chord, parse_chord
from .types import TICKS_PER_BEAT, ChordSpan, merge_spans

BEATS_PER_BAR = 4
TICKS_PER_BAR = BEATS_PER_BAR * TICKS_PER_BEAT
# beats each chord gets when a bar holds n chords
_SPLITS = {1: (4,), 2: (2, 2), 3: (2, 1, 1), 4: (1, 1, 1, 1)}
# Equal to corpus/limits.MAX_BARS (a test holds them together; this layer may not import
# corpus). A 100,000-bar chart (1.2 MB of text) was accepted: hours of generation.
MAX_CHART_BARS = 2_000


class ChartError(ValueError):
    """A chart that cannot be read; the message names the bar and the symbol."""


@dataclass(frozen=True)
class Chart:
    text: str
    bars: tuple[tuple[tuple[int, Chord], ...], ...]   # per bar: (tick offset in bar, chord)

    @property
    def bar_count(self) -> int:
        return len(self.bars)

    def to_spans(self, choruses: int = 1) -> list[ChordSpan]:
        spans = []
        for chorus in range(max(1, choruses)):
            for b, bar in enumerate(self.bars):
                base = (chorus * len(self.bars) + b) * TICKS_PER_BAR
                for i, (offset, chord) in enumerate(bar):
                    end = bar[i + 1][0] if i + 1 < len(bar) else TICKS_PER_BAR
                    spans.append(ChordSpan(base + offset, base + end, chord))
        return merge_spans(spans)


def parse_chart(text: str) -> Chart:
    """Parse chart text; ChartError names the bar (1-based, as written) and the symbol."""
    cells = text.replace("\n", " ").replace("\r", " ").split("|")
    bars: list[tuple[tuple[int, Chord], ...]] = []
    repeat_from: int | None = None
    written = 0
    for cell in cells:
        body = cell.strip()
        starts_repeat = body.startswith(":")
        ends_repeat = body.endswith(":")
        body = body.strip(":").strip()
        if starts_repeat:
            if repeat_from is not None:
                raise ChartError(f"bar {written + 1}: a repeat opens inside another repeat")
            repeat_from = len(bars)
        if body:
            written += 1
            bars.append(_parse_bar(body, written, bars))
        if ends_repeat:
            if repeat_from is None:
                raise ChartError(f"bar {written}: ':|' without a matching '|:'")
            bars.extend(bars[repeat_from:])
            repeat_from = None
        if len(bars) > MAX_CHART_BARS:  # checked as it grows: a huge chart stops here, early
            raise ChartError(f"the chart has more than {MAX_CHART_BARS:,} bars (repeats played "
                             f"out; the bound a MIDI file has): {_SPLIT_HINT}")
    if repeat_from is not None:
        raise ChartError("a '|:' repeat is never closed with ':|'")
    if not bars:
        raise ChartError("the chart has no bars (write e.g. | Dm7 | G7 | Cmaj7 | % |)")
    return Chart(text, tuple(bars))


def chart_notes(text: str) -> list[str]:
    """What a person should know about how a playable chart was read (not errors): a chart
    typed without bar lines, ``Dm7 G7 Cmaj7 A7``, is one bar of four chords, which is
    rarely what was meant (issue 25: it was read so without a word)."""
    if "|" in text:
        return []
    chords = text.split()
    if len(chords) < 2:
        return []
    return [f"no bar lines, so this is one bar of {len(chords)} chords; for one chord a bar "
            f"write | {' | '.join(chords)} |"]


def _parse_bar(body: str, number: int, bars: list) -> tuple[tuple[int, Chord], ...]:
    symbols = [s for s in body.split() if s != "4/4"]   # a 4/4 marking changes nothing
    metre = next((s for s in symbols if re.fullmatch(r"\d+/\d+", s)), None)
    if metre is not None:  # 3/4 etc.: laid out as 4/4 it would be wrong without a word
        raise ChartError(f"bar {number}: time signature {metre}: charts are 4/4 only (the jazz "
                         "encoding is 4/4); write the tune in 4/4 bars")
    if not symbols:
        raise ChartError(f"bar {number}: no chord (a bar needs a chord, '%' or NC)")
    if symbols == ["%"]:
        if not bars:
            raise ChartError(f"bar {number}: '%' has no previous bar to repeat")
        return bars[-1]
    if len(symbols) not in _SPLITS:
        raise ChartError(f"bar {number}: {len(symbols)} chords in one bar (at most 4)")
    out = []
    offset = 0
    for symbol, beats in zip(symbols, _SPLITS[len(symbols)]):
        if symbol == "%":
            raise ChartError(f"bar {number}: '%' must stand alone in its bar")
        try:
            chord = parse_chord(symbol)
        except ValueError:
            raise ChartError(f"bar {number}: unknown chord symbol {symbol!r}") from None
        out.append((offset, chord))
        offset += beats * TICKS_PER_BEAT
    return tuple(out)


_SPLIT_HINT = "split a longer piece into several takes"


def check_length(chart: Chart, choruses: int = 1) -> None:
    """ChartError when ``choruses`` times through ``chart`` exceed ``MAX_CHART_BARS`` bars."""
    total = chart.bar_count * max(1, choruses)
    if total > MAX_CHART_BARS:
        raise ChartError(f"{choruses} choruses of {chart.bar_count:,} bars make {total:,} bars; "
                         f"at most {MAX_CHART_BARS:,} are allowed (the bound a MIDI file has): "
                         f"{_SPLIT_HINT}")


def as_chart(chart: str | Chart) -> Chart:
    return chart if isinstance(chart, Chart) else parse_chart(chart)


def chart_to_spans(chart: str | Chart, choruses: int = 1) -> list[ChordSpan]:
    """Chord spans (ticks, 12 per beat) for ``choruses`` times through the chart."""
    return as_chart(chart).to_spans(choruses)


def chart_bar_count(chart: str | Chart, choruses: int = 1) -> int:
    return as_chart(chart).bar_count * max(1, choruses)


PRESETS: dict[str, str] = {
    "Bb blues": (
        "| Bb7 | Eb7 | Bb7 | Fm7 Bb7 |\n"
        "| Eb7 | Edim7 | Bb7 | G7 |\n"
        "| Cm7 | F7 | Bb7 G7 | Cm7 F7 |"),
    "F blues": (
        "| F7 | Bb7 | F7 | Cm7 F7 |\n"
        "| Bb7 | Bdim7 | F7 | D7 |\n"
        "| Gm7 | C7 | F7 D7 | Gm7 C7 |"),
    # AABA: the first A ends on the turnaround, the second resolves to the tonic.
    "Rhythm changes (Bb)": (
        "| Bb6 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Eb7 Edim7 | Dm7 G7 | Cm7 F7 |\n"
        "| Bb6 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Eb7 Edim7 | Cm7 F7 | Bb6 |\n"
        "| D7 | % | G7 | % | C7 | % | F7 | % |\n"
        "| Bb6 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Eb7 Edim7 | Cm7 F7 | Bb6 |"),
    # major ii-V-I down in whole steps: C, Bb, Ab, Gb, E, D
    "ii-V-I cycle": (
        "| Dm7 | G7 | Cmaj7 | % |\n| Cm7 | F7 | Bbmaj7 | % |\n"
        "| Bbm7 | Eb7 | Abmaj7 | % |\n| Abm7 | Db7 | Gbmaj7 | % |\n"
        "| F#m7 | B7 | Emaj7 | % |\n| Em7 | A7 | Dmaj7 | % |"),
    "Modal vamp (D dorian)": "| Dm7 | % | % | % |\n| Dm7 | % | % | % |",
}
