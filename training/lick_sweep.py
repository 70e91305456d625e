"""Tune the jazz lick strength: `jazz-report`'s figures for a sweep of `--licks` values.

    python training/lick_sweep.py                         # both shipped jazz models, the default sweep
    python training/lick_sweep.py --models jazz-gru --licks 0 0.3 0.4 --pitch-temperature 0.65
    python training/lick_sweep.py --store jazz-gru=0.35 jazz-lstm=0.7   # the tuned strengths

One take per validation solo of the model's training corpus, over that solo's changes,
form, tempo and length (seed 0 + i), exactly as `sequence-studio jazz-report` and the
model cards draw them (``jazz_report.model_takes`` + ``phrasing.report_figures``, swing left
out: licks do not touch the rhythm's rendering). Prints a markdown table with the human
(held-out) row first and issue 11's bounds checked per row; `--json` adds one JSON line
per run. The lick vocabulary depends on the corpus only, so rerun this after retraining
the weights to see which strength fits them. Heavy: run it under `nice` or
`flock /work/locks/heavy` (34 takes per row, 2-5 CPU minutes).

`--store NAME=VALUE` writes the chosen strength into the checkpoint (``meta["sampling"]
["licks"]``, what ``generate.tuned_licks`` reads when `--licks` is not given): the strength
belongs to the weights, so new weights start without one (``generate.LICKS`` then) until
it is stored again. The file is re-saved as it was stored (float16 stays float16, extras
kept); then regenerate the cards (`python training/model_card.py --all --only NAME`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import studio.domains  # noqa: E402,F401  (registers the domains)
from studio.core.checkpoint import load_checkpoint  # noqa: E402
from studio.music.fingerprint import performer_of  # noqa: E402
from studio.music.generate import LICKS, PITCH_TEMPERATURE, JazzSettings  # noqa: E402
from studio.music.jazz_data import load_jazz_corpus  # noqa: E402
from studio.music.jazz_report import held_out_solos, model_takes, training_fingerprint  # noqa: E402
from studio.music.phrasing import TEMPO_BANDS, report_figures  # noqa: E402

SWEEP = (0.0, 0.2, 0.3, 0.4, 0.5)
HEADER = ("| model | licks | pitch T | notes/bar < 140 / 140-199 / >= 200 | rests / 8 bars | "
          "repeated figure | idiom share | longest copy (median / max) | chord tones strong / all | met |")


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


def row(name: str, licks, pitch_t, fig: dict, human: dict | None) -> str:
    density = " / ".join("n/a" if fig["notes_per_bar"][b] is None else f"{fig['notes_per_bar'][b]:.2f}"
                         for b in TEMPO_BANDS)
    return (f"| {name} | {licks} | {pitch_t} | {density} | {fig['rests_per_8_bars']:.2f} | "
            f"{fig['longest_repeated_figure_median']:g} | {fig['idiom_share']:.3f} | "
            f"{fig['longest_copy_median']:g} / {fig['longest_copy_max']} | "
            f"{fig['chord_tone_share_strong_beats']:.3f} / {fig['chord_tone_share']:.3f} | "
            f"{met(fig, human) if human else ''} |")


def store(name: str, value: float) -> Path:
    """Write ``value`` as the checkpoint's tuned lick strength (in place, atomically)."""
    from studio.core.checkpoint import save_checkpoint, stored_dtypes
    from studio.paths import shipped_models_dir

    if not 0 <= value <= 1:
        raise SystemExit(f"{name}: a lick strength is 0..1, not {value}")
    path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
    ck = load_checkpoint(path)
    meta = {k: v for k, v in ck.meta.items() if k not in ("format", "format_version")}
    meta["sampling"] = {**(meta.get("sampling") or {}), "licks": value}
    save_checkpoint(path, ck.model, ck.vocab, meta, half="F16" in stored_dtypes(path), extras=ck.extras)
    return path


def main(argv=None) -> int:
    from studio.paths import corpora_dir, shipped_models_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["jazz-gru", "jazz-lstm"],
                    help="shipped model names or checkpoint paths")
    ap.add_argument("--licks", nargs="+", type=float, default=list(SWEEP))
    ap.add_argument("--pitch-temperature", nargs="+", type=float, default=[PITCH_TEMPERATURE])
    ap.add_argument("--corpus", type=Path, help="the models' training corpus (default ../shared/corpora/jazz)")
    ap.add_argument("--stride", type=int, default=1, help="every n-th validation solo (a quick look)")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per run")
    ap.add_argument("--store", nargs="+", metavar="NAME=VALUE",
                    help="write these tuned strengths into the checkpoints and stop")
    args = ap.parse_args(argv)
    if args.store:
        for item in args.store:
            name, _, value = item.partition("=")
            print(f"{store(name, float(value))}: licks {float(value):g}")
        return 0
    corpus_path = args.corpus or ((corpora_dir() or Path("missing")) / "jazz")
    if not corpus_path.is_dir():
        raise SystemExit(f"no jazz corpus at {corpus_path}: pass --corpus")
    corpus = load_jazz_corpus(corpus_path)
    print(f"licks when a model has none stored {LICKS}, pitch temperature {PITCH_TEMPERATURE}\n\n"
          f"{HEADER}\n" + "|---" * 10 + "|")
    human = None
    for name in args.models:
        path = Path(name) if name.endswith(".safetensors") else shipped_models_dir() / f"{name}.safetensors"
        ck = load_checkpoint(path)
        fingerprint, _, sha = training_fingerprint(ck)
        solos, _ = held_out_solos(corpus, sha)
        solos = solos[::args.stride]
        if human is None:
            human = report_figures(solos, fingerprint, [performer_of(s.title) for s in solos])
            print(row(f"humans, {len(solos)}", "", "", human, None), flush=True)
        for pitch_t in args.pitch_temperature:
            for licks in args.licks:
                start = time.time()
                takes = model_takes(ck, solos, JazzSettings(licks=licks, pitch_temperature=pitch_t))
                fig = report_figures(takes, fingerprint)
                print(row(f"{ck.name}, {len(solos)}", licks, pitch_t, fig, human), flush=True)
                if args.json:
                    print(json.dumps({"model": ck.name, "licks": licks, "pitch_temperature": pitch_t,
                                      "seconds": round(time.time() - start), **fig}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
