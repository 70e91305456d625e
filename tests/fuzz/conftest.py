"""The fuzz harness (hypothesis): profiles, and the budget every input must keep.

Profiles: ``quick`` (default, CI: 300 inputs per target, derandomised, well under a
minute in all) and ``long`` (on demand, >= 10,000 inputs per target, random, no per-test
timeout):

    STUDIO_FUZZ=long STUDIO_FUZZ_REPORT=fuzz.json nice -n 15 python -m pytest tests/fuzz -q -s

(``STUDIO_FUZZ_EXAMPLES=N`` sets the count per target in either profile.)

Every target may only raise the project's own typed errors (listed per test), and every
single input must finish within ``MAX_CPU_SECONDS`` of this process's CPU time and not
raise the process's peak memory by more than ``MAX_MB``. CPU time, not wall time: the
development machine and CI runners are shared, and under load a 0.17 s input measured
2.4 s on the wall clock (and a 0.04 s input 34.5 s in the long profile at nice 15); what
an input costs is the work it makes the reader do, which other processes do not change.
The cyclic garbage collector is paused during an input: a full collection walks the whole
session's heap (hundreds of MB after 10,000 checkpoints), and one that fell inside a
cheap MIDI input charged it 1.5 s. An input that blocks without working (a read that
waits, a sleep) uses no CPU, so ``MAX_BLOCKED_SECONDS`` bounds the time the thread was
neither running nor waiting for a CPU (Linux's schedstat; elsewhere the wall clock, with
``MAX_WALL_SECONDS``).
The session ends with a table per target: inputs, refusals (a typed error, or a reader's
"skipped"/"error" report), CPU and wall time, the slowest input and the peak memory;
with ``STUDIO_FUZZ_REPORT=file.json`` it is written there too.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import time

import pytest
from hypothesis import HealthCheck, Phase, settings

MAX_CPU_SECONDS = 2.0
MAX_BLOCKED_SECONDS = 10.0   # off the CPU and not waiting for one: a hang, not a slow machine
MAX_WALL_SECONDS = 300.0     # where schedstat is missing: only a hang guard
MAX_MB = 500

# No "explain" phase: it traces every line after a failure, which made one MIDI input take
# 100 s and hid the real report.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
_COMMON = dict(deadline=None, database=None, print_blob=True, phases=_PHASES,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture,
                                      HealthCheck.filter_too_much])
settings.register_profile("quick", max_examples=int(os.environ.get("STUDIO_FUZZ_EXAMPLES", 300)),
                          derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=int(os.environ.get("STUDIO_FUZZ_EXAMPLES", 10_000)),
                          **_COMMON)
PROFILE = os.environ.get("STUDIO_FUZZ", "quick")
if PROFILE not in ("quick", "long"):
    raise SystemExit(f"STUDIO_FUZZ must be quick or long, not {PROFILE!r}")
settings.load_profile(PROFILE)

_FIGURES: dict[str, dict] = {}
_STARTED = time.perf_counter()


_SCHEDSTAT = "/proc/thread-self/schedstat"


def _sched_s() -> float | None:
    """Seconds this thread has run plus waited for a CPU (None without schedstat)."""
    try:
        with open(_SCHEDSTAT) as f:
            run_ns, wait_ns = f.read().split()[:2]
        return (int(run_ns) + int(wait_ns)) / 1e9
    except (OSError, ValueError):
        return None


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


class Budget:
    """Runs one input through a target: counts it, times it (CPU and wall), checks time,
    memory and that any exception is one of ``allowed``. ``refused(result)`` says whether
    a result that is not an exception is a refusal too (a reader's per-file report)."""

    def __init__(self, name: str, allowed: tuple[type[BaseException], ...], refused=None):
        self.name, self.allowed, self.refused = name, allowed, refused
        self.start_mb = _peak_mb()
        self.fig = _FIGURES.setdefault(name, {"inputs": 0, "refused": 0, "cpu_s": 0.0, "wall_s": 0.0,
                                              "slowest_cpu_s": 0.0, "slowest_wall_s": 0.0,
                                              "slowest_input": "", "most_blocked_s": 0.0,
                                              "peak_growth_mb": 0.0})

    def __call__(self, fn, *args, what: str = "", raw: bytes | None = None, **kwargs):
        """``what`` describes the input in the figures; ``raw`` (its bytes) is kept, as hex in
        the JSON report, for the slowest input, so it can be replayed."""
        result, error = None, None
        gc.disable()
        sched, cpu, wall = _sched_s(), time.process_time(), time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except self.allowed as exc:  # the project's own typed errors: the expected refusals
            error = exc
        finally:
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            busy = _sched_s()
            gc.enable()
        blocked = wall - (busy - sched) if sched is not None and busy is not None else None
        grew = _peak_mb() - self.start_mb
        f = self.fig
        f["inputs"] += 1
        f["cpu_s"] += cpu
        f["wall_s"] += wall
        if cpu > f["slowest_cpu_s"]:
            f["slowest_cpu_s"], f["slowest_input"] = cpu, what
            if raw is not None:
                f["slowest_hex"] = raw.hex()
        f["slowest_wall_s"] = max(f["slowest_wall_s"], wall)
        f["most_blocked_s"] = max(f["most_blocked_s"], blocked or 0.0)
        f["refused"] += error is not None or bool(self.refused and self.refused(result))
        f["peak_growth_mb"] = max(f["peak_growth_mb"], grew)
        assert cpu < MAX_CPU_SECONDS, f"{self.name}: one input took {cpu:.2f} s of CPU ({what})"
        if blocked is not None:
            assert blocked < MAX_BLOCKED_SECONDS, f"{self.name}: one input blocked {blocked:.1f} s ({what})"
        else:
            assert wall < MAX_WALL_SECONDS, f"{self.name}: one input took {wall:.1f} s on the clock ({what})"
        assert grew < MAX_MB, f"{self.name}: peak memory grew {grew:.0f} MB ({what})"
        return result, error


@pytest.fixture
def budget():
    return Budget


def pytest_collection_modifyitems(config, items):
    if PROFILE == "long":  # 10,000 inputs a target outlast the suite's per-test timeout
        for item in items:
            if "tests/fuzz" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(pytest.mark.timeout(0))


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    tr = terminalreporter
    peak = _peak_mb()
    tr.section(f"fuzz figures (profile {PROFILE}; process peak RSS {peak:.0f} MB)")
    for name, f in sorted(_FIGURES.items()):
        tr.write_line(f"{name:<22} {f['inputs']:>7} inputs  refused {f['refused']:>6}  cpu {f['cpu_s']:7.1f} s"
                      f"  wall {f['wall_s']:7.1f} s  slowest {f['slowest_cpu_s']:.3f} s cpu"
                      f" ({f['slowest_input']}), {f['slowest_wall_s']:.3f} s wall, blocked <= {f['most_blocked_s']:.3f} s  peak +{f['peak_growth_mb']:.0f} MB")
    out = os.environ.get("STUDIO_FUZZ_REPORT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"profile": PROFILE, "peak_rss_mb": round(peak), "session_s": round(time.perf_counter() - _STARTED),
                       "targets": _FIGURES}, fh, indent=2)
