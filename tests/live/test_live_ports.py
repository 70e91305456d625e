"""Port names, MIDI APIs and the messages people see when MIDI is not there."""

from __future__ import annotations

import sys

import pytest

from studio.music.live import ports as live_ports
from studio.music.live.ports import MidiUnavailable, resolve_port


def test_resolve_port_by_full_name_or_unique_part():
    names = ["Midi Through:Midi Through Port-0 14:0", "Keystation 49:Keystation MIDI 1 20:0",
             "Reaper:in 1", "Reaper:in 2"]
    assert resolve_port("Reaper:in 2", names, "input") == "Reaper:in 2"
    assert resolve_port("keystation", names, "input") == "Keystation 49:Keystation MIDI 1 20:0"
    with pytest.raises(MidiUnavailable, match="matches several MIDI input ports"):
        resolve_port("Reaper", names, "input")
    with pytest.raises(MidiUnavailable, match=r"no MIDI output port matches 'Ableton'.*Midi Through"):
        resolve_port("Ableton", names, "output")


def test_api_names_follow_midos_convention(monkeypatch):
    monkeypatch.delenv("MIDO_BACKEND", raising=False)
    assert live_ports.backend_name("jack") == "mido.backends.rtmidi/UNIX_JACK"
    assert live_ports.backend_name("ALSA") == "mido.backends.rtmidi/LINUX_ALSA"
    assert live_ports.backend_name("mido.backends.rtmidi/MACOSX_CORE") == "mido.backends.rtmidi/MACOSX_CORE"
    assert live_ports.backend_name(None) == "mido.backends.rtmidi"
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi/UNIX_JACK")
    assert live_ports.backend_name(None) == "mido.backends.rtmidi/UNIX_JACK"


def test_without_python_rtmidi_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "rtmidi", None)          # import rtmidi -> ImportError
    ok, reason = live_ports.rtmidi_status()
    assert not ok and "sequence-studio[live]" in reason
    with pytest.raises(MidiUnavailable, match=r"python-rtmidi.*\[live\]"):
        live_ports.list_ports("jack")


def test_unknown_api_is_named(jack):
    with pytest.raises(MidiUnavailable, match="unknown API BEOS"):
        live_ports.list_ports("beos")


def test_no_jack_server_is_one_clear_message(jack, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "no-such-server-here")
    with pytest.raises(MidiUnavailable, match="no JACK server is running"):
        live_ports.list_ports("jack")


def test_the_virtual_output_is_visible_to_other_clients_as_sequence_studio(jack, listener):
    out = live_ports.open_output(None, api="jack")
    try:
        seen = live_ports.list_ports("jack")
        assert "Sequence Studio:Sequence Studio" in seen.inputs     # a DAW reads from it
        assert listener.port_name in seen.outputs                   # we can write to the listener
    finally:
        out.close()


def test_mido_backend_variable_picks_the_api(jack, listener, monkeypatch):
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi/UNIX_JACK")
    ports = live_ports.list_ports()
    assert ports.backend == "mido.backends.rtmidi/UNIX_JACK"
    assert listener.port_name in ports.outputs


def test_a_port_named_by_part_of_its_name_is_opened(jack, listener):
    out = live_ports.open_output("listener", api="jack")
    assert out.name == listener.port_name
    out.close()


def test_a_named_output_is_the_client_sequence_studio_connected_to_the_users_port(jack, listener):
    import mido

    out = live_ports.open_output(listener.port_name, api="jack")
    try:
        sources = live_ports.list_ports("jack").inputs
        assert out.own_name in sources and out.own_name.split(":")[0].startswith("Sequence Studio")
        assert not any("RtMidi" in name for name in sources)
        out.send(mido.Message("note_on", note=61, velocity=5))
        out.send(mido.Message("note_off", note=61, velocity=0))
        deadline = __import__("time").monotonic() + 3
        while len(listener.notes()) < 2 and __import__("time").monotonic() < deadline:
            __import__("time").sleep(0.02)
        assert [m for _, m in listener.notes()] == [[0x90, 61, 5], [0x80, 61, 0]]
    finally:
        out.close()


def test_a_second_instance_reports_its_real_port_name(jack):
    first = live_ports.open_output(None, api="jack")
    second = live_ports.open_output(None, api="jack")
    try:
        sources = live_ports.list_ports("jack").inputs
        assert first.own_name in sources and second.own_name in sources
        assert first.own_name != second.own_name
        assert second.own_name.split(":")[0].startswith("Sequence Studio-")     # JACK's "-01"
    finally:
        second.close()
        first.close()


def test_the_in_error_never_offers_the_apps_own_output(jack):
    out = live_ports.open_output(None, api="jack")
    try:
        with pytest.raises(MidiUnavailable, match="no MIDI input port matches") as err:
            live_ports.open_input("no such keyboard", api="jack")
        assert out.own_name not in str(err.value)
    finally:
        out.close()
