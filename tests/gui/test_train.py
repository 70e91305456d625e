"""Train tab: real QProcess runs of ``python -m studio train --jsonl`` on a tiny corpus,
driven by clicking the tab's buttons (Start, Pause, Resume, Stop) as a user does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.paths import user_models_dir

ROOT = Path(__file__).resolve().parents[2]


def setup_form(qtbot, tab, corpus: Path, max_steps: int, eval_every: int = 0) -> None:
    form = tab.form
    form.set_corpus(str(corpus), "names")
    qtbot.waitUntil(lambda: tab.report is not None, timeout=15000)
    assert tab.start_button.isEnabled()
    form.cell.setCurrentIndex(form.cell.findData("gru"))
    form.layers.setValue(1)
    form.hidden.setValue(24)
    form.embedding.setValue(8)
    form.batch.setValue(8)
    form.epochs.setValue(10000)  # max_steps decides the length
    form.max_steps.setValue(max_steps)
    form.eval_every.setValue(eval_every)
    form.device.setCurrentIndex(form.device.findData("cpu"))
    form.name.setText("gui-test-run")


def corpus_file(tmp_path, names) -> Path:
    corpus = tmp_path / "names.txt"
    corpus.write_text("\n".join(names * 3) + "\n", encoding="utf-8")
    return corpus


def leftover_resume_files() -> list[str]:
    return sorted(p.name for p in user_models_dir().glob("*.last.safetensors"))


def controls(tab) -> dict:
    return {"start": tab.start_button.isEnabled(), "pause": tab.pause_button.isEnabled(),
            "resume": tab.resume_button.isEnabled(), "stop": tab.stop_button.isEnabled(),
            "form": tab.form.isEnabled()}


def test_dataset_report_before_training(qtbot, window, tmp_path, names):
    corpus = tmp_path / "names.txt"
    corpus.write_text("\n".join(names) + "\n", encoding="utf-8")
    tab = window.train_tab
    assert not tab.start_button.isEnabled()  # nothing starts before a report
    tab.form.set_corpus(str(corpus))
    assert tab.form.kind.currentData() == "names"  # guessed from short lines
    qtbot.waitUntil(lambda: tab.report is not None, timeout=15000)
    assert tab.report["items"] == len(names)
    assert "items" in tab.report_view.toPlainText()
    tab.form.set_corpus(str(tmp_path / "missing.txt"), "names")
    qtbot.waitUntil(lambda: tab.report_error is not None, timeout=15000)
    assert not tab.start_button.isEnabled()


def test_a_run_to_its_end_is_saved_and_chosen_in_generate(qtbot, window, tmp_path, names, click):
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=40)  # evaluation: "auto"
    click(qtbot, tab.start_button)
    assert tab.state == "running"
    assert controls(tab) == {"start": False, "pause": True, "resume": False, "stop": True,
                             "form": False}
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=90000)

    assert tab.result is not None, tab.log_view.toPlainText()
    run = tab.plots.current
    assert run.step_count == 40 and run.last_step == 40
    assert run.label.startswith("gui-test-run: GRU 1x24")
    # "auto" evaluates about 20 times in a run: the validation curve is a curve
    assert len(run.val) >= 15, run.val_steps
    assert tab.live.progress.value() == tab.live.progress.maximum()
    saved = Path(tab.result["path"])
    assert saved.is_file() and saved.parent == user_models_dir()
    # it ran to its end ("done", no "stopped"): nothing to resume, nothing left behind
    assert leftover_resume_files() == [] and "removed the resume file" in tab.log_view.toPlainText()
    assert not tab.resume_button.isEnabled() and tab.start_button.isEnabled()
    assert "— step 2 —" in tab.samples.toPlainText()  # a sample at each evaluation
    # the new model shows up everywhere and Generate has it selected
    gen = window.generate_tab
    qtbot.waitUntil(lambda: gen.picker.current_path() == str(saved), timeout=10000)
    assert gen.picker.domain_combo.currentText() == "My models"
    assert any(str(e.path) == str(saved) for e in window.models_tab.entries)
    click(qtbot, gen.generate_button)
    qtbot.waitUntil(lambda: len(gen.history.takes) == 1, timeout=20000)
    assert gen.history.takes[0].model_path == str(saved)


def test_two_processes_from_the_window_draw_the_same_curves(qtbot, window, tmp_path, names, click):
    """Processes: 2 runs the train verb under torchrun (gloo on the CPU): the tab draws its
    steps, validations and samples as for one process, and Stop ends both processes."""
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=100000, eval_every=5)
    tab.form.processes.setValue(2)
    click(qtbot, tab.start_button)
    assert tab.options.processes == 2
    qtbot.waitUntil(lambda: len(tab.plots.current.val) >= 2, timeout=120000)
    assert "torchrun --standalone --nproc-per-node 2 -m studio train --jsonl" in tab.log_view.toPlainText()
    assert "on 2 processes (gloo)" in tab.log_view.toPlainText()
    click(qtbot, tab.stop_button)
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=60000)
    run = tab.plots.current
    assert run.last_step >= 10 and run.val_steps[:2] == [5, 10]
    assert tab.result is not None and Path(tab.result["path"]).is_file()


def test_stop_midway_ends_the_run_where_it_stopped(qtbot, window, tmp_path, names, click):
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=5000, eval_every=10)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 15, timeout=60000)
    click(qtbot, tab.stop_button)
    assert tab.state == "stopping"
    assert not any(controls(tab).values())  # nothing to click while the trainer saves
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=60000)
    step = tab.live.last_step
    assert 15 <= step < 5000
    # the bar shows where the run ended, not 100 %
    assert abs(tab.live.progress.value() - step / 5000 * 1000) <= 1
    assert f"step {step} of 5000" in tab.status.text()
    # Stop ends the run: no resume file left in the library folder, no Resume offered
    assert leftover_resume_files() == []
    assert not tab.resume_button.isEnabled()
    assert tab.start_button.isEnabled() and tab.form.isEnabled()
    assert Path(tab.saved_path).is_file()  # the best model so far stays


def _jsonl_events(args: list[str]) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "studio", "train", "--jsonl", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def test_pause_locks_the_run_and_resume_continues_from_the_resume_file(
        qtbot, window, tmp_path, names, click):
    from studio.core.checkpoint import read_metadata

    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=60, eval_every=5)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 8, timeout=60000)
    click(qtbot, tab.pause_button)
    assert tab.state == "pausing"
    qtbot.waitUntil(lambda: tab.state == "paused", timeout=60000)
    # paused: only Resume and Stop; a new Start cannot throw the paused run away
    assert controls(tab) == {"start": False, "pause": False, "resume": True, "stop": True,
                             "form": False}
    click(qtbot, tab.start_button)
    assert tab.state == "paused"
    resume_file = Path(tab.resume_path)
    assert resume_file.is_file() and resume_file.name.endswith(".last.safetensors")
    paused_step = read_metadata(resume_file)["resume"]["step"]
    assert paused_step == tab.live.last_step and paused_step < 60
    assert f"Paused at step {paused_step} of 60" in tab.status.text()
    snapshot = tmp_path / "snapshot.last.safetensors"
    shutil.copyfile(resume_file, snapshot)
    resume_args = tab.options.to_args()

    seen: list[dict] = []
    apply = tab.live.apply
    tab.live.apply = lambda events, final=False: (seen.extend(events), apply(events, final))
    click(qtbot, tab.resume_button)
    assert tab.state == "running"
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=90000)
    steps = [e["step"] for e in seen if e.get("event") == "step"]
    assert steps[0] == paused_step + 1 and steps[-1] == 60  # not from scratch
    assert len(tab.plots.runs) == 1  # resume draws into the same curves

    # The same resume file continued by the CLI gives the same validation losses at the
    # same steps: the window resumed those very weights, optimiser state and position.
    out = tmp_path / "reference.safetensors"
    args = [a for a in resume_args]
    args[args.index("--out") + 1] = str(out)
    reference = [(e["step"], e["val_loss"]) for e in _jsonl_events(args + ["--resume", str(snapshot)])
                 if e["event"] == "eval"]
    run = tab.plots.current
    resumed = [(s, v) for s, v in zip(run.val_steps, run.val) if s > paused_step]
    assert reference and len(resumed) == len(reference)
    for (s1, v1), (s2, v2) in zip(resumed, reference):
        assert s1 == s2 and abs(v1 - v2) < 1e-6, (resumed, reference)


def test_train_pause_resume_stop(qtbot, window, tmp_path, names, click):
    """The whole path: a run paused, resumed and then stopped is one finished run."""
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=100000, eval_every=5)
    tab.overlay.setChecked(False)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 6, timeout=60000)
    click(qtbot, tab.pause_button)
    qtbot.waitUntil(lambda: tab.state == "paused", timeout=60000)
    paused_at = tab.live.last_step
    click(qtbot, tab.resume_button)
    qtbot.waitUntil(lambda: tab.live.last_step > paused_at + 3, timeout=60000)
    click(qtbot, tab.stop_button)
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=60000)
    assert leftover_resume_files() == [] and not tab.resume_button.isEnabled()
    assert tab.live.progress.value() < tab.live.progress.maximum()


def test_stop_while_paused_ends_the_run(qtbot, window, tmp_path, names, click):
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=100000, eval_every=5)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 6, timeout=60000)
    click(qtbot, tab.pause_button)
    qtbot.waitUntil(lambda: tab.state == "paused", timeout=60000)
    assert leftover_resume_files()
    click(qtbot, tab.stop_button)
    assert tab.state == "finished" and leftover_resume_files() == []
    assert tab.start_button.isEnabled() and not tab.resume_button.isEnabled()


def test_closing_the_window_pauses_the_run_and_the_next_start_offers_resume(
        qtbot, window, tmp_path, names, click):
    from studio.gui.main_window import MainWindow

    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=100000, eval_every=5)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 6, timeout=60000)
    window.save_settings()
    tab.shutdown()  # what closing the window does after saving the settings
    assert tab.state == "paused" and leftover_resume_files()

    again = MainWindow(restore=True)
    qtbot.addWidget(again)
    later = again.train_tab
    assert later.state == "paused"
    assert later.resume_button.isEnabled() and not later.start_button.isEnabled()
    paused_at = later.live.last_step
    assert paused_at >= 6
    click(qtbot, later.resume_button)
    qtbot.waitUntil(lambda: later.live.last_step > paused_at, timeout=60000)
    click(qtbot, later.stop_button)
    qtbot.waitUntil(lambda: later.state == "finished", timeout=60000)
    assert leftover_resume_files() == []


def test_train_command_is_the_cli_verb():
    from studio.gui.train.process import TrainOptions, parse_line, train_command

    options = TrainOptions(corpus="c.txt", kind="text", cell="rnn", clip=0.0, max_steps=50,
                           init_from="m.safetensors", seed=3)
    program, argv = train_command(options.to_args())
    assert argv[:4] == ["-m", "studio", "train", "--jsonl"]
    assert argv[argv.index("--clip") + 1] == "0"
    assert argv[argv.index("--init-from") + 1] == "m.safetensors"
    assert options.label() == "RNN 2x128 no clip"
    # every option reaches the train verb as itself: parsed back by the CLI's own parser
    import argparse
    from dataclasses import fields

    from studio.cli.train import add_parser as add_train_parser

    sub = argparse.ArgumentParser().add_subparsers()
    add_train_parser(sub)
    parsed = vars(sub.choices["train"].parse_args(options.to_args()))
    for f in fields(options):
        if f.name not in ("extra", "processes"):  # processes: torchrun's, not the verb's
            expected = getattr(options, f.name)
            default_zero = f.name == "eval_every" and expected == 0
            assert parsed[f.name] == (None if expected == "" or default_zero else expected), f.name
    assert parse_line('{"event": "step", "step": 1}') == {"event": "step", "step": 1}
    assert parse_line("a warning")["event"] == "info"


def test_auto_evaluation_interval():
    from studio.gui.train.process import TrainOptions
    from studio.gui.train.form import auto_eval_every

    short = TrainOptions(corpus="c", kind="names", batch_size=8, epochs=200, max_steps=40)
    assert auto_eval_every(short, {"train_items": 54}) == 2
    # epochs decide: 1237 names / 32 per batch = 39 steps an epoch, 2 epochs = 78 steps
    epochs = TrainOptions(corpus="c", kind="names", batch_size=32, epochs=2)
    assert auto_eval_every(epochs, {"train_items": 1237}) == 3
    # long runs keep the kind's own interval (names: 100)
    long = TrainOptions(corpus="c", kind="names", batch_size=32, epochs=400)
    assert auto_eval_every(long, {"train_items": 1237}) == 100
    text = TrainOptions(corpus="c", kind="text", batch_size=32, window=128, epochs=1)
    assert auto_eval_every(text, {"train_tokens": 1_003_854}) == 12  # 245 steps / 20


def test_fine_tune_offers_models_of_the_corpus_kind(window, tiny_models):
    form = window.train_tab.form
    form.kind.setCurrentIndex(form.kind.findData("names"))
    choices = [form.init_from.itemData(i) for i in range(form.init_from.count())]
    assert choices[0] == "" and str(tiny_models["names"]) in choices
    assert str(tiny_models["text"]) not in choices
    form.init_from.setCurrentIndex(choices.index(str(tiny_models["names"])))
    assert not form.arch_box.isEnabled()  # the checkpoint's architecture is kept
    form.corpus.setText("names.txt")
    args = form.options(out="x.safetensors").to_args()
    assert args[args.index("--init-from") + 1] == str(tiny_models["names"])


# Timing on a shared machine: a loaded 2-core box (or JACK's real-time thread losing the CPU)
# has made this fail once in a full run and pass alone; a real defect fails every rerun.
@pytest.mark.flaky(reruns=2, reruns_delay=1)
def test_the_window_stays_responsive_while_a_run_streams_events(qtbot, window, tmp_path, names,
                                                                click):
    """Issue 10: the longest event-loop stall while training <= 50 ms, p99 <= 16 ms.

    A QTimer probe ticks every 5 ms while a real run streams a few hundred step events
    a second. For each gap between ticks it records the wall time and the UI thread's
    own CPU time (``time.thread_time``). The bound is on the CPU time: that is the work
    the window does between two ticks (parsing, curves, labels, painting), and it is
    what a stall is on a quiet machine. The wall time also counts the minutes the OS
    gives the trainer and everything else on a shared 2-core box instead, which the
    window cannot help; it is printed beside it (run pytest with -s to see both).
    """
    import statistics
    import time

    from PySide6.QtCore import QTimer

    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)  # the curves are on screen and repaint
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=1500, eval_every=100)
    tab.form.hidden.setValue(8)
    tab.form.batch.setValue(4)
    wall: list[float] = []
    cpu: list[float] = []
    last = [time.perf_counter(), time.thread_time()]

    def tick():
        now, own = time.perf_counter(), time.thread_time()
        wall.append(now - last[0])
        cpu.append(own - last[1])
        last[:] = [now, own]

    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(tick)
    click(qtbot, tab.start_button)
    started = time.perf_counter()
    probe.start()
    last[:] = [time.perf_counter(), time.thread_time()]
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=300000)
    probe.stop()
    seconds = time.perf_counter() - started
    assert tab.plots.current.step_count == 1500  # patience "off" means no early stop

    def p99(values):
        return statistics.quantiles(values, n=100)[98]

    ms = 1000
    print(f"\n1500 steps in {seconds:.1f} s; {len(cpu)} probe gaps. Window CPU per gap: "
          f"max {max(cpu) * ms:.1f} ms, p99 {p99(cpu) * ms:.1f} ms, total {sum(cpu):.2f} s. "
          f"Wall gap: max {max(wall) * ms:.1f} ms, p99 {p99(wall) * ms:.1f} ms")
    assert max(cpu) * ms <= 50, f"the window worked {max(cpu) * ms:.0f} ms without a break"
    assert p99(cpu) * ms <= 16, f"p99 of the window's work per gap {p99(cpu) * ms:.1f} ms"


def test_pause_needs_no_signal(qtbot, window, tmp_path, names, click, monkeypatch):
    """Windows has no SIGTERM for a console child: Pause must reach the trainer another
    way (a 'stop' line on its stdin). Here any signal the window tried to send is caught."""
    from PySide6.QtCore import QProcess

    sent = []
    monkeypatch.setattr(QProcess, "terminate", lambda self: sent.append("terminate"))
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=100000, eval_every=5)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 4, timeout=60000)
    click(qtbot, tab.pause_button)
    qtbot.waitUntil(lambda: tab.state == "paused", timeout=20000)  # the kill comes at 30 s
    assert sent == [] and leftover_resume_files()
    click(qtbot, tab.stop_button)
    assert tab.state == "finished"


def test_overlaid_runs_have_distinct_labels_named_after_their_model(qtbot):
    """Issue 25, defect 6: a third run of the same settings was labelled like the second;
    labels ignored the run's model name; the legend covered the curves."""
    from studio.gui.train.curves import TrainPlots
    from studio.gui.train.process import TrainOptions

    plots = TrainPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 400)
    plots.show()
    qtbot.waitExposed(plots)
    options = TrainOptions(corpus="walks.txt", cell="gru", layers=2, hidden=128, clip=1.0, name="walk1")
    assert options.label() == "walk1: GRU 2x128 clip 1"
    for _ in range(3):
        plots.start_run(options.label())
    assert [r.label for r in plots.runs] == ["walk1: GRU 2x128 clip 1", "walk1: GRU 2x128 clip 1 (2)",
                                             "walk1: GRU 2x128 clip 1 (3)"]
    assert all(r.label in plots.legend.text() for r in plots.runs)
    qtbot.wait(20)
    key = plots.legend.geometry()
    assert key.height() > 0
    assert not key.intersects(plots.loss_plot.geometry())
    assert not key.intersects(plots.grad_plot.geometry())
    plots.clear()
    assert plots.legend.text() == ""
