"""The lick vocabulary: short interval patterns that several players of a corpus share.

Jazz players learn licks: figures many of them play, restated over new changes in any key.
A ``LickVocabulary`` is that shared vocabulary as a statistic of a corpus's *training*
split (never its validation solos): every run of ``LENGTHS`` pitch intervals (4- to
8-note patterns; intervals, so a lick in another key is the same lick) that solos of at
least ``MIN_PLAYERS`` different players contain, with how many players play it. A pattern
one or two players played is their own line and is left out; no timing, no order of
patterns and no solo is kept, so the vocabulary is not a copy of any solo (the longest
entry is 7 intervals, and ``lick_bias`` guards against chaining entries into a copy).

It depends on the corpus and its split only, not on a model's weights. The jazz domain
mines it with the corpus and the trainer stores it in every checkpoint (``extra.licks_*``
tensors, as the training fingerprint), so a model trained on the user's own MIDI files
has its players' licks. Checkpoints trained before that find it in a file
(``models/jazz-licks.json`` for WJazzD): any ``*licks.json`` beside the checkpoint or
among the shipped models whose corpus sha256 and validation fraction are the checkpoint's,
so retrained weights use it unchanged. ``python -m studio.music.licks CORPUS --out FILE``
mines one.

At sampling time ``continuations()`` is the n-gram table ``lick_bias.LickBias`` reads: for
each context (the first n-1 intervals of a pattern) the share of the players' weight that
each next interval carries.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .fingerprint import performer_of
from .metrics import intervals
from .types import Solo

FORMAT = "sequence-studio-licks"
FORMAT_VERSION = 1
LENGTHS = range(3, 8)     # intervals per pattern: 4- to 8-note licks
MIN_PLAYERS = 3           # a pattern is shared vocabulary when this many players play it
PREFIX = "licks_"          # checkpoint extras: extra.licks_patterns, extra.licks_players


class LickError(ValueError):
    """A lick file that is not one, or is damaged (one sentence for the user)."""


@dataclass
class LickVocabulary:
    patterns: dict[tuple[int, ...], int]   # interval pattern -> players who play it
    corpus_sha256: str | None = None       # the corpus it was mined from
    val_fraction: float = 0.1              # ... and the split whose training solos it read
    min_players: int = MIN_PLAYERS
    solos: int = 0
    players: int = 0
    _table: dict | None = field(default=None, repr=False, compare=False)

    @classmethod
    def mine(cls, solos: Sequence[Solo], min_players: int = MIN_PLAYERS, lengths=LENGTHS,
             corpus_sha256: str | None = None, val_fraction: float = 0.1) -> "LickVocabulary":
        """Patterns of ``lengths`` intervals played by >= ``min_players`` players (a
        player is the ``Performer_`` part of a solo's title, ``fingerprint.performer_of``)."""
        who: dict[tuple[int, ...], set[str]] = defaultdict(set)
        for solo in solos:
            seq = intervals(solo)
            player = performer_of(solo.title)
            for n in lengths:
                for i in range(len(seq) - n + 1):
                    who[tuple(seq[i:i + n])].add(player)
        patterns = {p: len(names) for p, names in who.items() if len(names) >= min_players}
        return cls(dict(sorted(patterns.items())), corpus_sha256, val_fraction, min_players,
                   len(solos), len({performer_of(s.title) for s in solos}))

    @classmethod
    def mine_corpus(cls, path, val_fraction: float = 0.1, min_players: int = MIN_PLAYERS) -> "LickVocabulary":
        """The vocabulary of a corpus folder's training split (``splits.holdout``, the
        trainer's own), tagged with the corpus's sha256."""
        from studio.music.corpus.dataset import load_jazz_corpus
        from studio.music.corpus.splits import holdout

        corpus = load_jazz_corpus(path)
        train = holdout(corpus.solos, val_fraction).train
        return cls.mine(train, min_players, corpus_sha256=corpus.sha256, val_fraction=val_fraction)

    # -- the sampling table ---------------------------------------------------------------
    def continuations(self) -> dict[tuple[int, ...], dict[int, float]]:
        """Context (a pattern without its last interval) -> {next interval: share of the
        players' weight}; the shares of one context add up to 1. Built once."""
        if self._table is None:
            weights: dict[tuple[int, ...], dict[int, int]] = defaultdict(dict)
            for pattern, players in self.patterns.items():
                weights[pattern[:-1]][pattern[-1]] = players
            self._table = {ctx: {nxt: w / sum(nexts.values()) for nxt, w in nexts.items()}
                           for ctx, nexts in weights.items()}
        return self._table

    def matches(self, corpus_sha256: str | None, val_fraction: float) -> bool:
        return corpus_sha256 is not None and corpus_sha256 == self.corpus_sha256 \
            and abs(float(val_fraction) - self.val_fraction) < 1e-9

    # -- storage --------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "corpus_sha256": self.corpus_sha256, "val_fraction": self.val_fraction,
                "min_players": self.min_players, "solos": self.solos, "players": self.players,
                "what": "interval patterns (4-8 notes) shared by at least min_players players of "
                        "the corpus's training split; each entry: the intervals, then the players",
                "patterns": [[*p, n] for p, n in self.patterns.items()]}

    @classmethod
    def from_json(cls, data: dict) -> "LickVocabulary":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise LickError("not a lick vocabulary (no 'sequence-studio-licks' format tag)")
        if data.get("format_version") != FORMAT_VERSION:
            raise LickError(f"lick vocabulary version {data.get('format_version')!r}; this "
                            f"version reads {FORMAT_VERSION}")
        try:
            patterns = {}
            for entry in data["patterns"]:
                *pattern, players = (int(x) for x in entry)
                if len(pattern) < 2 or players < 1:
                    raise ValueError(entry)
                patterns[tuple(pattern)] = players
            return cls(patterns, data.get("corpus_sha256"), float(data.get("val_fraction", 0.1)),
                       int(data.get("min_players", MIN_PLAYERS)), int(data.get("solos", 0)),
                       int(data.get("players", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise LickError(f"damaged lick vocabulary (bad entry {exc})") from exc

    def save(self, path) -> Path:
        """One pattern per line: the file diffs and reads as data."""
        path = Path(path)
        data = self.to_json()
        head = json.dumps({k: v for k, v in data.items() if k != "patterns"}, indent=1)[:-2]
        rows = ",\n".join(json.dumps(p, separators=(",", ":")) for p in data["patterns"])
        path.write_text(f'{head},\n "patterns": [\n{rows}\n ]\n}}\n', encoding="utf-8")
        return path

    def to_tensors(self) -> dict:
        """For a checkpoint: patterns as int8 rows padded with 0 past their length, the
        lengths and the players."""
        import torch

        width = max(LENGTHS)
        rows = torch.zeros(len(self.patterns), width, dtype=torch.int8)
        for i, pattern in enumerate(self.patterns):
            rows[i, :len(pattern)] = torch.tensor(pattern, dtype=torch.int8)
        return {PREFIX + "patterns": rows,
                PREFIX + "lengths": torch.tensor([len(p) for p in self.patterns], dtype=torch.int8),
                PREFIX + "players": torch.tensor(list(self.patterns.values()), dtype=torch.int16)}

    def meta(self) -> dict:
        return {"format_version": FORMAT_VERSION, "min_players": self.min_players,
                "patterns": len(self.patterns), "solos": self.solos, "players": self.players}

    @classmethod
    def from_checkpoint(cls, ck) -> "LickVocabulary | None":
        """The vocabulary a checkpoint carries (trained since licks), or None."""
        extras = getattr(ck, "extras", None) or {}
        meta = getattr(ck, "meta", None) or {}
        info = (meta.get("corpus") or {}).get("licks") or {}
        if PREFIX + "patterns" not in extras or info.get("format_version") != FORMAT_VERSION:
            return None
        rows = extras[PREFIX + "patterns"].tolist()
        lengths = extras[PREFIX + "lengths"].tolist()
        players = extras[PREFIX + "players"].tolist()
        patterns = {tuple(r[:n]): int(k) for r, n, k in zip(rows, lengths, players)}
        return cls(patterns, (meta.get("corpus") or {}).get("sha256"),
                   float((meta.get("train_config") or {}).get("val_fraction", 0.1)),
                   int(info.get("min_players", MIN_PLAYERS)), int(info.get("solos", 0)),
                   int(info.get("players", 0)))

    @classmethod
    def load(cls, path) -> "LickVocabulary":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LickError(f"{Path(path).name}: cannot read a lick vocabulary ({exc})") from exc
        return cls.from_json(data)


def _candidate_files(ck) -> list[Path]:
    from studio.paths import shipped_models_dir

    folders = []
    path = getattr(ck, "path", None)
    if path is not None:
        folders.append(Path(path).parent)
    folders.append(shipped_models_dir())
    seen, files = set(), []
    for folder in folders:
        for f in sorted(Path(folder).glob("*licks.json")) if Path(folder).is_dir() else ():
            if f.resolve() not in seen:
                seen.add(f.resolve())
                files.append(f)
    return files


_UNSET = object()


def licks_for(ck) -> LickVocabulary | None:
    """The lick vocabulary of the corpus a jazz checkpoint was trained on: the one it
    carries, else a ``*licks.json`` beside the checkpoint or among the shipped models whose
    corpus sha256 and validation fraction are the checkpoint's. None when there is none (a
    damaged file is skipped).

    Kept on the checkpoint object: reading the carried table and building its sampling
    table cost ~0.1 s, paid on every take before; a live answer at 240 bpm has a beat
    (0.25 s) to be ready, and with that cost the fuller phrase missed it."""
    cached = getattr(ck, "_lick_vocabulary", _UNSET)
    if cached is not _UNSET:
        return cached
    found = _find_licks(ck)
    if found is not None:
        found.continuations()             # built once, here, not in the first take's time
    try:
        ck._lick_vocabulary = found
    except (AttributeError, TypeError):   # an object that takes no attributes: no cache
        pass
    return found


def _find_licks(ck) -> LickVocabulary | None:
    carried = LickVocabulary.from_checkpoint(ck)
    if carried is not None:
        return carried
    meta = getattr(ck, "meta", None) or {}
    sha = (meta.get("corpus") or {}).get("sha256")
    fraction = (meta.get("train_config") or {}).get("val_fraction", 0.1)
    if sha is None:
        return None
    cache = _CACHE.get((sha, fraction))
    if cache is not None:
        return cache
    for f in _candidate_files(ck):
        try:
            head = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(head, dict) and head.get("corpus_sha256") == sha:
            try:
                vocab = LickVocabulary.from_json(head)
            except LickError:
                continue
            if vocab.matches(sha, fraction):
                _CACHE[(sha, fraction)] = vocab
                return vocab
    return None


_CACHE: dict[tuple[str, float], LickVocabulary] = {}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="mine a jazz corpus's lick vocabulary (training split)")
    ap.add_argument("corpus", help="WJazzD folder or MIDI folder")
    ap.add_argument("--out", required=True, help="the JSON file to write (e.g. models/jazz-licks.json)")
    ap.add_argument("--val-fraction", type=float, default=0.1, help="the models' validation fraction")
    ap.add_argument("--min-players", type=int, default=MIN_PLAYERS)
    args = ap.parse_args(argv)
    vocab = LickVocabulary.mine_corpus(args.corpus, args.val_fraction, args.min_players)
    out = vocab.save(args.out)
    by_len = defaultdict(int)
    for p in vocab.patterns:
        by_len[len(p)] += 1
    print(f"{out}: {len(vocab.patterns)} patterns from {vocab.solos} training solos of "
          f"{vocab.players} players (by intervals: {dict(sorted(by_len.items()))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
