"""Fuzz: the checkpoint loader. Inputs: random bytes; a valid checkpoint with bytes flipped,
cut or inserted; its safetensors header edited (dtypes, shapes, offsets, metadata values,
keys) with the length fixed up; and its metadata edited *and re-signed* with the current
digest (what a tamperer with the source can do: then every value must still be checked);
and the hostile shapes of issue 23: headers or metadata nested up to 200,000 deep, integers
of up to 6,000 digits anywhere, the listed fields (name, domain, cell...) of the wrong type.
Only ``CheckpointError`` may come out, and anything that loads must be the original model,
or, for re-signed files, a model whose config, vocabulary and tensors agree. A second target
fills a model library with up to 10 such files beside two good models: the listing must
name every file (a model or unreadable, with a reason), `models` must print it, and both
good models must load by name."""

import json
import math
import struct
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core import checkpoint as C
from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.core.net import NetConfig, SequenceNet
from studio.core.vocab import Vocab


def _valid() -> bytes:
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdef")
    net = SequenceNet(NetConfig(cell="gru", vocab_size=len(vocab), layers=1, hidden=4, embedding=3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.safetensors"
        save_checkpoint(path, net, vocab, {"domain": "names", "name": "tiny", "encoding": "char-v1",
                                           "history": [{"step": 1, "val_loss": 2.0}]})
        return path.read_bytes()


VALID = _valid()
N = struct.unpack("<Q", VALID[:8])[0]
HEADER = json.loads(VALID[8:8 + N])
ORIGINAL = json.loads(HEADER["__metadata__"]["meta"])

ANY_JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                                  st.floats(allow_nan=True), st.text(max_size=8)),
                        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                        max_leaves=12)


def _pack(header: dict, data: bytes) -> bytes:
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    return struct.pack("<Q", len(blob)) + blob + data


@st.composite
def damaged(draw):
    data = bytearray(VALID)
    how = draw(st.sampled_from(["flip", "cut", "insert"]))
    if how == "flip":
        for i in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=6)):
            data[i] ^= draw(st.integers(1, 255))
    elif how == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    else:
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@st.composite
def header_edits(draw):
    header = json.loads(json.dumps(HEADER))
    names = [k for k in header if k != "__metadata__"]
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(["tensor", "meta-field", "metadata", "top"]))
        if target == "tensor":
            info = header[draw(st.sampled_from(names))]
            key = draw(st.sampled_from(["dtype", "shape", "data_offsets"]))
            info[key] = draw(st.one_of(ANY_JSON, st.sampled_from(["F16", "I64", "BF16", "U8", "F64"]),
                                       st.lists(st.integers(-1, 10**12), max_size=3)))
        elif target == "meta-field":
            md = header["__metadata__"]
            if not isinstance(md, dict):
                md = header["__metadata__"] = {}
            md[draw(st.sampled_from(["format", "format_version", "digest", "meta"]))] = \
                draw(st.one_of(st.text(max_size=12), st.sampled_from(["1", "2", "3", "sequence-studio"])))
        elif target == "metadata":
            header["__metadata__"] = draw(ANY_JSON)
        else:
            header[draw(st.text(max_size=6))] = draw(ANY_JSON)
    return _pack(header, VALID[8 + N:])


