"""Names: one item per line (dinosaur names), each trained as ``<end> n a m e <end>``.

Lowercased, as in the course and makemore, so a user can score "tyrannosaurus".
Held-out 10%: the names whose sha256 sorts first (deterministic, corpus-order free).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from studio.core.corpus import Corpus, CorpusError
from studio.core.data import read_text_file
from studio.core.domain import Domain, register
from studio.core.vocab import Vocab

MAX_NAME = 64


class NamesDomain(Domain):
    name = "names"
    label = "Names (one per line)"
    encoding = "char-v1"
    framed = True
    train_defaults = dict(layers=2, hidden=128, embedding=32, dropout=0.1, batch_size=32, epochs=40,
                          lr=3e-3, eval_every=100, patience=6)

    def read_input(self, text: str) -> str:
        """Names models saw lowercased names only: "Tyr" is read as "tyr" (so a start
        typed with a capital, or "Tyrannosaurus" in Score, is not refused)."""
        return text.lower()

    def input_note(self, text: str) -> str | None:
        if text == text.lower():
            return None
        return (f"names models read lowercase letters, as their corpus was lowercased: "
                f"{text!r} is read as {text.lower()!r}")

    def load_corpus(self, path, val_fraction: float = 0.1, vocab: Vocab | None = None, **options) -> Corpus:
        path = Path(path)
        text, raw = read_text_file(path)
        names, rejected, seen = [], [], set()
        for no, line in enumerate(text.split("\n"), 1):
            name = line.strip().lower()
            why = None
            if not name:
                continue
            if len(name) > MAX_NAME:
                why = f"longer than {MAX_NAME} characters"
            elif any(not c.isprintable() or c == "\t" for c in name):
                why = "has control characters or tabs"
            elif vocab is not None and any(c not in vocab for c in name):
                bad = next(c for c in name if c not in vocab)
                why = f"character {bad!r} is not in the fine-tuned model's vocabulary"
            elif name in seen:
                why = "duplicate"
            if why:
                rejected.append({"line": no, "text": line[:40], "reason": why})
                continue
            seen.add(name)
            names.append(name)
        if len(names) < 2:
            raise CorpusError(f"{path.name}: fewer than two usable names (one per line)")
        order = sorted(names, key=lambda s: hashlib.sha256(s.encode()).hexdigest())
        n_val = max(1, round(len(names) * val_fraction))
        if n_val >= len(names):
            raise CorpusError(f"{path.name}: {len(names)} names and --val-fraction {val_fraction:g} "
                              "leave none to train on")
        val = set(order[:n_val])
        vocab = vocab or Vocab.from_text(names)
        report = {
            "kind": "names", "file": path.name, "bytes": len(raw), "items": len(names),
            "characters": sum(map(len, names)), "vocab_size": len(vocab),
            "vocab": "".join(vocab.tokens[2:]), "train_items": len(names) - n_val,
            "val_items": n_val, "rejected": len(rejected), "rejected_lines": rejected[:50],
            "mean_length": round(sum(map(len, names)) / len(names), 2),
            "notes": "names lowercased; held-out 10% chosen by sha256 of the name",
        }
        train = [n for n in names if n not in val]
        return Corpus(kind=self.name, vocab=vocab, report=report, name=path.name,
                      sha256=hashlib.sha256(raw).hexdigest(), mode="items", encoding=self.encoding,
                      train_items=train, val_items=[n for n in names if n in val],
                      meta_extra={"train_items": list(train)})  # for "new" vs "in corpus"

    def preview(self, model, vocab, seed: int) -> str:
        from studio.core.sampling.sampler import SampleSettings, sample

        rows = sample(model, [vocab.end_id], SampleSettings(max_length=40, count=6, seed=seed))
        return ", ".join(vocab.decode([t for t in r if t != vocab.end_id]) for r in rows)

    def evaluate(self, ckpt, corpus_path, samples: int = 500, seed: int = 0, **_options) -> dict:
        from studio.core.evaluate import likelihood_figures
        from studio.core.sampling.generate import generate_names, known_items
        from studio.core.sampling.sampler import SampleSettings

        corpus, out = likelihood_figures(self, ckpt, corpus_path)
        train = known_items(ckpt) or set(corpus.train_items)
        for t in (1.0, 0.8):
            names = generate_names(ckpt, SampleSettings(temperature=t, count=samples, seed=seed, max_length=60))
            names = [n for n in names if n]
            out[f"novel_share_T{t}"] = round(sum(n not in train for n in names) / max(1, len(names)), 4)
            out[f"examples_T{t}"] = names[:8]
        return out

    def describe(self, ckpt, sample) -> dict:
        from studio.core.sampling.generate import known_items

        known = known_items(ckpt)
        return {"text": sample, "new": (sample not in known) if known is not None else None}


DOMAIN = register(NamesDomain())
