"""Issue 23 items 1 and 2: one bad file in the model library broke every command that lists
or loads by name (RecursionError, TypeError, unhashable names, a 5,000-digit integer); an
import copied /dev/zero until the disk was full, waited on a FIFO forever, left killed
imports' temp files for ever and blamed the source for a full library disk."""

import json
import os
import resource
import struct
import subprocess
import sys
import time

import pytest
import torch

from studio.cli import main
from studio.core import checkpoint as C
from studio.core import library
from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.core.library import find_model, import_model, list_models, scan_library
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab
from studio.paths import user_models_dir


def _good(path, name):
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefghij")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=8, embedding=4))
    save_checkpoint(path, net, vocab, {"domain": "names", "name": name, "encoding": "char-v1"})
    return path


def _pack(header: dict, data: bytes = b"") -> bytes:
    blob = json.dumps(header).encode()
    return struct.pack("<Q", len(blob)) + blob + data


def _raw_header(header_text: str) -> bytes:
    blob = header_text.encode()
    return struct.pack("<Q", len(blob)) + blob


def _resigned(path, edit):
    """A good checkpoint whose metadata is edited and signed again with the real digest
    (anyone can: the digest is unkeyed), so only the checks on each value can refuse it."""
    from safetensors.torch import load as st_load

    data = _good(path, "x").read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    md = header["__metadata__"]
    meta = json.loads(md["meta"])
    edit(meta)
    meta_json = json.dumps(meta) if not isinstance(meta, str) else meta
    if isinstance(meta, dict) and "__raw__" in meta:
        meta_json = meta["__raw__"]
    md.update(meta=meta_json, digest=C._digest(C.FORMAT_VERSION, meta_json, st_load(data)))
    path.write_bytes(_pack(header, data[8 + n:]))
    return path


