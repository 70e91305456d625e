"""Pick a domain, then a model, then Generate and export: as a user does, with the
shipped models (issue 10 item 1, issue 15's "domain -> shipped model -> Generate").

Each take is checked against what the engine gives for the same model and settings
(what ``sequence-studio sample`` prints or writes), so a window that sampled another
model, or ignored the seed, fails.
"""

from __future__ import annotations

from pathlib import Path

import mido
from PySide6.QtWidgets import QFileDialog

from studio.paths import shipped_models_dir

SHIPPED = shipped_models_dir()


def shipped(prefix: str) -> list[str]:
    """The shipped model names of a domain, from the file names (not from the picker's code)."""
    return sorted(p.stem for p in SHIPPED.glob(f"{prefix}-*.safetensors"))


def listed_models(picker) -> list[str]:
    return sorted(picker.model_combo.itemText(i).split(" (")[0]
                  for i in range(picker.model_combo.count()))


def label_of(picker, name: str) -> str:
    return next(picker.model_combo.itemText(i) for i in range(picker.model_combo.count())
                if picker.model_combo.itemText(i).startswith(name + " ("))


def set_seed(form, seed: int) -> None:
    form.seed.setValue(seed)
    form.lock.setChecked(True)


def save_to(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_every_domain_switch_leaves_a_model_chosen(qtbot, window, pick_item):
    """Qt 6: a combo box with placeholder text selects nothing after clear(); the picker
    must still choose a model, so Generate stays enabled and the setting is not emptied."""
    from studio.gui.shared.settings import Group

    for tab in (window.generate_tab, window.score_tab):
        picker = tab.picker
        for label in [picker.domain_combo.itemText(i) for i in range(picker.domain_combo.count())]:
            pick_item(qtbot, picker.domain_combo, label)
            assert picker.model_combo.count() > 0, label
            assert picker.model_combo.currentIndex() >= 0, f"{label}: the model box is blank"
            assert picker.current_entry() is not None
        button = tab.generate_button if tab is window.generate_tab else tab.score_button
        assert button.isEnabled()
    window.save_settings()
    with Group("generate", version=1) as g:
        assert g.get("model")  # not emptied by the blank box


def test_generate_and_score_list_domains_in_one_order(window):
    gen = window.generate_tab.picker.domain_combo
    score = window.score_tab.picker.domain_combo
    assert [gen.itemText(i) for i in range(gen.count())] == \
        [score.itemText(i) for i in range(score.count())]


def test_names_domain_lists_only_its_shipped_models_and_generates_from_the_chosen_one(
        qtbot, window, pick_item, click, monkeypatch, tmp_path):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.sampling.generate import generate_names
    from studio.core.sampling.sampler import SampleSettings

    tab = window.generate_tab
    pick_item(qtbot, tab.picker.domain_combo, "Dinosaurs")
    assert listed_models(tab.picker) == shipped("dinos") == ["dinos-gru", "dinos-lstm"]
    pick_item(qtbot, tab.picker.model_combo, label_of(tab.picker, "dinos-gru"))
    tab.form.count.setValue(6)
    tab.form.temperature.setValue(90)
    set_seed(tab.form, 4242)
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: len(tab.history.takes) == 1, timeout=20000)
    take = tab.history.takes[0]
    assert Path(take.model_path) == SHIPPED / "dinos-gru.safetensors"
    expected = generate_names(load_checkpoint(SHIPPED / "dinos-gru.safetensors"),
                              SampleSettings(temperature=0.9, count=6, max_length=24, seed=4242))
    assert take.result == expected
    assert tab.names_view.names() == expected
    # ... and the other model of the domain gives another take with the same seed
    pick_item(qtbot, tab.picker.model_combo, label_of(tab.picker, "dinos-lstm"))
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: len(tab.history.takes) == 2, timeout=20000)
    assert Path(tab.history.takes[1].model_path) == SHIPPED / "dinos-lstm.safetensors"
    assert tab.history.takes[1].result != expected

    out = tmp_path / "names.txt"
    save_to(monkeypatch, out)
    window.export_action.trigger()  # File > Export take… (Ctrl+S)
    qtbot.waitUntil(out.exists, timeout=5000)
    assert out.read_text(encoding="utf-8").split() == tab.history.takes[1].result


def test_text_domain_generates_from_the_chosen_shipped_model(qtbot, window, pick_item, click):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.sampling.generate import generate_texts
    from studio.core.sampling.sampler import SampleSettings

    tab = window.generate_tab
    pick_item(qtbot, tab.picker.domain_combo, "Shakespeare")
    assert listed_models(tab.picker) == shipped("shakespeare")
    pick_item(qtbot, tab.picker.model_combo, label_of(tab.picker, "shakespeare-gru"))
    tab.form.primer.setText("ROMEO:")
    tab.form.length.setValue(60)
    tab.form.count.setValue(1)
    tab.form.temperature.setValue(70)
    set_seed(tab.form, 11)
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: len(tab.history.takes) == 1, timeout=30000)
    expected = generate_texts(load_checkpoint(SHIPPED / "shakespeare-gru.safetensors"), "ROMEO:",
                              SampleSettings(temperature=0.7, count=1, max_length=60, seed=11))
    assert tab.history.takes[0].extra["texts"] == expected
    assert tab.text_view.text() == expected[0]


def test_jazz_domain_generates_from_the_chosen_shipped_model_and_exports_it(
        qtbot, window, pick_item, click, monkeypatch, tmp_path):
    from studio.core.checkpoint import load_checkpoint
    from studio.music.chart import PRESETS
    from studio.music.generate import JazzSettings, generate_solo

    tab = window.generate_tab
    pick_item(qtbot, tab.picker.domain_combo, "Jazz")
    assert listed_models(tab.picker) == shipped("jazz")
    pick_item(qtbot, tab.picker.model_combo, label_of(tab.picker, "jazz-gru"))
    assert tab.views.currentWidget() is tab.jazz
    pick_item(qtbot, tab.jazz.preset, "ii-V-I cycle")
    tab.jazz.tempo.setValue(150)
    tab.form.length.setValue(1)
    set_seed(tab.form, 5)
    click(qtbot, tab.generate_button)
    qtbot.waitUntil(lambda: len(tab.history.takes) == 1, timeout=60000)
    take = tab.history.takes[0]
    reference = generate_solo(load_checkpoint(SHIPPED / "jazz-gru.safetensors"),
                              PRESETS["ii-V-I cycle"],
                              JazzSettings(temperature=1.0, seed=5, tempo=150, choruses=1))
    assert [(n.start, n.pitch, n.duration) for n in take.result.solo.notes] == \
        [(n.start, n.pitch, n.duration) for n in reference.solo.notes]

    out = tmp_path / "take.mid"
    save_to(monkeypatch, out)
    click(qtbot, tab.jazz.midi_button)
    midi = mido.MidiFile(str(out))
    pitches = [m.note for m in midi.tracks[1] if m.type == "note_on" and m.velocity > 0]
    assert pitches == [n.pitch for n in reference.solo.notes]


def test_a_model_chosen_per_domain_is_kept_when_coming_back(qtbot, window, pick_item):
    picker = window.generate_tab.picker
    pick_item(qtbot, picker.domain_combo, "Dinosaurs")
    pick_item(qtbot, picker.model_combo, label_of(picker, "dinos-lstm"))
    pick_item(qtbot, picker.domain_combo, "Jazz")
    pick_item(qtbot, picker.domain_combo, "Dinosaurs")
    assert picker.model_combo.currentText().startswith("dinos-lstm (")
