"""Checkpoints: every refusal names its reason; optimizer state, extras and metadata round-trip;
writes are atomic and leave nothing behind when they fail."""

import json
import os
import pickle
import struct

import pytest
import torch
from safetensors.torch import save as st_save

from studio.core import checkpoint as C
from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab


def _model(vocab_size=8, cell="lstm"):
    torch.manual_seed(0)
    return SequenceNet(NetConfig(cell=cell, vocab_size=vocab_size, layers=1, hidden=6, embedding=4))


VOCAB = Vocab.from_text("abcdef")


def _write(path, tensors, header_meta):
    """A safetensors file with this header metadata (digest computed unless given)."""
    md = dict(header_meta)
    if md.get("format_version") == str(C.FORMAT_VERSION) and isinstance(md.get("meta"), str):
        md.setdefault("digest", C._digest(C.FORMAT_VERSION, md["meta"], tensors))  # covers the metadata
    md.setdefault("digest", C._tensor_digest(tensors))  # format 1: the tensors only
    path.write_bytes(st_save(tensors, metadata=md))
    return path


def _valid_parts(model=None, **meta_overrides):
    model = model or _model()
    tensors = {f"model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    meta = {"domain": "names", "config": model.config.to_json(), "vocab": VOCAB.to_json()}
    meta.update(meta_overrides)
    return tensors, {"format": "sequence-studio", "format_version": str(C.FORMAT_VERSION),
                     "meta": json.dumps(meta)}


def test_a_hand_built_valid_file_loads(tmp_path):
    tensors, header = _valid_parts()
    ck = load_checkpoint(_write(tmp_path / "ok.safetensors", tensors, header))
    assert ck.domain == "names" and ck.vocab == VOCAB and not ck.model.training
    assert ck.name == "ok" and ck.path == tmp_path / "ok.safetensors"
    assert ck.optimizer_state is None and ck.extras is None


@pytest.mark.parametrize("change,message", [
    (lambda t, h: h.pop("format"), "not a Sequence Studio checkpoint"),
    (lambda t, h: h.update(format="other-app"), "not a Sequence Studio checkpoint"),
    (lambda t, h: h.update(format_version="3"), "format version 3 is not supported"),
    (lambda t, h: h.update(format_version="one"), "format version one is not supported"),
    (lambda t, h: h.update(meta="{not json"), "metadata is not valid JSON"),
    (lambda t, h: h.update(meta="[1, 2]"), "metadata is not an object"),
    (lambda t, h: h.update(digest="0" * 64), "do not match their recorded digest"),
    (lambda t, h: t.pop("model.head.bias"), "weights do not fit the model"),
    (lambda t, h: t.update({"model.extra.weight": torch.zeros(2)}), "weights do not fit the model"),
    (lambda t, h: t.update({"model.head.bias": torch.zeros(9)}), r"tensor head.bias has shape \(9,\)"),
])
def test_refusals_name_the_reason(tmp_path, change, message):
    tensors, header = _valid_parts()
    change(tensors, header)
    path = _write(tmp_path / "bad.safetensors", tensors, header)
    with pytest.raises(CheckpointError, match=message) as err:
        load_checkpoint(path)
    assert str(err.value).startswith("bad.safetensors: ")


@pytest.mark.parametrize("meta,message", [
    (dict(config={"cell": "lstm", "vocab_size": 8, "colour": 1}), "invalid model description"),
    (dict(config={"cell": "tcn", "vocab_size": 8}), "invalid model description"),
    # (the fuzz harness: 65,536 layers took 0.22 s to list and were named as missing tensors)
    (dict(config={"cell": "lstm", "vocab_size": 8, "layers": 1 << 16}), "the config says 65536 layers, the weights hold"),
    # found by the fuzz harness: these said "(unhashable type: 'list')" and "float() argument ..."
    (dict(config={"cell": ["lstm"], "vocab_size": 8}), r"cell must be one of lstm, gru, rnn, not \['lstm'\]"),
    (dict(config={"cell": "lstm", "vocab_size": 8, "dropout": [0.1]}), r"dropout must be in \[0, 1\)"),
    (dict(vocab={"tokens": "abc"}), "invalid model description"),
    (dict(vocab=Vocab.from_text("abc").to_json()), "config says 8 tokens, vocabulary has 5"),
])
def test_bad_descriptions_are_refused(tmp_path, meta, message):
    tensors, header = _valid_parts(**meta)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(_write(tmp_path / "d.safetensors", tensors, header))


@pytest.mark.parametrize("data,message", [
    (b"1234567", "too short to be a checkpoint"),
    (struct.pack("<Q", 0) + b"{}", "not a safetensors checkpoint"),
    (struct.pack("<Q", C.MAX_HEADER + 1) + b"{}", "not a safetensors checkpoint"),
    (struct.pack("<Q", 100) + b'{"a": 1}', "truncated header"),
    (struct.pack("<Q", 5) + b"[1,2]", "not a safetensors checkpoint"),
    (struct.pack("<Q", 4) + b"\xff\xfe{}", "not a safetensors checkpoint"),
    (b"PK\x03\x04" + b"\0" * 40, "pickle/zip file"),
    (pickle.dumps({"weights": [1.0, 2.0]}), "pickle/zip file"),
])
def test_headers_that_are_not_checkpoints(tmp_path, data, message):
    path = tmp_path / "h.safetensors"
    path.write_bytes(data)
    for read in (load_checkpoint, read_metadata):
        with pytest.raises(CheckpointError, match=message):
            read(path)


def test_pickles_get_the_whole_explanation_and_metadata_refusals_name_the_file(tmp_path):
    path = tmp_path / "p.safetensors"
    path.write_bytes(pickle.dumps({"w": [1.0]}))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(err.value) == ("p.safetensors: this is a pickle/zip file (e.g. from torch.save); it is "
                              "refused because loading it could run code. Export weights as a Sequence "
                              "Studio checkpoint")
    tensors, header = _valid_parts()
    header.pop("format")
    with pytest.raises(CheckpointError, match="^f.safetensors: a safetensors file, but not a Sequence Studio"):
        read_metadata(_write(tmp_path / "f.safetensors", tensors, header))


def test_unreadable_paths(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="is a folder, not a checkpoint file"):
        read_metadata(tmp_path)


def test_metadata_is_read_without_the_weights(tmp_path):
    path = save_checkpoint(tmp_path / "m.safetensors", _model(), VOCAB, {"domain": "text", "name": "x"})
    meta = read_metadata(path)
    assert meta["format"] == "sequence-studio" and meta["format_version"] == C.FORMAT_VERSION
    assert meta["config"] == _model().config.to_json() and meta["vocab"] == VOCAB.to_json()
    assert meta["domain"] == "text" and meta["name"] == "x"


def test_optimizer_state_and_extras_round_trip(tmp_path):
    model = _model(cell="gru")
    opt = torch.optim.AdamW(model.parameters(), lr=0.01, betas=(0.9, 0.99))
    x = torch.randint(0, 8, (2, 5))
    for _ in range(2):
        logits, _ = model(x)
        opt.zero_grad()
        logits.sum().backward()
        opt.step()
    extras = {"torch_rng": torch.get_rng_state(), "carry_0": torch.randn(1, 2, 6)}
    path = save_checkpoint(tmp_path / "r.safetensors", model, VOCAB, {"domain": "text"},
                           optimizer_state=opt.state_dict(), extras=extras)
    assert load_checkpoint(path).optimizer_state is None  # only when asked for
    ck = load_checkpoint(path, with_optimizer=True)
    saved, loaded = opt.state_dict(), ck.optimizer_state
    assert loaded["param_groups"] == json.loads(json.dumps(saved["param_groups"]))
    assert set(loaded["state"]) == set(saved["state"])
    for pid, state in saved["state"].items():
        for key, value in state.items():
            assert torch.equal(loaded["state"][pid][key], value), (pid, key)
    fresh = torch.optim.AdamW(ck.model.parameters(), lr=0.5)
    fresh.load_state_dict(loaded)  # what the trainer does on resume
    assert fresh.param_groups[0]["lr"] == 0.01
    assert set(ck.extras) == {"torch_rng", "carry_0"}
    assert all(torch.equal(ck.extras[k], v) for k, v in extras.items())
    assert not any(k.startswith(("optimizer", "extra")) for k in ck.model.state_dict())


def test_half_storage_keeps_integer_tensors_and_loads_as_float(tmp_path):
    model = _model()
    path = save_checkpoint(tmp_path / "h.safetensors", model, VOCAB, {}, half=True,
                           extras={"steps": torch.arange(3)})
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        assert f.get_tensor("model.head.weight").dtype == torch.float16
        assert f.get_tensor("extra.steps").dtype == torch.int64
    ck = load_checkpoint(path)
    assert all(p.dtype == torch.float32 for p in ck.model.parameters())
    assert torch.equal(ck.extras["steps"], torch.arange(3))


def test_digest_covers_names_dtypes_and_shapes():
    a = {"x": torch.zeros(4)}
    assert C._tensor_digest(a) == C._tensor_digest({"x": torch.zeros(4)})
    assert C._tensor_digest(a) != C._tensor_digest({"y": torch.zeros(4)})
    assert C._tensor_digest(a) != C._tensor_digest({"x": torch.zeros(4, dtype=torch.float64)})
    assert C._tensor_digest(a) != C._tensor_digest({"x": torch.zeros(2, 2)})
    assert C._tensor_digest(a) != C._tensor_digest({"x": torch.tensor([0.0, 0.0, 0.0, 1.0])})
    assert C._tensor_digest({"e": torch.zeros(0)}) != C._tensor_digest({"e": torch.zeros(0, 1)})


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.safetensors", _model(), VOCAB, {"name": "old"})
    assert oct(path.stat().st_mode & 0o777) == "0o644"

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(C.os, "replace", no_space)
    with pytest.raises(CheckpointError, match="cannot write .*m.safetensors: the disk is full; the previous file, if any, is unchanged"):
        save_checkpoint(path, _model(), VOCAB, {"name": "new"})
    assert read_metadata(path)["name"] == "old"
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_optimizer_state_keeps_plain_values(tmp_path):
    """Optimizers may keep plain numbers in their state (older AdamW kept ``step`` as an int)."""
    model = _model()
    state = {"state": {0: {"step": 3, "exp_avg": torch.ones(2)}},
             "param_groups": [{"lr": 0.1, "params": [0]}]}
    path = save_checkpoint(tmp_path / "o.safetensors", model, VOCAB, {}, optimizer_state=state)
    loaded = load_checkpoint(path, with_optimizer=True).optimizer_state
    assert loaded["state"][0]["step"] == 3 and torch.equal(loaded["state"][0]["exp_avg"], torch.ones(2))
    assert loaded["param_groups"] == [{"lr": 0.1, "params": [0]}]


def test_digest_and_non_finite_refusals_word_for_word(tmp_path):
    damaged = "(the file was changed or damaged after it was written)"
    tensors, header = _valid_parts()
    path = _write(tmp_path / "v2.safetensors", tensors, {**header, "digest": "0" * 64})
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(err.value) == f"v2.safetensors: the weights or metadata do not match their recorded digest {damaged}"
    path = _write(tmp_path / "v1.safetensors", tensors, {**header, "format_version": "1", "digest": "0" * 64})
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, allow_format_1=True)  # (without it: refused before the digest)
    assert str(err.value) == f"v1.safetensors: the weights do not match their recorded digest {damaged}"
    tensors["model.head.bias"] = tensors["model.head.bias"].clone()
    tensors["model.head.bias"][0] = float("nan")
    path = _write(tmp_path / "nan.safetensors", tensors, header)  # a valid digest over the NaN
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(err.value) == ("nan.safetensors: weights head.bias hold NaN or infinite values (a training "
                              "run that diverged, or a damaged file); refused")
