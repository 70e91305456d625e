"""Absolute-time waiting for the live scheduler (Qt-free, no MIDI).

Every event of a live take has an ideal time ``t0 + offset`` computed once from the
start; the scheduler waits *until* that instant and never for a relative interval, so
late wake-ups never accumulate into drift over a long jam.

How it waits: a coarse, interruptible sleep (``threading.Event.wait``) until ``SPIN_S``
before the deadline, then a short busy wait on the monotonic clock. Linux wakes a
sleeping thread ~50-100 us late on an idle machine and a few ms late on a loaded one;
the spin absorbs the first, and a real-time priority (when the operating system allows
it) the second. Times are ``time.monotonic()`` seconds: CLOCK_MONOTONIC on Linux, the
clock other processes (a test's receiving client) can read too.
"""

from __future__ import annotations

import os
import sys
import threading
import time

SPIN_S = 0.0008          # the last stretch before a deadline is busy-waited
SWITCH_INTERVAL_S = 0.0001   # GIL hand-over while live (Python's default is 5 ms)


def now() -> float:
    """Seconds on the monotonic clock (shared by every process on the machine)."""
    return time.monotonic()


def wait_until(deadline: float, wake: threading.Event | None = None,
               spin: float = SPIN_S) -> bool:
    """Block until ``deadline`` (monotonic seconds). Returns False at once if ``wake`` is
    set (new earlier events, or stop), True when the deadline has come."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        if wake is not None and wake.is_set():
            return False
        if remaining > spin:
            if wake is not None:
                wake.wait(remaining - spin)
            else:
                time.sleep(remaining - spin)
        else:
            # Busy-wait the last fraction of a millisecond: a sleep this short would
            # overshoot by more than it waits.
            end = deadline
            while time.monotonic() < end:
                if wake is not None and wake.is_set():
                    return False


ENGINE_PRIORITY = 60      # below JACK's own threads (70 by default): the server's cycle matters more
# The generation process asks for a raised nice level, not a real-time one: SCHED_FIFO
# there was inherited by torch's threads, and a request that never ended (a billion
# candidates) then held both cores at priority 40. A nice level cannot starve the machine.
GENERATION_NICE = -10


def raise_thread_priority(priority: int = ENGINE_PRIORITY) -> str:
    """Ask for real-time (SCHED_FIFO) priority for the calling thread; say what we got.

    Works where the user may (root, or an ``rtprio`` limit as JACK setups grant the
    audio group); otherwise the thread keeps normal priority and the reason is returned
    for the log. Linux applies the policy to the calling thread only.
    """
    if not hasattr(os, "sched_setscheduler"):
        return f"normal priority (no real-time scheduling on {sys.platform})"
    try:
        low = os.sched_get_priority_min(os.SCHED_FIFO)
        high = os.sched_get_priority_max(os.SCHED_FIFO)
        priority = max(low, min(high, priority))
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        return f"real-time priority (SCHED_FIFO {priority})"
    except (PermissionError, OSError) as exc:
        return f"normal priority (real-time refused: {exc.strerror or exc})"


def raise_niceness(nice: int = GENERATION_NICE) -> str:
    """Ask for a raised (negative) nice level for the calling thread, and the threads it
    starts after (they inherit it); say what we got. Normal scheduling, so a busy loop
    still shares the CPUs: used where real-time priority would be a risk (the sampler).

    Linux's autogroups weigh a nice level only against the same session's threads; a
    process that leads its own session (the generation worker does) sets its autogroup's
    nice too, so the level counts against other programs' work as well."""
    if not hasattr(os, "setpriority"):
        return f"normal priority (no nice levels on {sys.platform})"
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)   # Linux: pid 0 is the calling thread
    except (PermissionError, OSError) as exc:
        return f"normal priority (nice {nice} refused: {exc.strerror or exc})"
    if os.getsid(0) == os.getpid():
        try:
            with open("/proc/self/autogroup", "w") as f:
                f.write(str(nice))
        except OSError:
            pass                                # no autogroups here, or not allowed
    return f"normal scheduling at nice {nice}"


class SwitchInterval:
    """Context: a short GIL switch interval while live, the old one restored after.

    With Python's 5 ms default a thread woken at its deadline may wait up to 5 ms for
    the interpreter while the generation thread computes; 0.5 ms bounds that wait.
    Nested uses (CLI + engine) restore in order.
    """

    def __init__(self, seconds: float = SWITCH_INTERVAL_S):
        self.seconds = seconds
        self._old: float | None = None

    def __enter__(self):
        self._old = sys.getswitchinterval()
        sys.setswitchinterval(min(self._old, self.seconds))
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            sys.setswitchinterval(self._old)
        return False
