"""Corpora for training: the shared readers, and dispatch to the domain that reads a kind.

Each domain (``studio.core.domain``) reads its own corpora and returns a
:class:`studio.core.corpus.Corpus`; ``load_corpus(path, kind)`` asks the registry for the
domain called ``kind``.

Bad input raises :class:`CorpusError` with a message for a person: missing, empty, binary,
non-UTF-8 (with line and byte offset), nothing usable left after validation.
"""

from __future__ import annotations

from pathlib import Path

import torch

from studio.core.corpus import Corpus, CorpusError
from studio.core.domain import DomainError, domain_names, get_domain
from studio.core.vocab import Vocab


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
