"""``sequence-studio eval``: held-out numbers for a model on a corpus, as a dict (JSON)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from studio.core.training import batches as B
from studio.core.domain import get_domain


class EvaluationStopped(Exception):
    """``should_stop()`` said stop in the middle of a pass (Ctrl-C during validation)."""


def _check(should_stop) -> None:
    if should_stop is not None and should_stop():
        raise EvaluationStopped


@torch.no_grad()
def nll_of_sequences(model, seqs: list[list[int]], pad_id: int = 0,
                     should_stop=None) -> tuple[float, int]:
    """Mean NLL per predicted token over padded sequences (end token included)."""
    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for i in range(0, len(seqs), 256):
        _check(should_stop)
        b = B.pad_batch(seqs[i:i + 256], pad_id)
        logits, _ = model(b.x.to(device))
        total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), b.y.to(device).reshape(-1),
                                       ignore_index=B.IGNORE, reduction="sum"))
        count += b.tokens
    return total / max(1, count), count


VAL_LANES, VAL_WINDOW = 16, 256  # the trainer's validation layout, so numbers match
FILE_CAP_TOKENS = 8_000_000  # eval's whole-file NLL reads at most this much of a big file


@torch.no_grad()
def token_nlls(model, ids: torch.Tensor, lanes: int = VAL_LANES, window: int = VAL_WINDOW,
               should_stop=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(NLL of each predicted token, the tokens predicted), in stream order.

    The stream is cut into ``lanes`` contiguous rows, each read with its state carried
    across ``window``-token pieces; the trainer's validation uses this very function."""
    model.eval()
    device = next(model.parameters()).device
    pieces, targets, state = [], [], None
    for b in B.stream_batches(ids, lanes, window):
        _check(should_stop)  # a window takes well under a second, so Ctrl-C is prompt
        logits, state = model(b.x.to(device), state if b.carry else None)
        nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), b.y.to(device).reshape(-1),
                              reduction="none")
        pieces.append(nll.view(b.y.shape).cpu())
        targets.append(b.y)
    # lanes are contiguous slices of the stream: joining windows in time, then rows, is
    # the stream's own order
    return torch.cat(pieces, 1).reshape(-1), torch.cat(targets, 1).reshape(-1)


@torch.no_grad()
def nll_of_stream_rows(model, ids: torch.Tensor, rows, lanes: int = VAL_LANES, window: int = VAL_WINDOW,
                       should_stop=None) -> tuple[float, int]:
    """(NLL sum, tokens) over the lanes ``rows(n_lanes)`` picks of ``token_nlls``'s layout:
    under torchrun each rank scores its share of the validation lanes and the sums add up
    to the one-process figure."""
    model.eval()
    device = next(model.parameters()).device
    total, count, state = 0.0, 0, None
    for b in B.stream_batches(ids, lanes, window):
        _check(should_stop)
        share = rows(b.x.size(0))
        x, y = b.x[share], b.y[share]
        if not x.size(0):
            break  # every window has the same lanes: this rank has none
        logits, state = model(x.to(device), state if b.carry else None)
        total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.to(device).reshape(-1),
                                       reduction="sum"))
        count += y.numel()
    return total, count


def nll_of_stream(model, ids: torch.Tensor, lanes: int = VAL_LANES,
                  should_stop=None) -> tuple[float, int]:
    """Mean NLL per token of a stream (see ``token_nlls``)."""
    nll, _ = token_nlls(model, ids, lanes, should_stop=should_stop)
    return float(nll.mean()), int(nll.numel())


def likelihood_figures(domain, ck, corpus_path) -> tuple:
    """(corpus, figures): NLL and perplexity of ``ck`` on the whole file and on its validation
    split (the checkpoint's own val_fraction), read with ``ck``'s vocabulary by ``domain``.
    Items corpora are scored item by item (end token included), streams as the trainer does."""
    corpus = domain.load_corpus(corpus_path, vocab=ck.vocab,
                                val_fraction=ck.meta.get("train_config", {}).get("val_fraction", 0.1))
    out: dict = {"same_corpus_as_training": corpus.sha256 == ck.meta.get("corpus", {}).get("sha256")}
    if corpus.mode == "items":
        every = corpus.train_sequences(0) + corpus.val_sequences()
        out["file_nll"], out["file_tokens"] = nll_of_sequences(ck.model, every)
        out["val_nll"], out["val_tokens"] = nll_of_sequences(ck.model, corpus.val_sequences())
    else:
        train = corpus.train_stream(0)
        whole = train[:FILE_CAP_TOKENS] if train.numel() >= FILE_CAP_TOKENS else \
            torch.cat([train, corpus.val_ids])[:FILE_CAP_TOKENS]
        if whole.numel() < train.numel() + corpus.val_ids.numel():
            out["file_note"] = f"file_nll over the first {whole.numel():,} tokens (a cap)"
        out["file_nll"], out["file_tokens"] = nll_of_stream(ck.model, whole)
        out["val_nll"], out["val_tokens"] = nll_of_stream(ck.model, corpus.val_ids)
    for k in ("file_nll", "val_nll"):
        out[k] = round(out[k], 4)
        out[k.replace("nll", "perplexity")] = round(math.exp(out[k]), 3)
    return corpus, out


def evaluate(ck, corpus_path, **options) -> dict:
    """The ``eval`` verb: the model's domain measures it (options it does not use are ignored:
    ``samples`` for names, ``choruses``/``temperature`` for jazz, ``seed``)."""
    out: dict = {"model": ck.name, "domain": ck.domain, "corpus": str(corpus_path),
                 "val_nll_recorded": ck.meta.get("metrics", {}).get("val_nll")}
    out.update(get_domain(ck.domain).evaluate(ck, corpus_path, **options))
    return out
