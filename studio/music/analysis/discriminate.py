"""Can a classifier tell a model's phrases from a player's? ROC-AUC, cross-validated by tune.

The figure that matters for the jazz models (docs/ARCHITECTURE.md, "Judging"): 4-bar
phrases (``phrase_features``) of human solos (label 0) and of takes generated over the
same changes (label 1) are scored out of fold by

* ``linear``: scikit-learn LogisticRegression on standardized histogram and n-gram
  features (balanced classes, L2 with C = ``C``), and
* ``gru``: a small GRU over the note events (``phrase_gru``).

Folds are grouped by tune (``splits.tune_of``): a take played over tune T's chart is in T's
group, so no classifier is ever scored on a tune it was trained on (it would learn the
tune, not the player). The AUC of the pooled out-of-fold scores is reported with a 95%
interval from a bootstrap over tunes (tunes drawn with replacement, each bringing all its
phrases). 0.5: the classifier cannot tell; 1.0: it always can.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from studio.music.analysis.phrase_features import (FAMILIES, FEATURE_NAMES, FEATURES, Phrase,
                                                   family_columns, feature_matrix)

FOLDS = 5
BOOTSTRAP = 1000
C = 0.1
# the figures the listening test named, always shown human vs generated
HEADLINE = ("register mean", "repeated-note share", "leap share (5+)", "leap share (8+)",
            "16th partials (ticks 3, 9)",
            "triplet partials (ticks 4, 8)", "detached share (hold <= 0.6)", "hold ratio mean",
            "notes per bar")


def weighted_auc(y, scores, weights=None, blocks=None) -> float:
    """ROC-AUC (Mann-Whitney, ties count half) with a weight per sample; nan when one
    class has no weight. With ``blocks`` (a fold number per sample) only pairs within one
    block are compared: the fold-size-weighted mean of the folds' AUCs, so models of
    different folds, each with its own offset and scale, are never ranked against each
    other (pooling their scores biases the AUC when there is nothing to find)."""
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    blocks = np.zeros(len(y), dtype=int) if blocks is None else np.asarray(blocks)
    scores = np.asarray(scores, dtype=float)
    hits = pairs = 0.0
    for block in np.unique(blocks):
        inside = blocks == block
        levels, inverse = np.unique(scores[inside], return_inverse=True)
        pos = np.bincount(inverse, weights=(w * y)[inside], minlength=len(levels))
        neg = np.bincount(inverse, weights=(w * (1 - y))[inside], minlength=len(levels))
        below = np.cumsum(neg) - neg
        hits += (pos * (below + 0.5 * neg)).sum()
        pairs += pos.sum() * neg.sum()
    return float(hits / pairs) if pairs > 0 else float("nan")


def bootstrap_interval(y, scores, groups, n: int = BOOTSTRAP, seed: int = 0,
                       level: float = 0.95, blocks=None) -> tuple[float, float]:
    """The ``level`` percentile interval of the AUC over ``n`` resamples of the groups."""
    names, index = np.unique(np.asarray(groups), return_inverse=True)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        counts = np.bincount(rng.integers(0, len(names), len(names)), minlength=len(names))
        auc = weighted_auc(y, scores, counts[index], blocks)
        if not np.isnan(auc):
            values.append(auc)
    if not values:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def group_folds(groups, folds: int = FOLDS) -> list[np.ndarray]:
    """Test indices of each fold: every group in exactly one fold, ``folds`` folds or one
    per group when there are fewer groups (scikit-learn's GroupKFold, size-balanced)."""
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(groups)
    k = min(folds, len(set(groups.tolist())))
    if k < 2:
        raise ValueError("the discriminator needs phrases of at least 2 tunes to cross-validate")
    return [test for _, test in GroupKFold(n_splits=k).split(groups, groups=groups)]


def out_of_fold(phrases: list[Phrase], fit_predict: Callable, folds: int = FOLDS,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(each phrase's score from a classifier trained on the other folds' tunes, its fold):
    ``fit_predict(train_indices, test_indices, seed)`` -> scores of the test phrases."""
    y = np.array([p.label for p in phrases])
    scores = np.zeros(len(phrases))
    fold_of = np.zeros(len(phrases), dtype=int)
    for i, test in enumerate(group_folds([p.group for p in phrases], folds)):
        fold_of[test] = i
        train = np.setdiff1d(np.arange(len(phrases)), test)
        if len(set(y[train].tolist())) < 2:
            raise ValueError("a fold's training tunes hold only one side: give phrases of both "
                             "sides for more tunes")
        scores[test] = fit_predict(train, test, seed + i)
    return scores, fold_of


def _linear(C_value: float = C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(
        C=C_value, class_weight="balanced", max_iter=5000))


def linear_scores(X: np.ndarray, y: np.ndarray, phrases: list[Phrase], columns=None,
                  folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """(out-of-fold scores, folds) of the linear classifier on the given feature columns."""
    cols = list(range(X.shape[1])) if columns is None else list(columns)

    def fit_predict(train, test, _seed):
        model = _linear().fit(X[np.ix_(train, cols)], y[train])
        return model.decision_function(X[np.ix_(test, cols)])
    return out_of_fold(phrases, fit_predict, folds)


def gru_scores(phrases: list[Phrase], folds: int = FOLDS, seed: int = 0,
               settings=None) -> tuple[np.ndarray, np.ndarray]:
    """(out-of-fold scores, folds) of the GRU classifier."""
    from studio.music.analysis.phrase_gru import GRUSettings, gru_fit_predict

    settings = settings or GRUSettings()

    def fit_predict(train, test, fold_seed):
        return gru_fit_predict([phrases[i] for i in train], [phrases[i] for i in test],
                               fold_seed, settings)
    return out_of_fold(phrases, fit_predict, folds, seed)


def figure(y, scored: tuple[np.ndarray, np.ndarray], groups, seed: int = 0,
           n: int = BOOTSTRAP) -> dict:
    """AUC of out-of-fold scores (pairs within a fold) and its bootstrap interval."""
    scores, folds = scored
    lo, hi = bootstrap_interval(y, scores, groups, n, seed, blocks=folds)
    return {"auc": round(weighted_auc(y, scores, None, folds), 4),
            "ci95": [round(lo, 4), round(hi, 4)]}


def giveaways(X: np.ndarray, y: np.ndarray, top: int = 12) -> dict:
    """What tells the machine: the linear classifier fitted on every phrase, its largest
    standardized coefficients (positive: more of it marks a generated phrase), and the
    human vs generated mean of those features and of the ``HEADLINE`` ones."""
    model = _linear().fit(X, y)
    coef = model[-1].coef_[0]
    human, generated = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)

    def row(i: int) -> dict:
        return {"feature": FEATURE_NAMES[i], "family": FEATURES[i][0],
                "coefficient": round(float(coef[i]), 3),
                "marks": "generated" if coef[i] > 0 else "human",
                "human_mean": round(float(human[i]), 4),
                "generated_mean": round(float(generated[i]), 4)}
    order = np.argsort(-np.abs(coef))[:top]
    return {"top": [row(int(i)) for i in order],
            "headline": [row(FEATURE_NAMES.index(name)) for name in HEADLINE]}


def discriminate(phrases: list[Phrase], folds: int = FOLDS, seed: int = 0, gru: bool = True,
                 gru_settings=None) -> dict:
    """The discriminator's figures for labelled, grouped phrases (a dict, JSON-ready)."""
    from threadpoolctl import threadpool_limits

    # small problems: BLAS's extra threads only wait (see phrase_gru, the same for torch)
    with threadpool_limits(1):
        return _discriminate(phrases, folds, seed, gru, gru_settings)


def _discriminate(phrases, folds, seed, gru, gru_settings) -> dict:
    y = np.array([p.label for p in phrases])
    groups = [p.group for p in phrases]
    if len(set(y.tolist())) < 2:
        raise ValueError("the discriminator needs phrases of both sides (human and generated)")
    X = feature_matrix(phrases)
    k = len(group_folds(groups, folds))
    out = {"phrases": {"human": int((y == 0).sum()), "generated": int((y == 1).sum())},
           "tunes": len(set(groups)), "folds": k, "bootstrap": BOOTSTRAP,
           "classifiers": {"linear": figure(y, linear_scores(X, y, phrases, None, folds),
                                             groups, seed)}}
    if gru:
        out["classifiers"]["gru"] = figure(y, gru_scores(phrases, folds, seed, gru_settings),
                                            groups, seed)
    out["families"] = {family: figure(y, linear_scores(X, y, phrases, family_columns(family),
                                                        folds), groups, seed)
                       for family in FAMILIES}
    out["giveaways"] = giveaways(X, y)
    return out
