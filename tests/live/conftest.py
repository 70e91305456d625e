"""A real MIDI system for the live tests: a JACK server with its dummy driver.

``.ci/run`` installs jackd2 and starts a server whose name it exports in
``SEQUENCE_STUDIO_JACK``; elsewhere the tests start a private one (a unique name, so
the test runs of several people on one machine never meet). Where no server can start
(no jackd, no python-rtmidi, a python-rtmidi without JACK) the JACK tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "models")


def _rtmidi_reason() -> str | None:
    try:
        import rtmidi
    except ImportError:
        return "python-rtmidi is not installed (pip install -e '.[live]')"
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        return "this python-rtmidi was built without JACK support"
    return None


def _server_running(name: str) -> bool:
    lsp = shutil.which("jack_lsp")
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1")
    return bool(lsp) and subprocess.run([lsp], env=env, capture_output=True,
                                        timeout=10).returncode == 0


@pytest.fixture(scope="session")
def jack():
    """The JACK server's name (JACK_DEFAULT_SERVER is set to it for this process)."""
    reason = _rtmidi_reason()
    if reason:
        pytest.skip(reason)
    from studio.music.live_probe import DummyJack, JackUnavailable

    given = os.environ.get("SEQUENCE_STUDIO_JACK")
    if given and _server_running(given):
        saved = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
        os.environ.update(JACK_DEFAULT_SERVER=given, JACK_NO_START_SERVER="1")
        yield given
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        return
    server = DummyJack()
    try:
        server.start()
    except JackUnavailable as exc:
        pytest.skip(str(exc))
    yield server.name
    server.stop()


@pytest.fixture
def listener(jack):
    from studio.music.live_probe import Listener

    lis = Listener()
    yield lis
    lis.close()


@pytest.fixture(scope="session")
def gru_path():
    return os.path.abspath(os.path.join(MODELS, "jazz-gru.safetensors"))


@pytest.fixture(scope="module")
def worker(gru_path):
    """One generation process per test module (starting one costs a few seconds)."""
    from studio.music.live_worker import GenerationWorker

    w = GenerationWorker(gru_path)
    w.wait_ready()
    yield w
    w.close()
