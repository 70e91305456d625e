"""The window stays responsive while the Train tab takes a flood of trainer events
(issue 25's target: UI ping p95 <= 16 ms, max <= 50 ms while 2 training processes run),
and the probe that measures it (``sequence-studio bench --ui``) runs.

The bounds here are on the UI thread's own CPU time between two pings (``Pings``,
``time.thread_time``), not on the wall clock: a loaded CI machine delays every tick, but
only the window's own work fills a gap with the window's CPU time. They are generous; the
figures themselves are the probe's (docs/BENCH.md)."""

from __future__ import annotations

import sys
import time

import pytest

from tests.gui.test_train import corpus_file, setup_form

EVENTS = 6000  # ~30 s of a real small run's steps (~200 a second), sent in about 2 s


def fake_trainer(events: int = EVENTS) -> str:
    """A stand-in for ``train --jsonl`` under torchrun: steps 15 times as fast as a real
    small run's, in bursts of 15 every 5 ms, an evaluation and a sample every 100, a
    warning on stderr every 50 (torchrun and gloo talk there); then it waits for the
    window's "stop" line and ends as the trainer does."""
    return f"""
import json, sys, time
out = sys.stdout
for step in range(1, {events} + 1):
    out.write(json.dumps({{"event": "step", "step": step, "epoch": step / 500, "loss": 3 - step / {events},
                          "grad_norm": 1.0 + (step % 7) / 10, "tokens_per_s": 20000.0,
                          "eta_s": 100.0, "progress": step / 1e6}}) + "\\n")
    if step % 100 == 0:
        out.write(json.dumps({{"event": "eval", "step": step, "train_loss": 2.0, "val_loss": 2.1,
                              "best_val": 2.1}}) + "\\n")
        out.write(json.dumps({{"event": "sample", "step": step, "text": "stegoraptor\\ntrimimus"}}) + "\\n")
    if step % 50 == 0:
        sys.stderr.write("[W1208 gloo] a warning the launcher prints, line %d\\n" % step)
    if step % 15 == 0:
        out.flush()
        time.sleep(0.005)
out.flush()
print(json.dumps({{"event": "info", "message": "streamed"}}), flush=True)
sys.stdin.readline()
print(json.dumps({{"event": "stopped", "step": {events}, "resume_path": ""}}), flush=True)
print(json.dumps({{"event": "done", "steps": {events}, "best_val": 2.1, "seconds": 1, "path": ""}}), flush=True)
"""


def stream_into_the_tab(qtbot, window, tmp_path, names, click, monkeypatch, busy_ms=0,
                        events=EVENTS):
    """Start a run of the fake trainer from the tab, ping the UI thread while its events
    arrive; returns the pings of the "training" phase and how long it took."""
    from studio.gui.train import process as train_process
    from studio.gui.train.tab import TrainTab
    from studio.gui.ui_probe import Pings

    monkeypatch.setattr(train_process, "train_command",
                        lambda args, processes=1: (sys.executable, ["-c", fake_trainer(events)]))
    if busy_ms:  # the control: a window that works busy_ms without a break per frame
        real_drain = TrainTab.drain

        def blocking_drain(self, final=False):
            end = time.thread_time() + busy_ms / 1000
            while time.thread_time() < end:
                pass
            real_drain(self, final)

        monkeypatch.setattr(TrainTab, "drain", blocking_drain)
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)  # the curves are on screen and repaint
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=100000, eval_every=100)
    tab.form.processes.setValue(2)
    pings = Pings()
    pings.start()
    pings.phase = "training"
    started = time.perf_counter()
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: "streamed" in tab.log_view.toPlainText(), timeout=60000)
    seconds = time.perf_counter() - started
    pings.phase = "stopping"
    click(qtbot, tab.stop_button)
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=30000)
    pings.stop()
    assert tab.plots.current.step_count == events
    return pings, seconds


def test_a_flood_of_trainer_events_never_blocks_the_window(qtbot, window, tmp_path, names,
                                                          click, monkeypatch):
    pings, seconds = stream_into_the_tab(qtbot, window, tmp_path, names, click, monkeypatch)
    cpu = sorted(pings.cpu["training"])
    print(f"\n{EVENTS} events in {seconds:.2f} s, {len(cpu)} pings; window CPU per gap "
          f"p95 {cpu[int(0.95 * len(cpu))]:.1f} ms, max {cpu[-1]:.1f} ms; "
          f"lateness max {max(pings.late['training']):.1f} ms")
    # The real tab measured max 30-35 ms of CPU per gap under load (docs/ARCHITECTURE.md);
    # a window that parsed and drew per event takes seconds for this stream.
    assert cpu[-1] <= 150, f"the window worked {cpu[-1]:.0f} ms without a break"
    # the timer kept firing through the stream: at least one tick per 100 ms on average
    assert len(cpu) >= seconds * 10 * 0.5, (len(cpu), seconds)


def test_the_measure_sees_a_blocked_window(qtbot, window, tmp_path, names, click, monkeypatch):
    """The control: the same stream with a window that blocks 250 ms per frame fails
    the bound above (a measure that always passes would prove nothing)."""
    pings, _seconds = stream_into_the_tab(qtbot, window, tmp_path, names, click, monkeypatch,
                                          busy_ms=250, events=600)
    assert max(pings.cpu["training"]) > 150


@pytest.mark.timeout(120)
def test_the_ui_probe_runs_and_reports_its_figures(qtbot, names, tmp_path):
    """``sequence-studio bench --ui``, short: 1 process, a second or two of training."""
    from studio.gui.ui_probe import run_probe

    result = run_probe(processes=(1,), seconds=1.5, hidden=16, idle_s=0.3)
    assert result["platform"] == "offscreen" and result["tick_ms"] == 10
    (run,) = result["runs"]
    assert run["processes"] == 1 and run["stopped_cleanly"], run
    assert run["steps"] > 0 and isinstance(run["load_before"], float)
    assert set(run["load_during"]) == {"mean", "max", "end"}
    for phase in ("idle", "startup", "training"):
        figures = run["phases"][phase]
        assert set(figures) == {"timer_late_ms", "round_trip_ms", "window_cpu_per_gap_ms",
                                "poster_late_ms", "gc_pause_ms"}
        assert set(figures["timer_late_ms"]) == {"n", "p50", "p95", "max"}
    assert run["phases"]["training"]["timer_late_ms"]["n"] > 10
