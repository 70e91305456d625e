"""Validation splits for corpora of every size, and what the corpus report says."""

import pytest

from studio.music.chart import chart_to_spans
from studio.music.encoding import split_solos
from studio.music.corpus.dataset import load_jazz_corpus, training_streams
from studio.music.corpus.splits import (HASH_SPLIT_FROM, cut_solo, holdout, report_split, splits_for,
    training_holdout, tune_of, tune_split, tuning_part)
from studio.music.types import Note, Solo


def solo(title, bars=4):
    notes = [Note(t, 6, 60 + t % 7) for t in range(0, bars * 48, 12)]
    return Solo(title, notes, chart_to_spans("| C7 | F7 |" * bars)[: bars], tempo=150)


@pytest.mark.parametrize("n, held", [(2, 1), (5, 1), (11, 1), (14, 1), (16, 2), (30, 3), (49, 5)])
def test_small_corpora_hold_out_exactly_the_fraction(n, held):
    solos = [solo(f"tune {i}") for i in range(n)]
    split = holdout(solos, 0.1)
    assert len(split.val) == held and len(split.train) == n - held
    assert {s.title for s in split.val}.isdisjoint(s.title for s in split.train)
    assert holdout(list(reversed(solos)), 0.1).val[0].title in {s.title for s in split.val}
    assert f"{held} of {n}" in split.note


def test_large_corpora_keep_the_title_hash_split():
    solos = [solo(f"tune {i}", bars=1) for i in range(HASH_SPLIT_FROM + 10)]
    split = holdout(solos, 0.1)
    assert (split.train, split.val) == split_solos(solos, 0.1)


def test_one_solo_is_split_in_time():
    one = solo("only", bars=20)
    split = holdout([one], 0.1)
    (train,), (val,) = split.train, split.val
    assert train.bar_count == 18 and val.bar_count == 2
    assert len(train.notes) + len(val.notes) == len(one.notes)
    assert val.notes[0].start == 0 and val.notes[0].pitch == one.notes[18 * 4].pitch
    assert "last 2 of 20 bars" in split.note
    with pytest.raises(ValueError, match="too short"):
        holdout([solo("tiny", bars=1)], 0.1)
    assert holdout([one], 0.0).val == []


def test_cut_solo_clips_notes_and_chords():
    s = Solo("x", [Note(40, 20, 60), Note(50, 6, 62)], chart_to_spans("| C7 | F7 |"))
    part = cut_solo(s, 0, 1)
    assert [(n.start, n.duration) for n in part.notes] == [(40, 8)]
    assert [(c.start, c.end) for c in part.chords] == [(0, 48)]


def test_one_file_corpus_trains_and_validates(tmp_path, make_midi):
    make_midi(tmp_path / "one.mid", [{"notes": [(b / 2, 0.5, 60 + b % 12) for b in range(64)]}])
    corpus = load_jazz_corpus(tmp_path)
    train, val = training_streams(corpus, 0)
    assert len(train) == 1 and len(val) == 1 and val[0].count("BAR") == 1 and train[0].count("BAR") == 7
    assert "one solo" in corpus.report["validation"]
    # no chord symbols and nothing to infer them from: a chord-blind corpus, said so
    assert corpus.chords is False and corpus.report["chord_blind"] is True
    assert corpus.report["chord_sources"] == {"markers": 0, "inferred": 0, "none": 1}
    assert "chord-blind" in corpus.report["chords_note"]
    assert {t for t in train[0] if t.startswith("CHORD")} == {"CHORD_NC"}


def test_marked_and_inferred_chords_are_counted(tmp_path, make_midi):
    line = [(b, 1, 72 + b % 5) for b in range(8)]
    make_midi(tmp_path / "a.mid", [{"notes": line, "texts": [(0, "Dm7"), (4, "G7")]}])
    make_midi(tmp_path / "b.mid", [{"name": "Sax", "program": 66, "notes": line},
                                   {"name": "Piano", "channel": 1, "notes": [(0, 8, 48), (0, 8, 52), (0, 8, 55)]}])
    corpus = load_jazz_corpus(tmp_path)
    assert corpus.chords is True and "chord_blind" not in corpus.report
    assert corpus.report["chord_sources"] == {"markers": 1, "inferred": 1, "none": 0}
    train, val = training_streams(corpus, 0)
    assert len(train) == 1 and len(val) == 1


def test_tune_of_strips_the_performer_and_the_take_number():
    assert tune_of("ArtPepper_Stardust-2") == "Stardust"
    assert tune_of("CharlieParker_Dickie'sDream") == "Dickie'sDream"
    assert tune_of("BodyAndSoul-2") == "BodyAndSoul"
    assert tune_of("plain title") == "plain title"


