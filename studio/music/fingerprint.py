"""A compact fingerprint of a training corpus's lines: hashed interval n-grams, no notes.

Stored in a jazz checkpoint (``extra.fingerprint_*`` tensors; ``meta["corpus"]["fingerprint"]``
holds the window and the player names) so that ``eval`` and
``jazz-report`` can say, for any folder of takes or held-out solos, how much of a line is
shared vocabulary of the training players and how long the longest stretch copied from
them is, without the training corpus at hand and without shipping copies of it.

* Windows are ``WINDOW`` consecutive pitch intervals (8 notes): transposition-proof, as the
  copy meter in ``metrics``. Each is hashed with keyed BLAKE2b to 64 bits; the set of
  (hash, solo index) pairs is all that is kept (plus each solo's performer index, and the
  performer names so a held-out human solo can be told apart from its own player).
* ``idiom_share(solo, performer)``: the share of a solo's windows that some *other* player
  of the training corpus also played (a model is nobody, so every player counts).
* ``longest_copy(solo)``: the longest run of intervals whose consecutive windows all occur
  in one training solo. An upper bound on the exact longest shared run (two windows of
  one solo need not be adjacent there); the corpus-backed ``NgramIndex`` gives the exact
  figure and on WJazzD agrees (see docs/ARCHITECTURE.md). Runs shorter than a window
  read as 0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .metrics import intervals
from .types import Solo

WINDOW = 7                     # intervals per window: 8-note patterns
_KEY = b"sequence-studio-fp1"  # a fixed key: hashes are comparable across runs and machines
PREFIX = "fingerprint_"        # checkpoint extras: extra.fingerprint_hashes, ..._solos, ..._performers


def performer_of(title: str) -> str:
    """WJazzD and its MIDI files name solos ``Performer_Title``."""
    return title.split("_", 1)[0]


def _hash(window: Sequence[int]) -> int:
    data = np.asarray(window, dtype=np.int8).tobytes()
    digest = hashlib.blake2b(data, digest_size=8, key=_KEY).digest()
    return int.from_bytes(digest, "little", signed=True)


def window_hashes(seq: Sequence[int]) -> list[int]:
    return [_hash(seq[i:i + WINDOW]) for i in range(len(seq) - WINDOW + 1)]


@dataclass
class Fingerprint:
    hashes: np.ndarray        # int64 [N], sorted
    solos: np.ndarray         # int32 [N], the solo each hash came from
    performers: np.ndarray    # int32 [S], performer index of each solo
    names: list[str]          # performer names

    @classmethod
    def from_solos(cls, solos: Sequence[Solo]) -> "Fingerprint":
        names: list[str] = []
        index: dict[str, int] = {}
        pairs: set[tuple[int, int]] = set()
        performers = []
        for s, solo in enumerate(solos):
            name = performer_of(solo.title)
            performers.append(index.setdefault(name, len(index)))
            if len(names) < len(index):
                names.append(name)
            pairs.update((h, s) for h in window_hashes(intervals(solo)))
        ordered = sorted(pairs)
        return cls(np.array([h for h, _ in ordered], dtype=np.int64),
                   np.array([s for _, s in ordered], dtype=np.int32),
                   np.array(performers, dtype=np.int32), names)

    # -- storage in a checkpoint ----------------------------------------------------------
    def to_tensors(self) -> dict:
        import torch

        return {PREFIX + "hashes": torch.from_numpy(self.hashes),
                PREFIX + "solos": torch.from_numpy(self.solos),
                PREFIX + "performers": torch.from_numpy(self.performers)}

    def meta(self) -> dict:
        return {"window": WINDOW, "performers": self.names, "solos": int(len(self.performers))}

    @classmethod
    def from_checkpoint(cls, ck) -> "Fingerprint | None":
        """The fingerprint a jazz checkpoint carries, or None (older or foreign files)."""
        extras = getattr(ck, "extras", None) or {}
        info = ((ck.meta or {}).get("corpus") or {}).get("fingerprint") or {}
        if PREFIX + "hashes" not in extras or info.get("window") != WINDOW:
            return None
        return cls(extras[PREFIX + "hashes"].cpu().numpy(), extras[PREFIX + "solos"].cpu().numpy(),
                   extras[PREFIX + "performers"].cpu().numpy(), list(info.get("performers", [])))

    # -- queries --------------------------------------------------------------------------
    def _solos_with(self, h: int) -> np.ndarray:
        lo = int(np.searchsorted(self.hashes, h, side="left"))
        hi = int(np.searchsorted(self.hashes, h, side="right"))
        return self.solos[lo:hi]

    def idiom_share(self, solo: Solo, performer: str | None = None) -> float | None:
        """Share of the solo's 8-note interval patterns that another player also played.
        ``performer``: the solo's own player (their other solos do not count); None for a
        model's take. None when the solo has fewer than 8 notes."""
        hashes = window_hashes(intervals(solo))
        if not hashes:
            return None
        own = self.names.index(performer) if performer in self.names else -1
        shared = 0
        for h in hashes:
            found = self._solos_with(h)
            if found.size and bool((self.performers[found] != own).any()):
                shared += 1
        return shared / len(hashes)

    def extend_runs(self, runs: dict[int, int], window: Sequence[int]) -> dict[int, int]:
        """One step of the copy bookkeeping: ``runs`` (training solo -> consecutive windows
        shared with it so far) after the next window of ``WINDOW`` intervals. A line is in a
        verbatim run of ``max(runs.values()) + WINDOW - 1`` intervals."""
        return self._extend(runs, _hash(window))

    def _extend(self, runs: dict[int, int], h: int) -> dict[int, int]:
        return {s: runs.get(s, 0) + 1 for s in set(self._solos_with(h).tolist())}

    def longest_copy(self, solo: Solo) -> int:
        """Longest run of intervals whose windows all occur in one training solo (0 when no
        window of the solo occurs at all)."""
        runs: dict[int, int] = {}
        best = 0
        for h in window_hashes(intervals(solo)):
            runs = self._extend(runs, h)
            if runs:
                best = max(best, max(runs.values()))
        return best + WINDOW - 1 if best else 0
