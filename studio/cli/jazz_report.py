"""``sequence-studio jazz-report``: a jazz model's (or a folder of takes') phrasing beside
human solos: density by tempo, swing, rests, repetition, idioms, copies, chord tones; with
``--discriminate``, whether classifiers can tell its 4-bar phrases from the players' (ROC-AUC,
cross-validated by tune, on the test split)."""

from __future__ import annotations

import json

from studio.cli.common import add_device
from studio.cli.sample import add_line_arguments


def add_parser(sub):
    r = sub.add_parser("jazz-report", help="a jazz model's phrasing beside human solos (table or JSON)")
    r.add_argument("model", nargs="?", help="jazz checkpoint or library name: it plays one take per "
                                            "human solo, over that solo's changes, form, tempo and length")
    r.add_argument("--human", required=True,
                   help="folder of human solos (WJazzD or MIDI); the model's training corpus gives "
                        "one part of its split (--split), any other folder counts whole")
    r.add_argument("--takes", help="a folder of takes (MIDI) instead of a model")
    r.add_argument("--train-corpus", help="the training corpus, for idioms and copies (default: "
                                          "the fingerprint the checkpoint carries)")
    r.add_argument("--held-out", choices=("auto", "all", "split"), default="auto",
                   help="which human solos: as for eval; with --discriminate, split = the test "
                        "split (tunes never trained on), all = the whole folder, auto = the test "
                        "split where the folder has one")
    r.add_argument("--split", choices=("val", "test"), default=None,
                   help="on the model's training corpus: the test split (the default: solos "
                        "never trained or tuned on) or the validation split (what tuning reads)")
    r.add_argument("--seed", type=int, default=0, help="take i is drawn with seed + i")
    r.add_argument("--limit", type=int, default=None, help="only the first N human solos")
    r.add_argument("-t", "--temperature", type=float, default=1.0, help="master temperature")
    add_line_arguments(r)      # the line's temperatures and licks, as sample takes them
    r.add_argument("--json", action="store_true", help="print the figures as JSON")
    d = r.add_argument_group("discriminator")
    d.add_argument("--discriminate", action="store_true",
                   help="tell the takes' 4-bar phrases from the human solos' with a linear and a "
                        "GRU classifier: ROC-AUC with a 95%% interval, cross-validated by tune")
    d.add_argument("--takes-per-solo", type=int, default=2,
                   help="takes the model plays over each human solo (default 2)")
    d.add_argument("--bars", type=int, default=48,
                   help="the first N bars of each human solo and take (default 48)")
    d.add_argument("--folds", type=int, default=5,
                   help="cross-validation folds, grouped by tune (fewer when fewer tunes)")
    d.add_argument("--instrument", default="auto",
                   help="what the takes play on: 'auto' (default: the instrument whose players' "
                        "register is nearest each human solo's), 'model' (the model's own "
                        "register), or an instrument (trumpet, alto, tenor ...)")
    add_device(r)
    return r


def run(args) -> int:
    from studio.cli.common import load_model
    from studio.cli.sample import line_settings
    from studio.music.generate import JazzSettings
    from studio.music.analysis.jazz_report import format_report, jazz_report

    if not args.model and not args.takes:
        raise ValueError("give a jazz model or --takes FOLDER")
    ck = load_model(args) if args.model else None
    if ck is not None and ck.domain != "jazz":
        raise ValueError(f"{ck.name} is a {ck.domain} model; jazz-report needs a jazz model")
    settings = JazzSettings(temperature=args.temperature, **line_settings(args))
    held_out = {"auto": None, "all": True, "split": False}[args.held_out]
    if args.discriminate:
        return _discriminate(args, ck, settings, held_out)
    report = jazz_report(args.human, ck=ck, takes_folder=None if ck else args.takes,
                         settings=settings, train_corpus=args.train_corpus,
                         held_out=held_out,
                         seed=args.seed, limit=args.limit, split=args.split)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def _discriminate(args, ck, settings, held_out) -> int:
    import time

    from studio.music.analysis.discriminate_report import discriminator_report, format_discriminator

    if args.folds < 2:
        raise ValueError("--folds must be 2 or more")
    started = time.perf_counter()
    report = discriminator_report(args.human, ck=ck, takes_folder=None if ck else args.takes,
                                  settings=settings, takes=args.takes_per_solo, bars=args.bars,
                                  held_out=held_out, seed=args.seed, limit=args.limit,
                                  folds=args.folds, split=args.split,
                                  instrument=args.instrument)
    report["seconds"]["total"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_discriminator(report))
        print(f"total wall time: {report['seconds']['total']:.1f} s")
    return 0
