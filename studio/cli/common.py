"""Small pieces several verbs share: the --device flag and loading a model by name or path."""

from __future__ import annotations

import sys


def add_device(p) -> None:
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps (default auto)")


def load_model(args):
    """The checkpoint named by ``args.model`` (a path or a library name) on ``args.device``."""
    from studio.core.checkpoint import load_checkpoint
    from studio.core.devices import resolve_device
    from studio.core.library import find_model

    device, note = resolve_device(getattr(args, "device", "auto"))
    if note:
        print(note, file=sys.stderr)
    ck = load_checkpoint(find_model(args.model), device=device)
    for warning in ck.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return ck
