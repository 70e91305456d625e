import pickle

import pytest
import torch

from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.core.library import import_model, list_models
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab


def _save(path, half=False):
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdef")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=2, hidden=8, embedding=4))
    save_checkpoint(path, net, vocab, {"domain": "names", "name": "tiny", "history": [{"step": 1}]}, half=half)
    return net, vocab


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "m.safetensors"
    net, vocab = _save(path)
    ck = load_checkpoint(path)
    assert ck.vocab == vocab and ck.domain == "names" and ck.meta["history"] == [{"step": 1}]
    for (k, a), (_, b) in zip(net.state_dict().items(), ck.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert read_metadata(path)["name"] == "tiny"
    assert not list(tmp_path.glob("*.tmp"))  # atomic write leaves no temp file


def test_half_precision_storage_loads_as_float(tmp_path):
    path = tmp_path / "h.safetensors"
    net, _ = _save(path, half=True)
    ck = load_checkpoint(path)
    w = ck.model.head.weight
    assert w.dtype == torch.float32
    assert torch.allclose(w, net.head.weight.detach(), atol=1e-2)


def test_stored_dtypes_reads_the_header_as_safetensors_wrote_it(tmp_path):
    # the library's "half" column comes from stored_dtypes; the reference is safetensors'
    # own reader (its dtype names the header uses)
    from safetensors import safe_open

    from studio.core.checkpoint import stored_dtypes

    for half, want in ((False, {"F32"}), (True, {"F16"})):
        path = tmp_path / f"m{half}.safetensors"
        _save(path, half=half)
        with safe_open(path, "pt") as f:
            model_dtypes = {str(f.get_slice(k).get_dtype()) for k in f.keys() if k.startswith("model.")}
        assert stored_dtypes(path) == model_dtypes == want


def test_pickle_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(path)
    torch.save({"x": torch.zeros(2)}, tmp_path / "t.pt")
    with pytest.raises(CheckpointError, match="pickle/zip"):
        load_checkpoint(tmp_path / "t.pt")
    assert not marker.exists()


def test_tampered_weights_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    _save(path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # flip bits inside the tensor data
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="digest"):
        load_checkpoint(path)


def test_truncated_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    _save(path)
    data = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "cut.safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(3)}, tmp_path / "foreign.safetensors")
    with pytest.raises(CheckpointError, match="not a Sequence Studio"):
        load_checkpoint(tmp_path / "foreign.safetensors")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="too short"):
        load_checkpoint(tmp_path / "empty.safetensors")


def test_import_validates_and_changes_nothing_on_failure(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(pickle.dumps({"a": 1}))
    before = [m.path for m in list_models()]
    with pytest.raises(CheckpointError):
        import_model(bad)
    assert [m.path for m in list_models()] == before
    good = tmp_path / "good.safetensors"
    _save(good)
    entry = import_model(good)
    assert entry.path in [m.path for m in list_models()] and not entry.shipped


def test_import_copies_once_and_keeps_the_copy_it_verified(tmp_path, monkeypatch):
    """Issue 9 item 7: import checked the user's file, then copied it again (a file changed
    in between was kept unchecked). Now the file is read once, into the library folder,
    and that copy is what is loaded, verified and kept."""
    from studio.core import library

    good = tmp_path / "good.safetensors"
    _save(good)
    copies, loaded = [], []
    real_copy, real_load = library._copy_regular, library.load_checkpoint
    monkeypatch.setattr(library, "_copy_regular", lambda s, *a: copies.append(s) or real_copy(s, *a))
    monkeypatch.setattr(library, "load_checkpoint", lambda p, *a, **k: loaded.append(p) or real_load(p, *a, **k))
    entry = import_model(good)
    assert [str(c) for c in copies] == [str(good)]  # read once
    assert loaded and all(p.parent == entry.path.parent and p != good for p in loaded)  # the copy is checked
    assert entry.path.read_bytes() == good.read_bytes()  # and kept, byte for byte
