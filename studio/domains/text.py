"""Text: one stream (Shakespeare), trained with truncated BPTT; it never holds ``<end>``.

The last 10% of the file is validation (the char-rnn and nanoGPT convention, so numbers
compare).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from studio.core.data import Corpus, CorpusError, read_text_file
from studio.core.domain import Domain, register
from studio.core.vocab import Vocab


class TextDomain(Domain):
    name = "text"
    label = "Text"
    encoding = "char-v1"
    framed = False
    train_defaults = dict(layers=2, hidden=256, embedding=64, dropout=0.1, batch_size=32, window=128,
                          epochs=5, eval_every=200)

    def load_corpus(self, path, val_fraction: float = 0.1, vocab: Vocab | None = None, **options) -> Corpus:
        path = Path(path)
        text, raw = read_text_file(path)
        if len(text) < 100:
            raise CorpusError(f"{path.name}: only {len(text)} characters; a text corpus needs at "
                              "least 100")
        unknown = 0
        if vocab is None:
            vocab = Vocab.from_text(text)
            ids = vocab.encode(text)
        else:
            ids = vocab.encode(text, policy="unk")
            unknown = sum(1 for i in ids if i == vocab.unk_id)
        split = int(len(ids) * (1 - val_fraction))
        data = torch.tensor(ids, dtype=torch.long)
        report = {
            "kind": "text", "file": path.name, "bytes": len(raw), "characters": len(text),
            "items": len(text), "lines": text.count("\n") + 1, "vocab_size": len(vocab),
            "vocab": "".join(vocab.tokens[2:]), "train_tokens": split,
            "val_tokens": len(ids) - split, "rejected": 0, "unknown_characters": unknown,
            "notes": "validation is the last 10% of the file",
        }
        return Corpus(kind=self.name, vocab=vocab, report=report, name=path.name,
                      sha256=hashlib.sha256(raw).hexdigest(), mode="stream", encoding=self.encoding,
                      train_ids=data[:split], val_ids=data[split:])

    def evaluate(self, ckpt, corpus_path, **_options) -> dict:
        from studio.core.evaluate import likelihood_figures

        return likelihood_figures(self, ckpt, corpus_path)[1]


DOMAIN = register(TextDomain())