def _deep_meta(meta):
    meta["__raw__"] = json.dumps({**{k: v for k, v in meta.items() if k != "__raw__"}})[:-1] + \
        ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _bad_library(folder):
    """Ten malformed files (and three things that are not files at all) in one folder."""
    bad = {
        "deep.safetensors": _raw_header('{"a": ' + "[" * 200_000 + "]" * 200_000 + "}"),
        "bigint.safetensors": _raw_header('{"__metadata__": {"format": "sequence-studio", "x": '
                                          + "9" * 5000 + "}}"),
        "random.safetensors": os.urandom(700),
        "empty.safetensors": b"",
        "truncated.safetensors": (folder / "good.safetensors").read_bytes()[:300],
        "pickle.safetensors": b"\x80\x04\x95" + b"\0" * 64,
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    _resigned(folder / "listdomain.safetensors", lambda m: m.update(domain=["names"]))
    _resigned(folder / "listcell.safetensors", lambda m: m["config"].update(cell=["gru"]))
    _resigned(folder / "listname.safetensors", lambda m: m.update(name=["a", "b"]))
    _resigned(folder / "deepmeta.safetensors", _deep_meta)
    _resigned(folder / "bigintmeta.safetensors",
              lambda m: m.update(__raw__=json.dumps(m)[:-1] + ', "n": ' + "7" * 5000 + "}"))
    os.mkfifo(folder / "fifo.safetensors")
    (folder / "folder.safetensors").mkdir()
    (folder / "zero.safetensors").symlink_to("/dev/zero")
    return 11 + 3


@pytest.mark.timeout(120)
def test_a_library_with_malformed_files_lists_and_loads_every_good_model(capsys):
    folder = user_models_dir()
    _good(folder / "good.safetensors", "good")
    _good(folder / "other.safetensors", "other")
    count = _bad_library(folder)
    shipped = {p.stem for p in library.shipped_models_dir().glob("*.safetensors")}
    started = time.process_time()
    entries, bad = scan_library()
    assert time.process_time() - started < 5
    assert {e.name for e in entries} == shipped | {"good", "other"}
    assert len(bad) == count and all(b.reason for b in bad)
    reasons = {b.path.name: b.reason for b in bad}
    assert "nests deeper than 32 levels" in reasons["deep.safetensors"]
    assert "nests deeper than 32 levels" in reasons["deepmeta.safetensors"]
    assert "5,000 digits" in reasons["bigint.safetensors"]
    assert "5,000 digits" in reasons["bigintmeta.safetensors"]
    assert "'domain' is list, not text" in reasons["listdomain.safetensors"]
    assert "'name' is list, not text" in reasons["listname.safetensors"]
    assert "cell must be one of" in reasons["listcell.safetensors"]
    assert "not a regular file" in reasons["fifo.safetensors"]
    assert "not a regular file" in reasons["zero.safetensors"]
    assert "is a folder" in reasons["folder.safetensors"]
    for entry in entries:  # every good model loads, by name as by path
        assert load_checkpoint(find_model(entry.name)).model is not None
    # the CLI: one table, the bad files listed with why, no traceback, exit 0
    assert main(["models"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    for name in ("good", "other", *shipped):
        assert name in out
    assert out.count("unreadable: ") == count
    assert main(["models", "--json"]) == 0
    out, err = capsys.readouterr()
    assert {r["name"] for r in json.loads(out)} == shipped | {"good", "other"}
    assert err.count("unreadable: ") == count
    # an import still works beside them (a list name made every import raise "unhashable")
    source = _good(folder.parent / "new.safetensors", "new")
    assert import_model(source).name == "new"


@pytest.mark.parametrize("edit,words", [
    (lambda m: m.update(domain={"x": 1}), "'domain' is dict"),
    (lambda m: m.update(name=["a"]), "'name' is list"),
    (lambda m: m.update(created=12), "'created' is int"),
    (_deep_meta, "nests deeper"),
])
def test_loading_a_malformed_header_is_a_checkpoint_error(tmp_path, edit, words):
    path = _resigned(tmp_path / "m.safetensors", edit)
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=words):
        read_metadata(path)


def test_a_fine_header_at_the_depth_limit_still_reads(tmp_path):
    """The bound is on nesting, not on size: the real headers nest 3-5 deep."""
    nested = {"v": 1}
    for _ in range(20):  # 22 levels with the metadata's own
        nested = {"n": nested}
    path = _resigned(tmp_path / "m.safetensors", lambda m: m.update(notes=nested, big=10 ** 39))
    assert read_metadata(path)["big"] == 10 ** 39
    assert load_checkpoint(path).meta["notes"]["n"]["n"]


# -- imports ------------------------------------------------------------------------------

def _cli(*args, fsize: int | None = None, timeout: float = 60):
    """The CLI in a child process; ``fsize`` caps what it may write (RLIMIT_FSIZE), so a
    regression that copies /dev/zero fails the test instead of filling the disk."""
    def limits():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limits, env=os.environ.copy())


@pytest.mark.timeout(120)
def test_import_refuses_devices_and_fifos_at_once(tmp_path):
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    for src in ("/dev/zero", str(fifo)):
        proc = _cli("models", "--import", src, fsize=1 << 20, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert "not a regular file (a device, FIFO or socket)" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert list(user_models_dir().iterdir()) == []  # nothing copied, no temp left


@pytest.mark.timeout(120)
def test_score_and_sample_refuse_a_fifo_instead_of_hanging(tmp_path):
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    proc = _cli("score", str(fifo), "abc", timeout=60)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr


def test_import_caps_the_size_before_copying(tmp_path, monkeypatch):
    src = _good(tmp_path / "m.safetensors", "m")
    monkeypatch.setattr(library, "MAX_IMPORT_BYTES", src.stat().st_size - 1)
    with pytest.raises(CheckpointError, match="more than a checkpoint can be"):
        import_model(src)
    monkeypatch.setattr(library.shutil, "disk_usage", lambda p: type("U", (), {"free": 10})())
    monkeypatch.setattr(library, "MAX_IMPORT_BYTES", 1 << 30)
    with pytest.raises(CheckpointError, match=f"the library's disk \\({user_models_dir()}\\) has 0 MB free"):
        import_model(src)
    assert list(user_models_dir().iterdir()) == []


@pytest.mark.timeout(120)
def test_a_full_library_disk_is_named_not_the_source(tmp_path):
    src = _good(tmp_path / "m.safetensors", "m")
    size = src.stat().st_size
    proc = _cli("models", "--import", str(src), fsize=size // 2)  # writes past it: EFBIG
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write {user_models_dir()}: " in proc.stderr and "nothing was imported" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(user_models_dir().iterdir()) == []


def test_stale_import_temps_are_removed_and_live_ones_kept(tmp_path):
    import fcntl

    folder = user_models_dir()
    stale = folder / ".import-killed.tmp"
    stale.write_bytes(b"x" * 100)
    live = folder / ".import-live.tmp"
    live.write_bytes(b"y")
    with open(live, "rb") as held:  # an import in progress in another process holds its temp
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        import_model(_good(tmp_path / "m.safetensors", "m"))
        assert not stale.exists() and live.exists()
    assert sorted(p.name for p in folder.iterdir()) == [".import-live.tmp", "m.safetensors"]
