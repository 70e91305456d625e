"""Swing and micro-timing as measured: WJazzD's played onsets against its beat grid.

WJazzD annotates every note twice: metrically (bar, beat, tatum of ``division`` per beat),
which the loader turns into the grid the model learns, and in seconds of the recording.
Its beats file gives the band's beat onsets in the same seconds. So for every note we know
where it *should* be (tatum ``t`` of ``d``) and where it *was* played: ``position`` =
(onset - beat onset) / (next beat onset - beat onset), a fraction of the beat.

An **offbeat eighth** is a note on tatum 2 of a beat divided in two (WJazzD ``division``
2, ``tatum`` 2; in our grid tick 6 of a beat whose onsets are only on ticks 0 and 6). Its
**swing ratio** is p / (1 - p) for p the median position of such notes: 1.0 is straight,
2.0 is the triplet feel, WJazzD as a whole sits at about 1.38 (p = 0.58). The same
definition measures rendered performances (``performance_offbeat_positions``), so corpus
and renderer are compared with one ruler.

**Articulation**: a note's hold ratio is its sounding duration over the interval to the
next onset (1.0 legato, 0.5 detached). It is measured where the next note follows within
``HOLD_MAX_IOI`` beats (a longer gap is a breath, not articulation), in the corpus from
WJazzD's seconds and in a performance from its ticks (``performance_hold_ratios``).
**Eighth pairs**: a downbeat eighth, its offbeat eighth and the next beat's first onset;
the pair's ratio is the long note's IOI over the short one's, the line's own swing
(``eighth_pair_fractions``; ``performance_eighth_pair_fractions``), measured besides the
offbeat's position against the band's beat.

``python -m studio.music.corpus.swing FOLDER`` prints the table by tempo bucket;
``--table`` writes perform/feel_table.py, ``--holds`` perform/hold_table.py.
"""

from __future__ import annotations

import csv
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from studio.music.tempo import TEMPO_EDGES, bucket_labels, tempo_bucket


@dataclass(frozen=True)
class PlayedNote:
    division: int        # tatums in this beat (WJazzD's annotation)
    tatum: int           # 1-based tatum the note is annotated on
    position: float      # where it was played: fraction of the beat after the band's beat onset
    beat: int = 0        # which beat of the solo (index into the beats file)
    onset: float = 0.0   # seconds in the recording
    hold: float | None = None   # duration / IOI to the next note (None: last, or a gap)


@dataclass
class SoloTiming:
    title: str
    tempo: float                         # bpm (median beat duration of the melody rows)
    notes: list[PlayedNote] = field(default_factory=list)

    def offbeat_eighths(self) -> list[float]:
        return [n.position for n in self.notes if n.division == 2 and n.tatum == 2]

    def hold_ratios(self) -> list[float]:
        return [n.hold for n in self.notes if n.hold is not None]

    def eighth_pair_fractions(self) -> list[float]:
        """Per eighth pair, (offbeat - downbeat) / (next beat's onset - downbeat), played."""
        keyed = [(n.beat, n.division, n.tatum, n.onset) for n in self.notes]
        return eighth_pair_fractions(keyed)

    @property
    def swing_ratio(self) -> float | None:
        return swing_ratio(self.offbeat_eighths())


def swing_ratio(positions: Iterable[float]) -> float | None:
    """p / (1 - p) for p the median played position of offbeat eighths (None if none)."""
    values = [p for p in positions if 0.0 < p < 1.0]
    if not values:
        return None
    p = statistics.median(values)
    return p / (1.0 - p)


HOLD_MAX_IOI = 2.0      # beats: a next onset further away follows a breath, not a held note


def pair_ratio(fractions: Iterable[float]) -> float | None:
    """The eighth pairs' swing ratio: f / (1 - f) for f the median pair fraction."""
    return swing_ratio(fractions)


