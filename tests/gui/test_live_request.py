"""The Live window plays the Generate tab's jazz settings: the line's pitch and rhythm
temperatures and the lick strength reach the live request as they reach a Generate take."""


def test_live_request_carries_the_panels_line_settings(qtbot, window, tiny_models, choose_model):
    from studio.gui.live.window import request_from_tab

    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText("| C7 | F7 |")
    options = tab.jazz.options
    options.pitch_temperature.setValue(0.55)
    options.rhythm_temperature.setValue(1.25)
    options.licks.setValue(0.3)
    settings = request_from_tab(tab).settings
    assert (settings.pitch_temperature, settings.rhythm_temperature, settings.licks) == (0.55, 1.25, 0.3)
    options.licks.setValue(options.licks.minimum())          # "tuned": the model's own strength
    assert request_from_tab(tab).settings.licks is None
