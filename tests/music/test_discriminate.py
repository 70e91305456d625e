"""The phrase discriminator: chance when both sides are one distribution, ~1 when the
machine repeats notes on straight eighths, folds that keep a tune together, a sane interval."""

import numpy as np
import pytest

from studio.music.analysis import discriminate as disc
from studio.music.analysis.phrase_features import (FEATURE_NAMES, cut_phrases,
                                                   event_tokens, family_columns, phrase_features)
from studio.music.analysis.phrase_gru import GRUSettings
from studio.music.types import Note, Solo

FAST_GRU = GRUSettings(hidden=16, embedding=4, epochs=6, batch=32, lr=0.02)


def player_line(rng, bars=8, title="Player_Tune"):
    """Varied intervals, onsets on eighths, sixteenths and triplets, varied holds."""
    notes, tick, pitch = [], 0, 67
    while tick < bars * 48 - 12:
        ioi = int(rng.choice([3, 4, 6, 6, 8, 9, 12, 18]))
        pitch = int(np.clip(pitch + rng.choice([-9, -5, -3, -2, -1, 1, 2, 3, 4, 7]), 55, 84))
        notes.append(Note(tick, max(1, int(ioi * rng.uniform(0.5, 1.0))), pitch))
        tick += ioi
    return Solo(title, notes, tempo=160)


def machine_line(rng, bars=8, title="Model_Tune"):
    """Straight eighths, held half their length, half the steps repeated notes."""
    notes, pitch = [], 62
    for tick in range(0, bars * 48, 6):
        if rng.random() > 0.5:
            pitch = int(np.clip(pitch + rng.choice([-2, -1, 1, 2]), 55, 72))
        notes.append(Note(tick, 3, pitch))
    return Solo(title, notes, tempo=160)


def phrases_of(make, label, tunes, per_tune, seed):
    rng = np.random.default_rng(seed)
    out = []
    for t in range(tunes):
        for k in range(per_tune):
            out += cut_phrases(make(rng, title=f"P{k}_tune{t}"), f"tune{t}", label)
    return out


def test_a_solo_is_cut_into_whole_four_bar_phrases_with_its_steps():
    notes = [Note(b * 48 + 12 * i, 6, 60 + i) for b in range(9) for i in range(4)] + [Note(9 * 48, 3, 70)]
    phrases = cut_phrases(Solo("A_B", notes), "B", 1, bars=None)
    assert [p.source for p in phrases] == ["A_B bars 1-4", "A_B bars 5-8"]   # bars 9-10: not whole
    first = phrases[0].events
    assert len(first) == 16 and first[0].interval is None and first[1].interval == 1
    assert phrases[1].events[0].interval == -3       # from bar 4's last note: the line goes on
    assert first[0].ioi == 12 and first[0].hold == pytest.approx(0.5)
    assert cut_phrases(Solo("A_B", notes), "B", 0, bars=4)[0].source == "A_B bars 1-4"
    assert len(cut_phrases(Solo("A_B", notes), "B", 0, bars=4)) == 1


def test_features_measure_what_they_name():
    notes = [Note(6 * i, 3, 60 if i % 2 else 65) for i in range(32)]     # eighths, held half
    f = dict(zip(FEATURE_NAMES, phrase_features(cut_phrases(Solo("x", notes), "x", 0)[0])))
    assert f["notes per bar"] == 8 and f["offbeat eighths"] == 0.5 and f["onbeat share"] == 0.5
    assert f["leap share (5+)"] == 1 and f["leap share (8+)"] == 0 and f["repeated-note share"] == 0
    assert f["register mean"] == 62.5 and f["detached share (hold <= 0.6)"] == 1
    assert f["hold ratio mean"] == pytest.approx(0.5) and f["interval +5"] + f["interval -5"] == 1
    assert sorted(set(family_columns("pitch")) | set(family_columns("rhythm"))
                  | set(family_columns("durations"))) == list(range(len(FEATURE_NAMES)))
    assert event_tokens(cut_phrases(Solo("x", notes), "x", 0)[0]).shape == (32, 4)


def test_folds_keep_each_tune_whole():
    groups = [f"tune{i % 7}" for i in range(70)] + ["big"] * 30
    folds = disc.group_folds(groups, 5)
    assert len(folds) == 5
    assert sorted(np.concatenate(folds).tolist()) == list(range(100))
    for test in folds:
        inside = {groups[i] for i in test}
        assert all(groups[i] not in inside for i in np.setdiff1d(np.arange(100), test))
    assert len(disc.group_folds(["a", "b", "c"] * 4, 5)) == 3          # fewer tunes, fewer folds
    with pytest.raises(ValueError, match="at least 2 tunes"):
        disc.group_folds(["a"] * 5)


