"""``sequence-studio train``: the trainer from a terminal, a recipe, or the GUI's QProcess.

``--jsonl`` prints one JSON object per trainer event on stdout (the GUI draws curves from
them); otherwise a terminal gets a progress bar and readable lines. SIGINT/SIGTERM ask the
trainer to stop cleanly: it writes a resume checkpoint first (``--resume`` continues) and
the process exits 128 + the signal number (130 for Ctrl-C) after saying "stopped".
Before training starts (reading a corpus) a signal ends the command at once.

Under ``torchrun --nproc-per-node N -m studio train ...`` every process runs this verb:
they join one process group (``studio.core.training.distributed``), each trains on its share of
every batch, and only rank 0 prints events and writes files (docs/SCALING.md).
``--control stdin`` (the window) also takes a ``stop`` line on stdin, or its end, as that
signal (``train_control``): Pause and Stop need no SIGTERM, so they work on Windows.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import fields
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from studio.cli import train_control
from studio.cli.common import DEVICE_HELP, StopSignals
from studio.cli.train_output import Terminal, jsonl
from studio.core.outputs import OutputClaim, OutputError  # (stdlib only: --help stays fast)

FLAGS = {  # flag -> TrainConfig field (None default: the recipe or TrainConfig decides)
    "kind": str, "cell": str, "layers": int, "hidden": int, "embedding": int, "dropout": float,
    "lr": float, "weight_decay": float, "batch_size": int, "window": int, "epochs": int,
    "max_steps": int, "clip": float, "schedule": str, "warmup": int, "eval_every": int,
    "patience": int, "val_fraction": float, "seed": int, "device": str, "name": str,
    "precision": str, "split": str,
}
HELP = {"device": DEVICE_HELP,
        "precision": "auto (bf16 autocast on CUDA, fp16 + grad scaler on GPUs without bf16, "
                     "fp32 elsewhere) | fp32 | bf16 (CPU too) | fp16; weights stay float32",
        "split": "jazz: solos (the default: validation solos by title) | tunes (train, "
                 "validation and test by tune, none in two parts; test is never read in "
                 "training and is what jazz-report and eval report on)"}


def add_parser(sub):
    t = sub.add_parser("train", help="train a generator on a corpus")
    t.add_argument("--corpus", help="names/text file, or jazz folder (WJazzD or MIDI files)")
    t.add_argument("--recipe", help="TOML recipe (training/*.toml); flags override it")
    t.add_argument("--out", help="best checkpoint path (default: the user library)")
    t.add_argument("--resume", help="continue from a .last.safetensors resume file")
    t.add_argument("--init-from", help="fine-tune this checkpoint instead of starting fresh")
    t.add_argument("--jsonl", action="store_true", help="one JSON object per event on stdout")
    t.add_argument("--report", action="store_true", help="print the dataset report and exit")
    t.add_argument("--no-chords", action="store_true", help="jazz: train the chord-blind twin")
    t.add_argument("--lead", metavar="NAME|NUMBER|auto",
                   help="jazz, your own MIDI files: the part to learn as the melody, by (part of) "
                        "its track name or its number in the report; auto (the default) picks it "
                        "by track name, General MIDI program and range")
    t.add_argument("--half", action="store_true", help="store the best weights in float16")
    t.add_argument("--force", action="store_true", help="replace an existing --out file")
    t.add_argument("--allow-corpus-change", action="store_true",
                   help="resume although the corpus is not the one the run started on")
    train_control.add_argument(t)
    for flag, typ in FLAGS.items():
        name = "--batch" if flag == "batch_size" else "--" + flag.replace("_", "-")
        t.add_argument(name, dest=flag, type=typ, default=None, help=HELP.get(flag))
    return t


def load_recipe(path) -> dict:
    """A recipe's [corpus]/[model]/[train]/[output] tables flattened to TrainConfig fields."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    flat: dict = {}
    for table in ("model", "train"):
        flat.update(data.get(table, {}))
    corpus = data.get("corpus", {})
    output = data.get("output", {})
    if "kind" in corpus:
        flat["kind"] = corpus["kind"]
    for key in ("chords", "val_fraction", "lead", "split"):
        if key in corpus:
            flat[key] = corpus[key]
    if "name" in output:
        flat["name"] = output["name"]
    if "half_weights" in output:
        flat["half_weights"] = output["half_weights"]
    extra = {"corpus": corpus.get("path"), "out": output.get("out")}
    return {"config": flat, **extra}


