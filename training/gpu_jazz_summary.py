"""The end of ``training/gpu_jazz_session.sh``: rank a jazz sweep's models and pick what
comes back from the GPU machine.

    python training/gpu_jazz_summary.py WORK OUT CORPUS [--keep 3] [--device cuda]

WORK holds each run's ``NAME.jsonl`` (trainer events), ``NAME.err`` and best model
``NAME.safetensors``. Every best model is scored as ``sequence-studio eval`` scores it
(``held_out_likelihood`` on the validation split, never test: ranking runs is tuning;
NLL per token and per note event), beside
the shipped ``models/jazz-*.safetensors`` scored the same way on the same device (a check
that the pipeline reproduces their cards' figures). The models kept are the best of each
cell by note-event NLL (issue 11's target), then the next best overall, ``--keep`` in all;
they are copied to OUT. OUT/summary.txt gets the table and a JSON line per run;
WORK/summary.json the same as one JSON document (it goes into logs.tgz).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SHIPPED = ("jazz-gru", "jazz-lstm")


def read_events(log: Path) -> list[dict]:
    events = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # a line cut by the budget's SIGTERM
    return events


def run_row(log: Path) -> dict:
    """What the trainer's events say about one run."""
    events = read_events(log)
    evals = [e for e in events if e.get("event") == "eval"]
    steps = [e for e in events if e.get("event") == "step"]
    done = [e for e in events if e.get("event") == "done"]
    errors = [e.get("message") for e in events if e.get("event") == "error"]
    best = min(evals, key=lambda e: e["val_loss"], default=None)
    last = steps[-1] if steps else {}
    return {
        "run": log.stem,
        "finished": bool(done) and not any(e.get("event") == "stopped" for e in events),
        "steps": last.get("step", 0), "epoch": last.get("epoch", 0.0),
        "progress": last.get("progress", 0.0), "tokens_per_s": last.get("tokens_per_s", 0.0),
        "seconds": done[-1].get("seconds") if done else None,
        "best_val": round(best["val_loss"], 4) if best else None,
        "best_step": best["step"] if best else None, "evals": len(evals),
        "error": errors[-1] if errors else None,
    }


def score(paths: dict[str, Path], corpus_path: str, device: str) -> dict[str, dict]:
    """``held_out_likelihood`` of each checkpoint (None where it cannot be read)."""
    from studio.core.checkpoint import load_checkpoint
    from studio.music.analysis.evaluate import held_out_likelihood
    from studio.music.corpus.dataset import load_jazz_corpus

    corpus = load_jazz_corpus(corpus_path)
    out = {}
    for name, path in paths.items():
        try:
            ck = load_checkpoint(path, device=device)
            out[name] = {**held_out_likelihood(ck, corpus, split="val"),  # ranking is tuning
                         "cell": ck.meta["train_config"]["cell"],
                         "train_config": ck.meta["train_config"],
                         "corpus_sha256": (ck.meta.get("corpus") or {}).get("sha256")}
        except Exception as exc:  # one bad file must not cost the others their figures
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    out["_corpus"] = {"sha256": corpus.sha256, "solos": len(corpus.solos)}
    return out


def pick(rows: list[dict], keep: int) -> list[str]:
    """Best of each cell by note-event NLL (best validation loss where none), then the
    next best overall, ``keep`` in all."""
    def key(r):
        nll = r.get("val_nll_note_events")
        return (nll if nll is not None else float("inf"), r.get("best_val") or float("inf"))

    ranked = sorted((r for r in rows if r.get("model")), key=key)
    chosen = []
    for cell in ("gru", "lstm", "rnn"):
        first = next((r for r in ranked if r.get("cell") == cell), None)
        if first and len(chosen) < keep:
            chosen.append(first["run"])
    for r in ranked:
        if len(chosen) >= keep:
            break
        if r["run"] not in chosen:
            chosen.append(r["run"])
    return chosen


def table(rows: list[dict], shipped: dict) -> str:
    head = (f"{'run':24} {'cell':5} {'fin':4} {'steps':>6} {'epoch':>6} {'tok/s':>8} {'best val':>8} "
            f"{'@step':>6} {'val nll':>8} {'note ev':>8}  settings")
    lines = [head]
    for r in rows:
        tc = r.get("train_config") or {}
        settings = (f"d{tc.get('dropout')} lr{tc.get('lr')} wd{tc.get('weight_decay')} b{tc.get('batch_size')} "
                    f"w{tc.get('window')} e{tc.get('epochs')} wu{tc.get('warmup')} {tc.get('precision', '')}")
        lines.append(f"{r['run']:24} {r.get('cell') or '?':5} {'yes' if r['finished'] else 'no':4} "
                     f"{r['steps']:>6} {r['epoch']:>6} {r['tokens_per_s']:>8.0f} {r['best_val'] or '-':>8} "
                     f"{r['best_step'] or '-':>6} {r.get('val_nll') or '-':>8} {r.get('val_nll_note_events') or '-':>8}"
                     f"  {settings if tc else r.get('error') or r.get('score_error') or 'no model'}")
    for name, s in shipped.items():
        lines.append(f"{'(shipped) ' + name:24} {s.get('cell', '?'):5} {'':4} {'':>6} {'':>6} {'':>8} {'':>8} "
                     f"{'':>6} {s.get('val_nll', '-'):>8} {s.get('val_nll_note_events', '-'):>8}  "
                     f"{s.get('error') or 'models/' + name + '.safetensors on this device'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("corpus")
    ap.add_argument("--keep", type=int, default=3, help="models copied to OUT")
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args(argv)
    import torch

    device = args.device if args.device != "cuda" or torch.cuda.is_available() else "cpu"
    rows = [run_row(log) for log in sorted(args.work.glob("*.jsonl"))]
    models = {r["run"]: args.work / f"{r['run']}.safetensors" for r in rows
              if (args.work / f"{r['run']}.safetensors").is_file()}
    shipped_paths = {n: ROOT / "models" / f"{n}.safetensors" for n in SHIPPED
                     if (ROOT / "models" / f"{n}.safetensors").is_file()}
    scores = score({**models, **{f"(shipped) {n}": p for n, p in shipped_paths.items()}},
                   args.corpus, device)
    for r in rows:
        s = scores.get(r["run"])
        r["model"] = r["run"] in models and s is not None and "error" not in s
        if s and "error" in s:
            r["score_error"] = s["error"]
        elif s:
            r.update({k: v for k, v in s.items() if k != "train_config"}, train_config=s["train_config"])
    shipped = {n: scores.get(f"(shipped) {n}", {}) for n in shipped_paths}
    chosen = pick(rows, args.keep)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in chosen:
        shutil.copy(models[name], args.out / f"{name}.safetensors")
    corpus = scores["_corpus"]
    sha_note = ("the corpus is the shipped models' (same sha256)"
                if all(s.get("corpus_sha256") == corpus["sha256"] for s in shipped.values())
                else "WARNING: the corpus's sha256 differs from the shipped models': figures are "
                     "not comparable and eval will score the whole folder")
    text = (f"jazz sweep on {device}: {len(rows)} runs; corpus sha256 {corpus['sha256']} "
            f"({corpus['solos']} solos); {sha_note}\n" + table(rows, shipped)
            + f"\nkept (best of each cell by note-event NLL, then overall): {', '.join(chosen) or 'none'}\n"
            + "\n".join(json.dumps(r, sort_keys=True) for r in rows) + "\n")
    (args.out / "summary.txt").write_text(text)
    (args.work / "summary.json").write_text(json.dumps({"rows": rows, "shipped": shipped, "kept": chosen,
                                                        "corpus": corpus, "device": device}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
