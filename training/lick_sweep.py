"""Tune the jazz line: `jazz-report`'s figures for a sweep of lick strengths and pitch and
rhythm temperatures.

    python training/lick_sweep.py                         # both shipped jazz models, the default sweep
    python training/lick_sweep.py --models jazz-gru --licks 0 0.3 0.4 --pitch-temperature 0.65 0.8 \
        --rhythm-temperature 1.0 1.1                      # every combination, one row each
    python training/lick_sweep.py --store jazz-gru=0.35 jazz-lstm=0.7   # the tuned strengths
    python training/lick_sweep.py --store jazz-lstm:rhythm_temperature=1.1 jazz-lstm:pitch_temperature=0.75
    python training/lick_sweep.py --fit-intervals jazz-gru jazz-lstm   # the interval calibration (line_bias)
    python training/lick_sweep.py --fit-register jazz-gru jazz-lstm    # the register it plays in
    python training/lick_sweep.py --fit-onsets jazz-gru jazz-lstm      # the onset calibration

One take per validation solo of the model's training corpus (``splits.splits_for``: never
the test split, which only reports; `--split test` is refused), over that solo's changes,
form, tempo and length (seed 0 + i), exactly as `sequence-studio jazz-report` and the
model cards draw them (``jazz_report.model_takes`` + ``phrasing.report_figures``, swing left
out: the rendering's swing is the feel's, not the model's). Prints a markdown table with the human
(held-out) row first and issue 11's bounds checked per row; `--json` adds one JSON line
per run. The lick vocabulary depends on the corpus only, so rerun this after retraining
the weights to see which strength fits them. Heavy: run it under `nice` or
`flock /work/locks/heavy` (15 takes per row, 1-4 CPU minutes).

`--store NAME=VALUE` writes the chosen strength into the checkpoint (``meta["sampling"]
["licks"]``), `--store NAME:KEY=VALUE` a tuned pitch_temperature or rhythm_temperature
(``meta["sampling"][KEY]``): what ``generate.for_model`` reads when `--licks`,
`--pitch-temperature`, `--rhythm-temperature` (or the window's box) are not given. They
belong to the weights, so new weights start without them (``generate.LICKS``,
``PITCH_TEMPERATURE``, ``RHYTHM_TEMPERATURE`` then) until they are stored again. The file is re-saved as it was stored (float16 stays float16, extras
kept); then regenerate the cards (`python training/model_card.py --all --only NAME`).
`--fit-intervals NAME` fits the interval calibration (``music/line_bias.py``) teacher-forced
on the validation solos at the stored pitch temperature and licks and stores it the same
way (``meta["sampling"]["intervals"]``); refit it after storing new temperatures or licks.
`--no-intervals` sweeps without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import product
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import studio.domains  # noqa: E402,F401  (registers the domains)
from studio.core.checkpoint import load_checkpoint  # noqa: E402
from studio.music.fingerprint import performer_of  # noqa: E402
from studio.music.generate import LICKS, PITCH_TEMPERATURE, RHYTHM_TEMPERATURE, TUNABLE, JazzSettings  # noqa: E402
from studio.music.corpus.dataset import load_jazz_corpus  # noqa: E402
from studio.music.corpus.splits import tuning_part  # noqa: E402
from studio.music.analysis.jazz_report import held_out_solos, model_takes, training_fingerprint  # noqa: E402
from studio.music.analysis.phrasing import TEMPO_BANDS, report_figures  # noqa: E402
from studio.music.corpus.splits import splits_for  # noqa: E402

SWEEP = (0.0, 0.2, 0.3, 0.4, 0.5)
HEADER = ("| model | licks | pitch T | rhythm T | notes/bar < 140 / 140-199 / >= 200 | rests / 8 bars | "
          "repeated figure | idiom share | longest copy (median / max) | chord tones strong / all | "
          "repeats / leaps 5+ / 8+ / 16th+triplet / mean pitch | met |")


def met(fig: dict, human: dict) -> str:
    """Issue 11's bounds that licks can move, failed ones named (all held: 'all')."""
    def near(band, share):
        m, h = fig["notes_per_bar"][band], human["notes_per_bar"][band]
        return True if m is None or h is None else abs(m - h) <= share * h

    checks = {
        "idiom": fig["idiom_share"] >= 0.08,
        "copy": fig["longest_copy_max"] <= 16,
        "strong": fig["chord_tone_share_strong_beats"] >= human["chord_tone_share_strong_beats"],
        "all": abs(fig["chord_tone_share"] - human["chord_tone_share"]) <= 0.05,
        "rests": abs(fig["rests_per_8_bars"] - human["rests_per_8_bars"]) <= 0.2 * human["rests_per_8_bars"],
        "figure": fig["longest_repeated_figure_median"] >= 6,
        "<140": near(TEMPO_BANDS[0], 0.15),
        ">=200": near(TEMPO_BANDS[2], 0.15),
    }
    missed = [k for k, ok in checks.items() if not ok]
    return "all" if not missed else "not " + ", ".join(missed)


