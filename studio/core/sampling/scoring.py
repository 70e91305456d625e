"""How likely is a sequence under a model: log-probability, NLL per token, perplexity,
and at every step the probability of the actual next token beside the top candidates
(the lectures' P(sentence) = product of P(y<t> | y<1>..y<t-1>))."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from studio.core.domain import get_domain


# Tokens per forward pass: a recurrent net steps through a sequence one token at a time
# anyway, so cutting it into windows (state carried across) costs nothing and lets a
# long text report progress and stop between windows. 256 steps of the shipped text
# model take ~0.06 s idle and ~0.5 s at load 17 on 2 cores (measured 2.2 ms a step).
WINDOW = 256


class ScoringStopped(Exception):
    """``should_stop()`` said stop in the middle of a sequence (the Score tab's Stop)."""


@dataclass
class StepScore:
    token: str
    prob: float
    top: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class ScoreResult:
    text: str
    logprob: float
    nll_per_token: float
    perplexity: float
    probability: float
    tokens: int
    steps: list[StepScore]


def score_sequence(ckpt, seq, top: int = 5, device=None, progress=None,
                   should_stop=None) -> ScoreResult:
    """Score ``seq`` (a str for char models, a token list for event models).

    ``progress(done, total)`` is called after each window of ``WINDOW`` tokens;
    ``should_stop()`` is polled before each and raises ``ScoringStopped`` when true.

    Framed domains (names, jazz) start after the end token and count the closing end token,
    so a name that should have gone on scores lower. Streams (text) score every token after
    the first.
    """
    vocab, model = ckpt.vocab, ckpt.model
    if isinstance(seq, str):
        seq = get_domain(ckpt.domain).read_input(seq)  # names: lowercased, as trained
    ids = vocab.encode(seq)
    if get_domain(ckpt.domain).framed:
        ids = [vocab.end_id] + ids + [vocab.end_id]
    if len(ids) < 2:
        raise ValueError("a sequence needs at least two characters to be scored")
    device = device or next(model.parameters()).device
    model.eval()
    inputs = ids[:-1]
    parts, state = [], None
    with torch.no_grad():
        for start in range(0, len(inputs), WINDOW):
            if should_stop is not None and should_stop():
                raise ScoringStopped(f"stopped after {start} of {len(inputs)} tokens")
            x = torch.tensor([inputs[start:start + WINDOW]], dtype=torch.long, device=device)
            logits, state = model(x, state)
            parts.append(torch.log_softmax(logits[0].float(), dim=-1))
            if progress is not None:
                progress(min(start + WINDOW, len(inputs)), len(inputs))
    logp = torch.cat(parts)
    targets = torch.tensor(ids[1:], device=device)
    chosen = logp.gather(1, targets.view(-1, 1)).view(-1)
    k = min(top, logp.size(-1))
    top_p, top_i = torch.topk(logp.exp(), k, dim=-1)
    # one conversion per tensor, not per step: 50k steps of .tolist() calls cost seconds
    texts = [vocab.token_text(i) for i in range(logp.size(-1))]
    probs, top_ps, top_is = chosen.exp().tolist(), top_p.tolist(), top_i.tolist()
    steps = [StepScore(token=texts[tok], prob=probs[t],
                       top=[(texts[i], p) for p, i in zip(top_ps[t], top_is[t])])
             for t, tok in enumerate(ids[1:])]
    total = float(chosen.sum())
    n = len(steps)
    text = seq if isinstance(seq, str) else " ".join(seq)
    return ScoreResult(text=text, logprob=total, nll_per_token=-total / n,
                       perplexity=math.exp(-total / n), probability=math.exp(total),
                       tokens=n, steps=steps)
