"""Train tab: what the status, ETA, progress and curves say once a run stops or pauses
(issue 25, defect 10: after Stop "Finished at step 429 of 600" with ETA "10 s"; while
paused the ETA stayed; after a restart a paused run showed empty curves, 0% and a blank
"Save as")."""

from __future__ import annotations

from tests.gui.test_train import corpus_file, setup_form


def test_a_paused_run_survives_a_restart_whole_and_a_stop_says_stopped(
        qtbot, window, tmp_path, names, click):
    from studio.gui.main_window import MainWindow

    tab = window.train_tab
    setup_form(qtbot, tab, corpus_file(tmp_path, names), max_steps=300, eval_every=3)
    click(qtbot, tab.start_button)
    qtbot.waitUntil(lambda: tab.plots.point_count() >= 4 and bool(tab.plots.current.val), timeout=240000)
    qtbot.waitUntil(lambda: tab.live.stats["eta"].text() != "-", timeout=30000)
    window.save_settings()
    tab.shutdown()  # what closing the window does: the run pauses
    assert tab.state == "paused" and tab.live.stats["eta"].text() == "-"
    points, vals = tab.plots.current.loss.x[:], tab.plots.current.val[:]
    window.save_settings()

    again = MainWindow(restore=True)
    qtbot.addWidget(again)
    later = again.train_tab
    assert later.state == "paused"
    run = later.plots.current
    assert run.loss.x == points and run.val == vals  # the curves as they paused
    assert later.live.progress.value() > 0 and later.live.stats["step"].text() == str(
        later.live.last_step)
    assert later.live.stats["val"].text() not in ("", "-")
    assert later.form.name.text() == "gui-test-run"
    assert f"Paused at step {later.live.last_step}" in later.status.text()

    click(qtbot, later.resume_button)
    paused_at = later.live.last_step
    qtbot.waitUntil(lambda: later.live.last_step > paused_at + 2, timeout=180000)
    click(qtbot, later.stop_button)
    qtbot.waitUntil(lambda: later.state == "finished", timeout=180000)
    assert later.status.text().startswith(f"Stopped at step {later.live.last_step} of "), \
        later.status.text()
    assert later.live.stats["eta"].text() == "-"
    assert len(later.plots.runs) == 1 and later.plots.current.loss.x[:len(points)] == points
