"""Desktop habits (issue 10 items 5 and 8): nothing cut off at 1000x700, no stray
mnemonic ampersands, file dialogs that remember folders, an Edit menu, Preferences,
recent files, files dropped on the window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (QAbstractButton, QApplication, QComboBox, QFileDialog,
                               QLabel, QScrollArea)


def visible_controls(root):
    widgets = [w for kind in (QAbstractButton, QLabel, QComboBox) for w in root.findChildren(kind)]
    for widget in widgets:
        if widget.isVisibleTo(root) and widget.window() is root.window() and widget.width() > 0:
            yield widget


def inside_horizontal_scroller(widget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and \
                parent.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff and \
                parent.widget().width() > parent.viewport().width():
            return True
        parent = parent.parentWidget()
    return False


def cut_off(window, root) -> list[str]:
    """Controls narrower than their text needs, reaching past the window's right edge, or
    a control column that scrolls sideways (its right side is out of view)."""
    problems = [f"the control column scrolls sideways ({scroll.widget().minimumSizeHint().width()} "
                f"px of content in {scroll.viewport().width()})"
                for scroll in root.findChildren(QScrollArea)
                if scroll.isVisibleTo(root) and scroll.horizontalScrollBar().isVisible()
                and scroll.widget() is not None and scroll.widget().findChildren(QAbstractButton)]
    for w in visible_controls(root):
        if isinstance(w, QLabel) and (w.wordWrap() or not w.text() or w.pixmap() is not None
                                      and not w.pixmap().isNull()):
            continue
        if isinstance(w, QComboBox):  # the chosen item's text must show whole
            need = w.fontMetrics().horizontalAdvance(w.currentText()) + 30
        else:
            need = w.sizeHint().width()
        name = getattr(w, "text", lambda: "")() or w.objectName() or type(w).__name__
        if w.width() < need - 1:
            problems.append(f"{name!r} is {w.width()} px wide, needs {need}")
        right = w.mapTo(window, QPoint(w.width(), 0)).x()
        if right > window.width() + 1 and not inside_horizontal_scroller(w):
            problems.append(f"{name!r} reaches x={right} past the window's {window.width()}")
    return problems


def stray_ampersands(root) -> list[str]:
    """A label shows '&' literally unless it has a buddy (or is rich text)."""
    found = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if "&" in text.replace("&&", "") and label.buddy() is None and \
                label.textFormat() != Qt.TextFormat.RichText and not text.lstrip().startswith("<"):
            found.append(text)
    return found


def settle(qtbot):
    qtbot.wait(50)
    QApplication.processEvents()


def test_nothing_is_cut_off_at_1000x700(qtbot, window, tiny_models, choose_model, click):
    window.resize(1000, 700)
    settle(qtbot)
    assert (window.width(), window.height()) == (1000, 700)
    gen = window.generate_tab
    gen.form.more_button.setChecked(True)
    for domain in ("names", "text", "jazz"):
        choose_model(gen, tiny_models[domain])
        settle(qtbot)
        assert cut_off(window, gen) == [], domain
    # a take with long names still fits the takes column (it was cut off mid-seed)
    from studio.gui.generate.takes import Take

    gen.history.add(Take(128, "jazz", "jazz-lstm", "x.safetensors", "cpu",
                         {"chart_name": "Rhythm changes (Bb)", "temperature": 0.85,
                          "seed": 1234567}, stopped=True))
    settle(qtbot)
    item = gen.history.list.item(0)
    metrics = gen.history.list.fontMetrics()
    width = gen.history.list.viewport().width()
    assert all(metrics.horizontalAdvance(line) <= width for line in item.text().splitlines()), \
        (item.text(), width)
    for tab in (window.train_tab, window.models_tab, window.score_tab):
        window.tabs.setCurrentWidget(tab)
        settle(qtbot)
        assert cut_off(window, tab) == [], type(tab).__name__
    assert stray_ampersands(window) == []


def test_file_dialogs_start_in_the_folder_last_used(qtbot, window, tmp_path, names, click,
                                                    monkeypatch):
    from studio.gui.shared import preferences

    folder = tmp_path / "corpora"
    folder.mkdir()
    corpus = folder / "names.txt"
    corpus.write_text("\n".join(names) + "\n", encoding="utf-8")
    starts = []

    def open_file(parent, caption, start="", *args, **kwargs):
        starts.append(start)
        return str(corpus), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    file_button = next(b for b in window.train_tab.form.findChildren(QAbstractButton)
                       if b.text() == "File…")
    click(qtbot, file_button)
    click(qtbot, file_button)
    assert starts == [str(Path.home()), str(folder)]

    # exports start in the Preferences' output folder, then where the last one went
    out_folder = tmp_path / "exports"
    out_folder.mkdir()
    preferences.save(preferences.Preferences(output_folder=str(out_folder)))
    saves = []

    def save_file(parent, caption, start="", *args, **kwargs):
        saves.append(str(Path(start).parent))
        return str(tmp_path / "elsewhere" / "take.txt"), ""

    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_file)
    gen = window.generate_tab
    gen.text_view.setPlainText("some text")
    gen.views.setCurrentWidget(gen.text_view)
    gen.export()
    gen.export()
    assert saves == [str(out_folder), str(tmp_path / "elsewhere")]


def test_edit_menu_undoes_a_chart_change_and_copies_the_take(qtbot, window, tiny_models,
                                                             choose_model, pick_item, click):
    gen = window.generate_tab
    choose_model(gen, tiny_models["jazz"])
    chart = gen.jazz.chart
    chart.setFocus()
    qtbot.waitUntil(chart.hasFocus, timeout=3000)
    chart.selectAll()
    qtbot.keyClicks(chart, "| C7 | F7 |")
    typed = chart.toPlainText()
    assert typed == "| C7 | F7 |"
    pick_item(qtbot, gen.jazz.preset, "Rhythm changes (Bb)")
    assert chart.toPlainText() != typed
    chart.setFocus()
    window.undo_action.trigger()  # Edit > Undo: the preset's text goes, the typed chart is back
    assert chart.toPlainText() == typed
    window.redo_action.trigger()
    assert "Bb" in chart.toPlainText()

    choose_model(gen, tiny_models["names"])
    click(qtbot, gen.generate_button)
    qtbot.waitUntil(lambda: len(gen.history.takes) == 1, timeout=20000)
    QApplication.clipboard().clear()
    window.copy_take_action.trigger()
    assert QApplication.clipboard().text() == "\n".join(gen.history.takes[0].result)


def test_preferences_set_the_default_device_and_the_trainer_threads(qtbot, window):
    from studio.gui.main_window import MainWindow
    from studio.gui.train.process import _child_environment

    dialog = window.show_preferences()
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.threads.setValue(1)
    dialog.output_folder.setText(str(Path.home()))
    dialog.accept()
    assert window.generate_tab.picker.device() == "cpu"
    assert _child_environment().value("OMP_NUM_THREADS") == "1"
    again = MainWindow(restore=False)
    qtbot.addWidget(again)
    assert again.score_tab.picker.device() == "cpu"


def drop(window, paths) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPoint(20, 20).toPointF(), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_dropping_a_model_imports_it_and_a_corpus_opens_training(qtbot, window, tmp_path, names,
                                                                  tiny_checkpoint):
    model = tiny_checkpoint(tmp_path / "dropped.safetensors", "names", ["abc", "abd"])
    rows = window.models_tab.table.rowCount()
    drop(window, [model])
    assert window.tabs.currentWidget() is window.models_tab
    qtbot.waitUntil(lambda: window.models_tab.table.rowCount() == rows + 1, timeout=10000)
    assert window.models_tab.selected().name == "dropped"

    corpus = tmp_path / "my-names.txt"
    corpus.write_text("\n".join(names) + "\n", encoding="utf-8")
    drop(window, [corpus])
    train = window.train_tab
    assert window.tabs.currentWidget() is train
    assert train.form.corpus.text() == str(corpus)
    qtbot.waitUntil(lambda: train.report is not None, timeout=15000)
    assert train.report["items"] == len(names)
    # ... and File > Open Recent lists it
    window.recent_menu.aboutToShow.emit()
    assert any(a.toolTip() == str(corpus) for a in window.recent_menu.actions())

    junk = tmp_path / "notes.pdf"
    junk.write_bytes(b"%PDF")
    drop(window, [junk])
    assert "notes.pdf" in window.statusBar().currentMessage()


def test_open_recent_brings_back_a_model_used_and_a_corpus_opened(qtbot, window, tiny_models,
                                                                  choose_model, click, tmp_path,
                                                                  names):
    """File > Open Recent as a user meets it: a model a take came from, then a corpus."""
    gen = window.generate_tab
    choose_model(gen, tiny_models["names"])
    click(qtbot, gen.generate_button)
    qtbot.waitUntil(lambda: len(gen.history.takes) == 1, timeout=20000)
    choose_model(gen, tiny_models["text"])  # the user moves on to another model
    corpus = tmp_path / "my-names.txt"
    corpus.write_text("\n".join(names) + "\n", encoding="utf-8")
    assert window.open_corpus(str(corpus))
    window.train_tab.form.set_corpus(str(tmp_path / "missing.txt"))  # and to another corpus
    window.tabs.setCurrentWidget(window.models_tab)

    window.recent_menu.aboutToShow.emit()
    actions = {a.text(): a for a in window.recent_menu.actions() if a.text()}
    assert f"Model: {tiny_models['names'].stem}" in actions and f"Corpus: {corpus.name}" in actions
    assert f"Model: {tiny_models['text'].stem}" not in actions  # no take came from it
    actions[f"Model: {tiny_models['names'].stem}"].trigger()
    assert window.tabs.currentWidget() is gen
    assert gen.picker.current_path() == str(tiny_models["names"])
    actions[f"Corpus: {corpus.name}"].trigger()
    assert window.tabs.currentWidget() is window.train_tab
    assert window.train_tab.form.corpus.text() == str(corpus)
    qtbot.waitUntil(lambda: window.train_tab.report is not None, timeout=15000)
    assert window.train_tab.report["items"] == len(names)
