"""Names models read lowercase, as their corpus was (issue 10 item 2): the Start field's
own example "Tyr" and "Tyrannosaurus" in Score work, and the window says what it read.
Other characters a model lacks are named, with a suggestion."""

from __future__ import annotations

from studio.paths import shipped_models_dir

DINOS = shipped_models_dir() / "dinos-gru.safetensors"


def choose_dinos(qtbot, tab, pick_item):
    pick_item(qtbot, tab.picker.domain_combo, "Dinosaurs")
    label = next(tab.picker.model_combo.itemText(i) for i in range(tab.picker.model_combo.count())
                 if tab.picker.model_combo.itemText(i).startswith("dinos-gru ("))
    pick_item(qtbot, tab.picker.model_combo, label)


def test_a_capital_start_is_read_lowercase_and_the_window_says_so(qtbot, window, pick_item, click):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.sampling.generate import generate_names
    from studio.core.sampling.sampler import SampleSettings
    from studio.gui.shared import errors

    tab = window.generate_tab
    choose_dinos(qtbot, tab, pick_item)
    assert "Tyr" in tab.form.primer.placeholderText()
    tab.form.primer.clear()
    qtbot.keyClicks(tab.form.primer, "Tyr")
    tab.form.count.setValue(5)
    tab.form.seed.setValue(31)
    tab.form.lock.setChecked(True)
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: not tab.is_busy() and bool(tab.history.takes or errors.OPEN_DIALOGS),
                    timeout=20000)
    assert not errors.OPEN_DIALOGS, errors.OPEN_DIALOGS[-1].text()
    names = tab.history.takes[-1].result
    expected = generate_names(load_checkpoint(DINOS), SampleSettings(temperature=0.8, count=5,
                                                                     max_length=24, seed=31),
                              prefix="tyr")
    assert names == expected and all(n.startswith("tyr") for n in names)
    assert "read as 'tyr'" in tab.status.text() and "lowercase" in tab.status.text()


def test_score_reads_capitals_and_names_what_it_cannot_read(qtbot, window, pick_item, click):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.sampling.scoring import score_sequence
    from studio.gui.score.tab import Unscorable

    tab = window.score_tab
    choose_dinos(qtbot, tab, pick_item)
    tab.input.setPlainText("Tyrannosaurus\nstégosaurus\nrex!")
    click(qtbot, tab.score_button)
    qtbot.waitUntil(lambda: len(tab.results) == 3, timeout=20000)
    first, accented, bang = tab.results
    reference = score_sequence(load_checkpoint(DINOS), "tyrannosaurus")
    assert not isinstance(first, Unscorable)
    assert abs(first.logprob - reference.logprob) < 1e-9 and first.text == "tyrannosaurus"
    assert isinstance(accented, Unscorable) and "'é'" in accented.message
    assert "did you mean 'e'" in accented.message
    assert isinstance(bang, Unscorable) and "'!'" in bang.message
    assert "knows only 'abcdefghijklmnopqrstuvwxyz'" in bang.message
    assert "read as 'tyrannosaurus'" in tab.status.text()
