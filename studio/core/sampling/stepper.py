"""One-token steps for sampling, sharing a SequenceNet's weights.

Why not call nn.LSTM with seq_len 1? On CPU that goes through oneDNN's sequence kernels,
whose per-call setup costs far more than the arithmetic at batch 1 (DESIGN.md measured it
8-11x slower than a cell stack). Here each step is a few matrix-vector products in a
TorchScript function: the embedding is folded into layer 0's input weights (a lookup
table), later layers multiply ``[x, h]`` by one stacked matrix, and the head is one addmm.

State layout matches nn.LSTM/GRU/RNN (``[layers, B, hidden]``, ``(h, c)`` for LSTM), so a
prime can run through the fused module once and the stepper carry on from its state.
"""

from __future__ import annotations

import warnings
from typing import List, Tuple

import torch
from torch import Tensor, nn


class LSTMStep(nn.Module):
    def __init__(self, table: Tensor, w0_t: Tensor, ws_t: List[Tensor], bs: List[Tensor],
                 head_w_t: Tensor, head_b: Tensor):
        super().__init__()
        self.table, self.w0_t, self.ws_t, self.bs = table, w0_t, ws_t, bs
        self.head_w_t, self.head_b = head_w_t, head_b

    def forward(self, tok: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        hs: List[Tensor] = []
        cs: List[Tensor] = []
        gates = torch.addmm(self.table.index_select(0, tok), h[0], self.w0_t)
        x = h[0]
        for layer in range(h.size(0)):
            if layer > 0:
                gates = torch.addmm(self.bs[layer - 1], torch.cat([x, h[layer]], 1), self.ws_t[layer - 1])
            i, f, g, o = gates.chunk(4, 1)
            c_new = torch.sigmoid(f) * c[layer] + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c_new)
            hs.append(x)
            cs.append(c_new)
        logits = torch.addmm(self.head_b, x, self.head_w_t)
        return logits, torch.stack(hs), torch.stack(cs)


class GRUStep(nn.Module):
    def __init__(self, tables: Tensor, w_ih_t: List[Tensor], b_ih: List[Tensor],
                 w_hh_t: List[Tensor], b_hh: List[Tensor], head_w_t: Tensor, head_b: Tensor):
        super().__init__()
        self.tables, self.w_ih_t, self.b_ih = tables, w_ih_t, b_ih
        self.w_hh_t, self.b_hh = w_hh_t, b_hh
        self.head_w_t, self.head_b = head_w_t, head_b

    def forward(self, tok: Tensor, h: Tensor) -> Tuple[Tensor, Tensor]:
        hs: List[Tensor] = []
        x = self.tables.index_select(0, tok)
        gi = x
        for layer in range(h.size(0)):
            if layer > 0:
                gi = torch.addmm(self.b_ih[layer], x, self.w_ih_t[layer])
            gh = torch.addmm(self.b_hh[layer], h[layer], self.w_hh_t[layer])
            i_r, i_z, i_n = gi.chunk(3, 1)
            h_r, h_z, h_n = gh.chunk(3, 1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            x = n + z * (h[layer] - n)
            hs.append(x)
        logits = torch.addmm(self.head_b, x, self.head_w_t)
        return logits, torch.stack(hs)


class RNNStep(nn.Module):
    def __init__(self, table: Tensor, w0_t: Tensor, ws_t: List[Tensor], bs: List[Tensor],
                 head_w_t: Tensor, head_b: Tensor, relu: bool):
        super().__init__()
        self.table, self.w0_t, self.ws_t, self.bs = table, w0_t, ws_t, bs
        self.head_w_t, self.head_b, self.relu = head_w_t, head_b, relu

    def forward(self, tok: Tensor, h: Tensor) -> Tuple[Tensor, Tensor]:
        hs: List[Tensor] = []
        pre = torch.addmm(self.table.index_select(0, tok), h[0], self.w0_t)
        x = h[0]
        for layer in range(h.size(0)):
            if layer > 0:
                pre = torch.addmm(self.bs[layer - 1], torch.cat([x, h[layer]], 1), self.ws_t[layer - 1])
            x = torch.relu(pre) if self.relu else torch.tanh(pre)
            hs.append(x)
        logits = torch.addmm(self.head_b, x, self.head_w_t)
        return logits, torch.stack(hs)


class Stepper:
    """``step(tok [B], state) -> (logits [B, V], state)`` with nn-compatible state."""

    def __init__(self, module: nn.Module, cell: str):
        self.module = module
        self.cell = cell

    def step(self, tok: Tensor, state):
        if self.cell == "lstm":
            logits, h, c = self.module(tok, state[0], state[1])
            return logits, (h, c)
        logits, h = self.module(tok, state)
        return logits, h


@torch.no_grad()
def make_stepper(net) -> Stepper:
    cfg = net.config
    rnn = net.rnn
    p = {name: t.detach() for name, t in rnn.named_parameters()}
    emb = net.embed.weight.detach()
    head_w_t = net.head.weight.detach().t().contiguous()
    head_b = net.head.bias.detach().contiguous()
    layers = range(cfg.layers)
    if cfg.cell == "gru":
        # Only layer 0's input projection folds into a table: GRU's n gate needs the
        # hidden-side term apart, so hidden products stay separate in every layer.
        tables = emb @ p["weight_ih_l0"].t() + p["bias_ih_l0"]
        module = GRUStep(
            tables.contiguous(),
            [p[f"weight_ih_l{k}"].t().contiguous() for k in layers],
            [p[f"bias_ih_l{k}"] for k in layers],
            [p[f"weight_hh_l{k}"].t().contiguous() for k in layers],
            [p[f"bias_hh_l{k}"] for k in layers],
            head_w_t, head_b,
        )
    else:
        table = emb @ p["weight_ih_l0"].t() + p["bias_ih_l0"] + p["bias_hh_l0"]
        w0_t = p["weight_hh_l0"].t().contiguous()
        ws_t = [torch.cat([p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"]], 1).t().contiguous()
                for k in layers if k > 0]
        bs = [p[f"bias_ih_l{k}"] + p[f"bias_hh_l{k}"] for k in layers if k > 0]
        if cfg.cell == "lstm":
            module = LSTMStep(table.contiguous(), w0_t, ws_t, bs, head_w_t, head_b)
        else:
            module = RNNStep(table.contiguous(), w0_t, ws_t, bs, head_w_t, head_b,
                             rnn.nonlinearity == "relu")
    return Stepper(_script(module), cfg.cell)


def _script(module: nn.Module) -> nn.Module:
    try:
        with warnings.catch_warnings():  # deprecated upstream, still the fastest CPU step here
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.script(module)
    except Exception:  # TorchScript is deprecated upstream; eager mode is correct, only slower
        return module
