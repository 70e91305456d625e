"""Corpora for training: the Corpus the trainer reads, the shared readers, and dispatch.

Each domain (``studio.core.domain``) reads its own corpora and returns a :class:`Corpus`;
``load_corpus(path, kind)`` asks the registry for the domain called ``kind``. A corpus is
either a list of items (``mode="items"``: each trained as ``<end> item <end>`` in padded
batches) or one token stream (``mode="stream"``: truncated BPTT), possibly a different
stream each epoch (``epoch_stream``, e.g. jazz solos transposed into a new key).

Bad input raises :class:`CorpusError` with a message for a person: missing, empty, binary,
non-UTF-8 (with line and byte offset), nothing usable left after validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from studio.core.domain import DomainError, domain_names, get_domain
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


def require_text_file(path) -> Path:
    """The path, or CorpusError when it is missing or a folder (one message for both readers)."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file")
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder; this kind needs one text file")
    return path


def read_text_file(path) -> tuple[str, bytes]:
    """The file's text and raw bytes; CorpusError for missing, empty, binary or non-UTF-8."""
    path = require_text_file(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise CorpusError(f"{path.name}: the file is empty")
    if b"\x00" in raw[:65536]:
        raise CorpusError(f"{path.name}: looks like a binary file (it has NUL bytes), "
                          "not UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path.name}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at line "
                          f"{line}, byte offset {exc.start}); save it as UTF-8 and retry") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n"), raw


def join_items(vocab: Vocab, sequences) -> torch.Tensor:
    """Token lists -> one id stream with <end> before each piece (state resets are learnt)."""
    ids: list[int] = []
    for seq in sequences:
        ids.append(vocab.end_id)
        ids.extend(vocab.encode(seq))
    ids.append(vocab.end_id)
    return torch.tensor(ids, dtype=torch.long)


def _domain(kind: str):
    try:
        return get_domain(kind)
    except DomainError:
        raise CorpusError(f"unknown corpus kind {kind!r} (choose {', '.join(domain_names())})") from None


def load_corpus(path, kind: str, val_fraction: float = 0.1, vocab: Vocab | None = None,
                **options) -> Corpus:
    """Read a corpus of domain ``kind`` (options such as jazz's ``chords`` pass through)."""
    return _domain(kind).load_corpus(path, val_fraction=val_fraction, vocab=vocab, **options)


def dataset_report(path, kind: str, **options) -> dict:
    """The report shown before training (raises CorpusError with the reason)."""
    return _domain(kind).dataset_report(path, **options)
