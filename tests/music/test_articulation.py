"""Articulation (issue 22): written durations at humanize 0, the players' hold ratios when
humanised, the model's relative articulation kept, and the flag that picks one."""

import random
import statistics

import pytest

from studio.music.chart import PRESETS, chart_to_spans
from studio.music.corpus.swing import DETACHED, detached_share, performance_hold_ratios
from studio.music.notation.leadsheet import notation_notes
from studio.music.perform import hold_table
from studio.music.perform.articulation import hold_at, players_quantiles, resolve
from studio.music.perform.feel import Feel
from studio.music.perform.performance import PPQ, perform
from studio.music.types import Note, Solo

PATTERNS = ([0, 6], [0, 6], [0, 4, 8], [0, 3, 6, 9], [0], [6], [0, 6])


def notatable_solo(seed=5, bars=16, tempo=120.0):
    """Beats of eighths, triplets, sixteenths and rests (divisions 1-4, all notatable), each
    note written legato, a little short, or detached (half its IOI)."""
    rng = random.Random(seed)
    onsets = [b * 12 + t for b in range(bars * 4 - 1) for t in rng.choice(PATTERNS)]
    notes = []
    for a, b in zip(onsets, onsets[1:]):
        ioi = b - a
        length = rng.choice([ioi, ioi, ioi - 1, max(1, ioi // 2), min(ioi, 12)])
        notes.append(Note(a, max(1, length), rng.randint(58, 80)))
    return Solo("notatable", notes, chart_to_spans(PRESETS["Bb blues"]), tempo=tempo)


def test_straight_exact_rendering_plays_the_lead_sheet():
    solo = notatable_solo()
    perf = perform(solo, Feel("straight", 0.0), comping=False, bass=False)
    written = notation_notes(solo)
    assert [(n.start, n.end, n.pitch) for n in perf.part("solo")] == \
        [(s * 40, e * 40, p) for s, e, p in written]
    # the lead sheet holds some of the model's short notes: not the score's own lengths
    assert sum(e - s != n.duration for (s, e, _), n in zip(written, sorted(solo.notes))) > 5


@pytest.mark.parametrize("tempo", [70.0, 126.0, 160.0, 230.0, 300.0])
def test_humanize_0_keeps_the_written_durations_under_swing(tempo):
    solo = notatable_solo(tempo=tempo)
    line = perform(solo, Feel("auto", 0.0), comping=False, bass=False).part("solo")
    written = notation_notes(solo)
    assert len(line) == len(written)
    swung = 0
    for i, ((s, e, _), n) in enumerate(zip(written, line)):
        if i + 1 < len(written) and e == written[i + 1][0]:
            assert n.end == line[i + 1].start, (i, n)      # legato stays legato: no gap
        else:
            assert n.end - n.start == (e - s) * 40, (i, n)  # the written length, from its onset
        swung += n.start != s * 40
    assert swung > len(line) // 2                           # the onsets are swung, laid back


@pytest.mark.parametrize("bucket", [0, 1, 4, 6])
def test_humanised_takes_hold_notes_as_the_players_do_at_the_tempo(bucket):
    tempo = hold_table.TEMPOS[bucket]
    # a model that writes every eighth detached (half its length)
    notes = [Note(t, 3, 60 + (t // 6) % 12) for t in range(0, 32 * 48, 6)]
    solo = Solo("detached", notes, chart_to_spans(PRESETS["Bb blues"]), tempo=tempo)
    holds = sorted(performance_hold_ratios(perform(solo, comping=False, bass=False)))
    for k in (2, 5, 10, 15):                # the 10th, 25th, 50th, 75th percentiles
        measured = holds[int(k / 20 * len(holds))]
        assert measured == pytest.approx(hold_table.QUANTILES[bucket][k], abs=0.03), k
    assert detached_share(holds) < 0.2
    score = performance_hold_ratios(perform(solo, Feel(articulation="score"),
                                            comping=False, bass=False))
    assert detached_share(score) > 0.85                       # asked for: as the model wrote
    # the lead sheet writes a sixteenth's sound in a beat of eighths as an eighth
    written = performance_hold_ratios(perform(solo, Feel(articulation="written"),
                                              comping=False, bass=False))
    assert detached_share(written) == 0.0


def test_players_table_rows_follow_the_tempo():
    assert players_quantiles(hold_table.TEMPOS[1]) == pytest.approx(list(hold_table.QUANTILES[1]))
    between = players_quantiles((hold_table.TEMPOS[1] + hold_table.TEMPOS[2]) / 2)
    assert between[5] == pytest.approx((hold_table.QUANTILES[1][5] + hold_table.QUANTILES[2][5]) / 2)
    assert hold_at(list(hold_table.QUANTILES[0]), 0.5) == hold_table.QUANTILES[0][10]
    assert all(0.05 < share < 0.2 for share in hold_table.DETACHED)


def test_the_models_relative_articulation_is_kept():
    # alternate legato and detached eighths: the detached ones stay the shorter
    notes = [Note(t, 6 if (t // 6) % 2 else 3, 64) for t in range(0, 16 * 48, 6)]
    solo = Solo("mixed", notes, chart_to_spans(PRESETS["Bb blues"]), tempo=160.0)
    line = perform(solo, comping=False, bass=False).part("solo")
    holds = [(a.end - a.start) / (b.start - a.start) for a, b in zip(line, line[1:])]
    short = [h for h, n in zip(holds, sorted(notes)) if n.duration == 3]
    held = [h for h, n in zip(holds, sorted(notes)) if n.duration == 6]
    assert max(short) <= min(held) + 0.02          # the quantiles meet at the median
    assert statistics.median(short) < statistics.median(held) - 0.1
    assert statistics.median(held) > 0.85


def test_articulation_flag_values():
    assert resolve("auto", 1.0) == "players" and resolve("auto", 0.0) == "written"
    assert resolve("written", 1.0) == "written" and resolve("players", 0.0) == "players"
    assert Feel.parse("auto", 1.0, None, "written").articulation == "written"
    with pytest.raises(ValueError, match="articulation must be one of"):
        Feel.parse("auto", 1.0, None, "staccato")
    assert DETACHED == 0.6 and PPQ == 480
