"""The model library's file operations in one process: rename, export, upgrade, delete,
and a FIFO refused at once (the window's Models tab calls these; its tests are GUI tests,
and the CLI's FIFO test runs a subprocess)."""

import os
import threading

import pytest
import torch

from studio.core import library
from studio.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from studio.core.library import (ModelEntry, delete_model, export_model, import_model, list_models,
                                 rename_model, upgrade_model)
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab
from studio.paths import user_models_dir


def _model(path, name, half=False):
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefghij")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=8, embedding=4))
    meta = {"domain": "names", "name": name, "encoding": "char-v1", "train_config": {"half_weights": half}}
    save_checkpoint(path, net, vocab, meta, half=half)
    return path


def _entry(name, half=False, card=None):
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = _model(folder / f"{name}.safetensors", name, half)
    if card is not None:
        path.with_suffix(".md").write_text(card)
    return next(m for m in list_models() if m.path == path)


def test_rename_rewrites_the_name_keeps_half_weights_and_moves_the_card():
    entry = _entry("old", half=True, card="# old card")
    new = rename_model(entry, "new one")
    assert new.path == user_models_dir() / "new one.safetensors" and new.name == "new one"
    assert not entry.path.exists() and new.card.read_text() == "# old card"
    assert load_checkpoint(new.path).meta["name"] == "new one"
    assert library._stored_half(new.path)                      # still stored in float16
    again = rename_model(new, "new one")                       # its own file name: kept in place
    assert again.path == new.path and again.path.exists()


def test_rename_onto_another_model_and_renaming_a_shipped_one_are_refused():
    a, b = _entry("a"), _entry("b")
    before = b.path.read_bytes()
    with pytest.raises(FileExistsError) as err:
        rename_model(a, "b")
    assert str(err.value) == "a model called 'b' already exists"
    assert b.path.read_bytes() == before and a.path.exists()
    shipped = ModelEntry(a.path, "a", True, a.meta)
    for op in (lambda: rename_model(shipped, "c"), lambda: delete_model(shipped)):
        with pytest.raises(PermissionError) as err:
            op()
        assert str(err.value) == "shipped models are read-only"
    assert a.path.exists()


def test_delete_removes_the_model_and_its_card():
    entry = _entry("gone", card="card")
    delete_model(entry)
    assert not entry.path.exists() and not entry.path.with_suffix(".md").exists()


def test_export_copies_the_card_beside_the_model(tmp_path):
    entry = _entry("m", card="# the card")
    dest = export_model(entry, tmp_path)
    assert dest == tmp_path / "m.safetensors" and dest.read_bytes() == entry.path.read_bytes()
    assert (tmp_path / "m.md").read_text() == "# the card"


def test_upgrade_takes_the_name_it_is_given(tmp_path):
    src = _model(tmp_path / "x.safetensors", "x")
    entry = upgrade_model(src, "given")
    assert entry.name == "given" and load_checkpoint(entry.path).meta["name"] == "given"


def test_importing_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    outcome = []

    def attempt():
        try:
            import_model(fifo)
        except Exception as exc:  # noqa: BLE001 - the test looks at which
            outcome.append(exc)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(10)
    if t.is_alive():  # blocked opening the FIFO: a writer lets it go on
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(10)
        pytest.fail("the import waited on the FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], CheckpointError)
    assert "is not a regular file (a device, FIFO or socket)" in str(outcome[0])


def _sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)                                       # no blocks written
    return path


def test_an_oversized_file_and_a_full_disk_are_refused_with_their_figures(tmp_path, monkeypatch):
    big = _sparse(tmp_path / "big.safetensors", 5 << 30)
    with pytest.raises(CheckpointError) as err:
        import_model(big)
    assert str(err.value) == f"{big}: 5.0 GiB is more than a checkpoint can be (4 GiB at most)"
    mid = _sparse(tmp_path / "mid.safetensors", 300 << 20)
    monkeypatch.setattr(library.shutil, "disk_usage", lambda p: type("U", (), {"free": 10 << 20})())
    with pytest.raises(CheckpointError) as err:
        import_model(mid)
    assert str(err.value) == (f"cannot import mid.safetensors: the library's disk ({user_models_dir()}) "
                              "has 10 MB free, the file needs 300 MB; nothing was imported")
    assert list(user_models_dir().iterdir()) == []


def test_a_file_longer_than_its_size_said_is_refused_as_grown(tmp_path, monkeypatch):
    src = _model(tmp_path / "m.safetensors", "m")
    real = os.fstat

    def shorter(fd):
        st = list(real(fd))
        st[6] -= 10                                            # st_size: as if it grew since
        return os.stat_result(st)

    monkeypatch.setattr(library.os, "fstat", shorter)
    with pytest.raises(CheckpointError) as err:
        import_model(src)
    assert str(err.value) == f"{src}: the file grew while it was imported; nothing was imported"
    assert list(user_models_dir().iterdir()) == []


def test_an_imports_temp_is_named_as_the_stale_temp_cleanup_looks_for(tmp_path, monkeypatch):
    """A kill -9 mid-import leaves the temp; the next import clears ``.import-*.tmp``."""
    src = _model(tmp_path / "m.safetensors", "m")
    seen = []

    def looking(path, **kw):
        seen.extend(p.name for p in user_models_dir().iterdir())
        return load_checkpoint(path, **kw)

    monkeypatch.setattr(library, "load_checkpoint", looking)
    import_model(src)
    assert len(seen) == 1 and seen[0].startswith(".import-") and seen[0].endswith(".tmp")
    assert list(user_models_dir().glob(".import-*.tmp")) == []


def test_a_listing_summary_takes_each_figure_from_its_part_of_the_header(tmp_path):
    meta = {"domain": "jazz", "config": {"cell": "lstm", "layers": 2, "hidden": 64},
            "metrics": {"parameters": 1234, "val_nll": 1.5}, "corpus": {"name": "wjazzd"},
            "created": "2026-12-07"}
    assert ModelEntry(tmp_path / "m.safetensors", "m", True, meta).summary() == {
        "name": "m", "domain": "jazz", "cell": "lstm", "size": "2x64", "parameters": 1234,
        "val_nll": 1.5, "corpus": "wjazzd", "created": "2026-12-07", "shipped": True,
        "path": str(tmp_path / "m.safetensors")}
    odd = ModelEntry(tmp_path / "o.safetensors", "o", False, {"metrics": [1], "corpus": "x"}).summary()
    assert (odd["parameters"], odd["corpus"], odd["size"]) == (None, None, "NonexNone")


def test_the_library_lists_by_domain_and_keeps_capitals_in_file_names(tmp_path):
    entry = _entry("mine")
    assert entry in library.list_models("names") and entry not in library.list_models("jazz")
    assert rename_model(entry, "My Model").path.name == "My Model.safetensors"


def test_an_import_under_another_name_keeps_half_weights(tmp_path):
    src = _model(tmp_path / "h.safetensors", "h", half=True)
    entry = import_model(src, "renamed half")
    assert entry.name == "renamed half" and library._stored_half(entry.path)
