"""Text and name generation on top of the one sampler; the CLI and the GUI both call these."""

from __future__ import annotations

from typing import Iterator

from dataclasses import replace

from studio.core.domain import get_domain
from studio.core.sampling.sampler import SampleSettings, sample, sample_stream


def read_input(ckpt, text: str) -> str:
    """The text as the model's domain reads it (names: lowercased); see Domain.read_input."""
    return get_domain(ckpt.domain).read_input(text)


def input_note(ckpt, text: str) -> str | None:
    """What to tell the person when their text is read otherwise (None: as typed)."""
    return get_domain(ckpt.domain).input_note(text) if text else None


def _prime_ids(ckpt, prime: str) -> list[int]:
    # framed items (a name) start after the shared start/end token
    return get_domain(ckpt.domain).prime_ids(ckpt.vocab, prime)


def _end_rules(ckpt, settings: SampleSettings) -> tuple[SampleSettings, tuple]:
    """Unframed streams (text) have no end token: never emit it, never stop on it."""
    domain = get_domain(ckpt.domain)
    if domain.framed:
        return settings, domain.banned_ids(ckpt.vocab)
    return replace(settings, stop_at_end=False), domain.banned_ids(ckpt.vocab)


def stream_text(ckpt, prime: str, settings: SampleSettings, device=None) -> Iterator[str]:
    """Pieces of row 0's text as they are sampled (the prime itself is not repeated)."""
    vocab, prime = ckpt.vocab, read_input(ckpt, prime)
    settings, ban = _end_rules(ckpt, settings)
    for step in sample_stream(ckpt.model, _prime_ids(ckpt, prime), settings,
                              device=device, end_id=vocab.end_id, ban=ban):
        tok = step.tokens[0]
        if tok >= 0 and tok != vocab.end_id:
            yield vocab.decode([tok])
        if step.done[0]:
            return


def stream_rows(ckpt, prime: str, settings: SampleSettings, device=None) -> Iterator[list[str]]:
    """Every row of one batched pass, a step at a time: per row the new piece ("" when the
    row has nothing new: finished, or an end token). The same draw as ``generate_texts``."""
    vocab, prime = ckpt.vocab, read_input(ckpt, prime)
    settings, ban = _end_rules(ckpt, settings)
    for step in sample_stream(ckpt.model, _prime_ids(ckpt, prime), settings,
                              device=device, end_id=vocab.end_id, ban=ban):
        yield [vocab.decode([t]) if t >= 0 and t != vocab.end_id else "" for t in step.tokens]


def generate_texts(ckpt, prime: str, settings: SampleSettings, device=None) -> list[str]:
    """N samples, each starting with the prime as the model read it."""
    vocab, prime = ckpt.vocab, read_input(ckpt, prime)
    settings, ban = _end_rules(ckpt, settings)
    rows = sample(ckpt.model, _prime_ids(ckpt, prime), settings, device=device,
                  end_id=vocab.end_id, ban=ban)
    return [prime + vocab.decode([t for t in row if t != vocab.end_id]) for row in rows]


def generate_names(ckpt, settings: SampleSettings, prefix: str = "", device=None) -> list[str]:
    """N names; each ends at the end token (or at max_length, which cuts it)."""
    return generate_texts(ckpt, prefix, settings, device=device)


def known_items(ckpt) -> set[str] | None:
    """The training names stored in a names model's metadata (for new vs. in-corpus)."""
    items = ckpt.meta.get("corpus", {}).get("train_items")
    return set(items) if isinstance(items, list) else None


NEW, KNOWN, REPEAT, UNKNOWN = "new", "in corpus", "repeat", "unknown"


def mark_names(names: list[str], known: set[str] | None) -> list[tuple[str, str]]:
    """(name, mark) pairs, makemore's labels: ``in corpus`` for a training name, ``new``
    for one the model made up, ``repeat`` for a name already given earlier in the same
    batch (12 takes that say "tyror" five times are not five new names), ``unknown`` when
    the model did not keep its corpus. Names compare without case, as they are trained."""
    seen: set[str] = set()
    lowered = {k.lower() for k in known} if known is not None else None
    out = []
    for name in names:
        key = name.lower()
        if key in seen:
            mark = REPEAT
        elif lowered is None:
            mark = UNKNOWN
        else:
            mark = KNOWN if key in lowered else NEW
        seen.add(key)
        out.append((name, mark))
    return out
