"""``sequence-studio models``: list the library (shipped + user), files that cannot be read
listed last with the reason; ``--import FILE`` adds one, ``--upgrade FILE`` adds a format-1
file (whose metadata its digest does not cover) re-saved in the current format.
Signatures (``studio.core.signing``): ``--new-key FILE`` makes a key pair, ``--sign KEY
MODEL`` signs a model file of yours, ``--trust PUBKEY --as NAME`` trusts a key; the list
then says "signed by NAME", "unsigned", or why a signature is not one to rely on."""

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
    m.add_argument("--new-key", metavar="FILE", help="make an Ed25519 key pair: FILE (private, "
                   "keep it secret) and FILE.pub (give it to the people you share models with)")
    m.add_argument("--sign", metavar="KEY", help="sign MODEL (a library name or a file of yours) "
                   "with the private key file KEY")
    m.add_argument("--trust", metavar="PUBKEY", help="trust a public key (a .pub file or its "
                   "ed25519:... line): models it signed show as signed by --as NAME")
    m.add_argument("--as", dest="trust_name", metavar="NAME", help="the name of a --trust key")
    m.add_argument("--force", action="store_true", help="--new-key: replace existing key files")
    m.add_argument("model", nargs="?", help="the model to --sign")
    return m


def run(args) -> int:
    from studio.cli.common import shown
    from studio.core.library import import_model, scan_library, upgrade_model

    if args.import_path:
        entry = import_model(args.import_path)
        print(f"imported {shown(entry.name)} -> {shown(entry.path)}")
        return 0
    if args.new_key or args.sign or args.trust:
        return _signing(args)
    if args.upgrade_path:
        entry = upgrade_model(args.upgrade_path)
        print(f"re-saved {args.upgrade_path} in the current format (its metadata as found: "
              f"vocabulary, config) -> {entry.name}: {entry.path}")
        return 0
    entries, unreadable = scan_library()
    rows = [m.summary() for m in entries]
    for row, entry in zip(rows, entries):
        row["signature"] = entry.signature()
        row["notes"] = model_notes(entry.meta) + [row["signature"]]
    if args.json:
        print(json.dumps(rows, indent=2))
        for bad in unreadable:  # (stdout stays the list of models)
            print(f"unreadable: {shown(bad.path)}: {shown(_reason(bad))}", file=sys.stderr)
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
    for bad in unreadable:  # one bad file must not hide the others: listed, with why
        print(f"unreadable: {shown(bad.path)}: {shown(_reason(bad))}")
    return 0


def _reason(bad) -> str:
    return bad.reason.removeprefix(f"{bad.path.name}: ")  # the path is already on the line


def _signing(args) -> int:
    from pathlib import Path

    from studio.core import signing
    from studio.core.library import find_model, sign_model
    from studio.paths import shipped_models_dir

    if args.new_key:
        private, public, line = signing.new_key(args.new_key, force=args.force)
        print(f"private key: {private} (keep it secret)\npublic key:  {public}\n  {line}\n"
              f"others trust it with: sequence-studio models --trust {public.name} --as NAME")
    elif args.sign:
        if not args.model:
            raise ValueError("--sign KEY needs the model to sign: models --sign KEY MODEL")
        path = find_model(args.model)
        if path.resolve().parent == shipped_models_dir().resolve():
            raise PermissionError(f"{args.model} is a shipped model (read-only): import a copy "
                                  "to sign it")
        line = sign_model(path, args.sign)
        print(f"signed {path} with {line} (key {signing.key_id(line)})")
    else:
        name = args.trust_name or Path(args.trust).name.removesuffix(".pub")
        line = signing.trust_key(args.trust, name)
        print(f"trusted {line} (key {signing.key_id(line)}) as {name!r}")
    return 0


def model_notes(meta: dict) -> list[str]:
    """What a user must know before sampling a model: a jazz model trained without chords
    (a chord-blind twin, or a corpus that had none) plays without hearing the chart."""
    if meta.get("domain") == "jazz":
        from studio.music.generate import model_plays_chords

        if not model_plays_chords(meta):
            return ["chord-blind: trained without chords"]
    return []
