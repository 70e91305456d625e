"""Issue 9 item 4: the digest covers the metadata too, NaN/inf weights are refused.
Issue 23 item 4: a format-1 file (digest over the weights only) is refused by every loader,
so relabelling an edited file "1" gains nothing; `models --upgrade` re-saves a trusted one."""

import json
import math
import struct

import pytest
import torch

from studio.core import checkpoint as C
from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab


def _save(path, **meta):
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdef")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=8, embedding=4))
    save_checkpoint(path, net, vocab, {"domain": "names", "name": "tiny", **meta})
    return net, vocab


def _rewrite_header(path, change):
    """Edit the safetensors header in place (keeping the tensor bytes), as a tamperer would."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    change(header)
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + data[8 + n:])


def _edit_meta(path, change):
    def edit(header):
        meta = json.loads(header["__metadata__"]["meta"])
        change(meta)
        header["__metadata__"]["meta"] = json.dumps(meta)
    _rewrite_header(path, edit)


def test_swapped_vocabulary_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    _save(path)

    def swap(meta):
        tokens = meta["vocab"]["tokens"]
        a, e = tokens.index("a"), tokens.index("e")
        tokens[a], tokens[e] = tokens[e], tokens[a]
    _edit_meta(path, swap)
    with pytest.raises(CheckpointError, match="metadata|digest"):
        load_checkpoint(path)


@pytest.mark.parametrize("change", [
    lambda m: m.update(encoding="char-v9"),
    lambda m: m["config"].update(dropout=0.5),
    lambda m: m.update(domain="text"),
    lambda m: m.update(name="someone else's"),
])
def test_any_metadata_change_is_refused(tmp_path, change):
    path = tmp_path / "m.safetensors"
    _save(path)
    _edit_meta(path, change)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_refused_at_load(tmp_path, bad):
    vocab = Vocab.from_text("abcdef")
    net = SequenceNet(NetConfig(cell="lstm", vocab_size=len(vocab), layers=1, hidden=8, embedding=4))
    with torch.no_grad():
        net.head.weight[2, 3] = bad
    path = tmp_path / "nan.safetensors"
    save_checkpoint(path, net, vocab, {"domain": "names"})
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(path)


def _as_format_1(path):
    """What version 1 wrote: the digest over the tensors only."""
    from safetensors.torch import load_file

    tensors = load_file(path)

    def downgrade(header):
        md = header["__metadata__"]
        md["format_version"] = "1"
        meta = json.loads(md["meta"])
        meta["format_version"] = 1
        md["meta"] = json.dumps(meta)
        md["digest"] = C._tensor_digest(tensors)
    _rewrite_header(path, downgrade)


def test_format_1_files_are_refused_and_upgrade_re_saves_them(tmp_path):
    from studio.core.library import import_model, upgrade_model

    path = tmp_path / "old.safetensors"
    net, vocab = _save(path)
    _as_format_1(path)
    with pytest.raises(CheckpointError, match=r"format 1\).*models --upgrade"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"format 1\)"):
        import_model(path)  # a plain import does not vouch for unchecked metadata
    assert read_metadata(path)["name"] == "tiny"  # still listed (the listing says nothing verified)
    entry = upgrade_model(path)  # the explicit command: re-written in the current format
    upgraded = load_checkpoint(entry.path)
    assert upgraded.warnings == [] and upgraded.meta["format_version"] == C.FORMAT_VERSION
    assert upgraded.vocab == vocab
    for k, v in net.state_dict().items():
        assert torch.equal(upgraded.model.state_dict()[k], v), k
    # a format-1 file whose weights changed is refused even by --upgrade
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="digest"):
        load_checkpoint(path, allow_format_1=True)


def test_a_downgrade_to_format_1_with_edited_metadata_is_refused(tmp_path):
    """The attack of issue 23: swap two vocabulary letters, relabel the file format 1 and
    put the (unchanged) tensor digest in: it was accepted with only a warning."""
    path = tmp_path / "m.safetensors"
    _save(path)
    from safetensors.torch import load_file

    tensors = load_file(path)

    def downgrade_and_swap(header):
        md = header["__metadata__"]
        meta = json.loads(md["meta"])
        tokens = meta["vocab"]["tokens"]
        i, j = tokens.index("a"), tokens.index("e")
        tokens[i], tokens[j] = tokens[j], tokens[i]
        md.update(format_version="1", meta=json.dumps(meta), digest=C._tensor_digest(tensors))
    _rewrite_header(path, downgrade_and_swap)
    with pytest.raises(CheckpointError, match=r"older checkpoint \(format 1\)"):
        load_checkpoint(path)


def test_expected_shapes_match_the_built_net():
    import itertools

    from studio.core.net import expected_shapes

    for cell, layers, hidden in itertools.product(("lstm", "gru", "rnn"), (1, 3), (4, 9)):
        config = NetConfig(cell=cell, vocab_size=11, layers=layers, hidden=hidden, embedding=5)
        built = {k: tuple(v.shape) for k, v in SequenceNet(config).state_dict().items()}
        assert expected_shapes(config) == built


@pytest.mark.timeout(30)
def test_a_resigned_config_asking_for_a_huge_net_is_refused_without_building_it(tmp_path):
    """A tamperer who re-signs the digest can still not make the loader allocate 2**48 weights."""
    from safetensors.torch import load_file

    path = tmp_path / "m.safetensors"
    _save(path)
    tensors = load_file(path)

    def resign(header):
        md = header["__metadata__"]
        meta = json.loads(md["meta"])
        meta["config"].update(layers=1 << 16, hidden=1 << 16)
        md["meta"] = json.dumps(meta)
        md["digest"] = C._digest(C.FORMAT_VERSION, md["meta"], tensors)
    _rewrite_header(path, resign)
    with pytest.raises(CheckpointError, match="the config says 65536 layers, the weights hold 1"):
        load_checkpoint(path)


def test_a_refused_import_names_the_users_file_and_leaves_nothing(tmp_path):
    from studio.core.library import import_model
    from studio.paths import user_models_dir

    bad = tmp_path / "evil.safetensors"
    bad.write_bytes(b"\x80\x04junk and more junk")
    with pytest.raises(CheckpointError, match=r"^evil\.safetensors: this is a pickle"):
        import_model(bad)
    assert list(user_models_dir().iterdir()) == []
