"""The window's responsiveness while training runs: ``sequence-studio bench --ui``
(also ``python -m studio.gui.ui_probe``), JSON on stdout.

It opens the real main window (offscreen unless a display is asked for), drives the
Train tab as a user does (a names list it writes to a temp folder, a small GRU, Start,
then Stop), and pings the UI thread all along:

* ``timer``: a precise QTimer firing every ``TICK_MS`` on the UI thread; each firing's
  lateness is its gap minus ``TICK_MS`` (0 when on time);
* ``round_trip``: a Python thread posts a queued signal to the UI thread every
  ``TICK_MS`` with its send time; the UI thread's slot records how long it waited;
* ``window_cpu``: the UI thread's own CPU time per timer gap (``time.thread_time``):
  the work the window did between two firings. A late tick with little CPU in it is
  the OS giving the cores to someone else (the trainers, other people's jobs); a late
  tick full of CPU is the window's own stall;
* ``poster_late_ms``: how late the posting thread itself woke from its 10 ms sleeps. It
  does nothing on the UI thread, so its lateness is the machine's, not the window's: a
  long timer gap that the poster shares is the whole process waiting for a core;
* ``gc_pause_ms``: Python's garbage collections in the process (any thread: one holds
  the interpreter lock for all), so a stall from a collection is told from the OS's.

Phases: ``idle`` (before Start), ``startup`` (Start until the first step is drawn)
and ``training`` (``seconds`` from the first step). Beside each: the load average
(1 min) before and during, so figures from a shared machine can be read. The user
data folder is a temp one (``SEQUENCE_STUDIO_HOME``): nothing of the user's changes.

Lives in the window's package (bench may not import the window:
tests/test_import_rules.py); the CLI's ``bench --ui`` calls ``run_probe``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

TICK_MS = 10


def summary(values_ms: list[float]) -> dict:
    """p50 / p95 / max (and the count) of a list of milliseconds, rounded to 0.1 ms."""
    if not values_ms:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(values_ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 1),
            "p95": round(pick(0.95), 1), "max": round(ordered[-1], 1)}


def make_corpus(folder: Path, n: int = 2000, seed: int = 0) -> Path:
    """Made-up names with some structure to learn (prefix + middle + suffix)."""
    rng = random.Random(seed)
    heads = ["allo", "bronto", "stego", "tri", "veloci", "ankylo", "diplo", "pachy", "spino",
             "iguano", "cerato", "micro", "giga", "tarbo", "proto"]
    mids = ["", "ce", "ra", "do", "pto", "no", "li", "ma", "ve"]
    tails = ["saurus", "raptor", "don", "ceratops", "mimus", "titan", "venator", "nyx"]
    names = {rng.choice(heads) + rng.choice(mids) + rng.choice(tails) for _ in range(n)}
    path = folder / "names.txt"
    path.write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")
    return path


class Pings:
    """The QTimer and the posted-event pings, filed under the current phase."""

    def __init__(self):
        from PySide6.QtCore import QObject, Qt, QTimer, Signal

        class Receiver(QObject):
            ping = Signal(float)

        self.phase = "idle"
        self.late: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.trip: dict[str, list[float]] = {}
        self.poster: dict[str, list[float]] = {}
        self.gc_pauses: dict[str, list[float]] = {}
        self._gc_start = 0.0
        self.receiver = Receiver()
        self.receiver.ping.connect(self._answer, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last = (time.perf_counter(), time.thread_time())
        self._running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._last = (time.perf_counter(), time.thread_time())
        self.timer.start()
        self._running = True
        self._thread = threading.Thread(target=self._post, daemon=True, name="ui-probe")
        self._thread.start()
        gc.callbacks.append(self._gc)

    def _gc(self, when: str, _info: dict) -> None:
        if when == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.setdefault(self.phase, []).append(
                (time.perf_counter() - self._gc_start) * 1000)

    def stop(self) -> None:
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        self.timer.stop()
        self._running = False
        if self._thread is not None:
            self._thread.join(2)

    def _tick(self) -> None:
        now, own = time.perf_counter(), time.thread_time()
        gap_ms = (now - self._last[0]) * 1000
        self.late.setdefault(self.phase, []).append(max(0.0, gap_ms - TICK_MS))
        self.cpu.setdefault(self.phase, []).append((own - self._last[1]) * 1000)
        self._last = (now, own)

    def _post(self) -> None:
        last = time.perf_counter()
        while self._running:
            now = time.perf_counter()
            self.poster.setdefault(self.phase, []).append(max(0.0, (now - last) * 1000 - TICK_MS))
            last = now
            self.receiver.ping.emit(now)
            time.sleep(TICK_MS / 1000)

    def _answer(self, sent: float) -> None:
        self.trip.setdefault(self.phase, []).append((time.perf_counter() - sent) * 1000)

    def figures(self, phase: str) -> dict:
        return {"timer_late_ms": summary(self.late.get(phase, [])),
                "round_trip_ms": summary(self.trip.get(phase, [])),
                "window_cpu_per_gap_ms": summary(self.cpu.get(phase, [])),
                "poster_late_ms": summary(self.poster.get(phase, [])),
                "gc_pause_ms": summary(self.gc_pauses.get(phase, []))}


def spin(seconds: float, until=None, every: float = 1.0, on_every=None) -> bool:
    """Run the event loop for up to ``seconds`` (until ``until()`` is true); call
    ``on_every()`` each ``every`` seconds. True when ``until`` came true."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    end = time.perf_counter() + seconds
    next_call = [time.perf_counter() + every]
    met = [False]

    def check():
        if on_every is not None and time.perf_counter() >= next_call[0]:
            next_call[0] += every
            on_every()
        if until is not None and until():
            met[0] = True
            loop.quit()
        elif time.perf_counter() >= end:
            loop.quit()

    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return met[0]


