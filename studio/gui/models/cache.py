"""Loaded checkpoints, shared by the tabs, loaded off the UI thread.

Loading reads and verifies the whole file (sha256 over the weights) and builds the
net: tens of milliseconds for a small model, seconds for a large one on a slow disk,
so it always goes through ``run_task``. A few recent models stay in memory, keyed by
path, device and file time, so switching tabs or re-sampling costs nothing.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Callable

from PySide6.QtCore import QObject

from studio.core.checkpoint import load_checkpoint
from studio.core.devices import resolve_device
from studio.gui.shared.workers import run_task

_KEEP = 3
_cache: "OrderedDict[tuple, tuple]" = OrderedDict()
_lock = threading.Lock()


def _key(path: str, device: str) -> tuple:
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = 0
    return (str(path), device, stamp)


def load_now(path: str, device: str = "auto"):
    """(checkpoint, device note) — blocking; call it from a worker."""
    key = _key(path, device)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    torch_device, note = resolve_device(device)
    ckpt = load_checkpoint(path, device=torch_device)
    # an older checkpoint format loads with a warning: show it where the device note goes
    note = "; ".join(filter(None, [note, *ckpt.warnings])) or None
    with _lock:
        _cache[key] = (ckpt, note)
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
    return ckpt, note


def cached(path: str, device: str = "auto"):
    """The loaded (checkpoint, note) if it is in memory already, else None."""
    with _lock:
        return _cache.get(_key(path, device))


def load_async(path: str, device: str, callback: Callable, owner: QObject | None = None) -> None:
    """``callback((ckpt, note), error)`` on the UI thread."""
    run_task(lambda: load_now(path, device), callback, owner)


def forget(path: str) -> None:
    """Drop a model that was renamed, deleted or overwritten."""
    with _lock:
        for key in [k for k in _cache if k[0] == str(path)]:
            del _cache[key]
