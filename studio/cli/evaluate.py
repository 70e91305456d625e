"""``sequence-studio eval MODEL --corpus PATH``: held-out figures as JSON (the domain's own)."""

from __future__ import annotations

import json

from studio.cli.common import add_device, check_seed, load_model


def add_parser(sub):
    e = sub.add_parser("eval", help="evaluate a model on a corpus (JSON)")
    e.add_argument("model")
    e.add_argument("--corpus", required=True)
    e.add_argument("--samples", type=int, default=500, help="names sampled for the novelty share")
    e.add_argument("--choruses", type=int, default=20, help="jazz: choruses sampled")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("-t", "--temperature", type=float, default=1.0, help="jazz: sampling temperature of the takes")
    e.add_argument("--pitch-temperature", type=float, default=None, help="jazz: pitch temperature, times -t")
    e.add_argument("--rhythm-temperature", type=float, default=None, help="jazz: rhythm temperature, times -t")
    e.add_argument("--licks", type=float, default=None, help="jazz: lean toward shared licks, 0..1 (0 = off)")
    e.add_argument("--held-out", choices=("auto", "all", "split"), default="auto",
                   help="jazz: which solos are scored: the whole folder (all), the training "
                        "split's validation solos (split), or auto: the whole folder unless it "
                        "is the model's training corpus")
    e.add_argument("--split", choices=("val", "test"), default=None,
                   help="jazz, on the model's training corpus: the test split (the default: "
                        "solos never trained or tuned on; the validation split where there is "
                        "no test part) or the validation split (what tuning reads)")
    add_device(e)
    return e


def run(args) -> int:
    from studio.core.evaluate import evaluate

    check_seed(args.seed)
    if args.samples < 1 or args.choruses < 1:
        raise ValueError("--samples and --choruses must be at least 1")
    if not (args.temperature >= 0 and args.temperature < float("inf")):
        raise ValueError(f"-t/--temperature must be a number >= 0, not {args.temperature}")
    ck = load_model(args)
    if args.split is not None and ck.domain != "jazz":
        raise ValueError(f"--split is for jazz models; {ck.name} is a {ck.domain} model "
                         "(its validation part is its only held-out part)")
    held_out = {"auto": None, "all": True, "split": False}[args.held_out]
    print(json.dumps(evaluate(ck, args.corpus, samples=args.samples, choruses=args.choruses,
                              seed=args.seed, temperature=args.temperature, held_out=held_out,
                              pitch_temperature=args.pitch_temperature,
                              rhythm_temperature=args.rhythm_temperature, licks=args.licks,
                              split=args.split), indent=2))
    return 0
