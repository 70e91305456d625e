"""Which solos (or which bars) validate a jazz model: large, small and one-file corpora.

* 50 solos or more: ``encoding.split_solos`` (a solo is held out when the hash of its title
  falls below the fraction: stable as solos are added; WJazzD's shipped models use it).
* 2 to 49 solos: that hash is a coin toss per solo (3 of 11 solos, 27%, went to
  validation in one user's corpus), so exactly round(n x fraction) solos are held out,
  at least one and never all: those with the lowest title hashes.
* One solo: a time split inside it. Its last round(bars x fraction) bars (at least one)
  validate, the bars before them train. A solo shorter than two bars cannot be split.

That is the split by solo. New runs may split by tune instead (``tune_split``: train,
validation and test, no tune in two parts); ``splits_for`` gives any checkpoint's three
parts from its metadata, and ``tuning_part`` keeps tuning tools off the test part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.music.encoding import _title_hash, split_solos
from studio.music.types import ChordSpan, Note, Solo

HASH_SPLIT_FROM = 50


@dataclass
class Holdout:
    train: list[Solo]
    val: list[Solo]
    note: str                 # one sentence for the dataset report


def cut_solo(solo: Solo, start_bar: int, end_bar: int | None = None, title: str | None = None) -> Solo:
    """Bars [start_bar, end_bar) of a solo as a solo of its own (shifted to tick 0)."""
    lo = start_bar * solo.ticks_per_bar
    hi = (end_bar if end_bar is not None else solo.bar_count) * solo.ticks_per_bar
    notes = [Note(n.start - lo, min(n.end, hi) - n.start, n.pitch, n.velocity)
             for n in solo.notes if lo <= n.start < hi]
    spans = [ChordSpan(max(s.start, lo) - lo, min(s.end, hi) - lo, s.chord)
             for s in solo.chords if s.start < hi and s.end > lo]
    return solo.copy(title=title or solo.title, notes=notes, chords=spans)


def holdout(solos: list[Solo], val_fraction: float = 0.1) -> Holdout:
    """Train and validation solos for a corpus of any size; see the module text."""
    n = len(solos)
    if val_fraction <= 0 or n == 0:
        return Holdout(list(solos), [], "no validation split (validation fraction 0)")
    if n >= HASH_SPLIT_FROM:
        train, val = split_solos(solos, val_fraction)
        return Holdout(train, val, f"validation: {len(val)} of {n} solos, held out by title")
    if n >= 2:
        k = min(n - 1, max(1, round(n * val_fraction)))
        held = set(id(s) for s in sorted(solos, key=lambda s: _title_hash(s.title))[:k])
        train = [s for s in solos if id(s) not in held]
        val = [s for s in solos if id(s) in held]
        return Holdout(train, val, f"validation: {k} of {n} solos held out "
                                   f"(a small corpus: exactly {val_fraction:.0%}, at least one)")
    solo = solos[0]
    bars = solo.bar_count
    if bars < 2:
        raise ValueError(f"{solo.title}: one solo of {bars} bar is too short to train on "
                         "(a time split needs at least 2 bars)")
    k = min(bars - 1, max(1, round(bars * val_fraction)))
    train = cut_solo(solo, 0, bars - k)
    val = cut_solo(solo, bars - k, bars, title=f"{solo.title} (last {k} bars)")
    return Holdout([train], [val], f"validation: one solo, so its last {k} of {bars} bars "
                                   "validate and the bars before them train")


# A performer's solo is titled "Performer_Tune" in WJazzD, with "-1", "-2" for several
# solos over one tune by one player; the tune is what a split must not straddle.
_TAKE_SUFFIX = re.compile(r"-\d+$")


def tune_of(title: str) -> str:
    """The tune a solo is played over: ``"ArtPepper_Stardust-2"`` -> ``"Stardust"``; a
    title without a performer prefix is its own tune."""
    tune = title.split("_", 1)[1] if "_" in title else title
    return _TAKE_SUFFIX.sub("", tune) or title


@dataclass
class ReportSplit:
    train: list[Solo]
    val: list[Solo]          # for tuning (temperatures, licks, checkpoint choice)
    test: list[Solo]         # for reporting only: no tuning tool reads it
    note: str


def report_split(solos: list[Solo], val_fraction: float = 0.1) -> ReportSplit:
    """Train / validation / test for a model trained with ``holdout(solos, val_fraction)``.

    The trainer never saw the held-out solos. Of those, a solo goes to **test** when every
    solo of its tune is held out (so no tune of the test split was trained on), and to
    **validation** otherwise. Models keep their training set, so this split needs no
    retraining; with the WJazzD corpus (398 4/4 solos) it gives 19 test solos (19 tunes) and 15
    validation solos. A corpus under ``HASH_SPLIT_FROM`` solos has no test split.
    """
    held = holdout(solos, val_fraction)
    if len(solos) < HASH_SPLIT_FROM or not held.val:
        return ReportSplit(held.train, held.val, [],
                           held.note + "; no test split (fewer than "
                           f"{HASH_SPLIT_FROM} solos)")
    trained_tunes = {tune_of(s.title) for s in held.train}
    test = [s for s in held.val if tune_of(s.title) not in trained_tunes]
    val = [s for s in held.val if tune_of(s.title) in trained_tunes]
    return ReportSplit(held.train, val, test,
                       f"test: {len(test)} solos of {len({tune_of(s.title) for s in test})} "
                       f"tunes never trained on; validation: {len(val)} held-out solos")


# How a training run holds solos out: "solos" (``holdout``: by solo title; the shipped jazz
# models, whose test part ``report_split`` recovers afterwards) or "tunes" (``tune_split``:
# train, validation and test by tune, so no tune straddles two parts). A checkpoint records
# its scheme in ``meta["corpus"]["split"]``; one without it was trained by solo.
SCHEMES = ("solos", "tunes")
PARTS = ("val", "test")      # what a tool may ask for: validation (tuning) or test (reporting)


def tune_split(solos: list[Solo], fraction: float = 0.1) -> ReportSplit:
    """Train / validation / test by tune (``tune_of``), for new training runs.

    A tune tests when the hash of its name falls below ``fraction``, validates when it falls
    in [fraction, 2 x fraction), and trains otherwise: every solo over one tune lands in one
    part, and adding solos never moves a tune. Under ``HASH_SPLIT_FROM`` tunes (or where the
    hash leaves a part empty) the tunes with the lowest hashes go instead: exactly
    round(tunes x fraction), at least one, to test and as many to validation. The trainer
    reads train and validation; the test part is for reporting only.
    """
    if not 0 < fraction < 0.5:
        raise ValueError(f"a split by tune holds out a fraction above 0 and below 0.5 for "
                         f"validation and as much for test, not {fraction:g}")
    tunes = sorted({tune_of(s.title) for s in solos}, key=_title_hash)
    n = len(tunes)
    if n < 3:
        raise ValueError(f"a split by tune needs at least 3 tunes (train, validation, test); "
                         f"this corpus has {n}: train with the split by solo")
    test_tunes = {t for t in tunes if _title_hash(t) < fraction}
    val_tunes = {t for t in tunes if fraction <= _title_hash(t) < 2 * fraction}
    if n < HASH_SPLIT_FROM or not test_tunes or not val_tunes:
        k = min((n - 1) // 2, max(1, round(n * fraction)))
        test_tunes, val_tunes = set(tunes[:k]), set(tunes[k:2 * k])
    test = [s for s in solos if tune_of(s.title) in test_tunes]
    val = [s for s in solos if tune_of(s.title) in val_tunes]
    train = [s for s in solos if tune_of(s.title) not in test_tunes | val_tunes]
    return ReportSplit(train, val, test,
                       f"split by tune: test {len(test)} solos of {len(test_tunes)} tunes, "
                       f"validation {len(val)} solos of {len(val_tunes)} tunes, "
                       f"training {len(train)} solos of {n - len(test_tunes | val_tunes)} tunes")


def check_scheme(scheme: str | None) -> str:
    """The scheme a run or checkpoint names ("solos" when none), or ValueError."""
    scheme = scheme or "solos"
    if scheme not in SCHEMES:
        raise ValueError(f"unknown split {scheme!r}: one of {', '.join(SCHEMES)}")
    return scheme


def training_holdout(solos: list[Solo], val_fraction: float = 0.1, scheme: str = "solos") -> Holdout:
    """What the trainer reads: training and validation solos of ``scheme`` (never test)."""
    if check_scheme(scheme) == "solos":
        return holdout(solos, val_fraction)
    split = tune_split(solos, val_fraction)
    return Holdout(split.train, split.val, split.note + " (test never read in training)")


def splits_for(meta: dict | None, solos: list[Solo]) -> ReportSplit:
    """Train / validation / test of a checkpoint's own training corpus, from its metadata:
    the scheme it was trained with (``meta["corpus"]["split"]``) and its validation
    fraction. Every tool that tunes or reports on a model's corpus asks here, so the test
    solos are the same everywhere and were never trained or tuned on."""
    meta = meta or {}
    fraction = float((meta.get("train_config") or {}).get("val_fraction", 0.1))
    if check_scheme((meta.get("corpus") or {}).get("split")) == "tunes":
        return tune_split(solos, fraction)
    return report_split(solos, fraction)


def tuning_part(part: str | None, tool: str) -> str:
    """The part a tuning tool (lick or temperature sweeps, checkpoint choice) may read:
    validation only. Asking for the test part is refused: a figure tuned on it would
    flatter the model on the very solos that report it."""
    if part == "test":
        raise ValueError(f"{tool} tunes on the validation split only; the test split is for "
                         "reporting (jazz-report, eval, the model cards) and no tuning tool reads it")
    if part not in (None, "val"):
        raise ValueError(f"{tool}: the split is 'val', not {part!r}")
    return "val"
