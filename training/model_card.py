"""Write a model card (models/NAME.md) from a checkpoint's metadata and `sequence-studio eval`.

    python training/model_card.py models/dinos-lstm.safetensors --corpus ../shared/corpora/dinos.txt

The numbers in a card come from this run of the evaluator, never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.checkpoint import load_checkpoint  # noqa: E402
from studio.core.evaluate import evaluate  # noqa: E402
from studio.core.generate import generate_texts  # noqa: E402
from studio.core.sampler import SampleSettings  # noqa: E402

DATA = {
    "names": ("dinosaur names (`dinos.txt`, 1,386 names) from the Coursera/deeplearning.ai "
              "'Dinosaur Island' exercise, via Kulbear/deep-learning-coursera (repo MIT; the "
              "course file's own licence is unknown)",
              "a deterministic held-out 10% of the names (those whose sha256 sorts first)"),
    "text": ("tiny-shakespeare (`tinyshakespeare.txt`, 1,115,394 characters) from "
             "karpathy/char-rnn (MIT; the text is public domain)",
             "the last 10% of the file (the char-rnn / nanoGPT convention)"),
    "jazz": ("the Weimar Jazz Database (WJazzD) solos with per-beat chords, via "
             "vincenzomadaghiele/MINGUS; the data is under the Open Database License (ODbL 1.0)",
             "a deterministic held-out 10% of the 4/4 solos (stable hash of the title); "
             "training solos transposed into a random key each epoch"),
}


def samples(ck) -> str:
    if ck.domain == "names":
        rows = generate_texts(ck, "", SampleSettings(temperature=0.8, count=12, seed=1, max_length=40))
        return ", ".join(rows)
    if ck.domain == "text":
        (text,) = generate_texts(ck, "ROMEO:", SampleSettings(temperature=0.8, max_length=400, seed=1))
        return "```\n" + text.strip() + "\n```"
    return ("See the eval figures above; render one with `sequence-studio sample "
            f"{ck.path} --chart 'Bb blues' --out solo.mid --wav solo.wav --seed 1`.")


def card(ck, ev: dict, recipe: str, extra: str) -> str:
    cfg = ck.meta["config"]
    tc = ck.meta.get("train_config", {})
    m = ck.meta.get("metrics", {})
    data, split = DATA[ck.domain]
    lines = [
        f"# {ck.name}", "",
        f"A {cfg['cell'].upper()} generator of {ck.domain} "
        f"({cfg['layers']} layers x {cfg['hidden']} units, embedding {cfg['embedding']}, "
        f"dropout {cfg['dropout']}; {m.get('parameters', 0):,} parameters).", "",
        "## Data", f"- Corpus: {data}.", f"- Validation split: {split}.",
        f"- Corpus sha256: `{ck.meta.get('corpus', {}).get('sha256')}`.", "",
        "## Training",
        f"- Recipe: `{recipe}` (reproduce with `sequence-studio train --recipe {recipe} --corpus PATH`).",
        f"- {m.get('steps')} steps, {m.get('tokens_seen', 0):,} tokens, {m.get('train_seconds')} s on "
        f"{m.get('device')}; AdamW lr {tc.get('lr')}, batch {tc.get('batch_size')}, window "
        f"{tc.get('window')}, clip {tc.get('clip')}, {tc.get('schedule')} schedule.", "",
        "## Validation (from `sequence-studio eval`)", "```json", json.dumps(ev, indent=2), "```", "",
        "## Samples (seed 1, temperature 0.8)", samples(ck), "",
    ]
    if extra:
        lines += ["## Known limits", extra, ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--limits", default="", help="known limits, in prose")
    ap.add_argument("--eval-json", help="reuse an eval JSON file instead of running eval")
    args = ap.parse_args()
    ck = load_checkpoint(args.model)
    ev = json.loads(Path(args.eval_json).read_text()) if args.eval_json else evaluate(ck, args.corpus)
    for key in [k for k in ev if k.startswith("examples_")]:
        ev.pop(key)
    out = Path(args.model).with_suffix(".md")
    out.write_text(card(ck, ev, args.recipe, args.limits), encoding="utf-8")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
