"""``sequence-studio score MODEL TEXT...``: probability, NLL per token and perplexity."""

from __future__ import annotations

import json
import sys

from studio.cli.common import add_device, load_model


def add_parser(sub):
    sc = sub.add_parser("score", help="probability, NLL per token and perplexity of sequences")
    sc.add_argument("model")
    sc.add_argument("texts", nargs="+")
    sc.add_argument("--top", type=int, default=3, help="candidates shown per step")
    sc.add_argument("--steps", action="store_true", help="show every step's probability")
    sc.add_argument("--json", action="store_true")
    add_device(sc)
    return sc


def run(args) -> int:
    from studio.core.sampling.scoring import score_sequence

    from studio.core.sampling.generate import input_note

    ck = load_model(args)
    for text in args.texts:  # the domain reads the input (names: lowercased); say so
        note = input_note(ck, text)
        if note:
            print(f"note: {note}", file=sys.stderr)
    results = [score_sequence(ck, text, top=args.top) for text in args.texts]
    if args.json:
        print(json.dumps([{"text": r.text, "logprob": r.logprob, "probability": r.probability,
                           "nll_per_token": r.nll_per_token, "perplexity": r.perplexity,
                           "steps": [{"token": s.token, "prob": s.prob, "top": s.top} for s in r.steps]}
                          for r in results], indent=2))
        return 0
    for r in sorted(results, key=lambda r: -r.logprob):
        print(f"{r.text!r}: log P = {r.logprob:.3f}  P = {r.probability:.3e}  "
              f"NLL/token = {r.nll_per_token:.3f}  perplexity = {r.perplexity:.2f}")
        if args.steps:
            for s in r.steps:
                alts = ", ".join(f"{t} {p:.2f}" for t, p in s.top)
                print(f"    {s.token!s:>4}  {s.prob:6.3f}   top: {alts}")
    return 0
