"""The model library: shipped models (read-only) and the user's own (platformdirs folder)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from studio.core.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from studio.paths import shipped_models_dir, user_models_dir

SUFFIX = ".safetensors"


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


def _entries(folder: Path, shipped: bool) -> list[ModelEntry]:
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if path.name.endswith(".last" + SUFFIX):  # resume files belong to the trainer
            continue
        try:
            meta = read_metadata(path)
        except CheckpointError:
            continue  # a stray file is not a model; import reports reasons, listing skips
        out.append(ModelEntry(path, meta.get("name") or path.stem, shipped, meta))
    return out


def list_models(domain: str | None = None) -> list[ModelEntry]:
    models = _entries(shipped_models_dir(), True) + _entries(user_models_dir(), False)
    return [m for m in models if domain is None or m.meta.get("domain") == domain]


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
    while dest.exists() or resume_path_for(dest).exists():
        dest = folder / f"{stem}-{n}{SUFFIX}"
        n += 1
    return dest


def import_model(src, name: str | None = None) -> ModelEntry:
    """Copy a checkpoint into the user library: copied once, then the copy is loaded fully
    (never unpickled) before it takes its name, so what is verified is what is kept.

    It is listed as ``name`` (default: its own name), made unique first: an imported
    copy of a shipped model becomes e.g. ``dinos-gru-2``, never a second ``dinos-gru``.
    A renamed or format-1 checkpoint is re-written in the current format (the digest then
    covers the metadata too). Nothing is left behind when the file is refused.
    """
    src = Path(src)
    folder = user_models_dir()
    fd, tmp_name = tempfile.mkstemp(prefix=".import-", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            shutil.copyfile(src, tmp)
        except IsADirectoryError:
            raise CheckpointError(f"{src}: is a folder, not a checkpoint file") from None
        try:
            ck = load_checkpoint(tmp)  # CheckpointError with the reason...
        except CheckpointError as exc:  # ...worded for the file the user picked, not the copy
            raise CheckpointError(str(exc).replace(tmp.name, src.name)) from None
        name = unique_name((name or "").strip() or ck.meta.get("name") or src.stem)
        dest = free_model_path(folder, name)
        if name == ck.meta.get("name") and not ck.warnings:
            os.replace(tmp, dest)  # the verified copy, byte for byte
        else:
            meta = {k: v for k, v in ck.meta.items() if k not in ("format", "format_version")}
            meta["name"] = name
            # extras too: a jazz model's training fingerprint (eval's copy figure) travels with it
            save_checkpoint(dest, ck.model, ck.vocab, meta, half=_stored_half(tmp), extras=ck.extras)
    finally:
        tmp.unlink(missing_ok=True)
    return ModelEntry(dest, name, False, read_metadata(dest))


def _stored_half(path: Path) -> bool:
    from studio.core.checkpoint import stored_dtypes

    return "F16" in stored_dtypes(path)


def export_model(entry: ModelEntry, dest) -> Path:
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / entry.path.name
    shutil.copyfile(entry.path, dest)
    if entry.card:
        shutil.copyfile(entry.card, dest.with_suffix(".md"))
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


def delete_model(entry: ModelEntry) -> None:
    if entry.shipped:
        raise PermissionError("shipped models are read-only")
    entry.path.unlink(missing_ok=True)
    if entry.card:
        entry.card.unlink()
