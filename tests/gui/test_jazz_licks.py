"""The jazz panel's Licks control (under "More"): "tuned (0.5)" (the model's own strength) or a
value; the take the window plays is the engine's take with it (what `sample [--licks]`
gives), it is kept with the take, and a take picked from the history restores it."""

from __future__ import annotations

from studio.paths import shipped_models_dir

SHIPPED = shipped_models_dir()


def test_the_licks_box_reaches_the_take_and_comes_back_with_it(qtbot, window, pick_item, click, tmp_path):
    from studio.core.checkpoint import load_checkpoint
    from studio.music.chart import PRESETS
    from studio.music.generate import JazzSettings, generate_solo, tuned

    tab = window.generate_tab
    pick_item(qtbot, tab.picker.domain_combo, "Jazz")
    label = next(tab.picker.model_combo.itemText(i) for i in range(tab.picker.model_combo.count())
                 if tab.picker.model_combo.itemText(i).startswith("jazz-gru ("))
    pick_item(qtbot, tab.picker.model_combo, label)
    click(qtbot, tab.form.more_button)
    box = tab.jazz.options.licks
    stored = tuned(load_checkpoint(SHIPPED / "jazz-gru.safetensors").meta, "licks")
    assert box.isVisible() and box.text() == f"tuned ({stored:g})" and tab.jazz.options.licks_value() is None
    assert box.maximum() == 1.0
    pick_item(qtbot, tab.jazz.preset, "ii-V-I cycle")
    tab.jazz.tempo.setValue(150)
    tab.form.length.setValue(1)
    tab.form.seed.setValue(5)
    tab.form.lock.setChecked(True)
    ck = load_checkpoint(SHIPPED / "jazz-gru.safetensors")
    for n, strength in enumerate((0.9, 0.0, None), start=1):
        box.setValue(box.minimum() if strength is None else strength)
        click(qtbot, tab.generate_button)
        qtbot.waitUntil(lambda: len(tab.history.takes) == n, timeout=60000)
        take = tab.history.takes[-1]
        reference = generate_solo(ck, PRESETS["ii-V-I cycle"], JazzSettings(
            temperature=tab.form.temperature.value() / 100, seed=5, tempo=150, choruses=1, licks=strength))
        assert take.result.tokens == reference.tokens
        assert take.result.info["licks"] == ("off" if strength == 0 else reference.info["licks"])
        assert take.settings["licks"] == strength
        assert take.result.settings.licks == (tuned(ck.meta, "licks") if strength is None else strength)
    window.grab().save(str(tmp_path / "licks.png"))
    tab.history.list.setCurrentRow(2)       # the first take (newest on top): licks 0.9 comes back
    qtbot.waitUntil(lambda: box.value() == 0.9, timeout=3000)
    tab.history.list.setCurrentRow(0)       # the last: tuned
    qtbot.waitUntil(lambda: box.text().startswith("tuned"), timeout=3000)
