"""The line's pitch and rhythm temperatures tuned per model (``meta["sampling"]``): the
window's boxes start at "tuned (the model's value)", and a take (Generate or Live) then plays the checkpoint's
values; a value set in a box wins. Independent reference: the engine's take drawn with the
stored values given explicitly (and the module defaults, which a take ignoring the stored
values would play)."""

from __future__ import annotations

import pytest

STORED = {"pitch_temperature": 0.35, "rhythm_temperature": 1.6}


@pytest.fixture
def tuned_jazz(tiny_models, tiny_checkpoint):
    from studio.music.encoding import jazz_vocab_tokens
    from studio.paths import user_models_dir

    return tiny_checkpoint(user_models_dir() / "tuned-jazz.safetensors", "jazz", jazz_vocab_tokens(),
                           kind="event", meta_extra={"sampling": dict(STORED)}, seed=3)


def test_tuned_temperatures_reach_the_take_and_a_box_wins(qtbot, tuned_jazz, window, tiny_models,
                                                         choose_model, click):
    from studio.core.checkpoint import load_checkpoint
    from studio.gui.live.window import request_from_tab
    from studio.music.generate import PITCH_TEMPERATURE, RHYTHM_TEMPERATURE, JazzSettings, generate_solo

    tab = window.generate_tab
    qtbot.waitUntil(lambda: any(e.path.name == "tuned-jazz.safetensors" for e in tab.picker.entries),
                    timeout=10000)
    choose_model(tab, tuned_jazz)
    chart = "| Dm7 | G7 | Cmaj7 | % |"
    tab.jazz.chart.setPlainText(chart)
    tab.jazz.tempo.setValue(150)
    tab.form.length.setValue(1)
    tab.form.seed.setValue(7)
    tab.form.lock.setChecked(True)
    options = tab.jazz.options
    # the boxes show this model's values, and a step up from "tuned" starts there
    assert options.pitch_temperature.text() == "tuned (0.35)"
    assert options.rhythm_temperature.text() == "tuned (1.6)"
    options.rhythm_temperature.stepUp()
    assert options.rhythm_temperature.value() == 1.6
    options.rhythm_temperature.stepDown()
    assert options.rhythm_temperature.value() == 1.55
    options.rhythm_temperature.setValue(options.rhythm_temperature.minimum())
    choose_model(tab, tiny_models["jazz"])                   # a model with none stored: the defaults
    assert options.pitch_temperature.text() == f"tuned ({PITCH_TEMPERATURE:g})"
    assert options.rhythm_temperature.text() == f"tuned ({RHYTHM_TEMPERATURE:g})"
    choose_model(tab, tuned_jazz)
    ck = load_checkpoint(tuned_jazz)
    master = tab.form.temperature.value() / 100

    def engine(**line):
        return generate_solo(ck, chart, JazzSettings(temperature=master, seed=7, tempo=150, choruses=1, **line))

    stored = engine(**STORED)
    assert stored.tokens != engine(pitch_temperature=PITCH_TEMPERATURE,
                                   rhythm_temperature=RHYTHM_TEMPERATURE).tokens   # the test can tell
    for n, pitch in enumerate((None, 0.9), start=1):     # "tuned", then a box's own value
        options.pitch_temperature.setValue(options.pitch_temperature.minimum() if pitch is None else pitch)
        click(qtbot, tab.generate_button)
        qtbot.waitUntil(lambda: len(tab.history.takes) == n, timeout=60000)
        take = tab.history.takes[-1]
        expected = stored if pitch is None else engine(pitch_temperature=pitch,
                                                       rhythm_temperature=STORED["rhythm_temperature"])
        assert take.result.tokens == expected.tokens
        assert take.result.settings.pitch_temperature == (pitch or STORED["pitch_temperature"])
        assert take.result.settings.rhythm_temperature == STORED["rhythm_temperature"]
        assert take.settings["pitch_temperature"] == pitch          # the take keeps "tuned" as None
    tab.history.list.setCurrentRow(1)       # the first take (newest on top): "tuned" comes back
    qtbot.waitUntil(lambda: options.pitch_temperature.text() == "tuned (0.35)", timeout=3000)

    live = request_from_tab(tab).settings     # the live window: the same reading, resolved alike
    assert (live.pitch_temperature, live.rhythm_temperature) == (None, None)
    options.rhythm_temperature.setValue(1.2)
    assert request_from_tab(tab).settings.rhythm_temperature == 1.2


def test_saved_settings_keep_tuned_and_old_defaults_become_tuned(window):
    from studio.gui.shared.settings import Group

    jazz = window.generate_tab.jazz
    options = jazz.options
    options.pitch_temperature.setValue(options.pitch_temperature.minimum())
    options.rhythm_temperature.setValue(1.2)
    jazz.save_settings()
    options.pitch_temperature.setValue(0.5)
    options.rhythm_temperature.setValue(options.rhythm_temperature.minimum())
    jazz.restore_settings()
    assert options.line_values()["pitch_temperature"] is None
    assert options.line_values()["rhythm_temperature"] == 1.2
    # a save from before the boxes could say "tuned": the old defaults meant "the default",
    # now the model's own; a value the user chose stays
    with Group("generate_jazz", version=1) as g:
        g.store.remove("line_tuned")
        g.set("pitch_temperature", 0.8)
        g.set("rhythm_temperature", 1.0)
    jazz.restore_settings()
    assert options.line_values()["pitch_temperature"] is None
    assert options.line_values()["rhythm_temperature"] is None
    with Group("generate_jazz", version=1) as g:
        g.set("pitch_temperature", 0.65)
    jazz.restore_settings()
    assert options.line_values()["pitch_temperature"] == 0.65
