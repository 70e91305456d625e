"""The take history: picking a take brings its settings back; takes survive a restart
and can be exported again (issue 10 item 7)."""

from __future__ import annotations

import mido
from PySide6.QtWidgets import QFileDialog

CHART = "| Dm7 | G7 | Cmaj7 | % |"


def generate(qtbot, tab, click, count: int) -> None:
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: len(tab.history.takes) == count and not tab.is_busy(), timeout=30000)


def pick_row(qtbot, history, row: int) -> None:
    """Click a take in the list as a user does."""
    from PySide6.QtCore import Qt

    rect = history.list.visualItemRect(history.list.item(row))
    qtbot.mouseClick(history.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_picking_a_take_restores_its_model_and_settings(qtbot, window, tiny_models, choose_model,
                                                        click):
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    tab.jazz.tempo.setValue(132)
    tab.form.temperature.setValue(65)
    tab.form.top_k.setValue(9)
    tab.form.top_p.setValue(0.85)
    generate(qtbot, tab, click, 1)
    jazz_take = tab.history.takes[0]
    choose_model(tab, tiny_models["names"])
    tab.form.temperature.setValue(120)
    tab.form.count.setValue(4)
    generate(qtbot, tab, click, 2)
    # change everything, then pick the jazz take (the list shows the newest first)
    tab.form.top_k.setValue(0)
    tab.form.top_p.setValue(1.0)
    tab.form.lock.setChecked(False)
    pick_row(qtbot, tab.history, 1)
    assert tab.history.current() is jazz_take
    assert tab.picker.current_path() == str(tiny_models["jazz"])
    assert tab.views.currentWidget() is tab.jazz and tab.jazz.roll.solo is jazz_take.result.solo
    assert tab.form.temperature.value() == 65
    assert (tab.form.top_k.value(), round(tab.form.top_p.value(), 2)) == (9, 0.85)
    assert tab.form.seed.value() == jazz_take.settings["seed"] and tab.form.lock.isChecked()
    assert tab.jazz.chart.toPlainText() == CHART and tab.jazz.tempo.value() == 132
    # ... and the names take gives its own back
    pick_row(qtbot, tab.history, 0)
    assert tab.picker.current_path() == str(tiny_models["names"])
    assert tab.form.temperature.value() == 120 and tab.form.count.value() == 4


def test_takes_survive_a_restart_and_export_again(qtbot, window, tiny_models, choose_model, click,
                                                  monkeypatch, tmp_path):
    from studio.gui.main_window import MainWindow

    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    tab.form.length.setValue(2)
    generate(qtbot, tab, click, 1)
    choose_model(tab, tiny_models["names"])
    generate(qtbot, tab, click, 2)
    jazz, names = tab.history.takes
    from studio.gui.generate import take_store

    qtbot.waitUntil(lambda: len(take_store.load()) == 2, timeout=10000)  # written in a worker

    again = MainWindow(restore=True)
    qtbot.addWidget(again)
    history = again.generate_tab.history
    assert [t.number for t in history.takes] == [1, 2]
    assert history.list.item(0).text() == names.title()
    kept_names, kept_jazz = history.takes[1], history.takes[0]
    assert kept_names.result == names.result
    assert kept_names.extra["marked"] == names.extra["marked"]
    # the jazz take decodes to the very same notes and chords
    assert [(n.start, n.pitch, n.duration) for n in kept_jazz.result.solo.notes] == \
        [(n.start, n.pitch, n.duration) for n in jazz.result.solo.notes]
    assert [(c.start, c.end, c.chord.name) for c in kept_jazz.result.solo.chords] == \
        [(c.start, c.end, c.chord.name) for c in jazz.result.solo.chords]

    # Export… on a kept take writes its MIDI again
    qtbot.waitUntil(lambda: len(again.generate_tab.picker.entries) >= 3, timeout=10000)
    out = tmp_path / "again.mid"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    pick_row(qtbot, history, 1)
    click(qtbot, history.export_button)
    notes = [m.note for m in mido.MidiFile(str(out)).tracks[1] if m.type == "note_on" and m.velocity]
    assert notes == [n.pitch for n in jazz.result.solo.notes]
    text_out = tmp_path / "names.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(text_out), ""))
    pick_row(qtbot, history, 0)
    click(qtbot, history.export_button)
    lines = text_out.read_text(encoding="utf-8").splitlines()
    assert lines == again.generate_tab.names_view.names()  # what the list shows
    assert [n for n in lines if n != "(empty)"] == [n for n in names.result if n]
    again.generate_tab.shutdown()


def test_the_history_keeps_only_the_newest_takes(studio_home):
    from studio.gui.generate import take_store
    from studio.gui.generate.takes import Take

    takes = [Take(n, "names", "m", "/x.safetensors", "cpu", {"seed": n}, result=[f"n{n}"])
             for n in range(1, take_store.LIMIT + 8)]
    take_store.save(takes)
    kept = take_store.load()
    assert [t.number for t in kept] == [t.number for t in takes[-take_store.LIMIT:]]
    take_store.store_path().write_text("{not json", encoding="utf-8")
    assert take_store.load() == []  # a damaged file is skipped, not fatal


def test_a_late_save_keeps_its_folder_and_never_replaces_a_newer_one(studio_home, tmp_path,
                                                                      monkeypatch):
    """Saves run on pool threads: one that runs after SEQUENCE_STUDIO_HOME changed (the
    next test's home) still writes where it was asked, and one that runs after a newer
    save loses nothing of the newer list."""
    from studio.gui.generate import take_store
    from studio.gui.generate.takes import Take

    def take(n):
        return Take(n, "names", "m", "/x.safetensors", "cpu", {"seed": n}, result=[f"n{n}"])

    first_home = take_store.store_path()
    late = take_store.saver([take(1)])
    monkeypatch.setenv("SEQUENCE_STUDIO_HOME", str(tmp_path / "elsewhere"))
    late()
    assert not (tmp_path / "elsewhere" / "takes.json").exists()
    assert first_home.is_file()
    monkeypatch.setenv("SEQUENCE_STUDIO_HOME", str(first_home.parent))

    older = take_store.saver([take(1), take(2)])
    newer = take_store.saver([take(1), take(2), take(3)])
    newer()
    older()  # ran last, but was asked first
    assert [t.number for t in take_store.load()] == [1, 2, 3]
    assert sorted(p.name for p in first_home.parent.iterdir() if "takes" in p.name) == ["takes.json"]


def test_the_highlighted_take_is_the_one_drawn_after_a_domain_switch(qtbot, window, tiny_models,
                                                                     choose_model, click):
    """Issue 25, defect 9: after a domain switch (or Open Recent of a model) the list
    still highlighted the other domain's take while the view drew this domain's."""
    tab = window.generate_tab
    choose_model(tab, tiny_models["names"])
    generate(qtbot, tab, click, 1)
    names_take = tab.history.takes[0]
    choose_model(tab, tiny_models["jazz"])
    assert tab.views.currentWidget() is tab.jazz and tab.jazz.roll.solo is None
    assert tab.history.current() is None  # the jazz view draws no take yet
    assert not tab.history.export_button.isEnabled()
    tab.jazz.chart.setPlainText(CHART)
    generate(qtbot, tab, click, 2)
    jazz_take = tab.history.takes[1]
    choose_model(tab, tiny_models["names"])
    assert tab.views.currentWidget() is tab.names_view
    assert tab.history.current() is names_take  # the names it draws, not the jazz take
    assert tab.picker.current_path() == str(tiny_models["names"])  # highlighting re-picks nothing
    window.use_model(str(tiny_models["jazz"]))  # File > Open Recent's path
    assert tab.history.current() is jazz_take and tab.jazz.roll.solo is jazz_take.result.solo


def test_a_jazz_take_is_auditioned_from_the_list_without_opening_it(qtbot, window, tiny_models,
                                                                    choose_model, click,
                                                                    monkeypatch):
    """Issue 25: audition a take from the takes list (play it; the editor keeps its take)."""
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    generate(qtbot, tab, click, 1)
    tab.form.lock.setChecked(False)
    generate(qtbot, tab, click, 2)
    first, second = tab.history.takes
    played = []
    monkeypatch.setattr(tab.jazz.audio, "play", lambda solo, options, on_error=None:
                        played.append(solo))
    assert tab.history.context_actions(tab.history.list.item(0))  # the drawn one too
    assert tab.history.context_actions(None) == []  # no take under the mouse
    (action,) = tab.history.context_actions(tab.history.list.item(1))  # take 1, not drawn
    assert "Audition take #1" in action.text()
    action.trigger()
    assert played == [first.result.solo]
    assert tab.jazz.roll.solo is second.result.solo and tab.history.current() is second
    assert "Auditioning take #1" in tab.status.text()
