"""The Live window over a real JACK server: ports picked, a trade played, the UI never stalls."""

from __future__ import annotations

import threading
import time

import pytest

TEMPO = 240

# A real JACK server on a shared 2-core machine: see tests/live/conftest.py for why a
# message lost under load gets a rerun (a real defect fails every rerun).
pytestmark = pytest.mark.flaky(reruns=2, reruns_delay=1)


@pytest.fixture
def live_window(jack, qtbot, window, tiny_models, choose_model):
    from studio.bench.live_probe import Listener

    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.jazz.chart.setPlainText("| C7 | F7 |")
    listener = Listener("roll-listener")
    tab.open_live()
    live = tab._live_window
    qtbot.waitUntil(lambda: live.out_port.findText(listener.port_name) >= 0, timeout=10000)
    live.out_port.setCurrentText(listener.port_name)
    live.tempo.setValue(TEMPO)
    live.count_in.setValue(1)
    yield live, listener
    live.close()
    listener.close()


class StallMeter:
    """The longest gap between ticks of a 10 ms UI timer: how long the UI stood still."""

    def __init__(self, parent):
        from PySide6.QtCore import QTimer

        self.last = time.monotonic()
        self.worst = 0.0
        # parented, and stopped by the fixture: a stray QTimer collected later from a
        # worker thread would be destroyed on the wrong thread
        self.timer = QTimer(parent, interval=10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = time.monotonic()
        self.worst = max(self.worst, now - self.last)
        self.last = now


@pytest.fixture
def stall_meter(live_window):
    meter = StallMeter(live_window[0])
    yield meter
    meter.timer.stop()


@pytest.fixture
def keyboard(jack):
    from studio.bench.live_probe import Keyboard

    made = []
    yield lambda: made.append(Keyboard("Sequence Studio in")) or made[-1]
    for k in made:
        k.close()


def test_trading_in_the_window_draws_both_parts_and_never_stalls(qtbot, live_window, stall_meter,
                                                                keyboard):
    live, listener = live_window
    live.mode.setCurrentText("Trade")
    live.trade_bars.setCurrentText("2")
    meter = stall_meter
    qtbot.mouseClick(live.start_button, left())
    qtbot.waitUntil(lambda: live.session is not None, timeout=60000)
    session = live.session
    keyboard = keyboard()
    beat = 60 / TEMPO
    notes = [(i * beat / 2, i * beat / 2 + 0.1, 60 + (i * 3) % 12, 90) for i in range(12)]
    player = threading.Thread(target=keyboard.play, args=(notes, session.engine.t0), daemon=True)
    player.start()
    block_s = 2 * 4 * beat
    qtbot.waitUntil(lambda: (session.position() or 0) > 2 * block_s + 0.5, timeout=30000)
    counts = live.roll.counts()
    assert counts["player"] == 12 and counts["model"] > 0
    assert live.position.text().split(":")[0] in ("5", "6")      # bar 5 or 6 of 2-bar blocks
    qtbot.mouseClick(live.stop_button, left())
    assert live.session is None and live.start_button.isEnabled()
    time.sleep(0.3)
    assert listener.settled() == set()
    assert meter.worst < 0.25, f"the UI stood still for {meter.worst:.3f} s"
    player.join(5)


def test_play_take_runs_to_its_end_and_the_ports_are_remembered(qtbot, live_window, stall_meter):
    from studio.gui.shared.settings import Group

    live, listener = live_window
    live.mode.setCurrentText("Play take")
    live.clock.setChecked(True)
    meter = stall_meter
    qtbot.mouseClick(live.start_button, left())
    qtbot.waitUntil(lambda: live.session is not None, timeout=60000)
    qtbot.waitUntil(lambda: live.session is None, timeout=30000)     # the take ends by itself
    assert live.status.text() == "Finished."
    assert live.roll.counts()["model"] > 0
    msgs = [m for _, m in listener.snapshot()]
    assert [0xFA] in msgs and [0xFC] in msgs and msgs.count([0xF8]) > 24
    assert listener.settled() == set()
    assert meter.worst < 0.25, f"the UI stood still for {meter.worst:.3f} s"
    with Group("live", 1) as g:
        assert g.get("out") == listener.port_name and g.get("mode") == "Play take"


def test_a_lost_port_stops_the_take_and_the_window_says_so(qtbot, live_window):
    from studio.bench.live_probe import Listener

    live, _listener = live_window
    daw = Listener("gone-daw")
    live.refresh_ports()
    qtbot.waitUntil(lambda: live.out_port.findText(daw.port_name) >= 0, timeout=10000)
    live.out_port.setCurrentText(daw.port_name)
    live.mode.setCurrentText("Play take")
    live.tempo.setValue(60)                                   # 2 bars: 8 s of take
    qtbot.mouseClick(live.start_button, left())
    qtbot.waitUntil(lambda: live.session is not None, timeout=60000)
    qtbot.waitUntil(lambda: (live.session.position() or -1) > 0.3, timeout=10000)
    daw.close()                                               # the DAW quits
    qtbot.waitUntil(lambda: live.session is None, timeout=5000)
    assert f"the MIDI output port '{daw.port_name}' went away" in live.status.text()


def test_the_response_mode_input_settings_and_sync_go_to_the_trade_and_are_remembered(qtbot, live_window):
    from studio.gui.shared.settings import Group

    live, _listener = live_window
    live.mode.setCurrentText("Trade")
    live.response.setCurrentText("develop")
    live.inputs.quantize.setCurrentText("16th")
    live.inputs.latency.setValue(25)
    live.inputs.silence.setValue(1.5)
    live.routing.channels["solo"].setValue(5)
    live.routing.programs.setChecked(False)
    live.routing.thru.setValue(4)
    live.sync.setChecked(True)
    assert live.sync.isEnabled() and live.inputs.quantize.isEnabled()
    qtbot.mouseClick(live.start_button, left())
    qtbot.waitUntil(lambda: live.session is not None, timeout=60000)
    trade = live.session.trade
    assert (trade.mode, trade.quantize, trade.latency_ms, trade.silence_beats) == ("develop", 3, 25.0, 1.5)
    assert live.session.engine.timebase is not None           # trading to the DAW's clock
    assert live.session.recorder.latency == pytest.approx(0.025)
    engine = live.session.engine                              # --channels 5,2,3 --no-program-changes --thru 4
    assert (engine.channel_map, engine.program_changes, engine.thru_channel) == ({0: 4}, False, 3)
    qtbot.mouseClick(live.stop_button, left())
    with Group("live", 1) as g:
        assert g.get("response") == "develop" and g.get("quantize") == "16th"
        assert g.get("latency_ms", 0.0, float) == 25.0 and g.get("sync", False, bool)
    live.inputs.quantize.setCurrentText("off")
    live.inputs.latency.setValue(0)
    live.inputs.silence.setValue(0)
    live.routing.channels["solo"].setValue(1)
    live.routing.thru.setValue(0)
    live.restore_settings()                                   # what a new window shows
    assert live.inputs.quantize.currentText() == "16th" and live.inputs.latency.value() == 25
    assert live.inputs.silence.value() == 1.5 and live.routing.channels["solo"].value() == 5
    assert live.routing.thru.value() == 4 and not live.routing.programs.isChecked()
    live.inputs.silence.setValue(0)
    live.routing.channels["solo"].setValue(1)
    live.routing.thru.setValue(0)
    live.routing.programs.setChecked(True)
    live.sync.setChecked(False)


def left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_without_python_rtmidi_the_window_says_how_to_get_it(qtbot, window, tiny_models,
                                                              choose_model, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "rtmidi", None)          # import rtmidi -> ImportError
    tab = window.generate_tab
    choose_model(tab, tiny_models["jazz"])
    tab.open_live()
    live = tab._live_window
    qtbot.waitUntil(lambda: "[live]" in live.status.text(), timeout=10000)
    assert "python-rtmidi" in live.status.text()
    assert not live.start_button.isEnabled()
    live.mode.setCurrentText("Play take")                     # no other control brings it back
    assert not live.start_button.isEnabled()
    live.close()


def test_the_roll_shades_blocks_where_a_call_ended_by_silence_moved_them(qtbot):
    """The roll draws the blocks as the trade's plan has them: a call ended at bar 3
    moves the answer to bars 3-6 and the next call to bar 7 (1 s a bar, 100 px a s)."""
    from studio.gui.live.roll import KEYS, LiveRoll
    from studio.music.live.plan import BlockPlan

    class Painter:
        def __init__(self):
            self.rects = []

        def fillRect(self, rect, _brush):
            self.rects.append((round(rect.left()), round(rect.right())))

        def setPen(self, _pen):
            pass

        def drawText(self, *_args):
            pass

    plan = BlockPlan(4, 1.0)
    plan.rebase(1, 3)
    roll = LiveRoll()
    qtbot.addWidget(roll)
    roll.reset(1.0, 4, plan.role, plan.span)
    p = Painter()
    roll._blocks(p, lambda t: KEYS + 100 * t, 0.0, 10.0, 50)
    assert p.rects[:3] == [(KEYS, KEYS + 300), (KEYS + 300, KEYS + 700), (KEYS + 700, KEYS + 1100)]