def row(name: str, licks, pitch_t, rhythm_t, fig: dict, human: dict | None) -> str:
    density = " / ".join("n/a" if fig["notes_per_bar"][b] is None else f"{fig['notes_per_bar'][b]:.2f}"
                         for b in TEMPO_BANDS)
    return (f"| {name} | {licks} | {pitch_t} | {rhythm_t} | {density} | {fig['rests_per_8_bars']:.2f} | "
            f"{fig['longest_repeated_figure_median']:g} | {fig['idiom_share']:.3f} | "
            f"{fig['longest_copy_median']:g} / {fig['longest_copy_max']} | "
            f"{fig['chord_tone_share_strong_beats']:.3f} / {fig['chord_tone_share']:.3f} | "
            f"{fig['repeated_note_share']:.3f} / {fig['leap_share_5']:.3f} / {fig['leap_share_8']:.3f} / "
            f"{fig['fine_onset_share']:.3f} / {fig['mean_pitch']:.1f} | "
            f"{met(fig, human) if human else ''} |")


def store(name: str, value, key: str = "licks") -> Path:
    """Write ``value`` as the checkpoint's tuned ``key`` (``generate.TUNABLE``: licks, pitch
    or rhythm temperature) in place, atomically."""
    from studio.core.checkpoint import save_checkpoint, stored_dtypes
    from studio.paths import shipped_models_dir

    if key == "onsets":          # a list per tempo band, fitted by fit_onsets (line_bias)
        from studio.music.line_bias import stored_onsets
        if stored_onsets({"sampling": {"onsets": value}}, 120) is None:
            raise SystemExit(f"{name}: rhythm offsets are 3 lists of 16 numbers within +-3")
    elif key == "intervals":       # a list, fitted by fit_intervals (line_bias)
        from studio.music.line_bias import CLASSES, LIMIT
        if not (isinstance(value, list) and len(value) == CLASSES and all(abs(v) <= LIMIT for v in value)):
            raise SystemExit(f"{name}: interval offsets are {CLASSES} numbers within +-{LIMIT:g}")
    elif key not in TUNABLE:
        raise SystemExit(f"{name}: {key} is not tuned per model (one of {', '.join(TUNABLE)})")
    _, low, high = TUNABLE.get(key, (None, None, None))
    if low is not None and not low <= value <= high:
        what = "a lick strength" if key == "licks" else f"a {key.replace('_', ' ')}"
        raise SystemExit(f"{name}: {what} is {low:g}..{high:g}, not {value:g}")
    path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
    ck = load_checkpoint(path)
    meta = {k: v for k, v in ck.meta.items() if k not in ("format", "format_version")}
    meta["sampling"] = {**(meta.get("sampling") or {}), key: value}
    save_checkpoint(path, ck.model, ck.vocab, meta, half="F16" in stored_dtypes(path), extras=ck.extras)
    return path


def fit_intervals(name: str, corpus) -> Path:
    """Fit the interval calibration (``line_bias``) on the validation solos at the
    checkpoint's stored pitch temperature and lick strength, print it, and store it."""
    import torch
    from studio.music import line_bias
    from studio.music.generate import model_plays_chords, tuned
    from studio.paths import shipped_models_dir

    path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
    ck = load_checkpoint(path)
    pitch_t, licks = tuned(ck.meta, "pitch_temperature"), tuned(ck.meta, "licks")
    solos = splits_for(ck.meta, corpus.solos).val   # validation only: never the test split
    logits, classes, played = line_bias.teacher_forced_steps(ck, solos, pitch_t, licks,
                                                             model_plays_chords(ck.meta or {}))
    offsets = line_bias.fit_offsets(logits, classes, played)
    before = line_bias.class_shares(logits, classes, torch.zeros(line_bias.CLASSES))
    players = torch.bincount(played, minlength=line_bias.CLASSES).float() / len(played)
    print(f"{ck.name}: {len(played)} steps of {len(solos)} validation solos, pitch T {pitch_t:g}, "
          f"licks {licks:g}\n| class | players | expected before | offset |\n|---|---|---|---|")
    for n, p, b, o in zip(line_bias.NAMES, players.tolist(), before.tolist(), offsets):
        print(f"| {n} | {p:.4f} | {b:.4f} | {o:+.3f} |")
    return store(name, offsets, "intervals")


