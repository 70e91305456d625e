"""``sequence-studio <verb>``: the command-line twin of every GUI action.

Verbs: gui (default), sample, train, score, models, eval, bench. Each verb calls the same
engine function the window calls; nothing here knows about Qt except ``gui``'s import.
"""

from __future__ import annotations

import argparse
import json
import sys

from studio import __version__

VERBS = ("gui", "sample", "train", "score", "models", "eval", "bench")


def _add_device(p):
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps (default auto)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sequence-studio", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="verb")
    sub.add_parser("gui", help="open the window (the default)")

    s = sub.add_parser("sample", help="generate names, text or a jazz solo")
    s.add_argument("model", help="checkpoint file or library model name")
    s.add_argument("--prime", default="", help="seed text the sample continues")
    s.add_argument("-n", "--count", type=int, default=1, help="number of samples (one batched pass)")
    s.add_argument("-t", "--temperature", type=float, default=1.0, help="0 = greedy")
    s.add_argument("--top-k", type=int, default=0)
    s.add_argument("--top-p", type=float, default=1.0)
    s.add_argument("--length", type=int, default=None, help="max tokens (default 40 names, 500 text)")
    s.add_argument("--seed", type=int, default=None, help="RNG seed: same seed, same take")
    s.add_argument("--json", action="store_true", help="print JSON")
    jazz = s.add_argument_group("jazz")
    jazz.add_argument("--chart", help="chord chart, e.g. '| Dm7 | G7 | Cmaj7 | %% |', or a preset name")
    jazz.add_argument("--tempo", type=float, default=160)
    jazz.add_argument("--choruses", type=int, default=1)
    jazz.add_argument("--low", type=int, default=48, help="lowest MIDI pitch")
    jazz.add_argument("--high", type=int, default=84, help="highest MIDI pitch")
    jazz.add_argument("--scale-mask", action="store_true", help="only chord-scale pitches")
    jazz.add_argument("--primer", help="MIDI file whose opening the solo continues")
    jazz.add_argument("--primer-bars", type=int, default=4, help="bars of the primer to use")
    jazz.add_argument("--program", type=int, default=66, help="GM program of the solo (66 tenor sax)")
    jazz.add_argument("--no-comping", action="store_true")
    jazz.add_argument("--no-bass", action="store_true")
    jazz.add_argument("--out", help="write the solo as MIDI")
    jazz.add_argument("--wav", help="render the take to WAV")
    _add_device(s)

    from studio.cli_train import add_train_parser

    add_train_parser(sub)

    sc = sub.add_parser("score", help="probability, NLL per token and perplexity of sequences")
    sc.add_argument("model")
    sc.add_argument("texts", nargs="+")
    sc.add_argument("--top", type=int, default=3, help="candidates shown per step")
    sc.add_argument("--steps", action="store_true", help="show every step's probability")
    sc.add_argument("--json", action="store_true")
    _add_device(sc)

    m = sub.add_parser("models", help="list shipped and user models")
    m.add_argument("--json", action="store_true")
    m.add_argument("--import", dest="import_path", help="validate and copy a checkpoint into the library")

    e = sub.add_parser("eval", help="evaluate a model on a corpus (JSON)")
    e.add_argument("model")
    e.add_argument("--corpus", required=True)
    e.add_argument("--samples", type=int, default=500, help="names sampled for the novelty share")
    e.add_argument("--choruses", type=int, default=20, help="jazz: choruses sampled")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("-t", "--temperature", type=float, default=1.0, help="jazz: sampling temperature of the takes")
    _add_device(e)

    b = sub.add_parser("bench", help="speed figures as ratios against baselines (JSON)")
    b.add_argument("--quick", action="store_true", help="fewer tokens (a smoke run)")
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in VERBS and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui"] + argv
    args = build_parser().parse_args(argv)
    verb = args.verb or "gui"
    try:
        if verb == "gui":
            from studio.gui.app import main as gui_main

            return gui_main([])
        if verb == "train":
            from studio.cli_train import run_train

            return run_train(args)
        if verb == "bench":
            from studio.core.bench import run_bench

            print(json.dumps(run_bench(quick=args.quick), indent=2))
            return 0
        return {"sample": cmd_sample, "score": cmd_score, "models": cmd_models, "eval": cmd_eval}[verb](args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, not a traceback, for expected failures
        from studio.core.errors import user_message

        msg = user_message(exc)
        if msg is None:
            raise
        print(f"sequence-studio {verb}: {msg}", file=sys.stderr)
        return 2


def _load(args):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.devices import resolve_device
    from studio.core.library import find_model

    device, note = resolve_device(getattr(args, "device", "auto"))
    if note:
        print(note, file=sys.stderr)
    return load_checkpoint(find_model(args.model), device=device)


def cmd_sample(args) -> int:
    from studio.core.generate import generate_texts, known_items, stream_text
    from studio.core.sampler import SampleSettings

    ck = _load(args)
    if ck.domain == "jazz":
        from studio.cli_jazz import sample_jazz

        return sample_jazz(ck, args)
    length = args.length or (40 if ck.domain == "names" else 500)
    settings = SampleSettings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                              max_length=length, count=args.count, seed=args.seed)
    if ck.domain == "text" and args.count == 1 and not args.json:
        sys.stdout.write(args.prime)
        for piece in stream_text(ck, args.prime, settings):
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        return 0
    texts = generate_texts(ck, args.prime, settings)
    known = known_items(ck)
    if args.json:
        rows = [{"text": t, "new": (t not in known) if known is not None else None} for t in texts]
        print(json.dumps({"model": ck.name, "settings": settings.to_json(), "samples": rows}, indent=2))
        return 0
    for t in texts:
        tag = "" if known is None or ck.domain != "names" else ("  (in corpus)" if t in known else "  (new)")
        print(t + tag)
    return 0


def cmd_score(args) -> int:
    from studio.core.scoring import score_sequence

    ck = _load(args)
    results = [score_sequence(ck, text if ck.domain != "names" else text.lower(), top=args.top) for text in args.texts]
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


def cmd_models(args) -> int:
    from studio.core.library import import_model, list_models

    if args.import_path:
        entry = import_model(args.import_path)
        print(f"imported {entry.name} -> {entry.path}")
        return 0
    rows = [m.summary() for m in list_models()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no models yet: train one with `sequence-studio train`")
    for r in rows:
        where = "shipped" if r["shipped"] else "user"
        val = f"{r['val_nll']:.3f}" if isinstance(r["val_nll"], (int, float)) else "-"
        print(f"{r['name']:<28} {r['domain'] or '?':<6} {r['cell'] or '?':<5} {r['size']:<8} "
              f"val {val:<6} {where:<7} {r['path']}")
    return 0


def cmd_eval(args) -> int:
    from studio.core.evaluate import evaluate

    ck = _load(args)
    print(json.dumps(evaluate(ck, args.corpus, samples=args.samples, choruses=args.choruses,
                              seed=args.seed, temperature=args.temperature), indent=2))
    return 0
