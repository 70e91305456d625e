"""The model library: shipped models (read-only) and the user's own (platformdirs folder).

A file in the library is untrusted input: one that cannot be read (damaged, hand-made, not
a checkpoint) is reported by ``scan_library`` as unreadable with its reason, and every
other model still lists and loads. ``import_model`` copies only regular files, at most
``MAX_IMPORT_BYTES``, and clears the temp files of imports that were killed.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.paths import shipped_models_dir, user_models_dir

SUFFIX = ".safetensors"
MAX_IMPORT_BYTES = 4 << 30   # the largest shipped model is 7 MB; a 32x4096 LSTM is ~17 GB
STALE_IMPORT_S = 24 * 3600   # an import temp this old is a killed import's (Windows only)


@dataclass
class ModelEntry:
    path: Path
    name: str
    shipped: bool
    meta: dict

    @property
    def card(self) -> Path | None:
        card = self.path.with_suffix(".md")
        return card if card.is_file() else None

    def signature(self) -> str:
        """'signed by NAME', 'unsigned', ... (studio.core.signing; the header only)."""
        from studio.core.signing import signature_status

        return signature_status(self.path)

    def summary(self) -> dict:
        # the header is read unverified (listing must be fast): take every value as found
        cfg, metrics, corpus = (_as_dict(self.meta.get(k)) for k in ("config", "metrics", "corpus"))
        return {
            "name": str(self.name), "domain": self.meta.get("domain"), "cell": cfg.get("cell"),
            "size": f"{cfg.get('layers')}x{cfg.get('hidden')}", "parameters": metrics.get("parameters"),
            "val_nll": metrics.get("val_nll"), "corpus": corpus.get("name"),
            "created": self.meta.get("created"), "shipped": self.shipped, "path": str(self.path),
        }


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass
class Unreadable:
    """A file in the library that is not a usable model, and why (one line)."""
    path: Path
    reason: str
    shipped: bool


def _entries(folder: Path, shipped: bool, bad: list) -> list[ModelEntry]:
    out = []
    try:
        paths = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    except OSError as exc:  # an unreadable folder: the other one still lists
        bad.append(Unreadable(folder, f"cannot list the folder ({exc.strerror or exc})", shipped))
        return out
    for path in paths:
        if path.name.endswith(".last" + SUFFIX) or path.name.startswith("."):
            continue  # resume files belong to the trainer; hidden ones are temps being written
        try:
            meta = read_metadata(path)  # bounded: depth, size, numbers, field types
            _check_config(meta, path)
        except CheckpointError as exc:
            bad.append(Unreadable(path, str(exc), shipped))
            continue
        out.append(ModelEntry(path, meta.get("name") or path.stem, shipped, meta))
    return out


def _check_config(meta: dict, path: Path) -> None:
    """The model description a listing shows, checked as the loader checks it (a list
    cell broke `models` with a TypeError); nothing is built."""
    from studio.core.net import NetConfig

    try:
        NetConfig.from_json(meta["config"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{path.name}: invalid model description ({exc})") from None


def scan_library(domain: str | None = None) -> tuple[list[ModelEntry], list[Unreadable]]:
    """Every model (shipped first), and every file that looked like one but cannot be read."""
    bad: list[Unreadable] = []
    models = _entries(shipped_models_dir(), True, bad) + _entries(user_models_dir(), False, bad)
    return [m for m in models if domain is None or m.meta.get("domain") == domain], bad


def list_models(domain: str | None = None) -> list[ModelEntry]:
    return scan_library(domain)[0]


def find_model(name_or_path: str) -> Path:
    """A path as given, or a library model by name or file stem."""
    p = Path(name_or_path)
    if p.exists():
        return p
    for m in list_models():
        if name_or_path in (m.name, m.path.stem):
            return m.path
    raise FileNotFoundError(f"no model file or library model called {name_or_path!r}")


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .") or "model"
    return stem[:80]


def unique_name(name: str, models: list[ModelEntry] | None = None) -> str:
    """``name``, or ``name-2``, ``name-3``... when a library model (shipped or the user's)
    already shows that name: two models must never look the same in a list."""
    taken = {m.name for m in (list_models() if models is None else models)}
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name}-{n}"
        n += 1
    return candidate


def free_model_path(folder: Path, stem: str) -> Path:
    """``folder/stem.safetensors``, or ``stem-2``, ``stem-3``... when that is taken: a
    library model is never overwritten by a new one."""
    from studio.core.training.trainer import resume_path_for

    stem = _safe_stem(stem)
    dest = folder / (stem + SUFFIX)
    n = 2
    while dest.exists() or resume_path_for(dest).exists() or _claimed(dest):
        dest = folder / f"{stem}-{n}{SUFFIX}"
        n += 1
    return dest


def _claimed(path: Path) -> bool:
    """A run is writing there now (``studio.core.outputs``' lock file; a stale one left by
    a killed run only makes the next name be taken)."""
    return path.with_name(f".{path.name}.lock").exists()


def import_model(src, name: str | None = None) -> ModelEntry:
    """Copy a checkpoint into the user library: copied once, then the copy is loaded fully
    (never unpickled) before it takes its name, so what is verified is what is kept.

    It is listed as ``name`` (default: its own name), made unique first: an imported
    copy of a shipped model becomes e.g. ``dinos-gru-2``, never a second ``dinos-gru``.
    A renamed checkpoint is re-written (the digest then covers the new name). Only a
    regular file of at most ``MAX_IMPORT_BYTES`` is copied (``/dev/zero`` filled the disk,
    a FIFO blocked); nothing is left behind when the file is refused.
    """
    return _import(src, name)


def upgrade_model(src, name: str | None = None) -> ModelEntry:
    """``models --upgrade``: import a format-1 checkpoint, whose metadata its digest does
    not cover, re-saved in the current format. The caller has said it trusts the file."""
    return _import(src, name, allow_format_1=True)


def _import(src, name, allow_format_1: bool = False) -> ModelEntry:
    from studio.core.outputs import write_error

    src = Path(src)
    folder = user_models_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(write_error(folder, exc) + "; nothing was imported") from exc
    remove_stale_imports(folder)
    tmp = None
    try:
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".import-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise CheckpointError(write_error(folder, exc) + "; nothing was imported") from exc
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb", buffering=0) as out:  # unbuffered: no write left for close
            _lock_temp(out.fileno())  # held while it lives: another import's cleanup skips it
            _copy_regular(src, out, folder)
            try:
                ck = load_checkpoint(tmp, allow_format_1=allow_format_1)  # the reason...
            except CheckpointError as exc:  # ...worded for the file the user picked, not the copy
                raise CheckpointError(str(exc).replace(tmp.name, src.name)) from None
            name = unique_name((name or "").strip() or ck.meta.get("name") or src.stem)
            dest = free_model_path(folder, name)
            if name == ck.meta.get("name") and not ck.warnings:
                os.replace(tmp, dest)  # the verified copy, byte for byte
            else:
                meta = {k: v for k, v in ck.meta.items() if k not in ("format", "format_version")}
                meta["name"] = name
                # extras too: a jazz model's training fingerprint (eval's copy figure) travels
                save_checkpoint(dest, ck.model, ck.vocab, meta, half=_stored_half(tmp),
                                extras=ck.extras)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return ModelEntry(dest, name, False, read_metadata(dest))


def _copy_regular(src: Path, out, folder: Path) -> None:
    """Copy ``src`` into the open temp file: a regular file only (opened without blocking,
    so a FIFO is refused, not waited on), at most ``MAX_IMPORT_BYTES``, and only when the
    library's disk has room. Read errors name the source, write errors the library."""
    from studio.core.outputs import write_error

    try:
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError)) or os.path.isdir(src):
            what = "is a folder, not a checkpoint file" if os.path.isdir(src) else "no such file"
            raise CheckpointError(f"{src}: {what}") from None
        raise CheckpointError(f"{src}: cannot read ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise CheckpointError(f"{src}: is a folder, not a checkpoint file")
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(f"{src}: is not a regular file (a device, FIFO or socket); "
                                  "only checkpoint files can be imported")
        if info.st_size > MAX_IMPORT_BYTES:
            raise CheckpointError(f"{src}: {info.st_size / 2**30:.1f} GiB is more than a "
                                  f"checkpoint can be ({MAX_IMPORT_BYTES >> 30} GiB at most)")
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = None
        if free is not None and info.st_size > free:
            raise CheckpointError(f"cannot import {src.name}: the library's disk ({folder}) has "
                                  f"{free / 2**20:.0f} MB free, the file needs "
                                  f"{info.st_size / 2**20:.0f} MB; nothing was imported")
        left = info.st_size + 1  # a file that grows while copied is cut off and then refused
        while left > 0:
            try:
                chunk = f.read(min(left, 1 << 20))
            except OSError as exc:
                raise CheckpointError(f"{src}: cannot read ({exc.strerror or exc})") from exc
            if not chunk:
                break
            left -= len(chunk)
            if left <= 0:
                raise CheckpointError(f"{src}: the file grew while it was imported; nothing "
                                      "was imported")
            view = memoryview(chunk)
            try:
                while view:  # a raw write may be short (the disk filling up)
                    view = view[out.write(view):]
            except OSError as exc:
                raise CheckpointError(write_error(folder, exc) + "; nothing was imported") from exc


def _lock_temp(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale_imports(folder: Path) -> int:
    """Delete ``.import-*.tmp`` files that no live import holds (a kill -9 left them, and
    nothing ever cleaned them). A live import keeps a lock on its temp; without ``fcntl``
    (Windows, where an open file cannot be deleted anyway) only day-old temps go."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    removed = 0
    for tmp in folder.glob(".import-*.tmp"):
        try:
            if fcntl is None:
                if time.time() - tmp.stat().st_mtime > STALE_IMPORT_S:
                    tmp.unlink()
                    removed += 1
                continue
            with open(tmp, "rb") as f:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # an import in progress
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _stored_half(path: Path) -> bool:
    from studio.core.checkpoint import stored_dtypes

    return "F16" in stored_dtypes(path)


def export_model(entry: ModelEntry, dest, force: bool = False) -> Path:
    """Copy a model (and its card) out of the library: atomically, and over an existing
    file only with ``force`` (the window's save dialog has asked; studio.core.outputs)."""
    from studio.core.outputs import OutputClaim, write_file

    dest = Path(dest)
    if dest.is_dir():
        dest = dest / entry.path.name
    with OutputClaim(dest, force=force, model=True) as claim:
        claim.write(lambda tmp: shutil.copyfile(entry.path, tmp))
    if entry.card:
        write_file(dest.with_suffix(".md"), lambda tmp: shutil.copyfile(entry.card, tmp), force=force)
    return dest


def rename_model(entry: ModelEntry, new_name: str) -> ModelEntry:
    if entry.shipped:
        raise PermissionError("shipped models are read-only")
    dest = entry.path.with_name(_safe_stem(new_name) + SUFFIX)
    if dest.exists() and dest != entry.path:
        raise FileExistsError(f"a model called {dest.stem!r} already exists")
    ck = load_checkpoint(entry.path)
    ck.meta["name"] = new_name
    save_checkpoint(dest, ck.model, ck.vocab, ck.meta,
                    half=bool(ck.meta.get("train_config", {}).get("half_weights")), extras=ck.extras)
    if dest != entry.path:
        entry.path.unlink()
        if entry.card:
            entry.card.rename(dest.with_suffix(".md"))
    return ModelEntry(dest, new_name, False, read_metadata(dest))


def sign_model(path, key_path) -> str:
    """Sign a checkpoint file in place with an Ed25519 private key (``studio.core.signing``):
    verified whole first (a damaged or refused file is never signed), then re-written
    atomically with the signature in its header. Returns the signer's public key line."""
    from studio.core.checkpoint import FORMAT_VERSION
    from studio.core.outputs import OutputClaim
    from studio.core.signing import SigningError, signed_bytes

    path = Path(path)
    ck = load_checkpoint(path)
    if ck.meta.get("format_version") != FORMAT_VERSION:
        raise SigningError(f"{path.name}: only current-format checkpoints can be signed")
    with OutputClaim(path, force=True, model=True) as claim:
        data, line = signed_bytes(path.read_bytes(), key_path)
        claim.write(lambda tmp: tmp.write_bytes(data))
    return line


def delete_model(entry: ModelEntry) -> None:
    if entry.shipped:
        raise PermissionError("shipped models are read-only")
    entry.path.unlink(missing_ok=True)
    if entry.card:
        entry.card.unlink()
