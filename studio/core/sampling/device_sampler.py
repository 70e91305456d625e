"""Sampling on a GPU: a block of steps captured in a CUDA graph, tokens kept on the device.

Why: at batch 1 a step is a few dozen tiny kernels (cell stack, temperature/top-k/top-p,
the draw) plus a host sync to read the token, so a GPU idles between launches (measured on
an H100: ~1,000 tok/s for a 2x512 LSTM, slower than the 2-core CPU path). Here ``BLOCK``
steps run back to back on the device, each feeding its token to the next; the block is
captured once in a ``torch.cuda.CUDAGraph`` and replayed with one launch, and the host
copies the block's tokens (pinned memory, asynchronously) while the GPU already runs the
next block. A constraint (the jazz grammar) needs each token on the host before it can
mask the next step, so with one the block is a single step (the graph still saves the
launches, not the sync).

Same take as eager: ``graph=False`` runs the very same block function op by op. The draw
uses a device-side ``torch.Generator`` registered with the graph; each replay advances it
by the philox offsets the captured draws consume, which are the offsets the same draws
take eagerly, so the same seed gives the same tokens (tested on CUDA). Anything that
would sync inside a step (per-class temperatures test class membership on the host) runs
eagerly, never captured. On a CPU the block function runs eagerly (no graph, no pinned
memory): the CPU fallback and the tests of this module's bookkeeping.
"""

from __future__ import annotations

import threading
from typing import Iterator

import torch

from studio.core.sampling.cell_stack import CellStack

BLOCK = 32  # steps per device round trip: ~2-3 ms of text at 10-20k tok/s, still live
_CACHE_LOCK = threading.Lock()


def graph_capable(settings, device: torch.device) -> bool:
    """Whether this sampling can be captured: a CUDA device, no host-side class tests."""
    return device.type == "cuda" and settings.token_classes is None


