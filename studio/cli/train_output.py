"""How ``sequence-studio train`` shows trainer events: JSON lines (``--jsonl``, what the
window reads) or a terminal (the dataset report with every skipped file and why, a
progress line while a big corpus loads, a tqdm bar, eval lines and samples)."""

from __future__ import annotations

import json
import math
import sys


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jsonl(event: dict) -> None:
    sys.stdout.write(json.dumps({k: _clean(v) for k, v in event.items()}) + "\n")
    sys.stdout.flush()


def _number(value, fmt: str = ".4f") -> str:
    return format(value, fmt) if isinstance(value, (int, float)) else "-"


class Terminal:
    """Human output for a person at a terminal."""

    def __init__(self):
        self.bar = None
        self.stopped = False

    def handle(self, e: dict) -> None:
        kind = e["event"]
        if kind == "report":
            skip = {"event", "rejected_lines", "files"}
            print("dataset: " + ", ".join(f"{k}={v}" for k, v in e.items()
                                          if k not in skip and not isinstance(v, (list, dict))))
            for r in e.get("rejected_lines", [])[:10]:
                print(f"  rejected line {r['line']}: {r['reason']}: {r['text']!r}")
            # the per-file reasons --jsonl carries too; a MIDI file read cleanly still says
            # which part it took as the lead and why (a WJazzD ok line says nothing new)
            said = [f for f in e.get("files", []) if f.get("status") != "ok" or f.get("warnings")
                    or (e.get("source") == "midi" and f.get("message"))]
            for f in said:
                why = f.get("message") or "; ".join(f.get("warnings", []))
                print(f"  {f.get('status')}: {f.get('path')}: {why}")
        elif kind == "progress":
            print(f"{e.get('stage', 'working')}: {e.get('message', '')}", file=sys.stderr, flush=True)
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
            self._write(f"step {e['step']}: train {_number(e['train_loss'])}  val "
                        f"{_number(e['val_loss'])}  best {_number(e['best_val'])}")
        elif kind == "sample":
            self._write("sample: " + e["text"][:300].replace("\n", " / "))
        elif kind == "checkpoint":
            self._write(f"saved best model -> {e['path']}")
        elif kind == "stopped":
            self.stopped = True
            self._write(f"stopped at step {e['step']}; resume with --resume {e['resume_path']}")
        elif kind == "done":
            if self.bar is not None:  # (a tqdm with an unknown total has no truth value)
                self.bar.close()
            if self.stopped:  # a stop is not a finished run: say so, not "done"
                print(f"best so far: validation {_number(e['best_val'])} nats/token after "
                      f"{e['steps']} steps -> {e['path']}")
            else:
                print(f"done: best validation {_number(e['best_val'])} nats/token, {e['steps']} "
                      f"steps, {e['seconds']} s -> {e['path']}")

    def _write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line)
