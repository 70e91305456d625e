"""``train --control stdin``: a clean stop asked for by a line on stdin (or its end), no
signal involved: what the window's Pause uses, so it works on Windows too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_until(tmp_path, text_file, act_at_step: int, act) -> tuple[list[dict], int, Path]:
    out = tmp_path / "m.safetensors"
    cmd = [sys.executable, "-m", "studio", "train", "--jsonl", "--control", "stdin",
           "--corpus", str(text_file), "--kind", "text", "--hidden", "16", "--layers", "1",
           "--max-steps", "100000", "--eval-every", "50", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "step" and events[-1]["step"] == act_at_step:
            act(proc)
    return events, proc.wait(timeout=120), out


def check_clean_stop(events, code, out, at_least: int) -> None:
    from studio.core.checkpoint import read_metadata

    kinds = [e["event"] for e in events]
    assert code == 130, code  # a stopped run exits as for the SIGINT it was turned into
    assert "stopped" in kinds and kinds[-1] == "done"
    stopped = next(e for e in events if e["event"] == "stopped")
    assert at_least <= stopped["step"] < 100000
    resume = Path(stopped["resume_path"])
    assert resume == out.with_name("m.last.safetensors")
    assert read_metadata(resume)["resume"]["step"] == stopped["step"]  # resumable from there


def test_a_stop_line_on_stdin_stops_cleanly_with_a_resume_file(tmp_path, text_file):
    def ask(proc):
        proc.stdin.write("stop\n")
        proc.stdin.flush()

    events, code, out = run_until(tmp_path, text_file, 5, ask)
    check_clean_stop(events, code, out, 5)


def test_the_end_of_stdin_stops_cleanly_too(tmp_path, text_file):
    """The window went away (its end of the pipe closed): the run pauses, not burns on."""
    events, code, out = run_until(tmp_path, text_file, 3, lambda proc: proc.stdin.close())
    check_clean_stop(events, code, out, 3)


def test_other_lines_are_ignored(tmp_path, text_file):
    def chatter(proc):
        proc.stdin.write("hello\n\n")
        proc.stdin.flush()

    steps = []

    def later(proc):
        proc.stdin.write("stop\n")
        proc.stdin.flush()

    out = tmp_path / "m.safetensors"
    cmd = [sys.executable, "-m", "studio", "train", "--jsonl", "--control", "stdin",
           "--corpus", str(text_file), "--kind", "text", "--hidden", "16", "--layers", "1",
           "--max-steps", "100000", "--eval-every", "50", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "step":
            steps.append(event["step"])
            if event["step"] == 2:
                chatter(proc)
            if event["step"] == 12:
                later(proc)
    assert proc.wait(timeout=120) == 130
    assert max(steps) >= 12  # "hello" did not stop it at step 2
