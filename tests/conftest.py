"""Shared test setup: offscreen Qt, an isolated user data folder, tiny corpora made here."""

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One torch thread per process, here and in the trainers the tests start: on a shared
# 2-core machine two threads per process oversubscribe the cores and oneDNN's LSTM then
# slows down by orders of magnitude (measured: a 4 x 1000-token forward took 16 s with two
# threads under load, 0.02 s with one). Tests that are about threads set their own.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The device the device-sensitive tests run on: STUDIO_TEST_DEVICE=cuda on a GPU machine.
# By default the CPU, with any GPU hidden from the tests and the trainers they start, so a
# user with a GPU runs what CI runs. On CUDA: deterministic algorithms (cuBLAS needs its
# workspace setting before it starts, cuDNN its deterministic flag), so the exactness tests
# (resume == uninterrupted, trainer == bare loop) compare runs that summed in the same order.
TEST_DEVICE = os.environ.get("STUDIO_TEST_DEVICE", "cpu").lower()
if TEST_DEVICE not in ("cpu", "cuda"):
    raise SystemExit(f"STUDIO_TEST_DEVICE must be cpu or cuda, not {TEST_DEVICE!r}")
if TEST_DEVICE == "cpu":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
else:
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
if TEST_DEVICE == "cuda":
    if not torch.cuda.is_available():
        raise SystemExit("STUDIO_TEST_DEVICE=cuda, but torch sees no CUDA GPU here")
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    # Float32 as the CPU references compute it: cuDNN's RNNs use TF32 by default (10-bit
    # mantissas), which moved a 14-token log P by 1e-3 against the CPU's forward
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)

import studio.domains  # noqa: E402,F401  (the built-in domains, as the CLI and the window load them)


@pytest.fixture
def device() -> str:
    """The device the device-sensitive tests run on ("cpu" unless STUDIO_TEST_DEVICE=cuda)."""
    return TEST_DEVICE


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SEQUENCE_STUDIO_HOME", str(home))
    # The built-in synth unless a test picks a SoundFont: a system's General MIDI font
    # (fluid-soundfont-gm) would otherwise change every rendered take on machines that have it.
    monkeypatch.setenv("SEQUENCE_STUDIO_SOUNDFONT", "none")
    return home


@pytest.fixture
def tiny_sf2(tmp_path) -> Path:
    """A valid 8 KB SoundFont written here (tests/tiny_sf2.py): one harmonic tone."""
    from tests.tiny_sf2 import write_sf2

    return write_sf2(tmp_path / "tiny.sf2")


# -- a real MIDI and audio system: a JACK server with its dummy driver -------------------
# ``.ci/run`` installs jackd2 and starts a server whose name it exports in
# SEQUENCE_STUDIO_JACK; elsewhere the first test that needs one starts a private server
# (a unique name, so test runs of several people on one machine never meet). Where none
# can start (no jackd, no python-rtmidi, an rtmidi without JACK) those tests skip and say why.
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
    from studio.bench.live_probe import DummyJack, JackUnavailable

    given = os.environ.get("SEQUENCE_STUDIO_JACK")
    if given and _server_running(given):
        saved = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
        os.environ.update(JACK_DEFAULT_SERVER=given, JACK_NO_START_SERVER="1")
        from studio.bench.live_probe import refresh_portaudio

        refresh_portaudio()
        yield given
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        return
    server = DummyJack()
    try:
        server.start()
    except JackUnavailable as exc:
        pytest.skip(str(exc))
    yield server.name
    server.stop()


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
