"""Models tab, File > Import (issue 25, defect 11): a second import of the same file says it
is the same model; a typed name already in the library is asked again, never silently
made 'walk1-2'; a truncated file is refused before it is named."""

from __future__ import annotations


def test_import_names_the_same_model_asks_again_for_a_taken_name_and_refuses_first(
        qtbot, window, tmp_path, tiny_checkpoint, click, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from studio.gui.shared import errors

    tab = window.models_tab
    src = tiny_checkpoint(tmp_path / "walk1.safetensors", "names", ["abc", "abd"])
    picked = [str(src)]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (picked[0], ""))
    asked, answers = [], []

    def answer(parent, title, label, text=""):
        asked.append((label, text))
        return answers.pop(0) if answers else (text, True)

    monkeypatch.setattr(QInputDialog, "getText", answer)
    rows = tab.table.rowCount()
    click(qtbot, tab.import_button)
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows + 1, timeout=10000)
    assert asked == [("Name in your library:", "walk1")]
    # the same file again: the dialog says which library model it already is; the typed
    # name 'walk1' is taken, so it is asked again (suggesting walk1-2) instead of renamed
    asked.clear()
    answers.extend([("walk1", True), ("walk1-again", True)])
    click(qtbot, tab.import_button)
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows + 2, timeout=10000)
    assert "same model as 'walk1'" in asked[0][0]
    assert asked[1] == ("A model named 'walk1' is already in your library. Import it as:", "walk1-2")
    names = {tab.table.item(r, 0).text() for r in range(tab.table.rowCount())}
    assert "walk1-again" in names and "walk1-2" not in names
    # a truncated file: refused before any name is asked
    asked.clear()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    picked[0] = str(cut)
    click(qtbot, tab.import_button)
    qtbot.waitUntil(lambda: bool(errors.OPEN_DIALOGS), timeout=10000)
    assert errors.OPEN_DIALOGS[-1].windowTitle() == "Import refused"
    assert asked == [] and tab.table.rowCount() == rows + 2
