"""The Corpus the trainer reads, and CorpusError: what every domain's reader returns.

A corpus is either a list of items (``mode="items"``: each trained as ``<end> item <end>``
in padded batches) or one token stream (``mode="stream"``: truncated BPTT), possibly a
different stream each epoch (``epoch_stream``, e.g. jazz solos transposed into a new key).
Kept apart from ``data`` (the readers and the dispatch to a domain) so that
``studio.core.domain`` can name the type without importing the dispatch that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from studio.core.vocab import Vocab


class CorpusError(ValueError):
    """A corpus that cannot be trained on; the message says why."""


@dataclass
class Corpus:
    kind: str                  # the domain's name
    vocab: Vocab
    report: dict
    sha256: str
    name: str
    mode: str                  # "items": one padded sequence per item; "stream": truncated BPTT
    encoding: str = ""         # stored in checkpoints trained on this corpus
    train_items: list = field(default_factory=list)
    val_items: list = field(default_factory=list)
    train_ids: torch.Tensor | None = None
    val_ids: torch.Tensor | None = None
    # a stream that differs per epoch (called with the epoch number); None: train_ids
    epoch_stream: Callable[[int], torch.Tensor] | None = field(default=None, repr=False)
    meta_extra: dict = field(default_factory=dict)   # domain additions to the corpus meta
    # tensors a domain keeps in every checkpoint beside the weights (``extra.<name>``), e.g.
    # jazz's fingerprint of its training solos for the copy and idiom figures
    extras: dict = field(default_factory=dict, repr=False)

    def train_sequences(self, epoch: int) -> list[list[int]]:
        return [self._ids(s) for s in self.train_items]

    def val_sequences(self) -> list[list[int]]:
        return [self._ids(s) for s in self.val_items]

    def train_stream(self, epoch: int) -> torch.Tensor:
        if self.epoch_stream is None:
            return self.train_ids
        return self.epoch_stream(epoch)

    def val_stream(self) -> torch.Tensor:
        return self.val_ids

    def _ids(self, item) -> list[int]:
        return [self.vocab.end_id] + self.vocab.encode(item) + [self.vocab.end_id]

    def meta(self) -> dict:
        """What a checkpoint records about its training corpus."""
        return {"name": self.name, "sha256": self.sha256, "kind": self.kind,
                "items": self.report.get("items"), **self.meta_extra}
