"""One-file checkpoints: safetensors weights + JSON metadata. Loading never unpickles.

Layout of a checkpoint file (a plain safetensors file):
- tensors ``model.*`` (the SequenceNet state dict) and, in resume files only, ``optim.*``
  (AdamW moments, flattened);
- string metadata ``format`` = ``sequence-studio``, ``format_version``, ``meta`` (JSON:
  domain, config, vocabulary, encoding, history, metrics, corpus, dates) and ``digest``.

The digest (format 2) is sha256 over the format version, the ``meta`` string exactly as
stored and every tensor (name, dtype, shape, bytes): a changed byte anywhere, weights or
vocabulary or config, is caught instead of silently sampled. Format 1 (before 2026-11)
covered the tensors only, so anyone could edit a format-2 file's metadata and relabel it
"1" with the old digest: such files are refused by ``load_checkpoint`` unless the caller
asks for them (``allow_format_1``, only ``models --upgrade``, which re-saves one after saying
what it does not check). The digest is unkeyed: it catches damage, not a tamperer who
recomputes it; ``studio.core.signing`` adds optional Ed25519 signatures for that.

Headers are untrusted input: read only from regular files (a FIFO or a device is refused,
never opened for blocking reads), bounded in size, nesting depth and integer length before
``json`` sees them, and the metadata fields a library listing shows must have their types.
Weights that are NaN or infinite are refused.

Writes are atomic: a temp file in the same folder, fsync, then ``os.replace``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from studio.core.header import (MAX_HEADER, MAX_INT_DIGITS, CheckpointError,  # noqa: F401
                                _not_safetensors, bounded_json, header_from, open_regular)
from studio.core.net import NetConfig, SequenceNet, expected_shapes
from studio.core.vocab import Vocab, VocabError

FORMAT = "sequence-studio"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)   # 1: digest over tensors only (only with allow_format_1)
TEXT_FIELDS = ("name", "domain", "encoding", "created")  # what a listing shows as text


@dataclass
class Checkpoint:
    model: SequenceNet
    vocab: Vocab
    meta: dict
    path: Path | None = None
    optimizer_state: dict | None = None
    extras: dict | None = None  # extra.* tensors of resume files (carried state, RNG)
    warnings: list[str] = field(default_factory=list)  # e.g. an older format's weaker digest

    @property
    def domain(self) -> str:
        return self.meta.get("domain", "")

    @property
    def name(self) -> str:
        return self.meta.get("name") or (self.path.stem if self.path else "model")


def save_checkpoint(path, model: SequenceNet, vocab: Vocab, meta: dict,
                    optimizer_state: dict | None = None, half: bool = False,
                    extras: dict | None = None) -> Path:
    path = Path(path)
    meta = dict(meta)
    meta.update(format=FORMAT, format_version=FORMAT_VERSION,
                config=model.config.to_json(), vocab=vocab.to_json())
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().to("cpu")
        tensors[f"model.{k}"] = (v.half() if half and v.is_floating_point() else v).contiguous()
    if optimizer_state is not None:
        flat, layout = _flatten_optimizer(optimizer_state)
        tensors.update(flat)
        meta["optimizer"] = layout
    for k, v in (extras or {}).items():
        tensors[f"extra.{k}"] = v.detach().to("cpu").contiguous()
    meta_json = json.dumps(meta)
    header = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
              "meta": meta_json, "digest": _digest(FORMAT_VERSION, meta_json, tensors)}
    data = st_save(tensors, metadata=header)
    _atomic_write(path, data)
    return path


def read_metadata(path) -> dict:
    """The metadata only, from the header: fast enough for a library table."""
    path = Path(path)
    header = _read_header(path)
    return _parse_meta(header.get("__metadata__") or {}, path)


def stored_dtypes(path) -> set[str]:
    """The safetensors dtypes of the model's tensors ("F32", "F16"), from the header."""
    header = _read_header(Path(path))
    return {v.get("dtype") for k, v in header.items()
            if k.startswith("model.") and isinstance(v, dict)}


