"""``sequence-studio sample JAZZ_MODEL --chart ...``: a solo over a chord chart, to MIDI/WAV."""

from __future__ import annotations

import json
import sys


def sample_jazz(ck, args) -> int:
    from studio.music.chart import PRESETS
    from studio.music.generate import JazzSettings, generate_takes
    from studio.music.synth import render_solo, write_wav

    chart = args.chart or "Bb blues"
    chart = PRESETS.get(chart, chart)  # a preset name or the chart text itself
    settings = JazzSettings(temperature=args.temperature, top_p=args.top_p, top_k=args.top_k,
                            seed=args.seed, choruses=args.choruses, tempo=args.tempo,
                            pitch_low=args.low, pitch_high=args.high, scale_mask=args.scale_mask,
                            primer=args.primer, primer_bars=args.primer_bars, count=args.count)
    takes = generate_takes(ck, chart, settings)
    outputs = []
    for i, take in enumerate(takes):
        suffix = "" if len(takes) == 1 else f"-{i + 1}"
        row = take.describe()
        row["metrics"] = take.metrics()
        if args.out:
            path = _numbered(args.out, suffix)
            take.to_midi(path, program=args.program, comping=not args.no_comping, bass=not args.no_bass)
            row["midi"] = path
        if args.wav:
            path = _numbered(args.wav, suffix)
            write_wav(path, render_solo(take.solo, comping=not args.no_comping, bass=not args.no_bass))
            row["wav"] = path
        outputs.append(row)
    if args.json:
        print(json.dumps(outputs, indent=2, default=str))
        return 0
    for row in outputs:
        m = row["metrics"]
        print(f"take: {row['bars']} bars, {row['notes']} notes, {row['seconds']} s at {row['tempo']} bpm, "
              f"seed {row['seed']}; chord-tone share {m.get('chord_tone_share', float('nan')):.2f}")
        for key in ("midi", "wav"):
            if key in row:
                print(f"  {key}: {row[key]}")
    if not (args.out or args.wav):
        print("(use --out solo.mid and/or --wav solo.wav to keep the take)", file=sys.stderr)
    return 0


def _numbered(path: str, suffix: str) -> str:
    if not suffix:
        return path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}{suffix}.{ext}" if dot else path + suffix