def eighth_pair_fractions(notes: list[tuple[int, int, int, float]]) -> list[float]:
    """``notes`` (beat, division, tatum, onset) in order: for each downbeat eighth (2, 1)
    followed by its offbeat (2, 2) in the same beat and then a note on the next beat's
    tatum 1, the offbeat's place between the two downbeats (0.5 = straight)."""
    out = []
    for (b0, d0, t0, x0), (b1, d1, t1, x1), (b2, _, t2, x2) in zip(notes, notes[1:], notes[2:]):
        if (d0, t0) == (2, 1) and b1 == b0 and (d1, t1) == (2, 2) and b2 == b0 + 1 and t2 == 1 \
                and x2 > x0:
            f = (x1 - x0) / (x2 - x0)
            if 0.0 < f < 1.0:
                out.append(f)
    return out


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_solo_timing(melody_csv, beats_csv, title: str | None = None) -> SoloTiming:
    """One solo's played positions. ValueError names a file whose columns are missing or bad.

    Notes whose beat has no annotated successor (the last beat), beats of zero length and
    positions outside (-0.5, 1.5) of the beat (annotation slips) are left out.
    """
    melody_csv, beats_csv = Path(melody_csv), Path(beats_csv)
    title = title or melody_csv.stem.removesuffix("_Solo")
    try:
        beats = [(int(r["bar"]), int(r["beat"]), float(r["onset"])) for r in _rows(beats_csv)]
        melody = [(int(r["bar"]), int(r["beat"]), int(r["division"]), int(r["tatum"]),
                   float(r["onset"]), float(r["beatdur"]), float(r["duration"]))
                  for r in _rows(melody_csv)]
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{title}: unreadable row or missing column ({exc})") from None
    index = {(bar, beat): i for i, (bar, beat, _) in enumerate(beats)}
    durations = sorted(m[5] for m in melody if m[5] > 0)
    tempo = 60.0 / durations[len(durations) // 2] if durations else 120.0
    beat_s = 60.0 / tempo
    notes = []
    for k, (bar, beat, division, tatum, onset, _, duration) in enumerate(melody):
        i = index.get((bar, beat))
        if i is None or i + 1 >= len(beats) or division < 1:
            continue
        t0, t1 = beats[i][2], beats[i + 1][2]
        if t1 <= t0:
            continue
        position = (onset - t0) / (t1 - t0)
        ioi = melody[k + 1][4] - onset if k + 1 < len(melody) else 0.0
        hold = duration / ioi if 0 < ioi < HOLD_MAX_IOI * beat_s and duration > 0 else None
        if -0.5 < position < 1.5:
            notes.append(PlayedNote(division, tatum, position, i, onset, hold))
    return SoloTiming(title, round(tempo, 2), notes)


def load_corpus_timing(folder, limit: int | None = None) -> list[SoloTiming]:
    """Every readable solo of a WJazzD folder (index.csv or csv_melody/ + csv_beats/).
    Unreadable pairs are skipped: this is a measurement, the corpus report lists them."""
    from studio.music.corpus.wjazzd import solo_files
    out = []
    for title, melody, beats in solo_files(Path(folder))[:limit]:
        try:
            out.append(read_solo_timing(melody, beats, title))
        except (ValueError, OSError, UnicodeDecodeError):
            continue
    return out


def swing_by_tempo(items: Iterable[tuple[float, list[float]]],
                   edges: tuple[int, ...] = TEMPO_EDGES) -> dict[str, dict]:
    """Pool offbeat-eighth positions by tempo bucket: ``items`` are (tempo, positions) per
    solo or take. Returns {label: {ratio, position, offbeats, pieces}} for every bucket
    (ratio and position None where a bucket is empty), in tempo order."""
    pooled: dict[int, list[float]] = {}
    pieces: dict[int, int] = {}
    for tempo, positions in items:
        b = tempo_bucket(tempo, edges)
        pooled.setdefault(b, []).extend(positions)
        pieces[b] = pieces.get(b, 0) + 1
    out = {}
    for b, label in enumerate(bucket_labels(edges)):
        values = pooled.get(b, [])
        p = statistics.median(values) if values else None
        out[label] = {"ratio": None if p is None else round(p / (1 - p), 3),
                      "position": None if p is None else round(p, 4),
                      "offbeats": len(values), "pieces": pieces.get(b, 0)}
    return out


def corpus_swing_by_tempo(folder, edges: tuple[int, ...] = TEMPO_EDGES,
                          limit: int | None = None) -> dict[str, dict]:
    """Swing ratio of a WJazzD folder's offbeat eighths by tempo bucket, plus "all"."""
    timings = load_corpus_timing(folder, limit)
    table = swing_by_tempo(((t.tempo, t.offbeat_eighths()) for t in timings), edges)
    everything = [p for t in timings for p in t.offbeat_eighths()]
    ratio = swing_ratio(everything)
    table["all"] = {"ratio": None if ratio is None else round(ratio, 3),
                    "position": round(statistics.median(everything), 4) if everything else None,
                    "offbeats": len(everything), "pieces": len(timings)}
    return table


def performance_hold_ratios(performance) -> list[float]:
    """Hold ratios of a rendered solo line (sounding / IOI to the next note, as in the
    corpus: only where the next onset follows within ``HOLD_MAX_IOI`` beats)."""
    line = performance.part("solo")
    limit = HOLD_MAX_IOI * performance.ppq
    return [(a.end - a.start) / (b.start - a.start) for a, b in zip(line, line[1:])
            if 0 < b.start - a.start < limit]


def performance_eighth_pair_fractions(performance) -> list[float]:
    """``eighth_pair_fractions`` of a rendered solo (the renderer marks division and tatum)."""
    return eighth_pair_fractions([(n.beat, n.division, n.tatum, n.start)
                                  for n in performance.part("solo")])


def performance_offbeat_positions(performance) -> list[float]:
    """Played positions (fraction of the beat) of a rendered solo's offbeat eighths: notes
    the score puts on tick 6 of a beat divided in eighths (the renderer marks those)."""
    ppq = performance.ppq
    return [(n.start - n.beat * ppq) / ppq for n in performance.notes
            if n.part == "solo" and n.division == 2 and n.tatum == 2]


# Finding offbeat eighths without WJazzD's annotation (MIDI files: a user's takes, their own
# solos). A beat counts when its one onset in the second half lies in (0.4, 0.7) of the beat
# and every other onset in it sits at its downbeat: from 1/8 beat early to 1/5 beat late
# (soloists lay back; the renderer's strongest swing puts them up to 0.2 behind). Triplet and
# 16th figures put more onsets in the beat or onsets elsewhere. Run over WJazzD's played
# onsets with the annotation hidden, this finds 29,045 offbeats whose ratio by tempo bucket
# (<100 ... >=280) is 1.24 / 1.42 / 1.53 / 1.52 / 1.43 / 1.36 / 1.21 against the annotated
# 1.23 / 1.45 / 1.58 / 1.52 / 1.41 / 1.33 / 1.08: within 0.05 below 280 bpm, 0.13 above.
# The upper bound caps what it can see at a ratio of 2.33 : 1 (a position of 0.7).
OFFBEAT_WINDOW = (0.4, 0.7)
DOWNBEAT_WINDOW = (-0.125, 0.2)


def lone_offbeat_positions(onsets: Iterable[float]) -> list[float]:
    """Positions (fraction of the beat) of the offbeat eighths among onsets given in beats."""
    early, late = DOWNBEAT_WINDOW
    by_beat: dict[int, list[float]] = {}
    for t in onsets:
        beat = math.floor(t - early)
        by_beat.setdefault(beat, []).append(t - beat)
    lo, hi = OFFBEAT_WINDOW
    out = []
    for beat in sorted(by_beat):
        fractions = by_beat[beat]
        offbeats = [f for f in fractions if lo < f < hi]
        downbeats = [f for f in fractions if early <= f <= late]
        if len(offbeats) == 1 and len(offbeats) + len(downbeats) == len(fractions):
            out.append(offbeats[0])
    return out


FEEL_DIVISIONS = (1, 2, 3, 4, 6)
MIN_NOTES = 30          # a (division, tatum) cell with fewer notes in a bucket is left to the grid


def feel_positions(timings: list[SoloTiming], edges: tuple[int, ...] = TEMPO_EDGES
                   ) -> tuple[tuple[float, ...], dict[tuple[int, int], tuple[float | None, ...]]]:
    """The renderer's micro-timing table: per tempo bucket, the median tempo of its solos and
    the median played position of every (division, tatum) with >= MIN_NOTES notes."""
    tempos: dict[int, list[float]] = {}
    cells: dict[tuple[int, int, int], list[float]] = {}
    for t in timings:
        b = tempo_bucket(t.tempo, edges)
        tempos.setdefault(b, []).append(t.tempo)
        for n in t.notes:
            if n.division in FEEL_DIVISIONS:
                cells.setdefault((b, n.division, n.tatum), []).append(n.position)
    buckets = [b for b in range(len(edges) + 1) if b in tempos]
    centres = tuple(round(statistics.median(tempos[b]), 1) for b in buckets)
    table = {}
    for d in FEEL_DIVISIONS:
        for tatum in range(1, d + 1):
            row = []
            for b in buckets:
                values = cells.get((b, d, tatum), [])
                row.append(round(statistics.median(values), 3) if len(values) >= MIN_NOTES else None)
            table[(d, tatum)] = tuple(row)
    return centres, table


def feel_table_source(folder) -> str:
    """Python source of studio/music/perform/feel_table.py, measured from a WJazzD folder."""
    timings = load_corpus_timing(folder)
    centres, table = feel_positions(timings)
    lines = ['"""Micro-timing measured in WJazzD (generated: python -m studio.music.corpus.swing FOLDER --table).',
             "",
             f"{len(timings)} solos. TEMPOS: median tempo (bpm) of the solos in each tempo bucket",
             "(studio.music.tempo). POSITIONS[(division, tatum)]: the median played onset, as a",
             "fraction of the beat after the band's beat, of notes annotated on that tatum, one",
             "value per tempo; None where the bucket has fewer than "
             f"{MIN_NOTES} such notes (the renderer",
             "then uses the nearest tempo that has a value).",
             '"""', "", f"TEMPOS = {centres!r}", "", "POSITIONS = {"]
    for key, row in table.items():
        lines.append(f"    {key!r}: {row!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


DETACHED = 0.6          # a hold ratio under this sounds detached (about half the IOI)
HOLD_QUANTILES = 20     # the hold table keeps the 0, 5, ..., 100th percentiles


def detached_share(holds: Iterable[float]) -> float | None:
    """Share of hold ratios under ``DETACHED`` (None if there are none)."""
    values = list(holds)
    return sum(h < DETACHED for h in values) / len(values) if values else None


def hold_quantiles(holds: list[float]) -> tuple[float, ...]:
    """The 0, 5, ..., 100th percentiles of hold ratios, capped at 1 (a line is monophonic)."""
    values = sorted(min(1.0, h) for h in holds)
    n = len(values) - 1
    return tuple(round(values[round(n * k / HOLD_QUANTILES)], 3) for k in range(HOLD_QUANTILES + 1))


def hold_table_source(folder) -> str:
    """Python source of studio/music/perform/hold_table.py, measured from a WJazzD folder."""
    timings = load_corpus_timing(folder)
    pooled: dict[int, list[float]] = {}
    for t in timings:
        pooled.setdefault(tempo_bucket(t.tempo), []).extend(t.hold_ratios())
    centres, _ = feel_positions(timings)
    rows = [hold_quantiles(pooled[b]) for b in sorted(pooled)]
    shares = [round(detached_share(pooled[b]), 3) for b in sorted(pooled)]
    lines = ['"""Articulation measured in WJazzD (generated: python -m studio.music.corpus.swing FOLDER --holds).',
             "",
             f"{len(timings)} solos. A note's hold ratio is its played duration over the interval to",
             f"the next onset, where that follows within {HOLD_MAX_IOI:g} beats (corpus.swing). TEMPOS: the",
             "median tempo (bpm) of each tempo bucket's solos (as feel_table); QUANTILES[i]: the 0, 5,",
             "..., 100th percentiles of the hold ratios in bucket i, capped at 1 (legato); DETACHED:",
             f"the share under {DETACHED} there (the players hold most notes 75-100% of the IOI).",
             '"""', "", f"TEMPOS = {centres!r}", "", "QUANTILES = ("]
    lines += [f"    {row!r}," for row in rows]
    lines += [")", "", f"DETACHED = {tuple(shares)!r}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2 or (len(args) == 2 and args[1] not in ("--table", "--holds")):
        print("usage: python -m studio.music.corpus.swing WJAZZD_FOLDER [--table | --holds]",
              file=sys.stderr)
        return 2
    if args[1:] == ["--table"]:
        sys.stdout.write(feel_table_source(args[0]))
        return 0
    if args[1:] == ["--holds"]:
        sys.stdout.write(hold_table_source(args[0]))
        return 0
    for label, row in corpus_swing_by_tempo(args[0]).items():
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(f"{label:>9}  ratio {ratio:>5}  offbeat eighths {row['offbeats']:>6}  "
              f"solos {row['pieces']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