def fit_register(name: str, corpus) -> Path:
    """Measure the register the checkpoint plays in on its own (mean MIDI pitch of two takes
    over each validation solo's first 48 bars, its stored settings) and store it as
    ``meta["sampling"]["register"]``: what an instrument's register is measured against
    (``generate.register_shift``)."""
    from studio.music.analysis.discriminate_report import generated_takes
    from studio.paths import shipped_models_dir

    path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
    ck = load_checkpoint(path)
    solos = splits_for(ck.meta, corpus.solos).val   # validation only: never the test split
    pitches = [n.pitch for _, _, take in generated_takes(ck, solos, instrument="model")
               for n in take.notes]
    register = round(sum(pitches) / len(pitches), 1)
    print(f"{ck.name}: {len(pitches)} notes of {2 * len(solos)} takes over {len(solos)} "
          f"validation solos: register {register}")
    return store(name, register, "register")


def fit_onsets(name: str, corpus, rounds: int = 6, per_band: int = 10, rate: float = 0.4) -> Path:
    """Fit the onset calibration (``line_bias.OnsetBias``) free-running: each round plays two
    takes over the first 48 bars of ``per_band`` training solos per tempo band (the net's
    own register, the stored settings and offsets so far) and moves each gap class by
    ``rate`` x log(training players' share / takes' share); then stores the offsets."""
    import math
    import random

    from studio.music import line_bias
    from studio.music.analysis.discriminate_report import generated_takes
    from studio.paths import shipped_models_dir

    path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
    ck = load_checkpoint(path)
    train = splits_for(ck.meta, corpus.solos).train     # never the validation or test solos
    from studio.music.encoding import decode_tokens, encode_solo

    bands = [[s for s in train if line_bias.gap_band(s.tempo) == b] for b in range(3)]
    # the players' rhythm as the net learnt it: encoded (durations snapped, shrunk to the next onset)
    written = [[decode_tokens(encode_solo(s), tempo=s.tempo) for s in group] for group in bands]
    target = [line_bias.rhythm_shares(group, 48) for group in written]
    charts = [random.Random(b).sample(group, min(per_band, len(group))) for b, group in enumerate(bands)]
    offsets = [[0.0] * line_bias.RHYTHM_CLASSES for _ in bands]
    for round_ in range(rounds + 1):
        ck.meta["sampling"] = {**(ck.meta.get("sampling") or {}), "onsets": offsets}
        print(f"{ck.name} round {round_}: " + "; ".join(
            f"band {b}: {' '.join(f'{v:+.2f}' for v in offsets[b])}" for b in range(3)))
        for b, group in enumerate(charts):
            takes = [t for _, _, t in generated_takes(ck, group, instrument="model", seed=100 * b)]
            shares = line_bias.rhythm_shares(takes, 48)
            density = sum(len(t.notes) for t in takes) / sum(min(48, t.bar_count) for t in takes)
            players = sum(len([n for n in s.notes if n.start < 48 * 48]) for s in bands[b]) / \
                sum(min(48, s.bar_count) for s in bands[b])
            print(f"  band {b}: notes per bar {density:.2f} (training players {players:.2f}); "
                  "gaps, then durations (takes/players) " + " ".join(
                      f"{n} {s:.3f}/{t:.3f}" for n, s, t in
                      zip(line_bias.GAP_NAMES * 2, shares.tolist(), target[b].tolist())))
            if round_ < rounds:
                offsets[b] = [round(max(-line_bias.ONSET_LIMIT, min(line_bias.ONSET_LIMIT,
                              o + rate * math.log(max(t, 1e-4) / max(s, 1e-4)))), 4)
                              for o, s, t in zip(offsets[b], shares.tolist(), target[b].tolist())]
    return store(name, offsets, "onsets")