class BlockRunner:
    """Static buffers + the block function: ``block`` steps from ``tok``/``state``.

    After a block, ``out_tok[k]``/``out_lp[k]`` hold step k's tokens and log-probabilities
    and ``tok``/``state`` hold where the next block starts."""

    def __init__(self, model, batch: int, block: int, settings, ban_bias: torch.Tensor,
                 masked: bool, device: torch.device, gen: torch.Generator):
        self.cells = CellStack(model, head_bias=ban_bias)
        self.settings, self.block, self.masked = settings, block, masked
        self.gen = gen
        vocab = model.config.vocab_size
        self.tok = torch.zeros(batch, dtype=torch.long, device=device)
        self.state = self.cells.new_state(batch, device)
        self.spare = self.cells.new_state(batch, device)
        self.allowed = torch.ones(batch, vocab, dtype=torch.bool, device=device) if masked else None
        self.out_tok = torch.zeros(block, batch, dtype=torch.long, device=device)
        self.out_lp = torch.zeros(block, batch, device=device)
        self.graph = None
        self.busy = False  # its buffers belong to one take at a time

    def _draw(self, logits, tok_out, lp_out) -> None:
        """One step's choice, written into ``tok_out`` [N] and ``lp_out`` [N]. Each kernel
        counts at batch 1, so the draw is torch.multinomial's own one-sample path
        (``argmax(p / q)``, q ~ Exp(1) from the generator: the same draws at the same
        generator offsets, tested against the host sampler) without its validity checks,
        which cost kernels of their own at every step."""
        from studio.core.sampling.shaping import shape_logits

        if self.masked:
            allowed = self.allowed | ~self.allowed.any(1, keepdim=True)  # never an empty row
            logits = logits.masked_fill(~allowed, float("-inf"))
        if self.settings.temperature == 0:
            torch.argmax(logits, dim=-1, out=tok_out)
        else:
            probs = torch.softmax(shape_logits(logits, self.settings), dim=-1)
            q = torch.empty_like(probs).exponential_(1, generator=self.gen)
            torch.argmax(torch.div(probs, q, out=q), dim=-1, out=tok_out)
        # the model's own log-probability of the token (T = 1, after the masks)
        torch.gather(torch.log_softmax(logits, -1), 1, tok_out.view(-1, 1), out=lp_out.view(-1, 1))

    @torch.no_grad()
    def run_block(self) -> None:
        tok, src, dst = self.tok, self.state, self.spare
        for k in range(self.block):
            self._draw(self.cells.step(tok, src, dst), self.out_tok[k], self.out_lp[k])
            tok = self.out_tok[k]
            src, dst = dst, src
        if src is not self.state:  # an odd block ends in the spare buffers
            for a, b in zip(self.state, src):
                a.copy_(b)
        self.tok.copy_(tok)

    def capture(self) -> None:
        """Record the block in a CUDA graph (after one eager warm-up on a side stream, which
        creates cuBLAS handles and workspaces outside the capture)."""
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.gen)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.run_block()
        torch.cuda.current_stream().wait_stream(side)
        with torch.cuda.graph(graph):
            self.run_block()
        self.graph = graph

    def launch(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        else:
            self.run_block()

    def start(self, last: torch.Tensor, state, seed: int) -> None:
        """Load the row's last prime token and the primed state; re-seed the generator."""
        self.tok.copy_(last)
        for buf, s in zip(self.state, state if isinstance(state, tuple) else (state,)):
            buf.copy_(s)
        self.gen.manual_seed(seed)


def _runner(model, batch, block, settings, ban_ids, masked, device, graph) -> BlockRunner:
    """A runner for these settings, reused across takes while the weights are unchanged
    (capturing costs a warm-up block and the capture; replays are what is fast). One in
    use by another take (the window may start a take before an abandoned one has ended)
    is left alone: this take gets a runner of its own. Returned marked busy."""
    params = tuple((p.data_ptr(), p._version) for p in model.parameters())
    shape = (settings.temperature, settings.top_k, settings.top_p,
             settings.token_classes, settings.class_temperatures)
    key = (params, batch, block, shape, ban_ids, masked, str(device), graph)
    with _CACHE_LOCK:
        cached = model.__dict__.get("_block_runner")
        if cached is not None and cached[0] == key and not cached[1].busy:
            cached[1].busy = True
            return cached[1]
    ban_bias = torch.zeros(model.config.vocab_size, device=device)
    ban_bias[list(ban_ids)] = float("-inf")
    gen = torch.Generator(device=device)
    runner = BlockRunner(model, batch, block, settings, ban_bias, masked, device, gen)
    runner.busy = True
    if graph:
        runner.capture()
    with _CACHE_LOCK:
        model.__dict__["_block_runner"] = (key, runner)
    return runner


def device_steps(model, last: torch.Tensor, state, settings, seed: int, ban_ids: tuple,
                 constraint=None, graph: bool = False, block: int = BLOCK
                 ) -> Iterator[tuple[list[int], list[float]]]:
    """Per step, the tokens and log-probabilities of every row (``settings.max_length``
    steps at most; the caller stops early by closing the generator).

    ``last`` [N] is each row's last prime token, ``state`` the primed recurrent state."""
    device = last.device
    n = last.numel()
    masked = constraint is not None
    block = 1 if masked else max(1, min(block, settings.max_length))
    graph = graph and graph_capable(settings, device)
    runner = _runner(model, n, block, settings, ban_ids, masked, device, graph)
    try:
        yield from _run(runner, last, state, settings, seed, constraint, block)
    finally:
        runner.busy = False


def _run(runner, last, state, settings, seed, constraint, block):
    device, n, masked = last.device, last.numel(), constraint is not None
    runner.start(last, state, seed)
    pinned = device.type == "cuda"
    host_tok = [torch.empty(block, n, dtype=torch.long, pin_memory=pinned) for _ in range(2)]
    host_lp = [torch.empty(block, n, pin_memory=pinned) for _ in range(2)]
    events = [torch.cuda.Event() if pinned else None for _ in range(2)]

    def launch(slot: int) -> None:
        runner.launch()
        host_tok[slot].copy_(runner.out_tok, non_blocking=pinned)
        host_lp[slot].copy_(runner.out_lp, non_blocking=pinned)
        if pinned:
            events[slot].record()

    index, slot = 0, 0
    if not masked:
        launch(0)
    while index < settings.max_length:
        if masked:
            allowed = constraint.mask(index)
            if allowed is None:
                runner.allowed.fill_(True)
            else:
                runner.allowed.copy_(allowed)
            launch(slot)
        elif index + block < settings.max_length:
            launch(1 - slot)  # the device runs the next block while the host reads this one
        if pinned:
            events[slot].synchronize()
        toks, lps = host_tok[slot].tolist(), host_lp[slot].tolist()
        for k in range(block):
            if index >= settings.max_length:
                return
            if masked:
                constraint.advance(host_tok[slot][k].clone())
            yield toks[k], lps[k]
            index += 1
        if not masked:
            slot = 1 - slot
