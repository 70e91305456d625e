"""How answers respond to a call, per response mode, offline (no MIDI system needed).

For 4-bar WJazzD phrases (``live.phrase_windows``: the phrase, the chords of the solo's
next 4 bars, what the soloist played there) the model answers over the *next* bars' chords,
as trading does, in each mode (free / develop / echo / contrast) and to silence, with the
same seed. Per mode: the share of answers that share a 4-interval cell, a 4-onset rhythm
cell (or it augmented) with the call; the answers' chord-tone share against the players'
own (their next 4 bars: p10-p90); register and loudness against the call's; and how many
answers are note for note the answer to silence.

    python -m studio.bench.live_modes [--corpus FOLDER] [--phrases N] [--model jazz-gru] [--candidates K]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace

MODES = ("free", "develop", "echo", "contrast")


def answer_for(ckpt, mode: str, phrase, chart, base, candidates: int = 1):
    """The answer trading plays in ``mode`` (over ``chart``, the next block's chords);
    develop keeps the best of ``candidates`` drawn (``phrase.pick_for``), as trading does
    with the candidates that fit before the deadline."""
    from studio.music.generate import generate_takes
    from studio.music.live.events import chart_slice
    from studio.music.live.phrase import (follow_dynamics, join_answer, motif_primer, pick_for,
                                          restate_motif)
    from studio.music.live.trade import CALL_RESPONSE_TEMPERATURE, response_settings

    bars = chart.bar_count
    extra = response_settings(mode, phrase, base)
    settings = replace(base, primer=phrase, primer_bars=bars, **extra)
    if mode == "echo":
        motif = restate_motif(phrase, chart.bars[0][0][1], base.pitch_low, base.pitch_high)
        cool = replace(settings, temperature=base.temperature * CALL_RESPONSE_TEMPERATURE,
                       primer=motif_primer(phrase, motif, chart), primer_bars=bars + 1)
        rest = generate_takes(ckpt, chart_slice(chart, 1, bars - 1), cool)[0].solo
        answer = join_answer(motif, rest, chart, base.tempo)
    elif mode == "develop" and candidates > 1:      # seeds apart, as the worker draws them
        takes = [generate_takes(ckpt, chart, replace(settings, count=1, seed=base.seed + 7919 * i))[0]
                 for i in range(candidates)]
        answer = pick_for(mode, takes, phrase).solo
    else:
        answer = generate_takes(ckpt, chart, settings)[0].solo
    if mode != "free":
        answer = follow_dynamics(answer, statistics.mean(n.velocity for n in phrase.notes))
    return answer


def measure_modes(ckpt, windows, seed: int = 0, tempo: float = 240.0, candidates: int = 1) -> dict:
    from studio.music.generate import JazzSettings, generate_takes
    from studio.music.live.phrase import shares_cell
    from studio.music.metrics import chord_tone_share

    rows = {m: [] for m in MODES}
    players = [c for c in (chord_tone_share(cont) for _, _, cont in windows) if c is not None]
    for i, (phrase, chart, _cont) in enumerate(windows):
        base = JazzSettings(seed=seed + i, tempo=tempo)
        silence = generate_takes(ckpt, chart, base)[0].solo
        for mode in MODES:
            answer = answer_for(ckpt, mode, phrase, chart, base, candidates)
            cells = shares_cell(answer, phrase)
            rows[mode].append({
                **cells, "chord_tones": chord_tone_share(answer),
                "same_as_silence": [(n.start, n.pitch) for n in answer.notes]
                == [(n.start, n.pitch) for n in silence.notes],
                "mean_pitch_gap": abs(statistics.mean(n.pitch for n in answer.notes)
                                      - statistics.mean(n.pitch for n in phrase.notes))
                if answer.notes else None,
                "velocity_gap": abs(statistics.mean(n.velocity for n in answer.notes)
                                    - statistics.mean(n.velocity for n in phrase.notes))
                if answer.notes else None})
    q = statistics.quantiles(players, n=10) if len(players) > 2 else [min(players), max(players)]

    def share(rs, key):
        return round(sum(bool(r[key]) for r in rs) / len(rs), 3)

    def mean(rs, key):
        vals = [r[key] for r in rs if r[key] is not None]
        return round(statistics.mean(vals), 3) if vals else None

    out = {"phrases": len(windows), "candidates": candidates, "players_chord_tones_p10_p90": [round(q[0], 3), round(q[-1], 3)],
           "players_chord_tones_mean": round(statistics.mean(players), 3)}
    for mode, rs in rows.items():
        out[mode] = {"shares_a_cell": share(rs, "any"), "interval_cell": share(rs, "interval"),
                     "rhythm_cell": share(rs, "rhythm"), "augmented_rhythm": share(rs, "augmented"),
                     "chord_tones": mean(rs, "chord_tones"), "same_as_silence": share(rs, "same_as_silence"),
                     "mean_pitch_gap": mean(rs, "mean_pitch_gap"), "velocity_gap": mean(rs, "velocity_gap")}
    return out


def main(argv=None) -> int:
    from studio.bench.live import model_solos, phrase_windows
    from studio.core.checkpoint import load_checkpoint
    from studio.core.library import find_model

    p = argparse.ArgumentParser(prog="python -m studio.bench.live_modes")
    p.add_argument("--model", default="jazz-gru")
    p.add_argument("--corpus", help="WJazzD folder (default: the model's own takes)")
    p.add_argument("--phrases", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--candidates", type=int, default=1,
                   help="develop: answers drawn, the best kept (trading: those that fit in time)")
    args = p.parse_args(argv)
    ckpt = load_checkpoint(find_model(args.model))
    if args.corpus:
        from studio.music.corpus.wjazzd import load_wjazzd

        solos = load_wjazzd(args.corpus).solos
    else:
        solos = model_solos(ckpt, max(4, args.phrases // 4))
    windows = phrase_windows(solos, args.phrases, seed=7)
    json.dump(measure_modes(ckpt, windows, seed=args.seed, candidates=args.candidates), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
