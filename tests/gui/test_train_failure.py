"""Train tab: a run that fails at start-up (issue 25, defect 1: Processes 2 failed with a
raw torchrun/elastic dump in the dialog, the cause "No usable temporary directory found"
buried in it, and left an empty entry in the curves' key)."""

from __future__ import annotations

import sys

from tests.gui.test_train import corpus_file, setup_form

# what torchrun printed (shortened): the child's traceback, then the launcher's dump
DUMP = r"""
[rank1]: Traceback (most recent call last):
[rank1]:   File "/usr/lib/python3.12/tempfile.py", line 167, in _get_default_tempdir
[rank1]: FileNotFoundError: [Errno 2] No usable temporary directory found in ['/tmp', '/var/tmp', '/usr/tmp', '/work']
E1207 20:01:02.123000 1234 torch/distributed/elastic/multiprocessing/api.py:882] failed (exitcode: 1) local_rank: 1 (pid: 1236) of binary: /usr/bin/python3
Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/torch/distributed/run.py", line 905, in <module>
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
studio FAILED
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  rank      : 1 (local_rank: 1)
  exitcode  : 1 (pid: 1236)
  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html
============================================================
"""


def test_a_run_failing_at_start_says_why_keeps_no_key_entry_and_starts_again(
        qtbot, window, tmp_path, names, click, monkeypatch):
    from studio.gui.shared import errors
    from studio.gui.train import process as train_process

    real = train_process.train_command
    fake = ["-c", f"import sys; sys.stderr.write({DUMP!r}); sys.exit(1)"]
    monkeypatch.setattr(train_process, "train_command", lambda args, processes=1: (sys.executable, fake))
    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=6, eval_every=3)
    tab.form.processes.setValue(2)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.state == "failed", timeout=30000)
    box = errors.OPEN_DIALOGS[-1]
    text = box.text()
    assert "no usable temporary directory" in text and "(2 processes)" in text, text
    assert "Start to try again" in text
    assert "ChildFailedError" not in text and "=====" not in text and "[rank1]" not in text
    assert "ChildFailedError" in box.detailedText()  # the whole dump is one click away
    assert tab.plots.runs == [] and tab.plots.legend.text() == ""
    box.done(0)
    # the same settings, started again, run cleanly: one key entry, for this run
    monkeypatch.setattr(train_process, "train_command", real)
    assert tab.start_button.isEnabled()
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.state == "finished", timeout=180000)
    assert tab.result is not None, tab.log_view.toPlainText()
    assert [run.label for run in tab.plots.runs] == [tab.options.label()]
    assert tab.plots.legend.text().count("&#9632;") == 1


def test_failure_reason_picks_the_cause_out_of_a_dump():
    from studio.gui.train.failure import failure_reason

    lines = DUMP.replace("No usable temporary directory found", "bad value 3").splitlines()
    assert failure_reason(lines) == "FileNotFoundError: [Errno 2] bad value 3 in ['/tmp', " \
                                    "'/var/tmp', '/usr/tmp', '/work']"
    assert failure_reason(["[rank0]: OSError: [Errno 98] Address already in use"]).startswith(
        "the network port")
    assert failure_reason(["some noise", "ChildFailedError: x"]) is None
