"""Training throughput on one process vs several (torchrun, gloo on the CPU): the figures in
docs/SCALING.md. Each configuration trains the same recipe for the same global steps; the
rate is global tokens per second between two step events, timed here as the JSON lines
arrive (start-up, corpus loading and the last validation are left out).

    flock /work/locks/heavy python training/scaling_bench.py --corpus ../shared/corpora/tinyshakespeare.txt
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(procs: int, threads: int, args, skip: int) -> dict:
    out = Path(tempfile.mkdtemp()) / "m.safetensors"
    train = ["-m", "studio", "train", "--corpus", args.corpus, "--kind", "text", "--hidden", str(args.hidden),
             "--layers", "2", "--batch", str(args.batch), "--window", str(args.window),
             "--max-steps", str(args.steps), "--eval-every", "1000000", "--device", "cpu",
             "--out", str(out), "--jsonl"]
    if procs > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               str(procs), *train]
    else:
        cmd = [sys.executable, *train]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen: dict[int, tuple[float, dict]] = {}
    for line in proc.stdout:
        if line.startswith("{"):
            event = json.loads(line)
            if event["event"] == "step":
                seen[event["step"]] = (time.perf_counter(), event)
    proc.wait()
    first, last = skip, args.steps
    (t0, _), (t1, _) = seen[first], seen[last]
    tokens = (last - first) * args.batch * args.window
    return {"processes": procs, "threads_each": threads, "steps_timed": last - first,
            "tokens_per_s": round(tokens / (t1 - t0), 1), "s_per_step": round((t1 - t0) / (last - first), 3)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--skip", type=int, default=10, help="warm-up steps left out of the timing")
    args = p.parse_args()
    rows = [measure(1, 1, args, args.skip), measure(1, 2, args, args.skip), measure(2, 1, args, args.skip)]
    base = rows[0]["tokens_per_s"]
    for row in rows:
        row["vs_1_process_1_thread"] = round(row["tokens_per_s"] / base, 2)
    print(json.dumps({"machine": f"{os.cpu_count()} logical cores", "global_batch": args.batch,
                      "window": args.window, "model": f"LSTM 2x{args.hidden}", "runs": rows}, indent=1))


if __name__ == "__main__":
    main()