def load_checkpoint(path, device="cpu", with_optimizer: bool = False,
                    allow_format_1: bool = False) -> Checkpoint:
    """The whole model, verified. ``allow_format_1``: accept a format-1 file (its metadata
    is not covered by its digest); only ``models --upgrade`` asks, to re-save one."""
    path = Path(path)
    with open_regular(path) as f:
        header = header_from(f, path)  # clear errors for non-safetensors files before parsing
        try:
            f.seek(0)
            raw = f.read()
            tensors = st_load(raw)
        except (SafetensorError, ValueError, OSError) as exc:
            raise CheckpointError(f"{path.name}: damaged or truncated checkpoint ({exc})") from exc
    md = header.get("__metadata__") or {}
    meta = _parse_meta(md, path)
    version = _version(md)
    warnings = []
    if version == 1:
        if not allow_format_1:  # else anyone could edit a file and relabel it "1"
            raise CheckpointError(
                f"{path.name} is an older checkpoint (format 1): its digest covers the weights but "
                "not the metadata (vocabulary, config), so an edited file would pass; if you trust "
                f"where it came from, re-save it with `sequence-studio models --upgrade {path}`")
        if md.get("digest") != _tensor_digest(tensors):
            raise CheckpointError(f"{path.name}: the weights do not match their recorded digest "
                                  "(the file was changed or damaged after it was written)")
        warnings.append(f"{path.name} is an older checkpoint (format 1): its weights are "
                        "checked but its metadata (vocabulary, config, encoding) is not covered "
                        "by the digest")
    elif md.get("digest") != _digest(version, md.get("meta", ""), tensors):
        raise CheckpointError(f"{path.name}: the weights or metadata do not match their recorded "
                              "digest (the file was changed or damaged after it was written)")
    if md.get("signature") is not None:  # optional; when present it must hold (core/signing.py)
        from studio.core.signing import SigningError, check_signature

        try:
            check_signature(md)
        except SigningError as exc:
            raise CheckpointError(f"{path.name}: {exc}") from None
    try:
        config = NetConfig.from_json(meta["config"])
        vocab = Vocab.from_json(meta["vocab"])
    except (KeyError, TypeError, ValueError, VocabError) as exc:
        raise CheckpointError(f"{path.name}: invalid model description ({exc})") from exc
    if config.vocab_size != len(vocab):
        raise CheckpointError(f"{path.name}: config says {config.vocab_size} tokens, "
                              f"vocabulary has {len(vocab)}")
    weights = {k[6:]: v.float() if v.is_floating_point() else v
               for k, v in tensors.items() if k.startswith("model.")}
    stored_layers = sum(1 for k in weights if k.startswith("rnn.weight_ih_l"))
    if stored_layers != config.layers:  # before listing 4 x 65,536 names a config may ask for
        raise CheckpointError(f"{path.name}: the config says {config.layers} layers, the "
                              f"weights hold {stored_layers}")
    expected = expected_shapes(config)  # checked before the net is built (allocated)
    missing = set(expected) - set(weights)
    extra = set(weights) - set(expected)
    if missing or extra:
        raise CheckpointError(f"{path.name}: weights do not fit the model "
                              f"(missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]})")
    for k, v in weights.items():
        if tuple(v.shape) != expected[k]:
            raise CheckpointError(f"{path.name}: tensor {k} has shape {tuple(v.shape)}, "
                                  f"the config needs {expected[k]}")
        if v.is_floating_point() and not np.isfinite(v.numpy()).all():  # (numpy: no thread pool)
            raise CheckpointError(f"{path.name}: weights {k} hold NaN or infinite values (a "
                                  "training run that diverged, or a damaged file); refused")
    model = SequenceNet(config)
    model.load_state_dict(weights, assign=True)  # adopt the loaded tensors: no copy
    model.to(device).eval()
    optimizer_state = None
    if with_optimizer and "optimizer" in meta:
        try:
            optimizer_state = _unflatten_optimizer(tensors, meta["optimizer"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{path.name}: the optimizer state of this resume file is "
                                  f"malformed ({type(exc).__name__})") from exc
    extras = {k[6:]: v for k, v in tensors.items() if k.startswith("extra.")}
    return Checkpoint(model=model, vocab=vocab, meta=meta, path=path,
                      optimizer_state=optimizer_state, extras=extras or None, warnings=warnings)


# -- internals ----------------------------------------------------------------------------

def _read_header(path: Path) -> dict:
    with open_regular(path) as f:
        return header_from(f, path)


def _parse_meta(md, path: Path) -> dict:
    if not isinstance(md, dict) or not isinstance(md.get("meta", ""), str):
        raise CheckpointError(f"{path.name}: a safetensors file with malformed metadata")
    if md.get("format") != FORMAT:
        raise CheckpointError(f"{path.name}: a safetensors file, but not a Sequence Studio "
                              "checkpoint (no 'sequence-studio' format tag)")
    if _version(md) not in READABLE_VERSIONS:
        newer = _version(md) > FORMAT_VERSION
        raise CheckpointError(f"{path.name}: checkpoint format version {md.get('format_version')}"
                              f" is not supported (this app reads versions "
                              f"{', '.join(map(str, READABLE_VERSIONS))}"
                              f"{'; it was written by a newer Sequence Studio' if newer else ''})")
    meta = bounded_json(md.get("meta", ""), path, "metadata",
                         f"{path.name}: metadata is not valid JSON")
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path.name}: metadata is not an object")
    for key in TEXT_FIELDS:  # a list name broke every import (unhashable), a list domain `models`
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise CheckpointError(f"{path.name}: its metadata {key!r} is {type(meta[key]).__name__}, "
                                  "not text (a damaged or hand-made file)")
    return meta


