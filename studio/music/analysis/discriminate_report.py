"""``jazz-report --discriminate``: which phrases the discriminator compares, and its summary.

The human side is the **test split** of the human folder (``splits.report_split``: solos of
tunes the model never trained on, which no tuning tool reads), or the whole folder when it
has no test split (fewer than 50 solos) or when asked (``held_out=True``). The generated
side is ``takes`` takes per human solo, played by the model now over that solo's first
``bars`` bars: its chord spans, form and tempo (``generate.generate_over``, with the
model's stored default settings), or a folder of takes (MIDI). Both sides are cut to their
first ``bars`` bars, then into 4-bar phrases, each grouped by tune (``splits.tune_of``).

A listening test plays both lines on one instrument: by default (``instrument="auto"``)
each take is played on the instrument whose players' register is nearest the human solo's
(``instruments.nearest_instrument``: its register and range, so a trumpeter's solo is
answered by a trumpet line, not by the model's tenor-saxophone average); "model" leaves
the model's own register, a name plays every take on that instrument.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from studio.music.analysis.discriminate import FOLDS, discriminate
from studio.music.analysis.phrase_features import Phrase, cut_phrases
from studio.music.corpus.dataset import load_jazz_corpus
from studio.music.corpus.splits import cut_solo, splits_for, tune_of
from studio.music.generate import JazzSettings, for_model, generate_over
from studio.music.perform.instruments import Instrument, instrument_named, nearest_instrument

BARS = 48
TAKES = 2


def human_solos(corpus, held_out: bool | None, meta: dict | None = None,
                part: str | None = None) -> tuple[list, str]:
    """(the human solos, which they are): ``held_out`` False the model's test split
    (``splits_for``: the split the checkpoint was trained with; refused when there is
    none), True the whole folder, None the test split where there is one. ``part`` "val"
    takes the validation split instead (for tuning: never the test split)."""
    if held_out:
        return list(corpus.solos), "whole folder"
    split = splits_for(meta, corpus.solos)
    if part == "val":
        return split.val, f"the validation split: {len(split.val)} solos"
    if split.test:
        tunes = len({tune_of(s.title) for s in split.test})
        return split.test, f"the test split: {len(split.test)} solos of {tunes} tunes never trained on"
    if held_out is False or part == "test":
        raise ValueError(f"{corpus.name} has no test split ({len(corpus.solos)} solos; it takes "
                         "50 or more): use --held-out all")
    return list(corpus.solos), f"whole folder (no test split in {len(corpus.solos)} solos)"


def _first_bars(solo, bars: int):
    cut = cut_solo(solo, 0, min(bars, max(1, solo.bar_count)))
    cut.chorus_starts = [b for b in solo.chorus_starts if b < bars]
    return cut


def instrument_for(solo, instrument: str = "auto") -> Instrument | None:
    """The instrument a take over ``solo`` plays on: "auto" the one nearest the solo's
    register, "model" none (the model's own register), else the one named."""
    if instrument == "model":
        return None
    if instrument != "auto":
        return instrument_named(instrument)
    pitches = [n.pitch for n in solo.notes]
    return nearest_instrument(sum(pitches) / len(pitches)) if pitches else None


def generated_takes(ck, solos, settings: JazzSettings | None = None, takes: int = TAKES,
                    seed: int = 0, bars: int = BARS, instrument: str = "auto"
                    ) -> list[tuple[str, str, object]]:
    """(group, source, take solo): ``takes`` takes over each solo's first ``bars`` bars,
    drawn in one batch with seed + i for solo i, on ``instrument_for`` the solo."""
    settings = settings or JazzSettings()
    out = []
    for i, solo in enumerate(solos):
        first = _first_bars(solo, bars)
        run = replace(settings, seed=seed + i, count=takes, primer=None)
        inst = instrument_for(first, instrument)
        if inst is not None:
            run = replace(run, register=inst.register, pitch_low=inst.low, pitch_high=inst.high)
        for j, take in enumerate(generate_over(ck, first, run)):
            out.append((tune_of(solo.title), f"{solo.title} take {j + 1}", take.solo))
    return out


def folder_takes(folder, solos) -> list[tuple[str, str, object]]:
    """(group, source, take solo) of a folder of takes. A take whose name begins with a
    human solo's title (``ArtPepper_Desafinado take 1.mid``) is in that solo's tune group;
    any other is its own (``tune_of`` its name)."""
    titles = sorted((s.title for s in solos), key=len, reverse=True)
    out = []
    for take in load_jazz_corpus(folder).solos:
        owner = next((t for t in titles if take.title.startswith(t)), take.title)
        out.append((tune_of(owner), take.title, take))
    return out


def discriminator_report(human_folder, ck=None, takes_folder=None,
                         settings: JazzSettings | None = None, takes: int = TAKES,
                         bars: int = BARS, held_out: bool | None = None, seed: int = 0,
                         limit: int | None = None, folds: int = FOLDS, gru: bool = True,
                         gru_settings=None, split: str | None = None,
                         instrument: str = "auto") -> dict:
    """The discriminator's figures for a model (or a folder of takes) against human solos."""
    if ck is None and takes_folder is None:
        raise ValueError("give a model or a folder of takes")
    if takes < 1 or bars < 4:
        raise ValueError("--takes-per-solo must be 1 or more and --bars 4 or more")
    started = time.perf_counter()
    solos, which = human_solos(load_jazz_corpus(human_folder), held_out,
                               getattr(ck, "meta", None), split)
    solos = solos[:limit] if limit else solos
    phrases: list[Phrase] = []
    for solo in solos:
        phrases += cut_phrases(solo, tune_of(solo.title), 0, bars)
    out = {"human_folder": str(human_folder), "human_solos": len(solos), "human_split": which,
           "bars": bars}
    if ck is not None:
        if instrument not in ("auto", "model"):
            instrument_named(instrument)   # an unknown name is refused before any take
        generated = generated_takes(ck, solos, settings, takes, seed, bars, instrument)
        played = [getattr(instrument_for(_first_bars(s, bars), instrument), "name", "model's own")
                  for s in solos]
        out.update(model=ck.name, settings=for_model(settings or JazzSettings(), ck).to_json(),
                   takes_per_solo=takes, instrument=instrument,
                   instruments={name: played.count(name) for name in sorted(set(played))})
    else:
        generated = folder_takes(takes_folder, solos)
        out["model"] = f"takes in {Path(takes_folder).name}"
    for group, source, solo in generated:
        phrases += cut_phrases(solo, group, 1, bars, source)
    out["generated_takes"] = len(generated)
    generating = time.perf_counter() - started
    out.update(discriminate(phrases, folds, seed, gru, gru_settings))
    out["seconds"] = {"takes": round(generating, 1),
                      "classifiers": round(time.perf_counter() - started - generating, 1)}
    return out


_NAMES = {"linear": "linear (logistic regression, all features)",
          "gru": "GRU over note events",
          "pitch": "linear, pitch features only",
          "rhythm": "linear, rhythm features only",
          "durations": "linear, duration features only"}


def _auc_line(name: str, fig: dict) -> str:
    lo, hi = fig["ci95"]
    return f"  {_NAMES[name]:<44} {fig['auc']:.3f}  [{lo:.3f}, {hi:.3f}]"


def _instrument_lines(report: dict) -> list[str]:
    if not report.get("instruments"):
        return []
    played = ", ".join(f"{name} {n}" for name, n in report["instruments"].items())
    why = "nearest each solo's register" if report["instrument"] == "auto" else "as asked"
    return [f"takes played on ({why}): {played}"]


def _mean(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def format_discriminator(report: dict) -> str:
    """The report as readable text."""
    p = report["phrases"]
    lines = [f"discriminator: {report['model']} vs {report['human_solos']} human solos "
             f"({report['human_split']}), first {report['bars']} bars",
             *_instrument_lines(report),
             f"4-bar phrases: {p['human']} human, {p['generated']} generated, over "
             f"{report['tunes']} tunes; {report['folds']} folds grouped by tune",
             "ROC-AUC [95% interval, bootstrap over tunes] (0.5: cannot tell; 1: always can)"]
    lines += [_auc_line(name, fig) for name, fig in report["classifiers"].items()]
    lines += [_auc_line(name, fig) for name, fig in report["families"].items()]
    width = max(len(r["feature"]) for r in report["giveaways"]["top"] + report["giveaways"]["headline"])
    lines.append("what gives it away (standardized coefficient: + marks generated)")
    lines.append(f"  {'feature':<{width}}  {'coef':>6}  {'human':>9}  {'generated':>9}")
    for r in report["giveaways"]["top"]:
        lines.append(f"  {r['feature']:<{width}}  {r['coefficient']:+6.2f}  "
                     f"{_mean(r['human_mean']):>9}  {_mean(r['generated_mean']):>9}")
    lines.append("the listening test's figures (phrase means)")
    for r in report["giveaways"]["headline"]:
        lines.append(f"  {r['feature']:<{width}}  {'':6}  "
                     f"{_mean(r['human_mean']):>9}  {_mean(r['generated_mean']):>9}")
    s = report["seconds"]
    lines.append(f"wall time: {s['takes']:.1f} s for the takes, {s['classifiers']:.1f} s for "
                 "the classifiers")
    return "\n".join(lines)
