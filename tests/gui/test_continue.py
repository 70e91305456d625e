"""Continue from bar N (jazz) and from a character (text), then Undo, as a user does it."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, Qt

CHART = "| Dm7 | G7 | Cmaj7 | A7 |"


def wait_idle(qtbot, tab):
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30000)


def test_continue_a_jazz_take_from_a_bar_then_undo(qtbot, window, tiny_models, choose_model, click):
    from studio.core.checkpoint import load_checkpoint
    from studio.gui.jazz.piano_roll import KEYS
    from studio.music.continuation import continue_solo
    from studio.music.generate import JazzSettings

    tab = window.generate_tab
    cont = tab.continuation
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText(CHART)
    tab.jazz.tempo.setValue(140)
    tab.form.length.setValue(1)
    tab.generate()
    wait_idle(qtbot, tab)
    first = tab.history.takes[-1]
    tokens, notes = list(first.result.tokens), list(first.result.solo.notes)
    assert not cont.undo_button.isEnabled()

    # a click on bar 3 of the piano roll picks it (and shades bars 3-4)
    roll = tab.jazz.roll
    assert roll.selected_bar is None
    x = KEYS + 2.5 * 4 * roll.px_per_beat
    qtbot.mouseClick(roll.viewport(), Qt.MouseButton.LeftButton,
                     pos=roll.mapFromScene(QPointF(x, 60)))
    assert roll.selected_bar == 2 and cont.bar.value() == 3
    roll.grab().save("/tmp/continue-roll.png")   # to look at as a user
    click(qtbot, cont.continue_button)
    wait_idle(qtbot, tab)

    new = tab.history.takes[-1]
    assert new is not first and new.settings["keep_bars"] == 2
    assert new.settings["continued_from"] == first.number
    assert f"(#{first.number} from bar 3)" in new.title()
    assert roll.solo is new.result.solo and tab.history.current() is new
    kept = [n for n in new.result.solo.notes if n.start < 2 * 48]
    assert kept == [n for n in notes if n.start < 2 * 48]
    assert new.result.tokens != tokens and new.result.bars == 4
    # the CLI's function (sample --primer take.mid --keep-bars 2), the same seed: the same take
    ckpt = load_checkpoint(tiny_models["jazz"])
    same = continue_solo(ckpt, first.result, 2, CHART,
                         JazzSettings(seed=new.settings["seed"], tempo=140,
                                      temperature=new.settings["temperature"]))
    assert same.tokens == new.result.tokens

    # Ctrl+Z over the roll: the take before, exactly, and the continued one is gone
    assert cont.undo_button.isEnabled()
    roll.setFocus()
    qtbot.keyClick(roll, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert roll.solo is first.result.solo
    assert first.result.tokens == tokens and first.result.solo.notes == notes
    assert new not in tab.history.takes and tab.history.current() is first
    assert not cont.undo_button.isEnabled()


def test_continue_a_text_from_the_cursor_then_undo(qtbot, window, tiny_models, choose_model, click):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.sampling.generate import generate_texts

    tab = window.generate_tab
    cont = tab.continuation
    choose_model(tab, tiny_models["text"])
    tab.form.length.setValue(30)
    tab.generate()
    wait_idle(qtbot, tab)
    first = tab.history.takes[-1]
    shown = tab.text_view.text()
    assert shown == first.result and len(shown) > 20

    view = tab.text_view
    cursor = view.textCursor()
    cursor.setPosition(12)
    view.setTextCursor(cursor)
    assert cont.continue_button.text() == "Continue from cursor"
    click(qtbot, cont.continue_button)
    wait_idle(qtbot, tab)

    new = tab.history.takes[-1]
    assert new is not first and new.settings["primer"] == shown[:12]
    assert view.text() == new.result and new.result.startswith(shown[:12])
    assert new.result != shown
    # the CLI's path (sample --prime TEXT), the same seed: the same text
    ckpt = load_checkpoint(tiny_models["text"])
    settings = replace(tab.form.settings(new.settings["seed"]), count=1)
    assert generate_texts(ckpt, shown[:12], settings) == [new.result]

    click(qtbot, cont.undo_button)
    assert view.text() == shown and tab.history.current() is first
    assert new not in tab.history.takes


def test_the_cursor_finds_its_row_among_several_texts():
    from studio.gui.generate.continuation import row_at
    from studio.gui.generate.views import rows_text

    texts = ["ROMEO: abc", "ROMEO: defgh"]
    shown = rows_text(texts)
    second = shown.index("defgh")
    assert row_at(texts, shown, second + 2) == (1, len("ROMEO: de"))
    assert row_at(texts, shown, shown.index("abc")) == (0, len("ROMEO: "))
    assert row_at(["one"], "one", 99) == (0, 3)
