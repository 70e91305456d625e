"""Text: one stream (Shakespeare), trained with truncated BPTT; it never holds ``<end>``.

The last 10% of the file is validation (the char-rnn and nanoGPT convention, so numbers
compare), of which at most ``VAL_CAP_TOKENS`` are read. Files of any size are read in
bounded memory into a uint8/uint16 token array (``studio.core.text_stream``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from studio.core.corpus import Corpus, CorpusError
from studio.core.domain import Domain, register
from studio.core.text_stream import encode_text, scan_text
from studio.core.vocab import Vocab

# Validation reads at most this many tokens (the start of the held-out tail): on
# tinyshakespeare (111k validation tokens) it changes nothing; on a 300 MB file it keeps an
# evaluation to seconds instead of an hour.
VAL_CAP_TOKENS = 1_000_000


class TextDomain(Domain):
    name = "text"
    label = "Text"
    encoding = "char-v1"
    framed = False
    train_defaults = dict(layers=2, hidden=256, embedding=64, dropout=0.1, batch_size=32, window=128,
                          epochs=5, eval_every=200)

    def load_corpus(self, path, val_fraction: float = 0.1, vocab: Vocab | None = None,
                    progress=None, **options) -> Corpus:
        """Read in bounded memory (``studio.core.text_stream``): a compact token array,
        memory-mapped past a few hundred MB; ``progress(message)`` every few seconds."""
        path = Path(path)
        scan = scan_text(path, progress)
        if scan.characters < 100:
            raise CorpusError(f"{path.name}: only {scan.characters} characters; a text corpus "
                              "needs at least 100")
        vocab = vocab or Vocab.from_text(scan.chars())
        ids, unknown = encode_text(scan, vocab, progress)
        data = torch.from_numpy(ids)
        split = int(len(ids) * (1 - val_fraction))
        if split < 2 or len(ids) - split < 2:
            raise CorpusError(f"{path.name}: --val-fraction {val_fraction:g} leaves no text to "
                              "train or validate on")
        val = data[split:split + VAL_CAP_TOKENS]
        notes = "validation is the last 10% of the file" if val_fraction == 0.1 else \
            f"validation is the last {val_fraction:.0%} of the file"
        if len(val) < len(ids) - split:
            notes += (f"; validation passes read its first {VAL_CAP_TOKENS:,} tokens (a cap, so "
                      "an evaluation stays short on a big corpus)")
        report = {
            "kind": "text", "file": path.name, "bytes": scan.size, "characters": scan.characters,
            "items": scan.characters, "lines": scan.lines, "vocab_size": len(vocab),
            "vocab": "".join(vocab.tokens[2:]), "train_tokens": split,
            "val_tokens": int(len(val)), "val_tokens_in_split": len(ids) - split,
            "val_cap": VAL_CAP_TOKENS, "rejected": 0, "unknown_characters": unknown,
            "token_storage": f"{ids.dtype}{', memory-mapped' if isinstance(ids, np.memmap) else ''}",
            "notes": notes,
        }
        return Corpus(kind=self.name, vocab=vocab, report=report, name=path.name,
                      sha256=scan.sha256, mode="stream", encoding=self.encoding,
                      train_ids=data[:split], val_ids=val)

    def evaluate(self, ckpt, corpus_path, **_options) -> dict:
        from studio.core.evaluate import likelihood_figures

        return likelihood_figures(self, ckpt, corpus_path)[1]


DOMAIN = register(TextDomain())
