"""``sequence-studio models``: list the library (shipped + user); ``--import FILE`` adds one."""

from __future__ import annotations

import json


def add_parser(sub):
    m = sub.add_parser("models", help="list shipped and user models")
    m.add_argument("--json", action="store_true")
    m.add_argument("--import", dest="import_path", help="validate and copy a checkpoint into the library")
    return m


def run(args) -> int:
    from studio.cli.common import shown
    from studio.core.library import import_model, list_models

    if args.import_path:
        entry = import_model(args.import_path)
        print(f"imported {shown(entry.name)} -> {shown(entry.path)}")
        return 0
    entries = list_models()
    rows = [m.summary() for m in entries]
    for row, entry in zip(rows, entries):
        row["notes"] = model_notes(entry.meta)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no models yet: train one with `sequence-studio train`")
    for r in rows:
        where = "shipped" if r["shipped"] else "user"
        val = f"{r['val_nll']:.3f}" if isinstance(r["val_nll"], (int, float)) else "-"
        notes = "".join(f"  ({shown(n)})" for n in r["notes"])
        # every value comes from a file's header: escaped, so none can drive the terminal
        print(f"{shown(r['name']):<28} {shown(r['domain'] or '?'):<6} {shown(r['cell'] or '?'):<5} "
              f"{shown(r['size']):<8} val {val:<6} {where:<7} {shown(r['path'])}{notes}")
    return 0


def model_notes(meta: dict) -> list[str]:
    """What a user must know before sampling a model: a jazz model trained without chords
    (a chord-blind twin, or a corpus that had none) plays without hearing the chart."""
    if meta.get("domain") == "jazz":
        from studio.music.generate import model_plays_chords

        if not model_plays_chords(meta):
            return ["chord-blind: trained without chords"]
    return []
