"""Issue 23 item 4, going further: the digest is unkeyed (anyone who edits a file can
recompute it), so shared models can carry an Ed25519 signature over it. A signed model
edited afterwards is refused even with a recomputed digest; the listing says "signed by
NAME" only for a key the user trusts, and "unsigned" where there is no signature."""

import json
import struct

import pytest
import torch

from studio.cli import main
from studio.core import checkpoint as C
from studio.core import signing
from studio.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from studio.core.library import list_models, sign_model
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab
from studio.paths import shipped_models_dir, user_models_dir


def _model(path, name="shared"):
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefgh")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=8, embedding=4))
    save_checkpoint(path, net, vocab, {"domain": "names", "name": name, "encoding": "char-v1"})
    return path


def _header(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def _write(path, header, body):
    blob = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + body)


def _entry(name):
    return next(m for m in list_models() if m.name == name)


def test_sign_trust_and_list(tmp_path, capsys):
    key = tmp_path / "alice.key"
    assert main(["models", "--new-key", str(key)]) == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert main(["models", "--new-key", str(key)]) == 2  # kept without --force
    model = _model(user_models_dir() / "shared.safetensors")
    header_before, body_before = _header(model)
    assert _entry("shared").signature() == "unsigned"
    assert main(["models", "--sign", str(key), "shared"]) == 0
    header_after, body_after = _header(model)
    md_before, md_after = header_before["__metadata__"], header_after["__metadata__"]
    assert body_after == body_before  # every tensor byte as it was
    assert md_after["digest"] == md_before["digest"] and md_after["meta"] == md_before["meta"]
    public = signing.read_public(tmp_path / "alice.key.pub")
    assert _entry("shared").signature() == f"signed by an untrusted key {signing.key_id(public)}"
    load_checkpoint(model)
    capsys.readouterr()
    assert main(["models", "--trust", str(tmp_path / "alice.key.pub"), "--as", "Alice"]) == 0
    assert _entry("shared").signature() == "signed by Alice"
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("shared "))
    assert "(signed by Alice)" in line
    shipped = next(l for l in out.splitlines() if l.startswith("dinos-gru "))
    assert "(unsigned)" in shipped
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["shared"]["signature"] == "signed by Alice"


def test_an_edit_after_signing_is_refused_even_with_a_recomputed_digest(tmp_path):
    key = tmp_path / "k"
    signing.new_key(key)
    model = _model(tmp_path / "m.safetensors")
    sign_model(model, key)
    header, body = _header(model)
    md = header["__metadata__"]
    meta = json.loads(md["meta"])
    tokens = meta["vocab"]["tokens"]
    i, j = tokens.index("a"), tokens.index("e")
    tokens[i], tokens[j] = tokens[j], tokens[i]  # the vocabulary swap of issue 23
    from safetensors.torch import load as st_load

    md["meta"] = json.dumps(meta)
    md["digest"] = C._digest(C.FORMAT_VERSION, md["meta"], st_load(model.read_bytes()))
    _write(model, header, body)
    with pytest.raises(CheckpointError, match="its signature does not match .*changed after it was signed"):
        load_checkpoint(model)
    assert signing.signature_status(model).startswith("bad signature: its signature does not match")
    # stripping the signature makes an unsigned file, and the listing says so
    header, body = _header(model)
    header["__metadata__"].pop("signature")
    _write(model, header, body)
    assert signing.signature_status(model) == "unsigned"
    load_checkpoint(model)
    # signing it again with another key is possible, but it is then that key's signature
    signing.trust_key(tmp_path / "k.pub", "Alice")
    other = tmp_path / "mallory"
    signing.new_key(other)
    sign_model(model, other)
    assert signing.signature_status(model).startswith("signed by an untrusted key")


def test_keys_and_signatures_that_are_not_refused_as_one_line(tmp_path, capsys):
    (tmp_path / "bad.pub").write_text("ed25519:not-base64!\n")
    assert main(["models", "--trust", str(tmp_path / "bad.pub"), "--as", "x"]) == 2
    assert "not an Ed25519 public key" in capsys.readouterr().err
    (tmp_path / "bad.key").write_text("junk")
    model = _model(user_models_dir() / "m.safetensors", "m")
    assert main(["models", "--sign", str(tmp_path / "bad.key"), "m"]) == 2
    assert "not an unencrypted PEM private key" in capsys.readouterr().err
    signing.new_key(tmp_path / "k")
    assert main(["models", "--sign", str(tmp_path / "k"), "dinos-gru"]) == 2  # shipped: read-only
    assert "shipped model" in capsys.readouterr().err
    header, body = _header(model)
    header["__metadata__"]["signature"] = '{"scheme": "rsa"}'
    _write(model, header, body)
    with pytest.raises(CheckpointError, match="malformed or of an unknown scheme"):
        load_checkpoint(model)


def test_shipped_models_stay_unsigned_and_valid():
    for path in shipped_models_dir().glob("*.safetensors"):
        assert signing.signature_status(path) == "unsigned"
        load_checkpoint(path)
