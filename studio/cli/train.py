"""``sequence-studio train``: the trainer from a terminal, a recipe, or the GUI's QProcess.

``--jsonl`` prints one JSON object per trainer event on stdout (the GUI draws curves from
them); otherwise a terminal gets a progress bar and readable lines. SIGINT/SIGTERM ask the
trainer to stop cleanly: it writes a resume checkpoint first (``--resume`` continues).
"""

from __future__ import annotations

import json
import math
import signal
import sys
from dataclasses import fields
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

FLAGS = {  # flag -> TrainConfig field (None default: the recipe or TrainConfig decides)
    "kind": str, "cell": str, "layers": int, "hidden": int, "embedding": int, "dropout": float,
    "lr": float, "weight_decay": float, "batch_size": int, "window": int, "epochs": int,
    "max_steps": int, "clip": float, "schedule": str, "warmup": int, "eval_every": int,
    "patience": int, "val_fraction": float, "seed": int, "device": str, "name": str,
}


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
    t.add_argument("--half", action="store_true", help="store the best weights in float16")
    for flag, typ in FLAGS.items():
        name = "--batch" if flag == "batch_size" else "--" + flag.replace("_", "-")
        t.add_argument(name, dest=flag, type=typ, default=None)
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
    for key in ("chords", "val_fraction"):
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
    from studio.core.data import load_corpus
    from studio.core.library import find_model
    from studio.core.trainer import TrainConfig, Trainer, kind_defaults
    from studio.paths import user_models_dir

    settings: dict = {}
    corpus_path, out = args.corpus, args.out
    if args.resume:
        settings.update(read_metadata(args.resume).get("train_config", {}))
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
    if args.half:
        settings["half_weights"] = True
    known = {f.name for f in fields(TrainConfig)}
    config = TrainConfig.from_dict({k: v for k, v in settings.items() if k in known})
    if not corpus_path:
        raise ValueError("--corpus is required (a file for names/text, a folder for jazz)")
    vocab = None
    init_from = find_model(args.init_from) if args.init_from else None
    if init_from or args.resume:
        from studio.core.checkpoint import load_checkpoint

        vocab = load_checkpoint(args.resume or init_from).vocab
    corpus = load_corpus(corpus_path, config.kind, val_fraction=config.val_fraction,
                         vocab=vocab, chords=config.chords)
    emit = _jsonl if args.jsonl else _Terminal().handle
    if args.report:
        emit({"event": "report", **corpus.report})
        return 0
    if args.resume:
        out = out or _best_path_for(Path(args.resume))
    name = config.name or f"{Path(corpus_path).stem}-{config.cell}"
    config.name = name
    out = Path(out) if out else user_models_dir() / f"{name}.safetensors"
    trainer = Trainer(config, corpus, out, resume=args.resume, init_from=init_from)
    for event in Trainer.EVENTS:
        trainer.on(event, emit)
    _install_signals(trainer)
    try:
        trainer.run()
    except Exception as exc:
        if args.jsonl:
            _jsonl({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        raise
    return 0


def _best_path_for(resume: Path) -> Path:
    name = resume.name.replace(".last.safetensors", ".safetensors")
    return resume.with_name(name)


def _install_signals(trainer) -> None:
    def handler(signum, frame):
        if trainer._stop:  # a second signal: the user means it
            raise KeyboardInterrupt
        trainer.request_stop()

    signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonl(event: dict) -> None:
    sys.stdout.write(json.dumps({k: _clean(v) for k, v in event.items()}) + "\n")
    sys.stdout.flush()


class _Terminal:
    """Human output: the report, a tqdm bar on stderr, eval lines and samples."""

    def __init__(self):
        self.bar = None

    def handle(self, e: dict) -> None:
        kind = e["event"]
        if kind == "report":
            skip = {"event", "rejected_lines", "files"}
            print("dataset: " + ", ".join(f"{k}={v}" for k, v in e.items() if k not in skip and not isinstance(v, (list, dict))))
            for r in e.get("rejected_lines", [])[:10]:
                print(f"  rejected line {r['line']}: {r['reason']}: {r['text']!r}")
        elif kind == "info":
            print(e["message"])
        elif kind == "step":
            if self.bar is None:
                from tqdm import tqdm

                total = round(e["step"] / e["progress"]) if e["progress"] else None
                self.bar = tqdm(total=total, initial=e["step"] - 1, unit="step", file=sys.stderr,
                                dynamic_ncols=True, disable=not sys.stderr.isatty())
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{e['loss']:.3f}", gnorm=f"{e['grad_norm']:.2f}",
                                 tok_s=f"{e['tokens_per_s']:.0f}")
        elif kind == "eval":
            self._write(f"step {e['step']}: train {e['train_loss']:.4f}  val {e['val_loss']:.4f}  "
                        f"best {e['best_val']:.4f}")
        elif kind == "sample":
            self._write("sample: " + e["text"][:300].replace("\n", " / "))
        elif kind == "checkpoint":
            self._write(f"saved best model -> {e['path']}")
        elif kind == "stopped":
            self._write(f"stopped at step {e['step']}; resume with --resume {e['resume_path']}")
        elif kind == "done":
            if self.bar:
                self.bar.close()
            print(f"done: best validation {e['best_val']:.4f} nats/token, {e['steps']} steps, "
                  f"{e['seconds']} s -> {e['path']}")

    def _write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line)