def main(argv=None) -> int:
    from studio.paths import corpora_dir, shipped_models_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["jazz-gru", "jazz-lstm"],
                    help="shipped model names or checkpoint paths")
    ap.add_argument("--licks", nargs="+", type=float, default=list(SWEEP))
    ap.add_argument("--pitch-temperature", nargs="+", type=float, default=[PITCH_TEMPERATURE])
    ap.add_argument("--rhythm-temperature", nargs="+", type=float, default=[RHYTHM_TEMPERATURE])
    ap.add_argument("--corpus", type=Path, help="the models' training corpus (default ../shared/corpora/jazz)")
    ap.add_argument("--stride", type=int, default=1, help="every n-th validation solo (a quick look)")
    ap.add_argument("--split", default="val", help="val (the only split a sweep tunes on; "
                                                   "test is for reporting and refused)")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per run")
    ap.add_argument("--no-intervals", action="store_true",
                    help="play without the stored interval calibration (to measure what it does)")
    ap.add_argument("--fit-intervals", nargs="+", metavar="NAME",
                    help="fit the interval calibration on the validation solos at the stored "
                         "pitch temperature and licks, store it, and stop")
    ap.add_argument("--fit-onsets", nargs="+", metavar="NAME",
                    help="fit the onset calibration on takes over training solos' changes "
                         "(free-running), store it, and stop")
    ap.add_argument("--fit-register", nargs="+", metavar="NAME",
                    help="measure the register the model plays in (its takes over the validation "
                         "solos), store it, and stop")
    ap.add_argument("--store", nargs="+", metavar="NAME=VALUE",
                    help="write these tuned values into the checkpoints and stop (NAME=VALUE: "
                         "the lick strength; NAME:pitch_temperature=VALUE, NAME:rhythm_temperature=VALUE)")
    args = ap.parse_args(argv)
    try:
        part = tuning_part(args.split, "lick_sweep.py")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if args.store:
        for item in args.store:
            target, _, value = item.rpartition("=")
            name, sep, key = target.rpartition(":")
            if not (sep and key.isidentifier()):   # NAME=VALUE (a path may hold a ':')
                name, key = target, "licks"
            try:
                number = float(value)
            except ValueError:
                raise SystemExit(f"{item}: give NAME=VALUE or NAME:KEY=VALUE with a number") from None
            print(f"{store(name, number, key)}: {key} {number:g}")
        return 0
    corpus_path = args.corpus or ((corpora_dir() or Path("missing")) / "jazz")
    if not corpus_path.is_dir():
        raise SystemExit(f"no jazz corpus at {corpus_path}: pass --corpus")
    corpus = load_jazz_corpus(corpus_path)
    if args.fit_intervals:
        for name in args.fit_intervals:
            print(f"{fit_intervals(name, corpus)}: intervals stored")
        return 0
    if args.fit_onsets:
        for name in args.fit_onsets:
            print(f"{fit_onsets(name, corpus)}: onsets stored")
        return 0
    if args.fit_register:
        for name in args.fit_register:
            print(f"{fit_register(name, corpus)}: register stored")
        return 0
    print(f"when a model has none stored: licks {LICKS}, pitch temperature {PITCH_TEMPERATURE}, "
          f"rhythm temperature {RHYTHM_TEMPERATURE}\n\n"
          f"{HEADER}\n" + "|---" * 12 + "|")
    human = None
    for name in args.models:
        path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
        ck = load_checkpoint(path)
        fingerprint, _, _ = training_fingerprint(ck)
        solos, _, _ = held_out_solos(corpus, ck.meta, part)
        solos = solos[::args.stride]
        if human is None:
            human = report_figures(solos, fingerprint, [performer_of(s.title) for s in solos])
            print(row(f"humans, {len(solos)}", "", "", "", human, None), flush=True)
        for pitch_t, rhythm_t, licks in product(args.pitch_temperature, args.rhythm_temperature, args.licks):
            start = time.time()
            takes = model_takes(ck, solos, JazzSettings(licks=licks, pitch_temperature=pitch_t,
                                                        rhythm_temperature=rhythm_t,
                                                        intervals=not args.no_intervals))
            fig = report_figures(takes, fingerprint)
            print(row(f"{ck.name}, {len(solos)}", licks, pitch_t, rhythm_t, fig, human), flush=True)
            if args.json:
                print(json.dumps({"model": ck.name, "licks": licks, "pitch_temperature": pitch_t,
                                  "rhythm_temperature": rhythm_t,
                                  "seconds": round(time.time() - start), **fig}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
