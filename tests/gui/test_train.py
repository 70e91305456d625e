"""Train tab: a real QProcess run of ``python -m studio train --jsonl`` on a tiny corpus."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer



def setup_form(qtbot, tab, corpus: Path, max_steps: int, eval_every: int) -> None:
    form = tab.form
    form.set_corpus(str(corpus), "names")
    qtbot.waitUntil(lambda: tab.report is not None, timeout=15000)
    assert tab.start_button.isEnabled()
    form.cell.setCurrentIndex(form.cell.findData("gru"))
    form.layers.setValue(1)
    form.hidden.setValue(24)
    form.embedding.setValue(8)
    form.batch.setValue(8)
    form.epochs.setValue(200)
    form.max_steps.setValue(max_steps)
    form.eval_every.setValue(eval_every)
    form.device.setCurrentIndex(form.device.findData("cpu"))
    form.name.setText("gui-test-run")


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


def test_training_draws_curves_saves_model_and_keeps_ui_responsive(qtbot, window, tmp_path, names):
    corpus = tmp_path / "names.txt"
    corpus.write_text("\n".join(names * 3) + "\n", encoding="utf-8")
    tab = window.train_tab
    setup_form(qtbot, tab, corpus, max_steps=12, eval_every=4)

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    probe.start()
    tab.start()
    assert tab.state == "running"
    qtbot.waitUntil(lambda: tab.state == "idle", timeout=90000)
    probe.stop()

    assert tab.result is not None, tab.log_view.toPlainText()
    run = tab.plots.current
    assert len(run.steps) == 12 and len(run.val) >= 3
    assert run.label.startswith("GRU 1x24")
    saved = Path(tab.result["path"])
    assert saved.is_file() and saved.parent.name == "models"
    # the run completed ("done", no "stopped"): its resume file is gone, the model stays
    resume_file = saved.with_name(saved.name.replace(".safetensors", ".last.safetensors"))
    assert tab.result["resume_path"] == str(resume_file)
    assert not resume_file.exists() and "removed the resume file" in tab.log_view.toPlainText()
    assert "step 4" in tab.samples.toPlainText()  # a sample at each evaluation
    assert len(gaps) > 20
    assert max(gaps) < 0.100, f"event loop stalled for {max(gaps) * 1000:.0f} ms"
    # the library refresh shows the new model in the Models tab and the Generate picker
    qtbot.waitUntil(lambda: any(str(e.path) == str(saved) for e in window.models_tab.entries),
                    timeout=10000)
    assert any(e.name == "gui-test-run" for e in window.generate_tab.picker.entries)


def test_pause_then_resume_continues_the_run(qtbot, window, tmp_path, names):
    corpus = tmp_path / "names.txt"
    corpus.write_text("\n".join(names * 3) + "\n", encoding="utf-8")
    tab = window.train_tab
    setup_form(qtbot, tab, corpus, max_steps=100000, eval_every=5)
    tab.overlay.setChecked(False)
    tab.start()
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 3, timeout=60000)
    tab.pause()
    assert tab.state == "stopping"
    qtbot.waitUntil(lambda: tab.state == "idle", timeout=60000)
    assert tab.resume_path and Path(tab.resume_path).is_file()  # paused: the file is kept
    assert tab.resume_path.endswith(".last.safetensors")
    assert tab.resume_button.isEnabled()
    paused_at = tab.plots.current.steps[-1]
    tab.resume()
    qtbot.waitUntil(lambda: tab.plots.current.steps[-1] > paused_at, timeout=60000)
    assert len(tab.plots.runs) == 1  # resume draws into the same curves
    tab.stop()
    qtbot.waitUntil(lambda: tab.state == "idle", timeout=60000)
    assert not tab.resume_button.isEnabled()  # Stop ends the run


def test_train_command_is_the_cli_verb():
    from studio.gui.train_process import TrainOptions, parse_line, train_command

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
        if f.name != "extra":
            expected = getattr(options, f.name)
            default_zero = f.name in ("eval_every", "patience") and expected == 0
            assert parsed[f.name] == (None if expected == "" or default_zero else expected), f.name
    assert parse_line('{"event": "step", "step": 1}') == {"event": "step", "step": 1}
    assert parse_line("a warning")["event"] == "info"


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
