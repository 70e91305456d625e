"""The sampler: one function for every domain (names, text, jazz).

It primes the net with the seed tokens in one fused pass, then steps one token at a time
carrying the recurrent state (never re-running the prefix). Per step: an optional
constraint masks logits (the jazz grammar forces chart tokens with it), then temperature
(0 = greedy), top-k and top-p shape the distribution and a seeded torch.Generator draws.
A domain may split its vocabulary into token classes with a temperature each (jazz: pitch
apart from rhythm); the sampler knows only class ids. A domain may also add a per-step
logit bias (``LogitBias``: jazz boosts the notes that continue a shared lick), computed on
the host from the tokens emitted so far. It is a generator: the caller sees each step as
it comes and stops by not asking for more.
"""

from __future__ import annotations

import math

import contextlib
import os
from dataclasses import asdict, dataclass
from typing import Iterator, Protocol

import torch

from studio.core.sampling.shaping import shape_logits


@dataclass
class SampleSettings:
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    max_length: int = 200
    count: int = 1
    seed: int | None = None
    stop_at_end: bool = True
    # Token classes (one id per vocabulary entry) with a temperature each. ``temperature``
    # then shapes the choice *between* classes and ``class_temperatures[c]`` the choice
    # inside class c (see ``shape_logits``). None: one class, plain temperature.
    token_classes: tuple[int, ...] | None = None
    class_temperatures: tuple[float, ...] = ()

    def __post_init__(self):
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0 (0 means greedy), not {self.temperature}")
        if self.top_k < 0:
            raise ValueError("top-k must be >= 0 (0 means off)")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError("top-p must be in (0, 1]")
        if self.max_length < 0 or self.count < 1:
            raise ValueError("length must be >= 0 and count >= 1")
        if self.token_classes is not None:
            self.token_classes = tuple(int(c) for c in self.token_classes)
            self.class_temperatures = tuple(float(t) for t in self.class_temperatures)
            if min(self.token_classes, default=0) < 0 or \
                    max(self.token_classes, default=0) >= len(self.class_temperatures):
                raise ValueError("every token class needs a temperature")
            if any(not (math.isfinite(t) and t > 0) for t in self.class_temperatures):
                raise ValueError("class temperatures must be > 0")

    def to_json(self) -> dict:
        return asdict(self)


class Constraint(Protocol):
    def mask(self, step: int) -> torch.Tensor | None:
        """Bool [N, V], True where a token is allowed at this step; None allows all."""

    def advance(self, tokens: torch.Tensor) -> None:
        """The tokens [N] just emitted (rows already finished carry their last token)."""


class LogitBias(Protocol):
    """A per-step bias a domain adds to the tempered logits (an n-gram or kNN-LM style
    expert multiplied into the net's distribution). It sees the tokens as they are emitted
    (``advance``) and keeps whatever history it needs, so the prefix is never re-run."""

    def bias(self, step: int) -> torch.Tensor | None:
        """Float [N, V] (finite) added to each row's tempered logits; None adds nothing.
        Under token classes it reshapes the choice inside each class and never moves mass
        between classes (see ``shape_logits``)."""

    def advance(self, tokens: torch.Tensor) -> None:
        """The tokens [N] just emitted (rows already finished carry their last token)."""


@dataclass
class SampleStep:
    index: int
    tokens: list[int]  # -1 for rows that had already finished
    done: list[bool]
    logprobs: list[float]


# At or below this batch on CPU, sampling runs on one thread through the TorchScript cell
# stack; above it, torch's threads and the fused module win (measured: docs/BENCH.md).
SMALL_BATCH = 8


@contextlib.contextmanager
def _threads_for(batch: int, device: torch.device):
    # One thread samples faster than two at small batch on CPU (thread hand-off costs
    # more than the matrix-vector work); big batches keep the default.
    if device.type != "cpu" or batch > SMALL_BATCH:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def same_device(model, device=None) -> torch.device:
    """The device sampling runs on: the model's own. A ``device`` that names another one is
    refused here, with what to do, rather than deep inside the embedding lookup."""
    here = next(model.parameters()).device
    if device is None:
        return here
    want = torch.device(device)
    if want.type == here.type and want.index in (None, here.index):
        return here
    raise ValueError(f"the model is on {here} but sampling was asked to run on {want}: load the "
                     f"model on {want} (load_checkpoint(path, device={str(want)!r})), or leave "
                     "the device out to sample where the model is")


