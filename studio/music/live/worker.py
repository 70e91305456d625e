"""Generation for live play in a child process, so it never holds up the MIDI thread.

Why a process and not a thread: the live engine's thread needs Python's interpreter lock
at every deadline. Sampling in the same process holds that lock for most of its work,
and on a busy 2-core machine the operating system can pause the sampling thread while it
holds it; the engine then waits milliseconds for the lock (measured: p99 send lateness
2.1 ms with sampling in a thread, 0.12 ms with sampling in another process). In a child
process the sampler shares no lock with the engine.

The child loads the checkpoint itself (the same ``load_checkpoint``), then answers
requests in order: ``generate_takes(ckpt, chart, settings)`` -> the takes. The parent's
``GenerationWorker.submit`` returns a ``concurrent.futures.Future``. Same seed and
settings give the same take as ``sample`` (the same function, on the CPU).

The child is ``python -m studio.music.live.worker MODEL DEVICE`` (a fresh interpreter,
so nothing of the parent's threads, Qt or main module is copied or re-imported).
Requests and takes travel as JSON lines over its stdin/stdout: dataclasses from a fixed
list (takes, solos, notes, chords, charts, settings) are rebuilt by name, nothing else, so nothing
read from the pipe can run code (the house rule: never unpickle). The child exits when its
stdin closes, so a killed app leaves no worker behind.

Whatever arrives on the pipe is bounded before it is used (``check_request``): a line of at
most ``MAX_MESSAGE_BYTES``, any nesting, a request that is not a 5-item list, fields of the
wrong type or size are answered with an error and the child serves on; candidates are at
most ``MAX_CANDIDATES``, and every request has a deadline (at most ``MAX_REQUEST_S`` after
it starts, given or not) that also stops the first take. The child runs at normal
scheduling with a raised nice level: real-time priority is for the thread that sends MIDI
only (SCHED_FIFO here was inherited by torch's threads, so a request that never ended
held the CPUs at real-time priority).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

READY_TIMEOUT_S = 120.0
MAX_MESSAGE_BYTES = 16 << 20   # a 2,000-bar take is under 1 MB of JSON
MAX_CANDIDATES = 16            # the trading settings' own bound
MAX_REQUEST_S = 60.0           # a live answer is due within bars; nothing runs longer
MAX_CHART_CHARS = 1 << 20      # far above a 2,000-bar chart's text


class WorkerError(RuntimeError):
    """The generation process failed to start or died; the message says why."""


class UnreadableMessage(EOFError):
    """A line that is not a message (too long, not JSON, too deep, not a known type)."""


def _message_types() -> dict:
    from studio.music.chart import Chart
    from studio.music.chords import Chord
    from studio.music.generate import JazzSettings, Take
    from studio.music.types import ChordSpan, Note, Solo

    return {cls.__name__: cls for cls in (Take, Solo, Note, ChordSpan, Chord, JazzSettings, Chart)}


def _encode(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__dataclass__": type(obj).__name__,
                **{f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, Path):
        return {"__path__": str(obj)}
    if isinstance(obj, (list, tuple)):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    return obj


def _decode(obj, types: dict):
    if isinstance(obj, list):
        return [_decode(x, types) for x in obj]
    if isinstance(obj, dict):
        if "__path__" in obj:
            return Path(obj["__path__"])
        fields = {k: _decode(v, types) for k, v in obj.items() if k != "__dataclass__"}
        if "__dataclass__" in obj:
            cls = types[obj["__dataclass__"]]                 # KeyError: not a message type
            if cls.__dataclass_params__.frozen:               # frozen ones hold tuples (Chart.bars)
                fields = {k: _tuples(v) for k, v in fields.items()}
            return cls(**fields)
        return fields
    return obj


def _tuples(obj):
    return tuple(_tuples(x) for x in obj) if isinstance(obj, list) else obj


class _Channel:
    """One JSON line per message over a pair of binary streams (see the module doc)."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self._lock = threading.Lock()
        self._types: dict | None = None

    def send(self, obj) -> None:
        line = json.dumps(_encode(obj), separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self.writer.write(line)
            self.writer.flush()

    def recv(self):
        line = self.reader.readline(MAX_MESSAGE_BYTES + 1)
        if not line:
            raise EOFError("the other side is gone")
        if len(line) > MAX_MESSAGE_BYTES:
            while line and not line.endswith(b"\n"):   # skip the rest: the next line is read whole
                line = self.reader.readline(1 << 20)
            raise UnreadableMessage(f"unreadable message (longer than {MAX_MESSAGE_BYTES:,} bytes)")
        if self._types is None:
            self._types = _message_types()
        try:
            return _decode(json.loads(line), self._types)
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            what = "nested too deeply" if isinstance(exc, RecursionError) else exc
            raise UnreadableMessage(f"unreadable message ({what})") from None


def check_request(request, now: float) -> tuple:
    """``(rid, chart, settings, candidates, deadline)`` with every field checked and the
    deadline always set (at most ``MAX_REQUEST_S`` from ``now``); ValueError says which
    field is wrong."""
    from studio.music.chart import MAX_CHART_BARS, Chart, as_chart, check_length
    from studio.music.generate import JazzSettings
    from studio.music.types import Solo

    if not isinstance(request, list | tuple) or len(request) != 5:
        raise ValueError("a request is a list of 5 items (id, chart, settings, candidates, deadline)")
    rid, chart, settings, candidates, deadline = request
    if type(rid) is not int or not 0 <= rid < 1 << 63:
        raise ValueError(f"the request id must be a whole number >= 0, not {rid!r:.40}")
    if isinstance(chart, str) and len(chart) > MAX_CHART_CHARS:
        raise ValueError(f"the chart is {len(chart):,} characters; at most {MAX_CHART_CHARS:,}")
    if not isinstance(chart, str | Chart):
        raise ValueError(f"the chart must be chart text or a Chart, not {type(chart).__name__}")
    if not isinstance(settings, JazzSettings):
        raise ValueError(f"the settings must be JazzSettings, not {type(settings).__name__}")
    settings.validate()
    if type(settings.count) is not int or not 1 <= settings.count <= MAX_CANDIDATES:
        raise ValueError(f"settings.count must be 1..{MAX_CANDIDATES}, not {settings.count!r:.40}")
    if type(settings.primer_bars) is not int or settings.primer_bars > MAX_CHART_BARS:
        raise ValueError(f"settings.primer_bars must be 0..{MAX_CHART_BARS}, not {settings.primer_bars!r:.40}")
    primer = settings.primer
    if not (primer is None or isinstance(primer, Solo)
            or isinstance(primer, str | Path) and os.path.isfile(primer)):   # no FIFOs, devices
        raise ValueError(f"the primer must be a Solo or a MIDI file, not {primer!r:.80}")
    if type(candidates) is not int or not 1 <= candidates <= MAX_CANDIDATES:
        raise ValueError(f"candidates must be 1..{MAX_CANDIDATES}, not {candidates!r:.40}")
    if deadline is not None and (type(deadline) not in (int, float) or not math.isfinite(deadline)):
        raise ValueError(f"the deadline must be monotonic seconds or None, not {deadline!r:.40}")
    chart = as_chart(chart)
    check_length(chart, settings.choruses)
    cap = now + MAX_REQUEST_S
    return rid, chart, settings, candidates, cap if deadline is None else min(deadline, cap)


def _serve(model_path: str, device: str) -> None:
    """The child process: load once, then generate until stdin closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                         # stray prints must not corrupt the channel
    conn = _Channel(sys.stdin.buffer, out)
    try:
        from studio.core.checkpoint import load_checkpoint
        from studio.music.generate import generate_takes

        from studio.music.live.clock import raise_niceness

        # An answer is due a beat after it is asked for; beside a training run on a
        # 2-core machine a normal-priority sampler took 3-5 times longer than that.
        # Raised before torch starts its threads, so they inherit it; a nice level, not
        # real time, so a runaway request cannot hold the CPUs (see the module doc).
        priority = raise_niceness()
        ckpt = load_checkpoint(model_path, device=device)
        generate_takes(ckpt, "| C7 |", _warm_settings())      # first call pays set-up costs
        conn.send(("ready", ckpt.name, priority))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as text
        conn.send(("failed", None, f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            request = conn.recv()
        except UnreadableMessage as exc:     # answered, not fatal: the next line is read whole
            if not _answer(conn, (None, None, str(exc))):
                return
            continue
        except (EOFError, OSError):
            return
        if request is None:
            return
        rid = request[0] if isinstance(request, list | tuple) and request else None
        rid = rid if type(rid) is int else None   # so an error reaches the one who asked
        start = time.perf_counter()
        try:
            rid, chart, settings, candidates, deadline = check_request(request, time.monotonic())
            answer = (rid, _draw(ckpt, chart, settings, candidates, deadline),
                      time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - a bad request must not end the worker
            answer = (rid, None, f"{type(exc).__name__}: {exc}")
        if not _answer(conn, answer):
            return


def _answer(conn: _Channel, message) -> bool:
    """Send; False when the parent is gone (the child then ends quietly)."""
    try:
        conn.send(message)
        return True
    except (OSError, ValueError):
        return False


def _draw(ckpt, chart, settings, candidates: int, deadline: float) -> list:
    """One take, or up to ``candidates`` takes drawn one after another (seeds apart)
    while the next is expected to finish before ``deadline`` (monotonic seconds, the
    clock every process shares); the first is always drawn, and stopped where it is
    should it outlast ``MAX_REQUEST_S``."""
    from dataclasses import replace

    from studio.music.generate import generate_takes

    first_stop = time.monotonic() + MAX_REQUEST_S
    takes = []
    for i in range(candidates):
        began = time.monotonic()
        if i and began > deadline:
            break
        seed = None if settings.seed is None else settings.seed + 7919 * i
        stop_at = first_stop if i == 0 else deadline
        drawn = generate_takes(ckpt, chart, settings if candidates == 1 else
                               replace(settings, count=1, seed=seed),
                               should_stop=lambda: time.monotonic() > stop_at)
        if i and any(take.stopped for take in drawn):
            break       # a candidate cut at the deadline is half an answer: never offered
        takes += drawn
        if time.monotonic() + (time.monotonic() - began) > deadline:
            break
    return takes


def _warm_settings():
    from studio.music.generate import JazzSettings

    return JazzSettings(seed=0, tempo=120)


class GenerationWorker:
    """A child process that runs ``generate_takes`` for one model."""

    def __init__(self, model_path: str | Path, device: str = "cpu"):
        root = str(Path(__file__).resolve().parents[2])     # where `studio` imports from
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "studio.music.live.worker", str(model_path), device],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            # its own session, so its own autogroup: its nice level then counts against
            # other programs, not only this app (clock.raise_niceness). It still ends
            # when its stdin closes.
            start_new_session=True)
        self._conn = _Channel(self._proc.stdout, self._proc.stdin)
        self._ready: tuple | None = None
        self._ready_thread = threading.Thread(target=self._read_ready, daemon=True)
        self._ready_thread.start()
        self._futures: dict[int, Future] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self.model_name: str | None = None
        self.priority: str | None = None
        self._reader: threading.Thread | None = None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> str:
        """Block until the model is loaded; the model's name. WorkerError on failure."""
        if self.model_name is not None:
            return self.model_name
        self._ready_thread.join(timeout)
        if self._ready is None:
            self.close()
            raise WorkerError(f"the generation process did not start within {timeout:.0f} s")
        kind, name, error = self._ready
        if kind != "ready":
            self.close()
            raise WorkerError(f"the generation process could not load the model: {error}")
        self.model_name = name
        self.priority = error          # the ready message carries the priority it got
        self._reader = threading.Thread(target=self._read, name="live-generation-results",
                                        daemon=True)
        self._reader.start()
        return name

    def _read_ready(self) -> None:
        try:
            self._ready = self._conn.recv()
        except (EOFError, OSError):
            self._ready = ("failed", None, "it died while loading the model")

    def submit(self, chart, settings, candidates: int = 1, deadline: float | None = None) -> Future:
        """``generate_takes(ckpt, chart, settings)`` in the child (or up to ``candidates``
        takes drawn before ``deadline``, see ``_draw``); a Future of ``(takes, seconds)``,
        seconds being the child's generation time. ``future.done_at`` is the monotonic
        time the result arrived."""
        check_request((0, chart, settings, candidates, deadline), time.monotonic())  # ValueError here
        self.wait_ready()
        future: Future = Future()
        with self._lock:
            rid = next(self._ids)
            self._futures[rid] = future
            try:
                self._conn.send((rid, chart, settings, candidates, deadline))
            except (OSError, ValueError) as exc:
                del self._futures[rid]
                future.set_exception(WorkerError(f"the generation process is gone ({exc})"))
        return future

    def _read(self) -> None:
        while True:
            try:
                rid, takes, extra = self._conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._futures.pop(rid, None)
            if future is None:
                continue
            future.done_at = time.monotonic()
            if takes is None:
                future.set_exception(WorkerError(str(extra)))
            else:
                future.set_result((takes, extra))
        with self._lock:
            pending, self._futures = list(self._futures.values()), {}
        for future in pending:
            if not future.done():
                future.set_exception(WorkerError("the generation process ended"))

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self, timeout: float = 2.0) -> None:
        try:
            self._conn.send(None)
            self._proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "cpu")