def test_out_of_fold_never_trains_on_the_tune_it_scores():
    phrases = phrases_of(player_line, 0, 6, 1, 1) + phrases_of(machine_line, 1, 6, 1, 2)
    seen = []

    def spy(train, test, seed):
        train_tunes = {phrases[i].group for i in train}
        seen.append(not train_tunes & {phrases[i].group for i in test})
        return np.zeros(len(test))
    _, folds = disc.out_of_fold(phrases, spy, 5)
    assert len(seen) == 5 and all(seen)
    for tune in {p.group for p in phrases}:             # a tune's phrases share one fold
        assert len({f for p, f in zip(phrases, folds) if p.group == tune}) == 1


def test_weighted_auc_matches_scikit_learn_and_the_interval_holds_it():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round((y * 0.8 + rng.normal(size=200)) * 10)   # whole numbers: ties included
    w = rng.integers(0, 3, 200)
    assert disc.weighted_auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert disc.weighted_auc(y, s, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w))
    groups = [f"t{i % 20}" for i in range(200)]
    lo, hi = disc.bootstrap_interval(y, s, groups, n=300)
    assert lo <= disc.weighted_auc(y, s) <= hi and hi - lo < 0.3
    # within blocks: pairs across blocks are not compared (block 1's scores all sit higher)
    blocks = np.repeat([0, 1], 100)
    shifted = s + 1000 * blocks
    assert disc.weighted_auc(y, shifted, None, blocks) == pytest.approx(
        (roc_auc_score(y[:100], s[:100]) * y[:100].sum() * (100 - y[:100].sum())
         + roc_auc_score(y[100:], s[100:]) * y[100:].sum() * (100 - y[100:].sum()))
        / (y[:100].sum() * (100 - y[:100].sum()) + y[100:].sum() * (100 - y[100:].sum())))


@pytest.fixture(scope="module")
def same():
    """Two labels drawn from one distribution, both in every tune."""
    rng = np.random.default_rng(1)
    phrases = phrases_of(player_line, 0, 12, 5, 31)
    for p in phrases:
        p.label = int(rng.integers(0, 2))
    return phrases


@pytest.fixture(scope="module")
def apart():
    return phrases_of(player_line, 0, 10, 2, 3) + phrases_of(machine_line, 1, 10, 2, 4)


@pytest.mark.parametrize("classifier", ["linear", "gru"])
def test_one_distribution_under_two_labels_is_chance(same, classifier):
    y = np.array([p.label for p in same])
    scored = disc.linear_scores(disc.feature_matrix(same), y, same) if classifier == "linear" \
        else disc.gru_scores(same, settings=FAST_GRU)
    fig = disc.figure(y, scored, [p.group for p in same], n=300)
    lo, hi = fig["ci95"]
    assert lo <= 0.5 <= hi and 0.3 < fig["auc"] < 0.7


@pytest.mark.parametrize("classifier", ["linear", "gru"])
def test_repeated_straight_eighths_are_told_apart(apart, classifier):
    y = np.array([p.label for p in apart])
    scored = disc.linear_scores(disc.feature_matrix(apart), y, apart) if classifier == "linear" \
        else disc.gru_scores(apart, settings=FAST_GRU)
    fig = disc.figure(y, scored, [p.group for p in apart], n=300)
    lo, hi = fig["ci95"]
    assert fig["auc"] > 0.95 and lo <= fig["auc"] <= hi


def test_the_report_names_the_giveaways(apart):
    report = disc.discriminate(apart, gru=False)
    assert report["phrases"] == {"human": 40, "generated": 40} and report["tunes"] == 10
    assert report["folds"] == 5 and set(report["families"]) == {"pitch", "rhythm", "durations"}
    assert report["classifiers"]["linear"]["auc"] > 0.95
    rows = {r["feature"]: r for r in report["giveaways"]["headline"]}
    repeated = rows["repeated-note share"]
    assert repeated["generated_mean"] > 0.3 > repeated["human_mean"]
    top = report["giveaways"]["top"]
    assert abs(top[0]["coefficient"]) >= abs(top[-1]["coefficient"])
    assert all(r["marks"] == ("generated" if r["coefficient"] > 0 else "human") for r in top)


def test_one_side_only_is_refused():
    with pytest.raises(ValueError, match="both sides"):
        disc.discriminate(phrases_of(player_line, 0, 3, 1, 0), gru=False)
