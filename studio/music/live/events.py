"""Timed MIDI messages for live play: the take's performance, as the MIDI file has it.

The file is the score, live is the performance: ``performance.perform(take, feel)`` is
one deterministic function of (score, feel, seed) that the MIDI export writes and the
synth plays; live play sends the very same note events (``performance_events``: solo,
comping and bass on channels 1-3), after the programs the file sets. So a seeded take
sent live is the file that ``sample --out`` writes, message for message and time for
time, and whatever changes in the feel or the band flows into live play unchanged.
A count-in goes on channel 10, before the form.

Times here are *song seconds*: 0 is the first downbeat of the form; the count-in sits
at negative times. The engine adds its start instant. ``midi_file_events`` reads any
MIDI file the same way (absolute times from its ticks and tempo map), which is how the
tests compare a live take with the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mido

from studio.music.chart import Chart
from studio.music.types import TICKS_PER_BEAT, Solo

DRUM_CHANNEL = 9                  # channel 10 (GM percussion)
HI_WOOD_BLOCK, LOW_WOOD_BLOCK = 76, 77


@dataclass(frozen=True, order=True)
class TimedMessage:
    time: float                                  # song seconds
    order: int                                   # the file's order among equal times
    message: mido.Message = field(compare=False)

    def shifted(self, seconds: float, order_base: int = 0) -> "TimedMessage":
        return TimedMessage(self.time + seconds, self.order + order_base, self.message)


def midi_file_events(mid: mido.MidiFile) -> list[TimedMessage]:
    """Every channel message of a MidiFile (all tracks merged in the file's own order)
    with its absolute time in seconds, from exact ticks and the tempo map (no summing of
    rounded deltas, so a long take does not drift)."""
    tempo = 500000                       # MIDI default: 120 bpm
    seconds_at_change, tick_at_change = 0.0, 0
    tick = 0
    out: list[TimedMessage] = []
    for i, msg in enumerate(mido.merge_tracks(mid.tracks)):
        tick += msg.time
        now = seconds_at_change + (tick - tick_at_change) * tempo / (mid.ticks_per_beat * 1e6)
        if msg.type == "set_tempo":
            seconds_at_change, tick_at_change, tempo = now, tick, msg.tempo
        elif not msg.is_meta:
            out.append(TimedMessage(now, i, msg.copy(time=0)))
    return out


def _programs(parts: dict[str, int | None]) -> list[TimedMessage]:
    from studio.music.perform.performance import CHANNELS

    return [TimedMessage(0.0, -len(parts) + i, mido.Message(
        "program_change", channel=CHANNELS[part], program=program))
        for i, (part, program) in enumerate(parts.items()) if program is not None]


def _note_messages(events) -> list[TimedMessage]:
    return [TimedMessage(e.time, i, mido.Message(e.kind, channel=e.channel, note=e.pitch,
                                                 velocity=e.velocity))
            for i, e in enumerate(events)]


def take_events(take_or_solo, program: int = 66, comping: bool = True, bass: bool = True,
                comp_program: int = 0, bass_program: int = 32, feel=None) -> list[TimedMessage]:
    """The live messages of a take: the programs ``solo_to_midi`` sets, then every note
    event of ``perform(take, feel, comping, bass)`` (the same options, the same file)."""
    from studio.music.perform.performance import performance_events

    parts = {"solo": program, "comping": comp_program if comping else None,
             "bass": bass_program if bass else None}
    return _programs(parts) + _note_messages(performance_events(take_or_solo, feel, comping, bass))


def band_events(chart: Chart, tempo: float, comping: bool = True, bass: bool = True,
                comp_program: int | None = 0, bass_program: int | None = 32,
                feel=None) -> list[TimedMessage]:
    """Comping and bass (no solo) for one pass through ``chart``: the performance's own
    band, as trading plays it under the player and the model."""
    from studio.music.perform.performance import performance_events

    solo = Solo("band", [], chart.to_spans(1), tempo=tempo)
    parts = {"comping": comp_program if comping else None, "bass": bass_program if bass else None}
    return _programs(parts) + _note_messages(performance_events(solo, feel, comping, bass))


def count_in_events(bars: int, tempo: float, beats_per_bar: int = 4) -> list[TimedMessage]:
    """Wood-block clicks on channel 10 for ``bars`` bars ending at song time 0 (the high
    block on each downbeat)."""
    beat = 60.0 / tempo
    start = -bars * beats_per_bar * beat
    out = []
    for k in range(bars * beats_per_bar):
        t = start + k * beat
        down = k % beats_per_bar == 0
        note = HI_WOOD_BLOCK if down else LOW_WOOD_BLOCK
        vel = 100 if down else 80
        out.append(TimedMessage(t, 2 * k, mido.Message("note_on", channel=DRUM_CHANNEL,
                                                         note=note, velocity=vel)))
        out.append(TimedMessage(t + beat / 4, 2 * k + 1, mido.Message(
            "note_off", channel=DRUM_CHANNEL, note=note, velocity=0)))
    return out


def bar_seconds(tempo: float, beats_per_bar: int = 4) -> float:
    return beats_per_bar * 60.0 / tempo


def chart_slice(chart: Chart, first_bar: int, bars: int) -> Chart:
    """Bars ``first_bar .. first_bar + bars - 1`` of the chart played round and round,
    as a chart of their own (the text spells the same chords)."""
    n = chart.bar_count
    picked = tuple(chart.bars[(first_bar + i) % n] for i in range(bars))
    text = "| " + " | ".join(" ".join(ch.name for _, ch in bar) for bar in picked) + " |"
    return Chart(text, picked)


def ticks_to_seconds(ticks: int, tempo: float) -> float:
    return ticks * 60.0 / tempo / TICKS_PER_BEAT
