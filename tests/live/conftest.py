"""Live tests: second JACK clients and a generation process (the server: tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "models")


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
