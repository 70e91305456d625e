"""Corpora for training: reading, validation, the dataset report and the splits.

Kinds:
- ``names``: one item per line (dinosaur names); lowercased, as in the course and makemore,
  so a user can score "tyrannosaurus"; each item becomes ``<end> n a m e <end>``.
  Held-out 10%: the names whose sha256 sorts first (deterministic, corpus-order free).
- ``text``: one stream (Shakespeare); the last 10% of the file is validation (the char-rnn
  and nanoGPT convention, so numbers compare).
- ``jazz``: solos via ``studio.music.jazz_data`` (event tokens; held-out 10% of solos).

Bad input raises :class:`CorpusError` with a message for a person: missing, empty, binary,
non-UTF-8 (with line and byte offset), nothing usable left after validation.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

import torch

from studio.core.vocab import Vocab

KINDS = ("names", "text", "jazz")
MAX_NAME = 64


class CorpusError(ValueError):
    """A corpus that cannot be trained on; the message says why."""


@dataclass
class Corpus:
    kind: str
    vocab: Vocab
    report: dict
    sha256: str
    name: str
    mode: str  # "names": one padded sequence per item; "stream": truncated BPTT
    train_items: list = field(default_factory=list)
    val_items: list = field(default_factory=list)
    train_ids: torch.Tensor | None = None
    val_ids: torch.Tensor | None = None
    jazz: object | None = None  # studio.music JazzCorpus, for per-epoch transposition
    val_fraction: float = 0.1
    # the last epoch's jazz stream: counting steps, the report and epoch 0 all want it,
    # and transposing and encoding every solo takes seconds
    _stream_cache: tuple | None = field(default=None, repr=False)

    def train_sequences(self, epoch: int) -> list[list[int]]:
        return [self._ids(s) for s in self.train_items]

    def val_sequences(self) -> list[list[int]]:
        return [self._ids(s) for s in self.val_items]

    def train_stream(self, epoch: int) -> torch.Tensor:
        if self.jazz is None:
            return self.train_ids
        if self._stream_cache is None or self._stream_cache[0] != epoch:
            from studio.music.jazz_data import training_streams

            train, _ = training_streams(self.jazz, epoch_seed=epoch, val_fraction=self.val_fraction)
            self._stream_cache = (epoch, _join(self.vocab, train))
        return self._stream_cache[1]

    def val_stream(self) -> torch.Tensor:
        return self.val_ids

    def _ids(self, item: str) -> list[int]:
        return [self.vocab.end_id] + self.vocab.encode(item) + [self.vocab.end_id]

    def meta(self) -> dict:
        out = {"name": self.name, "sha256": self.sha256, "kind": self.kind,
               "items": self.report.get("items")}
        if self.kind == "names":
            out["train_items"] = list(self.train_items)
        return out


def read_text_file(path) -> tuple[str, bytes]:
    """The file's text and raw bytes; CorpusError for missing, empty, binary or non-UTF-8."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file")
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder; this kind needs one text file")
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


def load_names(path, val_fraction: float = 0.1, vocab: Vocab | None = None) -> Corpus:
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
    return Corpus(kind="names", vocab=vocab, report=report, name=path.name,
                  sha256=hashlib.sha256(raw).hexdigest(), mode="names",
                  train_items=[n for n in names if n not in val],
                  val_items=[n for n in names if n in val])


def load_text(path, val_fraction: float = 0.1, vocab: Vocab | None = None) -> Corpus:
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
    return Corpus(kind="text", vocab=vocab, report=report, name=path.name,
                  sha256=hashlib.sha256(raw).hexdigest(), mode="stream",
                  train_ids=data[:split], val_ids=data[split:])


def load_jazz(path, val_fraction: float = 0.1, chords: bool = True) -> Corpus:
    try:
        from studio.music.encoding import jazz_vocab_tokens
        from studio.music.jazz_data import load_jazz_corpus, training_streams
    except ImportError as exc:  # pragma: no cover - the music package ships with the app
        raise CorpusError(f"jazz support is missing ({exc})") from exc
    try:
        jazz = load_jazz_corpus(path, chords=chords)
    except (OSError, ValueError) as exc:
        raise CorpusError(str(exc)) from exc
    if not jazz.solos:
        raise CorpusError(f"{Path(path).name}: no usable solos (see the per-file report)")
    vocab = Vocab.from_tokens(jazz_vocab_tokens(), kind="event")
    train, val = training_streams(jazz, epoch_seed=0, val_fraction=val_fraction)
    val_ids = _join(vocab, val)
    report = dict(jazz.report)
    report.update(kind="jazz", vocab_size=len(vocab), chords=chords,
                  train_tokens=sum(map(len, train)), val_tokens=int(val_ids.numel()))
    return Corpus(kind="jazz", vocab=vocab, report=report, name=Path(path).name,
                  sha256=jazz.sha256, mode="stream", val_ids=val_ids, jazz=jazz,
                  val_fraction=val_fraction, _stream_cache=(0, _join(vocab, train)))


def _join(vocab: Vocab, sequences) -> torch.Tensor:
    """Token lists -> one id stream with <end> before each piece (state resets are learnt)."""
    ids: list[int] = []
    for seq in sequences:
        ids.append(vocab.end_id)
        ids.extend(vocab.encode(seq))
    ids.append(vocab.end_id)
    return torch.tensor(ids, dtype=torch.long)


def load_corpus(path, kind: str, val_fraction: float = 0.1, vocab: Vocab | None = None,
                chords: bool = True) -> Corpus:
    if kind not in KINDS:
        raise CorpusError(f"unknown corpus kind {kind!r} (choose {', '.join(KINDS)})")
    if kind == "names":
        return load_names(path, val_fraction, vocab)
    if kind == "text":
        return load_text(path, val_fraction, vocab)
    return load_jazz(path, val_fraction, chords)


def dataset_report(path, kind: str, chords: bool = True) -> dict:
    """The report shown before training (raises CorpusError with the reason)."""
    return load_corpus(path, kind, chords=chords).report


def shuffled(items: list, seed: int) -> list:
    items = list(items)
    random.Random(seed).shuffle(items)
    return items
