"""Issue 23 defect 7, through a real generation process: lines that are not requests (a
number, a short list, deep nesting, a billion candidates) are answered with an error and
the process serves on; it runs at normal scheduling, every thread of it (real-time
priority is for the thread that sends MIDI only). No JACK needed."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import Future

import pytest

from studio.music.generate import JazzSettings
from studio.music.live.worker import GenerationWorker, WorkerError, _encode


@pytest.fixture(scope="module")
def raw_worker(gru_path):
    w = GenerationWorker(gru_path)
    w.wait_ready()
    yield w
    w.close()


def _write(worker, line: bytes) -> None:
    worker._proc.stdin.write(line)
    worker._proc.stdin.flush()


def _ask_raw(worker, rid: int, request) -> Future:
    """A request sent as raw JSON (past the parent's own check), its answer awaited."""
    future: Future = Future()
    with worker._lock:
        worker._futures[rid] = future
    _write(worker, json.dumps(_encode(request)).encode() + b"\n")
    return future


@pytest.mark.timeout(120)
def test_bad_lines_do_not_end_the_worker_and_bad_fields_are_answered(raw_worker):
    for line in [b"42\n", b"[1,2]\n", b"[" * 200_000 + b"]" * 200_000 + b"\n", b"null x\n",
                 b'{"__dataclass__":"Popen"}\n']:
        _write(raw_worker, line)
    huge = _ask_raw(raw_worker, 10**6, [10**6, "| C7 |", JazzSettings(seed=1), 10**9, None])
    with pytest.raises(WorkerError, match="candidates must be 1..16, not 1000000000"):
        huge.result(timeout=30)
    assert raw_worker.alive
    takes, _ = raw_worker.submit("| Dm7 | G7 |", JazzSettings(seed=2)).result(timeout=60)
    assert len(takes) == 1 and takes[0].solo.notes


def test_the_parent_refuses_an_unbounded_request_before_sending_it(raw_worker):
    with pytest.raises(ValueError, match="candidates must be 1..16"):
        raw_worker.submit("| C7 |", JazzSettings(), candidates=10**9)
    assert raw_worker.alive


def _policy(pid: int, tid: int) -> int:
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[38])   # field 41: the scheduling policy


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux /proc needed")
def test_no_thread_of_the_generation_process_runs_at_real_time_priority(raw_worker):
    raw_worker.submit("| C7 |", JazzSettings(seed=3)).result(timeout=60)   # torch's threads exist
    pid = raw_worker._proc.pid
    tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    assert tids and all(_policy(pid, t) == os.SCHED_OTHER for t in tids), \
        {t: _policy(pid, t) for t in tids}
    assert "real-time" not in raw_worker.priority