def run(args) -> int:
    from studio.core.checkpoint import read_metadata
    from studio.core.devices import require_device
    from studio.core.training.distributed import start
    from studio.core.training.trainer import TrainConfig, kind_defaults

    settings: dict = {}
    corpus_path, out = args.corpus, args.out
    if args.resume:
        stored = read_metadata(args.resume).get("train_config")
        if not isinstance(stored, dict):
            raise ValueError(f"{Path(args.resume).name} is not a resume file of this trainer "
                             "(no training settings in it)")
        settings.update(stored)
    if args.recipe:
        recipe = load_recipe(args.recipe)
        settings.update(recipe["config"])
        corpus_path = corpus_path or recipe["corpus"]
        out = out or recipe["out"]
    settings.update({k: getattr(args, k) for k in FLAGS if getattr(args, k) is not None})
    settings.setdefault("kind", "text")
    if not args.resume and not args.recipe:  # kind defaults sit under the recipe and the flags
        settings = {**kind_defaults(settings["kind"]), **settings}
    if args.no_chords:
        settings["chords"] = False
    if args.lead is not None:
        lead = lead_choice(args.lead)
        if args.resume and lead != settings.get("lead", ""):
            raise ValueError(f"{Path(args.resume).name} learns lead "
                             f"{settings.get('lead') or 'auto'!r}: a resumed run keeps its lead "
                             "(start a new run for another part)")
        settings["lead"] = lead
    if args.resume and args.split is not None and args.split != (stored.get("split") or "solos"):
        raise ValueError(f"{Path(args.resume).name} was split by {stored.get('split') or 'solos'}: "
                         "a resumed run keeps its split (start a new run for another)")
    if args.half:
        settings["half_weights"] = True
    known = {f.name for f in fields(TrainConfig)}
    config = TrainConfig.from_dict({k: v for k, v in settings.items() if k in known})  # checked
    if not corpus_path:
        raise ValueError("--corpus is required (a file for names/text, a folder for jazz)")
    check_lead(config.kind, config.lead, corpus_path)
    device = require_device(config.device)  # absent: one message naming the devices here
    with StopSignals() as stop:  # Ctrl-C while loading ends at once; while training, cleanly
        ranks, device = start(device)  # under torchrun: join the others (a no-op otherwise)
        if args.control == "stdin" and ranks.main:  # the window's Pause/Stop on every OS;
            train_control.watch_stdin()  # rank 0's stop reaches the others at the next step
        try:
            return _train(args, config, corpus_path, out, stop, ranks, device)
        finally:
            ranks.close()


def _train(args, config, corpus_path, out, stop, ranks, device) -> int:
    from studio.core.checkpoint import load_checkpoint
    from studio.core.library import find_model

    silent = lambda event: None  # noqa: E731  (ranks other than 0 say nothing)
    emit = (jsonl if args.jsonl else Terminal().handle) if ranks.main else silent
    vocab = None
    init_from = find_model(args.init_from) if args.init_from else None
    if init_from or args.resume:
        vocab = load_checkpoint(args.resume or init_from).vocab
    if args.report:
        claim, note = contextlib.nullcontext(), None
    else:  # before the slow part: where it goes, claimed (locked, checked writable) at once
        out, note, claim = _output_path(args, out, config, corpus_path, ranks.main)
    with claim:
        return _train_into(args, config, corpus_path, out, note, stop, ranks, device, emit,
                           vocab, init_from)


