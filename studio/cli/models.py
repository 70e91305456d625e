"""``sequence-studio models``: list the library (shipped + user), files that cannot be read
listed last with the reason; ``--import FILE`` adds one, ``--upgrade FILE`` adds a format-1
file (whose metadata its digest does not cover) re-saved in the current format."""

from __future__ import annotations

import json
import sys


def add_parser(sub):
    m = sub.add_parser("models", help="list shipped and user models")
    m.add_argument("--json", action="store_true")
    m.add_argument("--import", dest="import_path", help="validate and copy a checkpoint into the library")
    m.add_argument("--upgrade", dest="upgrade_path", metavar="FILE",
                   help="import a format-1 checkpoint (written before 2026-11) re-saved in the "
                        "current format: its vocabulary and config were never covered by its "
                        "digest, so only do this for a file you trust")
    return m


def run(args) -> int:
    from studio.core.library import import_model, scan_library, upgrade_model

    if args.import_path:
        entry = import_model(args.import_path)
        print(f"imported {entry.name} -> {entry.path}")
        return 0
    if args.upgrade_path:
        entry = upgrade_model(args.upgrade_path)
        print(f"re-saved {args.upgrade_path} in the current format (its metadata as found: "
              f"vocabulary, config) -> {entry.name}: {entry.path}")
        return 0
    entries, unreadable = scan_library()
    rows = [m.summary() for m in entries]
    for row, entry in zip(rows, entries):
        row["notes"] = model_notes(entry.meta)
    if args.json:
        print(json.dumps(rows, indent=2))
        for bad in unreadable:  # (stdout stays the list of models)
            print(f"unreadable: {bad.path}: {bad.reason}", file=sys.stderr)
        return 0
    if not rows:
        print("no models yet: train one with `sequence-studio train`")
    for r in rows:
        where = "shipped" if r["shipped"] else "user"
        val = f"{r['val_nll']:.3f}" if isinstance(r["val_nll"], (int, float)) else "-"
        notes = "".join(f"  ({n})" for n in r["notes"])
        print(f"{r['name']:<28} {r['domain'] or '?':<6} {r['cell'] or '?':<5} {r['size']:<8} "
              f"val {val:<6} {where:<7} {r['path']}{notes}")
    for bad in unreadable:  # one bad file must not hide the others: listed, with why
        print(f"unreadable: {bad.path}: {bad.reason}")
    return 0


def model_notes(meta: dict) -> list[str]:
    """What a user must know before sampling a model: a jazz model trained without chords
    (a chord-blind twin, or a corpus that had none) plays without hearing the chart."""
    if meta.get("domain") == "jazz":
        from studio.music.generate import model_plays_chords

        if not model_plays_chords(meta):
            return ["chord-blind: trained without chords"]
    return []
