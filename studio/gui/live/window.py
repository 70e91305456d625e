"""Live mode of the jazz view: the band and the model through real MIDI ports.

``LiveWindow`` (opened by the jazz view's "Live…" button) picks the MIDI ports, the
trade length, tempo, count-in and MIDI clock, and runs a ``studio.music`` live session:
"Play take" plays a take as the band (the very take ``sample`` would write with the
seed shown), "Trade" trades fours with a player on the input port. The chart, model and
sampling settings are the Generate tab's.

Nothing slow touches the UI thread: the generation process starts, the first take is
drawn and the ports open in a pool thread (``workers.run_task``); the session runs on
its own threads; a 30 Hz timer polls the bar/beat, the new notes and the end. Stop
silences at once (the engine's thread ends every note) and the rest is closed in a pool
thread. The ports, API and options are remembered (settings group "live").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout,
                               QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from studio.gui.live.parts import close_parts as _close
from studio.gui.live.parts import follow_daw as _follow_daw
from studio.gui.live.parts import prepare as _prepare
from studio.gui.live.roll import LiveRoll
from studio.gui.live.controls import InputControls, RoutingControls
from studio.gui.shared.settings import Group
from studio.gui.shared.workers import run_task

log = logging.getLogger(__name__)

VIRTUAL_OUT = "Sequence Studio (virtual port)"
VIRTUAL_IN = "Sequence Studio in (virtual port)"
APIS = [("auto", None), ("JACK", "jack"), ("ALSA", "alsa"), ("CoreMIDI", "coremidi"),
        ("Windows MM", "windows")]


@dataclass
class LiveRequest:
    """What the Generate tab hands over: the model file, chart and settings."""
    model_path: str
    model_name: str
    chart: str
    settings: object               # studio.music.generate.JazzSettings
    midi_options: dict


class LiveWindow(QDialog):
    finished_session = Signal()

    def __init__(self, request_source, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sequence Studio: live")
        self.request_source = request_source      # () -> LiveRequest (raises ValueError)
        self.session = None
        self.midi_ok = False              # the last port listing worked
        self.parts: dict = {}
        self._job = 0
        self._seen = 0

        self.out_port, self.in_port, self.api = QComboBox(), QComboBox(), QComboBox()
        for box in (self.out_port, self.in_port):
            box.setMinimumContentsLength(24)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for label, value in APIS:
            self.api.addItem(label, value)
        self.refresh_button = QPushButton("Refresh")
        self.mode = QComboBox()
        self.mode.addItems(["Trade", "Play take"])
        self.trade_bars = QComboBox()
        self.trade_bars.addItems(["2", "4", "8"])
        self.trade_bars.setCurrentText("4")
        self.response = QComboBox()          # how the answer responds (trade.RESPONSE_MODES)
        self.response.addItems(["free", "develop", "echo", "contrast"])
        self.response.setToolTip("free: primed with your phrase; develop: your cells, sequenced "
                                 "and inverted; echo: quotes your last bar, then develops; "
                                 "contrast: another register")
        self.sync = QCheckBox("Follow DAW clock")
        self.sync.setToolTip("Wait for the MIDI clock and Start on the input port and play to "
                             "it (Stop, Continue, Song Position too); trading: your notes may "
                             "come in on the same port")
        self.reconnect = QCheckBox("Reconnect")
        self.reconnect.setToolTip("A lost port: wait for it and play on from the next bar")
        self.model_first = QCheckBox("Model opens")
        self.tempo = QSpinBox()
        self.tempo.setRange(40, 360)
        self.tempo.setSuffix(" bpm")
        self.count_in = QSpinBox()
        self.count_in.setRange(0, 4)
        self.count_in.setValue(1)
        self.count_in.setSuffix(" bar(s)")
        self.clock = QCheckBox("Send MIDI clock")
        self.loop = QCheckBox("Loop (keep drawing choruses)")
        self.inputs = InputControls()       # quantize, latency: how your phrase is heard
        self.routing = RoutingControls()    # channels per part, program changes, thru
        self.start_button, self.stop_button = QPushButton("● Start"), QPushButton("■ Stop")
        self.position = QLabel("–")
        self.position.setFont(QFont(self.font().family(), 20, QFont.Weight.Bold))
        self.position.setMinimumWidth(120)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.roll = LiveRoll()

        form = QFormLayout()
        ports = QHBoxLayout()
        for w in (QLabel("Out"), self.out_port, QLabel("In"), self.in_port, QLabel("MIDI"),
                  self.api, self.refresh_button, self.reconnect):
            ports.addWidget(w)
        form.addRow("Ports", ports)
        play = QHBoxLayout()
        for w in (self.mode, QLabel("bars"), self.trade_bars, self.response, self.model_first,
                  self.loop):
            play.addWidget(w)
        play.addStretch(1)
        form.addRow("Mode", play)
        timing = QHBoxLayout()
        for w in (self.tempo, QLabel("count-in"), self.count_in, self.clock, self.sync):
            timing.addWidget(w)
        timing.addStretch(1)
        form.addRow("Tempo", timing)
        form.addRow("Input", self.inputs.row())
        form.addRow("Channels", self.routing.row())
        transport = QHBoxLayout()
        for w in (self.start_button, self.stop_button, self.position):
            transport.addWidget(w)
        transport.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(transport)
        layout.addWidget(self.roll, 1)
        self.resize(960, 540)

        self.timer = QTimer(self, interval=33)
        self.timer.timeout.connect(self._tick)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.api.currentIndexChanged.connect(self.refresh_ports)
        self.mode.currentTextChanged.connect(self._update)
        self.sync.toggled.connect(self._update)
        self.restore_settings()
        self._update()
        self.refresh_ports()

    # -- ports -------------------------------------------------------------------------
    def refresh_ports(self) -> None:
        api = self.api.currentData()
        self.status.setText("Looking for MIDI ports…")

        def work():
            from studio.music.live.ports import list_ports

            return list_ports(api)

        def done(ports, error):
            self.midi_ok = error is None
            if error is not None:
                self._fill([], [])
                self._say(error)
            else:
                self._fill(ports.outputs, ports.inputs)
                self.status.setStyleSheet("")
                self.status.setText(f"MIDI: {ports.backend}")
            self._update()

        run_task(work, done, owner=self)

    def _fill(self, outputs, inputs) -> None:
        with Group("live", 1) as g:
            want_out, want_in = g.get("out", VIRTUAL_OUT), g.get("in", VIRTUAL_IN)
        for box, names, virtual, want in ((self.out_port, outputs, VIRTUAL_OUT, want_out),
                                          (self.in_port, inputs, VIRTUAL_IN, want_in)):
            current = box.currentText() or want
            box.clear()
            box.addItem(virtual)
            box.addItems([n for n in names if not n.startswith("Sequence Studio")])
            index = box.findText(current)
            box.setCurrentIndex(max(0, index))

    def _port(self, box, virtual) -> str | None:
        return None if box.currentText() in ("", virtual) else box.currentText()

    # -- start / stop ------------------------------------------------------------------
    def start(self) -> None:
        if self.session is not None:
            return
        try:
            request = self.request_source()
        except ValueError as exc:
            self._say(exc)
            return
        self.save_settings()
        trading = self.mode.currentText() == "Trade"
        settings = replace(request.settings, tempo=float(self.tempo.value()))
        api = self.api.currentData()
        out_name, in_name = self._port(self.out_port, VIRTUAL_OUT), self._port(self.in_port, VIRTUAL_IN)
        sync = self.sync.isChecked()
        self._job += 1
        job = self._job
        self.start_button.setEnabled(False)
        self.status.setText(f"Starting {request.model_name}…")

        def work():
            return _prepare(request, settings, trading, api, out_name, in_name,
                            self.loop.isChecked(), listen=sync)

        def done(parts, error):
            if job != self._job:                 # stopped while starting
                if parts:
                    run_task(lambda: _close(parts), lambda *_: None)
                return
            if error is not None:
                self._say(error)
                self._update()
                return
            self._run(parts, settings, request, trading)

        run_task(work, done, owner=self)

    def _run(self, parts: dict, settings, request: LiveRequest, trading: bool) -> None:
        from studio.music.live.engine import LiveEngine
        from studio.music.live.session import TakeSession
        from studio.music.live.trade import TradeSession, TradeSettings
        from studio.music.live.watch import watch_session

        engine = LiveEngine(parts["out"], midi_clock=self.clock.isChecked())
        engine.route(**self.routing.route())
        if trading:
            trade = TradeSettings(bars=int(self.trade_bars.currentText()),
                                  mode=self.response.currentText(),
                                  player_first=not self.model_first.isChecked(),
                                  **self.inputs.trade_fields())
            session = TradeSession(engine, parts["worker"], request.chart, settings, trade,
                                   count_in_bars=self.count_in.value(),
                                   midi_options=request.midi_options)
            parts["in"].callback = session.recorder.handle
            if self.sync.isChecked():          # the DAW's clock, and the notes, on one port
                _follow_daw(session, parts["in"], session.recorder.handle)
            self.roll.reset(session.bar_s, trade.bars, session.block_role, session.block_span)
        else:
            session = TakeSession(engine, parts["take"], midi_options=request.midi_options,
                                  count_in_bars=self.count_in.value(),
                                  loop=self.loop.isChecked(), worker=parts.get("worker"),
                                  chart=request.chart)
            self.roll.reset(session.bar_s)
            if "in" in parts:                  # following the DAW's clock (sync.ClockFollower)
                _follow_daw(session, parts["in"])
        parts["engine"] = engine
        self.parts, self.session, self._seen = parts, session, 0
        session.start()
        parts["watch"] = watch_session(session, parts["backend"], *parts["names"],
                                       reconnect=self.reconnect.isChecked(),
                                       in_callback=parts["in"].callback if "in" in parts else None)
        self.timer.start()
        self.status.setText(f"{request.model_name} live: {engine.priority}")
        self._update()

    def stop(self) -> None:
        """Silence now; close ports and the generation process off the UI thread."""
        self._job += 1
        session, parts = self.session, self.parts
        self.session, self.parts = None, {}
        self.timer.stop()
        if session is not None:
            session.stop(wait=False)
            if session.error is not None:
                self._say(session.error)
        if parts:
            run_task(lambda: (session.join() if session else None, _close(parts)),
                     lambda *_: None)
        self.position.setText("–")
        self._update()
        self.finished_session.emit()

    # -- the 30 Hz timer ---------------------------------------------------------------
    def _tick(self) -> None:
        session = self.session
        if session is None:
            return
        where = session.bar_beat()
        if where is not None:
            bar, beat = where
            self.position.setText(f"{bar}:{beat}" if bar > 0 else f"count {beat}")
        new = session.notes_since(self._seen)
        self._seen += len(new)
        self.roll.add_notes(new)
        if hasattr(session, "player_notes"):
            self.roll.set_player(session.player_notes())
        self.roll.set_position(session.position() or 0.0)
        if session.notice and session.error is None and self.status.text() != session.notice:
            self.status.setText(session.notice)           # a lost port, and its return
        if session.finished:
            error = session.error or session.engine.error
            self.stop()
            if error is not None:
                self._say(error)
            else:
                self.status.setText("Finished.")

    # -- state and settings ------------------------------------------------------------
    def _update(self, *_args) -> None:
        running = self.session is not None
        trading = self.mode.currentText() == "Trade"
        self.start_button.setEnabled(not running and self.midi_ok and self.out_port.count() > 0)
        self.stop_button.setEnabled(running)
        for w in (self.trade_bars, self.response, self.model_first):
            w.setEnabled(trading and not running)
        self.in_port.setEnabled((trading or self.sync.isChecked()) and not running)
        self.sync.setEnabled(not running)
        self.inputs.set_enabled(trading and not running)
        self.routing.set_enabled(not running)
        self.loop.setEnabled(not trading and not running)
        for w in (self.out_port, self.api, self.refresh_button, self.mode, self.tempo,
                  self.count_in, self.clock):
            w.setEnabled(not running)

    def _say(self, error) -> None:
        from studio.core.errors import user_message

        text = user_message(error) if isinstance(error, BaseException) else str(error)
        self.status.setText(text or f"{type(error).__name__}: {error}")
        self.status.setStyleSheet("color: #a00")
        log.warning("live: %s", error)

    def save_settings(self) -> None:
        with Group("live", 1) as g:
            g.set("out", self.out_port.currentText())
            g.set("in", self.in_port.currentText())
            g.set("api", self.api.currentIndex())
            for key, box in (("model_first", self.model_first), ("clock", self.clock),
                             ("loop", self.loop), ("sync", self.sync), ("reconnect", self.reconnect)):
                g.set(key, box.isChecked())
            g.set("response", self.response.currentText())
            g.set("mode", self.mode.currentText())
            g.set("bars", self.trade_bars.currentText())
            g.set("count_in", self.count_in.value())
            self.inputs.save(g)
            self.routing.save(g)

    def restore_settings(self) -> None:
        with Group("live", 1) as g:
            self.api.setCurrentIndex(g.get("api", 0, int))
            for key, box in (("model_first", self.model_first), ("clock", self.clock),
                             ("loop", self.loop), ("sync", self.sync), ("reconnect", self.reconnect)):
                box.setChecked(g.get(key, False, bool))
            old = "echo" if g.get("call_response", False, bool) else "free"   # the older switch
            self.response.setCurrentText(g.get("response", old))
            self.mode.setCurrentText(g.get("mode", "Trade"))
            self.trade_bars.setCurrentText(g.get("bars", "4"))
            self.count_in.setValue(g.get("count_in", 1, int))
            self.inputs.restore(g)
            self.routing.restore(g)

    def closeEvent(self, event) -> None:
        self.stop()
        self.save_settings()
        super().closeEvent(event)


def request_from_tab(tab) -> LiveRequest:
    """The Generate tab's jazz model, chart and settings (ValueError if there is none)."""
    from studio.gui.jazz.options import DEFAULT_HIGH, DEFAULT_LOW, line_settings, register_setting
    from studio.music.generate import JazzSettings

    entry = tab.picker.current_entry()
    if entry is None or tab.picker.current_domain() != "jazz":
        raise ValueError("Choose a jazz model in the Generate tab first.")
    tab.jazz.check()
    form = tab.form.settings(tab.form.next_seed())
    values = tab.jazz.values()
    settings = JazzSettings(temperature=form.temperature, top_p=form.top_p, top_k=form.top_k,
                            seed=form.seed, choruses=max(1, int(tab.form.length.value())),
                            tempo=float(values["tempo"]), scale_mask=bool(values.get("scale_mask")),
                            pitch_low=int(values.get("pitch_low", DEFAULT_LOW)),
                            pitch_high=int(values.get("pitch_high", DEFAULT_HIGH)),
                            # the line's temperatures, licks and register, as Generate plays them
                            **register_setting(values), **line_settings(values))
    return LiveRequest(str(entry.path), entry.name, values["chart"], settings,
                       tab.jazz.midi_options())


def open_live_window(tab) -> LiveWindow:
    """The jazz view's hook: one live window per Generate tab, raised if open."""
    window = getattr(tab, "_live_window", None)
    if window is None:
        window = LiveWindow(lambda: request_from_tab(tab), tab)
        window.tempo.setValue(int(tab.jazz.tempo.value()))
        tab._live_window = window
    window.show()
    window.raise_()
    return window