def _train_into(args, config, corpus_path, out, note, stop, ranks, device, emit, vocab,
                init_from) -> int:
    from studio.core.data import load_corpus
    from studio.core.training.trainer import Trainer

    corpus = load_corpus(corpus_path, config.kind, val_fraction=config.val_fraction,
                         vocab=vocab, chords=config.chords, lead=config.lead or None,
                         split=config.split,
                         progress=lambda message: emit({"event": "progress", "stage": "corpus",
                                                        "message": message}))
    if config.split != "solos" and corpus.meta().get("split") != config.split:
        raise ValueError(f"--split {config.split} is for jazz corpora (solos over tunes), "
                         f"not a {corpus.kind} corpus")
    if args.report:
        emit({"event": "report", **corpus.report})
        return 0
    trainer = Trainer(config, corpus, out, resume=args.resume, init_from=init_from,
                      allow_corpus_change=args.allow_corpus_change, ranks=ranks, device=device)
    for event in Trainer.EVENTS:
        trainer.on(event, emit)
    if note:
        trainer.notes.append(note)
    stop.trainer = trainer
    try:
        trainer.run()
    except Exception as exc:
        if args.jsonl and ranks.main:
            jsonl({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        raise
    # every rank exits as the one a signal reached (a stopped run: 128 + the signal)
    signum = int(ranks.max([stop.signum or 0])[0])
    return 128 + signum if signum else 0


def _output_path(args, out, config, corpus_path, main: bool = True):
    """Where the best model goes, a note when the name had to change, and the claim on it
    (``studio.core.outputs``: held for the whole run, so a second run given the same --out
    is refused at once; creating it checks that the folder is writable before any work).
    A resumed run keeps its own files; anything else already there (a library model given
    as --out with another run's --resume, a resume file) is kept unless --force. Without
    --out the run takes a free name in the library (``name-2`` ...). Ranks other than 0
    write nothing and claim nothing."""
    from studio.core.library import free_model_path
    from studio.core.training.resume import resume_path_for
    from studio.paths import user_models_dir

    note = None
    if out or args.resume:
        out = Path(out) if out else _best_path_for(Path(args.resume))
        if out.is_dir():
            raise ValueError(f"--out {out} is a folder; give a file name, e.g. "
                             f"{out / 'model.safetensors'}")
        own = bool(args.resume) and _same_file(resume_path_for(out), Path(args.resume))
        claim = _claim(out, args.force or own, main)
    else:
        name = config.name or f"{Path(corpus_path).stem}-{config.cell}"
        for _ in range(20):  # a concurrent run may take the free name first: the next one
            out = free_model_path(user_models_dir(), name)
            try:
                claim = _claim(out, False, main)
                break
            except (FileExistsError, OutputError):
                continue
        else:
            raise OutputError(f"no free name for {name!r} in {user_models_dir()}")
        config.name = out.name[: -len(".safetensors")]
        if config.name != name:
            note = f"a model called {name!r} is in the library already: this one is {config.name!r}"
    return out, note, claim


def _claim(out: Path, force: bool, main: bool):
    """The run's claim on ``out`` (and the check of its resume file), entered now."""
    from studio.core.training.resume import resume_path_for

    held = contextlib.ExitStack()  # entered here; the caller's `with` only releases it
    if not main:
        return held
    with contextlib.ExitStack() as checking:
        checking.enter_context(OutputClaim(out, force=force, model=True))
        if not force and resume_path_for(out).exists():
            raise FileExistsError(f"{resume_path_for(out)} already exists; add --force to "
                                  "replace it, or choose another --out")
        held.push(checking.pop_all())
    return held


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def lead_choice(text: str) -> str:
    """``--lead``: "auto" (any case) or empty is "" (picked); a name or number as given."""
    text = text.strip()
    return "" if text.lower() == "auto" else text


def check_lead(kind: str, lead: str, corpus_path) -> None:
    """A lead choice only means something for MIDI files: say so instead of ignoring it
    (the window's Train tab asks this too, before its dataset report)."""
    if not lead:
        return
    if kind != "jazz":
        raise ValueError(f"--lead picks the melody part of MIDI files (--kind jazz); a {kind} "
                         "corpus has no parts")
    from studio.music.corpus.dataset import is_wjazzd_folder

    if is_wjazzd_folder(Path(corpus_path).expanduser()):
        raise ValueError("--lead is for your own MIDI files: the Weimar Jazz Database folder "
                         "already holds each solo's line (leave --lead out)")


def _best_path_for(resume: Path) -> Path:
    name = resume.name.replace(".last.safetensors", ".safetensors")
    return resume.with_name(name)
