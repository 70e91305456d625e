"""Models tab (library table, import refusals, rename/delete) and Score tab."""

from __future__ import annotations

import pickle



def test_models_table_lists_the_library(window, tiny_models):
    tab = window.models_tab
    assert tab.table.rowCount() >= 3
    names = {tab.table.item(r, 0).text() for r in range(tab.table.rowCount())}
    assert {"tiny-dinos", "tiny-bard", "tiny-jazz"} <= names
    tab.select_path(str(tiny_models["names"]))
    assert tab.selected().name == "tiny-dinos"
    assert "tiny-dinos" in tab.details.toPlainText()
    assert tab.rename_button.isEnabled() and tab.delete_button.isEnabled()


def test_unsafe_import_is_refused_and_changes_nothing(qtbot, window, tmp_path):
    from studio.core.library import user_models_dir
    from studio.gui.shared import errors

    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    before = sorted(p.name for p in user_models_dir().iterdir())
    rows = window.models_tab.table.rowCount()
    window.models_tab.import_file(str(evil))
    qtbot.waitUntil(lambda: bool(errors.OPEN_DIALOGS), timeout=10000)
    box = errors.OPEN_DIALOGS[-1]
    assert box.windowTitle() == "Import refused"
    assert "evil.safetensors" in box.text()
    assert sorted(p.name for p in user_models_dir().iterdir()) == before
    assert window.models_tab.table.rowCount() == rows


def test_import_rename_delete(qtbot, window, tmp_path, tiny_checkpoint):
    tab = window.models_tab
    src = tiny_checkpoint(tmp_path / "outside.safetensors", "names", ["abc", "abd"])
    rows = tab.table.rowCount()
    tab.import_file(str(src))
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows + 1, timeout=10000)
    assert tab.selected().name == "outside"
    tab.rename_selected("renamed one")
    qtbot.waitUntil(lambda: tab.selected() is not None and tab.selected().name == "renamed one",
                    timeout=10000)
    path = tab.selected().path
    assert path.is_file()
    tab.delete_selected(confirm=False)
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows, timeout=10000)
    assert not path.exists()


def test_score_ranks_alternatives_and_colours_each_char(qtbot, window, tiny_models, choose_model):
    tab = window.score_tab
    choose_model(tab, tiny_models["names"])
    tab.input.setPlainText("stegosaurus\nqxzvbrk\nraptorex")
    tab.score()
    qtbot.waitUntil(lambda: len(tab.results) == 3, timeout=10000)
    res = tab.results[0]
    assert 0 < res.probability < 1 and res.perplexity > 1
    assert len(res.steps) == len("stegosaurus") + 1  # and the closing end token
    # 'z' is not in this model's vocabulary: that line is reported, the others ranked
    from studio.gui.score.tab import Unscorable

    assert isinstance(tab.results[1], Unscorable) and "'z'" in tab.results[1].message
    ranks = sorted(tab.table.item(r, 0).text() for r in range(3))
    assert ranks == ["-", "1", "2"]
    view = tab.chars
    assert len(view.scored_boxes()) == len(tab.results[0].steps) + len(tab.results[2].steps)
    rect, step = view.scored_boxes()[0]
    assert view.step_at(rect.center()) is step
    assert "expected" in view.tooltip_for(step)


def test_text_scores_show_the_unpredicted_first_char_as_context(qtbot, window, tiny_models,
                                                                choose_model):
    tab = window.score_tab
    choose_model(tab, tiny_models["text"])
    tab.input.setPlainText("ROMEO: soft")
    tab.score()
    qtbot.waitUntil(lambda: len(tab.results) == 1, timeout=10000)
    assert len(tab.results[0].steps) == len("ROMEO: soft") - 1
    assert len(tab.chars.boxes) == len("ROMEO: soft")
    assert tab.chars.step_at(tab.chars.boxes[0][0].center()) is None  # context only