def _version(md: dict) -> int:
    text = str(md.get("format_version", "0"))
    if len(text) > MAX_INT_DIGITS:  # int() of 5,000 digits raises past Python's own limit
        return -1
    try:
        return int(text)
    except ValueError:
        return -1


def _digest(version: int, meta_json: str, tensors: dict) -> str:
    """Format 2: the version, the stored metadata string and the tensors, all in one hash."""
    h = hashlib.sha256()
    h.update(f"sequence-studio/{version}\0".encode())
    h.update(meta_json.encode("utf-8", "surrogatepass") + b"\0")
    h.update(_tensor_digest(tensors).encode())
    return h.hexdigest()


def _tensor_digest(tensors: dict) -> str:
    """Format 1's digest: every tensor's name, dtype, shape and bytes."""
    h = hashlib.sha256()
    for k in sorted(tensors):
        t = tensors[k]
        h.update(k.encode())
        h.update(str(t.dtype).encode() + str(tuple(t.shape)).encode())
        h.update(t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    from studio.core.outputs import write_error

    tmp = None
    try:  # the temp file inside the guard: a read-only folder raised a bare OSError here
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a model file is ordinary user data
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise CheckpointError(f"{write_error(path, exc)}; the previous file, if any, is "
                              "unchanged") from exc


def _flatten_optimizer(state: dict) -> tuple[dict, dict]:
    """torch optimizer state_dict -> flat tensors + JSON layout (no pickling)."""
    flat, per_param = {}, {}
    for pid, pstate in state["state"].items():
        entry = {}
        for key, value in pstate.items():
            if torch.is_tensor(value):
                flat[f"optim.{pid}.{key}"] = value.detach().to("cpu").contiguous()
                entry[key] = "tensor"
            else:
                entry[key] = value
        per_param[str(pid)] = entry
    return flat, {"param_groups": state["param_groups"], "state": per_param}


def _unflatten_optimizer(tensors: dict, layout: dict) -> dict:
    state = {}
    for pid, entry in layout["state"].items():
        state[int(pid)] = {k: tensors[f"optim.{pid}.{k}"] if v == "tensor" else v
                           for k, v in entry.items()}
    return {"state": state, "param_groups": layout["param_groups"]}