def sample_stream(model, prime, settings: SampleSettings, constraint: Constraint | None = None,
                  stop_tokens=(), device=None, end_id: int = 0, ban=(),
                  cuda_graph: bool | None = None, bias: LogitBias | None = None) -> Iterator[SampleStep]:
    """Yield one SampleStep per generated position for ``settings.count`` rows.

    ``prime`` is one id list shared by every row, or one list per row (same length).
    Rows stop at ``end_id`` (when ``settings.stop_at_end``) or any of ``stop_tokens``.
    ``ban`` lists ids never to emit (``<unk>``, id 1, is always banned). ``bias``: a
    domain's per-step logit bias (``LogitBias``), after masks and temperature.
    On CUDA the steps run in blocks on the device (``device_sampler``), captured in a CUDA
    graph unless ``cuda_graph`` is False (or STUDIO_CUDA_GRAPHS=0): the same take either way.
    """
    device = same_device(model, device)
    n = settings.count
    rows = prime if prime and isinstance(prime[0], (list, tuple)) else [list(prime)] * n
    if len(rows) != n or len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ValueError("prime must be a non-empty id list, or one equal-length list per row")
    stops = set(int(t) for t in stop_tokens)
    if settings.stop_at_end:
        stops.add(end_id)
    ban_ids = tuple(sorted({1, *map(int, ban)}))  # e.g. <unk>: it marks unseen input only
    seed = settings.seed if settings.seed is not None else torch.seed() % (2**63)
    was_training = model.training
    model.eval()
    steps = None
    try:
        with torch.no_grad(), _threads_for(n, device):
            prime_t = torch.tensor(rows, dtype=torch.long, device=device)
            state = None
            if prime_t.size(1) > 1:
                _, state = model(prime_t[:, :-1])
            else:
                state = model.initial_state(n, device)
            # A bias is computed on the host from each emitted token, so on CUDA it would
            # cost the block/graph path its point (a block of one step, a host round trip
            # per step, as under a constraint, plus a bias upload): such takes run the same
            # eager per-step loop as the CPU, on the device.
            if device.type == "cuda" and bias is None:
                from studio.core.sampling.device_sampler import device_steps

                graph = cuda_graph if cuda_graph is not None else graphs_enabled()
                steps = device_steps(model, prime_t[:, -1], state, settings, seed, ban_ids,
                                     constraint, graph=graph)
            else:
                steps = _host_steps(model, prime_t[:, -1], state, settings, seed, ban_ids,
                                    constraint, device, bias)
            done = [False] * n
            for index, (out, logprobs) in enumerate(steps):
                # bookkeeping of finished rows in Python: cheaper than tensor ops at small N
                for i, t in enumerate(out):
                    if done[i]:
                        out[i], logprobs[i] = -1, 0.0
                    elif t in stops:
                        done[i] = True
                yield SampleStep(index, out, list(done), logprobs)
                if all(done):
                    return
    finally:
        if steps is not None:
            steps.close()
        model.train(was_training)


def graphs_enabled() -> bool:
    """CUDA graphs are on unless STUDIO_CUDA_GRAPHS=0 (an escape hatch, same takes)."""
    return os.environ.get("STUDIO_CUDA_GRAPHS", "1") != "0"


def _host_steps(model, last, state, settings, seed, ban_ids, constraint, device, bias=None):
    """Per step, every row's token and log-probability, one step at a time (CPU, MPS)."""
    ban_bias = torch.zeros(model.config.vocab_size, device=device)
    ban_bias[list(ban_ids)] = float("-inf")
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    stepper = _stepper_for(model, last.numel(), device)
    for index in range(settings.max_length):
        logits, state = stepper.step(last, state)
        logits = logits + ban_bias
        if constraint is not None:
            allowed = constraint.mask(index)
            if allowed is not None:
                allowed = allowed.to(device)
                allowed = allowed | ~allowed.any(1, keepdim=True)  # never an empty row
                logits = logits.masked_fill(~allowed, float("-inf"))
        extra = bias.bias(index) if bias is not None else None
        if extra is not None:
            extra = extra.to(device)
        if settings.temperature == 0:
            tok = torch.argmax(logits if extra is None else logits + extra, dim=-1)
        else:
            probs = torch.softmax(shape_logits(logits, settings, extra), dim=-1)
            tok = torch.multinomial(probs, 1, generator=gen).view(-1)
        # the model's own log-probability of the token (T = 1, after the masks)
        chosen = logits.gather(1, tok.view(-1, 1)).view(-1) - torch.logsumexp(logits, -1)
        if constraint is not None:
            constraint.advance(tok)  # finished rows: a constraint ignores them
        if bias is not None:
            bias.advance(tok)
        last = tok
        yield tok.tolist(), chosen.tolist()


class _FusedStep:
    """One step through the fused nn.LSTM/GRU/RNN: faster than the cell stack at big batch."""

    def __init__(self, model):
        self.model = model

    def step(self, tok, state):
        logits, state = self.model(tok.view(-1, 1), state)
        return logits[:, 0], state


def _stepper_for(model, batch: int, device: torch.device):
    # Measured (docs/BENCH.md): on CPU the TorchScript cell stack wins at small batch,
    # the fused module (oneDNN, several threads) at batch 64; MPS gets the fused module
    # too (CUDA steps through device_sampler, never here).
    if device.type == "cpu" and batch <= SMALL_BATCH:
        return model.stepper()
    return _FusedStep(model)


def sample(model, prime, settings: SampleSettings, **kwargs) -> list[list[int]]:
    """Run the stream to its end: the generated ids of each row (stop token included)."""
    out: list[list[int]] = [[] for _ in range(settings.count)]
    for step in sample_stream(model, prime, settings, **kwargs):
        for row, tok in enumerate(step.tokens):
            if tok >= 0:
                out[row].append(tok)
    return out
