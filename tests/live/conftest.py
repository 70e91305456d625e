"""Live tests: second JACK clients and a generation process (the server: tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "models")


@pytest.fixture
def listener(jack):
    from studio.bench.live_probe import Listener

    lis = Listener()
    yield lis
    lis.close()


@pytest.fixture(scope="session")
def gru_path():
    return os.path.abspath(os.path.join(MODELS, "jazz-gru.safetensors"))


@pytest.fixture(scope="module")
def worker(gru_path):
    """One generation process per test module (starting one costs a few seconds)."""
    from studio.music.live.worker import GenerationWorker

    w = GenerationWorker(gru_path)
    w.wait_ready()
    yield w
    w.close()


def pytest_collection_modifyitems(config, items):
    # These tests play through a real JACK server whose real-time thread shares a 2-core
    # machine with the suite: under load it has dropped or reordered a message once in a
    # full run (each such test passed alone). A real defect fails every rerun; a lost
    # real-time slot does not.
    for item in items:
        if "tests/live/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.flaky(reruns=2, reruns_delay=1))