@contextmanager
def temp_home():
    """A temp user data folder for the probe's window, settings and models."""
    saved = os.environ.get("SEQUENCE_STUDIO_HOME")
    with tempfile.TemporaryDirectory(prefix="studio-ui-probe-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        os.environ["SEQUENCE_STUDIO_HOME"] = str(home)
        try:
            yield Path(folder)
        finally:
            if saved is None:
                os.environ.pop("SEQUENCE_STUDIO_HOME", None)
            else:
                os.environ["SEQUENCE_STUDIO_HOME"] = saved


def load() -> float:
    return round(os.getloadavg()[0], 2)


def probe_run(window, corpus: Path, processes: int, seconds: float, hidden: int,
              idle_s: float = 2.0) -> dict:
    """One run: idle pings, Start with ``processes``, ``seconds`` of training, Stop."""
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)  # the curves are on screen and repaint
    form = tab.form
    form.set_corpus(str(corpus), "names")
    if not spin(60, until=lambda: tab.report is not None or tab.report_error is not None) \
            or tab.report is None:
        raise RuntimeError(f"the dataset report did not load: {tab.report_error}")
    form.cell.setCurrentIndex(form.cell.findData("gru"))
    form.layers.setValue(1)
    form.hidden.setValue(hidden)
    form.embedding.setValue(16)
    form.batch.setValue(16)
    form.epochs.setValue(10000)
    form.max_steps.setValue(1_000_000)  # Stop ends it
    form.eval_every.setValue(100)
    form.device.setCurrentIndex(form.device.findData("cpu"))
    form.processes.setValue(processes)
    form.name.setText(f"ui-probe-{processes}p")

    pings = Pings()
    out: dict = {"processes": processes, "load_before": load()}
    pings.start()
    spin(idle_s)
    pings.phase = "startup"
    started = time.perf_counter()
    tab.start_button.click()
    if not spin(180, until=lambda: tab.plots.point_count() > 0 or not tab.is_running()):
        raise RuntimeError("no training step within 180 s")
    if not tab.is_running():
        raise RuntimeError("the run ended before its first step:\n" + tab.log_view.toPlainText()[-2000:])
    out["startup_s"] = round(time.perf_counter() - started, 2)
    pings.phase = "training"
    first_step = tab.plots.point_count()
    loads: list[float] = []
    began = time.perf_counter()
    spin(seconds, until=lambda: not tab.is_running(), on_every=lambda: loads.append(load()))
    measured = time.perf_counter() - began
    steps = tab.plots.point_count()
    out["load_during"] = {"mean": round(statistics.fmean(loads), 2) if loads else load(),
                          "max": max(loads, default=load()), "end": load()}
    out["steps"] = steps
    out["steps_per_s"] = round((steps - first_step) / measured, 1)
    out["tokens_per_s"] = tab.live.stats["speed"].text()
    pings.phase = "stopping"
    stop_at = time.perf_counter()
    tab.stop_button.click()
    stopped = spin(60, until=lambda: not tab.is_running())
    out["stop_s"] = round(time.perf_counter() - stop_at, 2)
    out["stopped_cleanly"] = stopped and tab.state == "finished"
    pings.stop()
    if not stopped:
        tab.shutdown()
    out["phases"] = {phase: pings.figures(phase) for phase in ("idle", "startup", "training")}
    return out


def run_probe(processes=(2, 1), seconds: float = 20.0, hidden: int = 64,
              show: bool = False, idle_s: float = 2.0) -> dict:
    """The probe's JSON: one entry per process count, in the order given."""
    if not show:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    result = {"tick_ms": TICK_MS, "seconds": seconds, "cpus": os.cpu_count(),
              "platform": app.platformName(), "load_at_start": load(), "runs": []}
    with temp_home() as folder:
        from studio.gui.main_window import MainWindow

        corpus = make_corpus(folder)
        window = MainWindow(restore=False)
        window.show()
        try:
            for n in processes:
                result["runs"].append(probe_run(window, corpus, n, seconds, hidden, idle_s))
        finally:
            window.train_tab.shutdown()
            window.generate_tab.shutdown()
            window.close()
            window.deleteLater()
            spin(0.2)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.gui.ui_probe", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(json.dumps(run_probe(parse_processes(args.processes), args.seconds, args.hidden,
                               args.show), indent=2))
    return 0


def add_arguments(parser) -> None:
    parser.add_argument("--processes", default="2,1",
                        help="the runs' process counts, in order (default 2,1)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="seconds of training measured per run (default 20)")
    parser.add_argument("--hidden", type=int, default=64, help="the GRU's width (default 64)")
    parser.add_argument("--show", action="store_true", help="on the real display, not offscreen")


def parse_processes(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(p) for p in str(text).split(",") if p.strip())
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise ValueError(f"--processes takes counts like 2,1, not {text!r}")
    return counts


if __name__ == "__main__":
    raise SystemExit(main())
