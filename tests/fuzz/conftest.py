"""The fuzz harness (hypothesis): profiles, and the budget every input must keep.

Profiles: ``quick`` (default, CI: a few hundred inputs per target, derandomised, well
under a minute in all) and ``long`` (on demand, >= 10,000 inputs per target, random):

    STUDIO_FUZZ=long python -m pytest tests/fuzz -q -s

Every target may only raise the project's own typed errors (listed per test), and every
single input must finish within ``MAX_SECONDS`` and not raise the process's peak memory by
more than ``MAX_MB``. The session ends with a table of inputs, time and the slowest input
per target (with ``STUDIO_FUZZ_REPORT=file.json`` it is written there too).
"""

from __future__ import annotations

import json
import os
import resource
import time

import pytest
from hypothesis import HealthCheck, Phase, settings

MAX_SECONDS = 2.0
MAX_MB = 500

# No "explain" phase: it traces every line after a failure, which made one MIDI input take
# 100 s and hid the real report.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
_COMMON = dict(deadline=None, database=None, print_blob=True, phases=_PHASES,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture,
                                      HealthCheck.filter_too_much])
settings.register_profile("quick", max_examples=int(os.environ.get("STUDIO_FUZZ_EXAMPLES", 150)),
                          derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=int(os.environ.get("STUDIO_FUZZ_EXAMPLES", 10_000)),
                          **_COMMON)
PROFILE = os.environ.get("STUDIO_FUZZ", "quick")
settings.load_profile(PROFILE)

_FIGURES: dict[str, dict] = {}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


class Budget:
    """Runs one input through a target: counts it, times it, checks time and memory and
    that any exception is one of ``allowed``."""

    def __init__(self, name: str, allowed: tuple[type[BaseException], ...]):
        self.name, self.allowed = name, allowed
        self.start_mb = _peak_mb()
        self.fig = _FIGURES.setdefault(name, {"inputs": 0, "seconds": 0.0, "slowest_s": 0.0,
                                              "refused": 0, "peak_growth_mb": 0.0})

    def __call__(self, fn, *args, **kwargs):
        t = time.perf_counter()
        result, error = None, None
        try:
            result = fn(*args, **kwargs)
        except self.allowed as exc:  # the project's own typed errors: the expected refusals
            error = exc
        took = time.perf_counter() - t
        grew = _peak_mb() - self.start_mb
        f = self.fig
        f["inputs"] += 1
        f["seconds"] += took
        f["slowest_s"] = max(f["slowest_s"], took)
        f["refused"] += error is not None
        f["peak_growth_mb"] = max(f["peak_growth_mb"], grew)
        assert took < MAX_SECONDS, f"{self.name}: one input took {took:.2f} s"
        assert grew < MAX_MB, f"{self.name}: peak memory grew {grew:.0f} MB"
        return result, error


@pytest.fixture
def budget():
    return Budget


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    tr = terminalreporter
    tr.section(f"fuzz figures (profile {PROFILE})")
    for name, f in sorted(_FIGURES.items()):
        tr.write_line(f"{name:<22} {f['inputs']:>7} inputs  {f['seconds']:8.1f} s  slowest "
                      f"{f['slowest_s']:.3f} s  refused {f['refused']:>6}  peak +{f['peak_growth_mb']:.0f} MB")
    out = os.environ.get("STUDIO_FUZZ_REPORT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"profile": PROFILE, "targets": _FIGURES}, fh, indent=2)
