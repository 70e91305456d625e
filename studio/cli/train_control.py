"""``train --control stdin``: a stop request that needs no signal, so the window's Pause
and Stop work the same on Windows (where a console child gets no SIGTERM) as elsewhere.

A daemon thread reads the child's stdin. A line ``stop`` (or ``pause``) or the end of the
input (the window went away) is turned into SIGINT for the main thread with
``_thread.interrupt_main``: the very handler Ctrl-C reaches runs, so the trainer finishes
its step, writes its resume file and says ``stopped``, exactly as for a signal. Other
lines are ignored. SIGINT/SIGTERM keep working as before.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading

STOP_WORDS = ("stop", "pause")


def add_argument(parser) -> None:
    parser.add_argument("--control", choices=("signals", "stdin"), default="signals",
                        help="how a clean stop is asked for: signals (Ctrl-C, SIGTERM) or also "
                             "a 'stop' line on stdin / its end (what the window uses)")


def watch_stdin(stream=None) -> threading.Thread:
    """Start the reader; returns its (daemon) thread."""
    stream = stream or sys.stdin

    def read() -> None:
        try:
            for line in stream:
                if line.strip().lower() in STOP_WORDS:
                    break
        except (OSError, ValueError):  # a closed or broken pipe is an end of input too
            pass
        _thread.interrupt_main(signal.SIGINT)

    thread = threading.Thread(target=read, name="train-control", daemon=True)
    thread.start()
    return thread
