"""Shared test setup: offscreen Qt, an isolated user data folder, tiny corpora made here."""

import os
import random
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SEQUENCE_STUDIO_HOME", str(home))
    return home


@pytest.fixture
def restore_signals():
    """The CLI's train verb installs SIGINT/SIGTERM handlers; put pytest's back after."""
    import signal

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


def make_names(n: int = 300, seed: int = 0) -> list[str]:
    """Made-up dinosaur-like names with learnable structure (prefix + middle + suffix)."""
    rng = random.Random(seed)
    heads = ["allo", "bronto", "stego", "tri", "veloci", "ankylo", "diplo", "pachy", "spino", "iguano"]
    mids = ["", "ce", "ra", "do", "pto", "no", "li"]
    tails = ["saurus", "raptor", "don", "ceratops", "mimus", "titan"]
    names = set()
    while len(names) < n:
        names.add(rng.choice(heads) + rng.choice(mids) + rng.choice(tails))
    return sorted(names)


@pytest.fixture
def names_file(tmp_path) -> Path:
    path = tmp_path / "names.txt"
    path.write_text("\n".join(make_names()) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def text_file(tmp_path) -> Path:
    rng = random.Random(1)
    words = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis", "nobler"]
    lines = []
    for i in range(300):
        speaker = rng.choice(["ROMEO:", "JULIET:", "HAMLET:"])
        lines.append(speaker + "\n" + " ".join(rng.choice(words) for _ in range(8)) + ".\n")
    path = tmp_path / "text.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
