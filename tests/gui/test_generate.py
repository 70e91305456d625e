"""Generate tab: names, streamed text with Stop, take history."""

from __future__ import annotations



def test_window_opens_with_models(window):
    picker = window.generate_tab.picker
    paths = {str(e.path) for e in picker.entries}
    assert len(paths) >= 3
    assert window.width() <= 1280 and window.height() <= 800
    assert window.tabs.count() == 4


def test_names_fill_the_list_marked_new_or_in_corpus(qtbot, window, tiny_models, choose_model, names):
    tab = window.generate_tab
    choose_model(tab, tiny_models["names"])
    assert tab.views.currentWidget() is tab.names_view
    tab.form.count.setValue(8)
    tab.form.length.setValue(12)
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=10000)
    assert tab.names_view.table.rowCount() == 8
    assert set(tab.names_view.marks()) <= {"new", "in corpus", "repeat"}
    assert len(tab.history.takes) == 1
    take = tab.history.takes[0]
    assert take.model_name == "tiny-dinos" and len(take.result) == 8
    # marking is exact: a known training name is marked "in corpus"
    from studio.gui.generate.views import mark_names

    assert mark_names([names[0], "zzz"], set(names)) == [(names[0], "in corpus"), ("zzz", "new")]


def test_a_name_given_twice_in_a_batch_is_counted_once(qtbot, window, names):
    """Issue 25, defect 12: "tyror" five times in 12 takes is one new name, not five."""
    from studio.gui.generate.views import mark_names

    view = window.generate_tab.names_view
    marked = mark_names(["tyror", "Tyror", names[0], "tyror", "zed", names[0]], set(names))
    assert [m for _, m in marked] == ["new", "repeat", "in corpus", "repeat", "new", "repeat"]
    view.show_names(marked)
    assert view.marks() == [m for _, m in marked]
    assert view.summary.text() == "6 names: 2 new, 1 from the training corpus, 3 repeated in this batch"


def test_locked_seed_reproduces_a_take(qtbot, window, tiny_models, choose_model):
    tab = window.generate_tab
    choose_model(tab, tiny_models["names"])
    tab.form.lock.setChecked(True)
    tab.form.seed.setValue(1234)
    for _ in range(2):
        tab.generate()
        qtbot.waitUntil(lambda: not tab.is_busy(), timeout=10000)
    first, second = tab.history.takes
    assert first.result == second.result
    assert first.settings["seed"] == second.settings["seed"] == 1234


def test_text_streams_and_stops(qtbot, window, tiny_models, choose_model):
    tab = window.generate_tab
    choose_model(tab, tiny_models["text"])
    assert tab.views.currentWidget() is tab.text_view
    tab.form.primer.setText("ROMEO:")
    tab.form.length.setValue(100000)  # far too long: only Stop ends it
    tab.form.count.setValue(1)
    tab.generate()
    qtbot.waitUntil(lambda: len(tab.text_view.text()) > len("ROMEO:") + 20, timeout=10000)
    assert tab.is_busy()
    tab.stop()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=3000)
    take = tab.history.takes[-1]
    assert take.stopped
    assert take.result.startswith("ROMEO:")
    assert len(take.result) < 100000
    assert tab.worker is None


def test_restore_settings_of_a_take(qtbot, window, tiny_models, choose_model):
    tab = window.generate_tab
    choose_model(tab, tiny_models["names"])
    tab.form.temperature.setValue(55)
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=10000)
    take = tab.history.takes[-1]
    tab.form.temperature.setValue(150)
    choose_model(tab, tiny_models["text"])
    tab.history.list.setCurrentRow(0)
    tab.restore_take(take)
    assert tab.picker.current_path() == str(tiny_models["names"])
    assert tab.form.temperature.value() == 55
    assert tab.form.seed.value() == take.settings["seed"]
    assert tab.form.lock.isChecked()


def test_several_text_takes_stream_together_as_the_cli_draws_them(qtbot, window, tiny_models,
                                                                  choose_model):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.sampling.generate import generate_texts
    from studio.core.sampling.sampler import SampleSettings

    tab = window.generate_tab
    choose_model(tab, tiny_models["text"])
    tab.form.primer.setText("ROMEO:")
    tab.form.length.setValue(40)
    tab.form.count.setValue(3)
    tab.form.temperature.setValue(90)
    tab.form.lock.setChecked(True)
    tab.form.seed.setValue(77)
    tab.generate()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=10000)
    take = tab.history.takes[-1]
    # what `sequence-studio sample MODEL -n 3 --seed 77 --prime ROMEO: --length 40 -t 0.9` prints
    cli = generate_texts(load_checkpoint(tiny_models["text"]), "ROMEO:",
                         SampleSettings(temperature=0.9, max_length=40, count=3, seed=77))
    assert take.extra["texts"] == cli
    assert len(set(cli)) == 3 and not take.stopped
    shown = tab.text_view.text()
    assert [shown.count(f"--- take {n} ---") for n in (1, 2, 3)] == [1, 1, 1]
    assert shown == take.result and all(text in shown for text in cli)
