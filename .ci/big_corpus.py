"""Measure the big-text-corpus targets of issue 9 (on demand, not part of CI):

    flock /work/locks/heavy nice -n 5 python .ci/big_corpus.py --mb 300

Builds a text file of ``--mb`` megabytes (tiny-shakespeare repeated, or generated words
when ../shared is absent) in a temporary folder and runs the real CLI trainer on it as a
user would (``sequence-studio train --kind text --jsonl``, one torch thread), four times:

1. load + train a few steps + one validation pass: peak resident memory of the process
   (``wait4``'s ``ru_maxrss``, the kernel's own high-water mark), when the first
   progress line came, the longest silence between progress lines while loading, load
   time, the validation pass;
2. Ctrl-C while the corpus is read (fresh token cache): seconds from the signal to exit;
3. Ctrl-C while training (token cache warm): seconds to exit, and the resume file;
4. Ctrl-C at the start of a validation pass: seconds to exit (a stop skips validation).

Targets: peak RSS <= 1.5 GB, progress every few seconds, Ctrl-C honoured within 1 s, exit
code 130 and "stopped". Prints one JSON object (and writes it to ``--json FILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "corpora" / "tinyshakespeare.txt"
EVAL_EVERY = 10


def make_corpus(path: Path, mb: int) -> str:
    if SOURCE.exists():
        block, what = SOURCE.read_bytes(), f"{SOURCE.name} repeated"
    else:
        rng = random.Random(0)
        words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9)))
                 for _ in range(5000)]
        block = "\n".join(" ".join(rng.choices(words, k=12)) for _ in range(20000)).encode() + b"\n"
        what = "generated words"
    with open(path, "wb") as f:
        while f.tell() < mb * 1_000_000:
            f.write(block)
    return what


class Run:
    """One trainer process; its JSON events with the time each arrived."""

    def __init__(self, corpus: Path, home: Path, out: Path, max_steps: int):
        cmd = [sys.executable, "-m", "studio", "train", "--jsonl", "--corpus", str(corpus),
               "--kind", "text", "--hidden", "64", "--layers", "1", "--batch", "16", "--window", "64",
               "--max-steps", str(max_steps), "--eval-every", str(EVAL_EVERY), "--out", str(out), "--force"]
        env = {**os.environ, "SEQUENCE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1",
               "PYTHONUNBUFFERED": "1"}
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env, cwd=ROOT)
        self.events: list[tuple[float, dict]] = []
        self.stderr = ""
        self.stopped_at = None  # when "stopped" was said (a JSON event or the stderr line)
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "stopped":
                self.stopped_at = self.stopped_at or time.monotonic()
            with self.changed:
                self.events.append((time.monotonic() - self.t0, event))
                self.changed.notify_all()

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr += line
            if "stopped" in line:
                self.stopped_at = self.stopped_at or time.monotonic()

    def wait_for(self, test, timeout=1800.0) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while time.monotonic() < deadline and self.proc.poll() is None:
                hit = next((e for _, e in self.events if test(e)), None)
                if hit:
                    return hit
                self.changed.wait(0.05)
        return next((e for _, e in self.events if test(e)), None)

    def finish(self) -> tuple[int, float]:
        """Exit code and the process's peak resident memory in MB (kernel high-water mark)."""
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.exited_at = time.monotonic()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        time.sleep(0.2)  # let the readers drain
        return self.proc.returncode, usage.ru_maxrss / 1024

    def interrupt_after(self, test=None, delay: float = 0.0) -> dict:
        """SIGINT at the first event passing ``test`` (or ``delay`` seconds after the start);
        a process still running 60 s later is killed and reported as such."""
        event = self.wait_for(test, timeout=600) if test else None
        time.sleep(max(0.0, self.t0 + delay - time.monotonic()))
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        killer = threading.Timer(60, self.proc.kill)
        killer.start()
        code, peak = self.finish()
        killer.cancel()
        said = [e for _, e in self.events if e.get("event") == "stopped"]
        return {"exit_code": code, "seconds_to_exit": round(self.exited_at - sent, 2),
                "seconds_to_stopped": round(self.stopped_at - sent, 2) if self.stopped_at else None,
                "peak_rss_mb": round(peak), "at_event": (event or {}).get("event"),
                "said_stopped": bool(said) or "stopped" in self.stderr,
                "resume_step": said[0].get("step") if said else None}

    def times(self, kind: str) -> list[float]:
        return [t for t, e in self.events if e.get("event") == kind]


def measure(corpus: Path, tmp: Path) -> dict:
    out: dict = {}
    # 1. load, train, one validation pass
    run = Run(corpus, tmp / "home1", tmp / "a.safetensors", max_steps=EVAL_EVERY)
    code, peak = run.finish()
    progress = run.times("progress")
    report = run.times("report") or [None]
    loaded = report[0] if report[0] is not None else (run.times("step") or [None])[0]
    steps, evals = run.times("step"), run.times("eval")
    marks = [0.0, *progress, loaded] if loaded else [0.0, *progress]
    rep = next((e for _, e in run.events if e.get("event") == "report"), {})
    out["load_and_train"] = {
        "exit_code": code, "peak_rss_mb": round(peak), "progress_lines": len(progress),
        "first_progress_s": round(progress[0], 1) if progress else None,
        "longest_silence_while_loading_s": round(max(b - a for a, b in zip(marks, marks[1:])), 1),
        "load_s": round(loaded, 1) if loaded else None,
        "first_step_s": round(steps[0], 1) if steps else None,
        "validation_pass_s": round(evals[0] - steps[-1], 1) if evals and steps else None,
        "characters": rep.get("characters"), "train_tokens": rep.get("train_tokens"),
        "val_tokens": rep.get("val_tokens"),
        "token_storage": rep.get("token_storage"), "stderr_tail": run.stderr[-300:]}
    # 2. Ctrl-C while reading (a fresh home: no token cache)
    run = Run(corpus, tmp / "home2", tmp / "b.safetensors", max_steps=10_000)
    load_s = out["load_and_train"]["load_s"] or 1.0
    out["ctrl_c_while_loading"] = run.interrupt_after(delay=0.5 * load_s)  # half way through
    out["ctrl_c_while_loading"]["sent_at_s"] = round(0.5 * load_s, 1)
    # 3. Ctrl-C while training (the cache of run 1 is warm)
    run = Run(corpus, tmp / "home1", tmp / "c.safetensors", max_steps=10_000)
    out["ctrl_c_while_training"] = run.interrupt_after(
        lambda e: e.get("event") == "step" and e.get("step", 0) >= 3)
    # 4. Ctrl-C as the first validation pass starts (right after step EVAL_EVERY)
    run = Run(corpus, tmp / "home1", tmp / "d.safetensors", max_steps=10_000)
    out["ctrl_c_at_validation"] = run.interrupt_after(
        lambda e: e.get("event") == "step" and e.get("step", 0) >= EVAL_EVERY)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=int, default=300)
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="big-corpus-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "big.txt"
        what = make_corpus(corpus, args.mb)
        figures = {"corpus": f"{corpus.stat().st_size / 1e6:.0f} MB, {what}",
                   "python": sys.version.split()[0], "cpus": os.cpu_count(),
                   "date": time.strftime("%Y-%m-%d %H:%M"), **measure(corpus, tmp)}
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
