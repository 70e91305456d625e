"""The generator network: embedding -> stacked nn.LSTM / nn.GRU / nn.RNN -> linear head.

Training uses torch's fused recurrent modules (cuDNN on CUDA, oneDNN on CPU). Sampling one
token at a time through them is slow on CPU, so :meth:`SequenceNet.stepper` hands out a
TorchScript cell stack that shares these weights (see ``stepper.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass
class NetConfig:
    cell: str = "lstm"
    vocab_size: int = 0
    layers: int = 2
    hidden: int = 256
    embedding: int = 64
    dropout: float = 0.0

    def __post_init__(self):
        if not isinstance(self.cell, str) or self.cell not in CELLS:  # (a list: unhashable)
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        for name in ("vocab_size", "layers", "hidden", "embedding"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1 or value > 1 << 16:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout!r}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "NetConfig":
        known = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not known.issuperset(data):
            raise ValueError("model config is missing or has unknown fields")
        return cls(**data)


GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def expected_shapes(config: NetConfig) -> dict[str, tuple[int, ...]]:
    """``SequenceNet(config).state_dict()``'s names and shapes, without building the net (a
    checkpoint's config is checked against its stored tensors before anything is allocated:
    a config may ask for 2**16 layers of 2**16)."""
    g, h, e, v = GATES[config.cell], config.hidden, config.embedding, config.vocab_size
    shapes = {"embed.weight": (v, e)}
    for k in range(config.layers):
        shapes.update({f"rnn.weight_ih_l{k}": (g * h, e if k == 0 else h), f"rnn.weight_hh_l{k}": (g * h, h),
                       f"rnn.bias_ih_l{k}": (g * h,), f"rnn.bias_hh_l{k}": (g * h,)})
    shapes.update({"head.weight": (v, h), "head.bias": (v,)})
    return shapes


class SequenceNet(nn.Module):
    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding)
        self.rnn = CELLS[config.cell](
            config.embedding,
            config.hidden,
            num_layers=config.layers,
            dropout=config.dropout if config.layers > 1 else 0.0,
            batch_first=True,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def forward(self, tokens: torch.Tensor, state=None):
        """tokens [B, T] -> (logits [B, T, V], state); state as nn.LSTM/GRU/RNN keep it."""
        x = self.drop(self.embed(tokens))
        out, state = self.rnn(x, state)
        return self.head(self.drop(out)), state

    def initial_state(self, batch: int, device=None):
        device = device or self.head.weight.device
        h = torch.zeros(self.config.layers, batch, self.config.hidden, device=device)
        return (h, h.clone()) if self.config.cell == "lstm" else h

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def stepper(self):
        """The fast sampling step, rebuilt only when the weights changed (training steps
        bump each parameter's version counter), since scripting it costs tens of ms."""
        from studio.core.sampling.stepper import make_stepper

        key = tuple((p.data_ptr(), p._version, p.device) for p in self.parameters())
        cached = self.__dict__.get("_stepper_cache")
        if cached is None or cached[0] != key:
            cached = (key, make_stepper(self))
            self.__dict__["_stepper_cache"] = cached
        return cached[1]


def detach_state(state):
    """Cut the graph between truncated-BPTT windows (word_language_model's repackage_hidden)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
