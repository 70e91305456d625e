"""Logit shaping shared by both samplers: temperature (per token class), a domain's bias,
top-k and top-p.

The host sampler (``sampler``) and the CUDA-graph sampler (``device_sampler``) both call
``shape_logits`` so a take is drawn from the same distribution on either path; it lives
here, below both, so that neither sampler imports the other for it.
"""

from __future__ import annotations

import torch

# ``settings`` below is a ``sampler.SampleSettings``; only its fields are read, so this module
# need not import the sampler (which imports it).


def _class_tempered(logits: torch.Tensor, settings,
                    bias: torch.Tensor | None = None) -> torch.Tensor:
    """Logits [N, V] tempered per token class.

    Inside class c the choice is tempered by T_c; the mass of class c as a whole is the
    mass it has under the overall temperature T. So a token's logit becomes
    ``z/T_c - LSE_c(z/T_c) + LSE_c(z/T)``: with every T_c == T this is exactly ``z/T``,
    and unlike a plain per-token divisor it does not depend on the logits' offset (the
    net's logits are defined up to a constant, so a per-token divisor would move mass
    between classes arbitrarily). A bias b joins the inside term, ``z/T_c + b``: it
    multiplies a token's odds against the others of its class by exp(b) and leaves the
    class's mass alone (jazz: a lick changes which note, not whether a note comes now).
    """
    classes = torch.as_tensor(settings.token_classes, device=logits.device)
    overall = logits / settings.temperature
    out = torch.full_like(logits, float("-inf"))
    for c, temp in enumerate(settings.class_temperatures):
        member = classes == c
        if not bool(member.any()):
            continue
        z = logits[:, member]
        inside = z / temp if bias is None else z / temp + bias[:, member]
        shaped = inside - torch.logsumexp(inside, -1, keepdim=True) \
            + torch.logsumexp(overall[:, member], -1, keepdim=True)
        # a class with no allowed token in a row stays -inf (no NaN from -inf - -inf)
        out[:, member] = torch.where(torch.isfinite(z), shaped, torch.full_like(z, float("-inf")))
    return out


def shape_logits(logits: torch.Tensor, settings,
                 bias: torch.Tensor | None = None) -> torch.Tensor:
    """Temperature (per token class, when set), a domain's bias [N, V] (``LogitBias``: added
    after the temperature, so exp(b) is the factor on a token's odds whatever the
    temperature), top-k and top-p applied to logits [N, V] (masked entries are -inf)."""
    if settings.token_classes is not None:
        logits = _class_tempered(logits, settings, bias)
    else:
        logits = logits / settings.temperature
        if bias is not None:
            logits = logits + bias
    if settings.top_k and settings.top_k < logits.size(-1):
        kth = torch.topk(logits, settings.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if settings.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # drop a token when the mass before it already reaches top_p (keeps at least one)
        drop = (torch.cumsum(probs, dim=-1) - probs) >= settings.top_p
        drop = torch.zeros_like(drop).scatter(-1, order, drop)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits
