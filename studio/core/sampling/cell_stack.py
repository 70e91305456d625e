"""A one-step cell stack over a SequenceNet's weights that writes the new state in place.

The CUDA sampler's step (``device_sampler.py``). On a GPU at batch 1 a step costs what its
kernel launches cost, not its arithmetic, so this stack is built for few kernels: LSTM
gates reordered to (i, f, o, g) so one sigmoid covers three gates, the cell update as one
``addcmul``, GRU's blend as one ``lerp``, the embedding folded into layer 0's input
weights (a lookup table), and the new state written straight into a given buffer (``out=``)
instead of stacked. No allocation depends on data and nothing syncs with the host, so the
step can be captured in a CUDA graph; run eagerly it is the same arithmetic, op for op.

State layout matches nn.LSTM/GRU/RNN (``[layers, B, hidden]``; LSTM keeps ``(h, c)``).
"""

from __future__ import annotations

import torch
from torch import Tensor


class CellStack:
    """``step(tok [B], state, new_state) -> logits [B, V]``; ``new_state`` is written.

    ``head_bias`` is added to the head's bias (the sampler folds its banned tokens' -inf
    into it, which leaves every other logit bit-identical: b + 0 == b)."""

    def __init__(self, net, head_bias: Tensor | None = None):
        cfg = net.config
        self.cell, self.layers, self.hidden = cfg.cell, cfg.layers, cfg.hidden
        rnn = net.rnn
        with torch.no_grad():
            p = {name: t.detach() for name, t in rnn.named_parameters()}
            emb = net.embed.weight.detach()
            self.head_w_t = net.head.weight.detach().t().contiguous()
            bias = net.head.bias.detach()
            self.head_b = (bias + head_bias if head_bias is not None else bias).contiguous()
            H = cfg.hidden
            if cfg.cell == "lstm":
                # nn.LSTM's rows are (i, f, g, o); (i, f, o, g) puts the sigmoid gates together
                perm = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H),
                                  torch.arange(2 * H, 3 * H)]).to(emb.device)
            else:
                perm = None

            def rows(t):
                return t if perm is None else t.index_select(0, perm)

            if cfg.cell == "gru":
                # GRU's n gate needs the hidden-side term apart: hidden products stay separate
                self.table = (emb @ p["weight_ih_l0"].t() + p["bias_ih_l0"]).contiguous()
                self.b_hh = [p[f"bias_hh_l{k}"] for k in range(cfg.layers)]
            else:
                self.table = (emb @ rows(p["weight_ih_l0"]).t() + rows(p["bias_ih_l0"])
                              + rows(p["bias_hh_l0"])).contiguous()
                self.b = [None] + [rows(p[f"bias_ih_l{k}"] + p[f"bias_hh_l{k}"])
                                   for k in range(1, cfg.layers)]
            self.wih_t = [None] + [rows(p[f"weight_ih_l{k}"]).t().contiguous()
                                   for k in range(1, cfg.layers)]
            self.b_ih = [None] + [p[f"bias_ih_l{k}"] for k in range(1, cfg.layers)] \
                if cfg.cell == "gru" else None
            self.whh_t = [rows(p[f"weight_hh_l{k}"]).t().contiguous() for k in range(cfg.layers)]
            self.relu = cfg.cell == "rnn" and rnn.nonlinearity == "relu"

    def new_state(self, batch: int, device) -> list[Tensor]:
        """Zeros in the sampler's layout: ``[h]`` or ``[h, c]``, each [layers, B, hidden]."""
        shape = (self.layers, batch, self.hidden)
        count = 2 if self.cell == "lstm" else 1
        return [torch.zeros(shape, device=device) for _ in range(count)]

    def step(self, tok: Tensor, state: list[Tensor], new_state: list[Tensor]) -> Tensor:
        if self.cell == "lstm":
            return self._lstm(tok, state[0], state[1], new_state[0], new_state[1])
        if self.cell == "gru":
            return self._gru(tok, state[0], new_state[0])
        return self._rnn(tok, state[0], new_state[0])

    def _lstm(self, tok, h, c, new_h, new_c):
        three = 3 * self.hidden
        x = h[0]
        for layer in range(self.layers):
            if layer == 0:
                gates = torch.addmm(self.table.index_select(0, tok), h[0], self.whh_t[0])
            else:
                gates = torch.addmm(torch.addmm(self.b[layer], x, self.wih_t[layer]),
                                    h[layer], self.whh_t[layer])
            i, f, o = torch.sigmoid(gates[:, :three]).chunk(3, 1)
            g = torch.tanh(gates[:, three:])
            c_new = torch.addcmul(f * c[layer], i, g, out=new_c[layer])
            x = torch.mul(o, torch.tanh(c_new), out=new_h[layer])
        return torch.addmm(self.head_b, x, self.head_w_t)

    def _gru(self, tok, h, new_h):
        two = 2 * self.hidden
        x = h[0]
        for layer in range(self.layers):
            gi = self.table.index_select(0, tok) if layer == 0 else \
                torch.addmm(self.b_ih[layer], x, self.wih_t[layer])
            gh = torch.addmm(self.b_hh[layer], h[layer], self.whh_t[layer])
            r, z = torch.sigmoid(gi[:, :two] + gh[:, :two]).chunk(2, 1)
            n = torch.tanh(torch.addcmul(gi[:, two:], r, gh[:, two:]))
            x = torch.lerp(n, h[layer], z, out=new_h[layer])  # n + z * (h - n)
        return torch.addmm(self.head_b, x, self.head_w_t)

    def _rnn(self, tok, h, new_h):
        x = h[0]
        for layer in range(self.layers):
            if layer == 0:
                pre = torch.addmm(self.table.index_select(0, tok), h[0], self.whh_t[0])
            else:
                pre = torch.addmm(torch.addmm(self.b[layer], x, self.wih_t[layer]),
                                  h[layer], self.whh_t[layer])
            x = torch.clamp(pre, min=0, out=new_h[layer]) if self.relu else \
                torch.tanh(pre, out=new_h[layer])
        return torch.addmm(self.head_b, x, self.head_w_t)
