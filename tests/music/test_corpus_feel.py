"""Feel against the real WJazzD corpus (skipped when the shared corpora are absent)."""

import pytest

from studio.music.perform import feel_table
from studio.music.perform.performance import perform
from studio.music.corpus.swing import (corpus_swing_by_tempo, feel_positions, load_corpus_timing,
    performance_offbeat_positions, swing_by_tempo)
from studio.music.corpus.wjazzd import load_wjazzd

from .test_corpus_wjazzd import jazz_folder

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def folder():
    found = jazz_folder()
    if found is None:
        pytest.skip("WJazzD corpus not found: set SEQUENCE_STUDIO_CORPORA or put it in "
                    "../shared/corpora/jazz next to the repository")
    return found


def test_shipped_feel_table_is_the_corpus_measurement(folder):
    centres, table = feel_positions(load_corpus_timing(folder))
    assert centres == pytest.approx(feel_table.TEMPOS, abs=0.05)
    assert table.keys() == feel_table.POSITIONS.keys()
    for key, row in table.items():
        shipped = feel_table.POSITIONS[key]
        assert [v is None for v in row] == [v is None for v in shipped], key
        assert [v for v in row if v is not None] == pytest.approx(
            [v for v in shipped if v is not None], abs=0.002), key


def test_corpus_swing_matches_the_published_picture(folder):
    table = corpus_swing_by_tempo(folder)
    assert 1.3 <= table["all"]["ratio"] <= 1.4                 # ~57.5% of the beat overall
    assert 1.5 <= table["140-169"]["ratio"] <= 1.65            # hardest at medium tempos
    assert table[">=280"]["ratio"] < 1.15                      # near straight when fast


def test_rendered_solos_swing_like_the_corpus_by_tempo_bucket(folder):
    solos, _ = load_wjazzd(folder)
    rendered = swing_by_tempo((s.tempo, performance_offbeat_positions(perform(s, comping=False, bass=False)))
                              for s in solos)
    corpus = corpus_swing_by_tempo(folder)
    for label, row in rendered.items():
        assert row["offbeats"] == corpus[label]["offbeats"]      # the same notes found on the grid
        assert row["ratio"] == pytest.approx(corpus[label]["ratio"], abs=0.1), label


def test_offbeats_found_without_the_annotation_swing_as_the_annotated_ones(folder):
    # what jazz-report does to MIDI files (no division/tatum to read), run on WJazzD's own
    # played onsets with the annotation hidden, against the annotated offbeat eighths
    from studio.music.corpus.swing import lone_offbeat_positions
    timings = load_corpus_timing(folder)
    annotated = swing_by_tempo((t.tempo, t.offbeat_eighths()) for t in timings)
    found = swing_by_tempo((t.tempo, lone_offbeat_positions(n.beat + n.position for n in t.notes))
                           for t in timings)
    assert sum(row["offbeats"] for row in found.values()) > 0.8 * sum(
        row["offbeats"] for row in annotated.values())
    for label, row in found.items():
        bound = 0.15 if label == ">=280" else 0.06
        assert row["ratio"] == pytest.approx(annotated[label]["ratio"], abs=bound), label


def test_shipped_hold_table_is_the_corpus_measurement(folder):
    from studio.music.corpus.swing import hold_table_source
    from studio.music.perform import hold_table
    import pathlib
    assert hold_table_source(folder) == pathlib.Path(hold_table.__file__).read_text()


def test_rendered_solos_eighth_pairs_and_holds_like_the_players_by_tempo_bucket(folder):
    # the line's own swing (eighth pairs) and articulation, rendered from the grid at the
    # default feel, against the same notes as played
    from studio.music.corpus.swing import (detached_share, performance_eighth_pair_fractions,
                                           performance_hold_ratios)
    from studio.music.tempo import tempo_label
    timings = load_corpus_timing(folder)
    played = swing_by_tempo((t.tempo, t.eighth_pair_fractions()) for t in timings)
    solos, _ = load_wjazzd(folder)
    perfs = [(s.tempo, perform(s, comping=False, bass=False)) for s in solos]
    rendered = swing_by_tempo((t, performance_eighth_pair_fractions(p)) for t, p in perfs)
    for label, row in rendered.items():
        assert row["offbeats"] > 100, label
        assert row["ratio"] == pytest.approx(played[label]["ratio"], abs=0.15), label
    holds, players = {}, {}
    for tempo, perf in perfs:
        holds.setdefault(tempo_label(tempo), []).extend(performance_hold_ratios(perf))
    for timing in timings:
        players.setdefault(tempo_label(timing.tempo), []).extend(timing.hold_ratios())
    for label, values in holds.items():
        assert detached_share(values) == pytest.approx(detached_share(players[label]), abs=0.05), label


def test_the_players_played_figures_for_the_report(folder):
    # what jazz-report prints in the players' row: WJazzD's seconds and MIDI velocities
    from studio.music.analysis.playing import measured_playing, playing_figures
    solos, _ = load_wjazzd(folder)
    figures = playing_figures(solos, measured_playing(folder))
    assert 0.08 < figures["detached_share"] < 0.14
    assert all(1.0 < r < 1.25 for r in figures["pair_ratio"].values())
    assert 0.25 < figures["velocity_pitch_correlation"] < 0.4
