"""Batches for the trainer: padded names, or parallel lanes of one stream (truncated BPTT)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

IGNORE = -100  # padded targets are left out of the loss


@dataclass
class Batch:
    x: torch.Tensor       # [B, T] inputs
    y: torch.Tensor       # [B, T] targets (IGNORE where padded)
    carry: bool           # True: continue from the previous window's (detached) state
    tokens: int           # real target tokens, for tokens/s
    total: int = 0        # the whole global batch's target tokens when this is one rank's share
                          # (``shard``); 0: this batch is the whole batch


def names_batches(sequences: list[list[int]], batch_size: int, seed: int, pad_id: int = 0):
    """One epoch of shuffled, padded name batches; each starts from a zero state."""
    order = list(range(len(sequences)))
    random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chunk = [sequences[i] for i in order[start:start + batch_size]]
        yield pad_batch(chunk, pad_id)


def pad_batch(chunk: list[list[int]], pad_id: int = 0) -> Batch:
    width = max(len(s) for s in chunk) - 1
    x = torch.full((len(chunk), width), pad_id, dtype=torch.long)
    y = torch.full((len(chunk), width), IGNORE, dtype=torch.long)
    for r, s in enumerate(chunk):
        x[r, : len(s) - 1] = torch.tensor(s[:-1])
        y[r, : len(s) - 1] = torch.tensor(s[1:])
    return Batch(x, y, carry=False, tokens=int((y != IGNORE).sum()))


def stream_lanes(ids: torch.Tensor, lanes: int) -> torch.Tensor:
    """Cut a 1-D stream into ``lanes`` contiguous rows (char-rnn's layout)."""
    lanes = max(1, min(lanes, (ids.numel() - 1) // 2))
    length = (ids.numel() - 1) // lanes
    return ids[: lanes * length + 1], lanes, length


def stream_batches(ids: torch.Tensor, batch_size: int, window: int, offset: int = 0):
    """Consecutive windows over parallel lanes; the state carries from one to the next.

    ``offset`` (0 <= offset < window) shifts the window boundaries each epoch so the model
    does not always see the same cut points.
    """
    ids, lanes, length = stream_lanes(ids, batch_size)
    xs = ids[: lanes * length].view(lanes, length)
    ys = ids[1: lanes * length + 1].view(lanes, length)
    first = True
    start = offset % window if length > 2 * window else 0
    for pos in range(start, length - 1, window):
        # streams may be stored compactly (uint8/uint16, memory-mapped): the net takes int64
        x = xs[:, pos: pos + window].long()
        y = ys[:, pos: pos + window].long()
        yield Batch(x, y, carry=not first, tokens=y.numel())
        first = False


def count_stream_batches(n_ids: int, batch_size: int, window: int) -> int:
    lanes = max(1, min(batch_size, (n_ids - 1) // 2))
    length = (n_ids - 1) // lanes
    return max(1, -(-(length - 1) // window))


def shard(batch: Batch, rows: slice) -> Batch:
    """One process's share of a global batch: the rows ``rows`` (a names batch trimmed to
    its longest name; a stream batch's lanes keep their order, so each process carries the
    state of its own lanes), with ``total`` the global batch's target tokens: the loss is
    summed over the share and divided by ``total``, so N shares add up to one process's
    mean whatever their sizes."""
    x, y = batch.x[rows], batch.y[rows]
    real = (y != IGNORE).any(0).nonzero()
    width = int(real[-1]) + 1 if real.numel() else min(1, y.size(1))
    x, y = x[:, :width], y[:, :width]
    return Batch(x, y, carry=batch.carry, tokens=int((y != IGNORE).sum()),
                 total=batch.total or batch.tokens)
