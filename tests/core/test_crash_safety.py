"""Issue 9: a trainer killed with SIGKILL at random moments, several times in a row. Every
checkpoint on disk still loads, each resume continues from the step it saved, and no more
than one evaluation interval of work is lost per kill."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from studio.core.checkpoint import load_checkpoint

EVAL_EVERY = 5
KILLS = 5


def _start(args, env, stderr=subprocess.DEVNULL):
    cmd = [sys.executable, "-m", "studio", "train", "--jsonl", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)


def _follow(proc, steps: list, done: threading.Event):
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("event") == "step":
            steps.append(event["step"])
    done.set()


@pytest.mark.timeout(600)
def test_sigkill_at_random_moments_loses_at_most_one_evaluation_interval(tmp_path, text_file):
    rng = random.Random(20261126)
    out = tmp_path / "run.safetensors"
    resume = tmp_path / "run.last.safetensors"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SEQUENCE_STUDIO_HOME": str(tmp_path / "home")}
    fresh = ["--corpus", str(text_file), "--kind", "text", "--hidden", "32", "--layers", "1",
             "--batch", "8", "--window", "32", "--epochs", "1000", "--max-steps", "100000",
             "--eval-every", str(EVAL_EVERY), "--out", str(out), "--force"]
    log = []
    for kill in range(KILLS):
        saved_before = load_checkpoint(resume).meta["resume"]["step"] if resume.exists() else None
        args = fresh if saved_before is None else ["--resume", str(resume), "--corpus", str(text_file)]
        proc = _start(args, env)
        steps, done = [], threading.Event()
        threading.Thread(target=_follow, args=(proc, steps, done), daemon=True).start()
        try:
            deadline = time.monotonic() + 120
            while not steps and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            assert steps, "the trainer never reached its first step"
            time.sleep(rng.uniform(0.05, 4.0))  # somewhere in training, writes included
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            proc.kill()
        done.wait(10)
        if saved_before is not None:
            assert steps[0] == saved_before + 1, (steps[:3], saved_before)  # continues where saved
        for path in tmp_path.glob("*.safetensors"):
            load_checkpoint(path, with_optimizer=True)  # every file on disk loads
        saved = load_checkpoint(resume).meta["resume"]["step"] if resume.exists() else 0
        lost = steps[-1] - saved
        log.append((kill, steps[0], steps[-1], saved, lost))
        assert 0 <= lost <= EVAL_EVERY, log
    # a last, clean run: the leftovers of killed writes are gone and the run goes on
    last = ["--resume", str(resume), "--corpus", str(text_file)] if resume.exists() else fresh
    proc = _start([*last, "--max-steps", str(log[-1][3] + 3)], env, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (err, sorted(p.name for p in tmp_path.iterdir()), log)
    assert not list(tmp_path.glob(".*.tmp")), list(tmp_path.glob(".*"))
    assert load_checkpoint(out).meta["metrics"]["steps"] > 0
    print("kill -9 log (kill, first step, last step seen, saved step, lost):", log)
