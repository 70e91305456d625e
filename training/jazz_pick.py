"""A jazz model back from a GPU sweep (training/gpu_jazz_session.sh): score it here as the
cards do, beside issue 11's targets, and (``--ship``) make it the shipped model.

    python training/jazz_pick.py RETURNED.safetensors [--corpus ../shared/corpora/jazz]
    python training/jazz_pick.py RETURNED.safetensors --ship jazz-gru [--device "NVIDIA H100"]

Scoring runs ``sequence-studio eval --split val`` (NLL per token and per note event on the
validation split, and the takes) and ``sequence-studio jazz-report --split val`` (one take
per validation solo beside those human solos): minutes on a 2-core CPU. Choosing a model
is tuning, so it reads the validation split only (``--split test`` is refused); the test
figures are the cards' (``training/model_card.py``). ``--no-report`` skips the
latter. ``--ship NAME`` copies the model to models/NAME.safetensors and writes its
training settings into training/NAME.toml (so the recipe reproduces it on a GPU); the
card, README table and prose are then for ``training/model_card.py`` (printed at the end).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_NOTE_EVENT_NLL = 1.68  # issue 11: "validation NLL per note event below 1.68"
# recipe keys a sweep varies -> (table, TrainConfig field); the size must already match
RECIPE_KEYS = {"dropout": "model", "lr": "train", "weight_decay": "train", "batch_size": "train",
               "window": "train", "epochs": "train", "clip": "train", "schedule": "train",
               "warmup": "train", "min_lr_ratio": "train", "eval_every": "train", "seed": "train",
               "precision": "train", "half_weights": "output"}
SIZE_KEYS = ("cell", "layers", "hidden", "embedding")


def studio_json(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "studio", *args], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out[out.index("{"):])


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def train_config_defaults() -> dict:
    from dataclasses import fields

    from studio.core.training.config import TrainConfig

    return {f.name: f.default for f in fields(TrainConfig)}


def update_recipe(text: str, train_config: dict) -> tuple[str, list[str]]:
    """The recipe with the sweep's settings written in (existing lines keep their comments;
    a key the recipe lacks is added at the end of its table unless the value is
    TrainConfig's default); and what changed."""
    defaults = train_config_defaults()
    changes = []
    for key, table in RECIPE_KEYS.items():
        if key not in train_config:
            continue
        value = toml_value(train_config[key])
        line = re.compile(rf"^({key}\s*=\s*)([^#\n]*?)(\s*(#.*)?)$", re.M)
        match = line.search(text)
        if match:
            if match.group(2).strip() != value:
                changes.append(f"{key}: {match.group(2).strip()} -> {value}")
                text = text[:match.start(2)] + value + text[match.end(2):]
            continue
        if train_config[key] == defaults.get(key):
            continue  # the recipe's default already (TrainConfig's): no line needed
        header = re.search(rf"^\[{table}\]\s*$", text, re.M)
        if header is None:
            text = text.rstrip("\n") + f"\n\n[{table}]\n"
            header = re.search(rf"^\[{table}\]\s*$", text, re.M)
        after = re.search(r"^\[", text[header.end():], re.M)
        end = header.end() + after.start() if after else len(text)
        block = text[:end].rstrip("\n") + f"\n{key} = {value}\n"
        text = block + ("\n" + text[end:] if after else "")
        changes.append(f"{key}: (recipe default) -> {value}")
    return text, changes


def settings_not_given(recipe_text: str, train_config: dict) -> dict:
    """{key: what the recipe gives} for each swept setting it does not give as the model had
    it; a key the recipe leaves out gives TrainConfig's default."""
    written, defaults = tomllib.loads(recipe_text), train_config_defaults()
    given = {k: written.get(t, {}).get(k, defaults.get(k)) for k, t in RECIPE_KEYS.items()}
    return {k: given[k] for k in RECIPE_KEYS if k in train_config and given[k] != train_config[k]}


def check_size(recipe_text: str, train_config: dict) -> None:
    for key in SIZE_KEYS:
        match = re.search(rf"^{key}\s*=\s*([^#\n]*)", recipe_text, re.M)
        if match and match.group(1).strip().strip('"') != str(train_config.get(key)):
            raise SystemExit(f"the model's {key} is {train_config.get(key)!r}, the recipe's "
                             f"{match.group(1).strip()}: not the shipped size, not shipped")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpora" / "jazz"))
    ap.add_argument("--no-report", action="store_true", help="skip jazz-report (the longer part)")
    ap.add_argument("--split", default="val", help="val (a pick reads the validation split only; "
                                                   "test is for the cards and refused)")
    ap.add_argument("--ship", metavar="NAME", help="jazz-gru or jazz-lstm: copy it into models/ "
                                                   "and its settings into training/NAME.toml")
    args = ap.parse_args(argv)
    from studio.core.checkpoint import read_metadata
    from studio.music.corpus.splits import tuning_part

    try:
        part = tuning_part(args.split, "jazz_pick.py")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None

    meta = read_metadata(args.model)
    tc, m = meta.get("train_config") or {}, meta.get("metrics") or {}
    print(f"{args.model.name}: {tc.get('cell')} {tc.get('layers')}x{tc.get('hidden')} emb {tc.get('embedding')}, "
          f"dropout {tc.get('dropout')}, lr {tc.get('lr')}, wd {tc.get('weight_decay')}, batch "
          f"{tc.get('batch_size')}, window {tc.get('window')}, {tc.get('epochs')} epochs, warmup "
          f"{tc.get('warmup')}, {tc.get('precision')}; {m.get('steps')} steps in {m.get('train_seconds')} s "
          f"on {m.get('device')}; recorded val NLL {m.get('val_nll')}")
    if args.ship:
        recipe = ROOT / "training" / f"{args.ship}.toml"
        text = recipe.read_text()
        check_size(text, tc)
        text, changes = update_recipe(text, tc)
        wrong = settings_not_given(text, tc)   # the recipe must now give the model's settings
        if wrong:
            raise SystemExit(f"{recipe.name} would not give the model's settings: {wrong}")
        recipe.write_text(text)
        shutil.copy(args.model, ROOT / "models" / f"{args.ship}.safetensors")
        print(f"models/{args.ship}.safetensors replaced; {recipe.relative_to(ROOT)}: "
              + ("; ".join(changes) or "unchanged"))
    ev = studio_json("eval", str(args.model), "--corpus", args.corpus, "--split", part)
    nll = ev["val_nll_note_events"]
    print(f"eval: val NLL {ev['val_nll']} per token, {nll} per note event ({ev['held_out']}); "
          f"target < {TARGET_NOTE_EVENT_NLL}: {'met' if nll < TARGET_NOTE_EVENT_NLL else 'NOT met'}")
    if not args.no_report:
        import importlib.util

        spec = importlib.util.spec_from_file_location("model_card", ROOT / "training" / "model_card.py")
        card = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(card)
        report = studio_json("jazz-report", str(args.model), "--human", args.corpus, "--json",
                             "--split", part)
        print("\n".join(card.target_table(report, ev)))
    if args.ship:
        print(f"next: edit training/cards/{args.ship}.md (its prose: the device, e.g. 'trained on an "
              f"NVIDIA H100, torch 2.11.0+cu130', and any sentence the new figures make untrue) and "
              f"the table in training/README.md; then\n  python training/model_card.py --all --only "
              f"{args.ship}\n  python training/model_card.py --check\n  python -m pytest -q "
              f"tests/test_model_cards.py tests/test_shipped_models.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
