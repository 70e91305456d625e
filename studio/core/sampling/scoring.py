"""How likely is a sequence under a model: log-probability, NLL per token, perplexity,
and at every step the probability of the actual next token beside the top candidates
(the lectures' P(sentence) = product of P(y<t> | y<1>..y<t-1>))."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from studio.core.domain import get_domain


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


def score_sequence(ckpt, seq, top: int = 5, device=None) -> ScoreResult:
    """Score ``seq`` (a str for char models, a token list for event models).

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
    with torch.no_grad():
        x = torch.tensor([ids[:-1]], dtype=torch.long, device=device)
        logits, _ = model(x)
        logp = torch.log_softmax(logits[0].float(), dim=-1)
    targets = torch.tensor(ids[1:], device=device)
    chosen = logp.gather(1, targets.view(-1, 1)).view(-1)
    k = min(top, logp.size(-1))
    top_p, top_i = torch.topk(logp.exp(), k, dim=-1)
    steps = []
    for t, tok in enumerate(ids[1:]):
        steps.append(StepScore(
            token=vocab.token_text(tok),
            prob=float(chosen[t].exp()),
            top=[(vocab.token_text(i), float(p)) for p, i in zip(top_p[t].tolist(), top_i[t].tolist())],
        ))
    total = float(chosen.sum())
    n = len(steps)
    text = seq if isinstance(seq, str) else " ".join(seq)
    return ScoreResult(text=text, logprob=total, nll_per_token=-total / n,
                       perplexity=math.exp(-total / n), probability=math.exp(total),
                       tokens=n, steps=steps)
