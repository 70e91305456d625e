"""The neural phrase classifier: a small GRU over a phrase's note events.

Each event is four tokens (interval, onset position in the beat, duration bin, IOI bin;
``phrase_features.event_tokens``), embedded and concatenated; the GRU's last state gives
one logit, generated vs a player's. It sees the order of events, which the linear
classifier's histograms and bigrams only sample, so where the two agree the giveaway is
in the statistics, and where the GRU is higher it is in the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

from studio.music.analysis.phrase_features import (INTERVAL_TOKENS, POSITION_TOKENS, TICK_TOKENS,
                                                   Phrase, event_tokens)


@dataclass(frozen=True)
class GRUSettings:
    hidden: int = 32
    embedding: int = 8
    epochs: int = 25
    batch: int = 32
    lr: float = 0.01
    weight_decay: float = 1e-3


class PhraseGRU(nn.Module):
    def __init__(self, settings: GRUSettings = GRUSettings()):
        super().__init__()
        e = settings.embedding
        self.tables = nn.ModuleList([nn.Embedding(n, e) for n in
                                     (INTERVAL_TOKENS, POSITION_TOKENS, TICK_TOKENS, TICK_TOKENS)])
        self.gru = nn.GRU(4 * e, settings.hidden, batch_first=True)
        self.head = nn.Linear(settings.hidden, 1)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = torch.cat([table(tokens[..., i]) for i, table in enumerate(self.tables)], dim=-1)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.head(h[-1]).squeeze(-1)


def _batch(seqs: list[torch.Tensor], rows) -> tuple[torch.Tensor, torch.Tensor]:
    chosen = [seqs[i] for i in rows]
    return pad_sequence(chosen, batch_first=True), torch.tensor([len(s) for s in chosen])


def gru_fit_predict(train: list[Phrase], test: list[Phrase], seed: int = 0,
                    settings: GRUSettings = GRUSettings()) -> np.ndarray:
    """Train a fresh GRU on ``train`` (labels 1 = generated) and score ``test`` (higher =
    more likely generated). Classes are balanced by weighting the generated side's loss."""
    # One thread: at these sizes torch's second thread only waits, and on a busy machine
    # it waits long (3 epochs of 60 phrases on the shared 2-core CPU at load ~21: 76 s wall
    # and 7.1 s CPU on 2 threads, 3.1 s and 0.2 s on one)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit_predict(train, test, seed, settings)
    finally:
        torch.set_num_threads(before)


def _fit_predict(train, test, seed, settings) -> np.ndarray:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    seqs = [torch.from_numpy(event_tokens(p)) for p in train]
    y = torch.tensor([float(p.label) for p in train])
    positives = float(y.sum())
    pos_weight = torch.tensor((len(y) - positives) / max(1.0, positives))
    model = PhraseGRU(settings)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    model.train()
    for _ in range(settings.epochs):
        order = rng.permutation(len(seqs))
        for lo in range(0, len(order), settings.batch):
            rows = order[lo:lo + settings.batch]
            tokens, lengths = _batch(seqs, rows)
            loss = loss_fn(model(tokens, lengths), y[rows])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    model.eval()
    test_seqs = [torch.from_numpy(event_tokens(p)) for p in test]
    with torch.no_grad():
        out = [model(*_batch(test_seqs, range(lo, min(lo + 256, len(test_seqs)))))
               for lo in range(0, len(test_seqs), 256)]
    return torch.cat(out).numpy() if out else np.zeros(0)
