"""Continue a take from bar N (Magenta Studio's Continue, a DAW generator's "regenerate").

``continue_takes(ckpt, source, keep_bars, chart_text, settings)`` is the one function the
window (a bar picked in the piano roll, Continue) and the CLI (``sample --primer take.mid
--keep-bars N``) call. The first ``keep_bars`` bars of the source stay note for note; the
rest of the chart is played again:

* the kept bars are written as the model reads them over the chart (``kept_tokens``:
  ``encode_solo`` with the chart's chords, form and the take's tempo; for a take the
  sampler wrote these are its own tokens), up to the ``BAR`` that opens bar N;
* ``generate_takes`` primes the net with them in its one prime pass (after ``<end>`` and
  any primer), so the recurrent state at bar N is the one the take had there, then steps
  with the state carried; nothing is re-run per step;
* ``ChartGrammar.replay`` walks the same tokens, so the grammar starts at bar N: the
  chart's remaining bars, chords and form are forced from there, and a note held over the
  bar line still sounds (the new line starts after it).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .chart import as_chart, check_length
from .encoding import BAR, BEATS_PER_BAR, encode_solo
from .form import chart_chorus_starts
from .generate import JazzSettings, Take, generate_takes, model_plays_chords
from .types import Solo


def kept_tokens(solo: Solo, chart_text: str, settings: JazzSettings, keep_bars: int,
                chords: bool = True) -> list[str]:
    """The tokens of ``solo``'s first ``keep_bars`` bars over the chart, ending with the
    ``BAR`` of the bar after them ([] for none). ValueError unless a bar is left to play."""
    chart = as_chart(chart_text)
    bars = chart.bar_count * settings.choruses
    if not 0 <= keep_bars < bars:
        raise ValueError(f"keep 0 to {bars - 1} bars: the chart has {bars} bars, and at least "
                         f"one is played again (not {keep_bars})")
    if keep_bars == 0:
        return []
    if solo.beats_per_bar != BEATS_PER_BAR:
        raise ValueError(f"{solo.title}: {solo.beats_per_bar}/4, the model plays 4/4")
    context = solo.copy(chords=chart.to_spans(settings.choruses), tempo=settings.tempo,
                        chorus_starts=chart_chorus_starts(chart.bar_count, settings.choruses))
    # the whole take is written (a note's length is cut only by the note after it), then cut
    tokens = encode_solo(context, chords=chords, bars=bars)
    opens = [i for i, t in enumerate(tokens) if t == BAR]
    return tokens[:opens[keep_bars] + 1]


def read_take(path, lead: str | None = None) -> Solo:
    """A take from a MIDI file: its lead part on the 12-per-beat grid. A file this app
    wrote carries the take's score (``midi_file.score_notes``: before swing and human
    timing); while the lead still plays those pitches in that order (not edited since,
    the solo part picked) the score is the take, note for note; else the notes as played."""
    import mido

    from studio.music.corpus.midi import read_midi_solo
    from studio.music.notation.midi_file import score_notes

    solo, report = read_midi_solo(Path(path), lead)
    if solo is None:
        raise ValueError(f"{Path(path).name}: {report.message}")
    try:
        score = score_notes(mido.MidiFile(str(path)))
    except (OSError, ValueError, EOFError):
        score = None
    if score is not None and [n.pitch for n in score] == [n.pitch for n in solo.notes]:
        solo = solo.copy(notes=score)
    return solo


def continue_takes(ckpt, source: Solo | Take | str | Path, keep_bars: int, chart_text: str,
                   settings: JazzSettings, should_stop=None, on_step=None,
                   lead: str | None = None) -> list[Take]:
    """``settings.count`` takes that keep ``source``'s first ``keep_bars`` bars note for
    note and play the rest of the chart again (the same seed, the same takes). ``source``:
    a Take, a Solo or a MIDI file (``lead`` picks its part). ``settings.primer`` still
    primes before the kept bars (the take's own primer, when it had one)."""
    settings.validate()
    chart = as_chart(chart_text)
    check_length(chart, settings.choruses)
    if isinstance(source, Take):
        solo = source.solo
    elif isinstance(source, Solo):
        solo = source
    else:
        solo = read_take(source, lead)
    kept = kept_tokens(solo, chart.text, settings, keep_bars, model_plays_chords(ckpt.meta or {}))
    takes = generate_takes(ckpt, chart.text, settings, should_stop, on_step, kept=kept)
    for take in takes:
        take.info["kept_bars"] = keep_bars
    return takes


def continue_solo(ckpt, source, keep_bars: int, chart_text: str, settings: JazzSettings,
                  should_stop=None, on_step=None) -> Take:
    """One continued take (``settings.count`` is treated as 1)."""
    return continue_takes(ckpt, source, keep_bars, chart_text, replace(settings, count=1),
                          should_stop, on_step)[0]