@st.composite
def resigned(draw):
    """Metadata edited and then signed with the current digest: every value must be checked."""
    meta = json.loads(json.dumps(ORIGINAL))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["config", "vocab", "top", "benign"]))
        if where == "config":
            if not isinstance(meta.get("config"), dict):
                meta["config"] = {}
            meta["config"][draw(st.sampled_from(list(meta["config"]) + ["extra"]))] = draw(
                st.one_of(ANY_JSON, st.integers(0, 1 << 17), st.sampled_from(["lstm", "rnn", "gru"])))
        elif where == "vocab":
            if not isinstance(meta.get("vocab"), dict) or not isinstance(meta["vocab"].get("tokens"), list):
                meta["vocab"] = {"kind": "char", "tokens": ["<end>", "<unk>", "a"]}
            tokens = meta["vocab"]["tokens"]
            choice = draw(st.sampled_from(["swap", "drop", "add", "kind", "junk"]))
            if choice == "swap" and len(tokens) > 3:
                i, j = draw(st.integers(2, len(tokens) - 1)), draw(st.integers(2, len(tokens) - 1))
                tokens[i], tokens[j] = tokens[j], tokens[i]
            elif choice == "drop":
                tokens.pop(draw(st.integers(0, len(tokens) - 1)))
            elif choice == "add":
                tokens.append(draw(st.text(max_size=3)))
            elif choice == "kind":
                meta["vocab"]["kind"] = draw(ANY_JSON)
            else:
                meta["vocab"] = draw(ANY_JSON)
        elif where == "top":
            meta[draw(st.sampled_from(["domain", "encoding", "history", "optimizer", "name"]))] = draw(ANY_JSON)
        else:  # edits a user could make that leave a loadable model: it must load, whole
            meta[draw(st.sampled_from(["name", "notes", "created"]))] = draw(st.text(max_size=20))
    header = json.loads(json.dumps(HEADER))
    from safetensors.torch import load as st_load

    tensors = st_load(VALID)
    meta_json = json.dumps(meta)
    header["__metadata__"].update(meta=meta_json, digest=C._digest(C.FORMAT_VERSION, meta_json, tensors))
    return _pack(header, VALID[8 + N:])


def _pack_text(header_text: str) -> bytes:
    blob = header_text.encode()
    return struct.pack("<Q", len(blob)) + blob + VALID[8 + N:]


def _resign_text(meta_text: str) -> bytes:
    from safetensors.torch import load as st_load

    header = json.loads(json.dumps(HEADER))
    header["__metadata__"].update(meta=meta_text, digest=C._digest(C.FORMAT_VERSION, meta_text,
                                                                   st_load(VALID)))
    return _pack(header, VALID[8 + N:])