def test_an_imported_copy_of_a_shipped_model_gets_a_name_of_its_own(qtbot, window, monkeypatch,
                                                                     click):
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from studio.paths import shipped_models_dir

    tab = window.models_tab
    shipped = shipped_models_dir() / "dinos-gru.safetensors"
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(shipped), ""))

    def answer(parent, title, label, text=""):
        asked.append(text)
        return text, True  # the user accepts the suggestion

    monkeypatch.setattr(QInputDialog, "getText", answer)
    rows = tab.table.rowCount()
    click(qtbot, tab.import_button)
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows + 1, timeout=10000)
    assert asked == ["dinos-gru-2"]  # renamed on import: never a second "dinos-gru"
    names = [tab.table.item(r, 0).text() for r in range(tab.table.rowCount())]
    assert len(names) == len(set(names))
    row = names.index("dinos-gru-2")
    assert tab.table.item(row, 8).text() == "yours"
    assert tab.table.item(names.index("dinos-gru"), 8).text() == "shipped"
    # the second import of the same file gets yet another name, without asking
    tab.import_file(str(shipped))
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows + 2, timeout=10000)
    assert "dinos-gru-3" in {tab.table.item(r, 0).text() for r in range(tab.table.rowCount())}
    labels = [window.generate_tab.picker.model_combo.itemText(i)
              for i in range(window.generate_tab.picker.model_combo.count())]
    assert len(labels) == len(set(labels))


def test_delete_asks_first_and_cancel_is_the_default(qtbot, window, tiny_models, click):
    from PySide6.QtCore import QTimer

    tab = window.models_tab
    tab.select_path(str(tiny_models["names"]))
    seen = []

    def answer(press_default: bool):
        box = tab.delete_box
        seen.append(box.defaultButton().text())
        if press_default:
            box.defaultButton().click()  # Enter
        else:
            next(b for b in box.buttons() if b.text() == "Delete").click()

    QTimer.singleShot(200, lambda: answer(True))
    click(qtbot, tab.delete_button)
    assert seen == ["Cancel"] and tiny_models["names"].exists()
    QTimer.singleShot(200, lambda: answer(False))
    click(qtbot, tab.delete_button)
    qtbot.waitUntil(lambda: not tiny_models["names"].exists(), timeout=5000)


def test_validation_figures_say_what_they_count(window):
    from studio.gui.models.tab import COLUMNS

    tab = window.models_tab
    col = COLUMNS.index("Val. NLL")
    assert "note-event" in tab.table.horizontalHeaderItem(col).toolTip()
    cells = {tab.table.item(r, 0).text(): tab.table.item(r, col).text()
             for r in range(tab.table.rowCount())}
    assert cells["jazz-gru"].endswith(" / token") and cells["dinos-gru"].endswith(" / token")


def test_score_clears_old_results_and_shows_whole_names(qtbot, window, tiny_models, choose_model):
    """Issue 25, defect 14: scoring an empty box leaves no results standing for it; a long
    alternative is shown whole (its column is as wide as the text), with a tooltip."""
    tab = window.score_tab
    window.tabs.setCurrentWidget(tab)
    choose_model(tab, tiny_models["names"])
    long_name = "pachycephalosaurusmegalosaurusbrachiosaurusdiplodocus"
    tab.input.setPlainText(f"{long_name}\nrex")
    tab.score()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=10000)
    qtbot.waitUntil(lambda: tab.score_button.isEnabled(), timeout=10000)
    cell = next(tab.table.item(r, 1) for r in range(2) if tab.table.item(r, 1).text() == long_name)
    assert cell.toolTip() == long_name
    width = tab.table.fontMetrics().horizontalAdvance(long_name)
    assert tab.table.columnWidth(1) >= width
    tab.input.setPlainText("  \n")
    tab.score()
    assert tab.table.rowCount() == 0 and tab.results == []
    assert "one per line" in tab.status.text()