def test_report_split_tests_only_tunes_the_model_never_trained_on():
    # 120 tunes, every third played by three performers: a held-out solo whose tune
    # someone else played in training must validate, not test
    solos = [solo(f"P{p}_Tune{t}-{p % 2 + 1}", bars=1) for t in range(120)
             for p in range(3 if t % 3 == 0 else 1)]
    split = report_split(solos, 0.1)
    held = holdout(solos, 0.1)
    assert split.train == held.train
    assert sorted(s.title for s in split.val + split.test) == sorted(s.title for s in held.val)
    trained = {tune_of(s.title) for s in split.train}
    assert split.test and split.val
    assert all(tune_of(s.title) not in trained for s in split.test)
    assert all(tune_of(s.title) in trained for s in split.val)
    assert f"test: {len(split.test)} solos" in split.note


def test_a_small_corpus_has_no_test_split():
    split = report_split([solo(f"P_Tune{i}") for i in range(10)], 0.1)
    assert split.test == [] and len(split.val) == 1 and "no test split" in split.note


def _tunes_corpus(tunes=200, every=3):
    """``tunes`` tunes, every ``every``-th played by three performers (takes -1, -2)."""
    return [solo(f"P{p}_Tune{t}-{p % 2 + 1}", bars=1) for t in range(tunes)
            for p in range(3 if t % every == 0 else 1)]


@pytest.mark.parametrize("tunes", [3, 12, 49, 200])
def test_no_tune_straddles_the_tune_split(tunes):
    solos = _tunes_corpus(tunes)
    split = tune_split(solos, 0.1)
    parts = [{tune_of(s.title) for s in part} for part in (split.train, split.val, split.test)]
    assert split.val and split.test and split.train
    assert parts[0].isdisjoint(parts[1]) and parts[0].isdisjoint(parts[2]) and parts[1].isdisjoint(parts[2])
    assert sorted(s.title for s in split.train + split.val + split.test) == sorted(s.title for s in solos)
    assert f"test {len(split.test)} solos of {len(parts[2])} tunes" in split.note


def test_the_tune_split_is_stable_and_close_to_its_fractions():
    solos = _tunes_corpus(400)
    split = tune_split(solos, 0.1)
    test_tunes = {tune_of(s.title) for s in split.test}
    assert 0.05 < len(test_tunes) / 400 < 0.15 and 0.05 < len({tune_of(s.title) for s in split.val}) / 400 < 0.15
    # adding tunes never moves a tune between parts (the hash of its name decides)
    grown = tune_split(solos + _tunes_corpus(460)[len(solos):], 0.1)
    assert test_tunes <= {tune_of(s.title) for s in grown.test}
    with pytest.raises(ValueError, match="at least 3 tunes"):
        tune_split([solo("A_One"), solo("B_One-2"), solo("C_Two")], 0.1)


def test_the_trainer_reads_train_and_validation_of_its_scheme_never_test():
    solos = _tunes_corpus(120)
    split = tune_split(solos, 0.1)
    held = training_holdout(solos, 0.1, "tunes")
    assert (held.train, held.val) == (split.train, split.val)
    assert not {s.title for s in split.test} & {s.title for s in held.train + held.val}
    assert (training_holdout(solos, 0.1, "solos").val) == holdout(solos, 0.1).val
    with pytest.raises(ValueError, match="unknown split"):
        training_holdout(solos, 0.1, "bars")


def test_splits_for_follows_the_checkpoints_own_record():
    solos = _tunes_corpus(120)
    tunes = splits_for({"corpus": {"split": "tunes"}, "train_config": {"val_fraction": 0.1}}, solos)
    assert [s.title for s in tunes.test] == [s.title for s in tune_split(solos, 0.1).test]
    # no record (the shipped models) or "solos": trained with holdout, so report_split
    for meta in ({}, {"corpus": {"split": "solos"}}, None):
        old = splits_for(meta, solos)
        assert [s.title for s in old.test] == [s.title for s in report_split(solos, 0.1).test]
    assert {s.title for s in tunes.test} != {s.title for s in splits_for({}, solos).test}
    # the fraction recorded is the one used
    wide = splits_for({"corpus": {"split": "tunes"}, "train_config": {"val_fraction": 0.2}}, solos)
    assert len(wide.test) > len(tunes.test)


def test_tuning_tools_get_validation_and_are_refused_test():
    assert tuning_part("val", "sweep") == "val" and tuning_part(None, "sweep") == "val"
    with pytest.raises(ValueError, match="sweep tunes on the validation split only"):
        tuning_part("test", "sweep")
    with pytest.raises(ValueError, match="not 'train'"):
        tuning_part("train", "sweep")