@st.composite
def hostile(draw):
    """Issue 23's shapes: depth, huge integers, wrong types, each where it hurts most."""
    kind = draw(st.sampled_from(["deep", "bigint", "wrongtype"]))
    where = draw(st.sampled_from(["header", "meta"]))
    if kind == "deep":
        depth = draw(st.one_of(st.integers(1, 40), st.integers(1_000, 200_000)))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"k":', "}"), ('[{"k":', "}]")]))
        value = opener * depth + "1" + closer * depth
    elif kind == "bigint":
        value = draw(st.sampled_from(["", "-"])) + "9" * draw(st.integers(20, 6_000))
    else:
        value = json.dumps(draw(ANY_JSON.filter(lambda v: not isinstance(v, str) and v is not None)))
    if kind == "wrongtype" or (kind == "bigint" and draw(st.booleans())):
        meta = json.loads(json.dumps(ORIGINAL))
        field = draw(st.sampled_from(["name", "domain", "encoding", "created", "config", "cell",
                                      "hidden", "layers"]))
        meta_text = json.dumps(meta)
        if field in ("cell", "hidden", "layers"):
            meta_text = meta_text.replace(f'"{field}": {json.dumps(meta["config"][field])}',
                                          f'"{field}": {value}', 1)
        else:
            meta_text = json.dumps({k: v for k, v in meta.items() if k != field})[:-1] + \
                f', "{field}": {value}}}'
        return _resign_text(meta_text)
    if where == "meta":
        return _resign_text(json.dumps(ORIGINAL)[:-1] + f', "x": {value}}}')
    if draw(st.booleans()):  # in the safetensors header itself, beside the tensors
        return _pack_text(json.dumps(HEADER)[:-1] + f', "x": {value}}}')
    header = json.loads(json.dumps(HEADER))
    header["__metadata__"]["format_version"] = value  # a version string of 6,000 digits
    return _pack(header, VALID[8 + N:])


INPUTS = st.one_of(st.binary(max_size=600),
                   st.binary(max_size=300).map(lambda b: struct.pack("<Q", len(b)) + b),
                   damaged(), header_edits(), resigned(), hostile())


def _load_both(path):
    from studio.core.library import ModelEntry

    ModelEntry(path, "x", False, read_metadata(path)).summary()  # the library table's read
    return load_checkpoint(path, with_optimizer=True)


@given(INPUTS)
def test_checkpoint_loader(budget, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.safetensors"
        path.write_bytes(data)
        ck, _ = budget("checkpoint loader", (CheckpointError,))(_load_both, path, what=f"{len(data)} bytes", raw=data)
    if ck is None:
        return
    # what loads is a whole, usable model: its config, vocabulary and weights agree
    assert ck.model.config.vocab_size == len(ck.vocab)
    assert all(math.isfinite(float(p.detach().abs().max())) for p in ck.model.parameters())
    logits, _ = ck.model(torch.zeros(1, 3, dtype=torch.long))
    assert logits.shape == (1, 3, len(ck.vocab))
    assert ck.vocab.tokens == ck.meta["vocab"]["tokens"]  # the vocabulary is the stored one
    # no edit can change the weights and still load (the digest covers every byte of them)
    for k, v in REFERENCE.model.state_dict().items():
        assert torch.equal(ck.model.state_dict()[k], v), k


def load_checkpoint_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ref.safetensors"
        path.write_bytes(data)
        return load_checkpoint(path)


REFERENCE = load_checkpoint_bytes(VALID)


@pytest.mark.parametrize("data", [VALID])
def test_the_untouched_file_loads(data):
    assert load_checkpoint_bytes(data).meta["name"] == "tiny"


def _good(name: str) -> bytes:
    torch.manual_seed(1)
    vocab = Vocab.from_text("abcdef")
    net = SequenceNet(NetConfig(cell="lstm", vocab_size=len(vocab), layers=1, hidden=4, embedding=3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.safetensors"
        save_checkpoint(path, net, vocab, {"domain": "names", "name": name, "encoding": "char-v1"})
        return path.read_bytes()


GOOD = {"good-one": _good("good-one"), "good-two": _good("good-two")}


def _list_and_load(folder: Path, count: int) -> None:
    import contextlib
    import io

    from studio.cli import main
    from studio.core.library import find_model, scan_library, shipped_models_dir

    entries, bad = scan_library()
    shipped = len(list(shipped_models_dir().glob("*.safetensors")))
    assert len(entries) + len(bad) == shipped + len(GOOD) + count  # every file accounted for
    assert all(isinstance(b.reason, str) and b.reason for b in bad)
    names = [e.name for e in entries]
    assert set(GOOD) <= set(names)
    for entry in entries:
        entry.summary()
        entry.signature()
    for name in GOOD:
        assert load_checkpoint(find_model(name)).meta["name"] == name
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["models"]) == 0
    assert out.getvalue().count("unreadable: ") == len(bad)


@settings(max_examples=max(30, settings().max_examples // 3))  # each input is up to 10 files
@given(st.lists(INPUTS, min_size=1, max_size=10))
def test_library_listing_with_bad_files(budget, blobs):
    import os

    with tempfile.TemporaryDirectory() as home:
        saved = os.environ.get("SEQUENCE_STUDIO_HOME")
        os.environ["SEQUENCE_STUDIO_HOME"] = home
        try:
            folder = Path(home) / "models"
            folder.mkdir()
            for name, data in GOOD.items():
                (folder / f"{name}.safetensors").write_bytes(data)
            for i, data in enumerate(blobs):
                (folder / f"bad-{i}.safetensors").write_bytes(data)
            budget("library listing", ())(_list_and_load, folder, len(blobs),
                                          what=f"{len(blobs)} bad files, {sum(map(len, blobs))} bytes")
        finally:
            if saved is None:
                os.environ.pop("SEQUENCE_STUDIO_HOME", None)
            else:
                os.environ["SEQUENCE_STUDIO_HOME"] = saved
