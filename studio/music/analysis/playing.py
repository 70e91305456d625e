"""How a line is played: articulation, the line's own eighth pairs, dynamics (issue 22).

``jazz-report``'s played figures, for a model's takes as the renderer plays them
(``rendered_playing``) and for human solos or a folder of takes as they were played
(``measured_playing``: WJazzD's seconds and its MIDI files' velocities, or a MIDI file's
own ticks and velocities):

* ``detached_share``: notes held under 60% of the interval to the next onset, where that
  follows within two beats (``corpus.swing`` hold ratios; the players: 8-14% by tempo).
* ``pair_ratio``: the line's own eighth pairs (downbeat eighth, offbeat, next beat),
  pooled per tempo band as ``swing.pair_ratio`` (the players: 1.06-1.18). Needs the beat's
  division: WJazzD's annotation or the renderer's; a MIDI file has none (n/a).
* ``velocity_pitch_correlation``: per solo, the correlation of velocity with pitch; the
  median over solos (the players' WJazzD files: 0.32).
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from studio.music.analysis.phrasing import TEMPO_BANDS, tempo_band
from studio.music.corpus.swing import HOLD_MAX_IOI, detached_share, pair_ratio


@dataclass
class Playing:
    holds: list[float] = field(default_factory=list)
    pairs: list[float] = field(default_factory=list)
    pitches: list[int] = field(default_factory=list)
    velocities: list[int] = field(default_factory=list)


def velocity_pitch_correlation(playing: Playing) -> float | None:
    """Pearson correlation of a line's velocities with its pitches (None: too few notes or
    either constant)."""
    if len(playing.pitches) < 8 or len(set(playing.pitches)) < 2 or len(set(playing.velocities)) < 2:
        return None
    return statistics.correlation(playing.pitches, playing.velocities)


def rendered_playing(solo) -> Playing:
    """A take as the renderer plays it at the default feel (the solo line alone)."""
    from studio.music.corpus.swing import performance_eighth_pair_fractions, performance_hold_ratios
    from studio.music.perform.performance import perform

    perf = perform(solo, comping=False, bass=False)
    line = perf.part("solo")
    return Playing(performance_hold_ratios(perf), performance_eighth_pair_fractions(perf),
                   [n.pitch for n in line], [n.velocity for n in line])


def _file_playing(notes) -> Playing:
    """From (start, end in beats, pitch, velocity) of a MIDI file's lead part."""
    holds = [(a[1] - a[0]) / (b[0] - a[0]) for a, b in zip(notes, notes[1:])
             if 0 < b[0] - a[0] < HOLD_MAX_IOI]
    return Playing(holds, [], [n[2] for n in notes], [n[3] for n in notes])


def measured_playing(folder):
    """Title -> ``Playing`` of a folder's solos as they were played: WJazzD's timing (holds,
    pairs) and its MIDI files' velocities (index.csv), or each MIDI file's own notes."""
    from studio.music.corpus.midi import midi_files, midi_played_notes
    from studio.music.corpus.swing import load_corpus_timing
    from studio.music.corpus.wjazzd import is_wjazzd_folder

    folder = Path(folder)
    out: dict[str, Playing] = {}
    if is_wjazzd_folder(folder):
        files = {}
        if (folder / "index.csv").is_file():
            with open(folder / "index.csv", newline="", encoding="utf-8") as fh:
                files = {r.get("solo"): r.get("midi_file") for r in csv.DictReader(fh)}
        for timing in load_corpus_timing(folder):
            played = Playing(timing.hold_ratios(), timing.eighth_pair_fractions())
            name = files.get(timing.title)
            notes = midi_played_notes(folder / "midi" / name) if name else None
            if notes:
                played.pitches, played.velocities = [n[2] for n in notes], [n[3] for n in notes]
            out[timing.title] = played
    else:
        for path in midi_files(folder):
            notes = midi_played_notes(path)
            if notes:
                out[path.stem] = _file_playing(notes)
    return lambda solo: out.get(solo.title)


def playing_figures(solos, playing) -> dict:
    """The played figures of a set of solos; ``playing``: Solo -> Playing (or None)."""
    holds: list[float] = []
    pairs: dict[str, list[float]] = {band: [] for band in TEMPO_BANDS}
    correlations = []
    for solo in solos:
        played = playing(solo)
        if played is None:
            continue
        holds.extend(played.holds)
        pairs[tempo_band(solo.tempo)].extend(played.pairs)
        r = velocity_pitch_correlation(played)
        if r is not None:
            correlations.append(r)
    share = detached_share(holds)
    return {"detached_share": None if share is None else round(share, 4),
            "pair_ratio": {band: (round(r, 3) if (r := pair_ratio(v)) is not None else None)
                           for band, v in pairs.items()},
            "velocity_pitch_correlation": round(statistics.median(correlations), 3)
            if correlations else None}
