"""The live clock's waits and the priorities it asks for, in one process (no JACK).

The priority calls go to a recording stand-in for the operating system (a test may not
raise its own priority, and must not): what is asked, the clamping to the policy's range,
and the line each outcome reports for the log."""

import sys
import threading
import time

import pytest

from studio.music.live import clock


@pytest.fixture
def fifo(monkeypatch):
    calls = []
    monkeypatch.setattr(clock.os, "sched_get_priority_min", lambda policy: 1)
    monkeypatch.setattr(clock.os, "sched_get_priority_max", lambda policy: 99)
    monkeypatch.setattr(clock.os, "sched_setscheduler",
                        lambda pid, policy, param: calls.append((pid, policy, param.sched_priority)))
    return calls


def test_real_time_priority_is_asked_for_the_calling_thread_in_range(fifo):
    assert clock.raise_thread_priority() == "real-time priority (SCHED_FIFO 60)"
    assert clock.raise_thread_priority(120) == "real-time priority (SCHED_FIFO 99)"
    assert clock.raise_thread_priority(0) == "real-time priority (SCHED_FIFO 1)"
    assert fifo == [(0, clock.os.SCHED_FIFO, 60), (0, clock.os.SCHED_FIFO, 99), (0, clock.os.SCHED_FIFO, 1)]


def test_a_refused_real_time_priority_says_why(fifo, monkeypatch):
    def refuse(*a):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(clock.os, "sched_setscheduler", refuse)
    assert clock.raise_thread_priority() == "normal priority (real-time refused: Operation not permitted)"

    def bare(*a):
        raise OSError("no rtprio")

    monkeypatch.setattr(clock.os, "sched_setscheduler", bare)
    assert clock.raise_thread_priority() == "normal priority (real-time refused: no rtprio)"
    monkeypatch.delattr(clock.os, "sched_setscheduler")
    assert clock.raise_thread_priority() == f"normal priority (no real-time scheduling on {sys.platform})"


@pytest.fixture
def nice(monkeypatch):
    calls = []
    monkeypatch.setattr(clock.os, "setpriority", lambda which, who, n: calls.append((which, who, n)))
    monkeypatch.setattr(clock.os, "getsid", lambda pid: {0: 111}[pid])   # this process's session
    monkeypatch.setattr(clock.os, "getpid", lambda: 222)      # not a session leader
    written = []

    class File:
        def __init__(self, path, mode):
            written.append((path, mode))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, text):
            written.append(text)

    monkeypatch.setattr(clock, "open", File, raising=False)
    return calls, written


def test_a_nice_level_is_asked_for_the_calling_thread(nice, monkeypatch):
    calls, written = nice
    assert clock.raise_niceness() == "normal scheduling at nice -10"
    assert calls == [(clock.os.PRIO_PROCESS, 0, -10)] and written == []
    monkeypatch.setattr(clock.os, "getsid", lambda pid: {0: 222}[pid])  # a session leader: its autogroup too
    assert clock.raise_niceness(-5) == "normal scheduling at nice -5"
    assert written == [("/proc/self/autogroup", "w"), "-5"]


def test_an_autogroup_that_cannot_be_written_changes_nothing_else(nice, monkeypatch):
    monkeypatch.setattr(clock.os, "getsid", lambda pid: {0: 222}[pid])

    def no_file(path, mode):
        raise OSError("read-only")

    monkeypatch.setattr(clock, "open", no_file, raising=False)
    assert clock.raise_niceness() == "normal scheduling at nice -10"


def test_a_refused_nice_level_says_why(nice, monkeypatch):
    def refuse(*a):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(clock.os, "setpriority", refuse)
    assert clock.raise_niceness() == "normal priority (nice -10 refused: Permission denied)"

    def bare(*a):
        raise OSError("no")

    monkeypatch.setattr(clock.os, "setpriority", bare)
    assert clock.raise_niceness(-3) == "normal priority (nice -3 refused: no)"
    monkeypatch.delattr(clock.os, "setpriority")
    assert clock.raise_niceness() == f"normal priority (no nice levels on {sys.platform})"


def test_switch_interval_is_shortened_while_live_and_restored_in_order():
    old = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.004)
        with clock.SwitchInterval():
            assert sys.getswitchinterval() == pytest.approx(clock.SWITCH_INTERVAL_S, rel=0.05)
            with clock.SwitchInterval(0.002):                # never lengthened by a nested use
                assert sys.getswitchinterval() == pytest.approx(clock.SWITCH_INTERVAL_S, rel=0.05)
            assert sys.getswitchinterval() == pytest.approx(clock.SWITCH_INTERVAL_S, rel=0.05)
        assert sys.getswitchinterval() == pytest.approx(0.004, rel=0.05)
        with clock.SwitchInterval(0.001) as s:
            assert s.seconds == 0.001 and sys.getswitchinterval() == pytest.approx(0.001, rel=0.05)
        assert sys.getswitchinterval() == pytest.approx(0.004, rel=0.05)
        clock.SwitchInterval().__exit__(None, None, None)   # never entered: nothing to restore
        assert sys.getswitchinterval() == pytest.approx(0.004, rel=0.05)
    finally:
        sys.setswitchinterval(old)


def test_wait_until_returns_at_the_deadline_not_before():
    for spin in (clock.SPIN_S, 0.05):
        deadline = clock.now() + 0.03
        assert clock.wait_until(deadline, spin=spin) is True
        assert time.monotonic() >= deadline
    assert clock.wait_until(clock.now() - 1) is True


def test_wait_until_returns_false_when_woken_sleeping_or_spinning():
    wake = threading.Event()
    threading.Timer(0.02, wake.set).start()
    start = clock.now()
    assert clock.wait_until(start + 5, wake) is False
    assert clock.now() - start < 2
    wake = threading.Event()
    threading.Timer(0.02, wake.set).start()
    start = clock.now()
    assert clock.wait_until(start + 0.5, wake, spin=1.0) is False   # woken in the busy wait
    assert clock.now() - start < 0.4
    wake = threading.Event()
    late = threading.Timer(1.0, wake.set)        # ends a wait that ignored its deadline
    late.start()
    deadline = clock.now() + 0.03
    assert clock.wait_until(deadline, wake) is True
    assert deadline <= time.monotonic() < deadline + 0.5
    late.cancel()
    wake = threading.Event()
    wake.set()
    assert clock.wait_until(clock.now() + 5, wake) is False
